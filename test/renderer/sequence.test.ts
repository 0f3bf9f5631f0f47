import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src-shared/index.ts'
import { checkSequence, sequencedEvents$, type SubscribeFn } from '../../src-renderer/streams/sequence.ts'
import { output, paused } from './events.ts'

const seqs = (events: readonly EngineEvent[]) => events.map((e) => ('seq' in e ? e.seq : e.type))

describe('checkSequence', () => {
  it('passes an in-order batch through and advances the last seq', () => {
    const r = checkSequence(0, [paused(1), output(1, 0, 'x'), paused(2)])
    expect(seqs(r.events)).toEqual([1, 'run.output', 2])
    expect(r).toMatchObject({ lastSeq: 2, gap: null })
  })

  it('drops duplicates from a replay that overlaps live events', () => {
    const r = checkSequence(3, [paused(2), paused(3), paused(4)])
    expect(seqs(r.events)).toEqual([4])
    expect(r.lastSeq).toBe(4)
  })

  it('stops at a gap, applying nothing after it', () => {
    const r = checkSequence(1, [paused(2), paused(4), paused(5)])
    expect(seqs(r.events)).toEqual([2])
    expect(r).toMatchObject({ lastSeq: 2, gap: { expected: 3, received: 4 } })
  })
})

describe('sequencedEvents$', () => {
  it('resubscribes from the last applied seq when a gap appears, and ignores the abandoned subscription', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ cold, expectObservable, flush }) => {
      const subscriptions: number[] = []
      // First subscription: seq 1, 2, then 5 (3 and 4 lost), then a late 6 that must be ignored.
      // The resubscription (since 2) replays 3, 4, 5, then 6 live.
      const scripts = [
        cold('a-b-c-d', { a: [paused(1)], b: [paused(2)], c: [paused(5)], d: [paused(6)] }),
        cold('-x-y', { x: [paused(3), paused(4), paused(5)], y: [paused(6)] }),
      ]
      const subscribe: SubscribeFn = (since, onEvents) => {
        subscriptions.push(since)
        const subscription = scripts[subscriptions.length - 1]!.subscribe(onEvents)
        return () => subscription.unsubscribe()
      }
      const gaps: unknown[] = []
      const out$ = sequencedEvents$(subscribe, { onResync: (gap) => gaps.push(gap) })
      expectObservable(out$).toBe('a-b--x-y', { a: [paused(1)], b: [paused(2)], x: [paused(3), paused(4), paused(5)], y: [paused(6)] })
      flush()
      expect(subscriptions).toEqual([0, 2])
      expect(gaps).toEqual([{ expected: 3, received: 5 }])
    })
  })

  it('tells the heads its subscriptions announce and, at a gap, the seq it skipped to (the resync under way brings it)', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ cold, flush }) => {
      // The first subscription announces head 2, then skips from 2 to 5 and announces head 9 after being replaced.
      const scripts = [
        { events: cold('a-b-c', { a: [paused(1)], b: [paused(2)], c: [paused(5)] }), heads: cold('h 9ms i', { h: 2, i: 9 }) },
        { events: cold('-x', { x: [paused(3), paused(4), paused(5)] }), heads: cold('--j', { j: 6 }) },
      ]
      let opened = 0
      const subscribe: SubscribeFn = (_since, onEvents, onHead) => {
        const script = scripts[opened++]!
        const events = script.events.subscribe(onEvents)
        // Its heads keep coming after it is replaced, as a late reply would.
        script.heads.subscribe(onHead)
        return () => events.unsubscribe()
      }
      const heads: [number, number | null][] = []
      sequencedEvents$(subscribe, { onHead: (seq) => heads.push([ts.now(), seq]) }).subscribe()
      flush()
      expect(heads).toEqual([
        [0, 2],
        [4, 5],
        [6, 6],
        [10, 9],
      ])
    })
  })

  it('starts from the given seq and drops what it already has', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ cold, expectObservable }) => {
      const subscribe: SubscribeFn = (_since, onEvents) => {
        const s = cold('a', { a: [paused(9), paused(10), paused(11)] }).subscribe(onEvents)
        return () => s.unsubscribe()
      }
      expectObservable(sequencedEvents$(subscribe, { since: 10 })).toBe('a', { a: [paused(11)] })
    })
  })
})
