import { closeSync, openSync, readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { apiFilePath, readApiFile, type ApiInfo } from '../server/api-file.ts'
import { CliError, EXIT } from './exit.ts'

export const DAEMON_LOG = 'daemon.log'

/**
 * True when a process with this pid runs (it may belong to someone else: EPERM). A zombie
 * counts as gone: where init does not reap orphans, a stopped daemon lingers as one.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  return !isZombie(pid)
}

function isZombie(pid: number): boolean {
  try {
    // /proc/PID/stat: "pid (comm) state …"; comm may contain spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z'
  } catch {
    return false
  }
}

/** The API file of a Taskdeck that is running for `home`, or null (none, or a stale file). */
export async function runningServer(home: string): Promise<ApiInfo | null> {
  const read = await readApiFile(home)
  if (read.kind === 'invalid') throw new CliError(EXIT.unreachable, 'unreachable', read.message)
  if (read.kind === 'missing' || !processAlive(read.info.pid)) return null
  return read.info
}

const STARTUP_TIMEOUT_MS = 30_000
const POLL_MS = 25

/**
 * Starts `taskdeck serve` detached from this terminal, logging to `<home>/daemon.log`, and
 * returns once it has written its API file. The same entry script is re-run so source and
 * built installs behave alike.
 */
export async function startDaemon(home: string, port: number | undefined): Promise<ApiInfo> {
  const logPath = join(home, DAEMON_LOG)
  const log = openSync(logPath, 'a', 0o600)
  const entry = process.argv[1]
  if (entry === undefined) throw new CliError(EXIT.failed, 'daemon', 'Cannot tell which script to start the daemon from.')
  const args = [...process.execArgv, entry, 'serve', '--home', home, ...(port === undefined ? [] : ['--port', String(port)])]
  // Loaded here, not at the top: child_process costs every other command ~4 ms of start-up.
  const { spawn } = process.getBuiltinModule('node:child_process')
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], env: { ...process.env, NO_COLOR: '1' } })
  closeSync(log)
  const startup: { exited: { code: number | null; signal: string | null } | null } = { exited: null }
  child.once('exit', (code, signal) => (startup.exited = { code, signal }))
  child.unref()

  const deadline = Date.now() + STARTUP_TIMEOUT_MS
  for (;;) {
    const read = await readApiFile(home)
    if (read.kind === 'found' && read.info.pid === child.pid) return read.info
    if (startup.exited !== null) {
      const { code, signal } = startup.exited
      throw new CliError(EXIT.failed, 'daemon', `The daemon stopped during start-up (${signal ?? `exit code ${code}`}). ${logTail(logPath)}`)
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM')
      throw new CliError(EXIT.failed, 'daemon', `The daemon did not start within ${STARTUP_TIMEOUT_MS / 1000} s. ${logTail(logPath)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

function logTail(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').slice(-10)
    return `Last lines of ${path}:\n${lines.join('\n')}`
  } catch {
    return `See ${path}.`
  }
}

/** Asks the server process to stop (SIGTERM: it closes the engine and removes api.json) and waits until it is gone. */
export async function stopServer(info: ApiInfo, home: string): Promise<void> {
  process.kill(info.pid, 'SIGTERM')
  const deadline = Date.now() + STARTUP_TIMEOUT_MS
  while (processAlive(info.pid)) {
    if (Date.now() > deadline) throw new CliError(EXIT.failed, 'stop', `Process ${info.pid} did not stop within ${STARTUP_TIMEOUT_MS / 1000} s.`)
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
  // A server killed without its shutdown leaves a stale file; it must not mislead the next client.
  const left = await readApiFile(home)
  if (left.kind === 'found' && left.info.pid === info.pid) await rm(apiFilePath(home), { force: true })
}
