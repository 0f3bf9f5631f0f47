import { asyncScheduler, from, switchMap, throttleTime, type Observable, type SchedulerLike } from 'rxjs'
import type { Result } from '../../src-shared/index.ts'

/**
 * Re-fetches a snapshot whenever something happened, at most once per `throttleMs`
 * (leading and trailing, so the last change is always shown). A slower answer is
 * abandoned for a newer one (switchMap), so the view never goes back in time.
 */
export function snapshotOnActivity$<T>(
  activity$: Observable<unknown>,
  fetch: () => Promise<Result<T>> | Observable<Result<T>>,
  throttleMs = 250,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<Result<T>> {
  return activity$.pipe(
    throttleTime(throttleMs, scheduler, { leading: true, trailing: true }),
    switchMap(() => from(fetch())),
  )
}

/**
 * Buckets completions into fixed windows: runs finished and the share that succeeded. A window
 * in which nothing finished has no share of its own: it shows the last known one (before the
 * first finish, the first known one), so a quiet minute after failures does not read as 100%
 * (the chart's headline is its last value). With nothing finished at all there is no share.
 */
export function completionBuckets(
  completions: readonly { at: number; ok: boolean }[],
  now: number,
  bucketMs: number,
  buckets: number,
): { finished: number[]; successRate: number[] } {
  const finished = new Array<number>(buckets).fill(0)
  const succeeded = new Array<number>(buckets).fill(0)
  const start = now - bucketMs * buckets
  for (const c of completions) {
    if (c.at < start || c.at > now) continue
    const i = Math.min(buckets - 1, Math.floor((c.at - start) / bucketMs))
    finished[i] = (finished[i] ?? 0) + 1
    if (c.ok) succeeded[i] = (succeeded[i] ?? 0) + 1
  }
  const firstKnown = finished.findIndex((f) => f > 0)
  if (firstKnown < 0) return { finished, successRate: [] }
  let known = ((succeeded[firstKnown] ?? 0) / (finished[firstKnown] ?? 1)) * 100
  const successRate = finished.map((f, i) => (f === 0 ? known : (known = ((succeeded[i] ?? 0) / f) * 100)))
  return { finished, successRate }
}
