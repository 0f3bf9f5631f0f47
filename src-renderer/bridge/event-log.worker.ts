/**
 * A dedicated worker that reads the event log over HTTP (readEventLog): fetching, splitting,
 * parsing and checking every event's framing happen here, off the page's main
 * thread, which receives each checked piece as text (the cheapest hand-over measured, see
 * docs/benchmarks.md "Transports for catching up on history").
 */
import '../zod-config.ts'
import { readEventLog, type EventLogReply, type EventLogRequest } from './event-log.ts'

const scope = globalThis as unknown as { onmessage: ((message: MessageEvent<EventLogRequest>) => void) | null; postMessage(reply: EventLogReply): void }

scope.onmessage = ({ data: { origin, token, since } }) => {
  readEventLog(origin, token, since, (piece) => scope.postMessage({ kind: 'piece', text: piece.text, lastSeq: piece.lastSeq })).then(
    (end) => scope.postMessage({ kind: 'end', ...end }),
    (error: unknown) => scope.postMessage({ kind: 'error', message: error instanceof Error ? error.message : String(error) }),
  )
}
