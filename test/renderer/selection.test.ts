import { BehaviorSubject, map } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { DEFAULT_KEYMAP, keyCommands$, type KeyPress } from '../../src-renderer/streams/keymap.ts'
import { extendSelection, selectRange, selectionCounts$, type ListSelection, type SelectionCounts, type SelectionTasks } from '../../src-renderer/streams/selection.ts'
import { isFinished, type Task, type TaskStatus } from '../../src-shared/index.ts'
import { task } from './events.ts'

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

describe('selectionCounts$: the checked tasks there are, and how many of them are finished or stashed', () => {
  const frame = (tasks: [number, TaskStatus][], changed: number[]): SelectionTasks => ({ tasks: new Map(tasks.map(([id, status]) => [id, task(id, { status })])), changedTaskIds: new Set(changed) })
  const counts = (present: number, finished: number, stashed = 0): SelectionCounts => ({ present, finished, stashed })

  it('counts a new selection once, then moves the counts by the changed tasks of each state, emitting only a change', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    scheduler.run(({ hot, expectObservable }) => {
      const s1 = frame([[1, 'queued'], [2, 'succeeded'], [4, 'running']], [1, 2, 4])
      // Task 1 fails; task 4 (not checked) finishes: only the first is counted.
      const s2 = frame([[1, 'failed'], [2, 'succeeded'], [4, 'succeeded']], [1, 4])
      // Task 3, checked before it was known (another client's selection, say), arrives finished.
      const s3 = frame([[1, 'failed'], [2, 'succeeded'], [3, 'cancelled'], [4, 'succeeded']], [3])
      // Task 2 is removed; task 1 is retried (queued again).
      const s4 = frame([[1, 'queued'], [3, 'cancelled'], [4, 'succeeded']], [1, 2])
      // Another state of the same tasks (seeded workers, say): nothing to count.
      const s5 = { ...s4, changedTaskIds: new Set([1, 3]) }
      const checked$ = hot('a------b--c', { a: new Set([1, 2, 3]), b: new Set([4]), c: new Set<number>() })
      const states$ = hot('-wxyzv-----', { w: s1, x: s2, y: s3, z: s4, v: s5 })
      // Before any state, no checked task is known to be there.
      expectObservable(selectionCounts$(checked$, states$)).toBe('abcde--f--g', {
        a: counts(0, 0),
        b: counts(2, 1),
        c: counts(2, 2),
        d: counts(3, 3),
        e: counts(2, 1),
        f: counts(1, 1),
        g: counts(0, 0),
      })
    })
  })

  it('keeps the same counts as counting the whole selection again, over many random changes', () => {
    const statuses: TaskStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'waiting', 'stashed', 'paused']
    let seed = 7
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n
    let tasks = new Map<number, Task>()
    let checked = new Set<number>()
    const checked$ = new BehaviorSubject<ReadonlySet<number>>(checked)
    const states$ = new BehaviorSubject<SelectionTasks>({ tasks, changedTaskIds: new Set() })
    let seen: SelectionCounts | null = null
    const subscription = selectionCounts$(checked$, states$).subscribe((c) => (seen = c))
    for (let step = 0; step < 400; step++) {
      if (random(10) === 0) {
        checked = new Set(Array.from({ length: random(40) }, () => random(60)))
        checked$.next(checked)
      } else {
        const next = new Map(tasks)
        const changed = new Set<number>()
        for (let i = random(6); i >= 0; i--) {
          const id = random(60)
          changed.add(id)
          if (random(5) === 0) next.delete(id)
          else next.set(id, task(id, { status: statuses[random(statuses.length)]! }))
        }
        tasks = next
        states$.next({ tasks, changedTaskIds: changed })
      }
      const present = [...checked].filter((id) => tasks.has(id))
      expect(seen).toEqual(
        counts(
          present.length,
          present.filter((id) => isFinished(tasks.get(id)!.status)).length,
          present.filter((id) => tasks.get(id)!.status === 'stashed').length,
        ),
      )
    }
    subscription.unsubscribe()
  })
})
