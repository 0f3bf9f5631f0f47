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
  /** Where the end of a flood is confirmed: the next frame (animation frames; virtual time in tests). */
  frameScheduler?: SchedulerLike
  /**
   * Seqs the event log is known to have reached (a history reply's or subscribe reply's head, the seq a
   * gap skipped to): while the folded seq is below the newest, the page is catching up. null: a transport
   * could not learn the head; with none known, the folded seq counts as the head (no news otherwise).
   */
  head$?: Observable<number | null>
  /** A frame with at least this many events, or with events left queued, is part of a flood: views are refreshed less often. */
  busyEventsPerFrame?: number
  /** While catching up or flooded, views see the state at most this often. */
  busyPublishMs?: number
  /** A flood is over once no busy frame has ended for this long and the frame after that was not busy either. */
  quietMs?: number
  /**
   * While catching up with nothing queued (the history comes no faster than it is folded), a due refresh waits for the
   * end of the next frame that brings events (whose fold is short then), rather than running in a task of its own between
   * two frames, whose fold and drawing it would add to; the timer does it only this long after it was due, when no frame
   * came (the history stalled).
   */
  catchUpGraceMs?: number
}

/** A state handed to the views, and how many events were folded into it since the previous one. */
export interface Published {
  state: AppState
  events: number
}

const DEFAULT_BUSY_EVENTS = 500
const DEFAULT_BUSY_PUBLISH_MS = 500
const DEFAULT_QUIET_MS = 100
const DEFAULT_CATCH_UP_GRACE_MS = 100

/**
 * Folds frame slices into `builder`, and decides when the views see the result and whether it
 * says the page is catching up.
 *
 * Catching up is what the page knows, never the clock: a published state is `catchingUp` while
 * its seq is below the newest head seq the page was told of (`head$`), or while events the page
 * received wait for later frames (the meter's queue). A head beyond what is folded is shown at
 * once, before its events arrive, so even a short catch-up is seen; the state that reaches it is
 * shown as soon as its frame ends.
 *
 * When the views see the state is a matter of cost: at the end of every ordinary frame (live
 * updates show in the next frame), but while catching up or flooded (frames of at least
 * busyEventsPerFrame events, which the fold may still keep up with), at most every
 * busyPublishMs, because re-rendering and laying out the views for every frame would take the
 * frames' time from folding. While events are still queued, a due publish waits for the start
 * of the next frame and is done before that frame's first slice is folded, so the meter counts
 * it in the frame's budget (the subscriber renders synchronously): fold and refresh share one
 * frame's time instead of adding up. A flood is over once quietMs pass without a busy frame,
 * confirmed in the next frame (on a loaded machine frames come further apart than quietMs, and
 * a flood ended by the clock alone would have each of its frames published).
 */
export function foldAndPublish$(slices$: Observable<FrameSlice<EngineEvent>>, builder: StateBuilder, options: PublishOptions = {}): Observable<Published> {
  const scheduler = options.scheduler ?? asyncScheduler
  const frameScheduler = options.frameScheduler ?? animationFrameScheduler
  const busyEvents = options.busyEventsPerFrame ?? DEFAULT_BUSY_EVENTS
  const busyPublishMs = options.busyPublishMs ?? DEFAULT_BUSY_PUBLISH_MS
  const quietMs = options.quietMs ?? DEFAULT_QUIET_MS
  const graceMs = options.catchUpGraceMs ?? DEFAULT_CATCH_UP_GRACE_MS
  return new Observable<Published>((subscriber) => {
    /** The newest head seq the page was told of (null while none). */
    let head: number | null = null
    let eventsThisFrame = 0
    let lastPublishAt = -Infinity
    /** Events left queued when the last frame ended: more frames follow while it is above 0. */
    let queued = 0
    /** Set between a frame's end and the next slice, which starts a frame. */
    let frameStarts = true
    /** A publish due later while nothing is queued (no frame may come to do it). */
    let trailing: Subscription | null = null
    /** Set while a flood lasts: the check that ends it, quietMs after its last busy frame, then in the next frame. */
    let floodEnd: Subscription | null = null
    const behindHead = () => head !== null && builder.foldedSeq < head
    const behind = () => queued > 0 || behindHead()
    const stopTrailing = () => {
      trailing?.unsubscribe()
      trailing = null
    }
    const publish = () => {
      stopTrailing()
      lastPublishAt = scheduler.now()
      const previous = builder.current
      const events = builder.pending
      const state = builder.build(behind(), head)
      if (events > 0 || state !== previous) subscriber.next({ state, events })
    }
    const isDue = () => scheduler.now() >= lastPublishAt + busyPublishMs
    /** With nothing queued, no frame is sure to come: a timer publishes what was folded when it is time. */
    const publishLater = () => {
      // Catching up, a frame that brings events does it at its end (above); the timer only when none came in time.
      const grace = behindHead() ? graceMs : 0
      trailing ??= scheduler.schedule(() => {
        trailing = null
        // Events queued meanwhile: the next frame's start publishes.
        if (queued === 0) publish()
      }, Math.max(0, lastPublishAt + busyPublishMs + grace - scheduler.now()))
    }
    /**
     * The flood is over when quietMs pass without another busy frame, as seen in the frame after: a frame
     * already due then (events that arrived while the machine was too busy to draw) runs first, and if it is
     * busy it starts this check again; its last state is shown then, not a period later.
     */
    const endFloodLater = () => {
      floodEnd?.unsubscribe()
      floodEnd = scheduler.schedule(() => {
        floodEnd = frameScheduler.schedule(() => {
          floodEnd = null
          if (queued > 0) return
          if (behind()) publishLater()
          else publish()
        })
      }, quietMs)
    }
    // Before the slices: a head may be told as soon as they are subscribed to.
    const heads = options.head$?.subscribe((told) => {
      const seq = told ?? builder.foldedSeq
      if (head !== null && (told === null || seq <= head)) return
      const first = head === null
      head = seq
      // Said at once, with what is folded so far: the events may take a while to come, or fit in one frame. The
      // first head is shown even when nothing is missing: until then the views cannot tell an empty log from one on its way.
      if (first || (behindHead() && !builder.current.catchingUp)) publish()
    })
    const subscription = slices$.subscribe({
      next: (slice) => {
        if (frameStarts) {
          frameStarts = false
          if (queued > 0 && isDue()) publish()
        }
        builder.apply(slice.items)
        eventsThisFrame += slice.items.length
        if (!slice.frameEnd) return
        frameStarts = true
        queued = slice.queued
        if (queued > 0 || eventsThisFrame >= busyEvents) endFloodLater()
        eventsThisFrame = 0
        // No longer behind while the views were told the page is catching up: shown now, whether the head came before
        // the events or after them (a flood's refresh period would keep "Catching up" on screen). Otherwise every ordinary frame is shown now.
        if (!behind() && (builder.current.catchingUp || floodEnd === null)) publish()
        // Queued events bring the next frame, whose start publishes when it is time.
        else if (queued > 0) stopTrailing()
        // Catching up with nothing queued: a due refresh is done by the first frame after it is due, with what that frame
        // folded (few events: what arrived since the last frame), instead of by a timer between two frames.
        else if (trailing !== null && behindHead() && isDue()) publish()
        else publishLater()
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        publish()
        subscriber.complete()
      },
    })
    return () => {
      heads?.unsubscribe()
      subscription.unsubscribe()
      trailing?.unsubscribe()
      floodEnd?.unsubscribe()
    }
  })
}
