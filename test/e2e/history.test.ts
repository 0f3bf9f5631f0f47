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
  it('shows every task of a 12,000-task history (caught up over HTTP) without flashing its older settings, then live ones over the WebSocket', async () => {
    // An older theme in the history, the current one after it: the replay must not show the old one on its way.
    await callServer(ui.home, ui.served, 'settings.set', { patch: { theme: 'light' } })
    await importHistory(TASKS)
    await callServer(ui.home, ui.served, 'settings.set', { patch: { theme: 'dark' } })
    const { headSeq } = await callServer<{ headSeq: number }>(ui.home, ui.served, 'events.read', { since: 0, limit: 1 })
    expect(headSeq).toBeGreaterThanOrEqual(2 * TASKS)

    const context = await ui.browser.newContext({ viewport: { width: 1360, height: 820 }, locale: 'en-US' })
    const eventLogRequests: string[] = []
    context.on('request', (request) => {
      const url = new URL(request.url())
      if (url.pathname === '/api/v1/events') eventLogRequests.push(url.search)
    })
    // Every theme the page shows, in order (the attribute App sets on <html>).
    await context.addInitScript(`window.shownThemes = []
      const watch = () => new MutationObserver(() => window.shownThemes.push(document.documentElement.dataset.theme)).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] })
      if (document.documentElement) watch()
      else document.addEventListener('readystatechange', watch, { once: true })`)
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
    // The current theme, and once it was shown, never the older one from the replayed history.
    const themes = await page.evaluate<string[]>('window.shownThemes')
    expect(themes.at(-1)).toBe('dark')
    expect(themes.slice(themes.indexOf('dark'))).not.toContain('light')

    // Live after the catch-up: a task submitted now shows up and finishes.
    const { task } = await callServer<{ task: { id: number } }>(ui.home, ui.served, 'task.submit', { definition: { spec: { kind: 'shell', command: 'echo live' }, name: 'live after history' } })
    await page.locator(`[data-task-id="${task.id}"] .status-succeeded`).waitFor()
    await page.locator('.count').getByText(`${TASKS + 1} of ${TASKS + 1}`).waitFor()
    expect(errors).toEqual([])
    await page.context().close()
  })
})
