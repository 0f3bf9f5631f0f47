import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { Trigger } from '../../src-shared/triggers.ts'
import { axeViolations } from './axe.ts'
import { ARTIFACTS, callServer, openPage, useServedUi } from './harness.ts'

// New trigger, Edit, Remove and the firing history in the Triggers view, against `taskdeck serve`, with the keyboard only.
const ui = useServedUi()
const listTriggers = async () => (await callServer<{ triggers: Trigger[] }>(ui.home, ui.served, 'trigger.list')).triggers

/** What has the keyboard: its id, or else its accessible text. */
const focused = (page: Page) =>
  page.evaluate<string>(`(() => {
    const el = document.activeElement
    return el?.id || el?.getAttribute('aria-label') || el?.textContent?.trim() || ''
  })()`)

/** Presses Tab (or Shift+Tab) until the keyboard is on `target` (an id or accessible text), as a user would. */
async function tabTo(page: Page, target: string | RegExp, backwards = false): Promise<void> {
  const seen: string[] = []
  for (let i = 0; i < 80; i++) {
    const now = await focused(page)
    if (typeof target === 'string' ? now === target : target.test(now)) return
    seen.push(now)
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab')
  }
  throw new Error(`Tab never reached ${String(target)}; passed ${seen.join(' | ')}`)
}

describe('making and changing triggers in the Triggers view', () => {
  it('creates a schedule with the keyboard (a bad pattern refused in place), edits it, runs it, shows the firing with its task, and removes it', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await page.keyboard.press('g')
    await page.keyboard.press('r')
    await page.getByRole('heading', { level: 1, name: 'Triggers', exact: true }).waitFor()
    // The button names its shortcut; the shortcut opens the form with the keyboard in its first field.
    const newButton = page.getByRole('button', { name: /^New trigger/ })
    expect(await newButton.getAttribute('aria-keyshortcuts')).toBe('⇧T')
    await page.keyboard.press('Shift+T')
    await page.getByRole('heading', { level: 2, name: 'New trigger' }).waitFor()
    expect(await focused(page)).toBe('tf-name')
    await page.keyboard.type('nightly backup')
    await tabTo(page, 'tf-cron')
    await page.keyboard.type('61 * * * *')
    await tabTo(page, 'tf-command')
    await page.keyboard.type('echo backed-up')

    // A minute of 61 is refused before anything is sent: the message under the pattern, the keyboard on it.
    await page.keyboard.press('Control+Enter')
    const cronError = page.locator('#tf-cron-error')
    await cronError.waitFor()
    expect(await cronError.textContent()).toMatch(/^Not a usable cron pattern: .*minute.*61/)
    expect(await cronError.getAttribute('role')).toBe('alert')
    await expect.poll(() => focused(page)).toBe('tf-cron')
    expect(await page.locator('#tf-cron').getAttribute('aria-describedby')).toBe('tf-cron-error')
    expect(await listTriggers()).toEqual([])

    // Fixed: its words and next runs (croner, as the engine reads it) show as it is typed.
    await page.keyboard.press('Control+A')
    await page.keyboard.type('30 9 * * 1-5')
    const preview = page.getByRole('status', { name: 'Next runs' })
    await preview.getByText('At 9:30 AM, Monday through Friday').waitFor()
    expect(await preview.locator('li').count()).toBe(5)
    expect(await cronError.count()).toBe(0)
    expect(await axeViolations(page)).toEqual([])
    await page.locator('.trigger-editor').screenshot({ path: join(ARTIFACTS, 'triggers-form-light.png') })

    await page.keyboard.press('Control+Enter')
    const table = page.getByTestId('triggers-table')
    await table.locator('tr[data-trigger-id]').first().waitFor()
    const [made] = await listTriggers()
    expect(made).toMatchObject({ name: 'nightly backup', spec: { kind: 'schedule', cron: '30 9 * * 1-5', catchUp: 'once', overlap: 'allow' } })
    const row = table.locator(`[data-trigger-id="${made!.id}"]`)
    expect(await row.locator('td').nth(1).textContent()).toBe('At 9:30 AM, Monday through Friday 30 9 * * 1-5')
    const { savedTasks } = await callServer<{ savedTasks: { id: number; name: string; definition: { spec: { command: unknown } } }[] }>(ui.home, ui.served, 'savedTask.list')
    expect(savedTasks).toEqual([expect.objectContaining({ id: made!.savedTaskId, name: 'nightly backup', definition: expect.objectContaining({ spec: expect.objectContaining({ command: 'echo backed-up' }) as unknown }) as unknown })])
    // The new trigger is shown, with the keyboard on its heading; Edit is next.
    const detail = page.getByTestId('trigger-detail')
    await detail.getByRole('heading', { name: `Trigger #${made!.id}: nightly backup` }).waitFor()
    expect(await focused(page)).toBe('trigger-detail-title')
    await detail.getByText('It has not fired yet.').waitFor()

    // Edit its pattern.
    await page.keyboard.press('Tab')
    expect(await focused(page)).toBe('Edit nightly backup')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { level: 2, name: `Edit trigger #${made!.id}` }).waitFor()
    expect(await page.locator('#tf-cron').inputValue()).toBe('30 9 * * 1-5')
    await tabTo(page, 'tf-cron')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('0 6 * * *')
    await page.keyboard.press('Control+Enter')
    await expect.poll(() => row.locator('td').nth(1).textContent()).toBe('At 6:00 AM 0 6 * * *')
    expect((await listTriggers())[0]).toMatchObject({ id: made!.id, savedTaskId: made!.savedTaskId, spec: { cron: '0 6 * * *' } })

    // Run now (back up the page from the trigger's heading), then the firing in its history, with a link to its task.
    await tabTo(page, 'Run now: nightly backup', true)
    await page.keyboard.press('Enter')
    const history = detail.getByTestId('trigger-history')
    const firing = history.locator('tbody tr').first()
    await firing.waitFor()
    const { history: firings } = await callServer<{ history: { taskId: number; cause: string }[] }>(ui.home, ui.served, 'trigger.get', { triggerId: made!.id })
    expect(firings).toHaveLength(1)
    const taskId = firings[0]!.taskId
    expect(await firing.locator('td').nth(1).textContent()).toBe('Run now')
    expect(await firing.locator('td').nth(3).textContent()).toBe('started')
    const link = firing.getByRole('button', { name: `Task #${taskId}` })
    await link.waitFor()
    expect(await axeViolations(page)).toEqual([])
    await detail.screenshot({ path: join(ARTIFACTS, 'triggers-history-light.png') })
    await tabTo(page, `Task #${taskId}`)
    await page.keyboard.press('Enter')
    // The task it started, open in the task view.
    const task = page.locator('aside.detail')
    await task.locator('.detail-id', { hasText: `#${taskId}` }).waitFor()
    await task.locator('code.detail-command', { hasText: 'echo backed-up' }).waitFor()

    // Back, choose it again, and remove it (asked once).
    await page.keyboard.press('g')
    await page.keyboard.press('r')
    await page.getByRole('heading', { level: 1, name: 'Triggers', exact: true }).waitFor()
    await tabTo(page, `#${made!.id} nightly backup`)
    await page.keyboard.press('Enter')
    await detail.waitFor()
    await tabTo(page, 'Remove nightly backup…')
    await page.keyboard.press('Enter')
    await detail.getByText('Remove trigger “nightly backup”? It stops firing; its tasks and saved task stay.').waitFor()
    expect(await focused(page)).toBe('Remove trigger')
    await page.keyboard.press('Enter')
    await page.getByRole('status').filter({ hasText: 'No triggers yet' }).waitFor()
    expect(await listTriggers()).toEqual([])
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('shows the server’s refusal under its field, and a new webhook’s address, secret and curl once', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await page.keyboard.press('g')
    await page.keyboard.press('r')
    await page.keyboard.press('Shift+T')
    await page.keyboard.type('watched')
    // A file watch on a path that does not exist: only the server can tell.
    await tabTo(page, 'Schedule')
    await page.keyboard.press('ArrowRight')
    await tabTo(page, 'tf-paths')
    await page.keyboard.type('/nope/does-not-exist')
    await tabTo(page, 'tf-command')
    await page.keyboard.type('echo changed')
    await page.keyboard.press('Control+Enter')
    await page.locator('#tf-paths-error').waitFor()
    expect(await page.locator('#tf-paths-error').textContent()).toContain('does not exist')
    // Nothing is left behind: not the trigger, nor the saved task made for it.
    expect(await listTriggers()).toEqual([])
    // (The first test's saved task stays: removing a trigger keeps the saved task it started.)
    expect((await callServer<{ savedTasks: { name: string }[] }>(ui.home, ui.served, 'savedTask.list')).savedTasks.map((s) => s.name)).toEqual(['nightly backup'])

    // A webhook instead.
    await tabTo(page, 'File change', true)
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('Control+Enter')
    const detail = page.getByTestId('trigger-detail')
    const secret = detail.locator('.hook-secret')
    await secret.waitFor()
    const [hook] = await listTriggers()
    expect(hook!.spec.kind).toBe('webhook')
    const origin = new URL(ui.served.browserUrl).origin
    expect(await detail.locator('.hook-curl').textContent()).toBe(`curl -X POST -H 'X-Taskdeck-Secret: ${await secret.textContent()}' -H 'Content-Type: application/json' --data '{}' ${origin}/hooks/${hook!.id}`)
    // The secret works.
    const answer = await fetch(`${origin}/hooks/${hook!.id}`, { method: 'POST', headers: { 'X-Taskdeck-Secret': (await secret.textContent()) ?? '', 'Content-Type': 'application/json' }, body: '{}' })
    expect(answer.status).toBe(202)
    await detail.getByTestId('trigger-history').locator('tbody tr').first().waitFor()
    expect(await detail.getByTestId('trigger-history').locator('td').nth(1).textContent()).toBe('webhook · 2 bytes application/json')
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('passes axe in dark, with the form and the history', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, 'dark')
    await page.keyboard.press('g')
    await page.keyboard.press('r')
    const [hook] = await listTriggers()
    await page.getByTestId('triggers-table').locator(`[data-trigger-id="${hook!.id}"]`).getByRole('button', { name: `#${hook!.id} watched` }).click()
    await page.getByTestId('trigger-history').waitFor()
    expect(await axeViolations(page)).toEqual([])
    await page.getByTestId('trigger-detail').screenshot({ path: join(ARTIFACTS, 'triggers-history-dark.png') })
    await page.keyboard.press('Shift+T')
    await page.locator('#tf-cron').fill('*/10 * * * * *')
    await page.locator('#tf-command').fill('echo tick')
    await page.getByRole('status', { name: 'Next runs' }).getByText('Every 10 seconds').waitFor()
    // A refused field in dark too.
    await page.locator('#tf-name').fill('x'.repeat(300))
    await page.keyboard.press('Control+Enter')
    await page.locator('#tf-name-error').waitFor()
    expect(await axeViolations(page)).toEqual([])
    await page.locator('.trigger-editor').screenshot({ path: join(ARTIFACTS, 'triggers-form-dark.png') })
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('makes a system trigger on a wake (none chosen refused in place), in light and dark, and it fires on a reported wake', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme)
      await page.keyboard.press('g')
      await page.keyboard.press('r')
      await page.getByRole('heading', { level: 1, name: 'Triggers', exact: true }).waitFor()
      await page.keyboard.press('Shift+T')
      await page.getByRole('radio', { name: 'System event' }).click()
      const events = page.getByRole('group', { name: 'Events' })
      // Woke from sleep is chosen for a new one; with nothing chosen the form says so under the events.
      await events.getByRole('checkbox', { name: 'Woke from sleep' }).uncheck()
      await page.locator('#tf-command').fill('echo woke')
      await page.keyboard.press('Control+Enter')
      expect(await page.locator('#tf-systemEvents-error').textContent()).toBe('Choose at least one event.')
      expect(await axeViolations(page)).toEqual([])
      await page.locator('.trigger-editor').screenshot({ path: join(ARTIFACTS, `triggers-form-system-${scheme}.png`) })
      if (scheme === 'dark') {
        expect(errors).toEqual([])
        await page.context().close()
        continue
      }
      await events.getByRole('checkbox', { name: 'Woke from sleep' }).check()
      await events.getByRole('checkbox', { name: 'Network down' }).check()
      await page.locator('#tf-name').fill('after sleep')
      await page.keyboard.press('Control+Enter')
      await page.getByText('when the machine wakes or the network goes down').waitFor()
      const made = (await listTriggers()).find((t) => t.name === 'after sleep')
      expect(made?.spec).toEqual({ kind: 'system', events: ['wake', 'offline'], debounceMs: 5000 })
      await callServer(ui.home, ui.served, 'machine.report', { event: 'wake', sleptMs: 1_800_000 })
      // The new trigger is shown (selected) once made: its history says what happened, in the UI's words.
      await expect.poll(async () => (await callServer<{ history: { cause: string }[] }>(ui.home, ui.served, 'trigger.get', { triggerId: made!.id })).history.map((f) => f.cause)).toEqual(['system'])
      await page.getByTestId('trigger-history').getByText('Woke from sleep after about 30 min asleep').waitFor()
      await page.getByTestId('trigger-detail').screenshot({ path: join(ARTIFACTS, 'triggers-history-system-light.png') })
      expect(errors).toEqual([])
      await page.context().close()
    }
  })
})
