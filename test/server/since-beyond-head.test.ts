import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectionState } from '../../src-renderer/bridge/types.ts'
import { webSocketBridge } from '../../src-renderer/bridge/websocket.ts'
import { EVENTS_PATH, WEBSOCKET_PATH } from '../../src-shared/index.ts'
import { call, rawRequest, startHarness, TestSocket, type Harness } from './helpers.ts'

/**
 * A client holding a seq this event log never reached (it folded another home's log, or one
 * started afresh) is told so by name on every way in. Before, the replay was clamped to the
 * head: the client got nothing, then live events its own sequence check took for repeats.
 */
describe('a since beyond the event log head', () => {
  let h: Harness
  let head: number
  beforeAll(async () => {
    h = await startHarness()
    await call(h.server, 'engine.pause', {})
    await call(h.server, 'engine.resume', {})
    head = (await call<{ headSeq: number }>(h.server, 'events.read', { since: 0, limit: 1 })).headSeq
  })
  afterAll(async () => {
    await h.close()
  })

  const reason = () => `since: ${head + 50} is beyond this event log's newest event (seq ${head}); that seq comes from another event log. Subscribe with a since ≤ ${head} (0 replays everything).`

  it('is refused over the WebSocket, naming the head; since = head still subscribes', async () => {
    const socket = await TestSocket.open(h.server.port, { headers: { authorization: `Bearer ${h.server.token}` } })
    try {
      expect(await socket.request('events.subscribe', { since: head + 50 })).toEqual({ ok: false, error: { code: 'bad_request', message: reason(), details: { since: head + 50, headSeq: head } } })
      expect(await socket.request('events.subscribe', { since: head })).toEqual({ ok: true, value: { headSeq: head } })
    } finally {
      await socket.close()
    }
  })

  it(`is a 400 on GET ${EVENTS_PATH}`, async () => {
    const response = await rawRequest(h.server.port, { path: `${EVENTS_PATH}?since=${head + 50}`, headers: { authorization: `Bearer ${h.server.token}` } })
    expect(response.status).toBe(400)
    expect(response.json()).toEqual({ ok: false, error: { code: 'bad_request', message: reason(), details: { since: head + 50, headSeq: head } } })
  })

  it("stops the web UI's bridge with the server's reason instead of leaving it waiting for events that never come", async () => {
    const bridge = webSocketBridge({ url: `ws://127.0.0.1:${h.server.port}${WEBSOCKET_PATH}`, token: () => h.server.token })
    try {
      const refused = new Promise<ConnectionState>((resolve) => bridge.connection$.subscribe((state) => state.kind === 'refused' && resolve(state)))
      bridge.subscribe(head + 50, () => {})
      expect(await refused).toEqual({ kind: 'refused', reason: `The server refused to send events: ${reason()}` })
    } finally {
      bridge.dispose()
    }
  })
})
