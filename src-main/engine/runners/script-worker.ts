/**
 * A worker thread of the script pool. It runs one script job at a time: imports the
 * module, calls its default export with (input, api) and posts output, progress and the
 * result back. Everything the script prints through `console` goes to the run's log.
 */
import { Console } from 'node:console'
import { readlinkSync, statSync } from 'node:fs'
import { Writable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import { format } from 'node:util'
import { parentPort, workerData } from 'node:worker_threads'
import type { FromWorker, ToWorker, WorkerEvent } from './script-protocol.ts'

/** What a script's default export receives as its second argument. */
export interface ScriptApi {
  progress(done: number, total?: number | null, message?: string): void
  log(...args: unknown[]): void
  readonly signal: AbortSignal
}

type ScriptMain = (input: unknown, api: ScriptApi) => unknown

/** Progress is sent at most this often, so a tight loop calling progress() cannot flood the main thread. */
const PROGRESS_INTERVAL_MS = 50

const port = parentPort
if (port === null) throw new Error('script-worker must run in a worker thread')

/** The running job; its AbortController is made only if the script reads `api.signal` (most never do). */
let current: { jobId: number; controller: AbortController | null; aborted: boolean } | null = null
const post = (message: FromWorker): void => port.postMessage(message)

const streamTo = (stream: 'stdout' | 'stderr'): Writable =>
  new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      if (current) post([{ type: 'output', jobId: current.jobId, stream, text: chunk.toString() }])
      callback()
    },
  })
const stdout = streamTo('stdout')
const stderr = streamTo('stderr')
// Writes to these streams never fail, so Console need not add and remove an 'error' listener around each call.
globalThis.console = new Console({ stdout, stderr, ignoreErrors: false })
// Direct writes too, synchronously, so they stay in order with everything else the job posts.
process.stdout.write = stdout.write.bind(stdout)
process.stderr.write = stderr.write.bind(stderr)

const { claims, usage } = workerData as { claims: Int32Array; usage?: BigInt64Array }
/**
 * Where the pool reads this thread's CPU time (docs/architecture.md, "Usage"): [0] this thread's
 * id in the kernel (Linux: /proc/self/task/TID/stat), [1] the job now running, [2] the
 * thread's CPU time (µs) when it started. Written here, read by the pool without a message, so
 * a script busy in a loop is measured too.
 */
if (usage !== undefined) {
  try {
    usage[0] = BigInt(readlinkSync('/proc/thread-self').split('/').pop()!)
  } catch {
    // No /proc: the pool measures no CPU here.
  }
}
const markStart = (jobId: number): void => {
  if (usage === undefined || usage[0] === 0n) return
  const cpu = process.threadCpuUsage()
  Atomics.store(usage, 2, BigInt(cpu.user + cpu.system))
  Atomics.store(usage, 1, BigInt(jobId))
}
type RunMessage = Extract<ToWorker, { type: 'run' }>
/** Jobs posted while one runs (the pool hands the next one over early); each runs only if still ours to claim. */
const waiting: RunMessage[] = []
let running = false

port.on('message', (message: ToWorker) => {
  if (message.type === 'abort') {
    if (current?.jobId === message.jobId) {
      current.aborted = true
      current.controller?.abort()
    }
    return
  }
  waiting.push(message)
  if (!running) startNext()
})

function startNext(): void {
  for (let job = waiting.shift(); job; job = waiting.shift()) {
    // The pool took it back (cancelled, or moved to a free worker): skip it.
    if (Atomics.compareExchange(claims, job.claim, job.jobId, 0) !== job.jobId) continue
    const pending = runJob(job.jobId, job.path, job.input)
    // A script that returned a plain value has ended already: go on with the next job at once.
    if (pending === undefined) continue
    running = true
    void pending.finally(() => {
      running = false
      startNext()
    })
    return
  }
}

/**
 * Runs one job. A loaded script that returns a value (not a promise) ends within this call
 * and posts its result at once, without awaiting anything: no promise, no extra microtask
 * turns, the next job starts in the same turn. Otherwise the returned promise settles when
 * the job has ended.
 */
function runJob(jobId: number, path: string, input: unknown): Promise<void> | undefined {
  const job: NonNullable<typeof current> = { jobId, controller: null, aborted: false }
  current = job
  markStart(jobId)
  let lastProgressAt = Number.NEGATIVE_INFINITY
  let pendingProgress: WorkerEvent | null = null
  const api: ScriptApi = {
    progress(done, total = null, message) {
      pendingProgress = { type: 'progress', jobId, done, total, ...(message !== undefined ? { message: String(message) } : {}) }
      const now = performance.now()
      if (now - lastProgressAt >= PROGRESS_INTERVAL_MS || done === total) {
        lastProgressAt = now
        post([pendingProgress])
        pendingProgress = null
      }
    },
    log: (...args) => post([{ type: 'output', jobId, stream: 'stdout', text: `${format(...args)}\n` }]),
    get signal() {
      if (job.controller === null) {
        job.controller = new AbortController()
        if (job.aborted) job.controller.abort()
      }
      return job.controller.signal
    },
  }
  // The job's last progress (if throttled) travels in the same message as its end.
  const end = (last: WorkerEvent): void => {
    post(pendingProgress ? [pendingProgress, last] : [last])
    pendingProgress = null
    if (current === job) current = null
  }
  const fail = (error: unknown): void => {
    const message = error instanceof Error ? error.message : `threw a non-error value: ${format(error)}`
    const stack = error instanceof Error ? (error.stack ?? message) : message
    end({ type: 'error', jobId, message, stack })
  }
  const succeed = (value: unknown): void => {
    let json: unknown
    try {
      json = toJson(value)
    } catch (error) {
      fail(error)
      return
    }
    end({ type: 'result', jobId, value: json })
  }
  let value: unknown
  try {
    const main = loadScript(path)
    if (typeof main !== 'function') return main.then((loaded) => loaded(input, api)).then(succeed, fail)
    value = main(input, api)
  } catch (error) {
    fail(error)
    return undefined
  }
  if (isThenable(value)) return Promise.resolve(value).then(succeed, fail)
  succeed(value)
  return undefined
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'

/** Loaded scripts by path, with the version they were loaded at, so a warm worker starts a known script at once. */
const loaded = new Map<string, { version: string; main: ScriptMain }>()

function loadScript(path: string): ScriptMain | Promise<ScriptMain> {
  // An edited file (new mtime or size) is imported again under a new URL: the module
  // cache is per URL, so the old version is never reused.
  const info = statSync(path)
  const version = `${info.mtimeMs}-${info.size}`
  const cached = loaded.get(path)
  if (cached?.version === version) return cached.main
  return importScript(path, version)
}

async function importScript(path: string, version: string): Promise<ScriptMain> {
  const url = pathToFileURL(path)
  url.search = `?v=${version}`
  const module = (await import(url.href)) as { default?: unknown }
  if (typeof module.default !== 'function') {
    throw new Error(`${path} has no default export function; write: export default (input, api) => result`)
  }
  const main = module.default as ScriptMain
  loaded.set(path, { version, main })
  return main
}

/** The run's result is stored as JSON: convert here, in the worker, so a bad value fails the run clearly. */
function toJson(value: unknown): unknown {
  if (value === undefined) return null
  try {
    const text = JSON.stringify(value)
    return text === undefined ? null : JSON.parse(text)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new Error(`the script's result cannot be stored as JSON: ${reason}`, { cause: error })
  }
}
