import { asyncScheduler, from, switchMap, throttleTime, type Observable, type SchedulerLike } from 'rxjs'
import type { Result } from '../../src-shared/index.ts'
import type { RunOutcomes } from './state.ts'

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
 * Buckets completions into fixed windows: runs finished and the share that succeeded (of those that succeeded or
 * failed: a cancelled or interrupted run has no verdict, see runVerdict). A window with no verdict has no share of its
 * own: the line goes on at the last known one (before the first, at the first known one), so a quiet minute after
 * failures is not drawn as 100%. With no verdict at all there is no share. `outcomes` counts the whole span: the
 * chart's headline, the success rate over the time it shows (not its last window's, which may be one run or none).
 */
export function completionBuckets(
  completions: readonly { at: number; ok: boolean | null }[],
  now: number,
  bucketMs: number,
  buckets: number,
): { finished: number[]; successRate: number[]; outcomes: RunOutcomes } {
  const finished = new Array<number>(buckets).fill(0)
  const succeeded = new Array<number>(buckets).fill(0)
  const judged = new Array<number>(buckets).fill(0)
  const start = now - bucketMs * buckets
  for (const c of completions) {
    if (c.at < start || c.at > now) continue
    const i = Math.min(buckets - 1, Math.floor((c.at - start) / bucketMs))
    finished[i] = (finished[i] ?? 0) + 1
    if (c.ok === null) continue
    judged[i] = (judged[i] ?? 0) + 1
    if (c.ok) succeeded[i] = (succeeded[i] ?? 0) + 1
  }
  const total = (counts: number[]) => counts.reduce((a, b) => a + b, 0)
  const outcomes: RunOutcomes = { succeeded: total(succeeded), failed: total(judged) - total(succeeded) }
  const firstKnown = judged.findIndex((j) => j > 0)
  if (firstKnown < 0) return { finished, successRate: [], outcomes }
  let known = ((succeeded[firstKnown] ?? 0) / (judged[firstKnown] ?? 1)) * 100
  const successRate = judged.map((j, i) => (j === 0 ? known : (known = ((succeeded[i] ?? 0) / j) * 100)))
  return { finished, successRate, outcomes }
}
