import { combineLatest, distinctUntilChanged, filter, map, type Observable } from 'rxjs'

/** How many views show each run (two views of one run keep watching it until both leave). */
export type WatchCounts = ReadonlyMap<number, number>

export function addWatch(counts: WatchCounts, runId: number): WatchCounts {
  const next = new Map(counts)
  next.set(runId, (next.get(runId) ?? 0) + 1)
  return next
}

export function removeWatch(counts: WatchCounts, runId: number): WatchCounts {
  const left = (counts.get(runId) ?? 0) - 1
  const next = new Map(counts)
  if (left > 0) next.set(runId, left)
  else next.delete(runId)
  return next
}

const sameIds = (a: number[], b: number[]) => a.length === b.length && a.every((id, i) => id === b[i])

/**
 * The `output.watch` requests to send: the runs on screen whenever that set changes, and
 * again each time the connection comes (back) online, since a new server-side connection
 * watches nothing. Nothing is sent while offline (the request would only queue).
 */
export function watchRequests$(counts$: Observable<WatchCounts>, online$: Observable<boolean>): Observable<number[]> {
  const runIds$ = counts$.pipe(
    map((counts) => [...counts.keys()].sort((a, b) => a - b)),
    distinctUntilChanged(sameIds),
  )
  return combineLatest([runIds$, online$.pipe(distinctUntilChanged())]).pipe(
    filter(([, online]) => online),
    map(([runIds]) => runIds),
  )
}
