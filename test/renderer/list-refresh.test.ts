import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { LIST_REFRESH_MAX_NEW, listRefresh$, type ListInput } from '../../src-renderer/streams/list-refresh.ts'

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
/** Rows named by a letter, from a state holding `tasks` tasks. */
const input = (rows: string, tasks: number): ListInput<string> => ({ rows, tasks })
const shown = (rows: string, burst = false) => ({ rows, behind: false, burst })
const waiting = (rows: string) => ({ rows, behind: true, burst: true })

describe('listRefresh$', () => {
  it('shows every state’s rows at once while few tasks arrive', () => {
    const ts = scheduler()
    ts.run(({ hot, expectObservable }) => {
      const input$ = hot('a 15ms b 15ms c 15ms d', { a: input('a', 10), b: input('b', 11), c: input('c', 11 + LIST_REFRESH_MAX_NEW), d: input('d', 14) })
      expectObservable(listRefresh$(input$, { scheduler: ts })).toBe('a 15ms b 15ms c 15ms d', { a: shown('a'), b: shown('b'), c: shown('c'), d: shown('d') })
    })
  })

  it('shows a burst’s rows at most every period, in the frame of a state that comes after it, and the newest rows; the burst ends when no state comes for a period', () => {
    const ts = scheduler()
    ts.run(({ hot, expectObservable }) => {
      // A state every 16 ms, each with 10 more tasks.
      const frames = 'a 15ms b 15ms c 15ms d 15ms e 15ms f 15ms g 15ms h'
      const states = Object.fromEntries([...'abcdefgh'].map((k, i) => [k, input(k, 10 + 10 * i)]))
      const input$ = hot(frames, states)
      // a at 0 is shown; b (16 ms) waits, so does everything until the period is over: g at 96 is still inside, h at 112 is
      // shown, in a burst; with no state after it for the period and its grace (34 ms), the burst is over.
      expectObservable(listRefresh$(input$, { scheduler: ts, periodMs: 100 })).toBe('a 15ms b 95ms h 133ms e', { a: shown('a'), b: waiting('a'), h: shown('h', true), e: shown('h') })
    })
  })

  it('shows the last rows waiting soon after the period though no state comes, so every task appears', () => {
    const ts = scheduler()
    ts.run(({ hot, expectObservable }) => {
      const input$ = hot('a 15ms b 15ms c', { a: input('a', 10), b: input('b', 20), c: input('c', 30) })
      expectObservable(listRefresh$(input$, { scheduler: ts, periodMs: 100, lateMs: 30 })).toBe('a 15ms b 113ms c', { a: shown('a'), b: waiting('a'), c: shown('c') })
    })
  })

  it('keeps a state without arrivals waiting behind arrivals, and shows one at once when none wait', () => {
    const ts = scheduler()
    ts.run(({ hot, expectObservable }) => {
      // b brings a burst; c (a task finished, no arrival) is newer than b and replaces it; after c is shown, d (no arrival) is at once.
      const input$ = hot('a 15ms b 15ms c 199ms d', { a: input('a', 10), b: input('b', 20), c: input('c', 20), d: input('d', 20) })
      expectObservable(listRefresh$(input$, { scheduler: ts, periodMs: 100, lateMs: 30 })).toBe('a 15ms b 113ms c 101ms d', { a: shown('a'), b: waiting('a'), c: shown('c'), d: shown('d') })
    })
  })

  it('shows a removal at once, and what waits when its source completes', () => {
    const ts = scheduler()
    ts.run(({ hot, expectObservable }) => {
      const input$ = hot('a 15ms b 15ms c 15ms (d|)', { a: input('a', 100), b: input('b', 40), c: input('c', 60), d: input('d', 70) })
      expectObservable(listRefresh$(input$, { scheduler: ts, periodMs: 100 })).toBe('a 15ms b 15ms c 15ms (d|)', { a: shown('a'), b: shown('b'), c: waiting('b'), d: shown('d') })
    })
  })
})
