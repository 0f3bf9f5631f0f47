import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src-shared/index.ts'
import { formatPeriod } from '../../src-shared/period.ts'
import { describeCron, triggerChanges$ } from '../../src-renderer/streams/triggers.ts'

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
    expect(formatPeriod(15 * 60_000)).toBe('15m')
    expect(formatPeriod(90 * 60_000)).toBe('1h30m')
    expect(formatPeriod(45_000)).toBe('45s')
    expect(formatPeriod(26 * 3600_000 + 1000)).toBe('1d2h1s')
    expect(formatPeriod(7 * 86_400_000)).toBe('7d')
  })

  it('says a cron pattern in words in the UI’s language, reading six fields as seconds first, and nothing for one it cannot say', () => {
    expect(describeCron('30 9 * * 1-5', 'en')).toBe('At 9:30 AM, Monday through Friday')
    expect(describeCron('30 9 * * 1-5', 'ko')).toBe('오전 9:30, 월요일부터 금요일까지')
    // Six fields are second minute hour day month weekday (croner): every 10 seconds, not "in the year ...".
    expect(describeCron('*/10 * * * * *', 'en')).toBe('Every 10 seconds')
    expect(describeCron('15 30 9 * * 1-5', 'en')).toBe('At 9:30:15 AM, Monday through Friday')
    expect(describeCron('15 30 9 * * 1-5', 'ko')).toContain('월요일부터 금요일까지')
    expect(describeCron('61 * * * *', 'en')).toBeNull()
    expect(describeCron('not a pattern', 'ko')).toBeNull()
  })

  it('says a pattern’s times on the clock the app’s other times use (Intl’s for the language): 12 hours in en and ko', () => {
    // As formatClock writes them (toLocaleTimeString with the UI's language): "9:30:00 PM", "오후 9:30:00".
    expect(describeCron('30 21 * * *', 'en')).toBe('At 9:30 PM')
    expect(describeCron('30 21 * * *', 'ko')).toBe('오후 9:30')
    expect(describeCron('0 0 * * *', 'en')).toBe('At 12:00 AM')
    expect(describeCron('0 9-17 * * *', 'en')).toBe('Every hour, between 9:00 AM and 5:00 PM')
    // The clock comes from Intl, not from the language's words: a language whose clock runs to 24 (as Intl has it)
    // gets 24 hours, two digits as its own clocks show them; one cronstrue is not given here falls back to English words.
    expect(describeCron('30 21 * * *', 'en-GB')).toBe('At 21:30')
    expect(describeCron('0 9-17 * * *', 'en-GB')).toBe('Every hour, between 09:00 and 17:00')
    expect(describeCron('0 0 * * *', 'fr')).toBe('At 00:00')
  })
})
