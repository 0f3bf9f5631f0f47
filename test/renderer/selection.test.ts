import { map } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { DEFAULT_KEYMAP, keyCommands$, type KeyPress } from '../../src-renderer/streams/keymap.ts'
import { extendSelection, selectRange, type ListSelection } from '../../src-renderer/streams/selection.ts'

const rows = [10, 9, 8, 7, 6, 5]
const start = (cursor: number | null, checked: number[] = []): ListSelection => ({ cursor, checked: new Set(checked), anchor: null })
const ids = (s: ListSelection) => [...s.checked].sort((a, b) => b - a)

describe('range selection', () => {
  it('Shift+j from the cursor checks the cursor row and the next, and moves the cursor', () => {
    const s = extendSelection(rows, start(9), 1)
    expect(ids(s)).toEqual([9, 8])
    expect(s.cursor).toBe(8)
    expect(s.anchor?.taskId).toBe(9)
  })

  it('keeps extending from the same anchor, and shrinks when moving back', () => {
    let s = start(9)
    for (let i = 0; i < 3; i++) s = extendSelection(rows, s, 1)
    expect(ids(s)).toEqual([9, 8, 7, 6])
    s = extendSelection(rows, s, -1)
    s = extendSelection(rows, s, -1)
    expect(ids(s)).toEqual([9, 8])
    // Past the anchor the range flips to the other side.
    s = extendSelection(rows, s, -1)
    s = extendSelection(rows, s, -1)
    expect(ids(s)).toEqual([10, 9])
    expect(s.cursor).toBe(10)
  })

  it('stops at the ends of the list', () => {
    let s = start(5)
    s = extendSelection(rows, s, 1)
    expect(ids(s)).toEqual([5])
    expect(s.cursor).toBe(5)
    s = extendSelection(rows, start(10), -1)
    expect(ids(s)).toEqual([10])
  })

  it('adds the range to what was checked before it began', () => {
    let s = start(7, [10])
    s = extendSelection(rows, s, 1)
    s = extendSelection(rows, s, 1)
    expect(ids(s)).toEqual([10, 7, 6, 5])
    s = extendSelection(rows, s, -2)
    expect(ids(s)).toEqual([10, 7])
  })

  it('Shift+click checks from the cursor to the clicked row, and a second Shift+click re-ranges from the same anchor', () => {
    let s = selectRange(rows, start(9), 6)
    expect(ids(s)).toEqual([9, 8, 7, 6])
    s = selectRange(rows, s, 8)
    expect(ids(s)).toEqual([9, 8])
  })

  it('starts at the first row without a cursor, and ignores rows not shown', () => {
    expect(ids(extendSelection(rows, start(null), 1))).toEqual([10])
    const s = start(9)
    expect(selectRange(rows, s, 42)).toBe(s)
    // An anchor filtered out of view restarts the range at the cursor.
    const hidden = { cursor: 8, checked: new Set([99]), anchor: { taskId: 99, base: new Set<number>() } }
    expect(ids(selectRange(rows, hidden, 7))).toEqual([99, 8, 7])
  })
})

describe('range selection keys', () => {
  const press = (key: string, extra: Partial<KeyPress> = {}): KeyPress => ({ key, ctrl: false, meta: false, alt: false, shift: false, repeat: false, inEditable: false, ...extra })

  it('Shift+j, Shift+k and Shift+arrows extend the selection, and repeat while held', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ hot, expectObservable }) => {
      const keys = {
        J: press('J', { shift: true }),
        r: press('J', { shift: true, repeat: true }),
        K: press('K', { shift: true }),
        d: press('ArrowDown', { shift: true }),
        u: press('ArrowUp', { shift: true }),
        j: press('j'),
      }
      const out$ = keyCommands$(hot('-J-r-K-d-u-j-', keys), DEFAULT_KEYMAP, { scheduler: ts }).pipe(map((c) => c.command))
      expectObservable(out$).toBe('-a-a-b-a-b-c-', { a: 'select.down', b: 'select.up', c: 'nav.down' })
    })
  })
})
