import { describe, expect, it } from 'vitest'
import { historyDocument } from '../support/history.ts'
import { callServer, useServedUi } from './harness.ts'

const ui = useServedUi()
const TASKS = 12_000

/** Imported finished tasks (task.created + run.finished each), in slices the command's size limit allows; every tenth failed. */
async function importHistory(count: number): Promise<void> {
  for (let first = 1; first <= count; first += 3000) {
    const document = historyDocument(first, Math.min(3000, count - first + 1), (id) => ({ name: `history job ${id}`, status: id % 10 === 0 ? 'failed' : 'succeeded' }))
    await callServer(ui.home, ui.served, 'data.import', { document })
  }
}

describe('opening on a long history', () => {
  it('shows every task of a 12,000-task history (caught up over HTTP), then live ones over the WebSocket', async () => {
    await importHistory(TASKS)
    const { headSeq } = await callServer<{ headSeq: number }>(ui.home, ui.served, 'events.read', { since: 0, limit: 1 })
    expect(headSeq).toBeGreaterThanOrEqual(2 * TASKS)

    const context = await ui.browser.newContext({ viewport: { width: 1360, height: 820 }, locale: 'en-US' })
    const eventLogRequests: string[] = []
    context.on('request', (request) => {
      const url = new URL(request.url())
      if (url.pathname === '/api/v1/events') eventLogRequests.push(url.search)
    })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    await page.goto(ui.served.browserUrl)
    await page.locator('.count').getByText(`${TASKS} of ${TASKS}`).waitFor({ timeout: 60_000 })
    // Newest first: the last imported task heads the list.
    await page.locator(`[data-task-id="${TASKS}"]`).waitFor()
    // The history came over HTTP, from seq 0 (the WebSocket's own replay is only the fallback).
    expect(eventLogRequests).toEqual(['?since=0'])

    // Live after the catch-up: a task submitted now shows up and finishes.
    const { task } = await callServer<{ task: { id: number } }>(ui.home, ui.served, 'task.submit', { definition: { spec: { kind: 'shell', command: 'echo live' }, name: 'live after history' } })
    await page.locator(`[data-task-id="${task.id}"] .status-succeeded`).waitFor()
    await page.locator('.count').getByText(`${TASKS + 1} of ${TASKS + 1}`).waitFor()
    expect(errors).toEqual([])
    await page.context().close()
  })
})
