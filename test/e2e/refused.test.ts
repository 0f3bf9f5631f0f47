import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ARTIFACTS, callServer, useServedUi } from './harness.ts'

const ui = useServedUi()

describe('a server message the page does not understand', () => {
  it('stops listening, says so in a banner naming what was wrong, and does not reconnect', async () => {
    const { task } = await callServer<{ task: { id: number } }>(ui.home, ui.served, 'task.submit', { definition: { spec: { kind: 'shell', command: 'true' }, name: 'before the bad message' } })
    const context = await ui.browser.newContext({ viewport: { width: 1360, height: 820 }, locale: 'en-US' })
    const page = await context.newPage()
    let connections = 0
    let toPage: ((message: string) => void) | null = null
    // The real server behind a pass-through route, so the test can add one message it would never send.
    await page.routeWebSocket(/\/api\/v1\/ws$/, (socket) => {
      connections++
      const server = socket.connectToServer()
      toPage = (message) => socket.send(message)
      socket.onMessage((message) => server.send(message))
      server.onMessage((message) => socket.send(message))
    })
    await page.goto(ui.served.browserUrl)
    await page.locator(`[data-task-id="${task.id}"] .status-succeeded`).waitFor()
    const { headSeq } = await callServer<{ headSeq: number }>(ui.home, ui.served, 'events.read', { since: 0, limit: 1 })
    toPage!(JSON.stringify({ v: 1, kind: 'events', events: [{ type: 'task.exploded', seq: headSeq + 1, at: Date.now() }] }))

    const banner = page.getByRole('alert').filter({ hasText: 'This page stopped listening to Taskdeck.' })
    await banner.waitFor()
    await expect.poll(() => banner.textContent()).toContain(`event 1 after seq ${headSeq}: unknown type "task.exploded"`)
    await expect.poll(() => page.getByTestId('connection').getAttribute('class')).toContain('connection-refused')
    await page.screenshot({ path: join(ARTIFACTS, 'refused-message-light.png') })
    // Still one connection: a refused message is not retried.
    expect(connections).toBe(1)
    await context.close()
  })
})
