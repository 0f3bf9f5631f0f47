import { DurableEventSchema, describeIssues, issuesOf, type DurableEvent } from '../../src-shared/index.ts'

/** Where `taskdeck serve` streams the event log (src-main/server/events-stream.ts). */
export const EVENTS_PATH = '/api/v1/events'
const HEAD_SEQ_HEADER = 'Taskdeck-Head-Seq'
/**
 * Characters of NDJSON validated and handed over at a time: the page parses each piece in
 * one task on its main thread, so pieces stay small enough to leave room for frames.
 */
const PIECE_CHARS = 256 * 1024

/** Part of the log, already checked: `text` is a JSON array of the `count` events, the last with seq `lastSeq`. */
export interface ValidatedPiece {
  text: string
  events: DurableEvent[]
  lastSeq: number
}

/** What the page asks its event-log worker (event-log.worker.ts) for, and what the worker answers. */
export interface EventLogRequest {
  origin: string
  token: string
  since: number
}

export type EventLogReply =
  | { kind: 'piece'; text: string; lastSeq: number }
  | { kind: 'end'; headSeq: number; lastSeq: number }
  | { kind: 'error'; message: string }

/**
 * Reads `GET /api/v1/events?since=…` (NDJSON, one stored event per line, ending at the
 * head seq the response names) and hands it over in pieces of whole lines, each parsed
 * and checked against the contract's DurableEventSchema. Throws (naming what was wrong)
 * on a refusal, an invalid event or a body cut short; the caller then falls back to the
 * WebSocket's `since` replay, which is always correct. Sequence checks stay with the
 * subscriber (checkSequence), as for events from the WebSocket.
 */
export async function readEventLog(
  origin: string,
  token: string,
  since: number,
  onPiece: (piece: ValidatedPiece) => void,
  signal?: AbortSignal,
): Promise<{ headSeq: number; lastSeq: number }> {
  const response = await fetch(`${origin}${EVENTS_PATH}?since=${since}`, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store', signal })
  if (!response.ok || response.body === null) {
    const detail = await response.text().catch(() => '')
    throw new Error(`GET ${EVENTS_PATH} answered ${response.status}: ${detail.slice(0, 300)}`)
  }
  const headSeq = Number(response.headers.get(HEAD_SEQ_HEADER))
  if (!Number.isSafeInteger(headSeq)) throw new Error(`GET ${EVENTS_PATH} did not name its head seq (${HEAD_SEQ_HEADER}).`)
  let lastSeq = since
  const take = (lines: string) => {
    // Whole NDJSON lines as one JSON array: JSON text never holds a raw newline, so each one separates two events.
    const text = `[${lines.replaceAll('\n', ',')}]`
    const raw = JSON.parse(text) as unknown[]
    const events: DurableEvent[] = []
    for (const [index, candidate] of raw.entries()) {
      const checked = DurableEventSchema.safeParse(candidate)
      if (!checked.success) throw new Error(describeIssues(`event ${index + 1} after seq ${lastSeq}`, issuesOf(checked.error)))
      events.push(checked.data)
    }
    lastSeq = events.at(-1)?.seq ?? lastSeq
    onPiece({ text, events, lastSeq })
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let rest = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    const text = rest + value
    const complete = text.lastIndexOf('\n')
    if (complete < 0) {
      rest = text
      continue
    }
    for (let start = 0; start < complete; ) {
      let end = start + PIECE_CHARS >= complete ? complete : text.lastIndexOf('\n', start + PIECE_CHARS)
      // One event longer than a piece goes alone.
      if (end <= start) end = text.indexOf('\n', start)
      take(text.slice(start, end))
      start = end + 1
    }
    rest = text.slice(complete + 1)
  }
  if (rest !== '') throw new Error(`GET ${EVENTS_PATH} ended in the middle of an event (after seq ${lastSeq}).`)
  return { headSeq, lastSeq }
}
