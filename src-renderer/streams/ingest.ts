import { Observable, animationFrameScheduler, asyncScheduler, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs'
import type { EngineEvent } from '../../src-shared/index.ts'
import type { AppState, StateBuilder } from './state.ts'

/** Part of one frame's work: `items` to fold now; the frame's last slice says how many wait for the next frame. */
export interface FrameSlice<T> {
  items: T[]
  /** Set on the last slice of a frame (its `items` may be empty). */
  frameEnd: boolean
  /** Items still queued for later frames (meaningful on `frameEnd`). */
  queued: number
}

export interface MeterOptions {
  scheduler?: SchedulerLike
  /** Main-thread time per frame for the downstream work on the slices (folding), in ms. */
  budgetMs?: number
  /** Items per slice: the granularity at which the budget is checked. */
  sliceSize?: number
  /** The clock the budget is measured with (injected for tests). */
  now?: () => number
  /** Delay of the frame flush (virtual frames in marble tests). */
  frameDelayMs?: number
}

const DEFAULT_BUDGET_MS = 8
const DEFAULT_SLICE = 500

/**
 * Hands queued items downstream once per frame, in slices, for as long as the downstream
 * work on them fits the frame's budget; what does not fit waits for the next frame. So a
 * replay of hundreds of thousands of events is folded over many short frames instead of
 * one long one, in order and without dropping anything. Slices are emitted synchronously
 * and the downstream's synchronous work is what the budget measures. On completion or
 * error everything queued is emitted first.
 */
export function meterPerFrame<T>(options: MeterOptions = {}): OperatorFunction<readonly T[], FrameSlice<T>> {
  const scheduler = options.scheduler ?? animationFrameScheduler
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS
  const sliceSize = options.sliceSize ?? DEFAULT_SLICE
  const now = options.now ?? (() => performance.now())
  return (source$) =>
    new Observable<FrameSlice<T>>((subscriber) => {
      let queue: T[] = []
      let head = 0
      let pendingFrame: Subscription | null = null
      const take = (count: number): T[] => {
        const items = queue.slice(head, head + count)
        head += items.length
        if (head === queue.length) {
          queue = []
          head = 0
        }
        return items
      }
      const frame = () => {
        pendingFrame = null
        const started = now()
        while (queue.length - head > 0) {
          subscriber.next({ items: take(sliceSize), frameEnd: false, queued: 0 })
          if (now() - started >= budgetMs) break
        }
        const queued = queue.length - head
        subscriber.next({ items: [], frameEnd: true, queued })
        if (queued > 0) pendingFrame = scheduler.schedule(frame, options.frameDelayMs ?? 0)
      }
      const drain = () => {
        pendingFrame?.unsubscribe()
        pendingFrame = null
        if (queue.length - head > 0) subscriber.next({ items: take(queue.length - head), frameEnd: true, queued: 0 })
      }
      const sourceSubscription = source$.subscribe({
        next: (batch) => {
          for (const item of batch) queue.push(item)
          if (pendingFrame === null && queue.length - head > 0) pendingFrame = scheduler.schedule(frame, options.frameDelayMs ?? 0)
        },
        error: (error: unknown) => {
          drain()
          subscriber.error(error)
        },
        complete: () => {
          drain()
          subscriber.complete()
        },
      })
      return () => {
        sourceSubscription.unsubscribe()
        pendingFrame?.unsubscribe()
      }
    })
}

/** The items of each frame's slices as one batch per frame (frames with none emit nothing). */
export function framesOf<T>(): OperatorFunction<FrameSlice<T>, T[]> {
  return (slices$) =>
    new Observable<T[]>((subscriber) => {
      let frame: T[] = []
      return slices$.subscribe({
        next: (slice) => {
          for (const item of slice.items) frame.push(item)
          if (!slice.frameEnd || frame.length === 0) return
          const out = frame
          frame = []
          subscriber.next(out)
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          if (frame.length > 0) subscriber.next(frame)
          subscriber.complete()
        },
      })
    })
}

export interface PublishOptions {
  /** Where trailing publishes are scheduled (virtual time in tests). */
  scheduler?: SchedulerLike
  /** A frame with at least this many events, or with events left queued, means the UI is catching up. */
  busyEventsPerFrame?: number
  /** While catching up, views see the state at most this often (plus once when the burst ends). */
  busyPublishMs?: number
}

/** A state handed to the views, and how many events were folded into it since the previous one. */
export interface Published {
  state: AppState
  events: number
}

const DEFAULT_BUSY_EVENTS = 500
const DEFAULT_BUSY_PUBLISH_MS = 500

/**
 * Folds frame slices into `builder` and decides when the views see the result: at the end
 * of every ordinary frame (live updates show in the next frame), but while a replay or a
 * flood is being caught up, at most every `busyPublishMs`, because re-rendering and laying
 * out the views for every frame of a catch-up would take the frames' time from folding.
 * The last state of a burst is always published.
 */
export function foldAndPublish$(slices$: Observable<FrameSlice<EngineEvent>>, builder: StateBuilder, options: PublishOptions = {}): Observable<Published> {
  const scheduler = options.scheduler ?? asyncScheduler
  const busyEvents = options.busyEventsPerFrame ?? DEFAULT_BUSY_EVENTS
  const busyPublishMs = options.busyPublishMs ?? DEFAULT_BUSY_PUBLISH_MS
  return new Observable<Published>((subscriber) => {
    let eventsThisFrame = 0
    let lastPublishAt = -Infinity
    let trailing: Subscription | null = null
    const publish = () => {
      trailing?.unsubscribe()
      trailing = null
      lastPublishAt = scheduler.now()
      const events = builder.pending
      if (events > 0) subscriber.next({ state: builder.build(), events })
    }
    const subscription = slices$.subscribe({
      next: (slice) => {
        builder.apply(slice.items)
        eventsThisFrame += slice.items.length
        if (!slice.frameEnd) return
        const busy = slice.queued > 0 || eventsThisFrame >= busyEvents
        eventsThisFrame = 0
        const wait = lastPublishAt + busyPublishMs - scheduler.now()
        if (!busy || wait <= 0) publish()
        else trailing ??= scheduler.schedule(publish, wait)
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        publish()
        subscriber.complete()
      },
    })
    return () => {
      subscription.unsubscribe()
      trailing?.unsubscribe()
    }
  })
}
