import { of } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import type { EngineEvent, Task } from '../../src-shared/index.ts'
import { completionBuckets, snapshotOnActivity$, touchesGroupQueue } from '../../src-renderer/streams/loop.ts'
import { finishedRun, finishedTask } from '../support/history.ts'

describe('snapshotOnActivity$', () => {
  it('fetches on the first activity and at most once per interval, always after the last', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ hot, expectObservable }) => {
      let n = 0
      const fetch = () => of({ ok: true as const, value: ++n })
      const activity$ = hot('a-a-a-a 300ms a')
      // Leading at 0, trailing at 250 for the burst; the one at 307 falls in the window the
      // trailing fetch opened, so it is fetched when that window ends, at 500.
      const out$ = snapshotOnActivity$(activity$, fetch, 250, ts)
      expectObservable(out$).toBe('x 249ms y 249ms z', { x: { ok: true, value: 1 }, y: { ok: true, value: 2 }, z: { ok: true, value: 3 } })
    })
  })

  it('drops a slow answer when a newer fetch starts (no going back in time)', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ hot, cold, expectObservable }) => {
      const answers = [cold('----a|', { a: { ok: true as const, value: 'old' } }), cold('-b|', { b: { ok: true as const, value: 'new' } })]
      let n = 0
      const out$ = snapshotOnActivity$(hot('a-a'), () => answers[n++]!, 2, ts)
      expectObservable(out$).toBe('---b', { b: { ok: true, value: 'new' } })
    })
  })
})

describe('touchesGroupQueue', () => {
  const inGroup = (id: number, group: string): Task => {
    const task = finishedTask(id, { name: `task ${id}` })
    return { ...task, definition: { ...task.definition, group } }
  }
  const groups = new Map([
    [1, 'api'],
    [2, 'build'],
  ])
  const touches = (...batch: EngineEvent[]) => touchesGroupQueue(batch, 'api', (id) => groups.get(id))

  it('is false for what streams in every second (output, progress, usage, stats), which moves no hold', () => {
    const stats: EngineEvent = { type: 'engine.stats', at: 1, loopDelayMs: { p50: 0, p99: 0, max: 0 }, queueDepth: { ready: 0, waiting: 1, running: 1 }, throughput: 0, headSeq: 9 }
    const output: EngineEvent = { type: 'run.output', runId: 2, taskId: 2, stream: 'stdout', text: '50%', line: 1 }
    const progress: EngineEvent = { type: 'run.progress', runId: 1, taskId: 1, progress: { done: 1, total: 2 } }
    expect(touches(stats, output, progress)).toBe(false)
  })

  it("is true for the group's own tasks, runs and rule, and for a pause of everything; false for another group's", () => {
    const at = { seq: 1, at: 1 }
    expect(touches({ type: 'task.updated', ...at, task: inGroup(1, 'api') })).toBe(true)
    expect(touches({ type: 'task.updated', ...at, task: inGroup(2, 'build') })).toBe(false)
    expect(touches({ type: 'run.started', ...at, run: { ...finishedRun(1, { name: 'a' }), taskId: 1 } })).toBe(true)
    expect(touches({ type: 'run.started', ...at, run: { ...finishedRun(2, { name: 'b' }), taskId: 2 } })).toBe(false)
    expect(touches({ type: 'group.updated', ...at, group: { name: 'api', parallel: 1, paused: false, rate: { max: 1, perMs: 60_000 } } })).toBe(true)
    expect(touches({ type: 'group.updated', ...at, group: { name: 'build', parallel: 1, paused: true } })).toBe(false)
    expect(touches({ type: 'engine.paused', ...at, paused: true })).toBe(true)
  })
})

describe('completionBuckets', () => {
  it('counts finished runs per window and the share that succeeded', () => {
    const now = 100
    const buckets = completionBuckets(
      [
        { at: 5, ok: true },
        { at: 15, ok: false },
        { at: 15, ok: true },
        { at: 95, ok: true },
        { at: 50, ok: false },
      ],
      now,
      10,
      10,
    )
    expect(buckets.finished).toEqual([1, 2, 0, 0, 0, 1, 0, 0, 0, 1])
    // Quiet windows keep the last known share: the failure at 50 is not followed by a false 100%.
    expect(buckets.successRate).toEqual([100, 50, 50, 50, 50, 0, 0, 0, 0, 100])
  })

  it('ends on the last known share when the latest runs failed and nothing finished since', () => {
    const buckets = completionBuckets([{ at: 35, ok: true }, { at: 42, ok: false }], 100, 10, 10)
    // Before the first finish: the first known share; after the failure: 0%, not 100%.
    expect(buckets.successRate).toEqual([100, 100, 100, 100, 0, 0, 0, 0, 0, 0])
    expect(completionBuckets([], 100, 10, 10).successRate).toEqual([])
  })

  it('heads the chart with the share over its whole span, and counts a cancelled run neither way', () => {
    const buckets = completionBuckets(
      [
        { at: 5, ok: true },
        { at: 15, ok: false },
        { at: 25, ok: true },
        { at: 26, ok: true },
        // A cancelled run: finished, but no verdict on the task.
        { at: 95, ok: null },
        // Before the chart's span: not in its figure.
        { at: -50, ok: false },
      ],
      100,
      10,
      10,
    )
    expect(buckets.finished).toEqual([1, 1, 2, 0, 0, 0, 0, 0, 0, 1])
    // The last window holds only the cancelled run: the line goes on at 100%, not 0%.
    expect(buckets.successRate).toEqual([100, 0, 100, 100, 100, 100, 100, 100, 100, 100])
    // The headline: 3 of the 4 runs with a verdict in the span, not the last window's 100%.
    expect(buckets.outcomes).toEqual({ succeeded: 3, failed: 1 })
    expect(completionBuckets([{ at: 95, ok: null }], 100, 10, 10)).toEqual({ finished: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1], successRate: [], outcomes: { succeeded: 0, failed: 0 } })
  })
})
