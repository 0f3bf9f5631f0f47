import { Observable, animationFrameScheduler, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs'

/**
 * Merges every batch that arrives before the next frame into one, so React renders at
 * most once per frame however fast events come. Order is kept; nothing is dropped.
 * The scheduler is injected so marble tests can stand in virtual frames.
 */
export function batchPerFrame<T>(scheduler: SchedulerLike = animationFrameScheduler, frameDelayMs = 0): OperatorFunction<readonly T[], T[]> {
  return (source$) =>
    new Observable<T[]>((subscriber) => {
      let buffer: T[] = []
      let pendingFlush: Subscription | null = null
      const flush = () => {
        pendingFlush = null
        const out = buffer
        buffer = []
        if (out.length > 0) subscriber.next(out)
      }
      const sourceSubscription = source$.subscribe({
        next: (batch) => {
          for (const item of batch) buffer.push(item)
          if (pendingFlush === null && buffer.length > 0) pendingFlush = scheduler.schedule(flush, frameDelayMs)
        },
        error: (error: unknown) => {
          flush()
          subscriber.error(error)
        },
        complete: () => {
          flush()
          subscriber.complete()
        },
      })
      return () => {
        sourceSubscription.unsubscribe()
        pendingFlush?.unsubscribe()
      }
    })
}
