import type { Run, Task } from '../../src-shared/index.ts'

/**
 * Messages between bench/ui-worker's page and its ingest worker (a measurement for
 * docs/benchmarks.md "Session 11", not part of the app).
 */
export interface StartMessage {
  origin: string
  token: string
  /**
   * What the page gets of the tasks and runs changed since the last summary besides their ids: nothing
   * (`ids`), every record as an object (`clone`: structured clone), or all of them as one JSON text the
   * page parses (`text`: a string is copied, not walked, but parsed on the main thread).
   */
  records: 'ids' | 'clone' | 'text'
}

export interface Summary {
  /** Events folded in the worker so far, and the seq of the last. */
  events: number
  lastSeq: number
  /** The log's head seq (from the response) once known. */
  headSeq: number | null
  /** Epoch ms (performance.timeOrigin + now) of the first piece parsed, and of the last event folded when `done`. */
  firstAt: number
  foldedAt: number
  /** Task ids changed since the last summary, at most one screen of them. */
  changedIds: number[]
  /** How many tasks changed since the last summary in all. */
  changedCount: number
  /** With `clone`: every task and run changed since the last summary, as folded. */
  tasks?: Task[]
  runs?: Run[]
  /** With `text`: the same as JSON (`{"tasks":[…],"runs":[…]}`). */
  recordsText?: string
  /** Rows in the list the worker keeps (TaskListIndex), as of its last build. */
  rows: number
  done: boolean
  error?: string
}
