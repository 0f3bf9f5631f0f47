import { defer, throwError, type Observable } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { backoffDelay, retryWithBackoff } from '../../src-renderer/streams/reconnect.ts'

const options = { initialMs: 100, maxMs: 400, factor: 2 }

describe('reconnect backoff', () => {
  it('grows the delay exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, options))).toEqual([100, 200, 400, 400, 400])
  })

  it('reconnects after 100, 200 and 400 ms while the connection keeps failing', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const connection = cold('#')
      const retries: number[] = []
      const out$ = connection.pipe(retryWithBackoff({ ...options, scheduler: ts, onRetry: (_attempt, ms) => retries.push(ms) }))
      expectObservable(out$, '^ 1000ms !').toBe('')
      // Subscribed at 0, then after 100, 100+200, 300+400, 700+400.
      expectSubscriptions(connection.subscriptions).toBe(['(^!)', '100ms (^!)', '300ms (^!)', '700ms (^!)'])
      ts.flush()
      expect(retries.slice(0, 4)).toEqual([100, 200, 400, 400])
    })
  })

  it('starts over from the shortest delay once a connection has worked', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ cold, expectObservable }) => {
      let n = 0
      // Fails twice, then connects (emits "o") and drops after 50 ms; then fails again.
      const scripts = ['#', '#', 'o 49ms #', '#', 'o']
      const connection: Observable<string> = defer(() => cold(scripts[n++] ?? 'o'))
      const delays: number[] = []
      const out$ = connection.pipe(retryWithBackoff({ ...options, scheduler: ts, onRetry: (_a, ms) => delays.push(ms) }))
      // o at 300 (100+200), drop at 350, retry after 100 (reset) → fails at 450, retry after 200 → o at 650.
      expectObservable(out$, '^ 1000ms !').toBe('300ms o 349ms o')
      ts.flush()
      expect(delays).toEqual([100, 200, 100, 200])
    })
  })

  it('gives up at once on a fatal error (a refused token)', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ expectObservable }) => {
      const refused = new Error('unauthorized')
      const out$ = throwError(() => refused).pipe(retryWithBackoff({ ...options, scheduler: ts, isFatal: (e) => e === refused }))
      expectObservable(out$).toBe('#', undefined, refused)
    })
  })
})
