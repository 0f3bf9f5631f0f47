import type { Run } from '../../src-shared/index.ts'
import { runDuration } from './tasks-query.ts'

/** A task and its figure in a dashboard table (its longest run in ms, or its failed runs). */
export interface TaskLeader {
  taskId: number
  value: number
  /** In `slowest`: the figure is a run still going (running or paused), its time so far, longer than any finished run of the task. */
  running?: true
}

export interface RunLeaders {
  /**
   * Tasks by their longest run, longest first: a finished run's duration, or a run still going
   * with its time so far (as the task list shows it: `runDuration`), marked `running`.
   */
  slowest: TaskLeader[]
  /** Tasks by how many of their runs failed or timed out, most first. */
  failing: TaskLeader[]
}

const failed = (run: Run) => run.status === 'failed' || run.status === 'timed_out'

/** The dashboard's tables computed from all runs: the reference the index is tested against. */
export function runLeadersOf(runs: ReadonlyMap<number, Run>, limit: number, now = Date.now()): RunLeaders {
  const failures = new Map<number, number>()
  const longest = new Map<number, number>()
  const going: Run[] = []
  for (const run of runs.values()) {
    if (failed(run)) failures.set(run.taskId, (failures.get(run.taskId) ?? 0) + 1)
    if (run.durationMs !== null) longest.set(run.taskId, Math.max(longest.get(run.taskId) ?? 0, run.durationMs))
    else if (run.finishedAt === null) going.push(run)
  }
  return { slowest: slowestOf(longest, going, limit, now), failing: topOf(failures, limit) }
}

/** The slowest tasks: each task's longest finished run, or its run still going when that is longer so far. */
function slowestOf(longest: ReadonlyMap<number, number>, going: Iterable<Run>, limit: number, now: number): TaskLeader[] {
  const soFar = new Map<number, number>()
  for (const run of going) soFar.set(run.taskId, Math.max(soFar.get(run.taskId) ?? 0, runDuration(run, now)))
  if (soFar.size === 0) return topOf(longest, limit)
  const running = new Set<number>()
  function* merged(): Generator<[number, number]> {
    for (const [taskId, value] of longest) {
      const elapsed = soFar.get(taskId)
      if (elapsed !== undefined && elapsed > value) {
        running.add(taskId)
        yield [taskId, elapsed]
      } else yield [taskId, value]
    }
    for (const [taskId, elapsed] of soFar) {
      if (longest.has(taskId)) continue
      running.add(taskId)
      yield [taskId, elapsed]
    }
  }
  return topOf(merged(), limit).map((leader) => (running.has(leader.taskId) ? { ...leader, running: true } : leader))
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
  /** The runs still going (no finishedAt): their time grows with the clock, so it is taken when read. */
  private readonly going = new Map<number, Run>()
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

  /** The tables; `now` times the runs still going (a table with one is new at every read). */
  leaders(limit: number, now = Date.now()): RunLeaders {
    if (this.stale) {
      const runs = this.currentRuns()
      for (const id of runs.keys()) this.count(id, runs)
      this.stale = false
    }
    if (this.last?.limit === limit && this.going.size === 0) return this.last.leaders
    if (this.longestStale) {
      this.longest.clear()
      for (const run of this.known.values()) if (run.durationMs !== null) this.longest.set(run.taskId, Math.max(this.longest.get(run.taskId) ?? 0, run.durationMs))
      this.longestStale = false
    }
    const leaders = { slowest: slowestOf(this.longest, this.going.values(), limit, now), failing: topOf(this.failures, limit) }
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
    if (after && after.durationMs === null && after.finishedAt === null) this.going.set(id, after)
    else this.going.delete(id)
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
    this.going.clear()
    this.stale = true
    this.longestStale = false
    this.last = null
  }
}

/** The `limit` largest values, largest first (ties: lower task id first), in one pass. */
function topOf(values: Iterable<[number, number]>, limit: number): TaskLeader[] {
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
