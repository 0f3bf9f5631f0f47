import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, readdirSync, statSync } from 'node:fs'
import { basename, delimiter, join } from 'node:path'
import { quote } from 'shell-quote'
import { TaskdeckError, refusal, type EndReason, type ShellSpec } from '../../../src-shared/index.ts'
import { GroupReaper, procStat, processStartTicks } from './process-groups.ts'
import type { Runner, RunContext, RunOutcome, StartedRun } from './types.ts'
import { relativePathProblem } from './paths.ts'
import { ProcessGroupUsage, canMeasure, type UsageProbe, type UsageReading } from './usage.ts'

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
      if (spec.tty === true) {
        const problem = terminalProblem()
        if (problem) throw new TaskdeckError('bad_request', `definition.spec.tty: ${problem}`, { issues: [{ path: 'definition.spec.tty', message: problem }] })
      }
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
  const relative = relativePathProblem(cwd)
  if (relative) return relative
  try {
    return statSync(cwd).isDirectory() ? null : `${cwd} is not a directory`
  } catch {
    return `directory ${cwd} does not exist`
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

/** The terminal size a tty run gets unless its environment names one (COLUMNS, LINES): wider than 80, as a log is read in a wide pane. */
export const TERMINAL_SIZE = { columns: 120, rows: 40 } as const

/**
 * Why a tty run cannot start here, or null. There is no pseudo-terminal without a native module
 * (node-pty must be compiled), so a tty run goes through script(1), which Linux (util-linux) and
 * macOS (BSD) have and Windows has not.
 */
function terminalProblem(): string | null {
  if (isWindows) return 'a terminal (tty: true) needs script(1), which Windows does not have; run the task without tty'
  if (findOnPath('script') === null) return 'a terminal (tty: true) needs script(1) (util-linux on Linux), which is not on PATH here'
  return null
}

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    try {
      accessSync(join(dir, name), constants.X_OK)
      return join(dir, name)
    } catch {
      // Not here.
    }
  }
  return null
}

/** A size from the run's environment (COLUMNS, LINES), if it is a sensible one. */
function sizeFrom(value: string | undefined, fallback: number): number {
  const n = Number(value)
  return Number.isInteger(n) && n >= 10 && n <= 1000 ? n : fallback
}

/**
 * The command line of a tty run (TERM xterm-256color and the size TERMINAL_SIZE unless the task's env names them): script(1) gives the command a pseudo-terminal, so programs that
 * colour or draw progress only on a terminal (ls --color=auto, git, npm, cargo, pytest) do so.
 * script starts the command in a session of its own (setsid) with the terminal as its
 * controlling terminal; the command is run as it would be without tty (the same shell or argv),
 * behind `stty` setting the terminal's size and turning off the terminal's \n → \r\n (the log
 * keeps the program's own line ends). util-linux: `-q` no banner, `-e` the command's exit code
 * (128+N for a signal, as a shell says it), `-f` flush, `-E never` no echo of what is sent to
 * stdin, `-c` one string for $SHELL, which is /bin/sh here (the user's SHELL is put back for the
 * command). macOS's BSD script takes the command as arguments after the file (not run here).
 */
function terminalCommand(file: string, args: string[], env: NodeJS.ProcessEnv, own: Readonly<Record<string, string>>): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  // The size and type are this terminal's: the task's env may name them, the engine's own (of the terminal it was started from) does not.
  const columns = sizeFrom(own.COLUMNS, TERMINAL_SIZE.columns)
  const rows = sizeFrom(own.LINES, TERMINAL_SIZE.rows)
  const restoreShell = env.SHELL === undefined ? 'unset SHELL; ' : `SHELL=${quote([env.SHELL])}; export SHELL; `
  const wrapper = `stty cols ${columns} rows ${rows} -onlcr 2>/dev/null; ${restoreShell}exec ${quote([file, ...args])}`
  const terminalEnv = { ...env, TERM: own.TERM ?? 'xterm-256color', COLUMNS: String(columns), LINES: String(rows) }
  if (process.platform === 'darwin') return { file: 'script', args: ['-q', '/dev/null', '/bin/sh', '-c', wrapper], env: terminalEnv }
  return { file: 'script', args: ['-q', '-e', '-f', '-E', 'never', '-c', wrapper, '/dev/null'], env: { ...terminalEnv, SHELL: '/bin/sh' } }
}

function finished(outcome: RunOutcome): StartedRun {
  return { pid: null, done: Promise.resolve(outcome) }
}

function startShell(spec: ShellSpec, context: RunContext, killGraceMs: number, reaper: GroupReaper | null): StartedRun {
  if (spec.cwd !== undefined && cwdProblem(spec.cwd)) {
    return finished({ exitCode: null, signal: null, failure: { kind: 'cwd-missing', cwd: spec.cwd } })
  }
  const tty = spec.tty === true
  if (tty) {
    const problem = terminalProblem()
    if (problem) return finished({ exitCode: null, signal: null, failure: { kind: 'spawn-failed', file: 'script', message: problem } })
  }
  const command = commandLine(spec)
  const commandEnv = spec.env ? { ...process.env, ...spec.env } : process.env
  const { file, args, env } = tty ? terminalCommand(command.file, command.args, commandEnv, spec.env ?? {}) : { ...command, env: commandEnv }
  let child: ChildProcess
  try {
    child = spawn(file, args, {
      cwd: spec.cwd,
      env,
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
  // A tty run's command is in script(1)'s new session, out of reach of our group's signals.
  const session = tty && pid !== null ? new TerminalSession(pid, reaper) : null
  const signalAll = (signal: NodeJS.Signals) => {
    session?.signal(signal)
    group?.signal(signal)
  }
  let killTimer: NodeJS.Timeout | null = null
  const stop = () => {
    if (!group) return
    signalAll('SIGTERM')
    // A stopped (paused) process only acts on SIGTERM once continued.
    signalAll('SIGCONT')
    killTimer = setTimeout(() => signalAll('SIGKILL'), killGraceMs)
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
        session?.dispose()
        resolve({ exitCode: code, signal, failure: spawnError })
      }
      // On cancel, the leader may be gone while members of its group linger: wait for them (up to the SIGKILL).
      const limit = killGraceMs + 1000
      if (context.signal.aborted && group) void Promise.all([group.waitUntilGone(limit), session?.waitUntilGone(limit)]).then(settle)
      else settle()
    })
  })
  return {
    pid,
    startTicks,
    done,
    // Windows has no SIGSTOP: a shell run there cannot be paused, and says so by having no pause().
    pause: group && !isWindows ? () => signalAll('SIGSTOP') : undefined,
    resume: group && !isWindows ? () => signalAll('SIGCONT') : undefined,
    usage: canMeasure && pid !== null ? (session ? new TerminalUsage(pid, session) : new ProcessGroupUsage(pid)) : undefined,
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

/**
 * The session script(1) made for a tty run's command: its leader is script's child (it called
 * setsid, so its pid is the session's and its group's id). Found in /proc once it exists (polled
 * from the start, and again when signalled), then registered with the orphan reaper like a run's
 * own group, so it dies with Taskdeck too. A signal goes to the leader's group and to every other
 * process of the session no older than its leader (a job-control shell inside makes more groups).
 * Without /proc (macOS) it is not found: signals reach the command through script, which passes
 * SIGTERM on, and through the terminal's hangup when script ends.
 */
class TerminalSession {
  private readonly scriptPid: number
  private readonly reaper: GroupReaper | null
  private leader: { pid: number; startTicks: string } | null = null
  private poll: NodeJS.Timeout | null = null

  constructor(scriptPid: number, reaper: GroupReaper | null) {
    this.scriptPid = scriptPid
    this.reaper = reaper
    if (process.platform !== 'linux') return
    let tries = 0
    this.poll = setInterval(() => {
      // script forks at once; a command that ended before it was seen needs no finding.
      if (this.find() !== null || ++tries >= 500 || procStat(scriptPid) === null) this.stopPolling()
    }, 10)
    this.poll.unref()
  }

  /** The session's leader, found in /proc (a child of script that is its own session); null while it is not there. */
  find(): { pid: number; startTicks: string } | null {
    if (this.leader !== null || process.platform !== 'linux') return this.leader
    for (const entry of processIds()) {
      if (!/^\d+$/.test(entry)) continue
      const fields = procStat(entry)
      if (fields === null || Number(fields[1]) !== this.scriptPid || fields[3] !== entry) continue
      this.leader = { pid: Number(entry), startTicks: fields[19]! }
      this.reaper?.register({ pgid: this.leader.pid, startTicks: this.leader.startTicks })
      this.stopPolling()
      break
    }
    return this.leader
  }

  /** The session's living members (the leader's group and any other group of it), by /proc; its leader's pid when it cannot be read. */
  private members(): number[] {
    const leader = this.find()
    if (leader === null) return []
    const members: number[] = []
    for (const entry of processIds()) {
      if (!/^\d+$/.test(entry)) continue
      const fields = procStat(entry)
      if (fields === null || fields[0] === 'Z' || Number(fields[3]) !== leader.pid) continue
      // A pid of the session id's after the session ended is a stranger's: only processes no older than the leader count.
      if (Number(fields[19]) >= Number(leader.startTicks)) members.push(Number(entry))
    }
    return members
  }

  signal(signal: NodeJS.Signals): void {
    const leader = this.find()
    if (leader === null) return
    const group = new ProcessGroup(leader.pid)
    if (processStartTicks(leader.pid) === leader.startTicks) group.signal(signal)
    for (const pid of this.members()) {
      try {
        process.kill(pid, signal)
      } catch {
        // Gone meanwhile.
      }
    }
  }

  async waitUntilGone(limitMs: number): Promise<void> {
    const until = Date.now() + limitMs
    while (this.members().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
  }

  /** The leader's group, for usage: null until found. */
  get groupId(): number | null {
    return this.find()?.pid ?? null
  }

  dispose(): void {
    this.stopPolling()
    if (this.leader !== null) this.reaper?.unregister(this.leader.pid)
  }

  private stopPolling(): void {
    if (this.poll) clearInterval(this.poll)
    this.poll = null
  }
}

/** The entries of /proc (pids among them); none when it cannot be read: a timer or a signal must not throw for it. */
function processIds(): string[] {
  try {
    return readdirSync('/proc')
  } catch {
    return []
  }
}

/**
 * A tty run's usage: script's group and the command's session group. While the command runs both
 * are counted; once it has ended, script has reaped it and counts its time (cutime), so then
 * script's group alone is read. Never backwards.
 */
class TerminalUsage implements UsageProbe {
  readonly scope = 'process-group' as const
  private readonly script: ProcessGroupUsage
  private readonly session: TerminalSession
  private command: ProcessGroupUsage | null = null
  private lastMicros = 0

  constructor(scriptPid: number, session: TerminalSession) {
    this.script = new ProcessGroupUsage(scriptPid)
    this.session = session
  }

  read(): UsageReading | null {
    const id = this.session.groupId
    if (this.command === null && id !== null) this.command = new ProcessGroupUsage(id)
    const outer = this.script.read()
    const inner = this.command?.read() ?? null
    if (outer === null && inner === null) return null
    const running = inner !== null && (inner.processes ?? 0) > 0
    const cpu = (outer?.cpuMicros ?? 0) + (running ? inner.cpuMicros : 0)
    this.lastMicros = Math.max(this.lastMicros, cpu)
    const memory = outer?.memoryBytes == null && !running ? null : (outer?.memoryBytes ?? 0) + (running ? (inner.memoryBytes ?? 0) : 0)
    return { cpuMicros: this.lastMicros, memoryBytes: memory, processes: (outer?.processes ?? 0) + (running ? (inner.processes ?? 0) : 0) }
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
