import { Worker } from 'node:worker_threads'
import type { FromWorker, ToWorker } from './script-protocol.ts'

export interface WorkerPoolOptions {
  /** The worker's entry module (script-worker.ts in source, out/main/script-worker.js when built). */
  entry: URL | string
  /** Most workers alive at once; jobs beyond that wait for a free worker. */
  size: number
  /** After an abort, how long a script may take to end on its own before its worker is terminated. */
  abortGraceMs: number
  /**
   * Heap limit per worker. A script that reaches it ends with its worker, instead of taking
   * the whole process down with it as an out-of-memory crash would.
   */
  maxHeapMb: number
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
  | { kind: 'crashed'; reason: string }

export interface PooledJob {
  readonly done: Promise<JobEnd>
  /** Stops the job: asks the script to end, then terminates its worker after the grace period. */
  abort(): void
}

interface Slot {
  readonly worker: Worker
  job: Active | null
  /** Whether the worker started; one that never did is not replaced, so a broken entry cannot respawn forever. */
  online: boolean
}

interface Active {
  readonly id: number
  readonly job: ScriptJob
  /** Settles the job's `done`; later calls do nothing. */
  finish(end: JobEnd): void
  slot: Slot | null
  aborted: boolean
}

/**
 * A fixed-size pool of worker threads, each running one script job at a time. Idle
 * workers stay warm (and unref'd, so they never keep the process alive); a worker that
 * was terminated or crashed is replaced.
 */
export class WorkerPool {
  readonly #options: WorkerPoolOptions
  readonly #slots = new Set<Slot>()
  readonly #idle: Slot[] = []
  readonly #queue: Active[] = []
  #nextJobId = 1
  #closed = false

  constructor(options: WorkerPoolOptions) {
    this.#options = options
  }

  get size(): number {
    return this.#options.size
  }

  run(job: ScriptJob): PooledJob {
    let settle!: (end: JobEnd) => void
    const done = new Promise<JobEnd>((resolvePromise) => (settle = resolvePromise))
    let settled = false
    const active: Active = {
      id: this.#nextJobId++,
      job,
      slot: null,
      aborted: false,
      finish(end) {
        if (settled) return
        settled = true
        settle(end)
      },
    }
    if (this.#closed) active.finish({ kind: 'crashed', reason: 'the script runner is closed' })
    else this.#assign(active)
    return { done, abort: () => this.#abort(active) }
  }

  /** Terminates every worker; jobs still running or waiting end as aborted. */
  async close(): Promise<void> {
    this.#closed = true
    for (const waiting of this.#queue.splice(0)) waiting.finish({ kind: 'aborted' })
    await Promise.all(
      [...this.#slots].map((slot) => {
        if (slot.job) slot.job.aborted = true
        return slot.worker.terminate()
      }),
    )
  }

  /** Runs the job on `freed` (a worker that just finished), an idle or a new worker, or queues it. */
  #assign(active: Active, freed: Slot | null = null): void {
    const slot = freed ?? this.#idle.pop() ?? (this.#slots.size < this.#options.size ? this.#spawn() : null)
    if (slot === null) {
      this.#queue.push(active)
      return
    }
    slot.job = active
    active.slot = slot
    slot.worker.ref()
    const message: ToWorker = { type: 'run', jobId: active.id, path: active.job.path, input: active.job.input }
    slot.worker.postMessage(message)
  }

  #release(slot: Slot): void {
    slot.job = null
    const next = this.#queue.shift()
    if (next) {
      this.#assign(next, slot)
      return
    }
    slot.worker.unref()
    this.#idle.push(slot)
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
    const message: ToWorker = { type: 'abort', jobId: active.id }
    slot.worker.postMessage(message)
    // A script stuck in a loop never reads the abort message: terminate() stops it anyway.
    const kill = (): void => {
      if (slot.job === active) void slot.worker.terminate()
    }
    if (this.#options.abortGraceMs > 0) setTimeout(kill, this.#options.abortGraceMs).unref()
    else kill()
  }

  #spawn(): Slot {
    const worker = new Worker(this.#options.entry, {
      name: 'taskdeck-script',
      resourceLimits: { maxOldGenerationSizeMb: this.#options.maxHeapMb },
    })
    const slot: Slot = { worker, job: null, online: false }
    this.#slots.add(slot)
    worker.once('online', () => (slot.online = true))
    worker.on('message', (message: FromWorker) => this.#onMessage(slot, message))
    worker.on('error', (error: Error) => {
      const active = slot.job
      if (active) {
        active.job.onOutput('stderr', `${error.stack ?? error.message}\n`)
        active.finish({ kind: 'crashed', reason: `the script crashed its worker: ${error.message}` })
      }
    })
    worker.on('exit', (code) => {
      this.#slots.delete(slot)
      const idleIndex = this.#idle.indexOf(slot)
      if (idleIndex >= 0) this.#idle.splice(idleIndex, 1)
      const active = slot.job
      slot.job = null
      if (active) {
        if (active.aborted) active.finish({ kind: 'aborted' })
        else active.finish({ kind: 'crashed', reason: `the script's worker exited with code ${code}` })
      }
      if (this.#closed) return
      // Keep the pool warm: a replacement is ready before the next run asks for it.
      const next = this.#queue.shift()
      if (next) this.#assign(next)
      else if (slot.online) this.#idle.push(this.#unrefd(this.#spawn()))
    })
    return slot
  }

  #unrefd(slot: Slot): Slot {
    slot.worker.unref()
    return slot
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    const active = slot.job
    if (active?.id !== message.jobId) return
    switch (message.type) {
      case 'output':
        active.job.onOutput(message.stream, message.text)
        return
      case 'progress':
        active.job.onProgress(message.done, message.total, message.message)
        return
      case 'result':
        active.finish(active.aborted ? { kind: 'aborted' } : { kind: 'result', value: message.value })
        this.#release(slot)
        return
      case 'error':
        active.finish(active.aborted ? { kind: 'aborted' } : { kind: 'error', message: message.message, stack: message.stack })
        this.#release(slot)
        return
    }
  }
}
