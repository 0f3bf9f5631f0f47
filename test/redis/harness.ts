import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { LogStream, Progress } from '../../src-shared/index.ts'
import type { RunContext } from '../../src-main/engine/runners/types.ts'
import { freePort } from '../support/net.ts'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const WORKER_MAIN = join(ROOT, 'src-main/worker/main.ts')


export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `taskdeck-${prefix}-`))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

/** Resolves with the first line of `child`'s stdout matching `pattern`; rejects if it exits first. */
export function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    let seen = ''
    const onExit = (code: number | null) => reject(new Error(`${what} exited (${code}) before printing ${pattern}:\n${seen}`))
    lines.on('line', (line) => {
      seen += `${line}\n`
      if (pattern.test(line)) {
        child.off('exit', onExit)
        lines.close()
        // Keep draining, so a chatty child never blocks on a full pipe.
        child.stdout!.resume()
        resolve(line)
      }
    })
    child.once('exit', onExit)
  })
}

export interface RedisServer {
  readonly url: string
  readonly port: number
  /** SIGKILL: nothing is flushed beyond what AOF (appendfsync always) already has. */
  kill(): Promise<void>
  /** Starts again on the same port and directory, loading the AOF. */
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * A real redis-server on a free port in a temp directory, with AOF fsynced on every write
 * so that "accepted" means durable, as in the production advice for BullMQ.
 */
export async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  const dir = await tempDir('redis')
  const port = await freePort()
  let child: ChildProcess | null = null
  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir.path, '--appendonly', 'yes']
    args.push('--appendfsync', 'always', '--save', '', '--daemonize', 'no', '--loglevel', 'notice', ...extraArgs)
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'inherit'] })
    child = started
    await waitForLine(started, /Ready to accept connections/, 'redis-server')
  }
  const kill = async () => {
    const running = child
    child = null
    if (!running || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGKILL')
    await exited
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    start,
    stop: async () => {
      await kill()
      await dir.remove()
    },
  }
}

export interface WorkerProcess {
  readonly child: ChildProcess
  readonly id: string
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>
  stop(): Promise<void>
}

/** A real `taskdeck worker` process (src-main/worker/main.ts run by Node with type stripping). */
export async function spawnWorker(
  url: string,
  group: string,
  options: { concurrency?: number; tag?: string; extraArgs?: string[]; env?: NodeJS.ProcessEnv; productionTimings?: boolean } = {},
): Promise<WorkerProcess> {
  const args = [WORKER_MAIN, '--redis', url, '--group', group, '--concurrency', String(options.concurrency ?? 2)]
  // Short locks so a killed worker is noticed in about a second instead of 30.
  if (!options.productionTimings) args.push('--lock-duration', '1000', '--stalled-interval', '500', '--heartbeat', '500')
  if (options.tag) args.push('--tag', options.tag)
  args.push(...(options.extraArgs ?? []))
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT, env: { ...process.env, ...options.env } })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const line = await waitForLine(child, /taskdeck worker (\S+) serves group/, 'taskdeck worker')
  child.stdout.resume()
  const id = /taskdeck worker (\S+) serves group/.exec(line)![1]!
  return {
    child,
    id,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}

/** A RunContext that records what a backend reports, the way the engine would receive it. */
export class RecordingContext implements RunContext {
  readonly runId: number
  readonly taskId: number
  readonly attempt: number
  readonly controller = new AbortController()
  readonly signal = this.controller.signal
  readonly chunks: { stream: LogStream; data: Buffer }[] = []
  readonly progresses: Progress[] = []

  constructor(runId: number, taskId = runId, attempt = 1) {
    this.runId = runId
    this.taskId = taskId
    this.attempt = attempt
  }

  output(stream: LogStream, chunk: Uint8Array | string): void {
    this.chunks.push({ stream, data: Buffer.from(chunk) })
  }

  progress(progress: Progress): void {
    this.progresses.push(progress)
  }

  text(stream: LogStream): string {
    return Buffer.concat(this.chunks.filter((c) => c.stream === stream).map((c) => c.data)).toString()
  }
}

/** Polls `condition` until it holds; for states that have no event to wait on (a process's output file). */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
