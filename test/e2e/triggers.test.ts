import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Trigger } from '../../src-shared/triggers.ts'
import { axeViolations } from './axe.ts'
import { ARTIFACTS, callServer, cli, openPage, useServedUi } from './harness.ts'

// The Triggers view (Cronicle's schedule list) against `taskdeck serve`: triggers are made with the CLI, as the empty state says.
const ui = useServedUi()
/** Adds a trigger with the CLI (as a user would) and answers its id. */
const addTrigger = async (args: string[]) => (JSON.parse(await cli(ui.home, ['--json', 'trigger', 'add', ...args])) as { trigger: Trigger }).trigger.id
const triggerOf = async (id: number) => (await callServer<{ trigger: Trigger }>(ui.home, ui.served, 'trigger.get', { triggerId: id })).trigger

describe('the Triggers view', () => {
  it('tells a new user how to make a trigger, then lists each with what starts it and when it runs next, with Run now and Pause', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await page.keyboard.press('g')
    await page.keyboard.press('r')
    await page.getByRole('heading', { level: 1, name: 'Triggers', exact: true }).waitFor()
    const empty = page.getByRole('status').filter({ hasText: 'No triggers yet' })
    await empty.locator('code', { hasText: 'taskdeck trigger add --cron' }).waitFor()
    expect(await axeViolations(page)).toEqual([])

    // Made elsewhere (the CLI): the open view shows them without a reload.
    const standup = await addTrigger(['--cron', '30 9 * * 1-5', '--tz', 'Asia/Seoul', '--name', 'standup report', '--', 'echo', 'standup'])
    const sync = await addTrigger(['--every', '15m', '--name', 'sync notes', '--', 'echo', 'synced'])
    const inbox = join(ui.home, 'inbox')
    mkdirSync(inbox, { recursive: true })
    const tidy = await addTrigger(['--path', inbox, '--events', 'unlink,addDir', '--name', 'tidy inbox', '--', 'true'])
    const table = page.getByTestId('triggers-table')
    const row = (id: number) => table.locator(`[data-trigger-id="${id}"]`)
    await row(sync).waitFor()
    await row(tidy).waitFor()
    // A watch says which changes start it, when they are not the usual files added, changed and deleted.
    expect(await row(tidy).locator('td').nth(1).textContent()).toBe(`when files change: ${inbox} (only files deleted, folders added)`)
    // A pattern in words (cronstrue), with the pattern itself kept beside them as written, and its time zone.
    expect(await row(standup).locator('td').nth(1).textContent()).toBe('At 9:30 AM, Monday through Friday 30 9 * * 1-5 (Asia/Seoul)')
    expect(await row(standup).locator('td').nth(1).locator('code').textContent()).toBe('30 9 * * 1-5')
    expect(await row(sync).locator('td').nth(1).textContent()).toBe('every 15m')
    expect(await row(sync).locator('td').nth(3).textContent()).toBe('never')
    // The next run is the engine's, as this page writes times (with its date when that is not today, as near midnight).
    const { nextRunAt } = await triggerOf(sync)
    expect(await row(sync).locator('td').nth(2).textContent()).toBe(
      await page.evaluate(`(() => { const d = new Date(${nextRunAt}); return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString('en') : d.toLocaleString('en') })()`),
    )
    expect(await axeViolations(page)).toEqual([])
    await page.screenshot({ path: join(ARTIFACTS, 'triggers-light-en.png') })

    // Run now starts its task (in the task list) and records the run.
    await row(sync).getByRole('button', { name: 'Run now: sync notes' }).click()
    await expect.poll(async () => (await triggerOf(sync)).lastFiredAt).not.toBeNull()
    await expect.poll(() => row(sync).locator('td').nth(3).textContent()).not.toBe('never')
    // Pause: said in the row, no next run, and Resume in its place with the keyboard on it.
    await row(standup).getByRole('button', { name: 'Pause standup report' }).click()
    await row(standup).getByText('paused', { exact: true }).waitFor()
    expect((await triggerOf(standup)).paused).toBe(true)
    expect(await row(standup).locator('td').nth(2).textContent()).toBe('—')
    // Run now stays in one column beside Pause and the longer Resume.
    const runNowX = async (id: number) => (await row(id).getByRole('button', { name: /^Run now/ }).boundingBox())?.x
    expect(await runNowX(standup)).toBe(await runNowX(sync))
    await row(standup).getByRole('button', { name: 'Resume standup report' }).click()
    await expect.poll(async () => (await triggerOf(standup)).paused).toBe(false)
    await page.keyboard.press('g')
    await page.keyboard.press('t')
    await page.locator('[data-task-id]').filter({ hasText: 'synced' }).first().waitFor()
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('a double click on Run now fires once, and shows no error for the second click', async () => {
    const twice = await addTrigger(['--every', '1h', '--name', 'double click', '--', 'echo', 'clicked'])
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await page.keyboard.press('g')
    await page.keyboard.press('r')
    const row = page.getByTestId('triggers-table').locator(`[data-trigger-id="${twice}"]`)
    const runNow = row.getByRole('button', { name: 'Run now: double click' })
    await runNow.waitFor()
    // Every alert shown, however briefly (one that a later answer takes away included).
    await page.evaluate(`
      window.alertsSeen = []
      new MutationObserver(() => {
        for (const alert of document.querySelectorAll('[role=alert]')) if (!window.alertsSeen.includes(alert.textContent)) window.alertsSeen.push(alert.textContent)
      }).observe(document.body, { childList: true, subtree: true, characterData: true })
    `)
    await runNow.dblclick()
    await expect.poll(() => row.locator('td').nth(3).textContent()).not.toBe('never')
    await expect.poll(() => runNow.getAttribute('aria-busy')).toBeNull()
    expect(await page.evaluate('window.alertsSeen')).toEqual([])
    const { history } = await callServer<{ history: unknown[] }>(ui.home, ui.served, 'trigger.get', { triggerId: twice })
    expect(history).toHaveLength(1)
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('says a refused action in the view, once: no toast besides while the view shows it', async () => {
    const id = await addTrigger(['--every', '1h', '--name', 'refused one', '--', 'echo', 'refused'])
    const context = await ui.browser.newContext({ viewport: { width: 1360, height: 820 }, locale: 'en-US' })
    const page = await context.newPage()
    // The real server, but this page's Run now asks for a trigger it does not have: its real refusal comes back.
    await page.routeWebSocket(/\/api\/v1\/ws$/, (socket) => {
      const server = socket.connectToServer()
      socket.onMessage((message) => server.send(typeof message === 'string' ? message.replace(/("command":"trigger\.fire","params":\{"triggerId":)\d+/, '$19999') : message))
      server.onMessage((message) => socket.send(message))
    })
    await page.goto(ui.served.browserUrl)
    await page.locator('[data-testid=connection].connection-online').waitFor()
    await page.keyboard.press('g')
    await page.keyboard.press('r')
    await page.getByTestId('triggers-table').locator(`[data-trigger-id="${id}"]`).getByRole('button', { name: 'Run now: refused one' }).click()
    const alert = page.locator('.page.triggers').getByRole('alert')
    // Above the list, it names the trigger and what was asked of it, and says the refusal from its reason (trigger-not-found).
    await expect.poll(() => alert.textContent()).toBe('Run now “refused one” was refused: There is no trigger 9999.')
    // Said by the list, once: a toast would have come with the same answer.
    expect(await page.locator('.toast').count()).toBe(0)
    await page.screenshot({ path: join(ARTIFACTS, 'triggers-refused.png') })
    await context.close()
  })

  it('reads in Korean and dark, narrow', async () => {
    const { settings } = await callServer<{ settings: { language: string } }>(ui.home, ui.served, 'settings.get')
    await callServer(ui.home, ui.served, 'settings.set', { patch: { language: 'ko' } })
    try {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, 'dark', { locale: 'ko-KR' })
      await page.setViewportSize({ width: 900, height: 700 })
      await page.keyboard.press('g')
      await page.keyboard.press('r')
      await page.getByRole('heading', { level: 1, name: '트리거', exact: true }).waitFor()
      await page.getByTestId('triggers-table').getByText('15m마다').waitFor()
      await page.getByTestId('triggers-table').getByText('(파일 삭제, 폴더 추가만)').waitFor()
      expect(await page.getByTestId('triggers-table').locator('td', { hasText: '30 9 * * 1-5' }).textContent()).toBe('오전 9:30, 월요일부터 금요일까지 30 9 * * 1-5 (Asia/Seoul)')
      expect(await axeViolations(page)).toEqual([])
      await page.screenshot({ path: join(ARTIFACTS, 'triggers-dark-ko-narrow.png') })
      expect(errors).toEqual([])
      await page.context().close()
    } finally {
      await callServer(ui.home, ui.served, 'settings.set', { patch: { language: settings.language } })
    }
  })
})
