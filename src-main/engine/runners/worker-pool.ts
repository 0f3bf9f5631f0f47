import { Worker } from 'node:worker_threads'
import type { EndReason } from '../../../src-shared/index.ts'
import type { FromWorker, ToWorker, WorkerEvent } from './script-protocol.ts'
import { canMeasure, threadCpuMicros, type UsageReading } from './usage.ts'

export interface WorkerPoolOptions {
  /** The worker's entry module (script-worker.ts in source, out/main/script-worker.js when built). */
  entry: URL | string
  /**
   * Most workers alive at once; jobs beyond that wait for a free worker. The pool starts with
   * none and adds one only when a job would otherwise wait behind one that has run longer than
   * SPAWN_AFTER_MS (see #assign), so short scripts share one warm thread and only long or
   * CPU-bound ones spread over more.
   */
  size: number
  /** After an abort, how long a script may take to end on its own before its worker is terminated. */
  abortGraceMs: number
  /**
   * Heap limit per worker. A script that reaches it ends with its worker, instead of taking
   * the whole process down with it as an out-of-memory crash would.
   */
  maxHeapMb: number
  /**
   * How soon a job must end for its worker to count as busy with short jobs, which later jobs
   * are packed onto (see PACK_LIMIT); a job running longer has the jobs packed behind it moved
   * to idle workers. Default PACK_WINDOW_MS.
   */
  packWindowMs?: number
  /**
   * How long the job a job waits behind must have run before a new worker is started for the
   * waiting one (an idle worker takes it after packWindowMs already). Default SPAWN_AFTER_MS;
   * never less than packWindowMs.
   */
  spawnAfterMs?: number
  /** How long a worker beyond the first may stay idle before it is terminated, freeing its memory. Default RETIRE_AFTER_MS. */
  retireAfterMs?: number
}

export interface ScriptJob {
  path: string
  input: unknown
  onOutput(stream: 'stdout' | 'stderr', text: string): void
  onProgress(done: number, total: number | null, message: string | undefined): void
}

export type JobEnd =
  | { kind: 'result'; value: unknown }
  | { kind: 'error'; message: string; stack: string }
  | { kind: 'aborted' }
  | { kind: 'crashed'; reason: EndReason }

export interface PooledJob {
  readonly done: Promise<JobEnd>
  /** Stops the job: asks the script to end, then terminates its worker after the grace period. */
  abort(): void
  /**
   * The job's CPU time (its thread's, since the job started: read from /proc, so a script busy
   * in a loop is measured too) and its worker's heap (V8's figures, which a worker gives only
   * when its event loop turns: while a script keeps it busy, the last figure it gave, or null).
   * Null while the job is not running (waiting, or ended), and where CPU cannot be read (not Linux).
   */
  usage(): Promise<UsageReading | null>
}

interface Slot {
  readonly worker: Worker
  /**
   * Jobs posted to this worker, in the order it runs them: the first is running (or about to),
   * the others wait in the worker's own queue. At most JOBS_PER_WORKER.
   */
  readonly jobs: Active[]
  /** Claim cells shared with the worker (see ToWorker's `claim`), one per job in `jobs`. */
  readonly claims: Int32Array
  /** Cells no job in `jobs` uses. */
  readonly freeClaims: number[]
  /** Whether the worker started; one that never did is not replaced, so a broken entry cannot respawn forever. */
  online: boolean
  /** When this worker last made progress: got its first job while idle, or ended one (performance.now()). */
  turnoverAt: number
  /** Whether its last job ended within PACK_WINDOW_MS of the previous turnover: short jobs are packed onto it. */
  quick: boolean
  /** When it last went idle (performance.now()), for retiring it. */
  idleSince: number
  /** Terminated for idling (see RETIRE_AFTER_MS): not replaced. */
  retired: boolean
  /** Shared with the worker (see script-worker's `usage`): its thread id, the job running, the thread's CPU time when it started. */
  readonly usage: BigInt64Array
  /** The worker's heap in use at its last answer, bytes, and the question still unanswered. */
  heapBytes: number | null
  heapAsked: Promise<void> | null
}

interface Active {
  readonly id: number
  readonly job: ScriptJob
  /** Settles the job's `done`; later calls do nothing. */
  finish(end: JobEnd): void
  slot: Slot | null
  /** This job's claim cell in its slot's `claims`. */
  claim: number
  aborted: boolean
}

/**
 * Jobs handed to one worker at most: the running one and those waiting behind it in the
 * worker's own queue. A worker that finds its next job there goes on without a message from
 * the main thread, which then wakes it (tens of µs of the main thread each on a small VM)
 * once per batch instead of once per job: about 17% less CPU per no-op script task in the
 * engine bench than with one job per worker.
 */
const JOBS_PER_WORKER = 8

/**
 * Short jobs are packed onto a worker that is already busy with short jobs, up to this many
 * at once, instead of spread over idle ones. Waking a sleeping thread costs both sides tens
 * of µs on a small VM (more than a no-op script itself); a busy worker may still be awake, and
 * messages sent to it while one is pending cost no wake-up at all. With it the script threads
 * of a remote worker serving no-op scripts spent ~35% less CPU per task (docs/benchmarks.md).
 */
const PACK_LIMIT = 4
/** A worker counts as busy with short jobs while it ended its last job this soon after the one before, and has made progress this recently. */
const PACK_WINDOW_MS = 10
/**
 * A new worker is started for a job waiting behind another only once that one has run this
 * long: starting a worker costs ~70 ms and ~80 ms of CPU on a small VM, and a job that has run
 * just the pack window may be short after all. On a machine short of CPU a no-op script whose
 * thread waits 10 ms for a core looks long; with the pack window alone, every worker process of
 * a 4-process remote worker on 2 cores started a second thread it only used to wake up more
 * (docs/benchmarks.md, session 6). CPU-bound scripts still spread over new workers, ~50 ms late
 * on the first burst; idle workers take waiting jobs after the pack window.
 */
const SPAWN_AFTER_MS = 50
/**
 * A worker beyond the first that has had no job for this long is terminated: an idle script
 * thread holds ~20 MB (its own V8 heap and Node environment), and a burst of long scripts
 * should not leave a thread per core behind for good. A minute, because starting a thread
 * again costs ~70 ms and ~80 ms of CPU on a small VM: with 5 s, work coming in bursts a few
 * seconds apart paid that on every burst (~10% more CPU per no-op task in the engine bench).
 */
const RETIRE_AFTER_MS = 60_000
/** How long a usage reading waits for a worker's heap figures before it goes with the last ones (a busy script answers only when it yields). */
const HEAP_ANSWER_MS = 100

/**
 * An elastic pool of worker threads, each running one script job at a time. It grows up to
 * `size` while jobs would otherwise wait behind long ones, and shrinks back to one warm
 * worker once the extra ones have idled for RETIRE_AFTER_MS (a minute). Idle workers are unref'd, so
 * they never keep the process alive; a worker that was terminated (a hard timeout or a
 * cancelled script that did not end) or crashed is replaced.
 *
 * When every worker is busy, a job may wait inside a busy worker instead of in the pool's
 * queue. It is not stuck there: until the worker claims it (an atomic swap of its claim
 * cell, which needs no message, so it works while the worker is busy with a CPU-bound
 * script), the pool can take it back the same way, and does as soon as another worker is
 * free, or when the job is cancelled.
 */
export class WorkerPool {
  readonly #options: WorkerPoolOptions
  readonly #packWindowMs: number
  readonly #spawnAfterMs: number
  readonly #retireAfterMs: number
  readonly #slots = new Set<Slot>()
  readonly #idle: Slot[] = []
  readonly #queue: Active[] = []
  #nextJobId = 1
  #closed = false
  /**
   * Moves jobs packed behind a job that turns out long (see #unpack); set while packed jobs
   * wait behind a fresh one, for the moment the first of those would stop being fresh.
   */
  #unpackTimer: NodeJS.Timeout | undefined
  /** When #unpackTimer fires (performance.now()). */
  #unpackAt = 0
  /** Retires idle workers beyond the first (see RETIRE_AFTER_MS); set while there are any. */
  #retireTimer: NodeJS.Timeout | undefined

  constructor(options: WorkerPoolOptions) {
    this.#options = options
    this.#packWindowMs = options.packWindowMs ?? PACK_WINDOW_MS
    this.#spawnAfterMs = Math.max(this.#packWindowMs, options.spawnAfterMs ?? SPAWN_AFTER_MS)
    this.#retireAfterMs = options.retireAfterMs ?? RETIRE_AFTER_MS
  }

  get size(): number {
    return this.#options.size
  }

  /** Workers alive now (busy, idle or starting), at most `size`. */
  get threads(): number {
    return this.#slots.size
  }

  run(job: ScriptJob): PooledJob {
    let settle!: (end: JobEnd) => void
    const done = new Promise<JobEnd>((resolvePromise) => (settle = resolvePromise))
    let settled = false
    const active: Active = {
      id: this.#nextJobId++,
      job,
      slot: null,
      claim: 0,
      aborted: false,
      finish(end) {
        if (settled) return
        settled = true
        settle(end)
      },
    }
    if (this.#closed) active.finish({ kind: 'crashed', reason: { kind: 'script-runner-closed' } })
    else this.#assign(active)
    return { done, abort: () => this.#abort(active), usage: () => this.#usage(active) }
  }

  async #usage(active: Active): Promise<UsageReading | null> {
    const slot = active.slot
    if (!canMeasure || slot === null || slot.jobs[0] !== active || Atomics.load(slot.usage, 1) !== BigInt(active.id)) return null
    const started = Number(Atomics.load(slot.usage, 2))
    const now = threadCpuMicros(Number(slot.usage[0]))
    if (now === null) return null
    // Asked again only once answered: a busy script's worker answers when its loop turns.
    slot.heapAsked ??= slot.worker.getHeapStatistics().then(
      (stats) => {
        slot.heapBytes = stats.used_heap_size + stats.external_memory
        slot.heapAsked = null
      },
      () => {
        slot.heapAsked = null
      },
    )
    await Promise.race([slot.heapAsked, new Promise((resolve) => setTimeout(resolve, HEAP_ANSWER_MS).unref())])
    return { cpuMicros: Math.max(0, now - started), memoryBytes: slot.heapBytes }
  }

  /** Terminates every worker; jobs still running or waiting end as aborted. */
  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#unpackTimer)
    clearTimeout(this.#retireTimer)
    for (const waiting of this.#queue.splice(0)) waiting.finish({ kind: 'aborted' })
    await Promise.all(
      [...this.#slots].map((slot) => {
        for (const active of slot.jobs) active.aborted = true
        return slot.worker.terminate()
      }),
    )
  }

  /**
   * Runs the job behind the short jobs of a busy worker, or on an idle worker, or behind a job
   * that started within the pack window — SPAWN_AFTER_MS if the other choice is a new worker — (if `packBehindFresh`), or on a new worker, or behind
   * the jobs of the least busy one, or queues it. A job packed behind another moves to an idle
   * or new worker if that one runs long (see #unpack): a worker is added only for a job that
   * would otherwise wait behind a long one.
   */
  #assign(active: Active, packBehindFresh = true): void {
    // With no idle worker, the other choice is a new worker, worth its start only behind a job that has run SPAWN_AFTER_MS.
    const freshFor = this.#slots.size < this.#options.size ? this.#spawnAfterMs : this.#packWindowMs
    const packed = this.#hot() ?? (this.#idle.length === 0 && packBehindFresh ? this.#fresh(freshFor) : null)
    if (packed !== null) {
      this.#post(packed, active)
      this.#wakeAt(this.#movableAt(packed))
      return
    }
    const slot = this.#idle.pop() ?? (this.#slots.size < this.#options.size ? this.#spawn() : this.#withRoom())
    if (slot === null) this.#queue.push(active)
    else this.#post(slot, active)
  }

  /**
   * The least busy worker with room whose running job started within `withinMs` (or that is
   * still starting), if any: a job waiting there waits behind no long job, so no new worker is needed.
   */
  #fresh(withinMs: number): Slot | null {
    let best: Slot | null = null
    const now = performance.now()
    for (const slot of this.#slots) {
      if (slot.jobs.length === 0 || slot.jobs.length >= (best?.jobs.length ?? JOBS_PER_WORKER)) continue
      if (this.#runningFresh(slot, now, withinMs)) best = slot
    }
    return best
  }

  /** Whether the worker's running job started within `withinMs` (the pack window by default), or the worker is still starting (it has run nothing yet): jobs behind it wait behind no long one. */
  #runningFresh(slot: Slot, now: number, withinMs = this.#packWindowMs): boolean {
    return !slot.online || now - slot.turnoverAt < withinMs
  }

  /** The busiest worker below PACK_LIMIT whose jobs have been ending quickly, if any. */
  #hot(): Slot | null {
    let best: Slot | null = null
    let now = 0
    for (const slot of this.#slots) {
      if (slot.jobs.length === 0 || slot.jobs.length >= PACK_LIMIT || slot.jobs.length <= (best?.jobs.length ?? 0)) continue
      now ||= performance.now()
      if (this.#busyWithShortJobs(slot, now)) best = slot
    }
    return best
  }

  /** Whether the worker's jobs have been ending quickly, and one ended (or it started) within the pack window. */
  #busyWithShortJobs(slot: Slot, now: number): boolean {
    return slot.quick && now - slot.turnoverAt < this.#packWindowMs
  }

  /**
   * When the jobs waiting behind the running job of `slot` may move to another thread, as a
   * performance.now() timestamp: ≤ now means movable now, +∞ means never (until something
   * changes). The one rule for moving packed jobs: once the running job
   * has run the pack window if a thread is idle, or SPAWN_AFTER_MS if a new thread may be
   * started. Never while every thread is busy and the pool is full: then a thread that frees up
   * takes them (#refill), or looks again as it goes idle (#rest). A worker still starting has
   * run nothing yet: its running job counts as starting now.
   */
  #movableAt(slot: Slot): number {
    if (slot.jobs.length < 2) return Number.POSITIVE_INFINITY
    const wait = this.#idle.length > 0 ? this.#packWindowMs : this.#slots.size < this.#options.size ? this.#spawnAfterMs : Number.POSITIVE_INFINITY
    return (slot.online ? slot.turnoverAt : performance.now()) + wait
  }

  /**
   * Makes sure #unpack runs at the first moment packed jobs may move (see #movableAt). A timer
   * for that moment, not a poll: while short jobs flow, the running job keeps changing, so the
   * timer finds nothing to move and is set again for the new first moment, at most once per
   * pack window instead of every few milliseconds (each firing may wake this thread from
   * sleep, which costs a remote worker serving many short scripts ~0.25 wake-ups per task with
   * a 5 ms poll); and never while no thread could take a job.
   */
  #watchPacked(): void {
    let due = Number.POSITIVE_INFINITY
    for (const slot of this.#slots) due = Math.min(due, this.#movableAt(slot))
    this.#wakeAt(due)
  }

  /** Arms the unpack timer for `due`, unless it is armed as early already. */
  #wakeAt(due: number): void {
    // After close() (a result arriving before its thread is terminated): nothing moves any more.
    if (this.#closed || due === Number.POSITIVE_INFINITY || (this.#unpackTimer !== undefined && this.#unpackAt <= due)) return
    clearTimeout(this.#unpackTimer)
    this.#unpackAt = due
    this.#unpackTimer = setTimeout(() => this.#unpack(), Math.max(0, due - performance.now())).unref()
  }

  /** Jobs waiting behind one that has run long move to idle (or new) workers, oldest first: jobs start in the order they came. */
  #unpack(): void {
    this.#unpackTimer = undefined
    if (this.#closed) return
    const now = performance.now()
    for (const slot of this.#slots) {
      if (this.#movableAt(slot) > now) continue
      // Its running job turned out long: short jobs are no longer packed onto it.
      slot.quick = false
      while (this.#movableAt(slot) <= now) {
        const next = slot.jobs[1]!
        if (!this.#withdraw(next)) break
        this.#assign(next, false)
      }
    }
    this.#watchPacked()
  }

  /** The worker with the fewest jobs, if it has room for one more. */
  #withRoom(): Slot | null {
    let best: Slot | null = null
    for (const slot of this.#slots) if (slot.jobs.length < (best?.jobs.length ?? JOBS_PER_WORKER)) best = slot
    return best
  }

  #post(slot: Slot, active: Active): void {
    if (slot.jobs.length === 0) {
      slot.worker.ref()
      slot.turnoverAt = performance.now()
    }
    active.claim = slot.freeClaims.pop()!
    slot.jobs.push(active)
    active.slot = slot
    Atomics.store(slot.claims, active.claim, active.id)
    const message: ToWorker = { type: 'run', jobId: active.id, path: active.job.path, input: active.job.input, claim: active.claim }
    slot.worker.postMessage(message)
  }

  /** Takes back a job its worker has not started; false once the worker has claimed it. */
  #withdraw(active: Active): boolean {
    const slot = active.slot
    if (slot === null || Atomics.compareExchange(slot.claims, active.claim, active.id, 0) !== active.id) return false
    this.#leave(slot, active)
    return true
  }

  #leave(slot: Slot, active: Active): void {
    slot.jobs.splice(slot.jobs.indexOf(active), 1)
    slot.freeClaims.push(active.claim)
    active.slot = null
  }

  /** After a job left `slot`: give it more work (queued, or taken back from a busy worker), or let it idle. */
  #refill(slot: Slot): void {
    // Closed: a thread that just finished a job takes no other (it would run an aborted job, or start a thread).
    if (this.#closed) return
    while (slot.jobs.length < JOBS_PER_WORKER && this.#queue.length > 0) this.#post(slot, this.#queue.shift()!)
    if (slot.jobs.length > 0) return
    // Nothing queued: take half of the jobs waiting in the busiest worker, newest first (not
    // short jobs packed onto a worker busy with short ones: they were put there on purpose, and end soon).
    let busiest: Slot | null = null
    const now = performance.now()
    for (const other of this.#slots) {
      if (other === slot || other.jobs.length < 2 || other.jobs.length <= (busiest?.jobs.length ?? 0)) continue
      if (!(other.jobs.length <= PACK_LIMIT && this.#busyWithShortJobs(other, now))) busiest = other
    }
    const taken: Active[] = []
    for (let i = busiest ? Math.ceil((busiest.jobs.length - 1) / 2) : 0; i > 0; i--) {
      const waiting = busiest!.jobs[busiest!.jobs.length - 1]!
      if (!this.#withdraw(waiting)) break
      taken.unshift(waiting)
    }
    for (const active of taken) this.#post(slot, active)
    if (taken.length > 0) return
    this.#rest(slot)
  }

  /** Puts a worker with no jobs among the idle ones, from where it retires if it stays idle and is not the last. */
  #rest(slot: Slot): void {
    slot.worker.unref()
    slot.idleSince = performance.now()
    this.#idle.push(slot)
    if (this.#slots.size > 1 && !this.#closed) this.#retireTimer ??= setTimeout(() => this.#retire(), this.#retireAfterMs).unref()
    // A thread to move packed jobs to: they may move sooner now.
    this.#watchPacked()
  }

  /** Terminates the workers that have idled for RETIRE_AFTER_MS, longest idle first, keeping at least one. */
  #retire(): void {
    this.#retireTimer = undefined
    const now = performance.now()
    // #idle is a stack (the most recently idle on top, used first): the longest idle are at the bottom.
    while (this.#slots.size > 1 && this.#idle.length > 0 && now - this.#idle[0]!.idleSince >= this.#retireAfterMs) {
      const slot = this.#idle.shift()!
      slot.retired = true
      this.#slots.delete(slot)
      void slot.worker.terminate()
    }
    const next = this.#idle[0]
    if (next !== undefined && this.#slots.size > 1) {
      this.#retireTimer = setTimeout(() => this.#retire(), next.idleSince + this.#retireAfterMs - now).unref()
    }
  }

  #abort(active: Active): void {
    if (active.aborted) return
    active.aborted = true
    const slot = active.slot
    if (slot === null) {
      const index = this.#queue.indexOf(active)
      if (index >= 0) this.#queue.splice(index, 1)
      active.finish({ kind: 'aborted' })
      return
    }
    if (this.#withdraw(active)) {
      active.finish({ kind: 'aborted' })
      if (slot.jobs.length === 0) this.#refill(slot)
      return
    }
    const message: ToWorker = { type: 'abort', jobId: active.id }
    slot.worker.postMessage(message)
    // A script stuck in a loop never reads the abort message: terminate() stops it anyway.
    const kill = (): void => {
      if (slot.jobs.includes(active)) void slot.worker.terminate()
    }
    if (this.#options.abortGraceMs > 0) setTimeout(kill, this.#options.abortGraceMs).unref()
    else kill()
  }

  #spawn(): Slot {
    const claims = new Int32Array(new SharedArrayBuffer(JOBS_PER_WORKER * Int32Array.BYTES_PER_ELEMENT))
    const freeClaims = Array.from({ length: JOBS_PER_WORKER }, (_, i) => JOBS_PER_WORKER - 1 - i)
    const usage = new BigInt64Array(new SharedArrayBuffer(3 * BigInt64Array.BYTES_PER_ELEMENT))
    const worker = new Worker(this.#options.entry, {
      name: 'taskdeck-script',
      resourceLimits: { maxOldGenerationSizeMb: this.#options.maxHeapMb },
      workerData: { claims, usage },
    })
    const slot: Slot = { worker, jobs: [], claims, freeClaims, online: false, turnoverAt: 0, quick: false, idleSince: 0, retired: false, usage, heapBytes: null, heapAsked: null }
    this.#slots.add(slot)
    worker.once('online', () => {
      slot.online = true
      // Its first job starts now: the time it took to start does not count as that job running long.
      if (slot.jobs.length > 0) slot.turnoverAt = performance.now()
    })
    worker.on('message', (message: FromWorker) => this.#onMessage(slot, message))
    worker.on('error', (error: Error) => {
      const active = slot.jobs[0]
      if (active) {
        this.#leave(slot, active)
        active.job.onOutput('stderr', `${error.stack ?? error.message}\n`)
        active.finish({ kind: 'crashed', reason: { kind: 'script-crashed', message: error.message } })
      }
    })
    worker.on('exit', (code) => {
      this.#slots.delete(slot)
      const idleIndex = this.#idle.indexOf(slot)
      if (idleIndex >= 0) this.#idle.splice(idleIndex, 1)
      const requeue: Active[] = []
      for (const active of slot.jobs.splice(0)) {
        active.slot = null
        const started = Atomics.compareExchange(slot.claims, active.claim, active.id, 0) !== active.id
        if (active.aborted || this.#closed) active.finish({ kind: 'aborted' })
        // A job that was only waiting in this worker runs on another, unless the worker never came up (a broken entry).
        else if (!started && slot.online) requeue.push(active)
        else active.finish({ kind: 'crashed', reason: { kind: 'script-worker-exited', exitCode: code } })
      }
      if (this.#closed || slot.retired) return
      const pending = [...requeue, ...this.#queue.splice(0)]
      // Keep the pool warm: a replacement is ready before the next run asks for it.
      if (pending.length === 0 && slot.online) this.#rest(this.#spawn())
      for (const active of pending) this.#assign(active)
    })
    return slot
  }

  #onMessage(slot: Slot, events: FromWorker): void {
    for (const event of events) this.#onEvent(slot, event)
  }

  #onEvent(slot: Slot, event: WorkerEvent): void {
    const active = slot.jobs.find((job) => job.id === event.jobId)
    if (!active) return
    switch (event.type) {
      case 'output':
        active.job.onOutput(event.stream, event.text)
        return
      case 'progress':
        active.job.onProgress(event.done, event.total, event.message)
        return
      case 'result':
        active.finish(active.aborted ? { kind: 'aborted' } : { kind: 'result', value: event.value })
        this.#ended(slot, active)
        return
      case 'error':
        active.finish(active.aborted ? { kind: 'aborted' } : { kind: 'error', message: event.message, stack: event.stack })
        this.#ended(slot, active)
        return
    }
  }

  #ended(slot: Slot, active: Active): void {
    const now = performance.now()
    slot.quick = now - slot.turnoverAt < this.#packWindowMs
    slot.turnoverAt = now
    this.#leave(slot, active)
    this.#refill(slot)
  }
}
