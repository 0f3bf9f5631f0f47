import { asyncScheduler, from, switchMap, throttleTime, type Observable, type SchedulerLike } from 'rxjs'
import type { EngineEvent, Result } from '../../src-shared/index.ts'
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
 * Whether a frame of events can change where a queued task of `group` stands in the engine's loop (held by a pause,
 * the machine, a full group or the group's rate, and when its rate's next slot opens): a task, run or rule of that
 * group, a pause of everything, a removal, a change of settings or of the machine's state. Output, progress, usage,
 * stats and heartbeats, which come every second, change none of it, nor does another group's work or a trigger's
 * bookkeeping. (The next slot itself moves only when the group starts a run or its rate changes: the engine counts
 * starts from the log, a removed task's too, so the page asks the engine rather than count them again.)
 */
export function touchesGroupQueue(batch: readonly EngineEvent[], group: string, groupOfTask: (taskId: number) => string | undefined): boolean {
  return batch.some((event) => {
    switch (event.type) {
      case 'task.created':
      case 'task.updated':
        return event.task.definition.group === group
      case 'run.started':
      case 'run.updated':
      case 'run.finished':
        return groupOfTask(event.run.taskId) === group
      case 'group.updated':
        return event.group.name === group
      case 'group.removed':
        return event.name === group
      case 'task.removed':
      case 'engine.paused':
      case 'settings.changed':
      case 'machine.updated':
        return true
      default:
        return false
    }
  })
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
