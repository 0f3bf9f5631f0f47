import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { TaskDefinitionSchema, type EngineEvent, type Task, type TaskStatus } from '../../src-shared/index.ts'
import { batchBursts, completionMatches, finishedTasks$ } from '../../src-main/triggers/pipeline.ts'

const task = (id: number, status: TaskStatus, lastRunId: number | null, labels: string[] = []): Task => ({
  id,
  name: `t${id}`,
  definition: TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: ['true'] }, labels }),
  status,
  waitingFor: null,
  createdAt: 0,
  updatedAt: 0,
  attempts: 1,
  lastRunId,
  progress: null,
})
const updated = (t: Task, seq = 1): EngineEvent => ({ type: 'task.updated', seq, at: 0, task: t })

describe('batching file changes', () => {
  const marbles = (test: (helpers: Parameters<Parameters<TestScheduler['run']>[0]>[0], scheduler: TestScheduler) => void) => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    scheduler.run((helpers) => test(helpers, scheduler))
  }

  it('closes a burst after a quiet spell, with every change in it', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      const changes$ = cold('-a-b-c-----d')
      expectObservable(changes$.pipe(batchBursts(3, 100, scheduler))).toBe('--------x-----y', { x: ['a', 'b', 'c'], y: ['d'] })
    })
  })

  it('fires at least every maxWaitMs while changes never stop', () => {
    marbles(({ cold, expectObservable }, scheduler) => {
      const changes$ = cold('-a-a-a-a-a-a-a-a')
      expectObservable(changes$.pipe(batchBursts(3, 9, scheduler))).toBe('----------x-------y', { x: ['a', 'a', 'a', 'a', 'a'], y: ['a', 'a', 'a'] })
    })
  })
})

describe('the completion pipeline', () => {
  it('emits each finish once, with its event seq: repeats are dropped, a retry (new run) finishes again', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ cold, expectObservable }) => {
      const events$ = cold<EngineEvent>('abcdefg', {
        a: updated(task(1, 'running', 1)),
        b: updated(task(1, 'succeeded', 1), 2),
        c: updated(task(1, 'succeeded', 1)), // announced again (a label edit): not a new finish
        d: { type: 'task.removed', seq: 2, at: 0, taskIds: [2] },
        e: updated(task(1, 'queued', 1)),
        f: updated(task(1, 'running', 2)),
        g: updated(task(1, 'failed', 2), 7), // retried and finished again
      })
      expectObservable(finishedTasks$(events$)).toBe('-b----g', { b: { task: task(1, 'succeeded', 1), seq: 2 }, g: { task: task(1, 'failed', 2), seq: 7 } })
    })
  })

  it('matches outcomes: failed covers timeouts and interruptions; finished excludes cancelled', () => {
    const spec = (when: 'succeeded' | 'failed' | 'finished') => ({ kind: 'completion' as const, when, label: 'ci' })
    expect(completionMatches(spec('failed'), task(1, 'timed_out', 1, ['ci']))).toBe(true)
    expect(completionMatches(spec('failed'), task(1, 'interrupted', 1, ['ci']))).toBe(true)
    expect(completionMatches(spec('failed'), task(1, 'succeeded', 1, ['ci']))).toBe(false)
    expect(completionMatches(spec('finished'), task(1, 'cancelled', 1, ['ci']))).toBe(false)
    expect(completionMatches(spec('finished'), task(1, 'failed', 1, ['ci']))).toBe(true)
    expect(completionMatches(spec('succeeded'), task(1, 'succeeded', 1, ['other']))).toBe(false)
  })
})
