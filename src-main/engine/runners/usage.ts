import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs'
import type { UsageScope } from '../../../src-shared/index.ts'

/**
 * How much CPU and memory a run uses, read from Linux's /proc (docs/architecture.md, "Usage").
 * Elsewhere nothing is measured, and the UI says so. Read here rather than through pidusage or
 * pidtree: a shell run is a process group, which neither follows (pidtree spawns `ps` on every
 * call; pidusage reads the same /proc/PID/stat for pids it is given), and the shell runner
 * already parses that file (procStat).
 */
export const canMeasure = process.platform === 'linux'

/** One reading: CPU time so far (µs, cumulative, of the run), memory now (bytes; null when not known this time). */
export interface UsageReading {
  readonly cpuMicros: number
  readonly memoryBytes: number | null
  readonly processes?: number
}

/** What a runner offers the engine's sampler for a run: one reading, taken when asked. */
export interface UsageProbe {
  readonly scope: UsageScope
  /** Null when nothing could be read (the run's processes are gone, or not started yet). */
  read(): UsageReading | null | Promise<UsageReading | null>
}

/** Kernel clock ticks per second of /proc's CPU times (USER_HZ): 100 on every Linux architecture's ABI. */
const TICKS_PER_SECOND = 100

let pageBytes: number | null = null
/** The size of a memory page (stat's rss counts pages): KernelPageSize of this process's first mapping, else 4 KiB. */
function pageSize(): number {
  if (pageBytes !== null) return pageBytes
  pageBytes = 4096
  try {
    const fd = openSync('/proc/self/smaps', 'r')
    try {
      const buffer = Buffer.alloc(4096)
      const read = readSync(fd, buffer, 0, buffer.length, 0)
      const match = /KernelPageSize:\s+(\d+) kB/.exec(buffer.toString('latin1', 0, read))
      if (match) pageBytes = Number(match[1]) * 1024
    } finally {
      closeSync(fd)
    }
  } catch {
    // No smaps (not Linux, or hidden): 4 KiB, the page of nearly every machine.
  }
  return pageBytes
}

/** The fields of /proc/PATH/stat after "(comm) " ([0] state, [1] ppid, [2] pgrp, [11] utime, [12] stime, [13] cutime, [14] cstime, [19] starttime, [21] rss). */
function statFields(path: string): string[] | null {
  let stat: string
  try {
    stat = readFileSync(path, 'latin1')
  } catch {
    return null
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** The pids of the children of every thread of `pid` (/proc/PID/task/TID/children); null when the kernel does not offer that file. */
function childrenOf(pid: number): number[] | null {
  let threads: string[]
  try {
    threads = readdirSync(`/proc/${pid}/task`)
  } catch {
    return []
  }
  const children: number[] = []
  for (const tid of threads) {
    let text: string
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && tid === String(pid)) return null
      continue
    }
    for (const child of text.split(' ')) if (child !== '' && child !== '\n') children.push(Number(child))
  }
  return children
}

interface Member {
  readonly startTicks: string
  ppid: number
  /** utime + stime + cutime + cstime at the last reading, ticks. */
  ticks: number
}

/**
 * The usage of one process group (a shell run), followed from its leader down the process tree
 * (/proc/PID/task/TID/children, a few small reads per process however many processes the
 * machine runs), members once seen being followed even when they are re-parented; a full scan
 * of /proc only where the kernel has no `children` files. CPU time: each living member's own
 * and its reaped children's (cutime), plus the last seen time of members that ended without a
 * member to reap them (whose time went to no one in the group); memory: the members' resident
 * sets summed.
 */
export class ProcessGroupUsage implements UsageProbe {
  readonly scope = 'process-group' as const
  readonly #pgid: number
  readonly #members = new Map<number, Member>()
  /** Ticks of members that ended and were reaped outside the group. */
  #goneTicks = 0
  #lastTicks = 0

  constructor(pgid: number) {
    this.#pgid = pgid
  }

  read(): UsageReading | null {
    const seen = new Map<number, string[]>()
    const visit = (pid: number): void => {
      if (seen.has(pid)) return
      const fields = statFields(`/proc/${pid}/stat`)
      if (fields === null || Number(fields[2]) !== this.#pgid) return
      const known = this.#members.get(pid)
      // The same pid, another process: the one we knew ended.
      if (known !== undefined && known.startTicks !== fields[19]) return
      seen.set(pid, fields)
      const children = childrenOf(pid)
      if (children === null) {
        for (const member of scanGroup(this.#pgid)) if (!seen.has(member.pid)) seen.set(member.pid, member.fields)
        return
      }
      for (const child of children) visit(child)
    }
    visit(this.#pgid)
    for (const pid of this.#members.keys()) visit(pid)
    // Members that ended: their time is in their reaper's cutime if a member reaped them, else kept here.
    for (const [pid, member] of this.#members) {
      if (seen.has(pid)) continue
      if (!seen.has(member.ppid)) this.#goneTicks += member.ticks
      this.#members.delete(pid)
    }
    if (seen.size === 0 && this.#members.size === 0 && this.#lastTicks === 0) return null
    let ticks = this.#goneTicks
    let pages = 0
    let processes = 0
    for (const [pid, fields] of seen) {
      const own = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])
      ticks += own
      const member = this.#members.get(pid)
      if (member) {
        member.ppid = Number(fields[1])
        member.ticks = own
      } else this.#members.set(pid, { startTicks: fields[19]!, ppid: Number(fields[1]), ticks: own })
      if (fields[0] === 'Z') continue
      processes++
      pages += Number(fields[21])
    }
    // Never backwards (a member re-parented outside the group and reaped there between two readings takes its last second with it).
    this.#lastTicks = Math.max(this.#lastTicks, ticks)
    return { cpuMicros: (this.#lastTicks * 1e6) / TICKS_PER_SECOND, memoryBytes: pages * pageSize(), processes }
  }
}

/** Every process of group `pgid`, from a scan of /proc (kernels without `children` files). */
function scanGroup(pgid: number): { pid: number; fields: string[] }[] {
  const members: { pid: number; fields: string[] }[] = []
  for (const entry of readdirSync('/proc')) {
    const code = entry.charCodeAt(0)
    if (code < 48 || code > 57) continue
    const fields = statFields(`/proc/${entry}/stat`)
    if (fields !== null && Number(fields[2]) === pgid) members.push({ pid: Number(entry), fields })
  }
  return members
}

/** The CPU time of one thread of this process (/proc/self/task/TID/stat), µs; null when it cannot be read. */
export function threadCpuMicros(tid: number): number | null {
  const fields = statFields(`/proc/self/task/${tid}/stat`)
  if (fields === null) return null
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND
}
