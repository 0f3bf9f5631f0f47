import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'

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
 * fuse is off; /bin/sh is on every Linux). It reads lines from its parent on stdin:
 * `+ PGID TICKS` registers a run's process group, whose leader started at TICKS (field 22 of
 * /proc/PGID/stat); `- PGID` forgets it. At the end of its input, which comes when the parent
 * ends it or dies in any way (SIGKILL, crash, OOM killer: the kernel closes the pipe), every
 * group still registered and still ours gets SIGTERM and SIGCONT (a paused run acts on the
 * TERM only once continued), and SIGKILL if anything of it is left after $1 tenths of a second.
 *
 * A group is ours when its leader is the very process we started (same start time), or the
 * leader is gone and a member started after it (a group id is not reused while the group has
 * members). The registry is one shell variable per group, `g_PGID`, so registering and
 * forgetting cost the same however many runs are going on.
 */
const REAPER_SCRIPT = `
set -f
grace=$1
while read -r op pgid ticks; do
  case $pgid in ''|*[!0-9]*) continue ;; esac
  case $op in
    +) case $ticks in ''|*[!0-9]*) ;; *) eval "g_$pgid=$ticks" ;; esac ;;
    -) unset "g_$pgid" ;;
  esac
done
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

function reaperArgs(graceMs: number): string[] {
  return ['-c', REAPER_SCRIPT, 'taskdeck-reaper', String(Math.ceil(graceMs / 100))]
}

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
  const input = groups.map((group) => `+ ${group.pgid} ${group.startTicks}\n`).join('')
  spawnSync('/bin/sh', reaperArgs(0), { input, stdio: ['pipe', 'ignore', 'ignore'], cwd: '/' })
}

export interface GroupReaperOptions {
  /** SIGTERM → SIGKILL grace when the owner died. */
  graceMs: number
  /** How long the reaper stays after the last group was forgotten, so back-to-back runs do not start one each. */
  idleMs?: number
}

/** A minute: starting the reaper costs a fork of this (large) process, about what the run's own spawn costs. */
const REAPER_IDLE_MS = 60_000

/**
 * One reaper process per owner (the engine's shell runner, a worker's): started on the first
 * registered group, detached into its own session (a Ctrl-C or a signal to this process's group
 * does not reach it) and unref'd (it never keeps this process alive). Registering is one small
 * pipe write, never a round trip. It ends itself once no group was registered for `idleMs`; if
 * it died, the next registration starts a new one with every group still registered.
 */
export class GroupReaper {
  readonly #graceMs: number
  readonly #idleMs: number
  readonly #groups = new Map<number, string>()
  #reaper: ChildProcess | null = null
  #idleTimer: NodeJS.Timeout | undefined
  /** /bin/sh could not be started: there is no reaper for this owner (the restart-time cleanup remains). */
  #unavailable = !canReap

  constructor(options: GroupReaperOptions) {
    this.#graceMs = options.graceMs
    this.#idleMs = options.idleMs ?? REAPER_IDLE_MS
  }

  /** The reaper's pid while one runs (tests look for it). */
  get pid(): number | null {
    return this.#reaper?.pid ?? null
  }

  register(group: OwnedGroup): void {
    if (this.#unavailable) return
    clearTimeout(this.#idleTimer)
    this.#groups.set(group.pgid, group.startTicks)
    const line = `+ ${group.pgid} ${group.startTicks}\n`
    if (this.#reaper) this.#reaper.stdin!.write(line)
    else this.#start()
  }

  unregister(pgid: number): void {
    if (!this.#groups.delete(pgid) || !this.#reaper) return
    this.#reaper.stdin!.write(`- ${pgid}\n`)
    if (this.#groups.size === 0) this.#idleTimer = setTimeout(() => this.#stop(), this.#idleMs).unref()
  }

  /** Starts a reaper and tells it every group registered now. */
  #start(): void {
    let reaper: ChildProcess
    try {
      reaper = spawn('/bin/sh', reaperArgs(this.#graceMs), { detached: true, stdio: ['pipe', 'ignore', 'ignore'], cwd: '/' })
    } catch {
      this.#unavailable = true
      return
    }
    this.#reaper = reaper
    reaper.once('error', () => {
      this.#unavailable = true
      this.#forget(reaper)
    })
    reaper.once('exit', () => this.#forget(reaper))
    // The reaper reads until its input ends; a write after it died fails with EPIPE, which changes nothing here.
    reaper.stdin!.on('error', () => {})
    reaper.unref()
    ;(reaper.stdin as unknown as { unref?: () => void }).unref?.()
    reaper.stdin!.write([...this.#groups].map(([pgid, ticks]) => `+ ${pgid} ${ticks}\n`).join(''))
  }

  #forget(reaper: ChildProcess): void {
    if (this.#reaper === reaper) this.#reaper = null
  }

  /** Ends the reaper's input with nothing registered: it exits without killing anything. */
  #stop(): void {
    if (this.#groups.size > 0 || !this.#reaper) return
    this.#reaper.stdin!.end()
    this.#reaper = null
  }
}
