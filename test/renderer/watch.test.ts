import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { addWatch, removeWatch, watchRequests$, type WatchCounts } from '../../src-renderer/streams/watch.ts'

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))

describe('watched runs', () => {
  it('keeps a run watched until every view of it has left', () => {
    let counts: WatchCounts = new Map()
    counts = addWatch(counts, 7)
    counts = addWatch(counts, 7)
    counts = removeWatch(counts, 7)
    expect([...counts.keys()]).toEqual([7])
    counts = removeWatch(counts, 7)
    expect(counts.size).toBe(0)
  })

  it('asks for the runs on screen when they change, not again for the same set, and nothing while offline', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const none: WatchCounts = new Map()
      const seven: WatchCounts = new Map([[7, 1]])
      const sevenTwice: WatchCounts = new Map([[7, 2]])
      const both: WatchCounts = new Map([
        [9, 1],
        [7, 1],
      ])
      const counts$ = cold('a-b-c-d-----e', { a: none, b: seven, c: sevenTwice, d: both, e: none })
      const online$ = hot('t-------f-t', { t: true, f: false })
      expectObservable(watchRequests$(counts$, online$)).toBe('a-b---d---d-e', { a: [], b: [7], d: [7, 9], e: [] })
    })
  })

  it('asks again after a reconnect, since the new connection watches nothing', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const counts$ = cold('a', { a: new Map([[3, 1]]) })
      const online$ = hot('f-t--f--t', { t: true, f: false })
      expectObservable(watchRequests$(counts$, online$)).toBe('--a-----a', { a: [3] })
    })
  })
})
