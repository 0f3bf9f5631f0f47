import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { axeViolations } from './axe.ts'
import { ARTIFACTS, callServer, goTo, openPage, serve, until, useServedUi } from './harness.ts'

const ui = useServedUi()

beforeAll(async () => {
  // A group with a running task and one waiting behind it, then the server killed hard and started again.
  await callServer(ui.home, ui.served, 'group.set', { name: 'work', parallel: 1 })
  const { task } = await callServer<{ task: { id: number } }>(ui.home, ui.served, 'task.submit', { definition: { name: 'Long job', group: 'work', spec: { kind: 'shell', command: 'sleep 300' } } })
  await callServer(ui.home, ui.served, 'task.submit', { definition: { name: 'Next job', group: 'work', spec: { kind: 'shell', command: 'true' } } })
  await until(async () => (await callServer<{ task: { status: string } }>(ui.home, ui.served, 'task.get', { taskId: task.id })).task.status === 'running', 'the long job to run')
  ui.served.process.kill('SIGKILL')
  await ui.served.stop()
  ui.served = await serve(ui.home, ui.port)
}, 60_000)

describe('groups paused after a crash', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`say so in the tasks and loop views, with a Resume (${theme})`, async () => {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, theme)
      await goTo(page, 't')
      const notice = page.getByTestId('crash-pause')
      await notice.waitFor()
      expect(await notice.locator('.crash-pause-line').allTextContents()).toEqual(['Group work was paused after a crash: it had tasks waiting to start.Resume'])
      expect(await notice.getByRole('button', { name: 'Resume group work' }).count()).toBe(1)
      await page.screenshot({ path: join(ARTIFACTS, `crash-pause-tasks-${theme}.png`) })
      await goTo(page, 'l')
      await page.getByTestId('crash-pause').waitFor()
      await page.getByText('paused: group work was paused after a crash (resume it to go on)').first().waitFor()
      await page.screenshot({ path: join(ARTIFACTS, `crash-pause-loop-${theme}.png`) })
      expect(await axeViolations(page)).toEqual([])
      if (theme === 'dark') {
        await page.getByRole('button', { name: 'Resume group work' }).click()
        await page.getByTestId('crash-pause').waitFor({ state: 'detached' })
      }
      expect(errors).toEqual([])
    })
  }
})
