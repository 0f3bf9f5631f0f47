import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BullmqBackend } from '../../src-main/engine/backends/bullmq.ts'
import { jobIdOf, redisKeys } from '../../src-main/engine/backends/redis-protocol.ts'
import type { BackendOutcome, PlacedRun } from '../../src-main/engine/backends/types.ts'
import type { TaskSpec } from '../../src-shared/index.ts'
import { script } from './conformance.ts'
import { RecordingContext, spawnWorker, startRedis, tempDir, until } from './harness.ts'
import type { RedisServer, WorkerProcess } from './harness.ts'
import { failureSentence } from '../support/end-reasons.ts'

/** The kinds of report entries written for one job, in order, read straight from Redis. */
async function reportsOf(url: string, source: string, jobId: string): Promise<string[]> {
  const redis = new Redis(url)
  try {
    const entries = await redis.xrange(redisKeys().reportStream(source), '-', '+')
    return entries.flatMap(([, fields]) => {
      const field = (name: string) => fields[fields.indexOf(name) + 1]
      return field('j') === jobId ? [field('k')!] : []
    })
  } finally {
    redis.disconnect()
  }
}

/**
 * Faults against real processes: a real redis-server (AOF, fsync on every write), real
 * `taskdeck worker` processes, the app's BullMQ backend in this process.
 */
describe('remote execution under faults', () => {
  let redis: RedisServer
  let scratch: Awaited<ReturnType<typeof tempDir>>
  const workers: WorkerProcess[] = []
  const backends: BullmqBackend[] = []
  const source = () => `faults-${randomUUID().slice(0, 8)}`
  let nextRunId = 1

  const connect = async (options: { source: string; deferReading?: boolean }) => {
    const backend = await BullmqBackend.connect({ connection: { url: redis.url }, reconcileIntervalMs: 500, ...options })
    backends.push(backend)
    return backend
  }
  const worker = async (group: string, concurrency = 2, productionTimings = false) => {
    const started = await spawnWorker(redis.url, group, { concurrency, productionTimings })
    workers.push(started)
    return started
  }
  const placed = (group: string): PlacedRun => ({ group, name: 'fault', priority: 0 })
  /** Runs `spec` until an attempt ends other than by a lost worker, as the engine's retry-on-interrupt would. */
  const runWithRetries = async (backend: BullmqBackend, spec: TaskSpec, group: string, taskId: number) => {
    const attempts: { context: RecordingContext; outcome: BackendOutcome }[] = []
    for (let attempt = 1; attempt <= 5; attempt++) {
      const context = new RecordingContext(nextRunId++, taskId, attempt)
      const outcome = await backend.start(spec, placed(group), context).done
      attempts.push({ context, outcome })
      if (outcome.endedBy !== 'worker-lost') break
    }
    return attempts
  }

  beforeEach(async () => {
    redis = await startRedis()
    scratch = await tempDir('faults')
  })
  afterEach(async () => {
    await Promise.all(backends.splice(0).map((backend) => backend.close()))
    await Promise.all(workers.splice(0).map((w) => w.stop()))
    await redis.stop()
    await scratch.remove()
  })

  it('a worker killed mid-task: the attempt is reported lost, the retry runs on the other worker, both attempts are visible', async () => {
    const group = 'kill'
    const [a, b] = [await worker(group, 1), await worker(group, 1)]
    const app = await connect({ source: source() })
    const first = new RecordingContext(nextRunId++, 1, 1)
    const firstRun = app.start(script('sleep', { ms: 60_000 }), placed(group), first)
    await until(() => first.text('stdout').includes('sleeping'), 'the first attempt to start')
    const victim = first.text('system').includes(a.id) ? a : b
    const survivor = victim === a ? b : a
    victim.child.kill('SIGKILL')

    const lost = await firstRun.done
    expect(lost).toMatchObject({ endedBy: 'worker-lost', worker: victim.id, exitCode: null })
    expect(failureSentence(lost)).toContain(`worker ${victim.id} lost`)
    expect(lost.failure).toMatchObject({ kind: 'worker-lost', worker: victim.id, cause: { kind: expect.stringMatching(/^lock-expired/) as string } })

    const second = new RecordingContext(nextRunId++, 1, 2)
    const retried = await app.start(script('hello', { name: 'again' }), placed(group), second).done
    expect(retried).toMatchObject({ failure: null, endedBy: null, worker: survivor.id })
    expect(second.text('stdout')).toContain('hello again')

    // BullMQ must not run the lost attempt again on its own: its job fails instead of re-running.
    const queue = new Queue(group, { connection: { url: redis.url }, prefix: redisKeys().bullPrefix })
    try {
      const job = await queue.getJob(jobIdOf(app.source, first.runId))
      await until(async () => (await job!.getState()) === 'failed', 'the lost job to be failed')
      const failed = await queue.getJob(jobIdOf(app.source, first.runId))
      expect(failed!.failedReason).toContain('stalled')
      const reports = await reportsOf(redis.url, app.source, jobIdOf(app.source, first.runId))
      expect(reports.filter((kind) => kind === 'started')).toHaveLength(1)
      expect(reports.at(-1)).toBe('lost')
    } finally {
      await queue.close()
    }
  })

  it('the only worker killed mid-task: with no worker left to notice, the app itself reports the attempt lost once its lock expired', async () => {
    const group = 'kill-last'
    const victim = await worker(group, 1)
    const app = await connect({ source: source() })
    const first = new RecordingContext(nextRunId++, 1, 1)
    const firstRun = app.start(script('sleep', { ms: 60_000 }), placed(group), first)
    await until(() => first.text('stdout').includes('sleeping'), 'the attempt to start')
    victim.child.kill('SIGKILL')

    const lost = await firstRun.done
    expect(lost).toMatchObject({ endedBy: 'worker-lost', worker: victim.id, exitCode: null })
    expect(failureSentence(lost)).toBe(`worker ${victim.id} lost: its lock expired and no live worker of group ${group} reported it`)
    expect(lost.failure).toEqual({ kind: 'worker-lost', worker: victim.id, cause: { kind: 'lock-expired-unreported', group } })

    const replacement = await worker(group, 1)
    const second = new RecordingContext(nextRunId++, 1, 2)
    const retried = await app.start(script('hello', { name: 'again' }), placed(group), second).done
    expect(retried).toMatchObject({ failure: null, endedBy: null, worker: replacement.id })
  })

  it('Redis restarted while workers run: everyone reconnects and every accepted task runs', async () => {
    const group = 'restart'
    const file = join(scratch.path, 'restart.txt')
    const [a, b] = [await worker(group), await worker(group)]
    const app = await connect({ source: source() })
    const spec = (label: number) => script('append', { file, label, delayMs: 150 })
    const before = Array.from({ length: 10 }, (_, i) => runWithRetries(app, spec(i), group, i + 1))
    await until(async () => (await readFile(file, 'utf8').catch(() => '')).length > 0, 'the first tasks to run')
    await redis.kill()
    // Submitted while Redis is down: accepted once it is back.
    const during = Array.from({ length: 10 }, (_, i) => runWithRetries(app, spec(10 + i), group, 11 + i))
    const restartedAt = Date.now()
    await redis.start()
    const results = await Promise.all([...before, ...during])

    for (const attempts of results) expect(attempts.at(-1)!.outcome).toMatchObject({ failure: null, endedBy: null })
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map(Number)
    for (let label = 0; label < 20; label++) {
      const runs = lines.filter((line) => line === label).length
      const lostAttempts = results[label]!.filter((attempt) => attempt.outcome.endedBy === 'worker-lost').length
      // At least once; more than once only where an attempt was reported lost (at-least-once, documented).
      expect(runs).toBeGreaterThanOrEqual(1)
      expect(runs).toBeLessThanOrEqual(1 + lostAttempts)
    }
    await until(async () => {
      const seen = await app.listWorkers(group)
      return [a.id, b.id].every((id) => seen.some((w) => w.id === id && w.at > restartedAt))
    }, 'both workers to heartbeat again after the restart')
  })

  it('the app offline while remote work continues: on reconnect it catches up with everything, once', async () => {
    const group = 'offline'
    await worker(group)
    const appSource = source()
    const online = await connect({ source: appSource })
    const before = new RecordingContext(nextRunId++, 7, 1)
    const spec = script('ticker', { count: 30, intervalMs: 20 })
    void online.start(spec, placed(group), before).done
    await until(() => before.text('stdout').includes('tick 3\n'), 'some output to arrive')
    await online.close()

    const queue = new Queue(group, { connection: { url: redis.url }, prefix: redisKeys().bullPrefix })
    try {
      const job = await queue.getJob(jobIdOf(appSource, before.runId))
      await until(async () => (await job!.getState()) === 'completed', 'the remote run to finish while the app is away')
    } finally {
      await queue.close()
    }

    const back = await connect({ source: appSource, deferReading: true })
    const after = new RecordingContext(before.runId, 7, 1)
    const adopted = back.adopt({ group, name: '', pid: null }, after)
    back.startReading()
    const outcome = await adopted.done
    expect(outcome).toMatchObject({ failure: null, result: { ticks: 30 } })
    const expected = Array.from({ length: 30 }, (_, i) => `tick ${i}\n`).join('')
    expect(before.text('stdout') + after.text('stdout')).toBe(expected)
    expect(after.progresses.at(-1)).toMatchObject({ done: 30, total: 30 })
  })

  it('reports trimmed away while the app was offline: the outcome is recovered from the BullMQ job', async () => {
    const group = 'trimmed'
    await worker(group)
    const appSource = source()
    const online = await connect({ source: appSource })
    const context = new RecordingContext(nextRunId++, 8, 1)
    void online.start(script('ticker', { count: 20, intervalMs: 20 }), placed(group), context).done
    await until(() => context.text('stdout').includes('tick 1\n'), 'the run to start')
    await online.close()
    const queue = new Queue(group, { connection: { url: redis.url }, prefix: redisKeys().bullPrefix })
    const admin = new Redis(redis.url)
    try {
      const job = await queue.getJob(jobIdOf(appSource, context.runId))
      await until(async () => (await job!.getState()) === 'completed', 'the run to finish while the app is away')
      await admin.xtrim(redisKeys().reportStream(appSource), 'MAXLEN', 0)
    } finally {
      admin.disconnect()
      await queue.close()
    }
    const back = await connect({ source: appSource, deferReading: true })
    const after = new RecordingContext(context.runId, 8, 1)
    const adopted = back.adopt({ group, name: '', pid: null }, after)
    back.startReading()
    expect(await adopted.done).toMatchObject({ failure: null, exitCode: 0, result: { ticks: 20 } })
    expect(after.text('system')).toContain('output may be missing')
  })

  it('two workers, one group, 1,000 tasks: each runs exactly once, every result and log present', async () => {
    const group = 'thousand'
    const file = join(scratch.path, 'thousand.txt')
    // No fault here: production lock timings, so a worker that a loaded machine starves for a
    // second is not taken for lost (with the harness's 1 s locks it was, and its job ran twice).
    const [a, b] = [await worker(group, 4, true), await worker(group, 4, true)]
    const app = await connect({ source: source() })
    const contexts = Array.from({ length: 1000 }, (_, i) => new RecordingContext(nextRunId++, i + 1, 1))
    const outcomes = await Promise.all(
      contexts.map((context, i) => app.start(script('append', { file, label: i }), placed(group), context).done),
    )

    outcomes.forEach((outcome, i) => expect(outcome).toMatchObject({ failure: null, result: { label: i } }))
    contexts.forEach((context, i) => {
      expect(context.text('stdout')).toBe(`appended ${i}\n`)
      expect(context.text('system').match(/started on worker/g)).toHaveLength(1)
    })
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map(Number)
    expect(lines).toHaveLength(1000)
    expect([...new Set(lines)].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    const byWorker = new Set(outcomes.map((outcome) => outcome.worker))
    expect([...byWorker].every((id) => id === a.id || id === b.id)).toBe(true)
  }, 120_000)
})
