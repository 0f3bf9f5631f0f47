import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/**
 * Whether this system lets us name a process for sure (its kernel start time in /proc), which
 * the reaper needs before it kills anything: Linux. Elsewhere no reaper runs and leftovers of
 * a crashed engine or worker are not killed (docs/architecture.md says so).
 */
export const canReap = process.platform === 'linux'

/** The fields of /proc/PID/stat after "(comm) ": [0] state, [1] ppid, [2] pgrp, ... [19] starttime; null if there is no such process. */
export function procStat(pid: number | string): string[] | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // The command name may hold spaces and parentheses: the fields start after its last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** The kernel's start time of a process (Linux), to recognise it again despite pid reuse. */
export function processStartTicks(pid: number): string | null {
  if (!canReap) return null
  return procStat(pid)?.[19] ?? null
}

/**
 * The reaper, in POSIX sh (not Node: the packaged app cannot run itself as Node, its RunAsNode
 * fuse is off; /bin/sh is on every Linux). `$1`: the grace in tenths of a second. `$2`: the
 * registry file its owner appends to, `+ PGID TICKS` when a run's process group starts (TICKS:
 * its leader's start time, field 22 of /proc/PGID/stat) and `- PGID` when the run ends.
 *
 * It sleeps on a pipe from its owner that carries nothing: a read returns only at its end,
 * which comes when the owner ends it or dies in any way (SIGKILL, crash, OOM killer: the kernel
 * closes the pipe). Registering a run therefore wakes nothing (a line per run on the pipe would
 * wake it each time: ~90 µs of its CPU per run on a 2-core VM). Then it reads the registry,
 * and every group still registered and still ours gets SIGTERM and SIGCONT (a paused run acts
 * on the TERM only once continued), and SIGKILL if anything of it is left after the grace.
 * With `$2` "-" the registry comes on stdin and there is no waiting (the restart-time cleanup).
 *
 * A group is ours when its leader is the very process we started (same start time), or the
 * leader is gone and a member started after it (a group id is not reused while the group has
 * members). The registry is one shell variable per group, `g_PGID`.
 */
const REAPER_SCRIPT = `
set -f
grace=$1
registry=$2
if [ "$registry" != - ]; then
  while read -r _; do :; done
  exec < "$registry"
fi
while read -r op pgid ticks; do
  case $pgid in ''|*[!0-9]*) continue ;; esac
  case $op in
    +) case $ticks in ''|*[!0-9]*) ;; *) eval "g_$pgid=$ticks" ;; esac ;;
    -) unset "g_$pgid" ;;
  esac
done
if [ "$registry" != - ]; then
  rm -f "$registry" "$registry.new"
  rmdir "\${registry%/*}" 2>/dev/null
fi
registered=
for word in $(set); do
  case $word in g_[0-9]*=*) ;; *) continue ;; esac
  pgid=\${word%%=*}
  pgid=\${pgid#g_}
  case $pgid in *[!0-9]*) continue ;; esac
  registered="$registered $pgid"
done
set +f
ours() {
  if read -r stat 2>/dev/null < "/proc/$1/stat"; then
    set -- "$2" \${stat##*") "}
    [ "$1" = "\${21}" ]
    return
  fi
  for file in /proc/[0-9]*/stat; do
    read -r stat 2>/dev/null < "$file" || continue
    set -- "$1" "$2" \${stat##*") "}
    [ "$5" = "$1" ] && [ "\${22}" -ge "$2" ] && return 0
  done
  return 1
}
doomed=
for pgid in $registered; do
  eval "ticks=\\$g_$pgid"
  if ours "$pgid" "$ticks"; then doomed="$doomed $pgid"; fi
done
for pgid in $doomed; do
  kill -s TERM -- "-$pgid" 2>/dev/null
  kill -s CONT -- "-$pgid" 2>/dev/null
done
waited=0
while [ -n "$doomed" ] && [ "$waited" -lt "$grace" ]; do
  sleep 0.1
  waited=$((waited + 1))
  alive=
  for pgid in $doomed; do
    if kill -s 0 -- "-$pgid" 2>/dev/null; then alive="$alive $pgid"; fi
  done
  doomed=$alive
done
for pgid in $doomed; do kill -s KILL -- "-$pgid" 2>/dev/null; done
`

function reaperArgs(graceMs: number, registry: string): string[] {
  return ['-c', REAPER_SCRIPT, 'taskdeck-reaper', String(Math.ceil(graceMs / 100)), registry]
}

const registryLine = (pgid: number, startTicks: string) => `+ ${pgid} ${startTicks}\n`

/** A process group to kill if its owner dies: its id (the leader's pid) and the leader's start time. */
export interface OwnedGroup {
  readonly pgid: number
  readonly startTicks: string
}

/**
 * Kills what is left of groups a dead owner recorded (the engine's restart-time cleanup, the
 * second line of defence behind the reaper): the reaper's own rule, run once with these groups
 * and no grace. Waits for it (a few milliseconds), so the leftovers are gone when it returns.
 */
export function killLeftoverGroups(groups: readonly OwnedGroup[]): void {
  if (!canReap || groups.length === 0) return
  const input = groups.map((group) => registryLine(group.pgid, group.startTicks)).join('')
  spawnSync('/bin/sh', reaperArgs(0, '-'), { input, stdio: ['pipe', 'ignore', 'ignore'], cwd: '/', env: {} })
}

export interface GroupReaperOptions {
  /** SIGTERM → SIGKILL grace when the owner died. */
  graceMs: number
  /** How long the reaper stays after the last group was forgotten, so back-to-back runs do not start one each. */
  idleMs?: number
}

/** A minute: starting the reaper costs a fork of this (large) process, about what the run's own spawn costs. */
const REAPER_IDLE_MS = 60_000
/** The registry file is rewritten with only the registered groups once it has this many lines (and four times as many as groups). */
const COMPACT_LINES = 1000

interface Reaper {
  readonly process: ChildProcess
  readonly registry: string
  fd: number
  lines: number
}

/**
 * One reaper process per owner (the engine's shell runner, a worker's): started on the first
 * registered group, detached into its own session (a Ctrl-C or a signal to this process's
 * group does not reach it) and unref'd (it never keeps this process alive). Registering is one
 * small append to its registry file (in a 0700 temporary directory), never a round trip, and
 * wakes no process. The reaper ends itself once no group was registered for `idleMs`; if it
 * died, the next registration starts a new one with every group still registered.
 */
export class GroupReaper {
  readonly #graceMs: number
  readonly #idleMs: number
  readonly #groups = new Map<number, string>()
  #reaper: Reaper | null = null
  #idleTimer: NodeJS.Timeout | undefined
  /** No reaper can run here (or /bin/sh could not be started): the restart-time cleanup remains. */
  #unavailable = !canReap

  constructor(options: GroupReaperOptions) {
    this.#graceMs = options.graceMs
    this.#idleMs = options.idleMs ?? REAPER_IDLE_MS
  }

  register(group: OwnedGroup): void {
    if (this.#unavailable) return
    clearTimeout(this.#idleTimer)
    this.#groups.set(group.pgid, group.startTicks)
    if (this.#reaper) this.#append(this.#reaper, registryLine(group.pgid, group.startTicks))
    else this.#start()
  }

  unregister(pgid: number): void {
    if (!this.#groups.delete(pgid) || !this.#reaper) return
    this.#append(this.#reaper, `- ${pgid}\n`)
    if (this.#groups.size === 0) this.#idleTimer = setTimeout(() => this.#stop(), this.#idleMs).unref()
  }

  #append(reaper: Reaper, line: string): void {
    writeSync(reaper.fd, line)
    if (++reaper.lines >= COMPACT_LINES && reaper.lines >= 4 * this.#groups.size) this.#compact(reaper)
  }

  /** Replaces the registry with the groups registered now (written aside, then renamed: the reaper never reads half a file). */
  #compact(reaper: Reaper): void {
    const lines = [...this.#groups].map(([pgid, ticks]) => registryLine(pgid, ticks)).join('')
    writeFileSync(`${reaper.registry}.new`, lines)
    renameSync(`${reaper.registry}.new`, reaper.registry)
    closeSync(reaper.fd)
    reaper.fd = openSync(reaper.registry, 'a')
    reaper.lines = this.#groups.size
  }

  /** Starts a reaper whose registry holds every group registered now. */
  #start(): void {
    let reaper: Reaper
    try {
      const registry = join(mkdtempSync(join(tmpdir(), 'taskdeck-reaper-')), 'groups')
      writeFileSync(registry, [...this.#groups].map(([pgid, ticks]) => registryLine(pgid, ticks)).join(''))
      const fd = openSync(registry, 'a')
      // Only PATH (for `sleep`): the owner's environment may hold secrets (a worker's Redis password).
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' }
      const child = spawn('/bin/sh', reaperArgs(this.#graceMs, registry), { detached: true, stdio: ['pipe', 'ignore', 'ignore'], cwd: '/', env })
      reaper = { process: child, registry, fd, lines: this.#groups.size }
    } catch {
      this.#unavailable = true
      return
    }
    this.#reaper = reaper
    const child = reaper.process
    child.once('error', () => {
      this.#unavailable = true
      this.#forget(reaper)
    })
    child.once('exit', () => this.#forget(reaper))
    child.unref()
    // The pipe only has to close when this process ends; an idle pipe must not keep it alive.
    ;(child.stdin as unknown as { unref(): void }).unref()
  }

  /** The reaper ended (it was killed, or it was stopped): forget it and its registry. */
  #forget(reaper: Reaper): void {
    if (this.#reaper !== reaper) return
    this.#reaper = null
    closeSync(reaper.fd)
    rmSync(dirname(reaper.registry), { recursive: true, force: true })
  }

  /** Ends the reaper's pipe with nothing registered: it reads an empty registry, removes it and exits. */
  #stop(): void {
    const reaper = this.#reaper
    if (this.#groups.size > 0 || !reaper) return
    this.#reaper = null
    closeSync(reaper.fd)
    reaper.process.stdin!.end()
  }
}
