import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { axeViolations } from './axe.ts'
import { ARTIFACTS, callServer, openPage, useServedUi } from './harness.ts'

const ui = useServedUi()
const MB = 2 ** 20
let go = ''

beforeAll(async () => {
  const hold = join(ui.home, 'hold.js')
  go = join(ui.home, 'go')
  // Holds 150 MB and burns a little CPU each tick, until the file `go` exists.
  writeFileSync(hold, `const b = Buffer.alloc(150 * ${MB}, 1); const fs = require('node:fs'); const t = setInterval(() => { let x = 0; for (let i = 0; i < 2e6; i++) x += i; if (fs.existsSync(process.argv[2])) { clearInterval(t); console.log(b.length, x) } }, 50)`)
  await callServer(ui.home, ui.served, 'task.submit', { definition: { name: 'Holder', spec: { kind: 'shell', command: [process.execPath, hold, go] }, limits: { maxMemoryMb: 4096 } } })
  await callServer(ui.home, ui.served, 'task.submit', { definition: { name: 'Hog', spec: { kind: 'shell', command: [process.execPath, hold, join(ui.home, 'never')] }, limits: { maxMemoryMb: 64 } } })
})

const row = (page: Page, name: string) => page.locator('[data-task-id]', { hasText: name })

describe.runIf(process.platform === 'linux')("a run's CPU and memory in the task detail", () => {
  it('shows live figures with sparklines while it runs, the summary after, and why a run over its limit stopped', async () => {
    for (const theme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, theme)
      const detail = page.locator('aside.detail')
      if (theme === 'light') {
        await row(page, 'Holder').click()
        const live = detail.getByTestId('run-usage-live')
        await live.waitFor()
        // The memory figure reaches what the run holds; the charts get lines once there are two samples.
        await expect.poll(async () => Number((await live.locator('figure').nth(1).locator('strong').textContent())?.replace(/ MB$/, '')), { timeout: 20_000 }).toBeGreaterThanOrEqual(150)
        await live.locator('polyline').nth(1).waitFor()
        expect(await live.locator('figcaption span').allTextContents()).toEqual(['CPU', 'Memory'])
        expect(await live.locator('.usage-facts').textContent()).toMatch(/^CPU time [\d.]+ (ms|s)/)
        expect(await axeViolations(page)).toEqual([])
        await page.screenshot({ path: join(ARTIFACTS, `usage-live-${theme}.png`) })
        writeFileSync(go, '')
        await row(page, 'Holder').locator('.status-succeeded').waitFor()
      } else {
        await row(page, 'Holder').click()
      }
      const summary = detail.getByTestId('run-usage-summary')
      await summary.waitFor()
      expect(await summary.textContent()).toMatch(/^Peak memory \d+ MB · CPU time [\d.]+ (ms|s) · average CPU \d+%$/)
      await page.screenshot({ path: join(ARTIFACTS, `usage-summary-${theme}.png`) })

      await row(page, 'Hog').click()
      await expect.poll(() => detail.getByTestId('failure-reason').textContent(), { timeout: 20_000 }).toMatch(/^Failed exceeded its memory limit: \d+(\.\d+)? MB > 64 MB$/)
      expect(await detail.getByTestId('run-usage-summary').textContent()).toMatch(/^Peak memory \d+ MB/)
      expect(await axeViolations(page)).toEqual([])
      await page.screenshot({ path: join(ARTIFACTS, `usage-limit-${theme}.png`) })
      expect(errors).toEqual([])
      await page.context().close()
    }
  })

  it('the task form has the limits, checked in its own terms, and sends them', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, 'light')
    const fieldError = (label: string) => page.locator('.field.invalid', { has: page.getByText(label, { exact: true }) }).getByRole('alert')
    await page.keyboard.press('n')
    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'More options…' }).click()
    await page.locator('#f-command').fill('echo limited')
    await page.locator('#f-maxMemoryMb').fill('1.5')
    await page.locator('#f-maxCpuSec').fill('-1')
    await page.keyboard.press('Control+Enter')
    await expect.poll(() => fieldError('Memory limit (MB)').textContent()).toBe('Must be a whole number.')
    expect(await fieldError('CPU-time limit (s)').textContent()).toBe('Must be greater than 0.')
    await page.screenshot({ path: join(ARTIFACTS, 'usage-form-errors-light.png') })
    await page.locator('#f-maxMemoryMb').fill('512')
    await page.locator('#f-maxCpuSec').fill('60')
    await page.keyboard.press('Control+Enter')
    await page.locator('aside.detail code.detail-command', { hasText: 'echo limited' }).waitFor()
    const { tasks } = await callServer<{ tasks: { name: string; definition: { limits?: unknown } }[] }>(ui.home, ui.served, 'task.list', {})
    expect(tasks.find((task) => task.name === 'echo limited')?.definition.limits).toEqual({ maxMemoryMb: 512, maxCpuSeconds: 60 })
    expect(errors).toEqual([])
    await page.context().close()
  })
})
