import { distinctUntilChanged, filter, from, map, merge, of, skip, switchMap, type Observable } from 'rxjs'
import type { MachineState, Result } from '../../src-shared/index.ts'
import type { WorkerInfo } from '../../src-shared/workers.ts'

/**
 * When the worker list must be fetched again: on going online (the first connection and
 * every reconnect) and after each resync, since heartbeats are transient and missed ones
 * are never replayed.
 */
export function workerListTriggers$(online$: Observable<boolean>, resyncs$: Observable<number>): Observable<unknown> {
  return merge(
    online$.pipe(
      distinctUntilChanged(),
      filter((online) => online),
    ),
    resyncs$.pipe(distinctUntilChanged(), skip(1)),
  )
}

/** The ok answers of `fetch` for each trigger (the transient state's seeds: workers, the machine); a slower answer is dropped for a newer one. */
export function seeds$<T>(trigger$: Observable<unknown>, fetch: () => Promise<Result<T>> | Observable<Result<T>>): Observable<T> {
  return trigger$.pipe(
    switchMap(() => from(fetch())),
    filter((result): result is { ok: true; value: T } => result.ok),
    map((result) => result.value),
  )
}

/**
 * The `machine.get` answers for each trigger of workerListTriggers$, each saying whether it answers a connection
 * coming online (`true`; a resync's trigger is its count): that one may come from a restarted engine (seedMachine).
 */
export function machineSeeds$(
  trigger$: Observable<unknown>,
  fetch: () => Promise<Result<{ machine: MachineState }>> | Observable<Result<{ machine: MachineState }>>,
): Observable<{ machine: MachineState; newConnection: boolean }> {
  return trigger$.pipe(
    switchMap((trigger) => seeds$(of(trigger), fetch).pipe(map(({ machine }) => ({ machine, newConnection: trigger === true })))),
  )
}

/** The `worker.list` answers for each trigger; a slower answer is dropped for a newer one. */
export function workerSeeds$(
  trigger$: Observable<unknown>,
  fetch: () => Promise<Result<{ workers: WorkerInfo[] }>> | Observable<Result<{ workers: WorkerInfo[] }>>,
): Observable<WorkerInfo[]> {
  return seeds$(trigger$, fetch).pipe(map((value) => value.workers))
}
