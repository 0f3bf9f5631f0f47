import { afterEach, describe, expect, it } from 'vitest'
import { isDurable, type DurableEvent, type ServerMessage } from '../../src-shared/index.ts'
import { MAX_BYTES_PER_MESSAGE, MAX_EVENTS_PER_MESSAGE, eventsMessageBytes, eventsMessageRanges, eventsMessages, type WireEvent } from '../../src-main/server/ws-client.ts'
import { call, startHarness, TestSocket, waitUntil, type Harness } from './helpers.ts'

const wire = (event: object, seq = 0): WireEvent => {
  const json = JSON.stringify(event)
  return { json, bytes: Buffer.byteLength(json), seq }
}

describe('events messages built from JSON text', () => {
  it('are the eventsMessage envelope, split by real UTF-8 size and count, each with its last durable seq', () => {
    // Multi-byte text: its UTF-8 size is about three times its string length.
    const events = Array.from({ length: 3000 }, (_, i) =>
      wire({ type: 'run.output', runId: 1, taskId: 1, stream: 'stdout', line: i, text: '가"\n'.repeat(40) }),
    )
    events.splice(1000, 0, wire({ type: 'engine.paused', seq: 7, at: 1, paused: true }, 7))
    const messages = eventsMessages(events)
    expect(messages.length).toBeGreaterThan(1)
    const parsed = messages.map((m) => JSON.parse(m.text) as Extract<ServerMessage, { kind: 'events' }>)
    expect(parsed.every((m) => m.v === 1 && m.kind === 'events')).toBe(true)
    expect(parsed.flatMap((m) => m.events)).toEqual(events.map((e) => JSON.parse(e.json) as unknown))
    for (const [i, message] of messages.entries()) {
      expect(message.bytes).toBe(Buffer.byteLength(message.text))
      expect(message.bytes).toBeLessThanOrEqual(MAX_BYTES_PER_MESSAGE)
      // Split only when the next event would not have fitted.
      const next = messages[i + 1]
      if (next) expect(message.bytes + 1 + Buffer.byteLength(JSON.stringify(parsed[i + 1]!.events[0]))).toBeGreaterThan(MAX_BYTES_PER_MESSAGE)
      expect(message.lastSeq).toBe(parsed[i]!.events.some((e) => isDurable(e)) ? 7 : 0)
    }
    // What the socket sends: the UTF-8 of that text, written from each event's text.
    expect(eventsMessageRanges(events).map((range) => eventsMessageBytes(events, range))).toEqual(messages.map((m) => Buffer.from(m.text)))
  })

  it('hold at most MAX_EVENTS_PER_MESSAGE small events, and send an event larger than the cap alone', () => {
    const small = Array.from({ length: MAX_EVENTS_PER_MESSAGE * 2 + 1 }, (_, i) => wire({ type: 'engine.paused', seq: i + 1, at: 0, paused: false }, i + 1))
    expect(eventsMessages(small).map((m) => (JSON.parse(m.text) as { events: unknown[] }).events.length)).toEqual([MAX_EVENTS_PER_MESSAGE, MAX_EVENTS_PER_MESSAGE, 1])
    expect(eventsMessages(small).map((m) => m.lastSeq)).toEqual([MAX_EVENTS_PER_MESSAGE, MAX_EVENTS_PER_MESSAGE * 2, MAX_EVENTS_PER_MESSAGE * 2 + 1])
    const huge = wire({ type: 'run.output', runId: 1, taskId: 1, stream: 'stdout', line: 0, text: 'x'.repeat(MAX_BYTES_PER_MESSAGE + 10) })
    const messages = eventsMessages([small[0]!, huge, small[1]!])
    expect(messages.map((m) => (JSON.parse(m.text) as { events: unknown[] }).events.length)).toEqual([1, 1, 1])
    expect(messages[1]!.bytes).toBeGreaterThan(MAX_BYTES_PER_MESSAGE)
  })
})

describe('replay over a real WebSocket', () => {
  let h: Harness
  afterEach(async () => {
    await h.close()
  })

  it('sends a long history complete and in order, in messages under the size cap, even through a small socket buffer', async () => {
    // A tiny high-water mark makes the replay wait for the socket to drain between pages.
    h = await startHarness({ highWaterBytes: 16 * 1024 })
    const definitions = Array.from({ length: 3000 }, (_, i) => ({ name: `작업 "${i}"\n`.padEnd(60, '·'), spec: { kind: 'shell', command: ['true'] }, stashed: true }))
    for (let i = 0; i < definitions.length; i += 500) await call(h.server, 'task.submitMany', { definitions: definitions.slice(i, i + 500) })
    const { events: expected, headSeq } = await call<{ events: DurableEvent[]; headSeq: number }>(h.server, 'events.read', { since: 0, limit: 10_000 })
    expect(headSeq).toBeGreaterThan(3000)

    const socket = await TestSocket.open(h.server.port, { headers: { authorization: `Bearer ${h.server.token}` } })
    expect(await socket.request('events.subscribe', { since: 0 })).toEqual({ ok: true, value: { headSeq } })
    await waitUntil(() => (socket.events().filter(isDurable).at(-1)?.seq ?? 0) >= headSeq, 'the replay')
    expect(socket.events().filter(isDurable)).toEqual(expected)
    const eventMessages = socket.messages.flatMap((m, i) => (m.kind === 'events' ? [i] : []))
    expect(eventMessages.length).toBeGreaterThan(1)
    for (const i of eventMessages) expect(socket.messageBytes[i]).toBeLessThanOrEqual(MAX_BYTES_PER_MESSAGE)
    // Text frames, as a browser's WebSocket must get them to hand over strings.
    expect(socket.binaryMessages).toBe(0)
    await socket.close()
  })
})
