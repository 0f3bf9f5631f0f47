import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { batchPerFrame } from '../../src-renderer/streams/batching.ts'

const FRAME = 16

describe('batchPerFrame', () => {
  it('merges every batch that arrives within a frame into one, in order', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ cold, expectObservable }) => {
      const source$ = cold('a-b-c 20ms d|', { a: [1, 2], b: [3], c: [4, 5], d: [6] })
      // a at 0, b at 2, c at 4 share the frame flushed at 16; d (at 25) is flushed by completion at 26.
      expectObservable(source$.pipe(batchPerFrame<number>(ts, FRAME))).toBe('16ms x 9ms (y|)', { x: [1, 2, 3, 4, 5], y: [6] })
    })
  })

  it('gives batches in different frames their own flush', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ cold, expectObservable }) => {
      const source$ = cold('a 20ms b 30ms |', { a: [1], b: [2] })
      expectObservable(source$.pipe(batchPerFrame<number>(ts, FRAME))).toBe('16ms x 20ms y 14ms |', { x: [1], y: [2] })
    })
  })

  it('emits nothing for empty batches and never drops an item on completion', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ cold, expectObservable }) => {
      const source$ = cold('a-b|', { a: [], b: [7] })
      expectObservable(source$.pipe(batchPerFrame<number>(ts, FRAME))).toBe('---(x|)', { x: [7] })
    })
  })

  it('keeps ten thousand events of one frame together, nothing lost or reordered', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ cold, expectObservable }) => {
      const batches = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [String(i), Array.from({ length: 1000 }, (_, j) => i * 1000 + j)]))
      const source$ = cold('(0123456789)', batches)
      expectObservable(source$.pipe(batchPerFrame<number>(ts, FRAME))).toBe('16ms x', { x: Array.from({ length: 10_000 }, (_, i) => i) })
    })
  })
})
