import { describe, expect, it } from 'vitest'
import { formatRate, nextRateSlot, parseRate } from '../../src-shared/rate.ts'

// The one rate parser the CLI (--rate) and the UI (group settings) share, and the window the engine counts by.
describe('group rates', () => {
  it('reads a count per unit or per window, and says back what it read', () => {
    expect(parseRate('10/m')).toEqual({ rate: { max: 10, perMs: 60_000 } })
    expect(parseRate(' 100 / h ')).toEqual({ rate: { max: 100, perMs: 3_600_000 } })
    expect(parseRate('5/s')).toEqual({ rate: { max: 5, perMs: 1000 } })
    expect(parseRate('20/15m')).toEqual({ rate: { max: 20, perMs: 900_000 } })
    for (const text of ['10/m', '100/h', '5/s', '1/d', '20/15m', '3/90s', '7/12h']) {
      const parsed = parseRate(text)
      expect('rate' in parsed && formatRate(parsed.rate)).toBe(text)
    }
  })

  it('names what is wrong', () => {
    expect(parseRate('ten a minute')).toEqual({ problem: '"ten a minute" is not a rate (examples: 10/m, 100/h, 5/s, 20/15m)' })
    expect(parseRate('0/m')).toEqual({ problem: '"0/m": the count must be at least 1' })
    expect(parseRate('1/2d')).toEqual({ problem: '"1/2d": the window must be at most 1 day' })
    expect(parseRate('1/0s')).toEqual({ problem: '"1/0s": the window must be at least 1 second' })
  })

  it('opens the next slot when the oldest counted start leaves the window', () => {
    const rate = { max: 2, perMs: 1000 }
    expect(nextRateSlot(rate, [], 5000)).toBe(5000)
    expect(nextRateSlot(rate, [4500], 5000)).toBe(5000)
    expect(nextRateSlot(rate, [4200, 4500], 5000)).toBe(5200)
    // Only the last `max` starts count.
    expect(nextRateSlot(rate, [1000, 4200, 4500], 5000)).toBe(5200)
    expect(nextRateSlot(rate, [3000, 3500], 5000)).toBe(5000)
  })
})
