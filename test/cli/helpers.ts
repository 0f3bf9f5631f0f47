import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, expect } from 'vitest'
import { tempHome } from '../support/engine.ts'

export const BIN = resolve(import.meta.dirname, '../../bin/taskdeck.js')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  json<T = Record<string, unknown>>(): T
}

/** The environment every CLI process in the tests gets: the sources, a temp home, no colour. */
export function cliEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TASKDECK_HOME: home, TASKDECK_CLI_FROM_SOURCE: '1', NO_COLOR: '1', ...extra }
  delete env.TASKDECK_AUTOSTART
  delete env.FORCE_COLOR
  return env
}

/** Starts `taskdeck ARGS…` as a real process. */
export function spawnCli(home: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? process.cwd(), env: cliEnv(home, options.env), stdio: ['pipe', 'pipe', 'pipe'] })
}

/** Runs `taskdeck ARGS…` to completion. */
export function runCli(home: string, args: readonly string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const child = spawnCli(home, args, options)
  return collect(child, options.input)
}

export function collect(child: ChildProcess, input?: string): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  child.stdin?.end(input)
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) =>
      resolve({
        code,
        stdout,
        stderr,
        json: <T>() => {
          try {
            return JSON.parse(stdout) as T
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}): ${stdout}\nstderr: ${stderr}`)
          }
        },
      }),
    )
  })
}

export interface ServeProcess {
  child: ChildProcess
  home: string
  info: { url: string; browserUrl: string; port: number; pid: number; home: string }
  /** SIGTERM, then the exit code once the process has ended. */
  stop(): Promise<number | null>
}

/** `taskdeck serve --json` in a temp home; resolves once it printed where it listens. */
export async function startServe(home: string): Promise<ServeProcess> {
  const child = spawnCli(home, ['serve', '--json'])
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const lines = createInterface({ input: child.stdout! })
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve)
    void exited.then((code) => reject(new Error(`serve exited (${code}) before it was ready: ${stderr}`)))
  })
  return {
    child,
    home,
    info: JSON.parse(first) as ServeProcess['info'],
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}

export interface ServeFixture {
  /** The data directory `taskdeck serve` runs on. */
  readonly home: string
  /** A temp folder (resolved: it is what tasks see as their cwd) that holds `home`; the CLI runs in it. */
  readonly work: string
  /** The running `taskdeck serve` (only inside tests). */
  readonly info: ServeProcess['info']
  readonly child: ChildProcess
  /** Runs `taskdeck ARGS…` in `work` against this home. */
  readonly cli: (...args: string[]) => Promise<CliResult>
}

/**
 * One `taskdeck serve` for the file's tests, in a temp folder: started before the first test;
 * after the last, SIGTERM must stop it cleanly (exit 0, api.json removed), then the folder goes.
 */
export function useServe(): ServeFixture {
  const dir = tempHome()
  const work = realpathSync(dir.home)
  const home = join(work, 'home')
  let serve: ServeProcess | null = null
  const running = (): ServeProcess => {
    if (!serve) throw new Error('useServe: taskdeck serve runs only while the tests do')
    return serve
  }
  beforeAll(async () => {
    serve = await startServe(home)
  })
  afterAll(async () => {
    try {
      if (serve) {
        expect(await serve.stop()).toBe(0)
        expect(existsSync(join(home, 'api.json'))).toBe(false)
      }
    } finally {
      serve = null
      dir.cleanup()
    }
  })
  return {
    home,
    work,
    get info() {
      return running().info
    },
    get child() {
      return running().child
    },
    cli: (...args) => runCli(home, args, { cwd: work }),
  }
}

/** Resolves once `text` has appeared on the child's stdout. */
export function waitForOutput(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = ''
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8')
      if (seen.includes(text)) {
        child.stdout?.off('data', onData)
        resolve()
      }
    }
    child.stdout?.on('data', onData)
    child.once('exit', () => reject(new Error(`exited before printing ${JSON.stringify(text)}; printed: ${seen}`)))
  })
}

/** Live (non-zombie) processes whose command line contains `argument`. */
export function processesWithArgument(argument: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(argument)
      } catch {
        return false
      }
    })
    .map(Number)
}
