import { GroupRateSchema, type GroupRate } from './model.ts'

/** The units a rate is said in, as Celery's rate limits are ("100/m"), with their length in ms. */
export const RATE_UNITS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
export type RateUnit = keyof typeof RATE_UNITS

/**
 * A rate as the CLI and the UI take it: "10/m", "100/h", "5/s", "1/d", or a window with a count ("20/15m", "3/30s").
 * Returns the rate, or a sentence naming what was wrong.
 */
export function parseRate(text: string): { rate: GroupRate } | { problem: string } {
  const match = /^\s*(\d+)\s*\/\s*(\d*)\s*([smhd])\s*$/.exec(text)
  if (!match) return { problem: `"${text}" is not a rate (examples: 10/m, 100/h, 5/s, 20/15m)` }
  const [, max, count, unit] = match
  const checked = GroupRateSchema.safeParse({ max: Number(max), perMs: (count === '' ? 1 : Number(count)) * RATE_UNITS[unit as RateUnit] })
  if (!checked.success) {
    const issue = checked.error.issues[0]
    return { problem: `"${text}": ${issue?.path[0] === 'perMs' ? 'the window' : 'the count'} ${issue?.message ?? 'is out of range'}` }
  }
  return { rate: checked.data }
}

/** A rate as parseRate reads it back: "10/m", "20/15m", "3/90s". */
export function formatRate(rate: GroupRate): string {
  for (const [unit, size] of Object.entries(RATE_UNITS).reverse()) {
    if (rate.perMs % size === 0) return `${rate.max}/${rate.perMs === size ? '' : rate.perMs / size}${unit}`
  }
  return `${rate.max}/${rate.perMs / 1000}s`
}

/**
 * When a group's next run may start under its rate: `now` when a slot is free, else the moment the oldest start
 * in the window leaves it. `starts` are start times, oldest first (only the last `max` matter).
 */
export function nextRateSlot(rate: GroupRate, starts: readonly number[], now: number): number {
  if (starts.length < rate.max) return now
  const oldestCounted = starts[starts.length - rate.max]!
  return Math.max(now, oldestCounted + rate.perMs)
}
