import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Group, Task } from '../../src-shared/index.ts'
import { axeViolations } from './axe.ts'
import { ARTIFACTS, callServer, goTo, openPage, until, useServedUi } from './harness.ts'

// Power- and presence-aware scheduling in the browser against `taskdeck serve`: the test plays
// the desktop's power monitor by calling machine.report over the API.
const ui = useServedUi()

const report = (state: { onAcPower?: boolean | null; userIdle?: boolean | null }) => callServer(ui.home, ui.served, 'machine.report', state)
const groupOf = async (name: string) => (await callServer<{ groups: Group[] }>(ui.home, ui.served, 'group.list')).groups.find((g) => g.name === name)
const taskOf = async (taskId: number) => (await callServer<{ task: Task; runs: Array<{ id: number; status: string; heldFor?: string[] }> }>(ui.home, ui.served, 'task.get', { taskId }))
describe('groups that run only on AC power', () => {
  it('are set in Settings, hold new tasks on battery with the reason shown, and pause then resume a running one', async () => {
    await callServer(ui.home, ui.served, 'group.set', { name: 'builds', parallel: 1 })
    await report({ onAcPower: true, userIdle: false })
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, 'light')
    await goTo(page, 's')
    await page.getByRole('heading', { name: 'Settings' }).waitFor()
    // No group has conditions: the status bar says nothing of the machine.
    expect(await page.locator('[data-testid=machine]').count()).toBe(0)

    // From the keyboard: the condition's checkbox takes Space, the select its arrows.
    const conditions = page.getByRole('group', { name: 'Run tasks of builds only when' })
    const onAc = conditions.getByRole('checkbox', { name: 'On AC power' })
    await onAc.focus()
    await page.keyboard.press('Space')
    await until(async () => (await groupOf('builds'))?.onlyWhen?.join() === 'ac-power', 'builds to need AC power')
    await expect.poll(() => onAc.isChecked()).toBe(true)
    const whenUnmet = page.getByRole('combobox', { name: 'While the conditions of builds are not met' })
    await whenUnmet.selectOption('pause')
    await until(async () => (await groupOf('builds'))?.whenUnmet === 'pause', 'builds to pause while unmet')
    expect(await groupOf('builds')).toEqual({ name: 'builds', parallel: 1, paused: false, onlyWhen: ['ac-power'], whenUnmet: 'pause' })
    // On AC power: met, said quietly.
    await page.locator('[data-testid=machine].machine-met').getByText('On AC power').waitFor()
    // The idle threshold, described by its hint.
    const idle = page.getByRole('spinbutton', { name: 'Count me away after (minutes)' })
    expect(await idle.getAttribute('aria-describedby')).toBe('idle-after-hint')
    await idle.fill('3')
    await idle.press('Enter')
    await until(async () => (await callServer<{ settings: { idleAfterMinutes: number } }>(ui.home, ui.served, 'settings.get')).settings.idleAfterMinutes === 3, 'the idle threshold to be saved')
    expect(await axeViolations(page)).toEqual([])
    await page.locator('.panel', { has: page.getByRole('heading', { name: 'Queue' }) }).screenshot({ path: join(ARTIFACTS, 'machine-settings-light-en.png') })

    // On battery a new task in builds waits; the indicator says so.
    await report({ onAcPower: false })
    const indicator = page.locator('[data-testid=machine].machine-held')
    await indicator.getByText('On battery · 1 group held').waitFor()
    expect(await indicator.getAttribute('title')).toBe('Waiting for AC power: builds')
    const { task } = await callServer<{ task: Task }>(ui.home, ui.served, 'task.submit', { definition: { name: 'Nightly build', group: 'builds', spec: { kind: 'shell', command: 'sleep 600' } } })
    await goTo(page, 't')
    await page.locator(`[data-task-id="${task.id}"]`).click()
    await page.getByText('Starts when the computer is on AC power: group builds runs only then.').waitFor()
    expect((await taskOf(task.id)).task.status).toBe('queued')
    expect(await axeViolations(page)).toEqual([])
    await page.screenshot({ path: join(ARTIFACTS, 'machine-held-queued-light-en.png') })
    await goTo(page, 'l')
    await page.getByRole('region', { name: 'Waiting' }).getByText('held: builds waits for AC power').waitFor()
    await page.getByRole('region', { name: 'Waiting' }).getByRole('button', { name: /Nightly build/ }).click()

    // On AC power it runs; back on battery the engine pauses it, and the detail says why.
    await report({ onAcPower: true })
    await until(async () => (await taskOf(task.id)).task.status === 'running', 'the task to run')
    await page.locator('[data-testid=machine].machine-met').waitFor()
    const cancel = page.locator('.detail-actions').getByRole('button', { name: /^Cancel/ })
    const cancelBefore = await cancel.boundingBox()
    await report({ onAcPower: false })
    await until(async () => (await taskOf(task.id)).runs[0]?.heldFor?.join() === 'ac-power', 'the run to be held')
    const held = page.getByTestId('held-reason')
    await held.getByText('Paused by group builds until the computer is on AC power; it resumes by itself then.').waitFor()
    // The reason appears under the actions: Cancel stays where the pointer was.
    expect(await cancel.boundingBox()).toEqual(cancelBefore)
    await goTo(page, 'l')
    await page.getByRole('region', { name: 'Running' }).getByText('paused: builds waits for AC power').waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'machine-loop-light-en.png') })
    await page.getByRole('region', { name: 'Running' }).getByRole('button', { name: /Nightly build/ }).click()
    await held.waitFor()
    await page.locator('#detail-tab-runs').click()
    await page.locator('td.reason').getByText('paused: builds waits for AC power').waitFor()
    expect(await axeViolations(page)).toEqual([])
    await page.screenshot({ path: join(ARTIFACTS, 'machine-held-run-light-en.png') })

    // Dark and Korean: the same states read in Korean.
    await callServer(ui.home, ui.served, 'settings.set', { patch: { language: 'ko' } })
    const dark = await openPage(ui.browser, ui.served.browserUrl, 'dark', { locale: 'ko-KR' })
    await dark.page.locator('[data-testid=machine].machine-held').getByText('배터리 사용 중 · 그룹 1개 보류').waitFor()
    await dark.page.locator(`[data-task-id="${task.id}"]`).click()
    await dark.page.getByTestId('held-reason').getByText('builds 그룹의 실행 조건(AC 전원 연결)이 충족되지 않아 일시 중지되었습니다. 충족되면 자동으로 재개합니다.').waitFor()
    expect(await axeViolations(dark.page)).toEqual([])
    await dark.page.screenshot({ path: join(ARTIFACTS, 'machine-held-run-dark-ko.png') })
    await goTo(dark.page, 's')
    await dark.page.getByRole('group', { name: 'builds 그룹의 실행 조건' }).waitFor()
    expect(await axeViolations(dark.page)).toEqual([])
    await dark.page.locator('.panel', { has: dark.page.getByRole('heading', { name: '대기열' }) }).screenshot({ path: join(ARTIFACTS, 'machine-settings-dark-ko.png') })
    await dark.page.context().close()
    await callServer(ui.home, ui.served, 'settings.set', { patch: { language: 'en' } })

    // Met again: the engine resumes it.
    await report({ onAcPower: true })
    await until(async () => (await taskOf(task.id)).task.status === 'running', 'the run to resume')
    await held.waitFor({ state: 'detached' })
    expect((await taskOf(task.id)).runs[0]?.heldFor).toBeUndefined()
    await callServer(ui.home, ui.served, 'task.cancel', { taskIds: [task.id] })
    expect(errors).toEqual([])
  })

  it('say why a held task is paused while an older run of it is shown', async () => {
    await callServer(ui.home, ui.served, 'group.set', { name: 'older', parallel: 1, onlyWhen: ['ac-power'], whenUnmet: 'pause' })
    await report({ onAcPower: true })
    // The first run fails; its retry runs on, and is held when the computer goes on battery.
    const command = 'if [ -f tried ]; then echo second run; sleep 600; else touch tried; echo first run; exit 3; fi'
    const { task } = await callServer<{ task: Task }>(ui.home, ui.served, 'task.submit', { definition: { name: 'Twice', group: 'older', spec: { kind: 'shell', command, cwd: ui.home } } })
    await until(async () => (await taskOf(task.id)).task.status === 'failed', 'the first run to fail')
    await callServer(ui.home, ui.served, 'task.retry', { taskIds: [task.id] })
    await until(async () => (await taskOf(task.id)).task.status === 'running', 'the second run to start')
    // It has said so before it is held (a busy machine may start the shell late).
    const secondRunWrote = async () => {
      const newest = (await taskOf(task.id)).runs.sort((a, b) => b.id - a.id)[0]!
      const { lines } = await callServer<{ lines: { text: string }[] }>(ui.home, ui.served, 'run.readLog', { runId: newest.id, fromLine: 0, count: 10 })
      return lines.some((line) => line.text === 'second run')
    }
    await until(secondRunWrote, 'the second run to write its line')
    await report({ onAcPower: false })
    await until(async () => (await taskOf(task.id)).task.status === 'paused', 'the second run to be held')
    const firstRun = (await taskOf(task.id)).runs.sort((a, b) => a.id - b.id)[0]!

    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, 'light')
    await page.locator(`[data-task-id="${task.id}"]`).click()
    const held = page.getByTestId('held-reason')
    const sentence = 'Paused by group older until the computer is on AC power; it resumes by itself then.'
    await held.getByText(sentence).waitFor()
    // The first run shown (picked in the runs table): its log and its failure, and still the task's reason.
    await page.locator('#detail-tab-runs').click()
    await page.locator('table.runs tbody tr').nth(1).getByRole('button', { name: '1', exact: true }).click()
    await page.locator('#detail-tab-output').click()
    await page.locator('.log-text').getByText('first run', { exact: true }).waitFor()
    expect(await page.locator('.log-text').allTextContents()).toEqual(['first run'])
    expect(firstRun.status).toBe('failed')
    expect(await page.locator('.detail-facts').textContent()).toContain('exit 3')
    await held.getByText(sentence).waitFor()
    // Said to be an earlier run, with the way back to the newest.
    const older = page.getByTestId('older-run')
    expect(await older.textContent()).toContain('Showing run 1 of 2')
    expect(await axeViolations(page)).toEqual([])
    await page.screenshot({ path: join(ARTIFACTS, 'machine-held-older-run-light-en.png') })
    await older.getByRole('button', { name: 'Show the latest' }).click()
    await page.locator('.log-text').getByText('second run', { exact: true }).waitFor()
    expect(await older.count()).toBe(0)
    // The keyboard is on the open tab, above the latest run's log, not on the first action (Cancel) where Enter cancels.
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('detail-tab-output')
    await held.getByText(sentence).waitFor()
    await report({ onAcPower: true })
    await held.waitFor({ state: 'detached' })
    await callServer(ui.home, ui.served, 'task.cancel', { taskIds: [task.id] })
    expect(errors).toEqual([])
    await page.context().close()
  })
})
