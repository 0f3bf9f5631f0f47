import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { en } from '../../src-renderer/i18n/en.ts'
import { ko } from '../../src-renderer/i18n/ko.ts'
import { runAxe } from './axe.ts'
import { ARTIFACTS, callServer, cli, openPage, serve, useServedUi } from './harness.ts'

const ui = useServedUi()

beforeAll(async () => {
  // Every status a task can be in, a dependency, a group with a limit, and a script with a result.
  await cli(ui.home, ['group', 'add', 'one', '--parallel', '1'])
  await cli(ui.home, ['add', '-q', '-n', 'Build app', '-l', 'build', '--shell', 'printf "\\033[32mok\\033[0m compiled\\n"; echo warning >&2'])
  await cli(ui.home, ['add', '-q', '-n', 'Unit tests', '-l', 'test', '--shell', 'echo "1 failing" >&2; exit 1'])
  await cli(ui.home, ['add', '-q', '-n', 'Long runner', '-g', 'one', '--shell', 'sleep 600'])
  await cli(ui.home, ['add', '-q', '-n', 'Queued behind it', '-g', 'one', '--shell', 'sleep 600'])
  await cli(ui.home, ['add', '-q', '-n', 'To cancel', '-g', 'one', '--shell', 'sleep 600'])
  await cli(ui.home, ['add', '-q', '-n', 'Later', '-d', '30m', '--shell', 'echo later'])
  await cli(ui.home, ['add', '-q', '-n', 'Stashed one', '--stash', '--shell', 'echo stashed'])
  const script = join(ui.home, 'sum.mjs')
  await writeFile(script, 'export default (input) => { console.log(`adding ${input.upTo}`); let sum = 0; for (let i = 1; i <= input.upTo; i++) sum += i; return { sum } }\n')
  await callServer(ui.home, ui.served, 'task.submit', { definition: { name: 'Sum script', spec: { kind: 'script', path: script, input: { upTo: 10 } } } })
  // A run with a progress bar in its row.
  const halfway = join(ui.home, 'halfway.mjs')
  await writeFile(halfway, 'export default async (input, api) => { api.progress(3, 10); await new Promise((r) => setTimeout(r, 600_000)) }\n')
  await callServer(ui.home, ui.served, 'task.submit', { definition: { name: 'Halfway', spec: { kind: 'script', path: halfway } } })
})

/** One axe finding, said so that a failing run names what to fix. */
interface Finding {
  where: string
  rule: string
  impact: string
  targets: string
  help: string
}

/** axe's findings on what the page shows now (runAxe: every WCAG 2.x A/AA and best-practice rule, every impact). */
async function audit(page: Page, where: string): Promise<Finding[]> {
  const results = await runAxe(page)
  return results.violations.flatMap((violation) =>
    violation.nodes.map((node) => ({
      where,
      rule: violation.id,
      impact: node.impact ?? violation.impact ?? 'unknown',
      targets: node.target.map(String).join(' '),
      help: `${violation.help}${node.failureSummary ? ` — ${node.failureSummary.replace(/\s+/g, ' ')}` : ''} (${violation.helpUrl})`,
    })),
  )
}

/** One line per element and rule (the states it was seen in gathered at the end): rule, impact, element, what to do. */
function report(findings: Finding[]): string {
  const lines = new Map<string, string[]>()
  for (const f of findings) {
    const line = `${f.rule} (${f.impact}): ${f.targets} — ${f.help}`
    lines.set(line, [...(lines.get(line) ?? []), f.where])
  }
  return [...lines].map(([line, where]) => `${line} [in ${where.join('; ')}]`).join('\n')
}

const press = async (page: Page, ...keys: string[]) => {
  for (const key of keys) await page.keyboard.press(key)
}
const blur = (page: Page) => page.evaluate('document.activeElement?.blur()')
const task = (page: Page, name: string) => page.locator('[data-task-id]', { hasText: name })

async function shoot(page: Page, name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `a11y-${name}.png`) })
}

describe('axe finds nothing to fix', () => {
  for (const language of ['en', 'ko'] as const) {
    for (const theme of ['light', 'dark'] as const) {
      it(`in every view and overlay (${language}, ${theme})`, async () => {
        const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, theme, { locale: language === 'ko' ? 'ko-KR' : 'en-US' })
        expect(await page.evaluate('document.documentElement.lang')).toBe(language)
        const tag = `${language}-${theme}`
        const findings: Finding[] = []
        const check = async (where: string) => findings.push(...(await audit(page, `${where} (${tag})`)))

        // Tasks: every status, the cursor on one, two checked (the bulk bar).
        await task(page, 'Long runner').locator('.status-running').waitFor()
        await task(page, 'Unit tests').locator('.status-failed').waitFor()
        await task(page, 'Sum script').locator('.status-succeeded').waitFor()
        await task(page, 'Halfway').getByRole('progressbar').waitFor()
        await blur(page)
        await press(page, 'j', 'Shift+J')
        await page.locator('.bulk-bar').waitFor()
        await check('tasks with a selection')
        await shoot(page, `tasks-${tag}`)
        await press(page, 'Escape')

        // Task detail, each tab (the script's Result too).
        await task(page, 'Sum script').click()
        await page.getByTestId('run-result').or(page.locator('.log-scroll .log-line')).first().waitFor()
        const tabs = page.getByRole('tablist').getByRole('tab')
        await expect.poll(() => tabs.count()).toBe(4)
        for (let i = 0; i < 4; i++) {
          await tabs.nth(i).click()
          await check(`task detail, tab ${i + 1}`)
        }
        await shoot(page, `detail-${tag}`)
        await task(page, 'Unit tests').click()
        await page.getByTestId('failure-reason').waitFor()
        await check('failed task detail')
        await task(page, 'Later').click()
        await check('waiting task detail')

        // The new-task form, each type, with field errors shown (and the engine's refusal under its field).
        await page.locator('.quick-add .btn-ghost').click()
        await page.locator('#f-command').waitFor()
        await page.locator('#f-timeoutSec').fill('-3')
        await page.keyboard.press('Control+Enter')
        await page.locator('#f-timeoutSec-error').waitFor()
        await check('new shell task with errors')
        await page.locator('#f-timeoutSec').fill('')
        await page.locator('#f-command').fill('true')
        await page.locator('#f-cwd').fill('/definitely/not/here')
        await page.keyboard.press('Control+Enter')
        await page.locator('#f-cwd-error').waitFor()
        await check('new task refused')
        await shoot(page, `form-errors-${tag}`)
        const kinds = page.getByRole('radiogroup').getByRole('radio')
        await kinds.nth(1).click()
        await page.locator('#f-urls').waitFor()
        await page.keyboard.press('Control+Enter')
        await page.locator('#f-urls-error').waitFor()
        // Each field names its message: the problem when there is one, else its hint.
        expect(await page.locator('#f-urls').getAttribute('aria-describedby')).toBe('f-urls-error')
        expect(await page.locator('#f-maxBytes').getAttribute('aria-describedby')).toBe('f-maxBytes-hint')
        // The default in the field's unit (bytes), written as the language writes numbers, not a raw 104857600.
        expect(await page.locator('#f-maxBytes').getAttribute('placeholder')).toBe((100 * 1024 * 1024).toLocaleString(language))
        await check('new HTTP task with errors')
        await kinds.nth(2).click()
        await page.locator('#f-scriptPath').waitFor()
        await page.keyboard.press('Control+Enter')
        await page.locator('#f-scriptPath-error').waitFor()
        await check('new script task with errors')

        // The edit form of a task that has not started.
        await blur(page)
        await press(page, 'g', 't')
        await task(page, 'Stashed one').click()
        await blur(page)
        await press(page, 'e')
        await page.locator('#f-name').waitFor()
        await check('edit form')

        await blur(page)
        await press(page, 'Escape', 'g', 'l')
        await page.locator('.lane-running .lane-item').first().waitFor()
        await check('loop')
        await shoot(page, `loop-${tag}`)
        // Each view by its own heading (a selector the view before also matches would not wait at all).
        const words = language === 'ko' ? ko : en
        await press(page, 'g', 'd')
        await page.getByRole('heading', { level: 1, name: words.dashboard.title, exact: true }).waitFor()
        await check('dashboard')
        await press(page, 'g', 'w')
        await page.getByRole('heading', { level: 1, name: words.workers.title, exact: true }).waitFor()
        await check('workers')
        await press(page, 'g', 's')
        await page.getByRole('heading', { level: 1, name: words.settings.title, exact: true }).waitFor()
        await check('settings')
        // Rebinding a key: recording, then a clash waiting for an answer.
        await page.locator('button[aria-pressed]', { hasText: /Change|변경/ }).first().click()
        await page.locator('.keymap-recording').waitFor()
        await check('settings, recording a shortcut')
        await press(page, 'g')
        await page.locator('tr [role=alert]').first().waitFor()
        await check('settings, a shortcut clash')
        await shoot(page, `settings-clash-${tag}`)
        await page.locator('tr [role=alert] button').last().click()

        await press(page, 'Control+k')
        await page.getByRole('dialog').waitFor()
        await check('command palette')
        await shoot(page, `palette-${tag}`)
        await page.keyboard.type('zzzz nothing like this')
        await page.locator('.palette-empty').waitFor()
        await check('command palette, nothing found')
        await shoot(page, `palette-empty-${tag}`)
        await press(page, 'Escape')

        // Below 1000 px the sidebar shows icons only.
        await page.setViewportSize({ width: 900, height: 700 })
        await press(page, 'g', 't')
        await task(page, 'Unit tests').click()
        await check('narrow window with a task open')
        await shoot(page, `narrow-${tag}`)

        expect(report(findings)).toBe('')
        expect(errors).toEqual([])
        await page.context().close()
      })
    }
  }
})

/** What has the keyboard: its id, else its label or text (BODY when focus was lost). */
const focused = (page: Page) =>
  page.evaluate<string>(`(() => {
    const e = document.activeElement
    if (!e || e === document.body) return 'BODY'
    return e.id || e.getAttribute('aria-label') || e.textContent.trim()
  })()`)
const focusIsWithin = (page: Page, selector: string) => page.evaluate<boolean>(`Boolean(document.activeElement?.closest(${JSON.stringify(selector)}))`)

/** WCAG contrast of two CSS colours (rgb()/rgba() as getComputedStyle gives them). */
function contrast(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, bl] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((c) => {
      const v = Number(c) / 255
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4
    })
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!
  }
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi! + 0.05) / (lo! + 0.05)
}

/** The focused element's ring: its outline (or, for text fields, its border) and the background around it. */
const ringOf = (page: Page) =>
  page.evaluate<{ visible: boolean; style: string; width: string; ring: string; background: string }>(`(() => {
    const e = document.activeElement
    const style = getComputedStyle(e)
    const field = e.matches('input:not([type=checkbox]):not([type=radio]), select, textarea')
    let background = 'rgb(255, 255, 255)'
    for (let n = e.parentElement; n; n = n.parentElement) {
      const bg = getComputedStyle(n).backgroundColor
      if (bg && bg !== 'transparent' && !bg.startsWith('rgba(0, 0, 0, 0')) { background = bg; break }
    }
    return {
      visible: e.matches(':focus-visible'),
      style: field ? style.borderTopStyle : style.outlineStyle,
      width: field ? style.borderTopWidth : style.outlineWidth,
      ring: field ? style.borderTopColor : style.outlineColor,
      background,
    }
  })()`)

describe('keyboard only', () => {
  it('keeps the keyboard in the palette, and gives it back to what opened it', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await task(page, 'Long runner').locator('.status-running').waitFor()
    // Polite, not chatty: the live regions hold states, not the seq that changes with every event.
    expect(await page.getByTestId('connection').getByRole('status').textContent()).toBe('Live')
    expect(await page.locator('[aria-live] .connection-seq, [role=status] .connection-seq').count()).toBe(0)
    // Errors are read at once, the rest politely: two live regions, each toast in one.
    const toasts = page.getByRole('region', { name: 'Notifications' })
    expect(await toasts.locator('[aria-live=assertive]').count()).toBe(1)
    expect(await toasts.locator('[aria-live=polite]').count()).toBe(1)
    const dashboard = page.getByRole('navigation').getByRole('button', { name: 'Dashboard' })
    await dashboard.focus()
    await press(page, 'Control+k')
    const palette = page.getByRole('dialog', { name: 'Command palette' })
    await palette.waitFor()
    expect(await focusIsWithin(page, '[role=dialog]')).toBe(true)
    // Tab and Shift+Tab stay in the dialog (aria-modal: the page behind is out of reach).
    await press(page, 'Tab', 'Tab', 'Shift+Tab')
    expect(await focusIsWithin(page, '[role=dialog]')).toBe(true)
    // The field says whether its list is shown: not while nothing matches (the list is hidden then).
    const combobox = palette.getByRole('combobox')
    expect(await combobox.getAttribute('aria-expanded')).toBe('true')
    await page.keyboard.type('zzzz nothing like this')
    await palette.locator('.palette-empty').waitFor()
    expect(await combobox.getAttribute('aria-expanded')).toBe('false')
    await combobox.fill('')
    await expect.poll(() => combobox.getAttribute('aria-expanded')).toBe('true')
    await press(page, 'Escape')
    await palette.waitFor({ state: 'detached' })
    expect(await focused(page)).toMatch(/Dashboard/)
    // A command that takes the keyboard somewhere keeps it there.
    await press(page, 'Control+k')
    await page.keyboard.type('search tasks')
    await press(page, 'Enter')
    await palette.waitFor({ state: 'detached' })
    expect(await focused(page)).toBe('task-search')
    // A search says how many tasks it found, once the typing settles; the visible count (which follows every new task) is not live.
    const announced = page.locator('.filters [role=status]')
    expect(await announced.textContent()).toBe('')
    await page.evaluate(`(() => {
      const region = document.querySelector('.filters [role=status]')
      window.announcements = []
      new MutationObserver(() => window.announcements.push(region.textContent)).observe(region, { childList: true, characterData: true, subtree: true })
    })()`)
    const announcements = () => page.evaluate<string[]>('window.announcements')
    // Keys a little apart, so that each could be refiltered (and was said, one after another, before).
    await page.keyboard.type('Halfway', { delay: 40 })
    await expect.poll(() => announced.textContent()).toMatch(/^1 of \d+$/)
    const said = await announced.textContent()
    expect(await announcements()).toEqual([said])
    expect(await page.locator('.filters .count').getAttribute('aria-live')).toBeNull()
    // A task that arrives afterwards and matches changes the visible count, not what was said.
    await callServer(ui.home, ui.served, 'task.submit', { definition: { name: 'Halfway again', spec: { kind: 'shell', command: 'true' } } })
    await page.locator('.filters .count', { hasText: /^2 of \d+$/ }).waitFor()
    expect(await announced.textContent()).toBe(said)
    expect(await announcements()).toEqual([said])
    await page.locator('#task-search').fill('')
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('puts the keyboard somewhere sensible when the focused button goes away', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    // The list is one Tab stop whose active row follows the cursor.
    const list = page.getByRole('grid')
    await list.focus()
    await press(page, 'j')
    const cursorRow = await page.locator('[data-task-id].cursor').getAttribute('id')
    expect(await list.getAttribute('aria-activedescendant')).toBe(cursorRow)
    // A task arriving on top shifts the rows: the active row stays the same element (its id does not move to another one),
    // and so does every other row (each moves down; none is rewritten with its neighbour's task: docs/benchmarks.md, UI "Session 14").
    await page.evaluate(`window.activeRow = document.getElementById(${JSON.stringify(cursorRow)})`)
    await page.evaluate(`window.rowsBefore = [...document.querySelectorAll('[data-task-id]')].map((row) => [row.dataset.taskId, row])`)
    await callServer(ui.home, ui.served, 'task.submit', { definition: { name: 'Arrived on top', spec: { kind: 'shell', command: 'true' } } })
    await task(page, 'Arrived on top').waitFor()
    expect(await list.getAttribute('aria-activedescendant')).toBe(cursorRow)
    expect(await page.evaluate<boolean>(`window.activeRow === document.getElementById(${JSON.stringify(cursorRow)}) && window.activeRow.classList.contains('cursor')`)).toBe(true)
    expect(await list.getAttribute('aria-rowcount')).toBe(String(await page.locator('[data-task-id]').count()))
    const rows = await page.evaluate<{ still: number; kept: number; rewritten: number; indexes: number[] }>(`(() => {
      const now = new Map([...document.querySelectorAll('[data-task-id]')].map((row) => [row.dataset.taskId, row]))
      const still = window.rowsBefore.filter(([id]) => now.has(id))
      return {
        still: still.length,
        kept: still.filter(([id, row]) => now.get(id) === row).length,
        rewritten: window.rowsBefore.filter(([id, row]) => row.isConnected && row.dataset.taskId !== id).length,
        indexes: [...document.querySelectorAll('[data-task-id]')].map((row) => Number(row.getAttribute('aria-rowindex'))),
      }
    })()`)
    expect(rows.still).toBeGreaterThan(1)
    expect(rows.kept).toBe(rows.still)
    expect(rows.rewritten).toBe(0)
    // In the document in the order they are shown (aria-rowindex rises from row to row).
    expect(rows.indexes).toEqual([...rows.indexes].sort((a, b) => a - b))

    // Cancel ends the task: its button goes, and the keyboard stays in the task's actions (now Retry).
    await task(page, 'To cancel').click()
    const cancel = page.locator('.detail-actions').getByRole('button', { name: /^Cancel/ })
    await cancel.focus()
    await press(page, 'Enter')
    await page.locator('.detail-title .status-cancelled').waitFor()
    await expect.poll(() => focused(page)).toMatch(/Retry/)

    // × closes the task: the list takes the keyboard.
    await page.locator('.detail-title .close').focus()
    await press(page, 'Enter')
    await page.locator('.detail').waitFor({ state: 'detached' })
    await expect.poll(() => focused(page)).toBe('task-list')

    // Clear removes the bulk bar: the list again.
    await press(page, 'Shift+J')
    await page.getByRole('toolbar', { name: 'Selected tasks' }).getByRole('button', { name: /Clear/ }).focus()
    await press(page, 'Enter')
    await page.locator('.bulk-bar').waitFor({ state: 'detached' })
    await expect.poll(() => focused(page)).toBe('task-list')

    // Clear and Reset of a shortcut remove themselves: the row's Change button takes the keyboard.
    await press(page, 'Escape', 'g', 's')
    await page.getByRole('button', { name: 'Clear the shortcut for Retry task(s)', exact: true }).focus()
    await press(page, 'Enter')
    await expect.poll(() => focused(page)).toBe('Change the shortcut for Retry task(s)')
    await page.getByRole('button', { name: 'Reset the shortcut for Retry task(s)', exact: true }).focus()
    await press(page, 'Enter')
    await page.getByRole('button', { name: 'Reset the shortcut for Retry task(s)', exact: true }).waitFor({ state: 'detached' })
    await expect.poll(() => focused(page)).toBe('Change the shortcut for Retry task(s)')

    // Closing the last toast: the view's heading, not <body> (nor a ring around the whole panel). The toast: cancelling
    // a task that has finished is left as is, and said so.
    await press(page, 'g', 't')
    await page.locator('#task-search').fill('Unit tests')
    await expect.poll(() => page.locator('[data-task-id]').count()).toBe(1)
    await page.locator('[data-task-id]').first().click()
    await press(page, 'Escape', 'c')
    await page.locator('.toast').waitFor()
    await page.locator('.toast-close').focus()
    await press(page, 'Enter')
    await page.locator('.toast').waitFor({ state: 'detached' })
    await expect.poll(() => focused(page)).toBe('tasks-heading')
    expect(await page.evaluate('document.activeElement.matches("h1[data-view-heading]")')).toBe(true)
    expect((await ringOf(page)).style).toBe('none')
    expect(errors).toEqual([])
    await page.context().close()
  })

  it("puts the keyboard on the new view's heading after a view switch: read out, no ring, and Tab goes on into the view", async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await task(page, 'Long runner').waitFor()
    const heading = () => page.evaluate<string>('document.activeElement.matches("h1[data-view-heading]") ? document.activeElement.textContent : "not a heading: " + document.activeElement.outerHTML.slice(0, 80)')
    // From the list (which the switch removes), by g-chords.
    await page.getByRole('grid').focus()
    for (const [key, title] of [['d', en.dashboard.title], ['l', en.loop.title], ['w', en.workers.title], ['s', en.settings.title], ['t', en.nav.tasks]] as const) {
      await press(page, 'g', key)
      await expect.poll(heading).toBe(title)
      // A heading is not a control: no ring (the panel's ring looked like a bug), though the keyboard put it there.
      expect((await ringOf(page)).style).toBe('none')
    }
    // From the sidebar, where the focus was not lost: the new view's heading too.
    await page.getByRole('navigation').getByRole('button', { name: 'Dashboard' }).focus()
    await press(page, 'Enter')
    await expect.poll(heading).toBe(en.dashboard.title)
    // Tab goes on into the view, to a control that shows its ring.
    await press(page, 'Tab')
    expect(await focusIsWithin(page, 'main')).toBe(true)
    expect((await ringOf(page)).visible).toBe(true)
    // From the palette: the palette gives the keyboard to the new view, not back to what opened it.
    await press(page, 'Control+k')
    await page.keyboard.type(en.command['view.settings'])
    await press(page, 'Enter')
    await expect.poll(heading).toBe(en.settings.title)
    // A command that takes the keyboard into its view keeps it there.
    await press(page, '/')
    await expect.poll(() => focused(page)).toBe('task-search')
    await press(page, 'Escape', 'g', 'l')
    await expect.poll(heading).toBe(en.loop.title)
    await press(page, 'n')
    await expect.poll(() => focused(page)).toBe('quick-add')
    // Opening a task is not a view switch: the list keeps the keyboard.
    await press(page, 'Escape')
    await page.getByRole('grid').focus()
    await press(page, 'j', 'Enter')
    await page.locator('.detail').waitFor()
    expect(await focused(page)).toBe('task-list')
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('rescues the keyboard past a target that cannot take it, and from a button hidden while still on the page', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await task(page, 'Long runner').waitFor()
    // Scopes built in the page: what is tested is the app's own listener on the real document.
    const place = (html: string) => page.evaluate(`document.getElementById('main').insertAdjacentHTML('beforeend', ${JSON.stringify(html)})`)
    await place(
      '<div data-focus-scope="" id="outer"><button id="outer-button">outer</button>' +
        '<div data-focus-scope="button.preferred"><button class="preferred" hidden>hidden</button><button id="goes-away">goes away</button></div></div>',
    )
    await page.locator('#goes-away').focus()
    await page.evaluate(`document.getElementById('goes-away').remove()`)
    // The inner scope's choice is hidden: focus did not land there, so the next scope is tried.
    await expect.poll(() => focused(page)).toBe('outer-button')

    await place('<div data-focus-scope=""><button id="hides">hides</button><button id="stays">stays</button></div>')
    await page.locator('#hides').focus()
    await page.evaluate(`document.getElementById('hides').hidden = true`)
    await expect.poll(() => focused(page)).toBe('stays')
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('keeps the keyboard on a submit button while its task is being sent, and sends it once', async () => {
    // The page's WebSocket goes through the test, which holds task.submit until told: the busy state lasts as long as needed.
    const context = await ui.browser.newContext({ viewport: { width: 1360, height: 820 }, reducedMotion: 'reduce' })
    const page = await context.newPage()
    let holding = true
    const held: (() => void)[] = []
    await page.routeWebSocket(/.*/, (ws) => {
      const server = ws.connectToServer()
      ws.onMessage((message) => {
        if (holding && typeof message === 'string' && message.includes('"task.submit"')) held.push(() => server.send(message))
        else server.send(message)
      })
    })
    await page.goto(ui.served.browserUrl)
    await page.locator('[data-testid=connection].connection-online').waitFor()
    const isFocused = (selector: string) => page.evaluate<boolean>(`document.activeElement === document.querySelector(${JSON.stringify(selector)})`)
    const release = () => {
      holding = false
      for (const send of held.splice(0)) send()
      holding = true
    }

    // Quick add.
    const run = '.quick-add button[type=submit]'
    await page.locator('#quick-add').fill('echo quick and held')
    await page.locator(run).focus()
    await press(page, 'Enter')
    await expect.poll(() => page.locator(run).getAttribute('aria-busy')).toBe('true')
    expect(await page.locator(run).getAttribute('aria-disabled')).toBe('true')
    expect(await isFocused(run)).toBe(true)
    await press(page, 'Enter')
    expect(held).toHaveLength(1)
    release()
    await task(page, 'echo quick and held').waitFor()

    // The new-task form.
    await page.locator('.quick-add .btn-ghost').click()
    await page.locator('#f-command').fill('echo form and held')
    const submit = '.form-actions button[type=submit]'
    await page.locator(submit).focus()
    await press(page, 'Enter')
    await expect.poll(() => page.locator(submit).getAttribute('aria-busy')).toBe('true')
    expect(await page.locator(submit).getAttribute('aria-disabled')).toBe('true')
    expect(await isFocused(submit)).toBe(true)
    await press(page, 'Enter')
    await press(page, 'Control+Enter')
    expect(held).toHaveLength(1)
    release()
    await task(page, 'echo form and held').waitFor()
    expect((await callServer<{ tasks: unknown[] }>(ui.home, ui.served, 'task.list', { text: 'and held' })).tasks).toHaveLength(2)
    await context.close()
  })

  it("moves between a task's tabs with the arrow keys, the tab list being one Tab stop", async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await task(page, 'Sum script').click()
    // The log's line count is not a live region (it grows with every chunk a run prints).
    await page.locator('.log-count', { hasText: '1 line' }).waitFor()
    expect(await page.locator('.log-count').getByRole('status').textContent()).toBe('')
    expect(await page.locator('.log-count[aria-live], [aria-live] .log-count').count()).toBe(0)
    const tabs = page.getByRole('tablist')
    await tabs.getByRole('tab', { name: 'Result' }).waitFor()
    expect(await tabs.locator('[role=tab][tabindex="0"]').count()).toBe(1)
    await tabs.getByRole('tab', { name: 'Output' }).focus()
    await press(page, 'ArrowRight')
    await expect.poll(() => tabs.getByRole('tab', { name: 'Result' }).getAttribute('aria-selected')).toBe('true')
    expect(await focused(page)).toBe('detail-tab-result')
    expect(await page.getByRole('tabpanel', { name: 'Result' }).getByTestId('run-result').count()).toBe(1)
    await press(page, 'End')
    await expect.poll(() => focused(page)).toBe('detail-tab-runs')
    await press(page, 'ArrowRight')
    await expect.poll(() => focused(page)).toBe('detail-tab-output')
    // The keys stayed in the tabs: the task is still open, the list's cursor did not move.
    expect(await page.locator('.detail').count()).toBe(1)
    expect(errors).toEqual([])
    await page.context().close()
  })

  for (const theme of ['light', 'dark'] as const) {
    it(`keeps text, muted and faint text visibly apart, each readable on every background (${theme})`, async () => {
      const { page } = await openPage(ui.browser, ui.served.browserUrl, theme)
      // Each token as the browser computes it (rgb()), through a probe element.
      const colours = await page.evaluate<Record<string, string>>(`(() => {
        const probe = document.createElement('span')
        document.body.append(probe)
        const out = {}
        for (const name of ['text', 'text-muted', 'text-faint', 'bg', 'bg-elev', 'bg-sunk', 'bg-hover', 'bg-active']) {
          probe.style.color = 'var(--' + name + ')'
          out[name] = getComputedStyle(probe).color
        }
        probe.remove()
        return out
      })()`)
      for (const background of ['bg', 'bg-elev', 'bg-sunk', 'bg-hover', 'bg-active']) {
        for (const text of ['text', 'text-muted', 'text-faint']) expect(contrast(colours[text]!, colours[background]!), `${text} on ${background}`).toBeGreaterThanOrEqual(4.5)
      }
      // A step of a quarter or more in contrast between neighbours (muted was 1.18 times faint, and looked the same).
      const on = (text: string) => contrast(colours[text]!, colours.bg!)
      expect(on('text') / on('text-muted')).toBeGreaterThanOrEqual(1.25)
      expect(on('text-muted') / on('text-faint')).toBeGreaterThanOrEqual(1.25)
      await page.context().close()
    })

    it(`shows a focus ring of at least 3:1 on buttons, fields and the list (${theme})`, async () => {
      const { page } = await openPage(ui.browser, ui.served.browserUrl, theme)
      await task(page, 'Long runner').waitFor()
      await page.locator('#quick-add').click()
      const rings: string[] = []
      // From the new-task field, Tab through the next controls: buttons, the search field, selects.
      for (let i = 0; i < 6; i++) {
        await press(page, 'Tab')
        const ring = await ringOf(page)
        const ratio = contrast(ring.ring, ring.background)
        if (!ring.visible || ring.style === 'none' || parseFloat(ring.width) < 1 || ratio < 3) rings.push(`${await focused(page)}: ${JSON.stringify(ring)} (${ratio.toFixed(2)}:1)`)
      }
      await page.getByRole('grid').focus()
      await press(page, 'j')
      const ring = await ringOf(page)
      if (ring.style === 'none' || contrast(ring.ring, ring.background) < 3) rings.push(`task list: ${JSON.stringify(ring)}`)
      // Into the list: a row's checkbox.
      await press(page, 'Tab')
      const check = await ringOf(page)
      if (!check.visible || check.style === 'none' || contrast(check.ring, check.background) < 3) rings.push(`${await focused(page)}: ${JSON.stringify(check)}`)
      expect(rings).toEqual([])
      await page.screenshot({ path: join(ARTIFACTS, `a11y-focus-ring-${theme}.png`) })
      await page.context().close()
    })
  }

  it('stops the Loop view’s animations when the system asks for reduced motion', async () => {
    const animations = async (reducedMotion: 'reduce' | 'no-preference') => {
      const { page } = await openPage(ui.browser, ui.served.browserUrl, 'light', { reducedMotion })
      await press(page, 'g', 'l')
      await page.locator('.lane-running .lane-item').first().waitFor()
      const count = await page.evaluate<number>('document.getAnimations().length')
      // And the switch at run time (the media query is live).
      await page.emulateMedia({ reducedMotion: reducedMotion === 'reduce' ? 'no-preference' : 'reduce' })
      const afterSwitch = await page.evaluate<number>('document.getAnimations().length')
      await page.context().close()
      return { count, afterSwitch }
    }
    const moving = await animations('no-preference')
    expect(moving.count).toBeGreaterThan(0)
    expect(moving.afterSwitch).toBe(0)
    const still = await animations('reduce')
    expect(still.count).toBe(0)
  })
})

// Last: stopping the server ends the runs the tests above rely on.
describe('axe finds nothing to fix, offline', () => {
  it('while reconnecting, in light and dark', async () => {
    for (const theme of ['light', 'dark'] as const) {
      const { page } = await openPage(ui.browser, ui.served.browserUrl, theme)
      const findings: Finding[] = []
      await ui.served.stop()
      await page.locator('[data-testid=connection].connection-offline').waitFor()
      findings.push(...(await audit(page, `offline (${theme})`)))
      await shoot(page, `offline-${theme}`)
      ui.served = await serve(ui.home, ui.port)
      await page.locator('[data-testid=connection].connection-online').waitFor({ timeout: 30_000 })
      expect(report(findings)).toBe('')
      await page.context().close()
    }
  })
})
