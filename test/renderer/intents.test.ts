import { map } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import type { Result } from '../../src-shared/index.ts'
import { pendingKeys, runIntents$, type Intent, type Invoke } from '../../src-renderer/streams/intents.ts'

const cancel = (ids: number[]): Intent => ({ command: 'task.cancel', params: { taskIds: ids }, key: `task.cancel:${ids.join(',')}` })
const okResult: Result<{ affected: number[] }> = { ok: true, value: { affected: [1] } }
const failed: Result<never> = { ok: false, error: { code: 'conflict', message: 'task 1 already finished' } }

function scheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
}

describe('runIntents$', () => {
  it('ignores a repeat of an intent while the first is pending (double submit), then accepts it again', () => {
    const ts = scheduler()
    ts.run(({ hot, cold, expectObservable, flush }) => {
      const calls: number[] = []
      const invoke: Invoke = () => {
        calls.push(ts.now())
        return cold('---r|', { r: okResult }) as never
      }
      const intents$ = hot('-a-a-a---a', { a: cancel([1]) })
      expectObservable(runIntents$(intents$, invoke).pipe(map((s) => s.state))).toBe('-p--o----p--o', { p: 'pending', o: 'ok' })
      flush()
      expect(calls).toEqual([1, 9])
    })
  })

  it('runs intents with different keys concurrently', () => {
    const ts = scheduler()
    ts.run(({ hot, cold, expectObservable }) => {
      const invoke: Invoke = () => cold('----r|', { r: okResult }) as never
      const intents$ = hot('-a-b', { a: cancel([1]), b: cancel([2]) })
      // The second starts (pending at 3) before the first has answered (at 5).
      expectObservable(runIntents$(intents$, invoke).pipe(map((s) => `${s.key}=${s.state}`))).toBe('-a-b-c-d', {
        a: 'task.cancel:1=pending',
        b: 'task.cancel:2=pending',
        c: 'task.cancel:1=ok',
        d: 'task.cancel:2=ok',
      })
    })
  })

  it('surfaces a refused command as an error status with the engine message', () => {
    const ts = scheduler()
    ts.run(({ hot, cold, expectObservable }) => {
      const invoke: Invoke = () => cold('-r|', { r: failed })
      const out$ = runIntents$(hot('-a', { a: cancel([1]) }), invoke).pipe(map((s) => (s.state === 'error' ? s.error.message : s.state)))
      expectObservable(out$).toBe('-pe', { p: 'pending', e: 'task 1 already finished' })
    })
  })

  it('turns a transport failure into an error status instead of killing the stream', () => {
    const ts = scheduler()
    ts.run(({ hot, cold, expectObservable }) => {
      let n = 0
      const invoke: Invoke = () => (n++ === 0 ? cold('-#', {}, new Error('socket closed')) : cold('-r|', { r: okResult })) as never
      const out$ = runIntents$(hot('-a--a', { a: cancel([1]) }), invoke).pipe(map((s) => (s.state === 'error' ? s.error.message : s.state)))
      expectObservable(out$).toBe('-pe-po', { p: 'pending', e: 'socket closed', o: 'ok' })
    })
  })

  it('folds statuses into the set of pending keys', () => {
    const a = cancel([1])
    let pending = pendingKeys(new Set(), { key: 'k', intent: a, state: 'pending' })
    expect([...pending]).toEqual(['k'])
    pending = pendingKeys(pending, { key: 'k', intent: a, state: 'error', error: { code: 'internal', message: 'x' } })
    expect(pending.size).toBe(0)
  })
})
