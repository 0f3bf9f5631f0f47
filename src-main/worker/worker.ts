import { randomBytes } from 'node:crypto'
import os from 'node:os'
import { UnrecoverableError, Worker } from 'bullmq'
import type { Job } from 'bullmq'
import type { Redis } from 'ioredis'
import { GroupNameSchema } from '../../src-shared/index.ts'
import type { WorkerInfo, WorkerRun, WorkerState } from '../../src-shared/index.ts'
import { executeLocally } from '../engine/backends/local-execution.ts'
import type { LocalExecution } from '../engine/backends/local-execution.ts'
import { assertRedisSuitable, connectRedis, redactRedisUrl } from '../engine/backends/redis-connection.ts'
import type { RedisConnectionOptions } from '../engine/backends/redis-connection.ts'
import { RemoteJobSchema, TAKE_STDIN_SCRIPT, outcomeToWire, redisKeys } from '../engine/backends/redis-protocol.ts'
import type { WireOutcome } from '../engine/backends/redis-protocol.ts'
import type { BackendOutcome, RunnerRegistry } from '../engine/backends/types.ts'
import { ReportWriter } from './report-writer.ts'

export interface WorkerOptions {
  redis: RedisConnectionOptions
  group: string
  runners: RunnerRegistry
  /** Runs executed at once; defaults to the number of CPUs. */
  concurrency?: number
  prefix?: string
  /**
   * How long a job's lock lives without renewal. A worker that dies is noticed this long
   * after its last renewal (by another worker's stalled check), so its run is reported lost.
   */
  lockDurationMs?: number
  stalledIntervalMs?: number
  heartbeatMs?: number
  /** Extra text in the worker id, to tell several workers of one process apart. */
  tag?: string
  log?: (line: string) => void
}

export interface RunningWorker {
  readonly id: string
  /**
   * Stops taking jobs, lets current runs finish for up to `drainMs`, then stops the rest and
   * hands them back: each is reported as ended by a lost worker, so the app's retry policy
   * starts it again elsewhere.
   */
  close(drainMs?: number): Promise<void>
}

interface ActiveRun {
  readonly info: WorkerRun
  readonly writer: ReportWriter
  execution: LocalExecution | null
  cancelled: boolean
  /** Stdin text was announced before the run's execution existed: take it once it does. */
  stdinAnnounced: boolean
}

const VERSION = '0.1.0'
/** How long after (re)subscribing the worker still asks Redis for each job's cancel and stdin, in case an announcement was missed. */
const SUBSCRIBER_SETTLE_MS = 2000
const HEARD_KEEP_MS = 10 * 60_000

/** `taskdeck worker`: serves one remote group from Redis with this machine's runners. */
export async function runWorker(options: WorkerOptions): Promise<RunningWorker> {
  const group = GroupNameSchema.parse(options.group)
  const keys = redisKeys(options.prefix)
  const log = options.log ?? (() => undefined)
  const concurrency = options.concurrency ?? Math.max(1, os.availableParallelism())
  const heartbeatMs = options.heartbeatMs ?? 2000
  const id = `${os.hostname()}:${process.pid}:${options.tag ?? randomBytes(3).toString('hex')}`
  const shownUrl = redactRedisUrl(options.redis.url)

  const redis = connectRedis(options.redis)
  const subscriber = redis.duplicate({ lazyConnect: true })
  // Cancel and stdin checks, heartbeats and `lost` reports: a connection without BullMQ's scripts,
  // so its pipelines stay cheap (ioredis copies a connection's scripts onto each of its pipelines).
  const reports = redis.duplicate({ lazyConnect: true })
  // ioredis reconnects by itself (a worker may well start before its Redis): these keep the
  // errors from being unhandled and say once what happens.
  let connected = true
  for (const connection of [redis, subscriber, reports]) {
    connection.on('error', (error: Error) => {
      if (connected) log(`redis at ${shownUrl}: ${error.message}; retrying`)
      connected = false
    })
    connection.on('ready', () => {
      if (!connected) log(`redis at ${shownUrl}: connected`)
      connected = true
    })
  }
  try {
    await assertRedisSuitable(redis, shownUrl)
  } catch (error) {
    subscriber.disconnect()
    reports.disconnect()
    redis.disconnect()
    throw error
  }
  const active = new Map<string, ActiveRun>()
  let state: WorkerState = 'running'
  let finished = 0
  const startedAt = Date.now()

  const cancelRun = (jobId: string) => {
    const run = active.get(jobId)
    if (!run || run.cancelled) return
    run.cancelled = true
    run.execution?.stop('cancel', { kind: 'cancelled' })
  }
  // A cancel published while this worker was disconnected is still stored under its key.
  const recheckCancels = async () => {
    for (const jobId of active.keys()) if ((await reports.exists(keys.cancel(jobId))) === 1) cancelRun(jobId)
  }
  /** Writes stdin text to a run in the order the app sent it (replies, and so these writes, come in command order). */
  const deliverStdin = (run: ActiveRun, texts: readonly string[]) => {
    for (const text of texts) {
      try {
        if (!run.execution?.run.send) throw new Error('this run has no stdin')
        run.execution.run.send(text)
      } catch (error) {
        run.writer.output('system', `stdin text not delivered (${Buffer.byteLength(text)} bytes): ${error instanceof Error ? error.message : String(error)}\n`)
      }
    }
  }
  /**
   * Cancels and stdin announcements heard for jobs this worker has not started: one may
   * arrive between BullMQ handing a job over and `processJob` registering it.
   */
  const heard = new Map<string, { cancel: boolean; stdin: boolean; at: number }>()
  const hear = (jobId: string, what: 'cancel' | 'stdin') => {
    const now = Date.now()
    const entry = heard.get(jobId) ?? { cancel: false, stdin: false, at: now }
    entry[what] = true
    heard.set(jobId, entry)
    if (heard.size > 1000) for (const [key, value] of heard) if (now - value.at > HEARD_KEEP_MS) heard.delete(key)
  }
  /**
   * When the subscriber last became ready again after losing its connection (null while it
   * is not connected): announcements published meanwhile were missed. Its first connection
   * is made before BullMQ hands this worker any job, so it counts as settled at once.
   */
  let listeningSince: number | null = null
  let subscribedOnce = false
  const takeStdin = async (jobId: string) => {
    const run = active.get(jobId)
    if (!run) return hear(jobId, 'stdin')
    if (!run.execution) {
      run.stdinAnnounced = true
      return
    }
    const texts = (await reports.eval(TAKE_STDIN_SCRIPT, 2, keys.stdin(jobId), keys.stdinBytes(jobId))) as string[]
    deliverStdin(run, texts)
  }
  subscriber.on('message', (channel: string, jobId: string) => {
    if (channel === keys.stdinChannel) void takeStdin(jobId).catch(() => undefined)
    else if (active.has(jobId)) cancelRun(jobId)
    else hear(jobId, 'cancel')
  })
  subscriber.on('close', () => (listeningSince = null))
  subscriber.on('ready', () => {
    listeningSince = subscribedOnce ? Date.now() : 0
    subscribedOnce = true
    void recheckCancels().catch(() => undefined)
    for (const jobId of active.keys()) void takeStdin(jobId).catch(() => undefined)
  })
  await subscriber.subscribe(keys.cancelChannel, keys.stdinChannel)

  const processJob = async (job: Job): Promise<WireOutcome> => {
    const parsed = RemoteJobSchema.safeParse(job.data)
    if (!parsed.success || !job.id) {
      throw new UnrecoverableError(`job ${job.id ?? '?'} is not a Taskdeck run of protocol version 1: ${parsed.error?.message ?? 'no id'}`)
    }
    const data = parsed.data
    // A run's reports go out on the connection BullMQ completes its job on (see ReportWriter).
    const writer = new ReportWriter(redis, keys.reportStream(data.source), job.id)
    const run: ActiveRun = {
      info: { jobId: job.id, source: data.source, runId: data.runId, taskId: data.taskId, attempt: data.attempt, name: data.name, startedAt: Date.now() },
      writer,
      execution: null,
      cancelled: false,
      stdinAnnounced: false,
    }
    active.set(job.id, run)
    const announced = heard.get(job.id)
    heard.delete(job.id)
    try {
      // The app stores a cancel before announcing it, and cancels a job no worker has taken by
      // removing it: while the subscriber listens (and has not just reconnected), a cancel for
      // this job was heard. Stdin text may wait from before any worker subscribed, so a shell
      // run that may read it asks Redis, in one round trip, as does any job after a reconnection.
      const listening = listeningSince !== null && Date.now() - listeningSince > SUBSCRIBER_SETTLE_MS
      const mayReadStdin = data.spec.kind === 'shell' && data.spec.stdin === undefined
      const begun = listening && !mayReadStdin
        ? writer.started(id)
        : await writer.begin(id, { cancel: keys.cancel(job.id), stdin: keys.stdin(job.id), stdinBytes: keys.stdinBytes(job.id) })
      if (begun.cancelled || announced?.cancel) run.cancelled = true
      if (announced?.stdin) run.stdinAnnounced = true
      let outcome: BackendOutcome
      if (run.cancelled) {
        outcome = { exitCode: null, signal: null, failure: { kind: 'cancelled' }, endedBy: 'cancel', worker: id }
      } else {
        const execution = executeLocally(
          options.runners,
          data.spec,
          {
            runId: data.runId,
            taskId: data.taskId,
            attempt: data.attempt,
            // No signal: a worker stops a run through execution.stop, with its reason.
            output: (stream, chunk) => writer.output(stream, chunk),
            progress: (progress) => writer.progress(progress),
          },
          { timeoutMs: data.timeoutMs, worker: id },
        )
        run.execution = execution
        if (run.cancelled) execution.stop('cancel', { kind: 'cancelled' })
        deliverStdin(run, begun.stdin)
        if (run.stdinAnnounced) void takeStdin(job.id).catch(() => undefined)
        outcome = await execution.run.done
      }
      // Not waited for: BullMQ's moveToFinished follows on the same connection, so Redis stores the
      // report first and both replies come back together instead of one round trip after the other.
      // Both leave in one socket write (see coalesceWrites).
      coalesceWrites(redis)
      writer.send({ kind: 'finished', outcome })
      if (run.cancelled) await reports.del(keys.cancel(job.id))
      finished++
      return outcomeToWire(outcome)
    } finally {
      active.delete(job.id)
    }
  }

  const worker = new Worker(group, processJob, {
    connection: redis,
    prefix: keys.bullPrefix,
    concurrency,
    name: id,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 15_000,
    // A lost attempt is reported and ends its run; the app's retry policy decides about the
    // next attempt (a new run, a new job), so BullMQ must not silently run this one again.
    maxStalledCount: 0,
  })
  worker.on('error', (error) => log(`bullmq: ${error.message}`))
  worker.on('stalled', (jobId) => {
    const [, source] = jobId.split('.')
    if (!source) return
    const writer = new ReportWriter(reports, keys.reportStream(source), jobId)
    writer.send({
      kind: 'lost',
      loss: { kind: 'lock-expired', noticedBy: id },
    })
  })

  const info = (): WorkerInfo => {
    return {
      id,
      host: os.hostname(),
      pid: process.pid,
      group,
      concurrency,
      state,
      load: os.loadavg() as [number, number, number],
      cpus: os.availableParallelism(),
      memory: { rssBytes: process.memoryUsage.rss(), freeBytes: os.freemem(), totalBytes: os.totalmem() },
      running: [...active.values()].map((run) => run.info),
      finished,
      startedAt,
      at: Date.now(),
      version: VERSION,
    }
  }
  const heartbeat = async () => {
    const json = JSON.stringify(info())
    await reports
      .multi()
      .set(keys.worker(id), json, 'PX', heartbeatMs * 3)
      .zadd(keys.workers, Date.now(), id)
      .publish(keys.heartbeatChannel, json)
      .exec()
  }
  const heartbeatTimer = setInterval(() => void heartbeat().catch(() => undefined), heartbeatMs)
  await worker.waitUntilReady()
  await heartbeat()
  log(`taskdeck worker ${id} serves group ${group} on ${shownUrl} (concurrency ${concurrency})`)

  let closing: Promise<void> | undefined
  const close = (drainMs = 30_000) =>
    (closing ??= (async () => {
      state = 'draining'
      await heartbeat().catch(() => undefined)
      const handBack = setTimeout(() => {
        for (const run of active.values()) run.execution?.stop('worker-lost', { kind: 'worker-lost', worker: id, cause: { kind: 'shut-down' } })
      }, drainMs)
      await worker.close()
      clearTimeout(handBack)
      clearInterval(heartbeatTimer)
      state = 'stopped'
      const json = JSON.stringify(info())
      await reports.multi().del(keys.worker(id)).zrem(keys.workers, id).publish(keys.heartbeatChannel, json).exec().catch(() => undefined)
      subscriber.disconnect()
      reports.disconnect()
      redis.disconnect()
      log(`taskdeck worker ${id} stopped`)
    })())
  return { id, close }
}

/**
 * Holds what is written on `redis` until the current turn's promise callbacks have run
 * (process.nextTick runs after them): the finished report and BullMQ's moveToFinished, made
 * in the same turn, reach Redis in one write and one read instead of two of each, about a
 * tenth of a no-op task's cost on this machine. Writes are only delayed, never reordered.
 */
function coalesceWrites(redis: Redis): void {
  const socket = redis.stream
  if (!socket || socket.writableCorked > 0) return
  socket.cork()
  process.nextTick(() => socket.uncork())
}
