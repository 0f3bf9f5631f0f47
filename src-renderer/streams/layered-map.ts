/** Marks a key of the base deleted in the changes over it. */
const GONE: unique symbol = Symbol('gone')

/**
 * A map that is a plain Map never written again (`base`) plus the changes made since (`top`), so
 * that the next version of a large map costs a copy of its recent changes instead of a copy of
 * every entry: the state's tasks and runs (tens of thousands with a long history) get a new
 * version for every state published while tasks stream in, and copying them whole took several
 * milliseconds of each frame (docs/benchmarks.md, UI "Session 15"). Once the changes reach an
 * eighth of the base they are folded into a new base, so a version costs O(changes) amortised and
 * a lookup at most two Map lookups. Hand-written: the persistent maps on npm (Immutable.js and
 * the like) have their own API, and the views read the state's maps as ReadonlyMaps.
 *
 * Readers see an ordinary ReadonlyMap: the base's keys in their order (with their current values,
 * deleted ones skipped), then the keys added since, in the order they were added. (A base key
 * deleted and set again keeps its place, where a Map would move it to the end; the state never
 * reuses an id.)
 *
 * Only its writer (`StateBuilder`) calls `set` and `delete`, on a draft made by `LayeredMap.draft`
 * and handed out read-only: a version once handed to readers is never written again.
 */
export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  // Private fields (#): not properties, so a structural comparison (a test's toEqual) sees the entries alone.
  readonly #base: ReadonlyMap<K, V>
  readonly #top: Map<K, V | typeof GONE>
  #count: number

  private constructor(base: ReadonlyMap<K, V>, top: Map<K, V | typeof GONE>, count: number) {
    this.#base = base
    this.#top = top
    this.#count = count
  }

  /** A writable next version of `map`, which stays as it is. */
  static draft<K, V>(map: ReadonlyMap<K, V>): LayeredMap<K, V> {
    const layered = map instanceof LayeredMap ? (map as LayeredMap<K, V>) : null
    if (layered !== null && layered.#top.size * FOLD_AT <= layered.#base.size) return new LayeredMap<K, V>(layered.#base, new Map(layered.#top), layered.#count)
    const base = new Map(map)
    return new LayeredMap<K, V>(base, new Map(), base.size)
  }

  /** Entries changed since the base (a version's own cost to copy). */
  get changes(): number {
    return this.#top.size
  }

  get size(): number {
    return this.#count
  }

  get(key: K): V | undefined {
    const value = this.#top.get(key)
    if (value === undefined) return this.#base.get(key)
    return value === GONE ? undefined : value
  }

  has(key: K): boolean {
    const value = this.#top.get(key)
    return value === undefined ? this.#base.has(key) : value !== GONE
  }

  /** Writer only (see the class). */
  set(key: K, value: V): this {
    if (!this.has(key)) this.#count++
    this.#top.set(key, value)
    return this
  }

  /** Writer only (see the class). */
  delete(key: K): boolean {
    if (!this.has(key)) return false
    this.#count--
    if (this.#base.has(key)) this.#top.set(key, GONE)
    else this.#top.delete(key)
    return true
  }

  *entries(): MapIterator<[K, V]> {
    for (const [key, value] of this.#base) {
      const changed = this.#top.get(key)
      if (changed === undefined) yield [key, value]
      else if (changed !== GONE) yield [key, changed]
    }
    for (const [key, value] of this.#top) if (value !== GONE && !this.#base.has(key)) yield [key, value]
  }

  *keys(): MapIterator<K> {
    for (const [key] of this.entries()) yield key
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this)
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries()
  }
}

/** The changes are folded into a new base once they are this fraction (1/FOLD_AT) of it. */
const FOLD_AT = 8
