import { describe, expect, it } from 'vitest'
import { ScheduleSpecSchema, type ScheduleSpec } from '../../src-shared/index.ts'
import { lastSlotAtOrBefore, nextSlotAfter, planDueSlots, upcomingSlots } from '../../src-main/triggers/schedule.ts'

const MIN = 60_000
const T0 = Date.parse('2026-03-01T12:00:00Z')
const every10min = (catchUp: 'skip' | 'once' | 'all', maxCatchUp = 100): ScheduleSpec =>
  ScheduleSpecSchema.parse({ kind: 'schedule', everyMs: 10 * MIN, catchUp, maxCatchUp })

describe('schedule arithmetic', () => {
  it('counts interval slots from the anchor', () => {
    const spec = every10min('once')
    expect(nextSlotAfter(spec, T0, T0)).toBe(T0 + 10 * MIN)
    expect(nextSlotAfter(spec, T0, T0 + 10 * MIN)).toBe(T0 + 20 * MIN)
    expect(lastSlotAtOrBefore(spec, T0, T0 + 25 * MIN)).toBe(T0 + 20 * MIN)
    expect(lastSlotAtOrBefore(spec, T0, T0 + 5 * MIN)).toBeNull()
  })

  it('computes cron slots in the given time zone, across a DST change', () => {
    const spec = ScheduleSpecSchema.parse({ kind: 'schedule', cron: '0 9 * * *', timezone: 'America/New_York' })
    const runs = upcomingSlots(spec, 0, Date.parse('2026-03-07T00:00:00Z'), 3).map((t) => new Date(t).toISOString())
    // 09:00 in New York is 14:00 UTC before 8 March 2026 and 13:00 UTC after.
    expect(runs).toEqual(['2026-03-07T14:00:00.000Z', '2026-03-08T13:00:00.000Z', '2026-03-09T13:00:00.000Z'])
  })

  it('has nothing due before the next slot', () => {
    expect(planDueSlots(every10min('all'), T0, T0, T0 + 9 * MIN, MIN)).toBeNull()
  })

  it('fires an on-time slot normally under every policy', () => {
    for (const policy of ['skip', 'once', 'all'] as const) {
      const plan = planDueSlots(every10min(policy), T0, T0, T0 + 10 * MIN + 5, MIN)
      expect(plan).toEqual({ fire: [{ scheduledFor: T0 + 10 * MIN, catchUp: false, missed: 0 }], skipped: null, cursorAt: T0 + 10 * MIN })
    }
  })

  it('skip: records the missed slots and starts nothing for them', () => {
    // Asleep from just after the 10-minute slot until 3 h 16 min: slots 20 min … 3 h 10 min were missed.
    const plan = planDueSlots(every10min('skip'), T0, T0 + 10 * MIN, T0 + 196 * MIN, MIN)
    expect(plan?.fire).toEqual([])
    expect(plan?.skipped).toEqual({ count: 18, countIsLowerBound: false, lastSlot: T0 + 190 * MIN })
    expect(plan?.cursorAt).toBe(T0 + 190 * MIN)
  })

  it('skip: still runs the newest slot when it is on time', () => {
    const plan = planDueSlots(every10min('skip'), T0, T0 + 10 * MIN, T0 + 190 * MIN + 1000, MIN)
    expect(plan?.fire).toEqual([{ scheduledFor: T0 + 190 * MIN, catchUp: false, missed: 0 }])
    expect(plan?.skipped?.count).toBe(17)
  })

  it('once: one run stands for all missed slots', () => {
    const plan = planDueSlots(every10min('once'), T0, T0 + 10 * MIN, T0 + 196 * MIN, MIN)
    expect(plan?.fire).toEqual([{ scheduledFor: T0 + 190 * MIN, catchUp: true, missed: 18 }])
    expect(plan?.skipped).toBeNull()
  })

  it('all: one run per missed slot, the newest maxCatchUp of them', () => {
    const all = planDueSlots(every10min('all'), T0, T0 + 10 * MIN, T0 + 196 * MIN, MIN)
    expect(all?.fire.map((f) => f.scheduledFor)).toEqual(Array.from({ length: 18 }, (_, i) => T0 + (20 + 10 * i) * MIN))
    expect(all?.fire.every((f) => f.catchUp)).toBe(true)

    const capped = planDueSlots(every10min('all', 5), T0, T0 + 10 * MIN, T0 + 196 * MIN, MIN)
    expect(capped?.fire.map((f) => f.scheduledFor)).toEqual([150, 160, 170, 180, 190].map((m) => T0 + m * MIN))
    expect(capped?.skipped).toEqual({ count: 13, countIsLowerBound: false, lastSlot: T0 + 140 * MIN })
  })

  it('counts a month of missed per-second slots without enumerating them all', () => {
    const spec = ScheduleSpecSchema.parse({ kind: 'schedule', cron: '* * * * * *', catchUp: 'once' })
    const plan = planDueSlots(spec, T0, T0, T0 + 30 * 24 * 60 * MIN, 1000)
    expect(plan?.fire).toHaveLength(1)
    expect(plan?.fire[0]?.missed).toBe(10_000)
  })
})
