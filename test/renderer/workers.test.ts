import { BehaviorSubject, of, scan } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src-shared/index.ts'
import type { WorkerInfo } from '../../src-shared/workers.ts'
import { INITIAL_STATE, WORKER_HEARTBEAT_MS, foldEventsWithClock, seedWorkers, workerLiveness, type AppState } from '../../src-renderer/streams/state.ts'
import { workerListTriggers$, workerSeeds$ } from '../../src-renderer/streams/workers.ts'
import { task } from './events.ts'

function worker(id: string, patch: Partial<WorkerInfo> = {}): WorkerInfo {
  return {
    id,
    host: `host-${id}`,
    pid: 100,
    group: 'remote',
    concurrency: 2,
    state: 'running',
    load: [0.5, 0.4, 0.3],
    cpus: 4,
    memory: { rssBytes: 50e6, freeBytes: 4e9, totalBytes: 8e9 },
    running: [],
    finished: 0,
    startedAt: 1,
    at: 1,
    version: '0.1.0',
    ...patch,
  }
}

const beat = (info: WorkerInfo): EngineEvent => ({ type: 'worker.heartbeat', worker: info })

describe('worker heartbeats in the state', () => {
  it('adds a worker on its first heartbeat and updates it on the next, stamped with the injected clock', () => {
    let now = 1000
    const fold = foldEventsWithClock(() => now)
    const first = fold(INITIAL_STATE, [beat(worker('a', { at: 10 }))])
    expect([...first.workers.keys()]).toEqual(['a'])
    expect(first.workers.get('a')).toEqual({ info: worker('a', { at: 10 }), seenAt: 1000 })

    now = 3000
    const run = { jobId: 'run.src.7', source: 'src', runId: 7, taskId: 3, attempt: 1, name: 'build', startedAt: 2500 }
    const second = fold(first, [beat(worker('a', { at: 12, running: [run], load: [1.5, 1, 0.5] })), beat(worker('b'))])
    expect(second.workers.size).toBe(2)
    expect(second.workers.get('a')?.info.running).toEqual([run])
    expect(second.workers.get('a')?.info.load).toEqual([1.5, 1, 0.5])
    expect(second.workers.get('a')?.seenAt).toBe(3000)
    // Folding is immutable: the previous state still shows the old heartbeat.
    expect(first.workers.get('a')?.info.at).toBe(10)
  })

  it('leaves the workers map untouched by other events', () => {
    const fold = foldEventsWithClock(() => 1)
    const before = fold(INITIAL_STATE, [beat(worker('a'))])
    const after = fold(before, [{ type: 'task.created', seq: 1, at: 1, task: task(1) }])
    expect(after.workers).toBe(before.workers)
  })

  it('shows a worker as stale after three missed heartbeats and as stopped on its last one', () => {
    const fold = foldEventsWithClock(() => 1000)
    const state = fold(INITIAL_STATE, [beat(worker('a')), beat(worker('b', { state: 'draining' })), beat(worker('c', { state: 'stopped' }))])
    const a = state.workers.get('a')!
    expect(workerLiveness(a, 1000 + WORKER_HEARTBEAT_MS * 3)).toBe('running')
    expect(workerLiveness(a, 1001 + WORKER_HEARTBEAT_MS * 3)).toBe('stale')
    expect(workerLiveness(state.workers.get('b')!, 1000)).toBe('draining')
    expect(workerLiveness(state.workers.get('c')!, 1000)).toBe('stopped')
    // A new heartbeat brings a stale worker back.
    const revived = foldEventsWithClock(() => 20_000)(state, [beat(worker('a'))])
    expect(workerLiveness(revived.workers.get('a')!, 20_000)).toBe('running')
  })

  it('seeds from worker.list, dropping workers it no longer lists but keeping a newer heartbeat', () => {
    const fold = foldEventsWithClock(() => 5000)
    const state: AppState = fold(INITIAL_STATE, [beat(worker('gone')), beat(worker('fresh', { at: 50, finished: 9 }))])
    const seeded = seedWorkers(state, [worker('fresh', { at: 40, finished: 8 }), worker('new', { at: 45 })], 6000)
    expect([...seeded.workers.keys()].sort()).toEqual(['fresh', 'new'])
    expect(seeded.workers.get('fresh')).toEqual({ info: worker('fresh', { at: 50, finished: 9 }), seenAt: 5000 })
    expect(seeded.workers.get('new')).toEqual({ info: worker('new', { at: 45 }), seenAt: 6000 })
    expect(seeded.tasks).toBe(state.tasks)
  })

  it('is a reducer that scan can drive (scan passes an index as third argument)', () => {
    const fold = foldEventsWithClock(() => 7)
    const states: AppState[] = []
    of([beat(worker('a'))], [beat(worker('b'))])
      .pipe(scan(fold, INITIAL_STATE))
      .subscribe((s) => states.push(s))
    expect(states.at(-1)?.workers.get('b')?.seenAt).toBe(7)
  })
})

describe('worker list seeding', () => {
  it('fetches on going online (first connect and every reconnect) and after each resync', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ hot, expectObservable }) => {
      const online$ = hot('   t-t-f-t---t', { t: true, f: false })
      const resyncs$ = hot('  0------1-1-2', { 0: 0, 1: 1, 2: 2 })
      expectObservable(workerListTriggers$(online$, resyncs$)).toBe('x-----xy---z', { x: true, y: 1, z: 2 })
    })
  })

  it('emits the listed workers, ignores failures, and drops a slower answer for a newer one', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    ts.run(({ hot, cold, expectObservable }) => {
      const listA = [worker('a')]
      const listB = [worker('b')]
      const answers = [
        cold('-a|', { a: { ok: true as const, value: { workers: listA } } }),
        cold('-e|', { e: { ok: false as const, error: { code: 'internal' as const, message: 'redis down' } } }),
        cold('-----s|', { s: { ok: true as const, value: { workers: listA } } }),
        cold('-b|', { b: { ok: true as const, value: { workers: listB } } }),
      ]
      let n = 0
      expectObservable(workerSeeds$(hot('x--x--x-x'), () => answers[n++]!)).toBe('-a-------b', { a: listA, b: listB })
    })
  })

  it('re-seeds the real store shape on reconnect', () => {
    const online$ = new BehaviorSubject(true)
    const resyncs$ = new BehaviorSubject(0)
    const lists = [[worker('a')], [worker('b')]]
    let state = INITIAL_STATE
    let fetches = 0
    const subscription = workerSeeds$(workerListTriggers$(online$, resyncs$), () => of({ ok: true as const, value: { workers: lists[fetches++]! } })).subscribe(
      (workers) => (state = seedWorkers(state, workers, 1)),
    )
    expect([...state.workers.keys()]).toEqual(['a'])
    online$.next(false)
    online$.next(true)
    expect([...state.workers.keys()]).toEqual(['b'])
    expect(fetches).toBe(2)
    subscription.unsubscribe()
  })
})
