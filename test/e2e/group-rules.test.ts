import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Group, Task } from '../../src-shared/index.ts'
import { axeViolations } from './axe.ts'
import { ARTIFACTS, callServer, goTo, openPage, until, useServedUi } from './harness.ts'

// A group's rules in the browser against `taskdeck serve`: pause on failure and a rate limit, edited in Settings from
// the keyboard, and what they hold said where the user looks (the group's row, the Loop view's waiting lane).
const ui = useServedUi()

const groupOf = async (name: string) => (await callServer<{ groups: Group[] }>(ui.home, ui.served, 'group.list')).groups.find((g) => g.name === name)
const taskOf = async (taskId: number) => (await callServer<{ task: Task }>(ui.home, ui.served, 'task.get', { taskId })).task
const submit = async (name: string, group: string, command: string) =>
  (await callServer<{ task: Task }>(ui.home, ui.served, 'task.submit', { definition: { name, group, spec: { kind: 'shell', command } } })).task

describe('group rules', () => {
  it('are edited in Settings; a rate-held task says when its slot opens; a failure pauses its group with the cause shown until resumed', async () => {
    await callServer(ui.home, ui.served, 'group.set', { name: 'api', parallel: 2 })
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, 'light')
    await goTo(page, 's')
    await page.getByRole('heading', { name: 'Settings' }).waitFor()

    // What a failure does, from the keyboard: the select takes its arrows.
    const onFailure = page.getByRole('combobox', { name: 'When a task of api fails' })
    await onFailure.focus()
    await page.keyboard.press('ArrowDown')
    await until(async () => (await groupOf('api'))?.onFailure === 'pause-group', 'api to pause on failure')

    // The rate: a wrong one is named and not sent; Enter sends a right one.
    const rate = page.getByRole('textbox', { name: 'Start at most this many tasks of api per window, like 10/m' })
    expect(await rate.getAttribute('aria-describedby')).toBe('group-rate-hint')
    await rate.focus()
    await page.keyboard.type('ten a minute')
    await page.getByRole('alert').getByText('A count per window, like 10/m, 100/h, 5/s or 20/15m (from 1 second to 1 day), or empty.').waitFor()
    expect(await rate.getAttribute('aria-invalid')).toBe('true')
    await page.keyboard.press('Enter')
    expect((await groupOf('api'))?.rate).toBeUndefined()
    await rate.fill('1/h')
    await page.keyboard.press('Enter')
    await until(async () => (await groupOf('api'))?.rate?.perMs === 3_600_000, 'api to start at most once an hour')
    expect(await groupOf('api')).toEqual({ name: 'api', parallel: 2, paused: false, onFailure: 'pause-group', rate: { max: 1, perMs: 3_600_000 } })
    // The server has it; the page shows it once the group's event arrives.
    await expect.poll(() => rate.inputValue()).toBe('1/h')
    expect(await axeViolations(page)).toEqual([])
    await page.locator('.panel', { has: page.getByRole('heading', { name: 'Queue' }) }).screenshot({ path: join(ARTIFACTS, 'group-rules-settings-light-en.png') })

    // Two tasks in an hour: the second waits for the first's slot to leave the window, and the Loop view says when.
    const first = await submit('Call the API', 'api', 'true')
    await until(async () => (await taskOf(first.id)).status === 'succeeded', 'the first call to run')
    const second = await submit('Call the API again', 'api', 'true')
    await goTo(page, 'l')
    const waiting = page.getByRole('region', { name: 'Waiting' })
    await waiting.getByRole('button', { name: /Call the API again/ }).waitFor()
    await waiting.getByText(/^rate limit: api starts 1\/h; next start at \d{1,2}:\d{2}/).waitFor()
    expect((await taskOf(second.id)).status).toBe('queued')
    expect(await axeViolations(page)).toEqual([])
    await page.screenshot({ path: join(ARTIFACTS, 'group-rules-loop-light-en.png') })

    // Its detail says it too, counting down to the slot in the UI's duration format.
    await waiting.getByRole('button', { name: /Call the API again/ }).click()
    const slot = page.locator('aside.detail').getByTestId('rate-slot')
    await slot.waitFor()
    // In the slot's first second the whole hour is still ahead ("1 h 0 min"); after it, minutes and seconds.
    const said = /^Waiting for group api’s rate limit \(1 per hour\): next slot in (?:1 h 0 min|(\d+) min (\d+) s)\.$/
    expect(await slot.textContent()).toMatch(said)
    const left = async () => {
      const [, min, sec] = said.exec((await slot.textContent()) ?? '') ?? []
      return min === undefined ? 3600 : Number(min) * 60 + Number(sec)
    }
    const before = await left()
    await expect.poll(left, { timeout: 10_000 }).toBeLessThan(before)
    expect(await axeViolations(page)).toEqual([])
    await page.locator('aside.detail').screenshot({ path: join(ARTIFACTS, 'group-rules-detail-light-en.png') })
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.locator('aside.detail').screenshot({ path: join(ARTIFACTS, 'group-rules-detail-dark-en.png') })
    await page.emulateMedia({ colorScheme: 'light' })

    // The banner reads the engine's loop when it is shown and when the group's events come, not on every frame: a
    // page that watches only this detail sends one engine.loop while the countdown runs on (the engine's stats, and a
    // running task's output in another group, stream in every second meanwhile).
    const busy = await submit('Busy elsewhere', 'default', 'for i in $(seq 1 600); do echo tick $i; sleep 0.1; done')
    const watched = await ui.browser.newContext({ viewport: { width: 1360, height: 820 }, reducedMotion: 'reduce' })
    const detailOnly = await watched.newPage()
    const sent: string[] = []
    detailOnly.on('websocket', (socket) => socket.on('framesent', ({ payload }) => sent.push(String((JSON.parse(String(payload)) as { command?: string }).command))))
    await detailOnly.goto(ui.served.browserUrl)
    await detailOnly.locator('[data-testid=connection].connection-online').waitFor()
    await detailOnly.keyboard.press('Control+k')
    await detailOnly.keyboard.type(`#${second.id}`)
    await detailOnly.keyboard.press('Enter')
    const watchedSlot = detailOnly.locator('aside.detail').getByTestId('rate-slot')
    await watchedSlot.waitFor()
    const reads = () => sent.filter((command) => command === 'engine.loop').length
    const watchedLeft = async () => {
      const [, min, sec] = said.exec((await watchedSlot.textContent()) ?? '') ?? []
      return min === undefined ? 3600 : Number(min) * 60 + Number(sec)
    }
    const shown = await watchedLeft()
    await expect.poll(watchedLeft, { timeout: 15_000 }).toBeLessThan(shown - 2)
    expect((await taskOf(busy.id)).status).toBe('running')
    expect(reads()).toBe(1)
    await watched.close()
    await callServer(ui.home, ui.served, 'task.cancel', { taskIds: [busy.id] })

    // A failure pauses the group (its rate set aside first, so the failing task may start).
    await callServer(ui.home, ui.served, 'group.set', { name: 'api', rate: null })
    await until(async () => (await taskOf(second.id)).status === 'succeeded', 'the held call to run once the limit is gone')
    const failing = await submit('Deploy', 'api', 'exit 4')
    await until(async () => (await groupOf('api'))?.paused === true, 'api to be paused by the failure')
    expect((await groupOf('api'))?.pausedFor).toMatchObject({ kind: 'failure', taskId: failing.id })
    await goTo(page, 's')
    const cause = page.getByRole('status').filter({ hasText: 'Paused because task' })
    await cause.getByText(`Paused because task #${failing.id} failed. Resume the group when you are ready.`).waitFor()
    expect(await axeViolations(page)).toEqual([])
    await page.locator('.panel', { has: page.getByRole('heading', { name: 'Queue' }) }).screenshot({ path: join(ARTIFACTS, 'group-rules-paused-light-en.png') })

    // Dark and Korean: the same cause, read in Korean.
    await callServer(ui.home, ui.served, 'settings.set', { patch: { language: 'ko' } })
    const dark = await openPage(ui.browser, ui.served.browserUrl, 'dark', { locale: 'ko-KR' })
    await goTo(dark.page, 's')
    await dark.page.getByText(`작업 #${failing.id}이(가) 실패해서 일시 중지됨. 준비되면 그룹을 재개하세요.`).waitFor()
    await dark.page.getByRole('combobox', { name: 'api 그룹의 작업이 실패하면' }).waitFor()
    expect(await axeViolations(dark.page)).toEqual([])
    await dark.page.locator('.panel', { has: dark.page.locator('.group-pause-cause') }).screenshot({ path: join(ARTIFACTS, 'group-rules-paused-dark-ko.png') })
    await callServer(ui.home, ui.served, 'settings.set', { patch: { language: 'en' } })

    // The cause links to the failed task; Resume (from the keyboard) clears it.
    const resume = page.locator('.setting-row', { has: page.getByText('Paused because task') }).getByRole('button', { name: 'Resume' })
    await resume.focus()
    await page.keyboard.press('Enter')
    await until(async () => (await groupOf('api'))?.paused === false, 'api to be resumed')
    expect(await groupOf('api')).not.toHaveProperty('pausedFor')
    await cause.waitFor({ state: 'detached' })
    expect(errors).toEqual([])
  })
})
