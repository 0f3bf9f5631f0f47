import type { Run } from '../../src-shared/index.ts'

/** A task and its figure in a dashboard table (its longest run in ms, or its failed runs). */
export interface TaskLeader {
  taskId: number
  value: number
}

export interface RunLeaders {
  /** Tasks by their longest finished run, longest first. */
  slowest: TaskLeader[]
  /** Tasks by how many of their runs failed or timed out, most first. */
  failing: TaskLeader[]
}

const failed = (run: Run) => run.status === 'failed' || run.status === 'timed_out'

/** The dashboard's tables computed from all runs: the reference the index is tested against. */
export function runLeadersOf(runs: ReadonlyMap<number, Run>, limit: number): RunLeaders {
  const failures = new Map<number, number>()
  const longest = new Map<number, number>()
  for (const run of runs.values()) {
    if (failed(run)) failures.set(run.taskId, (failures.get(run.taskId) ?? 0) + 1)
    if (run.durationMs !== null) longest.set(run.taskId, Math.max(longest.get(run.taskId) ?? 0, run.durationMs))
  }
  return { slowest: topOf(longest, limit), failing: topOf(failures, limit) }
}

/**
 * runLeadersOf kept up to date as runs change, while someone shows the tables (`watch`): a
 * changed run moves its task's failure count and may raise its longest duration, so a state
 * costs its changed runs; the tables are picked (one pass, no sort of every task) only when read
 * after a change. Unwatched, it does nothing per run and counts everything again from
 * `currentRuns` when next read. A run's duration only ever goes from null to its value; should
 * one shrink or a run disappear, the longest durations are counted again. Tested against
 * runLeadersOf.
 */
export class RunLeadersIndex {
  /** The runs as folded so far (read when the figures are counted from scratch). */
  private readonly currentRuns: () => ReadonlyMap<number, Run>
  /** The run each figure was taken from. */
  private readonly known = new Map<number, Run>()
  private readonly failures = new Map<number, number>()
  private readonly longest = new Map<number, number>()
  /** Not kept up to date: counted from scratch at the next read. */
  private stale = true
  private longestStale = false
  private watchers = 0
  private last: { limit: number; leaders: RunLeaders } | null = null

  constructor(currentRuns: () => ReadonlyMap<number, Run>) {
    this.currentRuns = currentRuns
  }

  /** Keeps the figures up to date until the returned function is called (a view showing them). */
  watch(): () => void {
    this.watchers++
    let watching = true
    return () => {
      if (!watching) return
      watching = false
      if (--this.watchers === 0) this.forget()
    }
  }

  /** Counts the runs `changedIds` as they are in `runs` now. */
  stage(changedIds: Iterable<number>, runs: ReadonlyMap<number, Run>): void {
    if (this.stale) return
    for (const id of changedIds) this.count(id, runs)
  }

  leaders(limit: number): RunLeaders {
    if (this.stale) {
      const runs = this.currentRuns()
      for (const id of runs.keys()) this.count(id, runs)
      this.stale = false
    }
    if (this.last?.limit === limit) return this.last.leaders
    if (this.longestStale) {
      this.longest.clear()
      for (const run of this.known.values()) if (run.durationMs !== null) this.longest.set(run.taskId, Math.max(this.longest.get(run.taskId) ?? 0, run.durationMs))
      this.longestStale = false
    }
    const leaders = { slowest: topOf(this.longest, limit), failing: topOf(this.failures, limit) }
    this.last = { limit, leaders }
    return leaders
  }

  private count(id: number, runs: ReadonlyMap<number, Run>): void {
    const before = this.known.get(id)
    const after = runs.get(id)
    if (before === after) return
    this.last = null
    if (after) this.known.set(id, after)
    else this.known.delete(id)
    const taskId = (after ?? before)!.taskId
    const delta = (after && failed(after) ? 1 : 0) - (before && failed(before) ? 1 : 0)
    if (delta !== 0) {
      const count = (this.failures.get(taskId) ?? 0) + delta
      if (count === 0) this.failures.delete(taskId)
      else this.failures.set(taskId, count)
    }
    const was = before?.durationMs ?? null
    const is = after?.durationMs ?? null
    if (was !== null && was !== is) this.longestStale = true
    else if (is !== null && !((this.longest.get(taskId) ?? -1) >= is)) this.longest.set(taskId, is)
  }

  private forget(): void {
    this.known.clear()
    this.failures.clear()
    this.longest.clear()
    this.stale = true
    this.longestStale = false
    this.last = null
  }
}

/** The `limit` largest values, largest first (ties: lower task id first), in one pass. */
function topOf(values: ReadonlyMap<number, number>, limit: number): TaskLeader[] {
  const top: TaskLeader[] = []
  if (limit <= 0) return top
  for (const [taskId, value] of values) {
    if (top.length === limit) {
      const last = top[limit - 1]!
      if (value < last.value || (value === last.value && taskId > last.taskId)) continue
    }
    let at = top.length === limit ? limit - 1 : top.length
    for (; at > 0; at--) {
      const above = top[at - 1]!
      if (value < above.value || (value === above.value && taskId > above.taskId)) break
      top[at] = above
    }
    top[at] = { taskId, value }
  }
  return top
}
