import { combineLatest, distinctUntilChanged, map, type Observable } from 'rxjs'
import type { ConnectionState } from '../bridge/types.ts'
import { readingHistory, type AppState } from './state.ts'

/**
 * Whether the page is still reading the history (readingHistory) and, when it knows the head, how many events it has
 * left to read (null: no head known yet, the history's first answer is on its way). One value for every view that says
 * so: the task list's and the dashboard's "Reading the history…", the connection indicator's "Connecting" and "Catching up, N left".
 */
export type HistoryReading = { reading: false } | { reading: true; left: number | null }

const READ: HistoryReading = { reading: false }

export function historyReading(state: Pick<AppState, 'headSeq' | 'lastSeq'>, connection: ConnectionState['kind']): HistoryReading {
  if (!readingHistory(state, connection)) return READ
  return { reading: true, left: state.headSeq === null ? null : state.headSeq - state.lastSeq }
}

const sameReading = (a: HistoryReading, b: HistoryReading): boolean => a.reading === b.reading && (!a.reading || !b.reading || a.left === b.left)

/** historyReading over the folded states and the connection, told only when it changes (not on every folded frame). */
export function historyReading$(state$: Observable<Pick<AppState, 'headSeq' | 'lastSeq'>>, connection$: Observable<ConnectionState>): Observable<HistoryReading> {
  return combineLatest([state$, connection$]).pipe(
    map(([state, connection]) => historyReading(state, connection.kind)),
    distinctUntilChanged(sameReading),
  )
}
