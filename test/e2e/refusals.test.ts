import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { Settings, Task } from '../../src-shared/index.ts'
import { ARTIFACTS, callServer, openPage, until, useServedUi } from './harness.ts'

/**
 * The engine's refusals read in the UI's language: a real refusal of the served engine, in the Korean UI, is said
 * in Korean from its `details.reason` and values, not as the engine's English sentence (which the CLI still prints).
 */
const ui = useServedUi()

async function useKorean() {
  const { settings } = await callServer<{ settings: Settings }>(ui.home, ui.served, 'settings.get')
  await callServer(ui.home, ui.served, 'settings.set', { patch: { language: 'ko' } })
  onTestFinished(() => callServer(ui.home, ui.served, 'settings.set', { patch: { language: settings.language } }))
}
const submit = (definition: unknown) => callServer<{ task: Task }>(ui.home, ui.served, 'task.submit', { definition }).then(({ task }) => task)
const statusOf = (id: number) => callServer<{ task: Task }>(ui.home, ui.served, 'task.get', { taskId: id }).then(({ task }) => task.status)

describe('an engine refusal in the Korean UI', () => {
  it('a retry of a task whose dependency failed: the toast says why in Korean, its end reason too', async () => {
    await useKorean()
    const failing = await submit({ spec: { kind: 'shell', command: 'exit 3' }, name: 'build' })
    const after = await submit({ spec: { kind: 'shell', command: 'true' }, name: 'deploy', after: [failing.id] })
    await until(async () => (await statusOf(after.id)) === 'failed', `task ${after.id} failed by its dependency`)
    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme, { locale: 'ko-KR' })
      await page.locator(`[data-task-id="${after.id}"]`).click()
      const detail = page.locator('aside.detail')
      await detail.getByRole('button', { name: '다시 실행' }).click()
      const toast = page.locator('.toast-error').filter({ hasText: '다시 실행' })
      await toast.waitFor()
      expect(await toast.locator('.toast-text span').textContent()).toBe(`작업 #${after.id}을(를) 실행할 수 없습니다: 선행 작업 #${failing.id}이(가) 실패했습니다: 종료 코드 3.`)
      // Nothing of the engine's English sentence ("Task 2 cannot run: dependency #1 failed: exited with code 3.").
      expect(await page.locator('.toasts').textContent()).not.toMatch(/cannot run|dependency|exited/)
      await page.screenshot({ path: join(ARTIFACTS, `refusal-retry-${scheme}-ko.png`) })
      expect(errors).toEqual([])
      await page.context().close()
    }
    expect(await statusOf(after.id)).toBe('failed')
  })

  it('a binding of a group with machine conditions: the bind form says so in Korean, at the group', async () => {
    await useKorean()
    await callServer(ui.home, ui.served, 'group.set', { name: 'laptop', parallel: 1, onlyWhen: ['ac-power', 'user-idle'] })
    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme, { locale: 'ko-KR' })
      await page.keyboard.press('g')
      await page.keyboard.press('w')
      const form = page.getByRole('form', { name: '그룹을 Redis에 연결' })
      await form.locator('#bind-group option[value="laptop"]').waitFor({ state: 'attached' })
      await form.locator('#bind-group').selectOption('laptop')
      // The group is refused before Redis is asked: no Redis needs to listen there.
      await form.getByLabel('Redis URL').fill('redis://127.0.0.1:1')
      await form.getByRole('button', { name: '연결', exact: true }).click()
      const alert = form.locator('#bind-group-error')
      await alert.waitFor()
      expect(await alert.textContent()).toBe('laptop 그룹에는 이 컴퓨터의 실행 조건(AC 전원 연결, 자리 비움)이 있어 워커에 연결할 수 없습니다. 워커 컴퓨터와 관계없는 조건이니 먼저 조건을 지우세요.')
      expect(await form.textContent()).not.toMatch(/onlyWhen|holds on this machine/)
      await form.scrollIntoViewIfNeeded()
      await page.screenshot({ path: join(ARTIFACTS, `refusal-bind-${scheme}-ko.png`) })
      expect(errors).toEqual([])
      await page.context().close()
    }
    expect(await callServer(ui.home, ui.served, 'group.listRemote')).toEqual({ bindings: [] })
  })
})
