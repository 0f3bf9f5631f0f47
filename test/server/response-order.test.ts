import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { COMMANDS, type ServerMessage } from '../../src-shared/index.ts'
import { TestSocket, startHarness, waitUntil, type Harness } from './helpers.ts'

const submitMany = (h: Harness, definitions: unknown[]) => h.engine.handlers['task.submitMany'](COMMANDS['task.submitMany'].params.parse({ definitions }))

/**
 * A response keeps its place in the stream: the events the server queued for a client before
 * answering it arrive before the answer, also while the client's socket is congested and the
 * events wait in the server's queue.
 */
describe('responses on a congested WebSocket', () => {
  let h: Harness
  let socket: TestSocket | null = null
  beforeEach(async () => {
    // Any unsent byte counts as congestion; no resync however much waits.
    h = await startHarness({ highWaterBytes: 1, maxPendingBytes: 1024 * 1024 * 1024 })
  })
  afterEach(async () => {
    socket?.socket.terminate()
    socket = null
    await h.close()
  })

  it('answers (a request, a wrong session.auth) only after the events queued before them', async () => {
    const opened = await TestSocket.open(h.server.port, { headers: { authorization: `Bearer ${h.server.token}` } })
    socket = opened
    expect(await opened.request('events.subscribe', { since: (await h.engine.handlers['events.read']({ since: 0, limit: 1 })).headSeq })).toMatchObject({ ok: true })
    opened.socket.pause()
    // Tens of megabytes of events: more than the kernel's socket buffers hold, so the socket stays congested while the client reads nothing.
    const filler = 'x'.repeat(30_000)
    await submitMany(h, Array.from({ length: 1000 }, () => ({ spec: { kind: 'shell', command: ['true'], env: { FILLER: filler } }, stashed: true })))
    // Queued behind them, in the server's queue.
    const [marker] = (await submitMany(h, [{ name: 'queued-marker', spec: { kind: 'shell', command: ['true'] }, stashed: true }])).tasks
    opened.sendRaw(JSON.stringify({ v: 1, id: 101, command: 'session.auth', params: { token: 'wrong' } }))
    opened.sendRaw(JSON.stringify({ v: 1, id: 102, command: 'task.submit', params: { definition: { name: 'asked-after', spec: { kind: 'shell', command: ['true'] }, stashed: true } } }))
    // Messages are handled in order: once the second one's task exists, both were answered (or are about to be).
    await waitUntil(async () => (await h.engine.handlers['task.list'](COMMANDS['task.list'].params.parse({ text: 'asked-after' }))).total === 1, 'the request after the re-auth')
    opened.socket.resume()
    const isMarker = (message: ServerMessage) => message.kind === 'events' && message.events.some((event) => event.type === 'task.created' && event.task.id === marker!.id)
    await Promise.all([opened.waitFor((message) => message.kind === 'response' && message.id === 102), opened.waitFor(isMarker)])
    const at = (predicate: (message: ServerMessage) => boolean) => opened.messages.findIndex(predicate)
    const markerAt = at(isMarker)
    expect(at((message) => message.kind === 'response' && message.id === 101)).toBeGreaterThan(markerAt)
    expect(at((message) => message.kind === 'response' && message.id === 102)).toBeGreaterThan(markerAt)
    await opened.close()
  })
})
