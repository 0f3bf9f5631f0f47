import { describe, expect, it } from 'vitest'
import { callServer, useServedUi } from './harness.ts'

const ui = useServedUi()
const TASKS = 12_000

/** Imported finished tasks (task.created + run.finished each), in slices the command's size limit allows. */
async function importHistory(count: number): Promise<void> {
  for (let first = 1; first <= count; first += 3000) {
    const ids = Array.from({ length: Math.min(3000, count - first + 1) }, (_, i) => first + i)
    const tasks = ids.map((id) => ({
      id,
      name: `history job ${id}`,
      definition: { spec: { kind: 'shell', command: `echo ${id}` }, group: 'default', priority: 0, labels: [], after: [], stashed: false, retryOnInterrupt: false, notify: 'default' },
      status: id % 10 === 0 ? 'failed' : 'succeeded',
      waitingFor: null,
      createdAt: 1_700_000_000_000 + id,
      updatedAt: 1_700_000_000_000 + id,
      attempts: 1,
      lastRunId: id,
      progress: null,
    }))
    const runs = ids.map((id) => ({
      id,
      taskId: id,
      attempt: 1,
      status: id % 10 === 0 ? 'failed' : 'succeeded',
      startedAt: 1_700_000_000_000 + id,
      finishedAt: 1_700_000_000_001 + id,
      durationMs: 1,
      exitCode: id % 10 === 0 ? 1 : 0,
      signal: null,
      reason: id % 10 === 0 ? 'exited with code 1' : null,
      pid: null,
      worker: 'local',
      result: null,
      logLines: 0,
      logBytes: 0,
      droppedBytes: 0,
    }))
    await callServer(ui.home, ui.served, 'data.import', { document: { format: 'taskdeck-export', version: 1, exportedAt: Date.now(), groups: [], tasks, runs } })
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
