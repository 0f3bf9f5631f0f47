import { describe, expect, it } from 'vitest'
import { LayeredMap } from '../../src-renderer/streams/layered-map.ts'

/** Everything a reader can see of a map, in order. */
const seen = <K, V>(map: ReadonlyMap<K, V>) => ({ size: map.size, entries: [...map], keys: [...map.keys()], values: [...map.values()] })

describe('LayeredMap', () => {
  it('reads as the Map it stands for through every version, each version unchanged by the next', () => {
    const plain = new Map(Array.from({ length: 100 }, (_, i) => [i, `v${i}`]))
    const first = LayeredMap.draft(plain)
    first.set(5, 'five').set(200, 'new').delete(7)
    const expected = new Map(plain)
    expected.set(5, 'five').set(200, 'new').delete(7)
    expect(seen(first)).toEqual(seen(expected))
    const before = seen(first)

    const second = LayeredMap.draft(first)
    second.set(201, 'newer')
    second.delete(200)
    second.delete(5)
    second.set(7, 'back')
    expect(second.delete(999)).toBe(false)
    expect(seen(first)).toEqual(before)
    expect(second.get(5)).toBeUndefined()
    expect(second.has(5)).toBe(false)
    expect(second.has(200)).toBe(false)
    expect(second.get(7)).toBe('back')
    expect(second.get(201)).toBe('newer')
    expect(second.size).toBe(100)
    // The base's keys in their order (7 kept its place), then the added ones.
    expect([...second.keys()]).toEqual([...Array.from({ length: 100 }, (_, i) => i).filter((i) => i !== 5), 201])
    const each: [number, string][] = []
    second.forEach((value, key, map) => {
      expect(map).toBe(second)
      each.push([key, value])
    })
    expect(each).toEqual([...second])
    expect(new Map(second).get(7)).toBe('back')
  })

  it('keeps a version’s own changes only, and starts from a plain copy once they are an eighth of the whole', () => {
    let map: ReadonlyMap<number, number> = new Map(Array.from({ length: 800 }, (_, i) => [i, i]))
    const reference = new Map(map)
    // Many versions of a few changes each, as states published while tasks stream in.
    for (let version = 0; version < 60; version++) {
      const draft = LayeredMap.draft(map)
      for (let i = 0; i < 5; i++) {
        const key = 800 + version * 5 + i
        draft.set(key, key)
        reference.set(key, key)
      }
      draft.set(version, -version)
      reference.set(version, -version)
      if (version % 7 === 0) {
        draft.delete(400 + version)
        reference.delete(400 + version)
      }
      map = draft
      expect(seen(map)).toEqual(seen(reference))
    }
    // Its changes were folded into a new base along the way (a version is never a copy of every change since the start).
    expect(map).toBeInstanceOf(LayeredMap)
    expect((map as LayeredMap<number, number>).changes).toBeLessThan(800 / 8 + 6)
  })
})
