import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ARTIFACTS, callServer, cli, importHistory, openPage, useServedUi } from './harness.ts'

// The dashboard against `taskdeck serve`: what its success rates are a share of, and of which span, is on the page.
const ui = useServedUi()

describe('the dashboard’s success rates', () => {
  it('says one for all runs and one for the chart’s last minutes, each with its span, a cancelled run counted neither way', async () => {
    // Long ago: ten imported runs, the tenth failed.
    await importHistory(ui, 10)
    // Now: two runs succeed, one fails, one is cancelled.
    await cli(ui.home, ['add', '-q', '-n', 'ok one', '--shell', 'true'])
    await cli(ui.home, ['add', '-q', '-n', 'ok two', '--shell', 'true'])
    await cli(ui.home, ['add', '-q', '-n', 'broken', '--shell', 'exit 3'])
    const long = await cli(ui.home, ['add', '-q', '-n', 'stopped', '--shell', 'sleep 60'])
    // Cancelled while it runs (a queued task cancelled has no run).
    await expect.poll(async () => (await callServer<{ task: { status: string } }>(ui.home, ui.served, 'task.get', { taskId: Number(long) })).task.status, { timeout: 20_000 }).toBe('running')
    await cli(ui.home, ['kill', long])
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await page.keyboard.press('g')
    await page.keyboard.press('d')
    await page.getByRole('heading', { level: 1, name: 'Dashboard', exact: true }).waitFor()
    const card = page.getByTestId('success-rate')
    // 11 of 13 runs with a verdict (the cancelled one has none): 84.6%.
    await expect.poll(() => card.textContent(), { timeout: 20_000 }).toBe('85%Success rate, all runs11 of 13 runs')
    // The chart's headline is its whole span's (2 of 3), not its last ten seconds'.
    const chart = page.locator('figure.spark', { hasText: 'Success rate, last 6 min' })
    expect(await chart.locator('figcaption strong').textContent()).toBe('67%')
    await page.locator('.cards').screenshot({ path: join(ARTIFACTS, 'dashboard-success-rates.png') })
    expect(errors).toEqual([])
    await page.context().close()
  })
})
