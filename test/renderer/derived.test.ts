import { describe, expect, it } from 'vitest'
import type { EngineEvent, Run, Task, TaskStatus } from '../../src-shared/index.ts'
import { RunLeadersIndex, runLeadersOf } from '../../src-renderer/streams/run-leaders.ts'
import { INITIAL_STATE, StateBuilder, type AppState } from '../../src-renderer/streams/state.ts'
import { DEFAULT_QUERY, TaskFacetsIndex, TaskListIndex, queryTasks, taskFacetsOf, type SortKey, type TaskQuery } from '../../src-renderer/streams/tasks-query.ts'
import { run, task } from './events.ts'
import { seeded } from '../support/seeded.ts'

const STATUSES: TaskStatus[] = ['running', 'queued', 'failed', 'succeeded', 'paused', 'cancelled', 'timed_out']
// Not 'duration': running rows' durations follow the clock, so two computations a millisecond apart may differ (the index computes that sort in full anyway).
const SORTS: SortKey[] = ['id', 'name', 'status', 'updated', 'priority']

/** Random engine events that keep the engine's invariants: a run belongs to one task, a task's lastRunId names one of its runs. */
function eventSource(random: () => number) {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const tasks = new Map<number, Task>()
  const runs = new Map<number, Run>()
  const runsOf = new Map<number, number[]>()
  let seq = 0
  let nextTask = 1
  let nextRun = 1
  const changeTask = (id: number): EngineEvent => {
    const own = runsOf.get(id) ?? []
    const next = task(id, {
      name: `${pick(['build', 'deploy', 'Build', 'zeta'])} ${Math.floor(random() * 5)}`,
      status: pick(STATUSES),
      updatedAt: Math.floor(random() * 20),
      lastRunId: own.length > 0 && random() < 0.8 ? pick(own) : null,
      definition: { ...task(id).definition, priority: Math.floor(random() * 3), group: pick(['default', 'prod', 'nightly']), labels: random() < 0.4 ? pick([['ci'], ['ci', 'ci'], ['ci', 'slow'], ['slow']]) : [] },
    })
    const created = !tasks.has(id)
    tasks.set(id, next)
    return created ? { type: 'task.created', seq: ++seq, at: seq, task: next } : { type: 'task.updated', seq: ++seq, at: seq, task: next }
  }
  return (): EngineEvent => {
    const roll = random()
    const ids = [...tasks.keys()]
    if (ids.length === 0 || roll < 0.25) return changeTask(nextTask++)
    if (roll < 0.45) return changeTask(pick(ids))
    if (roll < 0.5) {
      const gone = [pick(ids), pick(ids)]
      for (const id of gone) tasks.delete(id)
      return { type: 'task.removed', seq: ++seq, at: seq, taskIds: [...new Set(gone)] }
    }
    if (roll < 0.65) {
      const taskId = pick(ids)
      const started = run(nextRun++, taskId, { startedAt: Math.floor(random() * 10) })
      runsOf.set(taskId, [...(runsOf.get(taskId) ?? []), started.id])
      runs.set(started.id, started)
      return { type: 'run.started', seq: ++seq, at: seq, run: started }
    }
    if (roll < 0.85 && runs.size > 0) {
      const known = pick([...runs.values()])
      const finished = { ...known, status: pick(['succeeded', 'failed', 'timed_out'] as const), durationMs: Math.floor(random() * 50), finishedAt: known.startedAt + 50 }
      runs.set(known.id, finished)
      return { type: 'run.finished', seq: ++seq, at: seq, run: finished }
    }
    return { type: 'run.progress', runId: 1, taskId: pick(ids), progress: { done: Math.floor(random() * 10), total: 10 } }
  }
}

describe('the list, facets and dashboard tables derived as events are folded', () => {
  it.each([1, 2, 3, 4, 5, 6])('match a full recomputation at every built state (seed %i)', (seed) => {
    const random = seeded(seed)
    const next = eventSource(random)
    const builder = new StateBuilder(INITIAL_STATE)
    // Seeds 1-3 stage from the first event on; the others start with a full pass.
    const list = new TaskListIndex(seed <= 3 ? DEFAULT_QUERY : undefined)
    const facets = new TaskFacetsIndex()
    const leaders = new RunLeadersIndex(() => builder.folded.runs)
    // Odd seeds show the tables from the start; even ones only from step 100 (unwatched, they are counted again when read).
    if (seed % 2 === 1) leaders.watch()
    let query: TaskQuery = DEFAULT_QUERY
    const built: { state: AppState; rows: ReturnType<TaskListIndex['flush']> }[] = []
    builder.listen({
      applied: (batch, folded) => {
        list.stage(batch.taskIds, folded)
        facets.stage(batch.taskIds, folded.tasks)
        leaders.stage(batch.runIds, folded.runs)
      },
      built: (state) => built.push({ state, rows: list.flush(state, query) }),
    })
    let checked = 0
    for (let step = 0; step < 250; step++) {
      // Slices of a few to a few hundred events, several slices per build, as the metered fold does.
      const slices = 1 + Math.floor(random() * 3)
      for (let s = 0; s < slices; s++) builder.apply(Array.from({ length: random() < 0.2 ? Math.floor(random() * 200) : Math.floor(random() * 6) }, next))
      if (random() < 0.08) {
        query = {
          text: random() < 0.2 ? 'build' : '',
          statuses: random() < 0.3 ? [STATUSES[step % STATUSES.length]!] : [],
          group: random() < 0.2 ? 'prod' : null,
          label: random() < 0.2 ? 'ci' : null,
          sort: SORTS[Math.floor(random() * SORTS.length)]!,
          descending: random() < 0.5,
        }
      }
      const state = builder.build()
      const { rows } = built.at(-1)!
      expect(built.at(-1)!.state).toBe(state)
      const expected = queryTasks(state.tasks, state.runs, state.progress, query)
      expect(rows.map((r) => r.task.id)).toEqual(expected.map((r) => r.task.id))
      const stale = rows.findIndex((row, i) => row.task !== expected[i]!.task || row.lastRun !== expected[i]!.lastRun || row.progress !== expected[i]!.progress)
      expect({ step, stale }).toEqual({ step, stale: -1 })
      expect(facets.facets()).toEqual(taskFacetsOf(state.tasks))
      if (seed % 2 === 1 || step >= 100) expect(leaders.leaders(5, 1_000 + step)).toEqual(runLeadersOf(state.runs, 5, 1_000 + step))
      checked += rows.length
    }
    expect(checked).toBeGreaterThan(0)
  })

  it('tells listeners which tasks and runs each batch touched', () => {
    const builder = new StateBuilder(INITIAL_STATE)
    const batches: { taskIds: number[]; runIds: number[] }[] = []
    const stop = builder.listen({ applied: (batch) => batches.push({ taskIds: [...batch.taskIds], runIds: [...batch.runIds] }), built: () => undefined })
    builder.apply([
      { type: 'task.created', seq: 1, at: 1, task: task(1) },
      { type: 'run.started', seq: 2, at: 2, run: run(9, 2) },
    ])
    builder.apply([{ type: 'run.progress', runId: 9, taskId: 3, progress: { done: 1, total: 2 } }])
    stop()
    builder.apply([{ type: 'task.created', seq: 3, at: 3, task: task(4) }])
    expect(batches).toEqual([
      { taskIds: [1, 2], runIds: [9] },
      { taskIds: [3], runIds: [] },
    ])
    expect(builder.build().changedRunIds).toEqual(new Set([9]))
  })

  it('facets keep their group and label lists while only counts change', () => {
    const facets = new TaskFacetsIndex()
    facets.stage([1], new Map([[1, task(1)]]))
    const first = facets.facets()
    expect(facets.facets()).toBe(first)
    facets.stage([1], new Map([[1, task(1, { status: 'running' })]]))
    const second = facets.facets()
    expect(second.groups).toBe(first.groups)
    expect(second.counts).toEqual(new Map([['running', 1]]))
  })

  it('dashboard tables notice a run whose duration shrank (counted again in full)', () => {
    let runs = new Map([[1, run(1, 7, { durationMs: 900 })], [2, run(2, 8, { durationMs: 100 })]])
    const leaders = new RunLeadersIndex(() => runs)
    leaders.watch()
    expect(leaders.leaders(1).slowest).toEqual([{ taskId: 7, value: 900 }])
    runs = new Map(runs).set(1, run(1, 7, { durationMs: 50 }))
    leaders.stage([1], runs)
    expect(leaders.leaders(2).slowest).toEqual([{ taskId: 8, value: 100 }, { taskId: 7, value: 50 }])
  })

  it('the slowest tasks count a run still going by its time so far, marked running, when it is the task’s longest', () => {
    // Task 7 finished once in 900 ms and runs again (started at 10); task 8 has only a run going (started at 500); task 9 finished in 300 ms.
    let runs = new Map([
      [1, run(1, 7, { status: 'succeeded', startedAt: 0, finishedAt: 900, durationMs: 900 })],
      [2, run(2, 7, { startedAt: 10 })],
      [3, run(3, 8, { status: 'paused', startedAt: 500 })],
      [4, run(4, 9, { status: 'failed', startedAt: 0, finishedAt: 300, durationMs: 300 })],
    ])
    const leaders = new RunLeadersIndex(() => runs)
    leaders.watch()
    // At 610: task 7's run going is at 600 ms, below its 900 ms; task 8's at 110 ms.
    expect(leaders.leaders(5, 610).slowest).toEqual([{ taskId: 7, value: 900 }, { taskId: 9, value: 300 }, { taskId: 8, value: 110, running: true }])
    // Later, read again with the same runs: the runs going have grown.
    expect(leaders.leaders(5, 2_010).slowest).toEqual([{ taskId: 7, value: 2_000, running: true }, { taskId: 8, value: 1_510, running: true }, { taskId: 9, value: 300 }])
    expect(leaders.leaders(5, 2_010)).toEqual(runLeadersOf(runs, 5, 2_010))
    // Task 7's run ends: its duration counts, no longer marked.
    runs = new Map(runs).set(2, run(2, 7, { status: 'succeeded', startedAt: 10, finishedAt: 2_500, durationMs: 2_490 }))
    leaders.stage([2], runs)
    expect(leaders.leaders(5, 3_000).slowest).toEqual([{ taskId: 8, value: 2_500, running: true }, { taskId: 7, value: 2_490 }, { taskId: 9, value: 300 }])
    expect(leaders.leaders(5, 3_000)).toEqual(runLeadersOf(runs, 5, 3_000))
  })

  it('dashboard tables are not kept while nobody shows them, and are counted again when read', () => {
    let runs = new Map([[1, run(1, 7, { status: 'failed', durationMs: 10 })]])
    const leaders = new RunLeadersIndex(() => runs)
    const stop = leaders.watch()
    expect(leaders.leaders(3).failing).toEqual([{ taskId: 7, value: 1 }])
    stop()
    runs = new Map(runs).set(2, run(2, 7, { status: 'timed_out', durationMs: 30 }))
    // Unwatched: staging does nothing, the next read counts from the runs as they are.
    leaders.stage([2], runs)
    expect(leaders.leaders(3)).toEqual(runLeadersOf(runs, 3))
    expect(leaders.leaders(3).failing).toEqual([{ taskId: 7, value: 2 }])
  })
})
