import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { catchUpHere, type CatchUp } from '../../src-renderer/bridge/catch-up.ts'
import { webSocketBridge, type WebSocketBridge } from '../../src-renderer/bridge/websocket.ts'
import { EVENTS_PATH, WEBSOCKET_PATH } from '../../src-shared/index.ts'
import { sequencedEvents$ } from '../../src-renderer/streams/sequence.ts'
import { isDurable, type DurableEvent, type EngineEvent } from '../../src-shared/index.ts'
import { call, importTasks, startHarness, waitUntil, type Harness } from './helpers.ts'

/** A catch-up that records what it was asked and what it delivered, around the real one. */
function recorded(inner: CatchUp) {
  const calls: { since: number; delivered: number; outcome: 'pending' | 'done' | 'failed' }[] = []
  const catchUp: CatchUp = (since, token, onEvents) => {
    const call_ = { since, delivered: 0, outcome: 'pending' as 'pending' | 'done' | 'failed' }
    calls.push(call_)
    const run = inner(since, token, (events) => {
      call_.delivered += events.length
      onEvents(events)
    })
    run.done.then(
      () => (call_.outcome = 'done'),
      () => (call_.outcome = 'failed'),
    )
    return run
  }
  return { catchUp, calls }
}

const headSeq = async (h: Harness) => (await call<{ headSeq: number }>(h.server, 'events.read', { since: 0, limit: 1 })).headSeq

/** The app's own pipeline on the bridge: sequence-checked batches (a gap resubscribes from the last seq). */
function collect(bridge: WebSocketBridge) {
  const durable: DurableEvent[] = []
  const gaps: unknown[] = []
  const subscription = sequencedEvents$((since, onEvents) => bridge.subscribe(since, onEvents), { onResync: (gap) => gaps.push(gap) }).subscribe(
    (batch: EngineEvent[]) => {
      for (const event of batch) if (isDurable(event)) durable.push(event)
    },
  )
  return { durable, gaps, stop: () => subscription.unsubscribe() }
}

const seqs = (events: readonly DurableEvent[]) => events.map((e) => e.seq)
const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

describe('the WebSocket bridge catching up over HTTP', () => {
  let h: Harness
  let bridge: WebSocketBridge | null = null
  afterEach(async () => {
    bridge?.dispose()
    bridge = null
    await h.close()
  })

  const open = (catchUp?: CatchUp, token = () => h.server.token) => {
    bridge = webSocketBridge({ url: `ws://127.0.0.1:${h.server.port}${WEBSOCKET_PATH}`, token, ...(catchUp ? { catchUp } : {}) })
    return bridge
  }

  it('brings the history over HTTP, then continues live over the WebSocket: every event once, in order', async () => {
    h = await startHarness()
    await importTasks(h, 1, 3000)
    const head = await headSeq(h)
    const { catchUp, calls } = recorded(catchUpHere(h.server.url.replace(/\/$/, '')))
    const app = collect(open(catchUp))
    await waitUntil(() => app.durable.at(-1)?.seq === head, 'the history')
    await waitUntil(() => calls[0]?.outcome === 'done', 'the catch-up to end')
    expect(calls).toEqual([{ since: 0, delivered: head, outcome: 'done' }])

    const { task } = await call<{ task: { id: number } }>(h.server, 'task.submit', { definition: { spec: { kind: 'shell', command: 'true' } } })
    await waitUntil(async () => app.durable.at(-1)?.seq === (await headSeq(h)) && app.durable.some((e) => e.type === 'run.finished' && e.run.taskId === task.id), 'the live task')
    expect(seqs(app.durable)).toEqual(oneToN(await headSeq(h)))
    expect(app.durable.slice(0, head)).toEqual((await call<{ events: DurableEvent[] }>(h.server, 'events.read', { since: 0, limit: 10_000 })).events.slice(0, head))
    expect(app.gaps).toEqual([])
    app.stop()
  })

  it('loses and duplicates nothing written while it catches up', async () => {
    h = await startHarness()
    await importTasks(h, 1, 3000)
    const { catchUp, calls } = recorded(catchUpHere(h.server.url.replace(/\/$/, '')))
    const app = collect(open(catchUp))
    // Written while the history streams: after the head the catch-up ends at, so the WebSocket brings them.
    await importTasks(h, 3001, 50)
    const tasks = await Promise.all(Array.from({ length: 5 }, () => call<{ task: { id: number } }>(h.server, 'task.submit', { definition: { spec: { kind: 'shell', command: 'true' } } })))
    await waitUntil(async () => {
      const finished = new Set(app.durable.flatMap((e) => (e.type === 'run.finished' ? [e.run.taskId] : [])))
      return tasks.every(({ task }) => finished.has(task.id)) && app.durable.at(-1)?.seq === (await headSeq(h))
    }, 'every event')
    expect(seqs(app.durable)).toEqual(oneToN(await headSeq(h)))
    expect(calls[0]).toMatchObject({ since: 0, outcome: 'done' })
    expect(app.gaps).toEqual([])
    app.stop()
  })

  it('falls back to the WebSocket replay when the catch-up is refused, and catches up again from the last seq on reconnect', async () => {
    h = await startHarness()
    await importTasks(h, 1, 500)
    let catchUpToken = 'not-the-token'
    const inner = catchUpHere(h.server.url.replace(/\/$/, ''))
    const { catchUp, calls } = recorded((since, _token, onEvents) => inner(since, catchUpToken, onEvents))
    const webSocket = open(catchUp)
    const app = collect(webSocket)
    const head = await headSeq(h)
    await waitUntil(() => app.durable.at(-1)?.seq === head, 'the history over the WebSocket')
    expect(calls).toEqual([{ since: 0, delivered: 0, outcome: 'failed' }])

    catchUpToken = h.server.token
    await importTasks(h, 501, 300)
    const newHead = await headSeq(h)
    await waitUntil(() => app.durable.at(-1)?.seq === newHead, 'the live imports')
    webSocket.reconnect()
    await waitUntil(() => calls.length === 2 && calls[1]!.outcome === 'done', 'the catch-up after reconnecting')
    // Nothing was missed, so the catch-up from the last seq had nothing to bring.
    expect(calls[1]).toEqual({ since: newHead, delivered: 0, outcome: 'done' })
    await importTasks(h, 801, 10)
    await waitUntil(async () => app.durable.at(-1)?.seq === (await headSeq(h)), 'events after the reconnect')
    expect(seqs(app.durable)).toEqual(oneToN(await headSeq(h)))
    expect(app.gaps).toEqual([])
    app.stop()
  })
})

/** The server's own NDJSON history, as `GET /api/v1/events` sends it. */
async function storedLines(h: Harness): Promise<{ lines: string[]; head: number }> {
  const response = await fetch(`${h.server.url.replace(/\/$/, '')}${EVENTS_PATH}?since=0`, { headers: { authorization: `Bearer ${h.server.token}` } })
  const head = Number(response.headers.get('Taskdeck-Head-Seq'))
  return { lines: (await response.text()).split('\n').filter((line) => line !== ''), head }
}

/** A stand-in for the events route on a real socket, serving a body the real server would not send. */
async function serveEventLog(body: string, head: number): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createHttpServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/x-ndjson', 'Taskdeck-Head-Seq': String(head) })
    response.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A stand-in for the events route whose body comes in pieces of `size` bytes, each written on its own turn (so characters of several bytes are cut). */
async function serveInPieces(body: Buffer, head: number, size: number): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createHttpServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/x-ndjson', 'Taskdeck-Head-Seq': String(head) })
    void (async () => {
      for (let at = 0; at < body.length; at += size) {
        response.write(body.subarray(at, at + size))
        await new Promise((resolve) => setImmediate(resolve))
      }
      response.end()
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('the catch-up reading a body cut anywhere', () => {
  let h: Harness
  let fake: { close(): Promise<void> } | null = null
  afterEach(async () => {
    await fake?.close()
    fake = null
    await h.close()
  })

  it('decodes characters of several bytes cut between two chunks (the names are Korean): every event as stored', async () => {
    h = await startHarness()
    await importTasks(h, 1, 20)
    const { lines, head } = await storedLines(h)
    const body = Buffer.from(`${lines.join('\n')}\n`)
    // 7 bytes a piece: a three-byte Hangul syllable is cut in two again and again.
    expect(body.length).toBeGreaterThan(Buffer.from(lines.join('\n'), 'latin1').length)
    const served = await serveInPieces(body, head, 7)
    fake = served
    const delivered: DurableEvent[] = []
    const run = catchUpHere(served.origin)(0, h.server.token, (events) => delivered.push(...events))
    expect(await run.done).toBe(head)
    expect(delivered).toEqual(lines.map((line) => JSON.parse(line) as DurableEvent))
  })
})

describe('the catch-up refusing what it does not understand', () => {
  let h: Harness
  let bridge: WebSocketBridge | null = null
  let fake: { close(): Promise<void> } | null = null
  afterEach(async () => {
    bridge?.dispose()
    bridge = null
    await fake?.close()
    fake = null
    await h.close()
  })

  const malformed: [string, (lines: string[]) => string[], RegExp][] = [
    ['a line that is not JSON', (lines) => [...lines.slice(0, 3), '{"type":"task.created","seq":4,', ...lines.slice(4)], /the lines after seq 0 are not JSON/],
    ['an event type the contract does not know', (lines) => lines.map((line, i) => (i === 2 ? line.replace(/"type":"[^"]+"/, '"type":"task.exploded"') : line)), /event 3 after seq 2: unknown type "task.exploded"/],
    ['a seq that skips ahead', (lines) => lines.filter((_, i) => i !== 4), /event 5 after seq 4 \("[a-z.]+"\): seq 6 skips ahead \(expected 5\)/],
    ['a transient event in the log', (lines) => [...lines.slice(0, 2), '{"type":"engine.stats","loopDelayMs":{}}', ...lines.slice(2)], /event 3 after seq 2: unknown type "engine.stats"/],
  ]

  for (const [what, corrupt, message] of malformed) {
    it(`refuses ${what}, naming it`, async () => {
      h = await startHarness()
      await importTasks(h, 1, 20)
      const { lines, head } = await storedLines(h)
      const served = await serveEventLog(`${corrupt(lines).join('\n')}\n`, head)
      fake = served
      const delivered: DurableEvent[] = []
      const run = catchUpHere(served.origin)(0, h.server.token, (events) => delivered.push(...events))
      await expect(run.done).rejects.toThrow(message)
      expect(delivered).toEqual([])
    })
  }

  it('falls back to the WebSocket replay when the catch-up refuses a line: every event once, in order', async () => {
    h = await startHarness()
    await importTasks(h, 1, 200)
    const { lines, head } = await storedLines(h)
    const served = await serveEventLog(`${lines.map((line, i) => (i === 7 ? line.replace(/"seq":\d+/, '"seq":"8"') : line)).join('\n')}\n`, head)
    fake = served
    const { catchUp, calls } = recorded(catchUpHere(served.origin))
    bridge = webSocketBridge({ url: `ws://127.0.0.1:${h.server.port}${WEBSOCKET_PATH}`, token: () => h.server.token, catchUp })
    const app = collect(bridge)
    await waitUntil(() => app.durable.at(-1)?.seq === head, 'the history over the WebSocket')
    expect(calls).toEqual([{ since: 0, delivered: 0, outcome: 'failed' }])
    expect(seqs(app.durable)).toEqual(oneToN(head))
    expect(app.gaps).toEqual([])
    app.stop()
  })
})
