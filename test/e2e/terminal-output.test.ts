import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { axeViolations } from './axe.ts'
import { ARTIFACTS, callServer, cli, openPage, until, useServedUi } from './harness.ts'

const ui = useServedUi()

/**
 * Progress output as curl, pip or cargo write it: a line rewritten with carriage returns (held open
 * between gates, so the test sees it while it is still being written), erased with ESC[K and ESC[2K,
 * in colour, ended with \r\n.
 */
const PROGRESS = [
  "printf 'fetch\\n'",
  "printf 'dl 10%%'",
  'until [ -e gate1 ]; do sleep 0.05; done',
  "printf '\\rdl 50%%'",
  'until [ -e gate2 ]; do sleep 0.05; done',
  "printf '\\rdl 100%%\\033[K\\r\\n'",
  "printf '\\033[32mdownloading 100%%\\033[0m\\r\\033[1;31mfail\\033[0m\\n'",
  "printf 'abcdef\\033[2K\\rcleared\\n'",
].join('; ')
const SHOWN = ['fetch', 'dl 100%', 'failloading 100%', 'cleared']

/** A task whose second run gets to 100% in other steps than its first, and ends with another version. */
const TWICE = "if [ -e second ]; then printf 'dl 30%%\\rdl 100%%\\n'; echo v2; else printf 'dl 10%%\\rdl 50%%\\rdl 100%%\\n'; echo v1; fi"

const dirs: Record<string, string> = {}
let twiceId = 0

async function submit(name: string, command: string, cwd: string): Promise<number> {
  const { task } = await callServer<{ task: { id: number } }>(ui.home, ui.served, 'task.submit', { definition: { name, spec: { kind: 'shell', command, cwd } } })
  return task.id
}

async function runsOf(taskId: number): Promise<{ id: number; status: string }[]> {
  const { runs } = await callServer<{ runs: { id: number; status: string }[] }>(ui.home, ui.served, 'task.get', { taskId })
  return runs.sort((a, b) => a.id - b.id)
}

async function untilRuns(taskId: number, count: number): Promise<void> {
  await until(async () => (await runsOf(taskId)).filter((run) => run.status === 'succeeded').length === count, `${count} runs of task ${taskId}`)
}

beforeAll(async () => {
  for (const theme of ['light', 'dark']) {
    dirs[theme] = join(ui.home, `progress-${theme}`)
    await mkdir(dirs[theme], { recursive: true })
  }
  const twiceDir = join(ui.home, 'twice')
  await mkdir(twiceDir)
  twiceId = await submit('Download twice', TWICE, twiceDir)
  await untilRuns(twiceId, 1)
  await writeFile(join(twiceDir, 'second'), '')
  await callServer(ui.home, ui.served, 'task.retry', { taskIds: [twiceId] })
  await untilRuns(twiceId, 2)
})

const detail = (page: Page) => page.locator('aside.detail')
const lineText = (page: Page, n: number) => detail(page).locator(`.log-line[data-line="${n}"] .log-text`).textContent()

describe('the log shows what a terminal shows of progress output', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`a line rewritten with \\r, live and finished, its colours intact; search, jump and copy use it (${theme})`, async () => {
      const dir = dirs[theme]!
      const name = `Download ${theme}`
      const taskId = await submit(name, PROGRESS, dir)
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, theme)
      await page.locator(`[data-task-id="${taskId}"]`).click()

      // Still being written: the open line shows its latest state, not "dl 10%\rdl 50%".
      await expect.poll(() => lineText(page, 1)).toBe('dl 10%')
      await writeFile(join(dir, 'gate1'), '')
      await expect.poll(() => lineText(page, 1)).toBe('dl 50%')
      await page.screenshot({ path: join(ARTIFACTS, `terminal-output-live-${theme}.png`) })
      await writeFile(join(dir, 'gate2'), '')
      await detail(page).locator('.detail-title .status-succeeded').waitFor()
      await expect.poll(() => Promise.all(SHOWN.map((_, n) => lineText(page, n)))).toEqual(SHOWN)
      expect(await detail(page).locator('.log-count').textContent()).toContain('4 lines')

      // The colours of the text that survived the rewrite: "fail" bold red over the green "downloading".
      const spans = await page.evaluate<{ text: string; classes: string; colour: string }[]>(
        `[...document.querySelectorAll('aside.detail .log-line[data-line="2"] .log-text span')].map((span) => ({ text: span.textContent, classes: span.className, colour: getComputedStyle(span).color }))`,
      )
      expect(spans.map(({ text, classes }) => [text, classes])).toEqual([
        ['fail', 'fg-ansi-red ansi-bold'],
        ['loading 100%', 'fg-ansi-green'],
      ])
      expect(spans[0]!.colour).not.toBe(spans[1]!.colour)

      // Search finds the shown text, not what was overwritten.
      const search = detail(page).getByRole('searchbox', { name: 'Find in output' })
      await search.fill('downloading')
      await search.press('Enter')
      await expect.poll(() => detail(page).locator('.log-count [role=status]').textContent()).toBe('No line contains “downloading”.')
      await search.fill('loading 100')
      await search.press('Enter')
      await detail(page).locator('.log-line.log-match[data-line="2"] mark.match', { hasText: 'loading 100' }).waitFor()
      await search.fill('')

      // Jump to a line: the line as shown.
      const jump = detail(page).getByRole('textbox', { name: 'Line', exact: true })
      await jump.fill('4')
      await jump.press('Enter')
      expect(await detail(page).locator('.log-line.log-match').textContent()).toContain('cleared')

      // Copied: the lines as shown, no escape codes, no carriage returns.
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
      await detail(page).getByRole('button', { name: 'Copy' }).click()
      await expect.poll(() => page.evaluate('navigator.clipboard.readText()')).toBe(SHOWN.join('\n'))

      expect(await axeViolations(page)).toEqual([])
      await page.screenshot({ path: join(ARTIFACTS, `terminal-output-${theme}.png`) })
      expect(errors).toEqual([])
      await page.context().close()

      // The stored log keeps the bytes as written: `taskdeck log` prints them for the user's terminal to render.
      const printed = await cli(ui.home, ['log', String(taskId)])
      expect(printed).toContain('dl 10%\rdl 50%\rdl 100%\u001b[K')
      expect(printed).toContain('\u001b[32mdownloading 100%\u001b[0m\r\u001b[1;31mfail\u001b[0m')
    })
  }

  it('the run comparison compares the shown lines: progress that reached 100% in other steps is no change', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await page.locator(`[data-task-id="${twiceId}"]`).click()
    await page.locator('#detail-tab-runs').click()
    await page.getByRole('button', { name: /Compare run 2 with run 1/ }).click()
    await page.locator('[data-testid=compare-diff]').waitFor()
    await expect.poll(() => page.locator('[data-testid=compare-summary]').textContent()).toBe('1 line added, 1 removed (1 change)')
    const lines = await page.evaluate<string[]>(`[...document.querySelectorAll('.compare-line .compare-text')].map((text) => text.textContent)`)
    expect(lines).toEqual(['dl 100%', 'v1', 'v2'])
    await page.screenshot({ path: join(ARTIFACTS, 'terminal-output-compare-light.png') })
    expect(errors).toEqual([])
    await page.context().close()
  })

  for (const [theme, locale] of [['light', 'en-US'], ['dark', 'ko-KR']] as const) {
    it(`a task made in the form with "Run on a terminal" runs on one: ls colours its listing (${theme}, ${locale})`, async () => {
      const dir = join(ui.home, `listing-${theme}`)
      await mkdir(join(dir, 'subdir'), { recursive: true })
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, theme, { locale })
      await page.locator('.quick-add .btn-ghost').click()
      await page.locator('#f-command').fill('test -t 1 && echo on-a-terminal; ls --color=auto')
      await page.locator('#f-cwd').fill(dir)
      const tty = page.locator('#f-tty')
      expect(await tty.isChecked()).toBe(false)
      // Its label names it; its hint says what changes (read as its description).
      const hint = await page.locator('#f-tty-hint').textContent()
      expect(hint).toContain(locale === 'en-US' ? 'Standard output and error become one stream' : '한 스트림')
      expect(await tty.getAttribute('aria-describedby')).toBe('f-tty-hint')
      await page.getByLabel(locale === 'en-US' ? 'Run on a terminal' : '터미널에서 실행').check()
      expect(await axeViolations(page)).toEqual([])
      await page.locator('#f-tty').scrollIntoViewIfNeeded()
      await page.screenshot({ path: join(ARTIFACTS, `terminal-form-${theme}-${locale}.png`) })
      await page.keyboard.press('Control+Enter')
      await detail(page).locator('.detail-title .status-succeeded').waitFor()
      await expect.poll(() => lineText(page, 0)).toBe('on-a-terminal')
      const listed = detail(page).locator('.log-line[data-line="1"] .log-text')
      expect(await listed.textContent()).toBe('subdir')
      expect(await listed.locator('span.fg-ansi-blue').count()).toBe(1)
      const { tasks } = await callServer<{ tasks: { definition: { spec: { cwd?: string; tty?: boolean } } }[] }>(ui.home, ui.served, 'task.list', { limit: 100, offset: 0 })
      expect(tasks.find((task) => task.definition.spec.cwd === dir)?.definition.spec.tty).toBe(true)
      await page.screenshot({ path: join(ARTIFACTS, `terminal-tty-run-${theme}-${locale}.png`) })
      expect(errors).toEqual([])
      await page.context().close()
    })
  }
})
