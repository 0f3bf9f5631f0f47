import { map, scan } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import type { EngineEvent, Run } from '../../src-shared/index.ts'
import { COMPLETION_HISTORY, INITIAL_STATE, foldEvents, readingHistory, runsOfTask, successPercent } from '../../src-renderer/streams/state.ts'
import { queryTasks, DEFAULT_QUERY, fuzzyScore } from '../../src-renderer/streams/tasks-query.ts'
import { output, paused, run, task } from './events.ts'

describe('foldEvents', () => {
  it('projects tasks, runs, completions and the last seq from one batch', () => {
    const batch: EngineEvent[] = [
      { type: 'task.created', seq: 1, at: 1, task: task(1) },
      { type: 'task.updated', seq: 2, at: 2, task: task(1, { status: 'running', lastRunId: 7 }) },
      { type: 'run.started', seq: 3, at: 3, run: run(7, 1) },
      output(7, 0, 'hello\n'),
      { type: 'run.progress', runId: 7, taskId: 1, progress: { done: 3, total: 10 } },
      { type: 'run.finished', seq: 4, at: 4, run: run(7, 1, { status: 'failed', exitCode: 3, finishedAt: 40, reason: 'exit code 3' }) },
      { type: 'task.updated', seq: 5, at: 5, task: task(1, { status: 'failed', lastRunId: 7 }) },
    ]
    const state = foldEvents(INITIAL_STATE, batch)
    expect(state.tasks.get(1)?.status).toBe('failed')
    expect(state.runs.get(7)?.reason).toBe('exit code 3')
    expect(state.progress.has(1)).toBe(false)
    expect(state.completions).toEqual([{ at: 40, taskId: 1, ok: false }])
    expect(state.lastSeq).toBe(5)
    expect(state.lastBatchSize).toBe(7)
    expect(runsOfTask(state.runs, 1).map((r) => r.id)).toEqual([7])
  })

  it('counts every finished run as it is folded, beyond the timelines’ cap, a cancelled or interrupted run neither way', () => {
    const finishes = (from: number, count: number, status: (id: number) => Run['status']): EngineEvent[] =>
      Array.from({ length: count }, (_, i) => ({ type: 'run.finished', seq: from + i, at: from + i, run: run(from + i, 1, { status: status(from + i), finishedAt: from + i }) }))
    // More runs than the timelines keep, over two batches (the second starts from the first's counts).
    const first = foldEvents(INITIAL_STATE, finishes(1, COMPLETION_HISTORY, (id) => (id % 10 === 0 ? 'failed' : 'succeeded')))
    const state = foldEvents(first, [...finishes(COMPLETION_HISTORY + 1, 4, () => 'timed_out'), ...finishes(COMPLETION_HISTORY + 5, 3, () => 'cancelled'), ...finishes(COMPLETION_HISTORY + 8, 1, () => 'interrupted')])
    expect(state.completions).toHaveLength(COMPLETION_HISTORY)
    expect(state.runOutcomes).toEqual({ succeeded: COMPLETION_HISTORY * 0.9, failed: COMPLETION_HISTORY * 0.1 + 4 })
    expect(first.runOutcomes).toEqual({ succeeded: COMPLETION_HISTORY * 0.9, failed: COMPLETION_HISTORY * 0.1 })
    expect(state.completions.slice(-4).map((c) => c.ok)).toEqual([null, null, null, null])
    expect(successPercent(state.runOutcomes)).toBeCloseTo((4500 / 5004) * 100)
    expect(successPercent({ succeeded: 0, failed: 0 })).toBeNull()
    // A batch without a finish keeps the very same counts.
    expect(foldEvents(state, [paused(COMPLETION_HISTORY + 9)]).runOutcomes).toBe(state.runOutcomes)
  })

  it('keeps untouched collections identical, so views can skip work', () => {
    const before = foldEvents(INITIAL_STATE, [{ type: 'task.created', seq: 1, at: 1, task: task(1) }])
    const after = foldEvents(before, [paused(2)])
    expect(after.tasks).toBe(before.tasks)
    expect(after.tasksVersion).toBe(before.tasksVersion)
    expect(after.enginePaused).toBe(true)
  })

  it('returns the very same state for a batch of output only, so the task list does not re-render', () => {
    const before = foldEvents(INITIAL_STATE, [{ type: 'task.created', seq: 1, at: 1, task: task(1) }])
    expect(foldEvents(before, [output(7, 0, 'a\n'), output(7, 1, 'b\n')])).toBe(before)
  })

  it('removes tasks and folds a stream of batches in order (marble)', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ cold, expectObservable }) => {
      const batches$ = cold<EngineEvent[]>('a-b', {
        a: [
          { type: 'task.created', seq: 1, at: 1, task: task(1) },
          { type: 'task.created', seq: 2, at: 2, task: task(2) },
        ],
        b: [{ type: 'task.removed', seq: 3, at: 3, taskIds: [1] }],
      })
      const ids$ = batches$.pipe(
        scan(foldEvents, INITIAL_STATE),
        map((state) => [...state.tasks.keys()]),
      )
      expectObservable(ids$).toBe('a-b', { a: [1, 2], b: [2] })
    })
  })
})

describe('queryTasks', () => {
  const tasks = new Map([
    [1, task(1, { name: 'build app', status: 'succeeded', definition: { ...task(1).definition, labels: ['ci'] } })],
    [2, task(2, { name: 'deploy', status: 'failed', definition: { ...task(2).definition, group: 'prod' } })],
    [3, task(3, { name: 'backup photos', status: 'running' })],
  ])

  it('filters by status, group, label and text, newest first by default', () => {
    const ids = (q: Partial<typeof DEFAULT_QUERY>) => queryTasks(tasks, new Map(), new Map(), { ...DEFAULT_QUERY, ...q }).map((r) => r.task.id)
    expect(ids({})).toEqual([3, 2, 1])
    expect(ids({ statuses: ['failed', 'running'] })).toEqual([3, 2])
    expect(ids({ group: 'prod' })).toEqual([2])
    expect(ids({ label: 'ci' })).toEqual([1])
    expect(ids({ text: 'BACKUP' })).toEqual([3])
    expect(ids({ sort: 'status', descending: false })).toEqual([3, 2, 1])
    expect(ids({ sort: 'name', descending: false })).toEqual([3, 1, 2])
  })

  it('reuses the previous row objects for unchanged tasks, and only those', () => {
    const first = queryTasks(tasks, new Map(), new Map(), DEFAULT_QUERY)
    const byId = new Map(first.map((r) => [r.task.id, r]))
    const changed = new Map(tasks).set(2, task(2, { name: 'deploy', status: 'succeeded' }))
    const second = queryTasks(changed, new Map(), new Map(), DEFAULT_QUERY, byId)
    expect(second[0]).toBe(byId.get(3))
    expect(second[2]).toBe(byId.get(1))
    expect(second[1]).not.toBe(byId.get(2))
    expect(second[1]!.task.status).toBe('succeeded')
    // New progress for a task is a new row, too.
    const third = queryTasks(changed, new Map(), new Map([[3, { done: 1, total: 2 }]]), DEFAULT_QUERY, new Map(second.map((r) => [r.task.id, r])))
    expect(third[0]).not.toBe(second[0])
    expect(third[0]!.progress).toEqual({ done: 1, total: 2 })
  })

  it('fuzzy-matches palette entries in order, preferring word starts', () => {
    expect(fuzzyScore('gtt', 'Go to Tasks')).not.toBeNull()
    expect(fuzzyScore('xyz', 'Go to Tasks')).toBeNull()
    expect(fuzzyScore('new', 'New task')!).toBeGreaterThan(fuzzyScore('new', 'Go to Event loop, new')!)
  })
})

describe('readingHistory', () => {
  it('says the history is being read only while connected or connecting, with no head known or behind it', () => {
    expect(readingHistory({ headSeq: null, lastSeq: 0 }, 'online')).toBe(true)
    expect(readingHistory({ headSeq: null, lastSeq: 0 }, 'connecting')).toBe(true)
    expect(readingHistory({ headSeq: 9, lastSeq: 4 }, 'online')).toBe(true)
    expect(readingHistory({ headSeq: 4, lastSeq: 4 }, 'online')).toBe(false)
    // A refused token, or a first connection that failed: nothing is on its way.
    for (const kind of ['offline', 'unauthorized', 'refused'] as const) {
      expect(readingHistory({ headSeq: null, lastSeq: 0 }, kind)).toBe(false)
      expect(readingHistory({ headSeq: 9, lastSeq: 4 }, kind)).toBe(false)
    }
  })
})
