import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src-shared/index.ts'
import { formatEvery, triggerChanges$ } from '../../src-renderer/streams/triggers.ts'

describe('the trigger list’s streams and words', () => {
  it('is read again for the frames that hold a trigger change, not for others', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    const of = (...types: string[]) => types.map((type) => ({ type }) as unknown as EngineEvent)
    scheduler.run(({ cold, expectObservable }) => {
      const frames = { a: of('task.created'), b: of('task.created', 'trigger.fired'), c: of('engine.stats'), d: of('trigger.updated'), e: of('trigger.removed') }
      expectObservable(triggerChanges$(cold('abcde', frames))).toBe('-b-de', frames)
    })
  })

  it('says a schedule’s period in its whole units', () => {
    expect(formatEvery(15 * 60_000)).toBe('15m')
    expect(formatEvery(90 * 60_000)).toBe('1h 30m')
    expect(formatEvery(45_000)).toBe('45s')
    expect(formatEvery(26 * 3600_000 + 1000)).toBe('1d 2h 1s')
    expect(formatEvery(7 * 86_400_000)).toBe('7d')
  })
})
