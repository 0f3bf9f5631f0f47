import { Observable } from 'rxjs'
import { isDurable, type EngineEvent } from '../../src-shared/index.ts'

export interface SequencedBatch {
  /** Events in order: durable ones exactly once and without gaps, transient ones as they came. */
  events: EngineEvent[]
  lastSeq: number
  /** Set when a durable event skipped ahead: everything after `lastSeq` must be fetched again. */
  gap: { expected: number; received: number } | null
}

/**
 * Checks one batch against the last applied seq: drops duplicates (a replay overlapping
 * live events), and stops at the first gap so nothing is ever applied out of order.
 */
export function checkSequence(lastSeq: number, batch: readonly EngineEvent[]): SequencedBatch {
  const events: EngineEvent[] = []
  let last = lastSeq
  for (const event of batch) {
    if (!isDurable(event)) {
      events.push(event)
      continue
    }
    if (event.seq <= last) continue
    if (event.seq !== last + 1) return { events, lastSeq: last, gap: { expected: last + 1, received: event.seq } }
    last = event.seq
    events.push(event)
  }
  return { events, lastSeq: last, gap: null }
}

/** Subscribes from `since`; `onHead` is told the head seqs the transport learns for it (see SubscribeOptions.onHead). */
export type SubscribeFn = (since: number, onEvents: (events: EngineEvent[]) => void, onHead: (headSeq: number | null) => void) => () => void

export interface EventStreamOptions {
  since?: number
  /** Told about each gap and the resync it caused, for the status bar and tests. */
  onResync?: (gap: { expected: number; received: number }) => void
  /**
   * Told every seq the event log is known to have reached: each head a subscription announces, and
   * the seq a gap skipped to (it exists, and the resync brings everything up to it); null when a
   * subscription could not learn its head (SubscribeOptions.onHead).
   */
  onHead?: (seq: number | null) => void
}

/**
 * The engine's events as an Observable of in-order batches. A gap in `seq` makes it
 * subscribe again from the last applied seq (`since` replay fills the hole); batches from
 * the abandoned subscription are ignored.
 */
export function sequencedEvents$(subscribe: SubscribeFn, options: EventStreamOptions = {}): Observable<EngineEvent[]> {
  return new Observable<EngineEvent[]>((subscriber) => {
    let lastSeq = options.since ?? 0
    let generation = 0
    let dispose: (() => void) | null = null
    const start = () => {
      const mine = ++generation
      dispose?.()
      dispose = subscribe(
        lastSeq,
        (batch) => {
          if (mine !== generation) return
          const checked = checkSequence(lastSeq, batch)
          lastSeq = checked.lastSeq
          if (checked.events.length > 0) subscriber.next(checked.events)
          if (checked.gap) {
            options.onResync?.(checked.gap)
            options.onHead?.(checked.gap.received)
            start()
          }
        },
        // A replaced subscription's head is still a seq the log reached.
        (headSeq) => options.onHead?.(headSeq),
      )
    }
    start()
    return () => {
      generation++
      dispose?.()
    }
  })
}
