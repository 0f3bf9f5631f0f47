import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Group, MachineState, Task } from '../../src-shared/index.ts'
import { axeViolations } from './axe.ts'
import { ARTIFACTS, callServer, goTo, openPage, until, useServedUi } from './harness.ts'

// Network-aware scheduling in the browser against `taskdeck serve`: the test plays the system
// monitor (NetworkManager) by calling machine.report over the API.
const ui = useServedUi()

const report = (state: { networkMetered?: boolean | null }) => callServer<{ machine: MachineState }>(ui.home, ui.served, 'machine.report', state)
const groupOf = async (name: string) => (await callServer<{ groups: Group[] }>(ui.home, ui.served, 'group.list')).groups.find((g) => g.name === name)
const taskOf = async (taskId: number) => (await callServer<{ task: Task }>(ui.home, ui.served, 'task.get', { taskId })).task
describe('groups that run only on an unmetered network', () => {
  it('are set in Settings from the keyboard, hold a task on a metered network with the reason shown, and run it once unmetered', async () => {
    await callServer(ui.home, ui.served, 'group.set', { name: 'downloads', parallel: 1 })
    await report({ networkMetered: false })
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, 'light')
    await goTo(page, 's')
    await page.getByRole('heading', { name: 'Settings' }).waitFor()

    const conditions = page.getByRole('group', { name: 'Run tasks of downloads only when' })
    const unmetered = conditions.getByRole('checkbox', { name: 'On an unmetered network' })
    await unmetered.focus()
    await page.keyboard.press('Space')
    await until(async () => (await groupOf('downloads'))?.onlyWhen?.join() === 'unmetered-network', 'downloads to need an unmetered network')
    await expect.poll(() => unmetered.isChecked()).toBe(true)
    expect(await conditions.getByRole('checkbox').count()).toBe(3)
    // Known unmetered: met, said quietly.
    await page.locator('[data-testid=machine].machine-met').getByText('Unmetered network').waitFor()
    expect(await axeViolations(page)).toEqual([])
    await page.locator('.panel', { has: page.getByRole('heading', { name: 'Queue' }) }).screenshot({ path: join(ARTIFACTS, 'network-settings-light-en.png') })

    // A phone hotspot: metered. The group's new task waits; the indicator and the task say why.
    expect((await report({ networkMetered: true })).machine.networkMetered).toBe(true)
    const indicator = page.locator('[data-testid=machine].machine-held')
    await indicator.getByText('Metered network · 1 group held').waitFor()
    expect(await indicator.getAttribute('title')).toBe('Waiting for an unmetered network: downloads')
    const { task } = await callServer<{ task: Task }>(ui.home, ui.served, 'task.submit', {
      definition: { name: 'Mirror the dataset', group: 'downloads', spec: { kind: 'shell', command: 'true' } },
    })
    await goTo(page, 't')
    await page.locator(`[data-task-id="${task.id}"]`).click()
    await page.getByText('Starts when the network is not metered: group downloads runs only then.').waitFor()
    expect((await taskOf(task.id)).status).toBe('queued')
    expect(await axeViolations(page)).toEqual([])
    await page.screenshot({ path: join(ARTIFACTS, 'network-held-light-en.png') })
    await goTo(page, 'l')
    await page.getByRole('region', { name: 'Waiting' }).getByText('held: downloads waits for an unmetered network').waitFor()

    // Korean, dark: the same state.
    await callServer(ui.home, ui.served, 'settings.set', { patch: { language: 'ko' } })
    const dark = await openPage(ui.browser, ui.served.browserUrl, 'dark', { locale: 'ko-KR' })
    await dark.page.locator('[data-testid=machine].machine-held').getByText('종량제 네트워크 · 그룹 1개 보류').waitFor()
    await goTo(dark.page, 's')
    await dark.page.getByRole('group', { name: 'downloads 그룹의 실행 조건' }).getByRole('checkbox', { name: '종량제가 아닌 네트워크 연결 시' }).waitFor()
    expect(await axeViolations(dark.page)).toEqual([])
    await dark.page.locator('.panel', { has: dark.page.getByRole('heading', { name: '대기열' }) }).screenshot({ path: join(ARTIFACTS, 'network-settings-dark-ko.png') })
    await dark.page.context().close()
    await callServer(ui.home, ui.served, 'settings.set', { patch: { language: 'en' } })

    // Back on an unmetered network: it runs.
    await report({ networkMetered: false })
    await until(async () => (await taskOf(task.id)).status === 'succeeded', 'the task to run once unmetered')
    await page.locator('[data-testid=machine].machine-met').getByText('Unmetered network').waitFor()
    expect(errors).toEqual([])
  })
})
