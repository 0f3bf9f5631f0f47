import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TASK_STATUSES, type TaskStatus } from '../../src-shared/model.ts'
import { en } from '../../src-renderer/i18n/en.ts'
import { ARTIFACTS, callServer, cli, freePort, launchChromium, openPage, requireBuiltUi, serve, tempHome, type Served } from './harness.ts'

let browser: Browser
let served: Served
let home: string
let removeHome: () => Promise<void>

/** Each status's task, by the name it is listed under. */
const NAMES: Record<TaskStatus, string> = {
  stashed: 'Kept for later',
  waiting: 'Starts in 30 minutes',
  queued: 'Next in line',
  running: 'Long job',
  paused: 'Held',
  succeeded: 'Went well',
  failed: 'Went wrong',
  cancelled: 'Called off',
  timed_out: 'Took too long',
  interrupted: 'Cut short',
}

const statusOf = async (taskId: number) => (await callServer<{ task: { status: TaskStatus } }>(home, served, 'task.get', { taskId })).task.status
/** Polls the engine (expect.poll is for tests, not their setup) until the task is in the status. */
async function until(taskId: number, status: TaskStatus): Promise<void> {
  for (let polls = 0; (await statusOf(taskId)) !== status; polls++) {
    if (polls === 300) throw new Error(`task ${taskId} is ${await statusOf(taskId)}, not ${status}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
const add = async (status: TaskStatus, ...args: string[]) => Number(await cli(home, ['add', '-q', '-n', NAMES[status], ...args]))

beforeAll(async () => {
  requireBuiltUi()
  await mkdir(ARTIFACTS, { recursive: true })
  const dir = await tempHome()
  home = dir.home
  removeHome = () => dir.remove()
  const port = await freePort()
  // A run under way when the server stops is interrupted, as after a crash.
  served = await serve(home, port)
  const cut = await add('interrupted', '--shell', 'sleep 600')
  await until(cut, 'running')
  await served.stop()
  served = await serve(home, port)
  await until(cut, 'interrupted')

  await cli(home, ['group', 'add', 'one', '--parallel', '1'])
  const runner = await add('running', '-g', 'one', '--shell', 'sleep 600')
  await until(runner, 'running')
  await add('queued', '-g', 'one', '--shell', 'sleep 600')
  const cancelled = await add('cancelled', '-g', 'one', '--shell', 'sleep 600')
  await cli(home, ['kill', String(cancelled)])
  const held = await add('paused', '--shell', 'sleep 600')
  await until(held, 'running')
  await cli(home, ['pause', String(held)])
  await add('waiting', '-d', '30m', '--shell', 'true')
  await add('stashed', '--stash', '--shell', 'true')
  await add('succeeded', '--shell', 'true')
  await add('failed', '--shell', 'exit 1')
  const late = await add('timed_out', '-t', '1s', '--shell', 'sleep 600')
  await until(late, 'timed_out')
  await until(held, 'paused')
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await served?.stop()
  await removeHome?.()
})

const row = (page: Page, status: TaskStatus) => page.locator('[data-task-id]', { hasText: NAMES[status] })

/** Each row's glyph: its shape (its class) and its box, once every row shows its status. */
async function glyphs(page: Page): Promise<Map<TaskStatus, { shape: string; width: number; height: number }>> {
  const found = new Map<TaskStatus, { shape: string; width: number; height: number }>()
  for (const status of TASK_STATUSES) {
    const glyph = row(page, status).locator(`.status-${status} .glyph`)
    await glyph.waitFor()
    const box = await glyph.boundingBox()
    found.set(status, { shape: (await glyph.getAttribute('class'))!, width: box!.width, height: box!.height })
  }
  return found
}

describe('status glyphs', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`tell every status apart by shape, in the wide list and beside an open task (${theme})`, async () => {
      const { page, errors } = await openPage(browser, served.browserUrl, theme)
      const wide = await glyphs(page)
      // Ten statuses, ten shapes: none is told from another by its colour alone.
      expect(new Set([...wide.values()].map((g) => g.shape)).size).toBe(TASK_STATUSES.length)
      // One box for all, so that a row does not shift when its status changes.
      for (const [status, glyph] of wide) expect({ status, width: glyph.width, height: glyph.height }).toEqual({ status, width: 12, height: 12 })
      for (const status of TASK_STATUSES) expect(await row(page, status).locator('.status-label').textContent()).toBe(en.status[status])
      await page.screenshot({ path: join(ARTIFACTS, `status-glyphs-wide-${theme}.png`) })

      // Beside an open task the list is narrow: the glyph alone is shown, its word is still read out and is its tooltip.
      await page.setViewportSize({ width: 900, height: 700 })
      await row(page, 'failed').click()
      await page.locator('.detail-title .status-failed').waitFor()
      const narrow = await glyphs(page)
      expect([...narrow.values()].map((g) => g.shape)).toEqual([...wide.values()].map((g) => g.shape))
      for (const status of TASK_STATUSES) {
        const cell = row(page, status).locator('.cell-status')
        expect(await cell.locator('.status').getAttribute('title')).toBe(en.status[status])
        // Visually hidden (a 1-pixel clip), not display:none: assistive tech still reads it.
        const label = cell.locator('.status-label')
        expect(await label.boundingBox()).toMatchObject({ width: 1, height: 1 })
        expect(await row(page, status).getByRole('gridcell', { name: en.status[status], exact: true }).count()).toBe(1)
      }
      await page.screenshot({ path: join(ARTIFACTS, `status-glyphs-narrow-${theme}.png`) })
      // The detail's banner and its runs table show the same glyph as the list.
      expect(await page.locator('.detail-title .status-failed .glyph').getAttribute('class')).toBe(wide.get('failed')!.shape)
      expect(errors).toEqual([])
      await page.context().close()
    })
  }

  for (const theme of ['light', 'dark'] as const) {
    it(`show the same glyphs beside the words of the status filter chips and the dashboard's count cards, without changing their names or sizes (${theme})`, async () => {
      const { page, errors } = await openPage(browser, served.browserUrl, theme)
      const list = await glyphs(page)
      const chips = page.getByRole('group', { name: en.filters.status, exact: true })
      const chipBox = async (status: TaskStatus) => (await chips.locator(`.chip-${status}`).boundingBox())!
      const heightsBefore = await Promise.all(TASK_STATUSES.map(async (status) => (await chipBox(status)).height))
      for (const status of TASK_STATUSES) {
        // Named by its word and count alone: the glyph is decoration, hidden from assistive tech.
        const chip = chips.getByRole('button', { name: new RegExp(`^${en.status[status]}\\s*1$`) })
        expect(await chip.count()).toBe(1)
        const glyph = chip.locator('.glyph')
        expect(await glyph.getAttribute('aria-hidden')).toBe('true')
        // The list's shape for the status, in the same 12-pixel box.
        expect(await glyph.getAttribute('class')).toBe(list.get(status)!.shape)
        expect(await glyph.boundingBox()).toMatchObject({ width: 12, height: 12 })
      }
      // Pressing a chip (filtering by it) changes neither its height nor its glyph.
      await chips.locator('.chip-failed').click()
      await page.locator('.count').getByText('1 of 10').waitFor()
      expect(await chips.locator('.chip-failed').getAttribute('aria-pressed')).toBe('true')
      expect(await chips.locator('.chip-failed .glyph').getAttribute('class')).toBe(list.get('failed')!.shape)
      expect(await Promise.all(TASK_STATUSES.map(async (status) => (await chipBox(status)).height))).toEqual(heightsBefore)
      await page.locator('.chips').screenshot({ path: join(ARTIFACTS, `status-chips-${theme}.png`) })
      await chips.locator('.chip-failed').click()

      await page.getByRole('navigation').getByRole('button', { name: 'Dashboard' }).click()
      await page.getByRole('heading', { level: 1, name: en.dashboard.title, exact: true }).waitFor()
      const counted: TaskStatus[] = ['running', 'queued', 'waiting', 'failed', 'succeeded']
      for (const status of counted) {
        const card = page.getByRole('button', { name: new RegExp(`^1\\s*${en.status[status]}$`) })
        expect(await card.count()).toBe(1)
        const glyph = card.locator('.card-label .glyph')
        expect(await glyph.getAttribute('aria-hidden')).toBe('true')
        expect(await glyph.getAttribute('class')).toBe(list.get(status)!.shape)
      }
      // Five statuses, five shapes; and every card's label (the success rate's has no glyph) is as tall as the others.
      expect(new Set(await page.evaluate<string[]>(`[...document.querySelectorAll('.cards > .card .card-label .glyph')].map((glyph) => glyph.className)`)).size).toBe(counted.length)
      const labelHeights = await page.evaluate<number[]>(`[...document.querySelectorAll('.cards > .card .card-label')].map((label) => label.getBoundingClientRect().height)`)
      expect(labelHeights).toHaveLength(counted.length + 1)
      expect(new Set(labelHeights).size).toBe(1)
      await page.locator('.cards').screenshot({ path: join(ARTIFACTS, `status-cards-${theme}.png`) })
      expect(errors).toEqual([])
      await page.context().close()
    })
  }

  it('shows the same glyphs in the dashboard’s list of all statuses, each row showing its tasks', async () => {
    const { page, errors } = await openPage(browser, served.browserUrl)
    const list = await glyphs(page)
    await page.getByRole('navigation').getByRole('button', { name: 'Dashboard' }).click()
    await page.locator('.all-statuses summary').click()
    for (const status of TASK_STATUSES) {
      const row = page.locator('.all-statuses').getByRole('button', { name: `${en.status[status]}: 1`, exact: true })
      const glyph = row.locator('.glyph')
      expect(await glyph.getAttribute('aria-hidden')).toBe('true')
      expect(await glyph.getAttribute('class')).toBe(list.get(status)!.shape)
      expect(await glyph.boundingBox()).toMatchObject({ width: 12, height: 12 })
    }
    await page.locator('.all-statuses').screenshot({ path: join(ARTIFACTS, 'status-all-statuses.png') })
    // A row, like a card, opens the list filtered by its status.
    await page.locator('.all-statuses').getByRole('button', { name: `${en.status.cancelled}: 1`, exact: true }).click()
    await page.locator('.count').getByText('1 of 10').waitFor()
    expect(await page.locator('.chip-cancelled').getAttribute('aria-pressed')).toBe('true')
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('pulses a running task with transform and opacity only', async () => {
    const { page } = await openPage(browser, served.browserUrl, 'light', { reducedMotion: 'no-preference' })
    await row(page, 'running').locator('.status-running .glyph').waitFor()
    // Not while the tasks read at start still count as a burst of arrivals (the list leaves pulses out then, for ~0.13 s).
    await expect.poll(() => page.evaluate<number>(`document.getAnimations().filter((a) => a.animationName === 'pulse').length`)).toBeGreaterThan(0)
    const animated = await page.evaluate<string[][]>(`document.getAnimations()
      .filter((a) => a.animationName === 'pulse')
      .map((a) => a.effect.getKeyframes().flatMap((k) => Object.keys(k).filter((p) => !['offset', 'computedOffset', 'easing', 'composite'].includes(p))))`)
    expect(animated.length).toBeGreaterThan(0)
    for (const properties of animated) expect(new Set(properties)).toEqual(new Set(['transform', 'opacity']))
    await page.context().close()
  })
})
