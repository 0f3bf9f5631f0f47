import type { IncomingMessage, ServerResponse } from 'node:http'
import { HEAD_SEQ_HEADER, isDurable } from '../../src-shared/index.ts'
import type { EngineApi, StoredEventText } from '../engine/api.ts'

/** Unsent bytes on the response above which the replay waits for the client instead of reading further. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024

/** `since` from the query: absent means 0; anything but a non-negative integer is refused with a reason. */
export function parseSince(query: URLSearchParams): { since: number } | { error: string } {
  const given = query.getAll('since')
  // Two values would leave it to us which one was meant.
  if (given.length > 1) return { error: `since: given ${given.length} times; give it once.` }
  const raw = given[0]
  if (raw === undefined) return { since: 0 }
  if (!/^\d{1,15}$/.test(raw)) return { error: `since: expected a non-negative integer, got "${raw.slice(0, 40)}".` }
  return { since: Number(raw) }
}

/**
 * `GET /api/v1/events?since=N`: every durable event with seq in (N, head] as NDJSON, one
 * event per line exactly as the event log stores its JSON (no parse and re-serialise),
 * where head is the log's last seq when the request came and is sent up front in
 * `Taskdeck-Head-Seq`. The body ends at head; a client then subscribes over the WebSocket
 * with `since` = the last seq it read. Browsers read a streamed response through a data pipe
 * in large chunks, which catches up on a long history faster than WebSocket frames (see
 * docs/benchmarks.md). The replay reads the log only as fast as the client takes it.
 */
export function streamEvents(engine: EngineApi, since: number, request: IncomingMessage, res: ServerResponse): void {
  let ended = false
  const write = (page: readonly StoredEventText[]) => {
    if (ended) return
    let text = ''
    let last = since
    for (const event of page) {
      // Live events after head are not this response's: the WebSocket subscription that follows delivers them.
      if (event.seq > head) break
      text += event.json + '\n'
      last = event.seq
    }
    res.write(text)
    if (last >= head) finish()
  }
  const subscription = engine.subscribe(
    since,
    // Where an engine replays parsed events instead of stored text, they are serialised here, as JSON.stringify stored them.
    (events) => write(events.filter(isDurable).map((event) => ({ seq: event.seq, json: JSON.stringify(event) }))),
    { readyForPage: () => res.writableLength < HIGH_WATER_BYTES, onStoredPage: write },
  )
  const head = subscription.headSeq
  const finish = () => {
    if (ended) return
    ended = true
    subscription.dispose()
    res.end()
  }
  res.statusCode = 200
  res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8')
  res.setHeader('Cache-Control', 'no-store')
  res.setHeader(HEAD_SEQ_HEADER, String(head))
  res.flushHeaders()
  // A client that goes away stops the replay; nothing is left reading the log for it.
  res.once('close', () => {
    ended = true
    subscription.dispose()
  })
  request.resume()
  if (since >= head) finish()
}
