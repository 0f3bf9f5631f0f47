import type { DurableEvent } from '../../src-shared/index.ts'
import { readEventLog } from './event-log.ts'

/**
 * Brings a subscriber up to the event log's head over HTTP before it subscribes over the
 * WebSocket: `onEvents` receives checked durable events after `since`, in order; `done`
 * resolves with the last seq delivered once the log's head (when asked) is reached, and
 * rejects on any failure (the WebSocket's `since` replay then picks up from what was
 * delivered). `onHead` is told the head seq the log names as soon as it is known. `cancel`
 * stops it; nothing is delivered after.
 */
export type CatchUp = (
  since: number,
  token: string,
  onEvents: (events: DurableEvent[]) => void,
  onHead?: (headSeq: number) => void,
) => { done: Promise<number>; cancel(): void }

/**
 * On the calling thread: the product's way in the page (measured faster than a worker on two
 * shared cores, docs/benchmarks.md "Checking the framing…"), and the bridge's tests in Node.
 */
export function catchUpHere(origin: string): CatchUp {
  return (since, token, onEvents, onHead) => {
    const abort = new AbortController()
    let cancelled = false
    const done = readEventLog(
      origin,
      token,
      since,
      (piece) => {
        if (!cancelled) onEvents(piece.events)
      },
      abort.signal,
      (headSeq) => {
        if (!cancelled) onHead?.(headSeq)
      },
    ).then((end) => end.lastSeq)
    return {
      done,
      cancel() {
        cancelled = true
        abort.abort()
      },
    }
  }
}
