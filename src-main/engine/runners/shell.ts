import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import { TaskdeckError, refusal, type EndReason, type ShellSpec } from '../../../src-shared/index.ts'
import { GroupReaper, procStat, processStartTicks } from './process-groups.ts'
import type { Runner, RunContext, RunOutcome, StartedRun } from './types.ts'
import { ProcessGroupUsage, canMeasure } from './usage.ts'

export interface ShellRunnerOptions {
  /** Time between SIGTERM and SIGKILL when a run is cancelled or times out. */
  killGraceMs?: number
  /**
   * Whether a reaper process kills the runs' process groups if this process dies without
   * stopping them (SIGKILL, crash); default true. Off only to test the engine's restart-time
   * cleanup on its own.
   */
  orphanReaper?: boolean
  /** Where the reaper keeps its registry: the owner's state directory (the engine's data home); default the system's temporary directory. */
  reaperDir?: string
}

const isWindows = process.platform === 'win32'

/**
 * Runs shell tasks as child processes in their own process group (`detached`), so that
 * cancel, timeout and pause reach the whole tree: SIGTERM to the group, a grace period,
 * then SIGKILL. A string command goes to the user's shell explicitly; an argv array is
 * spawned with no shell at all, so nothing in it is ever interpreted.
 */
export function createShellRunner(options: ShellRunnerOptions = {}): Runner<'shell'> {
  const killGraceMs = options.killGraceMs ?? 5000
  const reaper = options.orphanReaper === false || isWindows ? null : new GroupReaper({ graceMs: killGraceMs, registryDir: options.reaperDir })
  return {
    kind: 'shell',
    check(spec) {
      if (spec.cwd !== undefined) {
        const problem = cwdProblem(spec.cwd)
        if (problem) throw new TaskdeckError('bad_request', `definition.spec.cwd: ${problem}`, { issues: [{ path: 'definition.spec.cwd', message: problem }] })
      }
      return Promise.resolve()
    },
    start(spec, context) {
      return startShell(spec, context, killGraceMs, reaper)
    },
    dispose() {
      reaper?.dispose()
    },
  }
}

function cwdProblem(cwd: string): string | null {
  try {
    return statSync(cwd).isDirectory() ? null : `${cwd} is not a directory`
  } catch {
    // "~/project" is a shell's way of writing it, but no shell reads this field.
    return `directory ${cwd} does not exist${cwd === '~' || cwd.startsWith('~/') ? ' (~ is not expanded here: give the full path)' : ''}`
  }
}

function commandLine(spec: ShellSpec): { file: string; args: string[] } {
  if (Array.isArray(spec.command)) return { file: spec.command[0]!, args: spec.command.slice(1) }
  if (isWindows) return { file: spec.shell ?? process.env.ComSpec ?? 'cmd.exe', args: ['/d', '/s', '/c', spec.command] }
  const file = spec.shell ?? process.env.SHELL ?? '/bin/sh'
  // bash -c reads ~/.bashrc when its stdin is a socket (it takes that for rshd/sshd) and SHLVL
  // is unset or 0, as when the engine was started by a desktop launcher or systemd: Node's stdin
  // pipe is a socketpair, so every task would run the user's interactive set-up. --norc keeps a
  // task's shell as plain as `sh -c` (pueue's) whoever started the engine.
  return { file, args: basename(file) === 'bash' ? ['--norc', '-c', spec.command] : ['-c', spec.command] }
}

function finished(outcome: RunOutcome): StartedRun {
  return { pid: null, done: Promise.resolve(outcome) }
}

function startShell(spec: ShellSpec, context: RunContext, killGraceMs: number, reaper: GroupReaper | null): StartedRun {
  if (spec.cwd !== undefined && cwdProblem(spec.cwd)) {
    return finished({ exitCode: null, signal: null, failure: { kind: 'cwd-missing', cwd: spec.cwd } })
  }
  const { file, args } = commandLine(spec)
  let child: ChildProcess
  try {
    child = spawn(file, args, {
      cwd: spec.cwd,
      env: spec.env ? { ...process.env, ...spec.env } : process.env,
      detached: !isWindows,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    })
  } catch (error) {
    return finished(spawnFailed(error, file))
  }
  const pid = child.pid ?? null
  // Read in the turn of the spawn: the child cannot have been reaped yet, so this is its start time.
  const startTicks = pid !== null ? processStartTicks(pid) : null
  if (reaper && pid !== null && startTicks !== null) reaper.register({ pgid: pid, startTicks })
  child.stdout!.on('data', (chunk: Buffer) => context.output('stdout', chunk))
  child.stderr!.on('data', (chunk: Buffer) => context.output('stderr', chunk))
  // A run that exits without reading its stdin makes our writes fail with EPIPE; that is not an error of the run.
  child.stdin!.on('error', () => {})
  if (spec.stdin !== undefined) child.stdin!.end(spec.stdin)

  const group = pid !== null ? new ProcessGroup(pid) : null
  let killTimer: NodeJS.Timeout | null = null
  const stop = () => {
    if (!group) return
    group.signal('SIGTERM')
    // A stopped (paused) process only acts on SIGTERM once continued.
    group.signal('SIGCONT')
    killTimer = setTimeout(() => group.signal('SIGKILL'), killGraceMs)
  }
  if (context.signal.aborted) stop()
  else context.signal.addEventListener('abort', stop, { once: true })

  const done = new Promise<RunOutcome>((resolve) => {
    let spawnError: EndReason | null = null
    child.once('error', (error) => {
      spawnError = spawnProblem(error, file)
      // When spawning itself failed there is no process and 'close' may never come.
      if (child.pid === undefined) resolve(spawnFailed(error, file))
    })
    // 'close' (not 'exit'): stdout and stderr are drained, so the log is complete.
    child.once('close', (code, signal) => {
      context.signal.removeEventListener('abort', stop)
      const settle = () => {
        if (killTimer) clearTimeout(killTimer)
        if (reaper && pid !== null) reaper.unregister(pid)
        resolve({ exitCode: code, signal, failure: spawnError })
      }
      // On cancel, the leader may be gone while members of its group linger: wait for them (up to the SIGKILL).
      if (context.signal.aborted && group) void group.waitUntilGone(killGraceMs + 1000).then(settle)
      else settle()
    })
  })
  return {
    pid,
    startTicks,
    done,
    // Windows has no SIGSTOP: a shell run there cannot be paused, and says so by having no pause().
    pause: group && !isWindows ? () => group.signal('SIGSTOP') : undefined,
    resume: group && !isWindows ? () => group.signal('SIGCONT') : undefined,
    usage: canMeasure && pid !== null ? new ProcessGroupUsage(pid) : undefined,
    send(text: string) {
      if (!child.stdin || child.stdin.writableEnded || child.stdin.destroyed) {
        throw refusal('stdin-closed', 'This run\'s stdin is closed (its stdin text was already written, or it has ended).', {})
      }
      child.stdin.write(text)
    },
  }
}

/**
 * A program that could not be started ends with the exit code a shell gives it, so that
 * `follow`, scripts and tsp/pueue habits read it as they would a shell's: 127 not found,
 * 126 found but not executable (POSIX, "Command Search and Execution"); any other failure to
 * start has no code (`follow` then exits 1).
 */
function spawnFailed(error: unknown, file: string): RunOutcome {
  const failure = spawnProblem(error, file)
  const exitCode = failure.kind === 'executable-not-found' ? 127 : failure.kind === 'permission-denied' ? 126 : null
  return { exitCode, signal: null, failure }
}

function spawnProblem(error: unknown, file: string): EndReason {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return { kind: 'executable-not-found', file }
  if (code === 'EACCES') return { kind: 'permission-denied', file }
  return { kind: 'spawn-failed', file, message: error instanceof Error ? error.message : String(error) }
}

/** A process group, addressed as a whole (negative pid) on POSIX; taskkill /T on Windows. */
class ProcessGroup {
  private readonly pid: number
  constructor(pid: number) {
    this.pid = pid
  }

  signal(signal: NodeJS.Signals): void {
    if (isWindows) {
      if (signal === 'SIGTERM' || signal === 'SIGKILL') spawn('taskkill', ['/pid', String(this.pid), '/T', '/F'], { windowsHide: true }).on('error', () => {})
      return
    }
    try {
      process.kill(-this.pid, signal)
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  /** True while any member of the group is alive (zombies awaiting their reaper do not count). */
  alive(): boolean {
    if (isWindows) return false
    try {
      process.kill(-this.pid, 0)
    } catch {
      return false
    }
    return hasLivingMember(this.pid)
  }

  async waitUntilGone(limitMs: number): Promise<void> {
    const until = Date.now() + limitMs
    while (this.alive() && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
  }
}

/** On Linux, looks through /proc for a member of the group that is not a zombie; elsewhere trusts kill(0). */
function hasLivingMember(pgid: number): boolean {
  if (process.platform !== 'linux') return true
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const fields = procStat(entry)
    if (fields !== null && Number(fields[2]) === pgid && fields[0] !== 'Z') return true
  }
  return false
}
