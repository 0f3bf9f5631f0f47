import { buffer, connect, debounceTime, exhaustMap, filter, race, startWith, take, timer, type OperatorFunction, type SchedulerLike } from 'rxjs'

/**
 * Collects a burst into one batch: it closes after `quietMs` without a new value, or
 * `maxWaitMs` after its first value if values keep coming (a log file written to all the
 * time still fires, at least that often).
 */
export function batchBursts<T>(quietMs: number, maxWaitMs: number, scheduler: SchedulerLike): OperatorFunction<T, T[]> {
  return connect((values$) =>
    values$.pipe(
      buffer(
        values$.pipe(
          // The first value of a burst opens it; later values only push the quiet deadline.
          exhaustMap((first) => race(values$.pipe(startWith(first), debounceTime(quietMs, scheduler)), timer(maxWaitMs, scheduler)).pipe(take(1))),
        ),
      ),
      filter((batch) => batch.length > 0),
    ),
  )
}
