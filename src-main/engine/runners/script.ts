import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { TaskdeckError } from '../../../src-shared/index.ts'
import type { RunOutcome, Runner } from './types.ts'
import { WorkerPool } from './worker-pool.ts'
import { workerEntryBeside } from '../bundle-entry.ts'
import type { JobEnd } from './worker-pool.ts'
import { relativePathProblem } from './paths.ts'

/** Where script-worker lives next to this module: its .ts source, or out/main/script-worker.js in the build (see workerEntryBeside). */
export function defaultScriptWorkerEntry(): URL {
  return workerEntryBeside(import.meta.url, 'script-worker')
}

export interface ScriptRunnerOptions {
  /** Where script-worker lives: `new URL('./script-worker.ts', import.meta.url)` in source, out/main/script-worker.js when built. */
  workerEntry: URL | string
  /** Worker threads at most (started as long scripts need them); defaults to the machine's available parallelism. */
  poolSize?: number
  /** After cancel or timeout, how long a script may take to notice `api.signal` before its worker is terminated. */
  abortGraceMs?: number
  /** Heap limit of each worker thread, MB; a script that exceeds it fails alone. */
  maxHeapMb?: number
}

export interface ScriptRunner extends Runner<'script'> {
  readonly poolSize: number
  /** Terminates every worker thread. */
  close(): Promise<void>
}

/**
 * Runs a JavaScript module's default export `(input, api) => result` in a worker-thread
 * pool, so CPU-bound work never runs on the main thread. Cancel and timeout terminate the
 * worker; the pool replaces it.
 */
export function createScriptRunner(options: ScriptRunnerOptions): ScriptRunner {
  const poolSize = Math.max(1, Math.floor(options.poolSize ?? availableParallelism()))
  const pool = new WorkerPool({
    entry: options.workerEntry,
    size: poolSize,
    abortGraceMs: options.abortGraceMs ?? 200,
    maxHeapMb: options.maxHeapMb ?? 2048,
  })

  return {
    kind: 'script',
    poolSize,
    async check(spec) {
      const path = resolve(spec.path)
      const refuse = (message: string): never => {
        throw new TaskdeckError('bad_request', `definition.spec.path: ${message}`, {
          issues: [{ path: 'definition.spec.path', message }],
        })
      }
      const relative = relativePathProblem(spec.path)
      if (relative) return refuse(relative)
      const info = await stat(path).catch(() => null)
      if (info === null) return refuse(`${path} does not exist`)
      if (!info.isFile()) return refuse(`${path} is not a file`)
      await access(path, constants.R_OK).catch(() => refuse(`${path} is not readable`))
    },
    start(spec, context) {
      const job = pool.run({
        path: resolve(spec.path),
        input: spec.input ?? null,
        onOutput: (stream, text) => context.output(stream, text),
        onProgress: (done, total, message) => context.progress({ done, total, ...(message !== undefined ? { message } : {}) }),
      })
      if (context.signal.aborted) job.abort()
      else context.signal.addEventListener('abort', () => job.abort(), { once: true })
      const done = job.done.then((end) => toOutcome(end, context.output.bind(context)))
      return { pid: null, done, usage: { scope: 'worker-thread', read: () => job.usage() } }
    },
    close: () => pool.close(),
  }
}

function toOutcome(end: JobEnd, output: (stream: 'stderr', text: string) => void): RunOutcome {
  switch (end.kind) {
    case 'result':
      return { exitCode: 0, signal: null, failure: null, result: end.value }
    case 'error':
      output('stderr', `${end.stack}\n`)
      return { exitCode: null, signal: null, failure: { kind: 'script-error', message: end.message } }
    case 'aborted':
      return { exitCode: null, signal: null, failure: { kind: 'script-stopped' } }
    case 'crashed':
      return { exitCode: null, signal: null, failure: end.reason }
  }
}
