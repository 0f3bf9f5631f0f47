import type { DurableEvent } from '../../src-shared/index.ts'
import type { CatchUp } from './catch-up.ts'
import type { EventLogReply, EventLogRequest } from './event-log.ts'

/**
 * In a dedicated worker (event-log.worker.ts): the page's main thread only parses the
 * pieces, each the exact text whose framing the worker checked (checkEventFrames).
 */
export function catchUpInWorker(origin: string): CatchUp {
  const start = () => new Worker(new URL('./event-log.worker.ts', import.meta.url), { type: 'module' })
  // Started now, so the worker loads and evaluates its code (the contract's schemas) while the page boots and connects.
  let ready: Worker | null = start()
  return (since, token, onEvents) => {
    const worker = ready ?? start()
    ready = null
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
