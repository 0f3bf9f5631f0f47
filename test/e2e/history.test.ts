import { beforeAll, describe, expect, it } from 'vitest'
import { callServer, importHistory, useServedUi } from './harness.ts'

const ui = useServedUi()
const TASKS = 12_000

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
  it('shows every task of a 12,000-task history (caught up over HTTP) without flashing its older settings, then live ones over the WebSocket', async () => {
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

  it("says it is catching up from the moment it knows the history's head until it has folded it (to the eye; screen readers hear only “Live”), then that it is live, with every task", async () => {
    // The server's count and head now, whichever test ran before: what the page must end with.
    const { total } = await callServer<{ total: number }>(ui.home, ui.served, 'task.list', { limit: 1 })
    const failed = (await callServer<{ total: number }>(ui.home, ui.served, 'task.list', { status: ['failed'], limit: 1 })).total
    const { headSeq } = await callServer<{ headSeq: number }>(ui.home, ui.served, 'events.read', { since: 0, limit: 1 })
    // Why the page shows it, on a fast machine or a loaded one (foldAndPublish$, streams/ingest.ts): the history reply
    // names its head before any event, and the page says it is behind at once; it says it is live in the frame that folds
    // the event with that seq. No timing decides it, so the history need not be long.
    expect(total).toBeGreaterThanOrEqual(TASKS)
    // Each state the connection indicator shows, recorded by the page as it changes (no sampling, no timing): its
    // class, what it shows (its title is its label), what its live region says (the text not hidden from screen
    // readers) and the last seq applied; and each empty state the task list shows.
    const { context, page, errors } = await openOnHistory(`window.indicatorStates = []
      const heard = (node) => node.nodeType === Node.TEXT_NODE ? node.textContent : node.nodeType === Node.ELEMENT_NODE && node.getAttribute('aria-hidden') !== 'true' ? [...node.childNodes].map(heard).join('') : ''
      window.emptyTitles = []
      new MutationObserver(() => {
        const empty = document.querySelector('.empty-title')?.textContent
        if (empty && window.emptyTitles.at(-1) !== empty) window.emptyTitles.push(empty)
        const indicator = document.querySelector('[data-testid=connection]')
        if (!indicator) return
        const state = { kind: indicator.className, shown: indicator.title, heard: heard(indicator.querySelector('[role=status]')), seq: indicator.querySelector('.connection-seq').textContent }
        const last = window.indicatorStates.at(-1)
        if (!last || last.kind !== state.kind || last.heard !== state.heard) window.indicatorStates.push(state)
      }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['class'] })`)
    await page.goto(ui.served.browserUrl)
    await page.locator('.count').getByText(`${total} of ${total}`).waitFor({ timeout: 60_000 })
    await page.getByTestId('connection').locator('.connection-seq').getByText(`#${headSeq}`, { exact: true }).waitFor()
    await page.locator('[data-testid=connection].connection-online').waitFor()

    type IndicatorState = { kind: string; shown: string; heard: string; seq: string }
    const states = await page.evaluate<IndicatorState[]>('window.indicatorStates')
    const behind = states.findIndex((state) => state.kind.includes('connection-catching-up'))
    // Shown as soon as the head is known, before anything is folded, saying how far behind it is...
    expect(behind).toBeGreaterThanOrEqual(0)
    // ...and until then connecting, never "Live #0" (online, but the history's head not yet known).
    expect(states.slice(0, behind).map((state) => state.kind)).not.toContain('connection connection-online')
    expect(states[behind]).toEqual({ kind: 'connection connection-catching-up', shown: `Catching up: ${headSeq.toLocaleString('en-US')} to go`, heard: 'Live', seq: '#0' })
    // ...and live once, when the seq reached the head, never before (the live region said only "Live" throughout).
    expect(states.slice(behind + 1)).toEqual([{ kind: 'connection connection-online', shown: 'Live', heard: 'Live', seq: `#${headSeq}` }])
    expect(states.map((state) => state.heard).filter((words) => words.includes('Catching up'))).toEqual([])
    // Until the first tasks are folded the list says the history is being read, never that there are no tasks.
    expect(await page.evaluate<string[]>('window.emptyTitles')).toEqual(['Reading the history…'])

    // Nothing lost on the way: every task, every failure, and the oldest task at the end of the list.
    expect(await page.locator('.chip-failed .chip-count').textContent()).toBe(String(failed))
    await page.locator('#task-list').focus()
    await page.keyboard.press('Shift+G')
    await page.locator('[data-task-id="1"]').waitFor()
    expect(errors).toEqual([])
    await context.close()
  })
})
