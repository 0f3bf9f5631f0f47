import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, utimesSync, writeFileSync, writeSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
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

/** Whether the very process that started at `startTicks` still runs as `pid` (a zombie has ended: it only waits to be reaped). */
function stillRunning(pid: number | string, startTicks: string): boolean {
  const stat = procStat(pid)
  return stat !== null && stat[0] !== 'Z' && stat[19] === startTicks
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
 * A group is ours when its leader is the very process we started (same start time), or, unless
 * `$3` is "strict", the leader is gone and a member of a group that is its own session started
 * after it (a group id is not reused while the group has members; but once the group is gone, its
 * id may be a stranger's group whose members are all younger, so that branch is only sound close
 * to the owner's death). Every run's group is its own session (spawned detached: setsid), so the
 * session test costs us nothing and leaves out every group a shell's job control made (a
 * terminal's pipeline whose first command ended is a group with its leader gone).
 * The registry is one shell variable per group, `g_PGID`.
 */
const REAPER_SCRIPT = `
set -f
grace=$1
registry=$2
rule=$3
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
  rm -f "$registry" "$registry.new" "\${registry%/*}/reaper"
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
  [ "$rule" = strict ] && return 1
  for file in /proc/[0-9]*/stat; do
    read -r stat 2>/dev/null < "$file" || continue
    set -- "$1" "$2" \${stat##*") "}
    [ "$5" = "$1" ] && [ "$6" = "$1" ] && [ "\${22}" -ge "$2" ] && return 0
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

/** `strict`: only groups whose leader is still the very process recorded (see REAPER_SCRIPT); `lenient`: also those whose leader is gone and whose members are all younger than it. */
type OwnershipRule = 'strict' | 'lenient'

function reaperArgs(graceMs: number, registry: string, rule: OwnershipRule): string[] {
  return ['-c', REAPER_SCRIPT, 'taskdeck-reaper', String(Math.ceil(graceMs / 100)), registry, rule]
}

const registryLine = (pgid: number, startTicks: string) => `+ ${pgid} ${startTicks}\n`

/** A process group to kill if its owner dies: its id (the leader's pid) and the leader's start time. */
export interface OwnedGroup {
  readonly pgid: number
  readonly startTicks: string
}

/** A group a dead owner recorded, with the boot it was recorded in (bootId(); null if unknown: recorded before boots were). */
export interface RecordedGroup extends OwnedGroup {
  readonly bootId: string | null
}

/**
 * Kills what is left of groups a dead owner recorded (the engine's restart-time cleanup, the
 * second line of defence behind the reaper): the reaper's own rule, run once with these groups
 * and no grace. Waits for it (a few milliseconds), so the leftovers are gone when it returns.
 *
 * A group recorded in an earlier boot is left alone: none of its processes can exist, and its
 * id and start time may now name anyone's. One of this boot gets the lenient rule (a leader that
 * exited left its members running: they are orphans too). One recorded with no boot (before boot
 * ids were recorded) gets the strict rule: it may be of an earlier boot, where "leader gone,
 * younger members" says nothing, while a leader with the very pid and start time recorded is ours
 * but for a coincidence of both.
 */
export function killLeftoverGroups(groups: readonly RecordedGroup[]): void {
  if (!canReap || groups.length === 0) return
  const here = bootId()
  const thisBoot = groups.filter((group) => here !== null && group.bootId === here)
  const unknownBoot = groups.filter((group) => here === null || group.bootId === null)
  if (thisBoot.length > 0) killRegistered(registryOf(thisBoot), 'lenient')
  if (unknownBoot.length > 0) killRegistered(registryOf(unknownBoot), 'strict')
}

const registryOf = (groups: readonly OwnedGroup[]) => groups.map((group) => registryLine(group.pgid, group.startTicks)).join('')

/** Runs the reaper's rule once on `registry` (a registry's text: `+` and `-` lines), with no grace. */
function killRegistered(registry: string, rule: OwnershipRule): void {
  // Bounded: the engine opens behind this. The rule reads /proc once per group whose leader is gone, a few milliseconds.
  spawnSync('/bin/sh', reaperArgs(0, '-', rule), { input: registry, stdio: ['pipe', 'ignore', 'ignore'], cwd: '/', env: {}, timeout: LEFTOVER_KILL_TIMEOUT_MS, killSignal: 'SIGKILL' })
}

const LEFTOVER_KILL_TIMEOUT_MS = 10_000

export interface GroupReaperOptions {
  /** SIGTERM → SIGKILL grace when the owner died. */
  graceMs: number
  /**
   * The directory the registry lives in (a 0700 directory is made in it for each reaper): the
   * owner's state directory (the engine's data home), which no temporary-file cleaner ages out
   * under a long run. Default: the system's temporary directory, where the registry is touched
   * hourly so that cleaners (systemd-tmpfiles: 10 days) never see it as old. Registries left there by reapers
   * that died with their owner are swept when the GroupReaper is made (sweepStaleRegistries).
   */
  registryDir?: string
  /** How long the reaper stays after the last group was forgotten, so back-to-back runs do not start one each. */
  idleMs?: number
}

/** A minute: starting the reaper costs a fork of this (large) process, about what the run's own spawn costs. */
const REAPER_IDLE_MS = 60_000
/** The registry file is rewritten with only the registered groups once it has this many lines (and four times as many as groups). */
const COMPACT_LINES = 1000
/** How often the registry's times are refreshed, far below any temporary-file cleaner's age (days). */
const REFRESH_MS = 3_600_000

interface Reaper {
  readonly process: ChildProcess
  readonly registry: string
  readonly refreshTimer: NodeJS.Timeout
  fd: number
  lines: number
}

/**
 * One reaper process per owner (the engine's shell runner, a worker's): started on the first
 * registered group, detached into its own session (a Ctrl-C or a signal to this process's
 * group does not reach it) and unref'd (it never keeps this process alive). Registering is one
 * small append to its registry file (in a 0700 directory), never a round trip, and wakes no
 * process. The reaper ends itself once no group was registered for `idleMs` (or on dispose());
 * if it was killed, a new one starts at once with every group still registered.
 *
 * Registering never throws: the run it protects goes on whatever happens to the bookkeeping.
 * If the registry cannot be written (ENOSPC, EIO), that reaper is given up (SIGKILLed: ending
 * its pipe would make it kill every registered group) and a fresh one starts with all groups;
 * if none can start, runs go unwatched and the restart-time cleanup remains.
 *
 * Made (at the engine's open, a worker's start), it first sweeps the registries that reapers
 * killed together with their owner left in its directory (sweepStaleRegistries).
 */
export class GroupReaper {
  readonly #graceMs: number
  readonly #idleMs: number
  readonly #registryDir: string
  readonly #groups = new Map<number, string>()
  #reaper: Reaper | null = null
  #idleTimer: NodeJS.Timeout | undefined
  /** No reaper can run here (or /bin/sh could not be started): the restart-time cleanup remains. */
  #unavailable = !canReap

  constructor(options: GroupReaperOptions) {
    this.#graceMs = options.graceMs
    this.#idleMs = options.idleMs ?? REAPER_IDLE_MS
    this.#registryDir = options.registryDir ?? tmpdir()
    if (!this.#unavailable) sweepStaleRegistries(this.#registryDir)
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

  /** Lets the reaper go now if nothing is registered (a clean close); otherwise it stays armed for the groups still running. */
  dispose(): void {
    clearTimeout(this.#idleTimer)
    this.#stop()
  }

  #append(reaper: Reaper, line: string): void {
    try {
      writeSync(reaper.fd, line)
      if (++reaper.lines >= COMPACT_LINES && reaper.lines >= 4 * this.#groups.size) this.#compact(reaper)
    } catch {
      this.#replace(reaper)
    }
  }

  /** Replaces the registry with the groups registered now (written aside, then renamed: the reaper never reads half a file). */
  #compact(reaper: Reaper): void {
    const lines = [...this.#groups].map(([pgid, ticks]) => registryLine(pgid, ticks)).join('')
    writeFileSync(`${reaper.registry}.new`, lines)
    renameSync(`${reaper.registry}.new`, reaper.registry)
    closeSync(reaper.fd)
    reaper.fd = -1
    reaper.fd = openSync(reaper.registry, 'a')
    reaper.lines = this.#groups.size
  }

  /** Its registry could not be written: gives that reaper up without letting it act, and starts a fresh one with every group. */
  #replace(reaper: Reaper): void {
    this.#reaper = null
    try {
      reaper.process.kill('SIGKILL')
    } catch {
      // Already gone.
    }
    this.#release(reaper)
    if (this.#groups.size > 0) this.#start()
  }

  /** Starts a reaper whose registry holds every group registered now. */
  #start(): void {
    let dir: string | null = null
    let fd = -1
    let reaper: Reaper
    try {
      mkdirSync(this.#registryDir, { recursive: true, mode: 0o700 })
      dir = mkdtempSync(join(this.#registryDir, registryDirPrefix()))
      const registry = join(dir, 'groups')
      writeFileSync(registry, [...this.#groups].map(([pgid, ticks]) => registryLine(pgid, ticks)).join(''))
      fd = openSync(registry, 'a')
      // Only PATH (for `sleep`): the owner's environment may hold secrets (a worker's Redis password).
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' }
      const child = spawn('/bin/sh', reaperArgs(this.#graceMs, registry, 'lenient'), { detached: true, stdio: ['pipe', 'ignore', 'ignore'], cwd: '/', env })
      recordReaper(dir, child.pid)
      const refreshTimer = setInterval(() => refresh(registry), REFRESH_MS).unref()
      reaper = { process: child, registry, refreshTimer, fd, lines: this.#groups.size }
    } catch {
      if (fd >= 0) closeQuietly(fd)
      if (dir !== null) rmSync(dir, { recursive: true, force: true })
      this.#unavailable = true
      return
    }
    this.#reaper = reaper
    const child = reaper.process
    child.once('error', () => {
      this.#unavailable = true
      this.#forget(reaper)
    })
    child.once('exit', (code, signal) => {
      // Killed from outside (a signal) while groups are registered: they must not stay unwatched until the next registration.
      // An exit of its own (a code) means /bin/sh cannot do its job here: starting it again would only fail again.
      if (this.#reaper === reaper && code !== null) this.#unavailable = true
      this.#forget(reaper)
      if (signal !== null && this.#reaper === null && this.#groups.size > 0 && !this.#unavailable) this.#start()
    })
    child.unref()
    // The pipe only has to close when this process ends; an idle pipe must not keep it alive.
    ;(child.stdin as unknown as { unref(): void }).unref()
  }

  /** The reaper ended (it was killed, or it was stopped): forget it and its registry. */
  #forget(reaper: Reaper): void {
    if (this.#reaper !== reaper) return
    this.#reaper = null
    this.#release(reaper)
  }

  /** Closes the owner's side of a reaper that is no longer ours, and removes its registry; never throws. */
  #release(reaper: Reaper): void {
    clearInterval(reaper.refreshTimer)
    if (reaper.fd >= 0) closeQuietly(reaper.fd)
    reaper.fd = -1
    try {
      rmSync(dirname(reaper.registry), { recursive: true, force: true })
    } catch {
      // Left for the system's cleaner; the reaper that read it is gone.
    }
  }

  /** Ends the reaper's pipe with nothing registered: it reads an empty registry, removes it and exits. */
  #stop(): void {
    const reaper = this.#reaper
    if (this.#groups.size > 0 || !reaper) return
    this.#reaper = null
    clearInterval(reaper.refreshTimer)
    if (reaper.fd >= 0) closeQuietly(reaper.fd)
    reaper.process.stdin!.end()
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd)
  } catch {
    // EIO on close: the descriptor is released all the same.
  }
}

/**
 * Touches the registry, the reaper's identity beside it and their directory, so that a temporary-file cleaner
 * (which ages files one by one) never sees them as old: without its identity a live reaper is taken for gone.
 */
function refresh(registry: string): void {
  const now = new Date()
  for (const path of [registry, join(dirname(registry), 'reaper'), dirname(registry)]) {
    try {
      utimesSync(path, now, now)
    } catch {
      // Gone or unwritable: nothing better to do here; the registry is only read when the owner dies.
    }
  }
}

/** This process's part of its reaper directories' names (see registryDirPrefix), read once. */
let ownerTag: string | null | undefined

/**
 * What a reaper directory's name starts with: `taskdeck-reaper-MACHINE-BOOT-PID-TICKS-NS-`, this machine's identity
 * (thisBoot), the kernel's boot id, and this process's pid, kernel start time and pid namespace, fixed with the
 * directory itself (mkdtemp), so another process can prove its owner gone (sweepStaleRegistries). Start times count
 * from boot and namespace inodes are reused (the host's is the same number on every machine): only with the boot id
 * do they name one process, and the machine tells a folder of another boot of this machine (every process of it gone)
 * from a folder of another machine sharing the home (NFS). Without any of them (no /proc, an unusual host name) the
 * name says nothing and the directory is never swept.
 */
function registryDirPrefix(): string {
  if (ownerTag === undefined) {
    const identity = thisBoot()
    const ticks = processStartTicks(process.pid)
    ownerTag = identity !== null && ticks !== null ? `${identity.machine}-${identity.bootId}-${process.pid}-${ticks}-${identity.namespace}-` : null
  }
  return `taskdeck-reaper-${ownerTag ?? ''}`
}

interface BootIdentity {
  /** `HOST.MACHINEID`, or only `HOST` where /etc/machine-id is missing or unreadable. */
  readonly machine: string
  /** This machine's name alone: the identity folders had before machine ids (session 8), still read. */
  readonly host: string
  readonly bootId: string
  readonly namespace: string
}

let cachedBootId: string | null | undefined

/** The kernel's boot id without dashes (32 hex digits), read once; null if unknown (not Linux, no /proc). */
export function bootId(): string | null {
  if (cachedBootId === undefined) {
    try {
      const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replaceAll('-', '')
      cachedBootId = /^[0-9a-f]{32}$/.test(id) ? id : null
    } catch {
      cachedBootId = null
    }
  }
  return cachedBootId
}

/**
 * This machine's host name (only if plain: letters, digits, dots, dashes) and machine id, its boot id and our pid
 * namespace; null if the host name, boot id or namespace is unknown. The host name alone is not one machine's: two
 * machines sharing a data home may have the same (one image, one default name), and each would take the other's
 * folders for an earlier boot of its own. Their machine ids differ (systemd makes one per installation); the host
 * name stays beside it for containers of one image, which share a machine id but have host names of their own.
 */
function thisBoot(): BootIdentity | null {
  if (cachedBoot === undefined) cachedBoot = readBootIdentity()
  return cachedBoot
}

/** Read once per process (none of it changes while it runs; the folder's name, made from it, is fixed anyway). */
let cachedBoot: BootIdentity | null | undefined

function readBootIdentity(): BootIdentity | null {
  const host = hostname()
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(host)) return null
  const boot = bootId()
  const namespace = pidNamespace()
  if (boot === null || namespace === null) return null
  const id = machineId()
  return { machine: id === null ? host : `${host}.${id}`, host, bootId: boot, namespace }
}

/** /etc/machine-id (32 hex digits), or null where it is missing, unreadable or not one. */
function machineId(): string | null {
  try {
    const id = readFileSync('/etc/machine-id', 'utf8').trim()
    return /^[0-9a-f]{32}$/.test(id) ? id : null
  } catch {
    return null
  }
}

/**
 * The pid namespace this process sees (the inode of /proc/self/ns/pid): a pid and start time name a process only
 * in their own namespace, and a directory may be shared with a container that has another.
 */
function pidNamespace(): string | null {
  try {
    return /^pid:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? null
  } catch {
    return null
  }
}

/** Records the reaper's own identity beside its registry, so a sweep never takes the registry from a reaper still reading it. */
function recordReaper(dir: string, pid: number | undefined): void {
  const ticks = pid === undefined ? null : processStartTicks(pid)
  if (ticks === null) return
  try {
    writeFileSync(join(dir, 'reaper'), `${pid} ${ticks}\n`)
  } catch {
    // Without it a sweep takes the reaper for gone once its owner is: it then kills the groups itself, by the same rule.
  }
}

const STALE_REGISTRY_DIR = /^taskdeck-reaper-([A-Za-z0-9][A-Za-z0-9.-]*)-([0-9a-f]{32})-(\d+)-(\d+)-(\d+)-[A-Za-z0-9]{6}$/

/**
 * Removes the registries left by reapers that died with their owner (a `kill -9` of both, say of a whole
 * session: nothing else leaves one behind). A directory must be this user's own (not a link, not someone else's
 * registry planted in a shared temporary folder) and named in full (registryDirPrefix): anything else is left alone.
 * One of an earlier boot of this machine is removed without killing anything: every process of that boot is gone.
 * One of this boot and pid namespace whose owner (pid and kernel start time) no longer runs, nor the reaper it
 * recorded, first has the groups it names killed, but only those whose leader is still the very process recorded.
 * Left alone: a live owner's, one of another machine or pid namespace, one named before owners were named. A folder
 * named by host name alone (session 8, before machine ids; or of a machine without /etc/machine-id) is judged only
 * if the host name is this one's and the boot is this one: in another boot it may as well be a live registry of
 * another machine of that name sharing the folder, so it is left (the system's temp cleaner takes it). Never throws.
 */
function sweepStaleRegistries(registryDir: string): void {
  if (!canReap) return
  const here = thisBoot()
  if (here === null) return
  let names: string[]
  try {
    names = readdirSync(registryDir)
  } catch {
    return
  }
  for (const name of names) {
    const owner = STALE_REGISTRY_DIR.exec(name)
    if (owner === null || (owner[1] !== here.machine && owner[1] !== here.host)) continue
    const earlierBoot = owner[2] !== here.bootId
    // Named by host name alone, it may be another machine's with this host name sharing the folder (one still running
    // the older app): its boot differing from ours proves nothing, so only one of this very boot is judged.
    if (earlierBoot && owner[1] === here.host) continue
    if (!earlierBoot && (owner[5] !== here.namespace || stillRunning(owner[3]!, owner[4]!))) continue
    const dir = join(registryDir, name)
    try {
      const stat = lstatSync(dir)
      if (!stat.isDirectory() || stat.uid !== process.getuid?.()) continue
      if (!earlierBoot) {
        const recordedReaper = readIfPresent(join(dir, 'reaper'))
        const reaper = /^(\d+) (\d+)\n$/.exec(recordedReaper)
        // Present but not as recordReaper writes it: nothing proves that reaper gone.
        if (recordedReaper !== '' && reaper === null) continue
        if (reaper !== null && stillRunning(reaper[1]!, reaper[2]!)) continue
        const registry = readIfPresent(join(dir, 'groups'))
        // Strict: the sweep may come days after that owner died, when its groups' ids belong to strangers.
        if (registry !== '') killRegistered(registry, 'strict')
      }
      rmSync(dir, { recursive: true, force: true })
    } catch {
      // Unreadable or undeletable: left as it is (the system's cleaner, or a later sweep).
    }
  }
}

function readIfPresent(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw error
  }
}
