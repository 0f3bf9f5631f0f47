import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { TaskdeckError } from '../../src-shared/index.ts'
import type { WorkerInfo } from '../../src-shared/index.ts'
import { Redis } from 'ioredis'
import { BullmqBackend } from '../../src-main/engine/backends/bullmq.ts'
import { workerCommand } from '../../src-main/worker/main.ts'
import { REPORT_CONSUMER_GROUP, encodeReport, jobIdOf, redisKeys } from '../../src-main/engine/backends/redis-protocol.ts'
import type { PlacedRun } from '../../src-main/engine/backends/types.ts'
import { script } from './conformance.ts'
import { RecordingContext, spawnWorker, startRedis, tempDir, until } from './harness.ts'
import type { RedisServer, WorkerProcess } from './harness.ts'
import { failureSentence } from '../support/end-reasons.ts'

/** What only the Redis backend has: queue order across workers, idempotent enqueue, workers to list, refusal of an evicting Redis. */
describe('BullMQ backend', () => {
  let redis: RedisServer
  let app: BullmqBackend
  let scratch: Awaited<ReturnType<typeof tempDir>>
  const workers: WorkerProcess[] = []
  let nextRunId = 1
  const placed = (group: string, priority = 0): PlacedRun => ({ group, name: 'bullmq', priority })

  beforeAll(async () => {
    redis = await startRedis()
    scratch = await tempDir('bullmq')
    app = await BullmqBackend.connect({ connection: { url: redis.url }, source: `app-${randomUUID().slice(0, 8)}` })
  })
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()))
  })
  afterAll(async () => {
    await app.close()
    await redis.stop()
    await scratch.remove()
  })

  it('queued runs start by priority (higher first), equal priorities in submission order', async () => {
    const group = 'priority'
    const file = join(scratch.path, 'order.txt')
    workers.push(await spawnWorker(redis.url, group, { concurrency: 1 }))
    const blocker = new RecordingContext(nextRunId++)
    const blocked = app.start(script('sleep', { ms: 60_000 }), placed(group), blocker)
    await until(() => blocker.text('stdout').includes('sleeping'), 'the blocker to occupy the worker')
    const submitted = [
      { label: 'low', priority: -5 },
      { label: 'mid-1', priority: 0 },
      { label: 'high', priority: 10 },
      { label: 'mid-2', priority: 0 },
    ].map(({ label, priority }) => app.start(script('append', { file, label }), placed(group, priority), new RecordingContext(nextRunId++)).done)
    await until(async () => (await app.queuedCount(group)) === 4, 'all four to be queued')
    blocker.controller.abort()
    await blocked.done
    await Promise.all(submitted)
    expect(await readFile(file, 'utf8')).toBe('high\nmid-1\nmid-2\nlow\n')
  })

  it('runs started in one turn (enqueued together) each end with their own outcome and output, and leave no report unacknowledged', async () => {
    const group = 'bulk'
    const source = `bulk-${randomUUID().slice(0, 8)}`
    const bulkApp = await BullmqBackend.connect({ connection: { url: redis.url }, source })
    try {
      workers.push(await spawnWorker(redis.url, group, { concurrency: 4 }))
      const names = Array.from({ length: 40 }, (_, i) => `n${i}`)
      const contexts = names.map(() => new RecordingContext(nextRunId++))
      const outcomes = await Promise.all(names.map((name, i) => bulkApp.start(script('hello', { name }), placed(group), contexts[i]!).done))
      expect(outcomes.map((outcome) => outcome.result)).toEqual(names.map((name) => ({ greeted: name })))
      expect(contexts.map((context) => context.text('stdout'))).toEqual(names.map((name) => `hello ${name}\n`))
      const admin = new Redis(redis.url)
      try {
        await until(async () => ((await admin.xpending(redisKeys().reportStream(source), REPORT_CONSUMER_GROUP)) as [number])[0] === 0, 'every report entry to be acknowledged')
      } finally {
        admin.disconnect()
      }
    } finally {
      await bulkApp.close()
    }
  })

  it('when Redis refuses one job of a bulk enqueue, only that run fails to enqueue; the others of the bulk run once', async () => {
    const group = 'bulk-refused'
    const source = `refused-${randomUUID().slice(0, 8)}`
    const file = join(scratch.path, 'bulk-refused.txt')
    const bulkApp = await BullmqBackend.connect({ connection: { url: redis.url }, source })
    const admin = new Redis(redis.url)
    try {
      const runIds = Array.from({ length: 5 }, () => nextRunId++)
      const refusedRunId = runIds[2]!
      // A foreign string where that job's hash would go: BullMQ's add script reads it as a
      // hash (the job id seems taken) and Redis answers WRONGTYPE for this job alone.
      await admin.set(`${redisKeys().bullPrefix}:${group}:${jobIdOf(source, refusedRunId)}`, 'not a job')
      const contexts = runIds.map((runId) => new RecordingContext(runId))
      const runs = runIds.map((runId, i) => bulkApp.start(script('append', { file, label: `run ${runId}` }), placed(group), contexts[i]!))
      workers.push(await spawnWorker(redis.url, group, { concurrency: 2 }))
      const outcomes = await Promise.all(runs.map((run) => run.done))
      outcomes.forEach((outcome, i) => {
        if (runIds[i] === refusedRunId) {
          expect(failureSentence(outcome)).toMatch(/^could not enqueue on redis:\/\/.*WRONGTYPE/)
          expect(outcome.worker).toBeNull()
        } else expect(outcome).toMatchObject({ exitCode: 0, failure: null })
      })
      const executed = (await readFile(file, 'utf8')).trim().split('\n').sort()
      expect(executed).toEqual(runIds.filter((runId) => runId !== refusedRunId).map((runId) => `run ${runId}`).sort())
    } finally {
      admin.disconnect()
      await bulkApp.close()
    }
  })

  it('reads what a newer worker reports: a failure of a kind it does not know by its English sentence, a loss with its data beside the English', async () => {
    const source = `wire-${randomUUID().slice(0, 8)}`
    const wireApp = await BullmqBackend.connect({ connection: { url: redis.url }, source })
    const admin = new Redis(redis.url)
    try {
      // No worker serves this group: the reports below are written by hand, as a newer worker would.
      const finishedRun = nextRunId++
      const finished = wireApp.start(script('hello', { name: 'x' }), placed('hand-written'), new RecordingContext(finishedRun))
      const outcome = { exitCode: null, signal: null, error: 'the flux capacitor overheated', failure: { kind: 'flux-overheated', degrees: 88 }, endedBy: null, worker: 'future:1:a' }
      await admin.xadd(redisKeys().reportStream(source), '*', 'k', 'finished', 'j', jobIdOf(source, finishedRun), 'd', JSON.stringify(outcome))
      expect((await finished.done).failure).toEqual({ kind: 'message', text: 'the flux capacitor overheated' })

      const lostRun = nextRunId++
      const lost = wireApp.start(script('hello', { name: 'y' }), placed('hand-written'), new RecordingContext(lostRun))
      const fields = encodeReport({ kind: 'lost', jobId: jobIdOf(source, lostRun), loss: { kind: 'lock-expired', noticedBy: 'w2' } })
      // An app of an earlier version shows `d` after "worker X lost: ": it must be English.
      expect(fields.slice(4, 6)).toEqual(['d', 'its lock expired (the worker was killed, lost its connection, or blocked longer than the lock duration); noticed by w2'])
      await admin.xadd(redisKeys().reportStream(source), '*', ...fields)
      expect((await lost.done).failure).toEqual({ kind: 'worker-lost', worker: null, cause: { kind: 'lock-expired', noticedBy: 'w2' } })
    } finally {
      admin.disconnect()
      await wireApp.close()
    }
  })

  it('starting the same run twice enqueues and runs it once', async () => {
    const group = 'idempotent'
    const file = join(scratch.path, 'once.txt')
    const spec = script('append', { file, label: 'once' })
    const runId = nextRunId++
    const first = app.start(spec, placed(group), new RecordingContext(runId))
    const second = app.start(spec, placed(group), new RecordingContext(runId))
    workers.push(await spawnWorker(redis.url, group, { concurrency: 2 }))
    const [a, b] = await Promise.all([first.done, second.done])
    expect(a).toEqual(b)
    expect(await readFile(file, 'utf8')).toBe('once\n')
  })

  it('lists workers with host, load and current runs, streams their heartbeats, and drops them when they stop', async () => {
    const group = 'listed'
    const worker = await spawnWorker(redis.url, group, { concurrency: 3 })
    workers.push(worker)
    const heartbeats: WorkerInfo[] = []
    const subscription = app.onHeartbeat((info) => heartbeats.push(info))
    try {
      const context = new RecordingContext(nextRunId++, 4242)
      const run = app.start(script('sleep', { ms: 60_000 }), { ...placed(group), name: 'long one' }, context)
      await until(() => context.text('stdout').includes('sleeping'), 'the run to start')
      await until(async () => (await app.listWorkers(group)).some((w) => w.running.length === 1), 'a heartbeat listing the run')
      const [listed] = await app.listWorkers(group)
      expect(listed).toMatchObject({ id: worker.id, group, concurrency: 3, state: 'running', pid: worker.child.pid })
      expect(listed!.host.length).toBeGreaterThan(0)
      expect(listed!.load).toHaveLength(3)
      expect(listed!.running[0]).toMatchObject({ source: app.source, runId: context.runId, taskId: 4242, name: 'long one' })
      expect(await app.listWorkers('some-other-group')).toEqual([])
      await until(() => heartbeats.some((h) => h.id === worker.id), 'a heartbeat event')

      context.controller.abort()
      await run.done
      worker.child.kill('SIGTERM')
      expect(await worker.exited).toBe(0)
      await until(() => heartbeats.some((h) => h.id === worker.id && h.state === 'stopped'), 'the last heartbeat')
      expect(await app.listWorkers(group)).toEqual([])
    } finally {
      subscription.dispose()
    }
  })

  it('SIGTERM lets a current run finish before the worker exits', async () => {
    const group = 'drain'
    const file = join(scratch.path, 'drain.txt')
    const worker = await spawnWorker(redis.url, group, { concurrency: 1 })
    workers.push(worker)
    const context = new RecordingContext(nextRunId++)
    const run = app.start(script('append', { file, label: 'finished', delayMs: 500 }), placed(group), context)
    await until(() => context.text('system').includes('started on worker'), 'the run to start')
    worker.child.kill('SIGTERM')
    expect(await run.done).toMatchObject({ failure: null, endedBy: null, worker: worker.id })
    expect(await worker.exited).toBe(0)
    expect(await readFile(file, 'utf8')).toBe('finished\n')
  })

  it('past the drain timeout, SIGTERM hands current runs back as ended by a lost worker', async () => {
    const group = 'handback'
    const worker = await spawnWorker(redis.url, group, { concurrency: 1, extraArgs: ['--drain-timeout', '200'] })
    workers.push(worker)
    const context = new RecordingContext(nextRunId++)
    const run = app.start(script('sleep', { ms: 60_000 }), placed(group), context)
    await until(() => context.text('stdout').includes('sleeping'), 'the run to start')
    worker.child.kill('SIGTERM')
    const outcome = await run.done
    expect(outcome).toMatchObject({ endedBy: 'worker-lost', worker: worker.id })
    expect(failureSentence(outcome)).toContain('shut down before the run finished')
    expect(outcome.failure).toEqual({ kind: 'worker-lost', worker: worker.id, cause: { kind: 'shut-down' } })
    expect(await worker.exited).toBe(0)
  })
})

describe('a Redis that may evict keys', () => {
  let evicting: RedisServer
  beforeAll(async () => {
    evicting = await startRedis(['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'])
  })
  afterAll(async () => {
    await evicting.stop()
  })

  it('is refused by the app with the reason and the fix', async () => {
    const error = await BullmqBackend.connect({ connection: { url: evicting.url }, source: 'refused' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TaskdeckError)
    expect(error).toMatchObject({ code: 'conflict', details: { maxmemoryPolicy: 'allkeys-lru', reason: 'redis-evicts', redis: evicting.url, policy: 'allkeys-lru' } })
    expect((error as Error).message).toMatch(/maxmemory-policy allkeys-lru; Taskdeck needs noeviction.*CONFIG SET maxmemory-policy noeviction/)
  })

  it('is refused by `taskdeck worker`, which exits with an error', async () => {
    const error = await spawnWorker(evicting.url, 'any').catch((e: unknown) => e)
    expect((error as Error).message).toMatch(/exited \(1\)/)
  })

  it('an unreachable Redis is refused at once instead of retried forever', async () => {
    const port = evicting.port
    await evicting.kill()
    try {
      await expect(BullmqBackend.connect({ connection: { url: `redis://127.0.0.1:${port}` }, source: 'down' })).rejects.toThrow(/Cannot reach Redis at redis:\/\/127.0.0.1:\d+: .*ECONNREFUSED/)
    } finally {
      await evicting.start()
    }
  })
})

describe('taskdeck worker arguments', () => {
  it('--script-threads must be a positive integer, and is refused before any connection', async () => {
    const argv = ['--redis', 'redis://127.0.0.1:1', '--group', 'g', '--script-threads', '0']
    await expect(workerCommand({ argv, env: {} })).rejects.toThrow('--script-threads: must be a positive integer, got "0"')
  })
})
