import { map } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { lastFailedTask, newestRunningTask, paletteSteps$, type PaletteEvent } from '../../src-renderer/streams/palette.ts'
import { run, task } from './events.ts'

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))

describe('the two-step palette', () => {
  it('asks for the group in a second step, then sends the group command for the group chosen, and closes', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const events$ = hot<PaletteEvent>('-o-p-g-', {
        o: { kind: 'open' },
        p: { kind: 'ask-group', command: 'group.pause' },
        g: { kind: 'choose-group', name: 'builds' },
      })
      expectObservable(paletteSteps$(events$)).toBe('-a-b-c-', {
        a: { step: { kind: 'commands' }, intent: null },
        b: { step: { kind: 'pick-group', command: 'group.pause' }, intent: null },
        c: { step: { kind: 'closed' }, intent: { command: 'group.pause', params: { name: 'builds' }, key: 'group.pause:builds' } },
      })
    })
  })

  it('goes back to the commands, and sends nothing for a group chosen outside the second step or after a close', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const events$ = hot<PaletteEvent>('-r-b-g-r-x-g-', {
        r: { kind: 'ask-group', command: 'group.resume' },
        b: { kind: 'back' },
        g: { kind: 'choose-group', name: 'default' },
        x: { kind: 'close' },
      })
      expectObservable(paletteSteps$(events$).pipe(map((o) => `${o.step.kind}${o.intent ? `:${o.intent.command}` : ''}`))).toBe('-a-b-b-a-c-c-', {
        a: 'pick-group',
        b: 'commands',
        c: 'closed',
      })
    })
  })
})

describe('queue commands', () => {
  it('finds the task that failed last (not a cancelled one)', () => {
    const tasks = [task(1, { status: 'failed', updatedAt: 5 }), task(2, { status: 'timed_out', updatedAt: 9 }), task(3, { status: 'cancelled', updatedAt: 20 }), task(4, { status: 'succeeded', updatedAt: 30 })]
    expect(lastFailedTask(tasks)?.id).toBe(2)
    expect(lastFailedTask([task(5)])).toBeNull()
  })

  it('finds the running task whose run started last', () => {
    const tasks = [task(1, { status: 'running', lastRunId: 10 }), task(2, { status: 'running', lastRunId: 11 }), task(3, { status: 'queued' })]
    const runs = new Map([
      [10, run(10, 1, { startedAt: 50 })],
      [11, run(11, 2, { startedAt: 40 })],
    ])
    expect(newestRunningTask(tasks, runs)?.id).toBe(1)
    expect(newestRunningTask([task(3)], runs)).toBeNull()
  })
})
