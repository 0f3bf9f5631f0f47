import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Firing, Trigger } from '../../src-shared/triggers.ts'
import { runUntilKilled } from '../triggers/helpers.ts'
import { axeViolations } from './axe.ts'
import { ARTIFACTS, callServer, cli, openPage, serve, useServedUi } from './harness.ts'

// A firing recorded by a restart (Taskdeck was killed after its task was stored, before its record) is marked in the
// Triggers view's history: real `taskdeck serve`, a real engine SIGKILLed in a child process on the same home, Chromium.
const ui = useServedUi()

describe('the Triggers view after a restart that recorded a firing', () => {
  it('marks the firing as recovered after a restart, with a tooltip saying what happened, in en (light) and ko (dark)', async () => {
    const { trigger } = JSON.parse(await cli(ui.home, ['--json', 'trigger', 'add', '--accelerator', 'Control+Alt+K', '--name', 'grab notes', '--', 'true'])) as { trigger: Trigger }
    // Pressed in a Taskdeck that dies right after storing the press's task (SIGKILL), then served again on the same home.
    await ui.served.stop()
    await runUntilKilled(ui.home, { shortcut: 'Control+Alt+K' })
    ui.served = await serve(ui.home, ui.port)
    const history = async () => (await callServer<{ history: Firing[] }>(ui.home, ui.served, 'trigger.get', { triggerId: trigger.id })).history
    await expect.poll(async () => (await history()).map((f) => [f.cause, f.outcome, f.detail.recovered])).toEqual([['shortcut', 'submitted', true]])

    for (const [scheme, locale, badge, hint] of [
      ['light', 'en-US', 'recovered after a restart', /^Taskdeck stopped after this firing was under way and before it was recorded/],
      ['dark', 'ko-KR', '재시작 후 복구됨', /^이 실행이 진행되던 중, 기록되기 전에 Taskdeck이 멈췄습니다/],
    ] as const) {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme, { locale })
      await page.keyboard.press('g')
      await page.keyboard.press('r')
      await page.getByTestId('triggers-table').locator(`[data-trigger-id="${trigger.id}"]`).getByRole('button', { name: new RegExp(`^#${trigger.id} `) }).click()
      const mark = page.getByTestId('trigger-history').getByTestId('firing-recovered')
      await mark.waitFor()
      // The badge, with the tooltip's words read out after it.
      const title = (await mark.getAttribute('title')) ?? ''
      expect(title).toMatch(hint)
      expect(await mark.textContent()).toBe(`${badge}: ${title}`)
      expect(await mark.locator('.sr-only').textContent()).toBe(`: ${title}`)
      expect(await axeViolations(page)).toEqual([])
      await page.getByTestId('trigger-detail').screenshot({ path: join(ARTIFACTS, `triggers-history-recovered-${scheme}-${locale.slice(0, 2)}.png`) })
      expect(errors).toEqual([])
      await page.context().close()
    }
  })
})
