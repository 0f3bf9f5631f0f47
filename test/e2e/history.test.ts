import { beforeAll, describe, expect, it } from 'vitest'
import { callServer, importHistory, useServedUi } from './harness.ts'

const ui = useServedUi()
const TASKS = 40_000

beforeAll(async () => {
  // An older theme in the history, the current one after it: the replay must not show the old one on its way.
  await callServer(ui.home, ui.served, 'settings.set', { patch: { theme: 'light' } })
  await importHistory(ui, TASKS)
  await callServer(ui.home, ui.served, 'settings.set', { patch: { theme: 'dark' } })
})

/** A page of its own on the served UI, failing the test on any error it logs; `initScript` runs before the page's own. */
async function openOnHistory(initScript: string) {
  const context = await ui.browser.newContext({ viewport: { width: 1360, height: 820 }, locale: 'en-US' })
  await context.addInitScript(initScript)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  return { context, page, errors }
}

describe('opening on a long history', () => {
  it('shows every task of a 40,000-task history (caught up over HTTP) without flashing its older settings, then live ones over the WebSocket', async () => {
    const { headSeq } = await callServer<{ headSeq: number }>(ui.home, ui.served, 'events.read', { since: 0, limit: 1 })
    expect(headSeq).toBeGreaterThanOrEqual(2 * TASKS)

    // Every theme the page shows, in order (the attribute App sets on <html>).
    const { context, page, errors } = await openOnHistory(`window.shownThemes = []
      const watch = () => new MutationObserver(() => window.shownThemes.push(document.documentElement.dataset.theme)).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] })
      if (document.documentElement) watch()
      else document.addEventListener('readystatechange', watch, { once: true })`)
    const eventLogRequests: string[] = []
    context.on('request', (request) => {
      const url = new URL(request.url())
      if (url.pathname === '/api/v1/events') eventLogRequests.push(url.search)
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
    await context.close()
  })

  it('says it is catching up while it folds the history (to the eye; screen readers hear only "Live"), then that it is live, with every task', async () => {
    // The server's count and head now, whichever test ran before: what the page must end with.
    const { total } = await callServer<{ total: number }>(ui.home, ui.served, 'task.list', { limit: 1 })
    const failed = (await callServer<{ total: number }>(ui.home, ui.served, 'task.list', { status: ['failed'], limit: 1 })).total
    const { headSeq } = await callServer<{ headSeq: number }>(ui.home, ui.served, 'events.read', { since: 0, limit: 1 })
    // Why the page shows it, on a fast machine or a loaded one (the rule is foldAndPublish$'s, streams/ingest.ts): the
    // history's 80,000 events are folded over many frames, most with at least 500 (busyEventsPerFrame), a burst of about
    // a second on a quiet machine (~90,000 events/s, docs/benchmarks.md) and longer under load. The first state shown
    // during a burst is marked catching up: at once if the burst opens the page, and at the latest 500 ms
    // (busyPublishMs) after the page's first state (a first frame of a few events, seen when the first chunk is small).
    // Under load frames come further apart than quietMs (100 ms); the end of a burst is confirmed in the next frame,
    // so the burst is not said over between them.
    expect(total).toBeGreaterThanOrEqual(TASKS)
    // Each state the connection indicator shows, recorded by the page as it changes (no sampling, no timing): its
    // class, what it shows (its title is its label) and what its live region says (the text not hidden from screen readers).
    const { context, page, errors } = await openOnHistory(`window.indicatorStates = []
      const heard = (node) => node.nodeType === Node.TEXT_NODE ? node.textContent : node.nodeType === Node.ELEMENT_NODE && node.getAttribute('aria-hidden') !== 'true' ? [...node.childNodes].map(heard).join('') : ''
      new MutationObserver(() => {
        const indicator = document.querySelector('[data-testid=connection]')
        if (!indicator) return
        const state = { kind: indicator.className, shown: indicator.title, heard: heard(indicator.querySelector('[role=status]')) }
        const last = window.indicatorStates.at(-1)
        if (!last || last.kind !== state.kind || last.heard !== state.heard) window.indicatorStates.push(state)
      }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['class'] })`)
    await page.goto(ui.served.browserUrl)
    await page.locator('.count').getByText(`${total} of ${total}`).waitFor({ timeout: 60_000 })
    await page.getByTestId('connection').locator('.connection-seq').getByText(`#${headSeq}`, { exact: true }).waitFor()
    await page.locator('[data-testid=connection].connection-online').waitFor()

    type IndicatorState = { kind: string; shown: string; heard: string }
    const states = await page.evaluate<IndicatorState[]>('window.indicatorStates')
    const catchingUp = states.filter((state) => state.kind.includes('connection-catching-up'))
    // Shown while the history was folded, with how many events the last frame took...
    expect(catchingUp.length).toBeGreaterThan(0)
    for (const state of catchingUp) {
      expect(state.shown).toMatch(/^Catching up \([\d,]+ events?\)…$/)
      // ...while the live region says the connection's kind alone: each burst of catching up is not read out.
      expect(state.heard).toBe('Live')
    }
    expect(states.map((state) => state.heard).filter((words) => words.includes('Catching up'))).toEqual([])
    // And gone once the history is folded: the last state is live, after the last catching-up one.
    expect(states.at(-1)).toMatchObject({ kind: 'connection connection-online', shown: 'Live', heard: 'Live' })

    // Nothing lost on the way: every task, every failure, and the oldest task at the end of the list.
    expect(await page.locator('.chip-failed .chip-count').textContent()).toBe(String(failed))
    await page.locator('#task-list').focus()
    await page.keyboard.press('Shift+G')
    await page.locator('[data-task-id="1"]').waitFor()
    expect(errors).toEqual([])
    await context.close()
  })
})
