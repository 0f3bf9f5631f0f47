import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws'
import { webSocketBridge, type WebSocketBridge } from '../../src-renderer/bridge/websocket.ts'
import type { ConnectionState } from '../../src-renderer/bridge/types.ts'
import { sequencedEvents$ } from '../../src-renderer/streams/sequence.ts'
import { DURABLE_EVENT_TYPES, PROTOCOL_VERSION, TRANSIENT_EVENT_TYPES, checkEventFrames, isDurable, type EngineEvent } from '../../src-shared/index.ts'
import { output, paused } from './events.ts'

const frames = (lastSeq: number, events: unknown[], repeats = true, durableOnly = false) => checkEventFrames(lastSeq, events, { repeats, durableOnly })

describe('checkEventFrames', () => {
  it('knows every event type of the contract, durable and transient', () => {
    expect([...DURABLE_EVENT_TYPES]).toEqual(expect.arrayContaining(['task.created', 'run.finished', 'settings.changed', 'trigger.fired']))
    expect([...TRANSIENT_EVENT_TYPES]).toEqual(expect.arrayContaining(['run.output', 'run.progress', 'engine.stats']))
  })

  it('accepts durable events that continue the sequence, with transient ones between them', () => {
    expect(frames(4, [paused(5), output(1, 1, 'x'), paused(6)])).toBeNull()
  })

  it('accepts a repeated seq only where a replay may overlap live events', () => {
    expect(frames(4, [paused(3), paused(5)])).toBeNull()
    expect(frames(4, [paused(3), paused(5)], false)?.message).toBe('event 1 after seq 4 ("engine.paused"): seq 3 goes back (expected 5)')
  })

  it('names what is wrong', () => {
    expect(frames(4, [paused(5), { ...paused(6), type: 'task.exploded' }])).toEqual({ message: 'event 2 after seq 5: unknown type "task.exploded"', gap: null })
    expect(frames(4, [paused(5), paused(8)])).toEqual({ message: 'event 2 after seq 5 ("engine.paused"): seq 8 skips ahead (expected 6)', gap: { expected: 6, received: 8 } })
    expect(frames(4, [{ ...paused(5), seq: 5.5 }])?.message).toBe('event 1 after seq 4 ("engine.paused"): seq 5.5 is not a positive integer')
    expect(frames(4, [{ ...paused(5), seq: '5' }])?.message).toBe('event 1 after seq 4 ("engine.paused"): seq "5" is not a positive integer')
    expect(frames(4, [null])?.message).toBe('event 1 after seq 4: not an object')
    expect(frames(4, [{ seq: 5 }])?.message).toBe('event 1 after seq 4: no type')
    expect(frames(4, [{ ...output(1, 1, 'x'), seq: 5 }])?.message).toBe('event 1 after seq 4: the transient event "run.output" has a seq')
    expect(frames(4, [output(1, 1, 'x')], false, true)?.message).toBe('event 1 after seq 4: unknown type "run.output"')
  })
})

/**
 * A stand-in server on a real socket that speaks the protocol (auth, events.subscribe)
 * and then sends what a test gives it, which the real server never would.
 */
async function fakeServer(afterSubscribe: (socket: ServerSocket, subscription: number) => void, beforeAnswer: (socket: ServerSocket, subscription: number) => void = () => {}) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  let connections = 0
  let subscriptions = 0
  server.on('connection', (socket) => {
    connections++
    socket.on('message', (data: Buffer) => {
      const request = JSON.parse(data.toString()) as { id: number; command: string }
      const subscription = request.command === 'events.subscribe' ? ++subscriptions : 0
      if (subscription > 0) beforeAnswer(socket, subscription)
      socket.send(JSON.stringify({ v: PROTOCOL_VERSION, kind: 'response', id: request.id, result: { ok: true, value: { headSeq: 2 } } }))
      if (subscription > 0) afterSubscribe(socket, subscription)
    })
  })
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('the WebSocket bridge refusing messages it does not understand', () => {
  let bridge: WebSocketBridge | null = null
  let server: Awaited<ReturnType<typeof fakeServer>> | null = null
  afterEach(async () => {
    bridge?.dispose()
    bridge = null
    await server?.close()
    server = null
  })

  const events = (list: unknown[]) => JSON.stringify({ v: PROTOCOL_VERSION, kind: 'events', events: list })
  const cases: [string, string, RegExp][] = [
    ['an event type the contract does not know', events([{ ...paused(3), type: 'task.exploded' }]), /event 1 after seq 2: unknown type "task\.exploded"/],
    ['a message that is not JSON', '{"v":1,"kind":"events","events":[', /a message from the server is not JSON/],
    ['another protocol version', JSON.stringify({ v: 2, kind: 'events', events: [paused(3)] }), /a message from the server: v: /],
    ['an unknown kind of message', JSON.stringify({ v: 1, kind: 'gossip' }), /a message from the server: kind: /],
  ]

  for (const [what, message, reason] of cases) {
    it(`refuses ${what}: names it, delivers nothing of it, and does not reconnect`, async () => {
      server = await fakeServer((socket) => {
        socket.send(events([paused(1), paused(2)]))
        socket.send(message)
        socket.send(events([paused(3)]))
      })
      const states: ConnectionState[] = []
      const delivered: EngineEvent[] = []
      bridge = webSocketBridge({ url: server.url, token: () => 'token', backoff: { initialMs: 0, maxMs: 0, factor: 1 } })
      bridge.connection$.subscribe((state) => states.push(state))
      bridge.subscribe(0, (batch) => delivered.push(...batch))
      await new Promise<void>((resolve) => bridge!.connection$.subscribe((state) => state.kind === 'refused' && resolve()))
      const refused = states.at(-1)
      expect(refused).toMatchObject({ kind: 'refused' })
      expect(refused?.kind === 'refused' && refused.reason).toMatch(reason)
      expect(delivered.filter(isDurable).map((e) => e.seq)).toEqual([1, 2])
      // A retry would have gone through `offline` first, as soon as the connection failed.
      expect(states.map((state) => state.kind)).toEqual(['connecting', 'online', 'refused'])
      expect(server.connections()).toBe(1)
      const answer = await bridge.invoke('engine.pause', {})
      expect(answer).toMatchObject({ ok: false, error: { message: expect.stringMatching(reason) as unknown } })
    })
  }

  it('passes a seq that skips ahead on as a hole: the sequence check keeps what came before it and subscribes again from there', async () => {
    server = await fakeServer((socket, subscription) => {
      if (subscription === 1) socket.send(events([paused(1), paused(2), paused(4)]))
      else socket.send(events([paused(3), paused(4), paused(5)]))
    })
    bridge = webSocketBridge({ url: server.url, token: () => 'token', backoff: { initialMs: 0, maxMs: 0, factor: 1 } })
    const states: ConnectionState[] = []
    bridge.connection$.subscribe((state) => states.push(state))
    const gaps: { expected: number; received: number }[] = []
    const delivered: number[] = []
    const open = bridge
    const stream = sequencedEvents$((since, onEvents) => open.subscribe(since, onEvents), { onResync: (gap) => gaps.push(gap) }).subscribe((batch) =>
      delivered.push(...batch.filter(isDurable).map((e) => e.seq)),
    )
    await new Promise<void>((resolve) => {
      const wait = setInterval(() => delivered.includes(5) && (clearInterval(wait), resolve()), 5)
    })
    stream.unsubscribe()
    expect(delivered).toEqual([1, 2, 3, 4, 5])
    expect(gaps).toEqual([{ expected: 3, received: 4 }])
    expect(states.map((state) => state.kind)).toEqual(['connecting', 'online'])
    expect(server.connections()).toBe(1)
  })

  it('drops events of the subscription being replaced that skip ahead, until the new one answers, and refuses none', async () => {
    const delivered: number[] = []
    server = await fakeServer(
      (socket, subscription) => {
        if (subscription === 1) socket.send(events([paused(1), paused(2)]))
        else socket.send(events([paused(3), paused(4), paused(5), paused(6)]))
      },
      (socket, subscription) => {
        // The old subscription was still streaming: seq 5 and 6, past what the new subscriber has (2).
        if (subscription === 2) socket.send(events([paused(5), paused(6)]))
      },
    )
    bridge = webSocketBridge({ url: server.url, token: () => 'token', backoff: { initialMs: 0, maxMs: 0, factor: 1 } })
    const states: ConnectionState[] = []
    bridge.connection$.subscribe((state) => states.push(state))
    const first: number[] = []
    const disposeFirst = bridge.subscribe(0, (batch) => first.push(...batch.filter(isDurable).map((e) => e.seq)))
    await new Promise<void>((resolve) => {
      const wait = setInterval(() => first.length === 2 && (clearInterval(wait), resolve()), 5)
    })
    disposeFirst()
    bridge.subscribe(2, (batch) => delivered.push(...batch.filter(isDurable).map((e) => e.seq)))
    await new Promise<void>((resolve) => {
      const wait = setInterval(() => delivered.includes(6) && (clearInterval(wait), resolve()), 5)
    })
    expect(delivered).toEqual([3, 4, 5, 6])
    expect(states.map((state) => state.kind)).toEqual(['connecting', 'online'])
  })
})
