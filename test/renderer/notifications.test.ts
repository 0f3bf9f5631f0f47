import { map, type Observable } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS, type EngineEvent, type Settings } from '../../src-shared/index.ts'
import type { FinishedTask } from '../../src-shared/decisions/notifications.ts'
import { finishNotifications$, liveFinishesIn } from '../../src-renderer/streams/notifications.ts'
import { INITIAL_STATE, StateBuilder } from '../../src-renderer/streams/state.ts'
import { run, task } from './events.ts'

/** As the model does: each batch's live finishes against the state it applies to, then the batch folded. */
function liveFinishes$(batches$: Observable<EngineEvent[]>, liveSince: number): Observable<FinishedTask[]> {
  const builder = new StateBuilder(INITIAL_STATE)
  return batches$.pipe(
    map((events) => {
      const finished = liveFinishesIn(events, builder.folded, liveSince)
      builder.apply(events)
      return finished
    }),
  )
}

const finish = (id: number, status: 'succeeded' | 'failed', at: number): EngineEvent[] => [
  { type: 'run.finished', seq: id * 10, at, run: run(id, id, { status, exitCode: status === 'failed' ? 2 : 0, finishedAt: at, durationMs: 5000 }) },
  { type: 'task.updated', seq: id * 10 + 1, at, task: task(id, { name: `job ${id}`, status }) },
]
const started = (id: number): EngineEvent[] => [{ type: 'task.created', seq: id * 10 - 1, at: 1, task: task(id, { name: `job ${id}`, status: 'running' }) }]

const settings = (patch: Partial<Settings['notifications']> = {}): Settings => ({ ...DEFAULT_SETTINGS, notifications: { ...DEFAULT_SETTINGS.notifications, onlyWhenUnfocused: false, ...patch } })

describe('finishNotifications$', () => {
  it('coalesces finishes within the window into one notification', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ hot, expectObservable }) => {
      const batches$ = hot<EngineEvent[]>('ab 100ms c 200ms d', { a: started(1), b: [...started(2), ...started(3)], c: finish(1, 'succeeded', 500), d: finish(2, 'failed', 600) })
      const settings$ = hot('s', { s: settings() })
      const out$ = finishNotifications$(liveFinishes$(batches$, 0), settings$, { isFocused: () => false, scheduler: ts })
      // c at 102 opens a 1500 ms window; d at 303 joins it; one notification at 1602.
      expectObservable(out$, '^ 5000ms !').toBe('1602ms n', {
        n: expect.objectContaining({ tasks: [expect.objectContaining({ taskId: 1 }), expect.objectContaining({ taskId: 2 })], urgency: 'critical' }) as never,
      })
    })
  })

  it('ignores replayed history and respects the policy from settings', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ hot, expectObservable }) => {
      const batches$ = hot<EngineEvent[]>('a-b-c', { a: [...started(1), ...started(2)], b: finish(1, 'failed', 50), c: finish(2, 'succeeded', 500) })
      const only$ = finishNotifications$(liveFinishes$(batches$, 100), hot('s', { s: settings({ policy: 'failure' }) }), { isFocused: () => false, scheduler: ts })
      // Task 1 failed before the page was opened (history); task 2 succeeded but the policy is failures only.
      expectObservable(only$, '^ 5000ms !').toBe('')
    })
  })

  it('says nothing while the window has focus when the user asked for that', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ hot, expectObservable }) => {
      const batches$ = hot<EngineEvent[]>('a-b', { a: started(1), b: finish(1, 'failed', 500) })
      const out$ = finishNotifications$(liveFinishes$(batches$, 0), hot('s', { s: settings({ onlyWhenUnfocused: true }) }), { isFocused: () => true, scheduler: ts })
      expectObservable(out$, '^ 5000ms !').toBe('')
    })
  })
})

describe('liveFinishesIn', () => {
  it('judges a finish against the state before it: no news for a task already in that status, details from its last run', () => {
    const builder = new StateBuilder(INITIAL_STATE)
    const fold = (events: EngineEvent[]) => {
      const finished = liveFinishesIn(events, builder.folded, 0)
      builder.apply(events)
      return finished
    }
    expect(fold(started(1))).toEqual([])
    // The run finishes in one batch, its task in the next: the task's last run (from the state) lends exit code and duration.
    expect(fold([{ type: 'run.started', seq: 20, at: 2, run: run(7, 1, { status: 'running' }) }, { type: 'task.updated', seq: 21, at: 2, task: task(1, { name: 'job 1', status: 'running', lastRunId: 7 }) }])).toEqual([])
    expect(fold([{ type: 'run.finished', seq: 22, at: 3, run: run(7, 1, { status: 'failed', exitCode: 3, finishedAt: 3, durationMs: 1200 }) }])).toEqual([])
    expect(fold([{ type: 'task.updated', seq: 23, at: 4, task: task(1, { name: 'job 1', status: 'failed', lastRunId: 7 }) }])).toEqual([
      expect.objectContaining({ taskId: 1, status: 'failed', outcome: 'failed', exitCode: 3, durationMs: 1200, at: 4 }),
    ])
    // Renamed while failed: the same status again is no news.
    expect(fold([{ type: 'task.updated', seq: 24, at: 5, task: task(1, { name: 'renamed', status: 'failed', lastRunId: 7 }) }])).toEqual([])
  })

  it('finds nothing in history replayed from before liveSince', () => {
    const builder = new StateBuilder(INITIAL_STATE)
    builder.apply(started(1))
    expect(liveFinishesIn(finish(1, 'failed', 50), builder.folded, 100)).toEqual([])
  })
})
