import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest'
import { ARTIFACTS, callServer, cli, openPage, useServedUi } from './harness.ts'

const ui = useServedUi()
let page: Page
let errors: string[]

const detail = () => page.locator('aside.detail')
const logText = () => page.locator('.log-scroll')

/** The id of the focused element (the code runs in the page, hence a string). */
const activeId = () => page.evaluate<string | undefined>('document.activeElement?.id')

/** Takes focus out of any text field, so single-key shortcuts apply. */
async function blur() {
  await page.evaluate('document.activeElement?.blur()')
}

/** Types a command into the new-task input by keyboard only and runs it. */
async function submitByKeyboard(command: string) {
  await blur()
  await page.keyboard.press('Escape')
  await page.keyboard.press('n')
  await expect.poll(() => activeId()).toBe('quick-add')
  await page.keyboard.type(command)
  await page.keyboard.press('Enter')
  await detail().locator('code.detail-command', { hasText: command }).waitFor()
}

beforeAll(async () => {
  ;({ page, errors } = await openPage(ui.browser, ui.served.browserUrl))
})

beforeEach((context) => {
  // A failing browser test leaves a picture of what the user would have seen.
  onTestFailed(async () => {
    await page.screenshot({ path: join(ARTIFACTS, `failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`) })
  })
})

describe('the walking skeleton in a real browser', () => {
  it('shows an empty state that says what to do, and keeps the token out of the URL', async () => {
    await page.getByText('No tasks yet').waitFor()
    expect(page.url()).not.toContain('token')
    await page.screenshot({ path: join(ARTIFACTS, 'tasks-empty-light.png') })
    // The views that fill in as tasks run say so, with the way to a first task, rather than a page of zeros.
    for (const key of ['l', 'd']) {
      await page.keyboard.press('g')
      await page.keyboard.press(key)
      await page.getByRole('status').filter({ hasText: 'Nothing has run yet.' }).waitFor()
    }
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-empty-light.png') })
    await page.getByRole('button', { name: /Run a first task/ }).click()
    await expect.poll(() => activeId()).toBe('quick-add')
    await page.getByText('No tasks yet').waitFor()
  })

  it('submits a task by keyboard only, streams its lines, and still shows them after a reload', async () => {
    await submitByKeyboard('for i in 1 2 3; do echo step $i; sleep 0.2; done')
    for (const line of ['step 1', 'step 2', 'step 3']) await logText().getByText(line, { exact: true }).waitFor()
    await detail().locator('.detail-title .status-succeeded').waitFor()
    await expect.poll(() => detail().locator('.detail-facts').textContent()).toContain('exit 0')
    // Named after its command, the row shows the command once, not twice side by side.
    const row = page.locator('.task-row.open')
    expect(await row.locator('.task-name').textContent()).toBe('for i in 1 2 3; do echo step $i; sleep 0.2; done')
    expect(await row.locator('.task-command').count()).toBe(0)

    await page.reload()
    await page.getByTestId('connection').getByText('Live').waitFor()
    await page.locator('[data-task-id]').first().waitFor()
    await page.keyboard.press('j')
    await page.keyboard.press('Enter')
    for (const line of ['step 1', 'step 2', 'step 3']) await logText().getByText(line, { exact: true }).waitFor()
    await detail().locator('.detail-title .status-succeeded').waitFor()
  })

  it('shows why a task failed: a non-zero exit and a missing executable', async () => {
    await submitByKeyboard('exit 3')
    const reason = detail().getByTestId('failure-reason')
    await reason.waitFor()
    expect(await reason.textContent()).toMatch(/3/)
    // How the run ended is one word, said alike in the facts and in the run history.
    expect(await detail().locator('.detail-facts').textContent()).toContain('exit 3')
    await detail().getByRole('tab', { name: /Runs/ }).click()
    expect(await detail().getByRole('row').nth(1).getByRole('cell').nth(4).textContent()).toBe('exit 3')
    await detail().getByRole('tab', { name: 'Output' }).click()
    await page.screenshot({ path: join(ARTIFACTS, 'task-failed-light.png') })

    await submitByKeyboard('definitely-not-a-program-4711 --flag')
    await detail().getByTestId('failure-reason').waitFor()
    // The shell's own message reaches the log; the banner names the exit code.
    await logText().getByText(/not found/).waitFor()
    expect(await detail().getByTestId('failure-reason').textContent()).toMatch(/127/)
    expect(errors).toEqual([])
  })

  it('shows field-level errors in the fields\' own terms, the engine\'s refusal under its field and in no toast besides, and offers to create an unknown group', async () => {
    const fieldError = (label: string) => page.locator('.field.invalid', { has: page.getByText(label, { exact: true }) }).getByRole('alert')
    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'More options…' }).click()
    await page.locator('#f-command').fill('pwd; echo "$A"')
    await page.locator('#f-group').fill('not a group!')
    await page.locator('#f-timeoutSec').fill('-3')
    await page.locator('#f-env').fill('A=1\nBAD LINE')
    await page.keyboard.press('Control+Enter')
    await expect.poll(() => fieldError('Group').textContent()).toMatch(/letters, digits/)
    // The field is in seconds: no "milliseconds" from the schema underneath.
    expect(await fieldError('Timeout (s)').textContent()).toBe('Must be greater than 0.')
    // A line without "=" is named, not turned into a variable called "BAD LINE".
    expect(await fieldError('Environment').textContent()).toBe('Line 2: write NAME=value.')
    await page.locator('#f-timeoutSec').fill('30')
    await page.locator('#f-env').fill('A=from-env')

    await page.locator('#f-group').fill('default')
    await page.locator('#f-cwd').fill('/definitely/not/here')
    await page.keyboard.press('Control+Enter')
    // The engine refuses the cwd: the reason is shown under the field, once (a toast besides said it twice, and a
    // screen reader read it twice); a toast would have come with the same answer.
    await expect.poll(() => fieldError('Working directory').textContent()).toMatch(/does not exist/)
    expect(await page.locator('.toast').count()).toBe(0)
    await page.screenshot({ path: join(ARTIFACTS, 'new-task-errors-light.png') })

    // A group the engine does not have yet: said before sending, and created from the form.
    await page.locator('#f-cwd').fill('/tmp')
    await page.locator('#f-group').fill('e2e-builds')
    await page.keyboard.press('Control+Enter')
    await expect.poll(() => fieldError('Group').textContent()).toContain('There is no group “e2e-builds” yet.')
    await fieldError('Group').getByRole('button', { name: /Create group “e2e-builds”/ }).click()
    await expect.poll(() => page.locator('.field.invalid').count()).toBe(0)
    await page.keyboard.press('Control+Enter')
    await logText().getByText('from-env', { exact: true }).waitFor()
    expect(await detail().locator('code.detail-command').textContent()).toBe('pwd; echo "$A"')
    expect((await callServer<{ groups: { name: string }[] }>(ui.home, ui.served, 'group.list')).groups.map((g) => g.name)).toContain('e2e-builds')
  })

  it('edits a task that has not started, and makes a new task from a finished one', async () => {
    await blur()
    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'More options…' }).click()
    await page.locator('#f-command').fill('echo stashed')
    await page.getByText('Stash (keep, do not run yet)').click()
    await page.keyboard.press('Control+Enter')
    await detail().locator('.detail-title .status-stashed').waitFor()
    await blur()
    await page.keyboard.press('e')
    await page.getByRole('heading', { name: /Edit task #\d+/ }).waitFor()
    await page.locator('#f-name').fill('Renamed while stashed')
    await page.keyboard.press('Control+Enter')
    await detail().getByRole('heading', { name: /Renamed while stashed/ }).waitFor()
    // With a name of its own, the row shows the command beside it.
    await page.locator('.task-row.open .task-command', { hasText: 'echo stashed' }).waitFor()

    // A task that runs after it says so, naming the task it waits for, one click away.
    await blur()
    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'More options…' }).click()
    await page.locator('#f-command').fill('echo after the stashed one')
    await page.locator('.dep-list label', { hasText: 'Renamed while stashed' }).click()
    await page.keyboard.press('Control+Enter')
    await detail().locator('.detail-title .status-waiting').waitFor()
    await detail().getByText('Starts when this task has succeeded:').waitFor()
    await detail().locator('.waiting-on').getByRole('button', { name: /Renamed while stashed/ }).click()
    await detail().getByRole('heading', { name: /Renamed while stashed/ }).waitFor()

    await submitByKeyboard('echo original')
    await detail().locator('.detail-title .status-succeeded').waitFor()
    // A finished task cannot change: its button says it makes a new task from it.
    await detail().getByRole('button', { name: /Edit as new/ }).waitFor()
    await blur()
    await page.keyboard.press('e')
    await page.getByRole('heading', { name: /New task from #\d+/ }).waitFor()
    expect(await page.locator('#f-command').inputValue()).toBe('echo original')
    await page.locator('#f-command').fill('echo copy')
    await page.keyboard.press('Control+Enter')
    await logText().getByText('copy', { exact: true }).waitFor()
  })

  it('runs a script from the form and shows what it returned', async () => {
    const script = join(ui.home, 'sum.mjs')
    await writeFile(script, 'export default (input) => { console.log(`adding ${input.upTo} numbers`); let sum = 0; for (let i = 1; i <= input.upTo; i++) sum += i; return { sum } }\n')
    await blur()
    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'More options…' }).click()
    await page.getByRole('radio', { name: 'Script (worker thread)' }).click()
    await page.locator('#f-scriptPath').fill(script)
    await page.locator('#f-scriptInput').fill('{ "upTo": 100 }')
    await page.keyboard.press('Control+Enter')
    await detail().locator('.detail-title .status-succeeded').waitFor()
    await logText().getByText('adding 100 numbers').waitFor()
    expect(await detail().locator('.log-count').textContent()).toBe('1 line')
    // A script has no exit code: its run says it returned (what, in the Result tab).
    const facts = await detail().locator('.detail-facts').textContent()
    expect(facts).toContain('returned')
    expect(facts).not.toMatch(/exit/)
    await detail().getByRole('tab', { name: /Runs/ }).click()
    expect(await detail().getByRole('row').nth(1).getByRole('cell').nth(4).textContent()).toBe('returned')
    await detail().getByRole('tab', { name: 'Result' }).click()
    expect(JSON.parse((await detail().getByTestId('run-result').textContent()) ?? 'null')).toEqual({ sum: 5050 })
    await page.screenshot({ path: join(ARTIFACTS, 'script-result-light.png') })
    await detail().getByRole('tab', { name: 'Output' }).click()
  })

  it('opens the command palette with Ctrl+K, fuzzy-finds a command and runs it', async () => {
    await page.keyboard.press('Escape')
    await blur()
    await page.keyboard.press('Control+k')
    const palette = page.getByRole('dialog', { name: 'Command palette' })
    await palette.waitFor()
    await page.keyboard.type('dashbrd')
    await expect.poll(() => palette.getByRole('option').first().textContent()).toContain('Go to Dashboard')
    await expect.poll(() => palette.getByRole('option').first().textContent()).toContain('G D')
    await page.screenshot({ path: join(ARTIFACTS, 'palette-light.png') })
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor()
    expect(await palette.count()).toBe(0)
    // Tasks by name too, after the commands that match.
    await page.keyboard.press('Control+k')
    await page.keyboard.type('renamed while')
    const found = palette.getByRole('option', { name: /^Open task #\d+ — Renamed while stashed/ })
    await found.waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'palette-task-light.png') })
    expect(await palette.getByRole('option').count()).toBe(1)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: /Renamed while stashed/ }).waitFor()
    await page.keyboard.press('Escape')
  })

  it('keeps the first match chosen when the palette opens or narrows under a resting pointer; a moving pointer chooses', async () => {
    await page.keyboard.press('Escape')
    await blur()
    await page.keyboard.press('Control+k')
    const palette = page.getByRole('dialog', { name: 'Command palette' })
    const options = palette.getByRole('option')
    const third = (await options.nth(2).boundingBox())!
    await page.keyboard.press('Escape')
    await palette.waitFor({ state: 'detached' })
    // The pointer rests where the third option will be, then the palette opens under it.
    await page.mouse.move(third.x + third.width / 2, third.y + third.height / 2)
    await page.keyboard.press('Control+k')
    await palette.waitFor()
    const chosen = () => palette.locator('[role=option][aria-selected=true]').textContent()
    await expect.poll(chosen).toContain('New task')
    // Typing narrows the list under the pointer: the best match stays chosen, and Enter runs it.
    await page.keyboard.type('go to dash')
    await expect.poll(() => options.first().textContent()).toContain('Go to Dashboard')
    await expect.poll(chosen).toContain('Go to Dashboard')
    await page.keyboard.press('Backspace')
    await page.keyboard.press('Backspace')
    await page.keyboard.press('Backspace')
    await page.keyboard.press('Backspace')
    expect(await options.count()).toBeGreaterThan(2)
    await expect.poll(chosen).toBe(await options.first().textContent())
    // Moved, the pointer chooses what it is on.
    const second = (await options.nth(1).boundingBox())!
    await page.mouse.move(second.x + second.width / 2, second.y + second.height / 2, { steps: 3 })
    await expect.poll(chosen).toBe(await options.nth(1).textContent())
    await page.keyboard.press('Escape')
    await page.mouse.move(0, 0)
  })

  it('switches views with g-chords and focuses search with /', async () => {
    await page.keyboard.press('g')
    await page.keyboard.press('l')
    await page.getByRole('heading', { name: 'Event loop' }).waitFor()
    await page.keyboard.press('g')
    await page.keyboard.press('s')
    await page.getByRole('heading', { name: 'Settings' }).waitFor()
    await page.keyboard.press('g')
    await page.keyboard.press('t')
    await page.getByRole('textbox', { name: 'New task: a shell command' }).waitFor()
    await page.keyboard.press('/')
    await expect.poll(() => activeId()).toBe('task-search')
    await page.keyboard.type('exit 3')
    await expect.poll(() => page.locator('[data-task-id]').count()).toBe(1)
    await page.keyboard.press('Escape')
    await page.locator('#task-search').fill('')
  })

  it('follows live output, stops following when scrolled up, and resumes at the bottom', async () => {
    await submitByKeyboard('for i in $(seq 1 400); do echo tick $i; sleep 0.01; done')
    const follow = detail().getByRole('button', { name: /Follow/ })
    await logText().getByText('tick 400', { exact: true }).waitFor()
    expect(await follow.getAttribute('aria-pressed')).toBe('true')
    await logText().hover()
    await page.mouse.wheel(0, -100_000)
    await expect.poll(() => follow.getAttribute('aria-pressed')).toBe('false')
    await logText().getByText('tick 1', { exact: true }).waitFor()
    await page.mouse.wheel(0, 100_000)
    await expect.poll(() => follow.getAttribute('aria-pressed')).toBe('true')
  })

  it('keeps following a log taller than the scaled scrollbar to its last line, and stops when scrolled up', async () => {
    // 600,000 lines of 18 px exceed the 8M px cap: the scrollbar is scaled and sits still at the bottom while lines arrive.
    await submitByKeyboard('seq 1 600000')
    const follow = detail().getByRole('button', { name: /Follow/ })
    await detail().locator('.log-line[data-line="599999"]', { hasText: '600000' }).waitFor({ timeout: 60_000 })
    expect(await follow.getAttribute('aria-pressed')).toBe('true')
    await logText().hover()
    await page.mouse.wheel(0, -2000)
    await expect.poll(() => follow.getAttribute('aria-pressed')).toBe('false')
    await expect.poll(() => detail().locator('.log-line[data-line="599999"]').count()).toBe(0)
  })

  it('numbers the lines of a ten-million-line log in a gutter that fits them, and says how much the log cap dropped in MB', async () => {
    await submitByKeyboard('seq 1 10000000')
    await detail().locator('.log-line[data-line="9999999"]', { hasText: '10000000' }).waitFor({ timeout: 60_000 })
    await detail().locator('.detail-title .status-succeeded').waitFor({ timeout: 60_000 })
    // Eight digits of line number fit their gutter, right-aligned before its padding (they spilled towards the text).
    const fits = `(() => {
      const n = document.querySelector('.log-line[data-line="9999999"] .log-n')
      const text = document.createRange()
      text.selectNodeContents(n)
      return text.getBoundingClientRect().right <= n.getBoundingClientRect().right - parseFloat(getComputedStyle(n).paddingRight) + 0.5
    })()`
    expect(await page.evaluate(fits)).toBe(true)
    expect(await detail().locator('.log-count').textContent()).toMatch(/^10,000,000 lines · \d+(\.\d)? MB dropped \(log cap\)$/)
  })

  it('follows a fast run from coalesced tails to its last line, receiving a fraction of its output, and shows earlier lines when scrolled up', async () => {
    // A page of its own, so the WebSocket's frames can be counted from its first byte.
    const context = await ui.browser.newContext({ viewport: { width: 1360, height: 820 }, locale: 'en-US', reducedMotion: 'reduce' })
    const own = await context.newPage()
    const pageErrors: string[] = []
    own.on('pageerror', (error) => pageErrors.push(error.message))
    let outputChars = 0
    own.on('websocket', (socket) =>
      socket.on('framereceived', ({ payload }) => {
        if (typeof payload === 'string' && payload.includes('"run.output"')) outputChars += payload.length
      }),
    )
    await own.goto(ui.served.browserUrl)
    await own.getByTestId('connection').getByText('Live').waitFor()
    // About 27 MB: under the default log cap (50 MB), so every line is kept to be read back.
    const lines = 2_000_000
    // Fast, but with a short pause every 50,000 lines, so it is still running when the screenshot is taken.
    const command = `seq 1 ${lines} | awk '{ print "fast " $1; if ($1 % 50000 == 0) { fflush(); system("sleep 0.05") } }'`
    await own.keyboard.press('n')
    await own.keyboard.type(command)
    await own.keyboard.press('Enter')
    const view = own.locator('aside.detail')
    await view.locator('code.detail-command', { hasText: command }).waitFor()
    const follow = view.getByRole('button', { name: /Follow/ })
    // Mid-run: the follow view shows lines far into the log while they are written.
    await view.locator('.log-line[data-line]').filter({ hasText: /fast \d{6,}/ }).first().waitFor({ timeout: 60_000 })
    await own.screenshot({ path: join(ARTIFACTS, 'log-follow-fast-run-light.png') })
    const last = view.locator(`.log-line[data-line="${lines - 1}"]`, { hasText: `fast ${lines}` })
    await last.waitFor({ timeout: 120_000 })
    expect(await follow.getAttribute('aria-pressed')).toBe('true')
    await view.locator('.detail-title .status-succeeded').waitFor({ timeout: 30_000 })
    const logChars = Array.from({ length: lines }, (_, i) => 'fast '.length + String(i + 1).length + 1).reduce((a, b) => a + b, 0)
    // Watched and coalesced: the page was sent its newest lines, not the whole log.
    expect(outputChars).toBeLessThan(logChars / 10)
    // Scrolling up reads the lines it was never sent, with run.readLog.
    await view.locator('.log-scroll').hover()
    await own.mouse.wheel(0, -30_000)
    await expect.poll(() => follow.getAttribute('aria-pressed')).toBe('false')
    const shown = view.locator('.log-line[data-line]').filter({ hasText: /fast \d+/ }).first()
    await shown.waitFor()
    const n = Number(await shown.getAttribute('data-line'))
    // Thousands of lines above the newest ones the page was sent.
    expect(n).toBeLessThan(lines - 1000)
    expect(await shown.textContent()).toMatch(new RegExp(`fast ${n + 1}$`))
    await own.evaluate('document.activeElement?.blur()')
    await own.keyboard.press(':')
    await own.keyboard.type('1')
    await own.keyboard.press('Enter')
    await view.locator('.log-line[data-line="0"]', { hasText: 'fast 1' }).waitFor()
    expect(pageErrors).toEqual([])
    await context.close()
  })

  it('after a reconnect, re-reads an open log (output written while away) and watches its run again (output after)', async () => {
    const context = await ui.browser.newContext({ viewport: { width: 1360, height: 820 }, locale: 'en-US', reducedMotion: 'reduce' })
    const own = await context.newPage()
    await own.goto(ui.served.browserUrl)
    const connection = own.getByTestId('connection')
    await connection.getByText('Live').waitFor()
    const gate = (n: number) => join(ui.home, `reconnect-gate-${n}`)
    const command = `echo before-away; until [ -f ${gate(1)} ]; do sleep 0.02; done; echo while-away; until [ -f ${gate(2)} ]; do sleep 0.02; done; echo after-back`
    await own.keyboard.press('n')
    await own.keyboard.type(command)
    await own.keyboard.press('Enter')
    const log = own.locator('aside.detail .log-scroll')
    await log.getByText('before-away', { exact: true }).waitFor()
    const taskId = ((await own.locator('aside.detail .detail-id').textContent()) ?? '').replace('#', '')

    // A wrong token in the URL makes the tab reconnect and be refused: it is away.
    const wrongUrl = ui.served.browserUrl.replace(/token=[^&]+/, 'token=wrong')
    await own.goto(wrongUrl)
    await connection.getByText(/Not authorized/).waitFor()
    await writeFile(gate(1), '')
    await expect.poll(() => cli(ui.home, ['log', taskId])).toContain('while-away')

    // Back with the right token: the open log reads what it missed, and its run's output flows again.
    await own.goto(ui.served.browserUrl)
    await connection.getByText('Live').waitFor()
    await log.getByText('while-away', { exact: true }).waitFor()
    await writeFile(gate(2), '')
    await log.getByText('after-back', { exact: true }).waitFor()
    await context.close()
  })

  it('searches a large log with next/previous and jumps to a line', async () => {
    await submitByKeyboard('seq 1 300000')
    await detail().locator('.detail-title .status-succeeded').waitFor({ timeout: 60_000 })
    await expect.poll(() => detail().locator('.log-count').textContent(), { timeout: 30_000 }).toContain('300,000 lines')
    const search = detail().getByRole('searchbox', { name: 'Find in output' })
    await blur()
    await page.keyboard.press(':')
    await expect.poll(() => activeId()).toBe('log-jump')
    await page.keyboard.type('123456')
    await page.keyboard.press('Enter')
    await detail().locator('.log-line.log-match[data-line="123455"]', { hasText: '123456' }).waitFor()
    // Lines holding "99999" are 99999, 199999 and 299999 (indexes one less): next, next, previous.
    await search.fill('99999')
    await search.press('Enter')
    await detail().locator('.log-line.log-match[data-line="199998"]').waitFor()
    await search.press('Enter')
    await detail().locator('.log-line.log-match[data-line="299998"]').waitFor()
    await detail().getByRole('button', { name: 'Previous match' }).click()
    await detail().locator('.log-line.log-match[data-line="199998"]').waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'log-search-light.png') })
  })

  it('marks standard error lines with more than colour: a gutter label screen readers read, never copied, moving nothing', async () => {
    // Two lines on each stream (one in ANSI colour); the log's order of the two streams is not fixed, their lines are found by text.
    const stdout = ['first on stdout', 'second on stdout']
    const stderr = ['warn: disk nearly full', 'needle on stderr']
    await submitByKeyboard(`echo ${stdout[0]}; printf '\\033[33mwarn\\033[0m: disk nearly full\\n' >&2; echo ${stdout[1]}; echo ${stderr[1]} >&2`)
    await detail().locator('.detail-title .status-succeeded').waitFor()
    await expect.poll(() => logText().locator('.log-line[data-line]:not(.log-loading)').count()).toBe(4)
    const rows = await page.evaluate<{ text: string; mark: string; markAlt: string; height: number; textLeft: number }[]>(`[...document.querySelectorAll('.log-scroll .log-line')].map((row) => {
      const mark = row.querySelector('.log-mark')
      return {
        text: row.querySelector('.log-text').textContent,
        mark: getComputedStyle(mark, '::before').content,
        markAlt: mark.dataset.label ?? '',
        height: row.getBoundingClientRect().height,
        textLeft: row.querySelector('.log-text').getBoundingClientRect().left,
      }
    })`)
    const byText = new Map(rows.map((row) => [row.text, row]))
    // Seen: the mark is drawn on stderr lines alone.
    for (const text of stderr) expect(byText.get(text)?.mark).toMatch(/^"err" \/ /)
    for (const text of stdout) expect(byText.get(text)?.mark).toBe('none')
    // Nothing moves: every line is one row high and its text starts at the same place.
    expect(new Set(rows.map((row) => row.height))).toEqual(new Set([18]))
    expect(new Set(rows.map((row) => row.textLeft)).size).toBe(1)

    // Heard: screen readers get the label before each stderr line and before no other.
    const spoken = (await logText().ariaSnapshot()).replaceAll(/standard error:\s*/g, 'standard error:')
    for (const text of stderr) expect(spoken).toContain(`standard error:${text}`)
    for (const text of stdout) expect(spoken).not.toContain(`standard error:${text}`)
    expect(spoken.split('standard error:').length - 1).toBe(2)

    // Copied, by the Copy button or by selecting the lines: the log's text as shown (no colour codes), without the mark.
    const order = rows.map((row) => row.text)
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
    await detail().getByRole('button', { name: 'Copy' }).click()
    await expect.poll(() => page.evaluate('navigator.clipboard.readText()')).toBe(order.join('\n'))
    await page.evaluate(`(() => {
      const lines = document.createRange()
      lines.selectNodeContents(document.querySelector('.log-scroll .log-block'))
      getSelection().removeAllRanges()
      getSelection().addRange(lines)
    })()`)
    await page.keyboard.press('Control+c')
    await expect.poll(() => page.evaluate('navigator.clipboard.readText()')).toBe(order.join('\n'))
    await page.evaluate('getSelection().removeAllRanges()')

    // Found by search: the stderr line's match is highlighted, its mark kept.
    await detail().getByRole('searchbox', { name: 'Find in output' }).fill('needle')
    const found = logText().locator('.log-line', { hasText: stderr[1] })
    await found.locator('mark.match', { hasText: 'needle' }).waitFor()
    expect(await page.evaluate(`getComputedStyle(document.querySelector('.log-line.log-stderr .log-text mark.match').closest('.log-line').querySelector('.log-mark'), '::before').content`)).toMatch(/^"err"/)
    await page.screenshot({ path: join(ARTIFACTS, 'log-stderr-light.png') })
    await detail().getByRole('searchbox', { name: 'Find in output' }).fill('')
  })

  it('selects several tasks and cancels them in one bulk action', async () => {
    for (let i = 0; i < 3; i++) await submitByKeyboard(`sleep 60 # bulk ${i}`)
    await page.keyboard.press('Escape')
    await page.keyboard.press('Escape')
    await page.locator('#task-search').fill('# bulk')
    await expect.poll(() => page.locator('[data-task-id]').count()).toBe(3)
    await blur()
    // Mouse: click the first, Shift+click the last selects the range.
    await page.locator('[data-task-id]').first().click()
    await page.keyboard.press('Escape')
    await page.locator('[data-task-id]').last().click({ modifiers: ['Shift'] })
    await page.getByRole('toolbar', { name: 'Selected tasks' }).getByText('3 selected').waitFor()
    await page.keyboard.press('Escape')
    await page.getByRole('toolbar', { name: 'Selected tasks' }).waitFor({ state: 'detached' })
    // Keyboard: select all shown.
    await page.keyboard.press('Control+a')
    await page.getByRole('toolbar', { name: 'Selected tasks' }).getByText('3 selected').waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'bulk-light.png') })
    await page.keyboard.press('c')
    await expect.poll(() => page.locator('[data-task-id] .status-cancelled').count(), { timeout: 20_000 }).toBe(3)
    // Again: nothing left to cancel, and the user is told so instead of a key that seems dead.
    await page.keyboard.press('c')
    await page.locator('.toast-info', { hasText: 'left as is: already finished.' }).waitFor()
    await page.keyboard.press('Escape')
    // The detail says why once ("Cancelled cancelled by user" said it twice).
    await page.locator('[data-task-id]').first().click()
    await expect.poll(() => page.getByTestId('failure-reason').textContent()).toBe('Cancelled by user')
    await page.keyboard.press('Escape')
    await page.locator('#task-search').fill('')
    expect(errors).toEqual([])
  })

  it('removes the finished tasks of a selection, and their logs, after asking once; unfinished ones stay', async () => {
    await submitByKeyboard('echo done # clean 1')
    await submitByKeyboard('echo done # clean 2')
    await submitByKeyboard('sleep 60 # clean 3')
    await page.keyboard.press('Escape')
    await page.keyboard.press('Escape')
    await page.locator('#task-search').fill('# clean')
    await expect.poll(() => page.locator('[data-task-id] .status-succeeded').count(), { timeout: 20_000 }).toBe(2)
    await page.locator('#task-list').focus()
    await page.keyboard.press('Control+a')
    const bar = page.getByRole('toolbar', { name: 'Selected tasks' })
    await bar.getByText('3 selected').waitFor()
    await bar.getByRole('button', { name: 'Remove…' }).click()
    // Asked once, saying what stays; the answer has the keyboard and reads the question.
    await bar.getByText('Remove 2 finished tasks and their logs for good? 1 unfinished task stays.').waitFor()
    const confirm = bar.getByRole('button', { name: 'Remove 2 tasks' })
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Remove 2 tasks')
    expect(await confirm.getAttribute('aria-describedby')).toBe('bulk-remove-question')
    await page.screenshot({ path: join(ARTIFACTS, 'bulk-remove-light.png') })
    const focusedText = () => page.evaluate('document.activeElement?.textContent')
    // "Keep them" asks nothing more and removes nothing; the keyboard goes back to "Remove…".
    await bar.getByRole('button', { name: 'Keep them' }).click()
    expect(await page.locator('[data-task-id]').count()).toBe(3)
    await expect.poll(focusedText).toBe('Remove…')
    // Esc answers the question as Keep does: the selection stays, and so does the keyboard on "Remove…".
    await page.keyboard.press('Enter')
    await bar.getByRole('button', { name: 'Remove 2 tasks' }).waitFor()
    await page.keyboard.press('Escape')
    await bar.getByRole('button', { name: 'Remove…' }).waitFor()
    expect(await bar.getByText('3 selected').count()).toBe(1)
    await expect.poll(focusedText).toBe('Remove…')
    await bar.getByRole('button', { name: 'Remove…' }).click()
    await page.keyboard.press('Enter')
    await expect.poll(() => page.locator('[data-task-id]').count()).toBe(1)
    expect(await page.locator('[data-task-id] .status-running').count()).toBe(1)
    // The removed are no longer counted in the selection.
    await bar.getByText('1 selected').waitFor()
    expect(await bar.getByRole('button', { name: 'Remove…' }).isDisabled()).toBe(true)
    await page.keyboard.press('c')
    await page.locator('[data-task-id] .status-cancelled').waitFor()
    await page.keyboard.press('Escape')
    await page.locator('#task-search').fill('')
    expect(errors).toEqual([])
  })

  it('ends the remove question when its tasks are removed elsewhere, and does not ask it again when another selected task finishes', async () => {
    await submitByKeyboard('echo done # elsewhere 1')
    await submitByKeyboard('sleep 60 # elsewhere 2')
    await page.keyboard.press('Escape')
    await page.keyboard.press('Escape')
    await page.locator('#task-search').fill('# elsewhere')
    await page.locator('[data-task-id] .status-succeeded').waitFor({ timeout: 20_000 })
    await page.locator('[data-task-id] .status-running').waitFor()
    const idOf = async (status: string) => Number(await page.locator('[data-task-id]').filter({ has: page.locator(`.status-${status}`) }).getAttribute('data-task-id'))
    const [finishedId, runningId] = [await idOf('succeeded'), await idOf('running')]
    await page.locator('#task-list').focus()
    await page.keyboard.press('Control+a')
    const bar = page.getByRole('toolbar', { name: 'Selected tasks' })
    await bar.getByRole('button', { name: 'Remove…' }).click()
    const question = bar.locator('#bulk-remove-question')
    await question.waitFor()
    // Another client removes the finished task: nothing is left to ask about.
    await callServer(ui.home, ui.served, 'task.clean', { taskIds: [finishedId] })
    await bar.getByText('1 selected').waitFor()
    await question.waitFor({ state: 'detached' })
    // The running one ends: the question is not put again by itself.
    await callServer(ui.home, ui.served, 'task.cancel', { taskIds: [runningId] })
    await page.locator(`[data-task-id="${runningId}"] .status-cancelled`).waitFor()
    expect(await question.count()).toBe(0)
    expect(await bar.getByRole('button', { name: 'Remove…' }).isEnabled()).toBe(true)
    await page.keyboard.press('Escape')
    await page.locator('#task-search').fill('')
    expect(errors).toEqual([])
  })

  it('tells about a finished task with the shared notification decisions (a toast without browser permission)', async () => {
    await blur()
    await page.keyboard.press('g')
    await page.keyboard.press('s')
    const toggle = page.getByRole('switch', { name: 'Only when Taskdeck is not focused' })
    await toggle.click()
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('false')
    await submitByKeyboard('sleep 0.3; exit 4')
    // A failure is an error: in the assertive live region (no role of its own there: it would be read twice).
    const toast = page.locator('[aria-live=assertive] .toast', { hasText: 'Failed: sleep 0.3; exit 4' })
    await toast.waitFor()
    expect(await toast.textContent()).toMatch(/exited with code 4/i)
    await page.screenshot({ path: join(ARTIFACTS, 'toast-light.png') })
    await toast.getByRole('button', { name: 'Dismiss' }).click()
    await expect.poll(() => toast.count()).toBe(0)
  })
})
