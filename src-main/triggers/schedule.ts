import { Cron } from 'croner'
import type { ScheduleSpec } from '../../src-shared/index.ts'

/**
 * Schedule arithmetic, pure: which slots of a cron pattern or an interval fall in a span of
 * wall-clock time, and what a catch-up policy makes of the ones that were missed. The
 * pipeline decides *when* to look; this decides *what* is due.
 */

/** Slots counted at most, so a per-second cron after a month of downtime stays cheap. */
const MAX_COUNTED_SLOTS = 10_000

const crons = new Map<string, Cron>()
function cronOf(spec: ScheduleSpec): Cron {
  const key = `${spec.cron ?? ''}\0${spec.timezone ?? ''}`
  let cron = crons.get(key)
  if (!cron) {
    cron = new Cron(spec.cron ?? '', { paused: true, ...(spec.timezone ? { timezone: spec.timezone } : {}) })
    crons.set(key, cron)
  }
  return cron
}

/** The first slot strictly after `after`. Intervals count from `anchorAt` (when the schedule was set). */
export function nextSlotAfter(spec: ScheduleSpec, anchorAt: number, after: number): number | null {
  if (spec.everyMs !== undefined) {
    const steps = Math.floor((after - anchorAt) / spec.everyMs) + 1
    return anchorAt + Math.max(1, steps) * spec.everyMs
  }
  return cronOf(spec).nextRun(new Date(after))?.getTime() ?? null
}

/** The last slot at or before `at`, or null. */
export function lastSlotAtOrBefore(spec: ScheduleSpec, anchorAt: number, at: number): number | null {
  if (spec.everyMs !== undefined) {
    const steps = Math.floor((at - anchorAt) / spec.everyMs)
    return steps >= 1 ? anchorAt + steps * spec.everyMs : null
  }
  return cronOf(spec).previousRuns(1, new Date(at + 1))[0]?.getTime() ?? null
}

/** Slots in (after, upTo], oldest first, at most `cap` of them. */
function slotsBetween(spec: ScheduleSpec, anchorAt: number, after: number, upTo: number, cap: number): number[] {
  const slots: number[] = []
  let cursor = after
  while (slots.length < cap) {
    const next = nextSlotAfter(spec, anchorAt, cursor)
    if (next === null || next > upTo) break
    slots.push(next)
    cursor = next
  }
  return slots
}

export function upcomingSlots(spec: ScheduleSpec, anchorAt: number, after: number, count: number): number[] {
  return slotsBetween(spec, anchorAt, after, Number.MAX_SAFE_INTEGER, count)
}

export interface ScheduledFiring {
  scheduledFor: number
  /** Started for a slot that was missed (machine asleep, app closed), not on time. */
  catchUp: boolean
  /** How many missed slots this one firing stands for (policy "once"). */
  missed: number
}

export interface SchedulePlan {
  fire: ScheduledFiring[]
  /** Missed slots that start nothing (policy "skip", or beyond `maxCatchUp`); recorded in the history. */
  skipped: { count: number; countIsLowerBound: boolean; lastSlot: number } | null
  /** The newest slot accounted for; the next look starts after it. */
  cursorAt: number
}

/**
 * What is due at `now` for slots after `cursorAt`. The newest due slot is on time when it
 * is at most `lateToleranceMs` old (a timer firing a little late); every other due slot was
 * missed, and the trigger's catch-up policy decides: skip them, run once for all of them,
 * or run each (up to `maxCatchUp`).
 */
export function planDueSlots(spec: ScheduleSpec, anchorAt: number, cursorAt: number, now: number, lateToleranceMs: number): SchedulePlan | null {
  const newest = lastSlotAtOrBefore(spec, anchorAt, now)
  if (newest === null || newest <= cursorAt) return null
  const onTime = now - newest <= lateToleranceMs
  const missedSlots = slotsBetween(spec, anchorAt, cursorAt, onTime ? newest - 1 : now, MAX_COUNTED_SLOTS)
  const countIsLowerBound = missedSlots.length === MAX_COUNTED_SLOTS
  const missedCount = missedSlots.length
  const plan: SchedulePlan = { fire: [], skipped: null, cursorAt: newest }
  const skip = (count: number, lastSlot: number): void => {
    if (count > 0) plan.skipped = { count, countIsLowerBound, lastSlot }
  }

  switch (spec.catchUp) {
    case 'skip':
      skip(missedCount, missedSlots[missedSlots.length - 1] ?? newest)
      if (onTime) plan.fire.push({ scheduledFor: newest, catchUp: false, missed: 0 })
      break
    case 'once':
      plan.fire.push({ scheduledFor: newest, catchUp: missedCount > 0, missed: missedCount })
      break
    case 'all': {
      const started = missedSlots.slice(-spec.maxCatchUp)
      const dropped = missedSlots.slice(0, missedSlots.length - started.length)
      skip(dropped.length, dropped[dropped.length - 1] ?? newest)
      for (const slot of started) plan.fire.push({ scheduledFor: slot, catchUp: true, missed: 1 })
      if (onTime) plan.fire.push({ scheduledFor: newest, catchUp: false, missed: 0 })
      break
    }
  }
  return plan
}
