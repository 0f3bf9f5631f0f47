import type { DurableEvent } from '../../src-shared/index.ts'
import { readEventLog } from './event-log.ts'
import type { EventLogReply, EventLogRequest } from './event-log.worker.ts'

/**
 * Brings a subscriber up to the event log's head over HTTP before it subscribes over the
 * WebSocket: `onEvents` receives checked durable events after `since`, in order; `done`
 * resolves with the last seq delivered once the log's head (when asked) is reached, and
 * rejects on any failure (the WebSocket's `since` replay then picks up from what was
 * delivered). `cancel` stops it; nothing is delivered after.
 */
export type CatchUp = (since: number, token: string, onEvents: (events: DurableEvent[]) => void) => { done: Promise<number>; cancel(): void }

/**
 * In a dedicated worker (event-log.worker.ts): the page's main thread only parses the
 * pieces, each the exact text the worker parsed and checked against DurableEventSchema
 * (whose one leniency, unknown keys, the state fold ignores).
 */
export function catchUpInWorker(origin: string): CatchUp {
  return (since, token, onEvents) => {
    const worker = new Worker(new URL('./event-log.worker.ts', import.meta.url), { type: 'module' })
    let cancelled = false
    let fail: (error: Error) => void = () => {}
    const done = new Promise<number>((resolve, reject) => {
      fail = reject
      worker.onmessage = ({ data: reply }: MessageEvent<EventLogReply>) => {
        if (cancelled) return
        if (reply.kind === 'piece') onEvents(JSON.parse(reply.text) as DurableEvent[])
        else if (reply.kind === 'end') resolve(reply.lastSeq)
        else reject(new Error(reply.message))
        if (reply.kind !== 'piece') worker.terminate()
      }
      worker.onerror = (event) => {
        worker.terminate()
        reject(new Error(`The event-log worker failed: ${event.message}`))
      }
    })
    worker.postMessage({ origin, token, since } satisfies EventLogRequest)
    return {
      done,
      cancel() {
        cancelled = true
        worker.terminate()
        fail(new Error('The catch-up was cancelled.'))
      },
    }
  }
}

/** On the calling thread, where there are no workers (the bridge's tests in Node). */
export function catchUpHere(origin: string): CatchUp {
  return (since, token, onEvents) => {
    const abort = new AbortController()
    let cancelled = false
    const done = readEventLog(origin, token, since, (piece) => {
      if (!cancelled) onEvents(piece.events)
    }, abort.signal).then((end) => end.lastSeq)
    return {
      done,
      cancel() {
        cancelled = true
        abort.abort()
      },
    }
  }
}
