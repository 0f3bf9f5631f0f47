import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { AxeResults } from 'axe-core'
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { ARTIFACTS, callServer, openPage, useServedUi } from './harness.ts'

const ui = useServedUi()
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const TASK_NAME = 'Build twice'

/** File names without digits ("file-bc"), so that ignoring digits changes only the lines with numbers. */
const word = (i: number) => String.fromCharCode(97 + Math.floor(i / 26)) + String.fromCharCode(97 + (i % 26))
const firstOutput = Array.from({ length: 40 }, (_, i) => (i === 4 ? 'took 12 ms' : i === 29 ? 'result: 41' : `compiled src/file-${word(i)}.ts`))
/** The second run (a retry): the time and the result differ, file-al is gone, one file is new, and a warning goes to stderr. */
const secondOutput = [...firstOutput.map((line, i) => (i === 4 ? 'took 97 ms' : i === 29 ? 'result: 42' : line)).filter((_, i) => i !== 11), 'compiled src/file-new.ts']

let taskId = 0

/** Waits until the task's run `n` (1 the first) has finished successfully (over the API: what the server holds). */
async function runFinished(n: number): Promise<void> {
  for (;;) {
    const { runs } = await callServer<{ runs: { id: number; status: string; reason: string | null }[] }>(ui.home, ui.served, 'task.get', { taskId })
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
})

/** Opens the task, its Runs tab, and "Compare with previous" on the newest run. */
async function openComparison(page: Page, compareLabel: RegExp): Promise<void> {
  await page.locator(`[data-task-id="${taskId}"]`).click()
  await page.locator('#detail-tab-runs').click()
  await page.getByRole('button', { name: compareLabel }).click()
  await page.locator('[data-testid=compare-diff]').waitFor()
}

const summary = (page: Page) => page.locator('[data-testid=compare-summary]')
/** The diff's lines as shown: the gutter's sign, the stream's mark, the text ("+ err warning: …"). */
const shownLines = (page: Page) =>
  page.evaluate<string[]>(`[...document.querySelectorAll('.compare-line')].map((line) =>
    ['.compare-sign', '.compare-mark', '.compare-text'].map((part) => line.querySelector(part)?.textContent.trim()).filter(Boolean).join(' '))`)

async function audit(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE_SOURCE)
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))')
  const results = (await page.evaluate(() => {
    const axe = (globalThis as unknown as { axe: { run(options: unknown): Promise<unknown> } }).axe
    return axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations'] })
  })) as AxeResults
  return results.violations.flatMap((v) => v.nodes.map((node) => `${v.id}: ${node.target.map(String).join(' ')} — ${node.failureSummary ?? v.help}`))
}

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
        expect((await audit(page)).join('\n')).toBe('')
        await page.screenshot({ path: join(ARTIFACTS, `compare-${scheme}-${locale}.png`) })
        await page.context().close()
      }
    })
  }
})
