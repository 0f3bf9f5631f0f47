import { Queue } from 'bullmq'
import type { Job, JobsOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import { WorkerInfoSchema, refusal } from '../../../src-shared/index.ts'
import type { EndReason, TaskSpec, WorkerInfo } from '../../../src-shared/index.ts'
import type { Disposable } from '../api.ts'
import type { RunContext } from '../runners/types.ts'
import { assertRedisSuitable, connectRedis, redactRedisUrl } from './redis-connection.ts'
import type { RedisConnectionOptions } from './redis-connection.ts'
import {
  CANCEL_TTL_MS,
  LOCKLESS_ACTIVE_SCRIPT,
  PROTOCOL_VERSION,
  PUSH_STDIN_SCRIPT,
  REPORT_CONSUMER_GROUP,
  STDIN_MAX_BYTES,
  STDIN_MAX_MESSAGES,
  SourceIdSchema,
  bullPriorityOf,
  decodeReports,
  jobIdOf,
  OutcomeSchema,
  outcomeFromWire,
  redisKeys,
} from './redis-protocol.ts'
import type { RedisKeys, RemoteJob, Report } from './redis-protocol.ts'
import type { AdoptedRun, BackendOutcome, BackendRun, ExecutionBackend, PlacedRun } from './types.ts'

export interface BullmqBackendOptions {
  connection: RedisConnectionOptions
  /**
   * This app's identity in Redis, stable across restarts and unique per engine database:
   * job ids are `run.<source>.<runId>`, and the app's report stream and cursor are keyed by it.
   */
  source: string
  prefix?: string
  /**
   * Leave reading the report stream to a later `startReading()`, so that an app that
   * restarted can `adopt()` its unfinished remote runs first and miss none of their reports.
   */
  deferReading?: boolean
  /** How often unfinished runs are checked against their BullMQ job (a safety net for trimmed or lost reports). */
  reconcileIntervalMs?: number
}

interface PendingRun {
  readonly jobId: string
  readonly group: string
  readonly context: RunContext
  readonly resolve: (outcome: BackendOutcome) => void
  /** Shared by a second `start` or `adopt` of the same run. */
  readonly done: Promise<BackendOutcome>
  /** Settles once the job is in Redis (or could not be put there). */
  enqueued: Promise<void>
  worker: string | null
  /** A terminal BullMQ state seen by the previous reconcile pass without a matching report. */
  suspect: boolean
  /** When the last report (or the enqueue) happened: only quiet runs are reconciled. */
  lastActivity: number
  /** Adopted after a restart: checked against its job once the stream's backlog is read. */
  adopted: boolean
  /** The spec wrote its own stdin text and closed it (as a local shell run does). */
  stdinClosed: boolean
  onAbort: () => void
}

interface BulkJob {
  name: string
  data: RemoteJob
  opts: JobsOptions
}

interface EnqueueRequest {
  readonly job: BulkJob
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

const READ_COUNT = 500
const READ_BLOCK_MS = 2000
/**
 * While reports keep coming, reads start at most this often: a read returns as soon as one
 * entry is there, so under load each would carry only a few, and every read costs the app
 * and Redis a round trip (XACK + XREADGROUP) of their own. Delays an outcome by at most this.
 */
const READ_GATHER_MS = 5
const WORKER_LIST_WINDOW_MS = 30_000
/** Runs checked per reconcile pass, so thousands of queued runs do not cost thousands of round trips at once. */
const RECONCILE_BATCH = 200

/**
 * The app's side of remote groups. To the engine it looks like a runner: `start()` enqueues
 * a BullMQ job (one per run, so starting a run twice never runs it twice), and everything the
 * worker reports (started, output bytes, progress, outcome, or "lost" from the stalled
 * checker) arrives through this app's own report stream, read with a consumer group whose
 * cursor lives in Redis: after a disconnection or a restart the app continues exactly where
 * it stopped, with nothing lost and nothing delivered twice.
 */
export class BullmqBackend implements ExecutionBackend {
  readonly name: string
  readonly source: string
  readonly #keys: RedisKeys
  readonly #redis: Redis
  readonly #reader: Redis
  readonly #subscriber: Redis
  readonly #queues = new Map<string, Queue>()
  readonly #pending = new Map<string, PendingRun>()
  readonly #heartbeatListeners = new Set<(worker: WorkerInfo) => void>()
  readonly #reconcileIntervalMs: number
  #reconcileTimer: NodeJS.Timeout | undefined
  #reading = false
  #closing = false
  /** Adopted runs whose job had ended when checked: settled after one more read, which brings any report written before the job ended. */
  readonly #endedWithoutReport: { pending: PendingRun; state: string; job: Job | undefined }[] = []
  #uncheckedAdoptions = false
  /** The app is closing and its runs go on without it: their reports stay unacknowledged, for the next process. */
  #detaching = false
  #lastError: string | null = null
  #reconciling = false
  /** Report entries handled and not yet acknowledged (by id): acknowledged with the next read, or as the app closes. */
  readonly #unacked = new Map<string, Buffer>()
  /** Jobs to add at the end of this turn of the event loop, by group (see #enqueue). */
  readonly #enqueueBatches = new Map<string, EnqueueRequest[]>()

  private constructor(options: BullmqBackendOptions, redis: Redis) {
    this.source = SourceIdSchema.parse(options.source)
    this.name = redactRedisUrl(options.connection.url)
    this.#keys = redisKeys(options.prefix)
    this.#redis = redis
    this.#reader = redis.duplicate({ enableAutoPipelining: false })
    this.#subscriber = redis.duplicate({ enableAutoPipelining: false })
    this.#reconcileIntervalMs = options.reconcileIntervalMs ?? 15_000
    for (const connection of [redis, this.#reader, this.#subscriber]) {
      connection.on('error', (error: Error) => (this.#lastError = error.message))
      connection.on('ready', () => (this.#lastError = null))
    }
  }

  /** Why Redis is not usable right now (ioredis keeps reconnecting meanwhile), or null. */
  get connectionError(): string | null {
    return this.#redis.status === 'ready' ? null : (this.#lastError ?? `connection ${this.#redis.status}`)
  }

  /** Connects, refuses an unsuitable Redis (see assertRedisSuitable), and starts listening. */
  static async connect(options: BullmqBackendOptions): Promise<BullmqBackend> {
    const shownUrl = redactRedisUrl(options.connection.url)
    const redis = connectRedis(options.connection, { lazyConnect: true, retryStrategy: () => null })
    let connectError = 'connection closed'
    const onError = (error: Error) => (connectError = error.message)
    redis.on('error', onError)
    try {
      await redis.connect().catch(() => {
        throw refusal('redis-unreachable', `Cannot reach Redis at ${shownUrl}: ${connectError}`, { redis: shownUrl, error: connectError })
      })
      await assertRedisSuitable(redis, shownUrl)
    } catch (error) {
      redis.disconnect()
      throw error
    } finally {
      redis.off('error', onError)
    }
    // Connected once and found suitable: from now on ride out restarts instead of giving up.
    redis.options.retryStrategy = (attempt) => Math.min(50 * 2 ** attempt, 2000)
    const backend = new BullmqBackend(options, redis)
    await backend.#ensureConsumerGroup()
    backend.#subscriber.on('message', (channel: string, message: string) => backend.#onMessage(channel, message))
    await backend.#subscriber.subscribe(backend.#keys.heartbeatChannel)
    if (!options.deferReading) backend.startReading()
    return backend
  }

  start(spec: TaskSpec, placed: PlacedRun, context: RunContext): BackendRun {
    const jobId = jobIdOf(this.source, context.runId)
    const known = this.#pending.get(jobId)
    if (known) return { pid: null, done: known.done, send: (text) => this.#sendStdin(known, text) }
    // Cancelled before it was handed over: a job added now could be taken by an idle worker before its removal.
    if (context.signal.aborted) return { pid: null, done: Promise.resolve({ ...failure({ kind: 'cancelled' }, null), endedBy: 'cancel' }) }
    const job: RemoteJob = {
      v: PROTOCOL_VERSION,
      source: this.source,
      runId: context.runId,
      taskId: context.taskId,
      attempt: context.attempt,
      name: placed.name,
      spec,
      ...(placed.timeoutMs !== undefined && { timeoutMs: placed.timeoutMs }),
    }
    const { run, pending } = this.#track(jobId, placed.group, context)
    pending.stdinClosed = spec.kind === 'shell' && spec.stdin !== undefined
    context.output('system', `queued on ${this.name} in group ${placed.group}; waiting for a worker\n`)
    pending.enqueued = this.#enqueue(placed.group, {
      name: placed.name || `task ${context.taskId}`,
      data: job,
      opts: {
        jobId,
        priority: bullPriorityOf(placed.priority),
        attempts: 1,
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
      },
    }).then(
      () => undefined,
      (error: unknown) => this.#finish(jobId, failure({ kind: 'enqueue-failed', queue: this.name, message: messageOf(error) }, null)),
    )
    return run
  }

  /**
   * Takes back a run this source enqueued before it restarted: its remaining reports are
   * delivered to `context` from where the previous process stopped reading (so a run that
   * finished meanwhile ends with its real outcome). Once that backlog is read, a run whose
   * job is gone from Redis ends `worker-lost`. Call before `startReading()`.
   */
  adopt(run: AdoptedRun, context: RunContext): BackendRun {
    const jobId = jobIdOf(this.source, context.runId)
    const existing = this.#pending.get(jobId)
    if (existing) return { pid: null, done: existing.done }
    if (!context.signal.aborted) context.output('system', `Taskdeck restarted: following this run on ${this.name} again\n`)
    const { run: adopted, pending } = this.#track(jobId, run.group, context)
    pending.adopted = true
    this.#uncheckedAdoptions = true
    return adopted
  }

  startReading(): void {
    if (!this.#reading) {
      this.#reading = true
      void this.#read()
    }
    this.#reconcileTimer ??= setInterval(() => void this.#reconcile(), this.#reconcileIntervalMs)
  }

  /** Runs of `group` waiting in Redis for a worker (from every app sharing this Redis). */
  async queuedCount(group: string): Promise<number> {
    const counts = await this.#queue(group).getJobCounts('waiting', 'prioritized')
    return (counts.waiting ?? 0) + (counts.prioritized ?? 0)
  }

  /** Workers whose heartbeat arrived in the last 30 s, optionally of one group. */
  async listWorkers(group?: string): Promise<WorkerInfo[]> {
    const since = Date.now() - WORKER_LIST_WINDOW_MS
    await this.#redis.zremrangebyscore(this.#keys.workers, '-inf', since)
    const ids = await this.#redis.zrangebyscore(this.#keys.workers, since, '+inf')
    if (ids.length === 0) return []
    const values = await this.#redis.mget(ids.map((id) => this.#keys.worker(id)))
    return values
      .flatMap((value) => (value === null ? [] : [parseWorker(value)]))
      .filter((w): w is WorkerInfo => w !== null && (group === undefined || w.group === group))
  }

  onHeartbeat(listener: (worker: WorkerInfo) => void): Disposable {
    this.#heartbeatListeners.add(listener)
    return { dispose: () => void this.#heartbeatListeners.delete(listener) }
  }

  /**
   * Stops listening. Runs being cancelled (an engine stops its runs when it closes) get up
   * to `settleMs` to report back; every run still unsettled then ends as interrupted
   * ("stopped watching"): it may go on on its worker, and a later process with the same
   * source can adopt it.
   */
  async close({ settleMs = 0 }: { settleMs?: number } = {}): Promise<void> {
    if (this.#closing) return
    this.#detaching = true
    const cancelling = [...this.#pending.values()].filter((p) => p.context.signal.aborted && p.context.signal.reason !== 'shutdown').map((p) => p.done)
    if (cancelling.length > 0 && settleMs > 0) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([Promise.all(cancelling), new Promise((resolve) => (timer = setTimeout(resolve, settleMs)))])
      clearTimeout(timer)
    }
    this.#closing = true
    clearInterval(this.#reconcileTimer)
    // The read loop ends by itself once it sees #closing; a read pending on a connection that is
    // reconnecting would never settle, so it is not awaited.
    this.#reader.disconnect()
    this.#subscriber.disconnect()
    await Promise.allSettled([...this.#queues.values()].map((queue) => queue.close()))
    for (const pending of [...this.#pending.values()]) this.#detach(pending)
    // Handled entries left unacknowledged would reach the next process again (a detached run's output twice).
    if (this.#unacked.size > 0) await this.#redis.xack(this.#keys.reportStream(this.source), REPORT_CONSUMER_GROUP, ...this.#unacked.values()).catch(() => undefined)
    this.#redis.disconnect()
  }

  #track(jobId: string, group: string, context: RunContext): { run: BackendRun; pending: PendingRun } {
    let resolve!: (outcome: BackendOutcome) => void
    const done = new Promise<BackendOutcome>((r) => (resolve = r))
    const pending: PendingRun = {
      jobId,
      group,
      context,
      resolve,
      done,
      enqueued: Promise.resolve(),
      worker: null,
      suspect: false,
      lastActivity: Date.now(),
      adopted: false,
      stdinClosed: false,
      onAbort: () => void this.#cancel(pending),
    }
    this.#pending.set(jobId, pending)
    if (context.signal.aborted) queueMicrotask(pending.onAbort)
    else context.signal.addEventListener('abort', pending.onAbort, { once: true })
    return { run: { pid: null, done, send: (text) => this.#sendStdin(pending, text) }, pending }
  }

  /**
   * Runs that become ready in the same turn of the event loop are enqueued together (one
   * addBulk: one pipeline, one write) instead of one round trip each. addBulk does not say
   * which of its jobs failed, so after a failure each job is added again on its own: job ids
   * make that idempotent, and only a job that cannot be added fails its run.
   */
  #enqueue(group: string, job: BulkJob): Promise<void> {
    let batch = this.#enqueueBatches.get(group)
    if (!batch) {
      const created: EnqueueRequest[] = []
      batch = created
      this.#enqueueBatches.set(group, created)
      setImmediate(() => {
        this.#enqueueBatches.delete(group)
        void this.#addBatch(group, created)
      })
    }
    const requests = batch
    return new Promise((resolve, reject) => requests.push({ job, resolve, reject }))
  }

  async #addBatch(group: string, requests: EnqueueRequest[]): Promise<void> {
    const queue = this.#queue(group)
    const addEach = () => requests.forEach(({ job, resolve, reject }) => void queue.add(job.name, job.data, job.opts).then(() => resolve(), reject))
    if (requests.length === 1) return addEach()
    try {
      await queue.addBulk(requests.map((request) => request.job))
      for (const request of requests) request.resolve()
    } catch {
      addEach()
    }
  }

  #queue(group: string): Queue {
    let queue = this.#queues.get(group)
    if (!queue) {
      queue = new Queue(group, { connection: this.#redis, prefix: this.#keys.bullPrefix })
      queue.on('error', () => undefined) // connection errors are retried by ioredis; runs wait meanwhile
      this.#queues.set(group, queue)
    }
    return queue
  }

  /**
   * The cancel request is stored before it is announced, so a worker that is disconnected
   * right now still finds it when it reconnects or starts the job. A job no worker has taken
   * yet is simply removed.
   */
  async #cancel(pending: PendingRun): Promise<void> {
    if (pending.context.signal.reason === 'shutdown') return this.#detach(pending)
    await pending.enqueued
    if (!this.#pending.has(pending.jobId)) return
    try {
      await this.#redis.set(this.#keys.cancel(pending.jobId), 'cancel', 'PX', CANCEL_TTL_MS)
      await this.#redis.publish(this.#keys.cancelChannel, pending.jobId)
      const removed = await this.#queue(pending.group).remove(pending.jobId)
      if (removed === 1) {
        this.#finish(pending.jobId, { ...failure({ kind: 'cancelled' }, null), endedBy: 'cancel' })
      }
    } catch (error) {
      if (!this.#closing) pending.context.output('system', `could not deliver the cancel request yet: ${messageOf(error)}\n`)
    }
  }

  /**
   * The engine is closing (abort reason "shutdown"), not cancelling: the run goes on on its
   * worker and its reports wait in the stream for the next process, which adopts it.
   */
  #detach(pending: PendingRun): void {
    this.#detaching = true
    this.#finish(pending.jobId, {
      ...failure({ kind: 'worker-lost', worker: pending.worker, cause: { kind: 'unwatched', queue: this.name } }, pending.worker),
      endedBy: 'detached',
    })
  }

  /**
   * Stdin text for a remote run goes through a bounded list per run (see PUSH_STDIN_SCRIPT),
   * read by the worker when told on the stdin channel, or when it starts the job. Text the
   * bounds refuse, or that cannot reach Redis, is reported in the run's log.
   */
  #sendStdin(pending: PendingRun, text: string): void {
    if (pending.stdinClosed) throw refusal('stdin-closed', "This run's stdin is closed (its stdin text was already written, or it has ended).", {})
    const { jobId, context } = pending
    const notDelivered = (why: string) => context.output('system', `stdin text not delivered (${Buffer.byteLength(text)} bytes): ${why}\n`)
    this.#redis
      .eval(PUSH_STDIN_SCRIPT, 2, this.#keys.stdin(jobId), this.#keys.stdinBytes(jobId), text, STDIN_MAX_MESSAGES, STDIN_MAX_BYTES, CANCEL_TTL_MS, this.#keys.stdinChannel, jobId)
      .then(
        (stored) => {
          if (stored !== 1) notDelivered(`the worker has not read the text sent before (at most ${STDIN_MAX_MESSAGES} messages or ${STDIN_MAX_BYTES / 1024 / 1024} MiB wait for it)`)
        },
        (error: unknown) => notDelivered(messageOf(error)),
      )
  }

  #finish(jobId: string, outcome: BackendOutcome): void {
    const pending = this.#pending.get(jobId)
    if (!pending) return
    this.#pending.delete(jobId)
    pending.context.signal.removeEventListener('abort', pending.onAbort)
    pending.resolve(outcome)
  }

  async #ensureConsumerGroup(): Promise<void> {
    try {
      await this.#redis.xgroup('CREATE', this.#keys.reportStream(this.source), REPORT_CONSUMER_GROUP, '0', 'MKSTREAM')
    } catch (error) {
      if (!messageOf(error).includes('BUSYGROUP')) throw error
    }
  }

  /**
   * First the entries delivered to this consumer but never acknowledged (the previous
   * process died between reading and acknowledging), then new ones as they arrive. The
   * entries handled by one read are acknowledged in the same round trip as the next read
   * (XACK, then XREADGROUP, in one pipeline); an entry handled but not yet known to be
   * acknowledged is not handled again when the backlog is re-read after an error.
   */
  async #read(): Promise<void> {
    const stream = this.#keys.reportStream(this.source)
    let backlog = true
    /** When the last read that brought entries (but not a full batch) began; 0 after an empty one. */
    let gatheringSince = 0
    while (!this.#closing) {
      try {
        const args = ['GROUP', REPORT_CONSUMER_GROUP, 'engine', 'COUNT', READ_COUNT]
        // Adopted runs wait for a look at the stream's head (and their job): do not block for new entries before that.
        const checking = this.#uncheckedAdoptions || this.#endedWithoutReport.length > 0
        if (!backlog && !checking) args.push('BLOCK', READ_BLOCK_MS)
        const wait = gatheringSince + READ_GATHER_MS - performance.now()
        if (!backlog && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        const readAt = performance.now()
        const acked = [...this.#unacked.keys()]
        const round = this.#reader.pipeline()
        if (acked.length > 0) round.xack(stream, REPORT_CONSUMER_GROUP, ...this.#unacked.values())
        round.callBuffer('XREADGROUP', ...args, 'STREAMS', stream, backlog ? '0' : '>')
        const results = (await round.exec()) ?? []
        for (const [error] of results) if (error) throw error
        for (const id of acked) this.#unacked.delete(id)
        const entries = entriesOf(results.at(-1)?.[1])
        gatheringSince = entries.length > 0 && entries.length < READ_COUNT ? readAt : 0
        if (backlog && entries.length === 0) {
          backlog = false
          void this.#reconcile()
          continue
        }
        for (const [id, fields] of entries) {
          const key = id.toString()
          if (this.#unacked.has(key)) continue // handled before an error interrupted its acknowledgement
          const reports = fields ? decodeReports(fields) : []
          // While the app closes, a detached run's reports stay unacknowledged: the next process reads them first.
          if (this.#detaching && !reports.every((report) => this.#pending.has(report.jobId))) continue
          for (const report of reports) this.#dispatch(report)
          this.#unacked.set(key, id)
        }
        for (const ended of this.#endedWithoutReport.splice(0)) this.#settleFromJob(ended.pending, ended.state, ended.job)
        if (!backlog && entries.length < READ_COUNT && this.#uncheckedAdoptions) await this.#checkAdopted()
      } catch (error) {
        if (this.#closing) return
        if (messageOf(error).includes('NOGROUP')) await this.#ensureConsumerGroup().catch(() => undefined)
        else await new Promise((resolve) => setTimeout(resolve, 200))
        backlog = true
      }
    }
  }

  #dispatch(report: Report): void {
    const pending = this.#pending.get(report.jobId)
    if (!pending) return
    pending.lastActivity = Date.now()
    const { context } = pending
    switch (report.kind) {
      case 'started':
        pending.worker = report.worker
        context.output('system', `started on worker ${report.worker}\n`)
        return
      case 'out':
        context.output(report.stream, report.data)
        return
      case 'progress':
        context.progress(report.progress)
        return
      case 'finished':
        this.#finish(report.jobId, report.outcome)
        return
      case 'lost':
        this.#finish(report.jobId, {
          exitCode: null,
          signal: null,
          failure:
            typeof report.loss === 'string'
              ? { kind: 'message', text: `worker ${pending.worker ?? '(unknown)'} lost: ${report.loss}` }
              : { kind: 'worker-lost', worker: pending.worker, cause: report.loss },
          endedBy: 'worker-lost',
          worker: pending.worker,
        })
        return
    }
  }

  /**
   * Reports are the normal path; this catches what they cannot: a report trimmed from the
   * stream while the app was away, a job removed behind our back, or a job still active whose
   * lock expired with no live worker left to notice (BullMQ's stalled check runs in workers).
   * A run is settled from its job only when two passes in a row see it so, so a report still
   * in flight wins.
   */
  async #reconcile(): Promise<void> {
    if (this.#reconciling) return
    this.#reconciling = true
    try {
      await this.#reconcileQuietRuns()
    } finally {
      this.#reconciling = false
    }
  }

  async #reconcileQuietRuns(): Promise<void> {
    const quietSince = Date.now() - this.#reconcileIntervalMs
    const quiet = [...this.#pending.values()].filter((p) => p.suspect || p.lastActivity <= quietSince).slice(0, RECONCILE_BATCH)
    for (const pending of quiet) {
      if (this.#closing) return
      try {
        await pending.enqueued
        const queue = this.#queue(pending.group)
        const job = await queue.getJob(pending.jobId)
        let state = job ? await job.getState() : 'missing'
        // Active without a lock: its worker died, and no live worker's stalled check has said so
        // (there may be none left), so nobody would report this run lost.
        if (state === 'active' && (await this.#redis.eval(LOCKLESS_ACTIVE_SCRIPT, 2, queue.toKey('active'), `${queue.toKey(pending.jobId)}:lock`, pending.jobId)) === 1) {
          state = 'lockless'
        }
        const terminal = state === 'completed' || state === 'failed' || state === 'missing' || state === 'unknown' || state === 'lockless'
        if (!terminal) {
          pending.suspect = false
          continue
        }
        if (!pending.suspect) {
          pending.suspect = true
          continue
        }
        this.#settleFromJob(pending, state, job)
      } catch {
        // Redis is unreachable: try again on the next pass.
      }
    }
  }

  /** Ends a run whose job is terminal, gone, or lost with its worker, and whose last reports will not come. */
  #settleFromJob(pending: PendingRun, state: string, job: Job | undefined): void {
    if (!this.#pending.has(pending.jobId)) return
    if (state === 'lockless') {
      this.#finish(pending.jobId, {
        ...failure({ kind: 'worker-lost', worker: pending.worker, cause: { kind: 'lock-expired-unreported', group: pending.group } }, pending.worker),
        endedBy: 'worker-lost',
      })
    } else if (state === 'completed' && job) {
      pending.context.output('system', 'the end of this run was read from its BullMQ job: its reports were gone from Redis, so output may be missing\n')
      this.#finish(pending.jobId, outcomeFromReturnValue(job.returnvalue, pending.worker))
    } else if (state === 'failed' && job) {
      const stalled = job.failedReason.includes('stalled')
      this.#finish(pending.jobId, {
        ...failure(
          stalled
            ? { kind: 'worker-lost', worker: pending.worker, cause: { kind: 'stalled', message: job.failedReason } }
            : { kind: 'message', text: job.failedReason },
          pending.worker,
        ),
        endedBy: stalled ? 'worker-lost' : null,
      })
    } else {
      this.#finish(pending.jobId, {
        ...failure({ kind: 'worker-lost', worker: pending.worker, cause: { kind: 'job-gone' } }, pending.worker),
        endedBy: 'worker-lost',
      })
    }
  }

  /**
   * Runs adopted after a restart, once the report backlog is read: each one whose job still
   * waits or runs is left to its reports; one whose job ended or is gone is settled after the
   * next read (a worker writes its last report before its job ends, so that read has it if
   * it exists) instead of after two reconcile passes.
   */
  async #checkAdopted(): Promise<void> {
    this.#uncheckedAdoptions = false
    const adopted = [...this.#pending.values()].filter((p) => p.adopted)
    for (const pending of adopted) pending.adopted = false
    for (const pending of adopted) {
      if (this.#closing) return
      try {
        const job = await this.#queue(pending.group).getJob(pending.jobId)
        const state = job ? await job.getState() : 'missing'
        if (state === 'completed' || state === 'failed' || state === 'missing' || state === 'unknown') this.#endedWithoutReport.push({ pending, state, job })
      } catch {
        pending.suspect = true // Redis is unreachable: the reconcile passes take over.
      }
    }
  }

  #onMessage(channel: string, message: string): void {
    if (channel !== this.#keys.heartbeatChannel) return
    const worker = parseWorker(message)
    if (worker) for (const listener of this.#heartbeatListeners) listener(worker)
  }
}

type StreamEntry = [id: Buffer, fields: Buffer[] | null]

/** XREADGROUP's entries for our single stream: RESP2 sends [[key, entries]], RESP3 a map that ioredis flattens to [key, entries]. */
function entriesOf(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return []
  const pair: unknown = Buffer.isBuffer(reply[0]) ? reply : reply[0]
  return Array.isArray(pair) && Array.isArray(pair[1]) ? (pair[1] as StreamEntry[]) : []
}

function failure(reason: EndReason, worker: string | null): BackendOutcome {
  return { exitCode: null, signal: null, failure: reason, endedBy: null, worker }
}

function outcomeFromReturnValue(value: unknown, worker: string | null): BackendOutcome {
  const wire = OutcomeSchema.safeParse(value)
  if (wire.success) return outcomeFromWire(wire.data)
  return failure({ kind: 'outcome-lost' }, worker)
}

function parseWorker(json: string): WorkerInfo | null {
  try {
    return WorkerInfoSchema.parse(JSON.parse(json))
  } catch {
    return null
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))
