import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { contentSecurityPolicy } from '../../src-shared/decisions/csp.ts'
import { serveRenderer } from '../desktop/renderer-server.ts'
import { axeViolations } from './axe.ts'
import { ARTIFACTS, ROOT, callServer, openPage, useServedUi } from './harness.ts'

const ui = useServedUi()
const TASK_NAME = 'Build twice'

/** File names without digits ("file-bc"), so that ignoring digits changes only the lines with numbers. */
const word = (i: number) => String.fromCharCode(97 + Math.floor(i / 26)) + String.fromCharCode(97 + (i % 26))
const firstOutput = Array.from({ length: 40 }, (_, i) => (i === 4 ? 'took 12 ms' : i === 29 ? 'result: 41' : `compiled src/file-${word(i)}.ts`))
/** The second run (a retry): the time and the result differ, file-al is gone, one file is new, and a warning goes to stderr. */
const secondOutput = [...firstOutput.map((line, i) => (i === 4 ? 'took 97 ms' : i === 29 ? 'result: 42' : line)).filter((_, i) => i !== 11), 'compiled src/file-new.ts']

/** A 20,000-line build whose second run changed one line near the start and one near the end: a 19,983-line gap between. */
const BIG_LINES = 20_000
const bigFirst = Array.from({ length: BIG_LINES }, (_, i) => `line ${i + 1} of the build`)
const bigSecond = bigFirst.map((line, i) => (i === 5 || i === BIG_LINES - 5 ? `${line}, changed` : line))

let taskId = 0
let bigTaskId = 0

/** Waits until the task's run `n` (1 the first) has finished successfully (over the API: what the server holds). */
async function runFinished(n: number, task = taskId): Promise<void> {
  for (;;) {
    const { runs } = await callServer<{ runs: { id: number; status: string; reason: string | null }[] }>(ui.home, ui.served, 'task.get', { taskId: task })
    const run = runs.sort((a, b) => a.id - b.id)[n - 1]
    if (run?.status === 'succeeded') return
    if (run && run.status !== 'running') throw new Error(`run ${n} ended ${run.status}: ${run.reason}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

beforeAll(async () => {
  // The task prints a file (and, when there is one, a warning to stderr); the file changes between the runs.
  await writeFile(join(ui.home, 'out.txt'), `${firstOutput.join('\n')}\n`)
  const command = 'cat out.txt; if [ -f err.txt ]; then cat err.txt >&2; fi'
  const { task } = await callServer<{ task: { id: number } }>(ui.home, ui.served, 'task.submit', { definition: { name: TASK_NAME, spec: { kind: 'shell', command, cwd: ui.home } } })
  taskId = task.id
  await runFinished(1)
  await writeFile(join(ui.home, 'out.txt'), `${secondOutput.join('\n')}\n`)
  await writeFile(join(ui.home, 'err.txt'), 'warning: --old-flag is deprecated\n')
  await callServer(ui.home, ui.served, 'task.retry', { taskIds: [taskId] })
  await runFinished(2)

  await writeFile(join(ui.home, 'big.txt'), `${bigFirst.join('\n')}\n`)
  const big = await callServer<{ task: { id: number } }>(ui.home, ui.served, 'task.submit', { definition: { name: 'Big build', spec: { kind: 'shell', command: 'cat big.txt', cwd: ui.home } } })
  bigTaskId = big.task.id
  await runFinished(1, bigTaskId)
  await writeFile(join(ui.home, 'big.txt'), `${bigSecond.join('\n')}\n`)
  await callServer(ui.home, ui.served, 'task.retry', { taskIds: [bigTaskId] })
  await runFinished(2, bigTaskId)
})

/** Opens the task, its Runs tab, and "Compare with previous" on the newest run. */
async function openComparison(page: Page, compareLabel: RegExp, task = taskId): Promise<void> {
  await page.locator(`[data-task-id="${task}"]`).click()
  await page.locator('#detail-tab-runs').click()
  await page.getByRole('button', { name: compareLabel }).click()
  await page.locator('[data-testid=compare-diff]').waitFor()
}

const summary = (page: Page) => page.locator('[data-testid=compare-summary]')
/** The diff's lines as shown: the gutter's sign, the stream's mark, the text ("+ err warning: …"). */
const shownLines = (page: Page) =>
  page.evaluate<string[]>(`[...document.querySelectorAll('.compare-line')].map((line) =>
    ['.compare-sign [aria-hidden]', '.compare-mark', '.compare-text'].map((part) => line.querySelector(part)?.textContent.trim()).filter(Boolean).join(' '))`)

/** Resolves after the page has drawn `count` more frames. */
const framesLater = (page: Page, count = 2) =>
  page.evaluate(`new Promise((resolve) => { let left = ${count}; const next = () => (--left === 0 ? resolve() : requestAnimationFrame(next)); requestAnimationFrame(next) })`)

/** The lines in the diff's viewport (drawn and not scrolled out of it), by their text. */
const linesInSight = (page: Page) =>
  page.evaluate<string[]>(`(() => {
    const body = document.querySelector('[data-testid=compare-diff]').getBoundingClientRect()
    return [...document.querySelectorAll('.compare-line')].filter((line) => {
      const box = line.getBoundingClientRect()
      // Within a pixel: the scroll position is snapped to whole pixels, the viewport's edges are not.
      return box.top >= body.top - 1 && box.bottom <= body.bottom + 1
    }).map((line) => line.querySelector('.compare-text').textContent)
  })()`)

describe('comparing two runs of a task', () => {
  it('shows what the second run added and removed, with +/− marks, stderr apart, and a summary', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await openComparison(page, /Compare run 2 with run 1/)
    await expect.poll(() => summary(page).textContent()).toBe('4 lines added, 3 removed (4 changes)')
    const lines = await shownLines(page)
    expect(lines.filter((l) => l.startsWith('−'))).toEqual(['− took 12 ms', '− compiled src/file-al.ts', '− result: 41'])
    expect(lines.filter((l) => l.startsWith('+'))).toEqual(['+ took 97 ms', '+ result: 42', '+ compiled src/file-new.ts', '+ err warning: --old-flag is deprecated'])
    // "err" is seen; screen readers hear the log viewer's words for the stream instead.
    expect(await page.locator('.compare-stderr .compare-mark').getAttribute('aria-hidden')).toBe('true')
    expect(await page.locator('.compare-stderr .compare-stream .sr-only').textContent()).toBe('standard error: ')
    // The gutter's sign is seen; its word heard.
    expect(await page.locator('.compare-added .compare-sign .sr-only').first().textContent()).toBe('added: ')
    expect(await page.locator('.compare-removed .compare-sign .sr-only').first().textContent()).toBe('removed: ')
    // Selected and copied, lines are their text: no line numbers, signs, stream marks nor the words heard.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
    await page.evaluate(`(() => {
      const lines = [...document.querySelectorAll('.compare-line')]
      const from = lines.findIndex((line) => line.textContent.includes('took 12 ms'))
      const range = document.createRange()
      range.setStartBefore(lines[from])
      range.setEndAfter(lines[from + 1])
      getSelection().removeAllRanges()
      getSelection().addRange(range)
    })()`)
    await page.keyboard.press('Control+C')
    expect((await page.evaluate<string>('navigator.clipboard.readText()')).trim().split('\n')).toEqual(['took 12 ms', 'took 97 ms'])
    // Unchanged lines around the changes; the longer unchanged stretches collapsed to a count.
    expect(lines).toContain('compiled src/file-ak.ts')
    expect(lines).not.toContain('compiled src/file-ap.ts')
    const gap = page.locator('.compare-gap').filter({ hasText: '11 unchanged lines' })
    await gap.click()
    expect(await shownLines(page)).toContain('compiled src/file-ap.ts')
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('matches lines that differ only in digits when asked to', async () => {
    const { page } = await openPage(ui.browser, ui.served.browserUrl)
    await openComparison(page, /Compare run 2 with run 1/)
    await expect.poll(() => summary(page).textContent()).toBe('4 lines added, 3 removed (4 changes)')
    await page.getByLabel('Ignore digits (times, counts)').check()
    await expect.poll(() => summary(page).textContent()).toBe('2 lines added, 1 removed (2 changes)')
    // Every unchanged stretch shown: a matched line shows the second run's text. The diff drawn may
    // still be the one before the option for a moment (drawn in a deferred render): expand until all are shown.
    await expect
      .poll(async () => {
        while ((await page.locator('.compare-gap').count()) > 0) await page.locator('.compare-gap').first().click()
        return (await shownLines(page)).length
      })
      .toBe(secondOutput.length + 2)
    const lines = await shownLines(page)
    expect(lines).toContain('took 97 ms')
    expect(lines).not.toContain('took 12 ms')
    expect(lines).toHaveLength(secondOutput.length + 2)
    expect(lines.filter((l) => l.startsWith('−') || l.startsWith('+'))).toEqual(['− compiled src/file-al.ts', '+ compiled src/file-new.ts', '+ err warning: --old-flag is deprecated'])
    await page.context().close()
  })

  it('is worked from the keyboard: next/previous change with the keymap’s ] and [, Esc back to the runs', async () => {
    const { page } = await openPage(ui.browser, ui.served.browserUrl)
    await openComparison(page, /Compare run 2 with run 1/)
    await expect.poll(() => summary(page).textContent()).toContain('4 lines added')
    await expect(page.getByRole('button', { name: /Next change/ }).textContent()).resolves.toContain(']')
    await page.keyboard.press(']')
    // The status says the change's first line too (a screen reader hears it with the position).
    await expect.poll(() => summary(page).textContent()).toContain('Change 1 of 4: removed: took 12 ms')
    expect(await page.locator('.compare-current .compare-text').first().textContent()).toBe('took 12 ms')
    await page.keyboard.press('[')
    await expect.poll(() => summary(page).textContent()).toContain('Change 4 of 4')
    await page.locator('[data-testid=compare-diff]').focus()
    await page.keyboard.press('Escape')
    // Back on the runs' table (the task still open), the keyboard on the button that opened the comparison.
    await page.locator('table.runs').waitFor()
    await expect.poll(() => page.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe('Compare run 2 with run 1')
    expect(await page.locator('.detail').count()).toBe(1)
    await page.screenshot({ path: join(ARTIFACTS, 'compare-runs-table.png') })
    // Esc on a run picker goes back to the runs too (not to the page, then out of the task).
    await page.keyboard.press('Enter')
    await page.locator('.compare-pick select').first().focus()
    await page.keyboard.press('Escape')
    await page.locator('table.runs').waitFor()
    await expect.poll(() => page.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe('Compare run 2 with run 1')
    expect(await page.locator('.detail').count()).toBe(1)
    await page.context().close()
  })

  it('opens a 20,000-line unchanged stretch at once, drawing only the lines in sight, and its far end is there when scrolled to', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await openComparison(page, /Compare run 2 with run 1/, bigTaskId)
    await expect.poll(() => summary(page).textContent()).toBe('2 lines added, 2 removed (2 changes)')
    const gap = page.locator('.compare-gap').filter({ hasText: '19,983 unchanged lines' })
    // Opened from the keyboard: Tab from the diff reaches the gaps in sight.
    await gap.focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => page.locator('.compare-gap').filter({ hasText: '19,983' }).count()).toBe(0)
    // The keyboard stays in the diff (the button is gone).
    expect(await page.evaluate('document.activeElement?.dataset.testid')).toBe('compare-diff')
    // The whole diff is scrollable; its far end is drawn by the frame after the scroll, not frames later.
    await page.evaluate(`(() => { const body = document.querySelector('[data-testid=compare-diff]'); body.scrollTop = body.scrollHeight })()`)
    await framesLater(page)
    const inSight = await linesInSight(page)
    expect(inSight).toContain('line 19996 of the build, changed')
    expect(inSight.at(-1)).toBe('line 20000 of the build')
    // Only the lines in sight and a few around them are in the page, not 20,000.
    const drawn = await page.locator('.compare-line').count()
    expect(drawn).toBeGreaterThanOrEqual(inSight.length)
    expect(drawn).toBeLessThan(inSight.length + 50)
    // A line in the middle, scrolled to, is drawn in its place too.
    await page.evaluate(`(() => { const body = document.querySelector('[data-testid=compare-diff]'); body.scrollTop = body.scrollHeight / 2 })()`)
    await framesLater(page)
    const middle = (await linesInSight(page)).map((text) => Number(/^line (\d+) of the build$/.exec(text)?.[1]))
    // Every line in sight is drawn, in order: a screenful of consecutive lines around the 10,000th.
    expect(middle.length).toBeGreaterThan(20)
    expect(middle).toEqual(middle.map((_, i) => middle[0]! + i))
    expect(Math.abs(middle[0]! - 10_000)).toBeLessThan(100)
    // A gap with the keyboard on it scrolled out of the page (so out of it): the keyboard goes to the diff.
    await page.evaluate(`document.querySelector('[data-testid=compare-diff]').scrollTop = 0`)
    await framesLater(page)
    await page.locator('.compare-gap').first().focus()
    await page.evaluate(`(() => { const body = document.querySelector('[data-testid=compare-diff]'); body.scrollTop = body.scrollHeight })()`)
    await expect.poll(() => page.locator('.compare-gap').count()).toBe(0)
    await expect.poll(() => page.evaluate('document.activeElement?.dataset.testid')).toBe('compare-diff')
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('keeps a selection made across thousands of lines, and copies every line in it', async () => {
    const { page } = await openPage(ui.browser, ui.served.browserUrl)
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
    await openComparison(page, /Compare run 2 with run 1/, bigTaskId)
    await expect.poll(() => summary(page).textContent()).toBe('2 lines added, 2 removed (2 changes)')
    await page.locator('.compare-gap').filter({ hasText: '19,983' }).click()
    const textOf = (line: string) => `[...document.querySelectorAll('.compare-line')].find((l) => l.querySelector('.compare-text').textContent === ${JSON.stringify(line)}).querySelector('.compare-text').firstChild`
    // Selected from the middle of line 3 (as a drag starts), then scrolled 20,000 lines down.
    await page.evaluate(`getSelection().setBaseAndExtent(${textOf('line 3 of the build')}, 5, ${textOf('line 4 of the build')}, 4)`)
    await framesLater(page)
    await page.evaluate(`(() => { const body = document.querySelector('[data-testid=compare-diff]'); body.scrollTop = body.scrollHeight })()`)
    await framesLater(page)
    // The selection's start is still on the page (far above what is drawn around the viewport), so the selection holds.
    expect(await page.evaluate('getSelection().anchorNode?.isConnected')).toBe(true)
    // Extended to the middle of the last line (as the drag ends there), and copied.
    await page.evaluate(`getSelection().extend(${textOf('line 20000 of the build')}, 4)`)
    await page.keyboard.press('Control+C')
    const copied = (await page.evaluate<string>('navigator.clipboard.readText()')).split('\n')
    expect(copied.slice(0, 5)).toEqual(['3 of the build', 'line 4 of the build', 'line 5 of the build', 'line 6 of the build', 'line 6 of the build, changed'])
    expect(copied.slice(-3)).toEqual(['line 19998 of the build', 'line 19999 of the build', 'line'])
    // Every line of both runs from line 3 to line 20,000: 19,998 lines and the two changes' added lines.
    expect(copied).toHaveLength(19_998 + 2)
    await page.context().close()
  })

  it('keeps a selection that starts on a gap’s button when scrolled thousands of lines away', async () => {
    const { page } = await openPage(ui.browser, ui.served.browserUrl)
    await openComparison(page, /Compare run 2 with run 1/, bigTaskId)
    await expect.poll(() => summary(page).textContent()).toBe('2 lines added, 2 removed (2 changes)')
    await page.locator('.compare-gap').filter({ hasText: '19,983' }).click()
    // From the words of the first gap's button (lines 1 and 2, collapsed) to line 4, as a drag does; then scrolled to the end.
    await page.evaluate(`(() => {
      const gap = document.querySelector('.compare-gap')
      const words = document.createTreeWalker(gap, NodeFilter.SHOW_TEXT, { acceptNode: (node) => (node.textContent.includes('unchanged') ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP) }).nextNode()
      const line4 = [...document.querySelectorAll('.compare-line .compare-text')].find((text) => text.textContent === 'line 4 of the build').firstChild
      getSelection().setBaseAndExtent(words, 2, line4, 4)
    })()`)
    await framesLater(page)
    await page.evaluate(`(() => { const body = document.querySelector('[data-testid=compare-diff]'); body.scrollTop = body.scrollHeight })()`)
    await framesLater(page)
    expect(await linesInSight(page)).toContain('line 20000 of the build')
    // The selection still starts in the gap's button (kept on the page), not where the browser moves a removed node's selection.
    expect(await page.evaluate(`getSelection().anchorNode?.parentElement?.closest('.compare-gap') != null && getSelection().anchorOffset === 2`)).toBe(true)
    await page.context().close()
  })

  it('keeps the reader’s place when "Ignore digits" is turned on or off', async () => {
    const { page } = await openPage(ui.browser, ui.served.browserUrl)
    await openComparison(page, /Compare run 2 with run 1/, bigTaskId)
    await expect.poll(() => summary(page).textContent()).toBe('2 lines added, 2 removed (2 changes)')
    await page.locator('.compare-gap').filter({ hasText: '19,983' }).click()
    // Scrolled to line 12,000 of 20,000 (every line reads "line N of the build": with digits ignored they still match, in order).
    await page.evaluate(`(() => { const body = document.querySelector('[data-testid=compare-diff]'); body.scrollTop = ${12_000 * 18 - 18 * 3} })()`)
    await framesLater(page)
    const before = await linesInSight(page)
    expect(before[0]).toMatch(/^line 1\d{4} of the build$/)
    const ignoreDigits = page.getByLabel('Ignore digits (times, counts)')
    for (const toggle of [() => ignoreDigits.check(), () => ignoreDigits.uncheck()]) {
      await toggle()
      await page.locator('[data-testid=compare-diff]').waitFor()
      await expect.poll(() => linesInSight(page)).toEqual(before)
    }
    await page.context().close()
  })

  it('selects the whole diff with Ctrl+A in it, and copies every line of it, not only those drawn', async () => {
    const { page } = await openPage(ui.browser, ui.served.browserUrl)
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
    await openComparison(page, /Compare run 2 with run 1/, bigTaskId)
    await expect.poll(() => summary(page).textContent()).toBe('2 lines added, 2 removed (2 changes)')
    while ((await page.locator('.compare-gap').count()) > 0) await page.locator('.compare-gap').first().click()
    await page.getByTestId('compare-diff').focus()
    await page.keyboard.press('Control+A')
    // The selection is the diff's, not the page's (the toolbar stays unselected).
    expect(await page.evaluate("getSelection().containsNode(document.querySelector('[data-testid=compare-diff]'), true) && !getSelection().containsNode(document.querySelector('.compare-pick'), true)")).toBe(true)
    await page.keyboard.press('Control+C')
    const copied = (await page.evaluate<string>('navigator.clipboard.readText()')).split('\n')
    // Every line of both runs: 20,000 and the two changes' added lines.
    expect(copied).toHaveLength(BIG_LINES + 2)
    expect(copied[0]).toBe('line 1 of the build')
    expect(copied.at(-1)).toBe('line 20000 of the build')
    await page.context().close()
  })

  it('goes to a change at the far end with [ at once, and says which line it is', async () => {
    const { page } = await openPage(ui.browser, ui.served.browserUrl)
    await openComparison(page, /Compare run 2 with run 1/, bigTaskId)
    await expect.poll(() => summary(page).textContent()).toBe('2 lines added, 2 removed (2 changes)')
    // Every gap opened: [ from the top crosses 20,000 lines.
    while ((await page.locator('.compare-gap').count()) > 0) await page.locator('.compare-gap').first().click()
    await page.keyboard.press('[')
    await framesLater(page)
    expect(await page.locator('.compare-current .compare-text').textContent()).toBe('line 19996 of the build')
    expect(await linesInSight(page)).toEqual(expect.arrayContaining(['line 19996 of the build', 'line 19996 of the build, changed']))
    await expect.poll(() => summary(page).textContent()).toContain('Change 2 of 2: removed: line 19996 of the build')
    await page.screenshot({ path: join(ARTIFACTS, 'compare-far-change.png') })
    // ] wraps around to the first change, at the top.
    await page.keyboard.press(']')
    await framesLater(page)
    expect(await page.locator('.compare-current .compare-text').textContent()).toBe('line 6 of the build')
    expect(await linesInSight(page)).toContain('line 6 of the build')
    await expect.poll(() => summary(page).textContent()).toContain('Change 1 of 2: removed: line 6 of the build')
    await page.context().close()
  })

  it('remembers "Ignore digits" across a reload and a new comparison', async () => {
    const { page } = await openPage(ui.browser, ui.served.browserUrl)
    await openComparison(page, /Compare run 2 with run 1/)
    const ignoreDigits = page.getByLabel('Ignore digits (times, counts)')
    expect(await ignoreDigits.isChecked()).toBe(false)
    await ignoreDigits.check()
    await expect.poll(() => summary(page).textContent()).toBe('2 lines added, 1 removed (2 changes)')
    await page.reload()
    await page.locator('[data-testid=connection].connection-online').waitFor()
    await openComparison(page, /Compare run 2 with run 1/)
    expect(await ignoreDigits.isChecked()).toBe(true)
    await expect.poll(() => summary(page).textContent()).toBe('2 lines added, 1 removed (2 changes)')
    // Unchecked, it stays unchecked too.
    await ignoreDigits.uncheck()
    await expect.poll(() => summary(page).textContent()).toBe('4 lines added, 3 removed (4 changes)')
    await page.locator('[data-testid=compare-back]').click()
    await page.getByRole('button', { name: /Compare run 2 with run 1/ }).click()
    expect(await ignoreDigits.isChecked()).toBe(false)
    await expect.poll(() => summary(page).textContent()).toBe('4 lines added, 3 removed (4 changes)')
    await page.context().close()
  })

  it('changes language without reading the compared logs again', async () => {
    const { page } = await openPage(ui.browser, ui.served.browserUrl)
    // Every command the page sends over its WebSocket, by name.
    const sent: string[] = []
    page.on('websocket', (socket) => socket.on('framesent', ({ payload }) => sent.push(String((JSON.parse(String(payload)) as { command?: string }).command))))
    await page.reload()
    await page.locator('[data-testid=connection].connection-online').waitFor()
    await openComparison(page, /Compare run 2 with run 1/)
    await expect.poll(() => summary(page).textContent()).toBe('4 lines added, 3 removed (4 changes)')
    const reads = sent.filter((command) => command === 'run.readLog').length
    expect(reads).toBeGreaterThanOrEqual(2)
    const linesBefore = await shownLines(page)
    // The language as set before ("system" unless a test chose one), given back after.
    const { settings } = await callServer<{ settings: { language: string } }>(ui.home, ui.served, 'settings.get')
    try {
      await callServer(ui.home, ui.served, 'settings.set', { patch: { language: 'ko' } })
      await expect.poll(() => summary(page).textContent()).toBe('4줄 추가, 3줄 삭제 (변경 4곳)')
      await framesLater(page)
      // The same diff, its words in Korean, from the logs read before: no run.readLog since.
      expect(sent.filter((command) => command === 'run.readLog')).toHaveLength(reads)
      expect(await shownLines(page)).toEqual(linesBefore)
      expect(await page.locator('.compare-added .compare-sign .sr-only').first().textContent()).not.toBe('added: ')
    } finally {
      await callServer(ui.home, ui.served, 'settings.set', { patch: { language: settings.language } })
    }
    await expect.poll(() => summary(page).textContent()).toBe('4 lines added, 3 removed (4 changes)')
    expect(sent.filter((command) => command === 'run.readLog')).toHaveLength(reads)
    await page.context().close()
  })

  it('still compares, on the page itself, when the diff worker cannot start, and says so', async () => {
    const { page } = await openPage(ui.browser, ui.served.browserUrl)
    // The worker's file is missing, as from a package built without it.
    await page.route('**/assets/diff-worker-*.js', (route) => route.fulfill({ status: 404, body: 'not found' }))
    await page.reload()
    await page.locator('[data-testid=connection].connection-online').waitFor()
    await openComparison(page, /Compare run 2 with run 1/)
    await expect.poll(() => summary(page).textContent()).toBe('4 lines added, 3 removed (4 changes)')
    const notes = await page.locator('[data-testid=compare-notes] li').allTextContents()
    expect(notes).toHaveLength(1)
    expect(notes[0]).toMatch(/^Compared on this page because the background diff worker could not be used \(.+\): long logs may make the page pause/)
    expect((await shownLines(page)).filter((l) => l.startsWith('+'))).toEqual(['+ took 97 ms', '+ result: 42', '+ compiled src/file-new.ts', '+ err warning: --old-flag is deprecated'])
    await page.screenshot({ path: join(ARTIFACTS, 'compare-on-page.png') })
    await page.context().close()
  })

  it('says when a log was longer than the cap and when a run is still running, comparing them as they stand', async () => {
    // 20,010 lines, then the run stays running; the first run is cancelled, the second left running.
    const { task } = await callServer<{ task: { id: number } }>(ui.home, ui.served, 'task.submit', { definition: { name: 'Long log', spec: { kind: 'shell', command: 'seq 1 20010; echo printed; sleep 600' } } })
    // Cancelled however the test ends (a failed expectation too), so no sleep outlives it.
    onTestFinished(async () => {
      await callServer(ui.home, ui.served, 'task.cancel', { taskIds: [task.id] })
    })
    const printed = async (runCount: number) => {
      for (;;) {
        const { runs } = await callServer<{ runs: { id: number }[] }>(ui.home, ui.served, 'task.get', { taskId: task.id })
        const newest = runs.sort((x, y) => x.id - y.id)[runCount - 1]
        // A running run's record has no line count yet: its log has.
        const log = newest ? await callServer<{ totalLines: number }>(ui.home, ui.served, 'run.readLog', { runId: newest.id, fromLine: 0, count: 1 }) : null
        if (log && log.totalLines > 20_010) return
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    await printed(1)
    await callServer(ui.home, ui.served, 'task.cancel', { taskIds: [task.id] })
    // A retry applies to a finished task: wait for the cancel to have ended the run.
    while ((await callServer<{ task: { status: string } }>(ui.home, ui.served, 'task.get', { taskId: task.id })).task.status !== 'cancelled') await new Promise((r) => setTimeout(r, 50))
    await callServer(ui.home, ui.served, 'task.retry', { taskIds: [task.id] })
    await printed(2)
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await page.locator(`[data-task-id="${task.id}"]`).click()
    await page.locator('#detail-tab-runs').click()
    await page.getByRole('button', { name: /Compare run 2 with run 1/ }).click()
    await expect.poll(() => summary(page).textContent(), { timeout: 30_000 }).toBe('No differences.')
    const notes = await page.locator('[data-testid=compare-notes] li').allTextContents()
    expect(notes.filter((n) => /only the first 20,000 were compared/.test(n))).toHaveLength(2)
    expect(notes.some((n) => n.startsWith('Run 2 is still running: compared as its log stood at'))).toBe(true)
    expect(notes.some((n) => n.startsWith('Run 1 is still running'))).toBe(false)
    await page.screenshot({ path: join(ARTIFACTS, 'compare-long-running.png') })
    expect(errors).toEqual([])
    await page.context().close()
  })

  for (const [locale, label] of [
    ['en-US', /Compare run 2 with run 1/],
    ['ko-KR', /2번째 실행을 1번째 실행과 비교/],
  ] as const) {
    it(`has nothing for axe to fix, light and dark (${locale})`, async () => {
      for (const scheme of ['light', 'dark'] as const) {
        const { page } = await openPage(ui.browser, ui.served.browserUrl, scheme, { locale })
        await openComparison(page, label)
        await expect.poll(() => summary(page).textContent()).toMatch(/4/)
        await page.keyboard.press(']')
        expect((await axeViolations(page)).join('\n')).toBe('')
        await page.screenshot({ path: join(ARTIFACTS, `compare-${scheme}-${locale}.png`) })
        await page.context().close()
      }
    })
  }
})

describe('the diff worker in the built bundle', () => {
  it('is a file of its own beside the bundle, allowed by the CSP app:// sends, and diffs there', async () => {
    const renderer = join(ROOT, 'out', 'renderer')
    const assets = await readdir(join(renderer, 'assets'))
    const bundles = await Promise.all(assets.filter((file) => /^index-[\w-]+\.js$/.test(file)).map((file) => readFile(join(renderer, 'assets', file), 'utf8')))
    // The bundle starts it by a URL relative to its own: the same origin, the same folder.
    const workerFile = bundles.map((source) => /new URL\("(diff-worker-[\w-]+\.js)", import\.meta\.url\)/.exec(source)?.[1]).find(Boolean)
    expect(workerFile).toBeDefined()
    expect(assets).toContain(workerFile)
    // Self-contained (jsdiff inside): started as a module, it fetches nothing more.
    expect(await readFile(join(renderer, 'assets', workerFile!), 'utf8')).not.toMatch(/^\s*import\b|\bimport\(/m)

    // Served as Electron's app:// handler serves it (the same function, the same headers), over loopback HTTP.
    const server = await serveRenderer(renderer)
    onTestFinished(() => server.close())
    const context = await ui.browser.newContext()
    onTestFinished(() => context.close())
    const page = await context.newPage()
    await page.addInitScript(`window.__violations = []
      document.addEventListener('securitypolicyviolation', (event) => window.__violations.push(event.effectiveDirective + ' ' + event.blockedURI))`)
    const response = await page.goto(`${server.origin}/index.html`)
    expect(response?.headers()['content-security-policy']).toBe(contentSecurityPolicy())
    expect(contentSecurityPolicy()).toMatch(/worker-src 'self'/)
    const answer = await page.evaluate(`new Promise((resolve, reject) => {
      const worker = new Worker(new URL('assets/${workerFile}', location.href), { type: 'module' })
      worker.onmessage = (event) => resolve(event.data)
      worker.onerror = (event) => reject(new Error('the worker failed: ' + (event.message || 'no message')))
      const log = (texts) => ({ texts, streams: new Uint8Array(texts.split('\\n').length) })
      worker.postMessage({ base: log('a\\nb\\nc'), target: log('a\\nB\\nc'), ignoreDigits: false })
    })`)
    expect(answer).toEqual([
      { kind: 'same', count: 1 },
      { kind: 'removed', count: 1 },
      { kind: 'added', count: 1 },
      { kind: 'same', count: 1 },
    ])
    expect(await page.evaluate('window.__violations')).toEqual([])
  })
})
