/**
 * The React keys of a virtualised list's rows, chosen so that the DOM does as little as it can
 * when the window's rows change: a row that stays in the window keeps its key (its element, text
 * and layout: when new tasks arrive on top and shift every row down, only its position changes),
 * and a row new to the window takes the key of a row that left it when that element can be reused
 * where it stands, or a new key otherwise.
 *
 * "Where it stands": React keeps an element in place only while the reused elements' previous
 * positions increase down the list; any other reused element is taken out of the document and
 * put back, which rebuilds its style, layout and text shaping like a new row, and makes React
 * move every row after it (giving the row leaving at the bottom to the task arriving on top moved
 * every other row: docs/benchmarks.md, UI "Session 14"). So a freed key is reused only between its
 * neighbours' previous positions: a wheel that jumps a whole window reuses every element in place
 * (updating their content), a task arriving on top gets a new row and the one leaving at the
 * bottom is removed.
 *
 * A new row costs several times what rewriting a row's content in place costs (React mounts it,
 * the browser styles every element of it anew), so when more than `maxNew` rows would be new (a
 * burst of tasks arriving on top, a wheel that moves several rows) the rows keep the elements at
 * their positions instead and each is rewritten with its task, as a whole-window jump does.
 *
 * `previous` is the last window's result, in its row order (a Map keeps insertion order); `ids`
 * are the new window's row ids in order. Keys are small integers, unique within the window and
 * never one of the previous window's keys given to another row out of place.
 */
export function assignRowKeys(previous: ReadonlyMap<number, number>, ids: readonly number[], maxNew = ROW_KEYS_MAX_NEW): Map<number, number> {
  const kept = keepRows(previous, ids)
  if (kept.created <= maxNew) return kept.keys
  // In place: the i-th row takes the element at the i-th position (any rows past the previous window's get new ones).
  const keys = new Map<number, number>()
  const inPlace = [...previous.values()]
  let fresh = inPlace.length === 0 ? 0 : Math.max(...inPlace) + 1
  ids.forEach((id, i) => keys.set(id, inPlace[i] ?? fresh++))
  return keys
}

/**
 * How many new rows a window change may create before its rows are rewritten in place instead:
 * measured on the task list (docs/benchmarks.md, UI "Session 14"), a row created cost about as
 * much as five rewritten, and one to three tasks arriving per frame are the common case.
 */
export const ROW_KEYS_MAX_NEW = 3

function keepRows(previous: ReadonlyMap<number, number>, ids: readonly number[]): { keys: Map<number, number>; created: number } {
  const oldPosition = new Map<number, number>()
  let position = 0
  for (const key of previous.values()) oldPosition.set(key, position++)
  const keptIds = new Set(ids.filter((id) => previous.has(id)))
  // The freed keys (their rows left the window), by their previous position.
  const freed = [...previous].filter(([id]) => !keptIds.has(id)).map(([, key]) => key)
  // For each row, the previous position of the next kept row below it (a reused element must stand above it).
  const ceiling = new Array<number>(ids.length)
  let next = Infinity
  for (let i = ids.length - 1; i >= 0; i--) {
    ceiling[i] = next
    const key = previous.get(ids[i]!)
    if (key !== undefined) next = Math.min(next, oldPosition.get(key)!)
  }
  const used = new Set(previous.values())
  let fresh = 0
  const newKey = () => {
    while (used.has(fresh)) fresh++
    used.add(fresh)
    return fresh
  }
  const keys = new Map<number, number>()
  let created = 0
  let floor = -1
  let f = 0
  ids.forEach((id, i) => {
    const kept = previous.get(id)
    if (kept !== undefined) {
      keys.set(id, kept)
      floor = Math.max(floor, oldPosition.get(kept)!)
      return
    }
    while (f < freed.length && oldPosition.get(freed[f]!)! <= floor) f++
    if (f < freed.length && oldPosition.get(freed[f]!)! < ceiling[i]!) {
      const key = freed[f++]!
      keys.set(id, key)
      floor = oldPosition.get(key)!
    } else {
      keys.set(id, newKey())
      created++
    }
  })
  return { keys, created }
}
