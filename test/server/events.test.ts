import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { isDurable, isFinished, type DurableEvent, type ServerMessage, type Task } from '../../src-shared/index.ts'
import { MAX_BYTES_PER_MESSAGE } from '../../src-main/server/ws-client.ts'
import { call, startHarness, TestSocket, waitUntil, type Harness } from './helpers.ts'

const shell = (command: string | string[]) => ({ definition: { spec: { kind: 'shell', command } } })

async function submit(h: Harness, command: string | string[]): Promise<Task> {
  return (await call<{ task: Task }>(h.server, 'task.submit', shell(command))).task
}

async function untilFinished(h: Harness, taskId: number): Promise<Task> {
  let task: Task | null = null
  await waitUntil(async () => {
    task = (await call<{ task: Task }>(h.server, 'task.get', { taskId })).task
    return isFinished(task.status)
  }, `task ${taskId} to finish`)
  return task as unknown as Task
}

const durable = (socket: TestSocket): DurableEvent[] => socket.events().filter(isDurable)

describe('event stream over a real WebSocket', () => {
  let h: Harness
  afterEach(async () => {
    await h.close()
  })

  it('replays exactly the missed durable events, in order, then continues live', async () => {
    h = await startHarness()
    const auth = { headers: { authorization: `Bearer ${h.server.token}` } }

    const first = await TestSocket.open(h.server.port, auth)
    expect(await first.request('events.subscribe', { since: 0 })).toMatchObject({ ok: true })
    const early = [await submit(h, ['true']), await submit(h, ['sh', '-c', 'echo one; exit 2'])]
    for (const task of early) await untilFinished(h, task.id)
    const { headSeq: seen } = await call<{ headSeq: number }>(h.server, 'events.read', { since: 0, limit: 1 })
    await waitUntil(() => durable(first).at(-1)?.seq === seen, 'the first client to see every event')
    await first.close()

    // Missed while disconnected:
    for (const command of ['echo a', 'echo b; echo c >&2', 'exit 5']) await untilFinished(h, (await submit(h, command)).id)
    const missed = await call<{ events: DurableEvent[]; headSeq: number }>(h.server, 'events.read', { since: seen, limit: 10_000 })
    expect(missed.events.length).toBeGreaterThanOrEqual(9)

    const second = await TestSocket.open(h.server.port, auth)
    const subscribed = await second.request('events.subscribe', { since: seen })
    expect(subscribed).toEqual({ ok: true, value: { headSeq: missed.headSeq } })
    await waitUntil(() => (durable(second).at(-1)?.seq ?? 0) >= missed.headSeq, 'the replay')
    expect(durable(second)).toEqual(missed.events)
    expect(durable(second).map((e) => e.seq)).toEqual(Array.from({ length: missed.headSeq - seen }, (_, i) => seen + 1 + i))
    // Batched: the whole replay arrived in one message, not one message per event.
    expect(second.messages.filter((m) => m.kind === 'events').length).toBe(1)

    const live = await submit(h, ['true'])
    const created = await second.waitFor((m) => m.kind === 'events' && m.events.some((e) => e.type === 'task.created' && e.task.id === live.id))
    expect(created.kind === 'events' && created.events[0]).toMatchObject({ seq: missed.headSeq + 1 })
    await untilFinished(h, live.id)
    await second.close()
  })

  it('delivers transient output live and events that happened before a response first', async () => {
    h = await startHarness()
    const socket = await TestSocket.open(h.server.port, { headers: { authorization: `Bearer ${h.server.token}` } })
    await socket.request('events.subscribe', { since: 0 })
    const result = await socket.request('task.submit', shell(['sh', '-c', 'echo hello-from-task']))
    const index = socket.messages.findIndex((m) => m.kind === 'response' && m.result.ok && (m.result.value as { task?: Task }).task !== undefined)
    // The task.created event was produced before the response, so it is delivered before it.
    expect(socket.messages.slice(0, index).some((m) => m.kind === 'events' && m.events.some((e) => e.type === 'task.created'))).toBe(true)
    expect(result).toMatchObject({ ok: true })
    await socket.waitFor((m) => m.kind === 'events' && m.events.some((e) => e.type === 'run.output' && e.text.includes('hello-from-task')))
    await socket.close()
  })

  it('tells a client that stopped reading to resync instead of buffering without bound; resubscribing loses nothing', async () => {
    h = await startHarness({ highWaterBytes: 16 * 1024, maxPendingBytes: 256 * 1024 })
    const socket = await TestSocket.open(h.server.port, { headers: { authorization: `Bearer ${h.server.token}` } })
    await socket.request('events.subscribe', { since: 0 })
    // Stop reading at the TCP level (the ws client has no public pause), so the server's send buffer fills.
    const tcp = (socket.socket as unknown as { _socket: Socket })._socket
    tcp.pause()
    const flood = await submit(h, "head -c 30000000 /dev/zero | tr '\\0' x | fold -w 1000")
    const after = await submit(h, ['true'])
    await untilFinished(h, flood.id)
    await untilFinished(h, after.id)
    tcp.resume()

    const resync = await socket.waitFor((m): m is Extract<ServerMessage, { kind: 'resync' }> => m.kind === 'resync')
    expect(resync.reason).toContain('subscribe again')
    // `since` is the last durable event the server sent before giving up, and all of those arrived first.
    const sentBefore = socket.messages.slice(0, socket.messages.indexOf(resync)).flatMap((m) => (m.kind === 'events' ? m.events.filter(isDurable) : []))
    expect(sentBefore.at(-1)?.seq ?? 0).toBe(resync.since)
    const resubscribed = await socket.request('events.subscribe', { since: resync.since })
    expect(resubscribed).toMatchObject({ ok: true })
    const { headSeq } = await call<{ headSeq: number }>(h.server, 'events.read', { since: 0, limit: 1 })
    // The stream really was cut: the later task's events had not been sent when the server gave up.
    expect(resync.since).toBeLessThan(headSeq)
    await waitUntil(() => (durable(socket).at(-1)?.seq ?? 0) >= headSeq, 'the events after the resync')
    // Every durable event arrived exactly once across the resync.
    expect(durable(socket).map((e) => e.seq)).toEqual(Array.from({ length: headSeq }, (_, i) => i + 1))
    expect(durable(socket).some((e) => e.type === 'run.finished' && e.run.taskId === flood.id)).toBe(true)
    await socket.close()
  })

  it('sends a backlog of output as many messages of bounded size, in order and complete', async () => {
    // A browser decodes each message in one main-thread task: a megabytes-long message is a frozen UI.
    h = await startHarness({ highWaterBytes: 16 * 1024, maxPendingBytes: 256 * 1024 * 1024 })
    const socket = await TestSocket.open(h.server.port, { headers: { authorization: `Bearer ${h.server.token}` } })
    await socket.request('events.subscribe', { since: 0 })
    const tcp = (socket.socket as unknown as { _socket: Socket })._socket
    tcp.pause()
    const lines = 2_000_000
    // Every line ends in "\n" (two bytes in JSON) and every tenth carries a three-byte character: sizes must be exact.
    const flood = await submit(h, `seq 1 ${lines} | sed '0~10s/$/ 가/'`)
    await untilFinished(h, flood.id)
    tcp.resume()
    await socket.waitFor((m) => m.kind === 'events' && m.events.some((e) => e.type === 'run.finished' && e.run.taskId === flood.id))

    const outputMessages = socket.messages.flatMap((m, i) => (m.kind === 'events' && m.events.some((e) => e.type === 'run.output') ? [i] : []))
    expect(outputMessages.length).toBeGreaterThan(4)
    const largestEvent = Math.max(...socket.events().map((e) => Buffer.byteLength(JSON.stringify(e))))
    // The cap is on the message's real UTF-8 size (escapes and multi-byte characters included); a larger event goes alone.
    const envelope = Buffer.byteLength(JSON.stringify({ v: 1, kind: 'events', events: [] }))
    for (const i of outputMessages) expect(socket.messageBytes[i]).toBeLessThanOrEqual(Math.max(envelope + largestEvent, MAX_BYTES_PER_MESSAGE))
    // Full messages, not a trickle: a split happens only when the next event would not fit.
    expect(Math.max(...outputMessages.map((i) => socket.messageBytes[i]!))).toBeGreaterThan(MAX_BYTES_PER_MESSAGE - largestEvent)
    const text = socket
      .events()
      .flatMap((e) => (e.type === 'run.output' && e.taskId === flood.id ? [e.text] : []))
      .join('')
    expect(text).toBe(Array.from({ length: lines }, (_, i) => `${i + 1}${(i + 1) % 10 === 0 ? ' 가' : ''}\n`).join(''))
    await socket.close()
  })

  it('cuts off a client that keeps sending requests without reading the answers', async () => {
    h = await startHarness({ highWaterBytes: 16 * 1024, maxPendingBytes: 16 * 1024 })
    for (let i = 0; i < 100; i++) {
      await call(h.server, 'task.submit', { definition: { name: `${i}`.padEnd(200, 'x'), spec: { kind: 'shell', command: ['true'] }, stashed: true } })
    }
    const socket = await TestSocket.open(h.server.port, { headers: { authorization: `Bearer ${h.server.token}` } })
    const tcp = (socket.socket as unknown as { _socket: Socket })._socket
    tcp.pause()
    for (let i = 0; i < 400; i++) socket.sendRaw(JSON.stringify({ v: 1, id: i, command: 'task.list', params: {} }))
    expect(h.server.clientCount).toBe(1)
    await waitUntil(() => h.server.clientCount === 0, 'the server to drop the client')
    tcp.resume()
    expect((await socket.closed).code).toBe(1006)
    // Far fewer answers arrived than were asked for, and the server still serves others.
    expect(socket.messages.length).toBeLessThan(400)
    expect((await call<{ total: number }>(h.server, 'task.list')).total).toBe(100)
  })
})
