import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { axeViolations } from './axe.ts'
import { ARTIFACTS, callServer, openPage, useServedUi } from './harness.ts'

const ui = useServedUi()
const LONG = `host db.internal unreachable after 3 attempts (connect ECONNREFUSED 10.0.0.7:5432) ${'while applying migration 0042_add_index '.repeat(4)}`

beforeAll(async () => {
  // stdout before and after; two stderr lines, the last in colour and long enough to be cut in a row.
  const command = `echo "applying migrations"; echo "retrying" >&2; printf '\\033[1;31merror:\\033[0m ${LONG}\\n' >&2; echo "giving up"; exit 3`
  await callServer(ui.home, ui.served, 'task.submit', { definition: { name: 'Deploy', spec: { kind: 'shell', command } } })
  await callServer(ui.home, ui.served, 'task.submit', { definition: { name: 'Missing tool', spec: { kind: 'shell', command: ['definitely-missing-tool-4711'] } } })
})

const row = (page: Page, name: string) => page.locator('[data-task-id]', { hasText: name })

describe('what a failed run said on stderr, at a glance', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`shows it in the task's row, the failure banner and the run history (${theme})`, async () => {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, theme)
      const deploy = row(page, 'Deploy')
      await deploy.locator('.status-failed').waitFor()
      // The row: the reason, then the last stderr line, colours gone, on one line; the whole tail in its title.
      const said = deploy.locator('.task-stderr')
      await said.waitFor()
      expect(await deploy.locator('.task-reason').textContent()).toBe('exited with code 3')
      expect(await said.locator('.task-stderr-text').textContent()).toBe(`error: ${LONG.trimEnd()}`)
      expect(await said.getAttribute('title')).toBe(`Last on standard error:\nretrying\nerror: ${LONG.trimEnd()}`)
      const box = await said.boundingBox()
      expect(box!.height).toBeLessThan(24)
      expect(await said.locator('.task-stderr-text').evaluate((el: { scrollWidth: number; clientWidth: number }) => el.scrollWidth > el.clientWidth)).toBe(true)
      // stdout is no part of it.
      expect(await said.getAttribute('title')).not.toContain('giving up')
      await page.screenshot({ path: join(ARTIFACTS, `stderr-tail-row-${theme}.png`) })

      await deploy.click()
      const detail = page.locator('aside.detail')
      expect(await detail.getByTestId('failure-reason').textContent()).toBe('Failed exited with code 3')
      const banner = detail.getByTestId('failure-stderr')
      expect(await banner.locator('pre').innerText()).toBe(`retrying\nerror: ${LONG.trimEnd()}`)
      expect(await banner.getAttribute('aria-label')).toBe('Last on standard error')
      await detail.locator('.log-scroll').getByText('giving up').waitFor()
      expect(await axeViolations(page)).toEqual([])
      await page.screenshot({ path: join(ARTIFACTS, `stderr-tail-detail-${theme}.png`) })

      await detail.getByRole('tab', { name: /Runs/ }).click()
      // Under the run's row, as wide as the table.
      expect(await detail.locator('.runs tr.run-stderr .stderr-tail pre').innerText()).toBe(`retrying\nerror: ${LONG.trimEnd()}`)
      expect(await axeViolations(page)).toEqual([])
      await page.screenshot({ path: join(ARTIFACTS, `stderr-tail-runs-${theme}.png`) })

      // A program that is not there: exit 127, its reason said once (no stderr of its own).
      await row(page, 'Missing tool').click()
      await expect.poll(() => detail.getByTestId('failure-reason').textContent()).toBe('Failed executable not found: definitely-missing-tool-4711')
      expect(await detail.locator('.detail-facts').textContent()).toContain('exit 127')
      expect(await detail.getByTestId('failure-stderr').count()).toBe(0)
      expect(errors).toEqual([])
      await page.context().close()
    })
  }
})
