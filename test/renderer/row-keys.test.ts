import { describe, expect, it } from 'vitest'
import { ROW_KEYS_MAX_NEW, assignRowKeys } from '../../src-renderer/streams/row-keys.ts'

/** The window's rows from `from` (inclusive) down to `to`, newest first, as a list sorted by id descending shows them. */
const window = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => from - i)

/**
 * What React does to the DOM going from `before` to `after` (ids → keys, in row order): elements
 * whose key is new are created, keys gone are removed, and a reused element whose previous
 * position is below the last one kept in place is moved (React's reconcileChildrenArray).
 */
function domChanges(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>) {
  const oldPosition = new Map([...before.values()].map((key, i) => [key, i]))
  let lastPlaced = -1
  let moved = 0
  let created = 0
  for (const key of after.values()) {
    const was = oldPosition.get(key)
    if (was === undefined) created++
    else if (was < lastPlaced) moved++
    else lastPlaced = was
  }
  const kept = new Set(after.values())
  const removed = [...before.values()].filter((key) => !kept.has(key)).length
  // Elements that show another task than before (their content is rewritten).
  const keyOfBefore = new Map([...before].map(([id, key]) => [key, id]))
  const rewritten = [...after].filter(([id, key]) => keyOfBefore.has(key) && keyOfBefore.get(key) !== id).length
  return { created, removed, moved, rewritten }
}

const distinct = (keys: ReadonlyMap<number, number>) => new Set(keys.values()).size === keys.size

describe('the keys of a virtualised list’s rows', () => {
  it('keeps every row’s element while new tasks arrive on top: one row created, one removed, nothing moved or rewritten', () => {
    const before = assignRowKeys(new Map(), window(100, 75))
    const after = assignRowKeys(before, window(101, 76))
    expect(distinct(after)).toBe(true)
    for (let id = 100; id >= 76; id--) expect(after.get(id)).toBe(before.get(id))
    expect(domChanges(before, after)).toEqual({ created: 1, removed: 1, moved: 0, rewritten: 0 })
    // Keying rows by position (index modulo the window) rewrote all of them instead.
    const byPosition = (ids: number[]) => new Map(ids.map((id, i) => [id, i]))
    expect(domChanges(byPosition(window(100, 75)), byPosition(window(101, 76))).rewritten).toBe(26)
  })

  it('rewrites the rows in place when more tasks arrive at once than are worth new rows', () => {
    const before = assignRowKeys(new Map(), window(100, 75))
    const few = assignRowKeys(before, window(100 + ROW_KEYS_MAX_NEW, 75 + ROW_KEYS_MAX_NEW))
    expect(domChanges(before, few)).toEqual({ created: ROW_KEYS_MAX_NEW, removed: ROW_KEYS_MAX_NEW, moved: 0, rewritten: 0 })
    const burst = assignRowKeys(before, window(101 + ROW_KEYS_MAX_NEW, 76 + ROW_KEYS_MAX_NEW))
    expect(domChanges(before, burst)).toEqual({ created: 0, removed: 0, moved: 0, rewritten: 26 })
    expect([...burst.values()]).toEqual([...before.values()])
  })

  it('reuses every element in place, rewriting its content, when a wheel jumps a whole window', () => {
    const before = assignRowKeys(new Map(), window(1000, 975))
    const after = assignRowKeys(before, window(500, 475))
    expect(domChanges(before, after)).toEqual({ created: 0, removed: 0, moved: 0, rewritten: 26 })
    expect(new Set(after.values())).toEqual(new Set(before.values()))
  })

  it('moves nothing when scrolled a few rows either way', () => {
    const start = assignRowKeys(new Map(), window(100, 75))
    const down = assignRowKeys(start, window(97, 72))
    expect(domChanges(start, down)).toMatchObject({ moved: 0, rewritten: 0, created: 3, removed: 3 })
    const up = assignRowKeys(down, window(99, 74))
    expect(domChanges(down, up)).toMatchObject({ moved: 0, rewritten: 0 })
    expect(distinct(up)).toBe(true)
  })

  it('reuses a freed element only where it stands', () => {
    const before = assignRowKeys(new Map(), [9, 8, 7, 6, 5])
    // 7 leaves (filtered out) and 4 enters at the bottom: 7's element stood above 6 and 5, so it would have to move: a new row.
    const below = assignRowKeys(before, [9, 8, 6, 5, 4])
    expect(domChanges(before, below)).toEqual({ created: 1, removed: 1, moved: 0, rewritten: 0 })
    // 7 leaves and 3 enters in its place (another sort order): 7's element shows 3 there.
    const inPlace = assignRowKeys(before, [9, 8, 3, 6, 5])
    expect(inPlace.get(3)).toBe(before.get(7))
    expect(domChanges(before, inPlace)).toEqual({ created: 0, removed: 0, moved: 0, rewritten: 1 })
  })

  it('gives no key of the previous window to another row out of place, and stays small', () => {
    let keys = new Map<number, number>()
    for (let top = 50; top < 400; top += 7) {
      const next = assignRowKeys(keys, window(top, top - 25))
      expect(distinct(next)).toBe(true)
      expect(domChanges(keys, next).moved).toBe(0)
      expect(Math.max(...next.values())).toBeLessThan(52)
      keys = next
    }
  })
})
