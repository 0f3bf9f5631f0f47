/**
 * CPU time per process and per thread, read from /proc (Linux), for the UI benches' breakdown
 * of where a replay's CPU goes: `taskdeck serve` and every Chromium process (browser, renderer,
 * GPU, network and other utility processes), each thread by its name. Thread time comes from
 * /proc/<pid>/task/<tid>/sched (`se.sum_exec_runtime`, ns precision), so short phases are
 * measured without the 10 ms clock ticks of /proc/<pid>/stat; a process's total (ticks) also
 * counts threads that ended during the phase.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { processCpuMs } from './redis-server.ts'

export interface ThreadCpu {
  tid: number
  name: string
  ms: number
}

export interface ProcessCpu {
  pid: number
  /** `serve`, or Chromium's process type (`browser`, `renderer`, `gpu-process`, `utility:network`…). */
  kind: string
  threads: ThreadCpu[]
  /** utime + stime of the whole process (dead threads included), 10 ms ticks. */
  totalMs: number
}

const read = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

/** Every thread of a process with its CPU time so far (ns precision). */
export function threadsOf(pid: number): ThreadCpu[] {
  let tids: string[]
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return []
  }
  const threads: ThreadCpu[] = []
  for (const tid of tids) {
    const sched = read(`/proc/${pid}/task/${tid}/sched`)
    const name = read(`/proc/${pid}/task/${tid}/comm`)?.trim()
    const runtime = sched ? /se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(sched) : null
    if (runtime && name !== undefined) threads.push({ tid: Number(tid), name, ms: Number(runtime[1]) })
  }
  return threads
}

function statFields(pid: number): string[] | null {
  const stat = read(`/proc/${pid}/stat`)
  return stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ') : null
}

/** Chromium's process type from its command line (`--type=renderer`, `--utility-sub-type=network.mojom.NetworkService`); none is the browser. */
function chromiumKind(pid: number): string {
  // Chromium rewrites its children's command lines into one space-separated string.
  const args = (read(`/proc/${pid}/cmdline`) ?? '').replaceAll('\0', ' ')
  const type = /--type=(\S+)/.exec(args)?.[1]
  if (!type) return 'browser'
  const sub = /--utility-sub-type=(\S+)/.exec(args)?.[1]
  return type === 'utility' && sub ? `utility:${sub.split('.')[0]}` : type
}

/** `root` and every process below it. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const fields = statFields(Number(entry))
    if (!fields) continue
    const parent = Number(fields[1])
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)])
  }
  const out: number[] = []
  const visit = (pid: number) => {
    out.push(pid)
    for (const child of children.get(pid) ?? []) visit(child)
  }
  visit(root)
  return out
}

function processCpu(pid: number, kind: string): ProcessCpu | null {
  const totalMs = processCpuMs(pid)
  if (totalMs === null) return null
  return { pid, kind, threads: threadsOf(pid), totalMs }
}

/** Every thread of the serve process and of Chromium (the browser process `browserPid` and all its descendants). */
export function cpuSnapshot(servePid: number, browserPid: number): ProcessCpu[] {
  const out: ProcessCpu[] = []
  const serve = processCpu(servePid, 'serve')
  if (serve) out.push(serve)
  for (const pid of processTree(browserPid)) {
    const p = processCpu(pid, chromiumKind(pid))
    if (p) out.push(p)
  }
  return out
}

/** The browser process of a Playwright-launched Chromium: the child of the launching process whose command line is Chromium's without a `--type`. */
export function chromiumBrowserPid(): number {
  const mine = process.pid
  for (const pid of processTree(mine)) {
    if (pid === mine) continue
    const args = (read(`/proc/${pid}/cmdline`) ?? '').replaceAll('\0', ' ')
    if (/^\S*chrom/.test(args) && !args.includes('--type=')) return pid
  }
  throw new Error('no Chromium browser process below this one')
}

/** CPU ms spent between two snapshots, by process kind and thread name (threads of one name summed; new processes count from 0). */
export interface CpuDelta {
  /** kind → thread name → ms */
  byThread: Map<string, Map<string, number>>
  /** kind → ms (whole processes, including threads that ended) */
  byKind: Map<string, number>
  /** kind → ms from the threads' precise clocks (threads that ended are missing) */
  byKindPrecise: Map<string, number>
}

/** Thread names with their numbers dropped (`ThreadPoolForeg`, `V8 DefaultWorke`…), so pools sum up. */
const threadGroup = (name: string) => name.replace(/[\d]+$/, '').replace(/\s+$/, '') || name

export function cpuDelta(before: readonly ProcessCpu[], after: readonly ProcessCpu[]): CpuDelta {
  const earlier = new Map(before.map((p) => [p.pid, p]))
  const byThread = new Map<string, Map<string, number>>()
  const byKind = new Map<string, number>()
  const byKindPrecise = new Map<string, number>()
  for (const p of after) {
    const was = earlier.get(p.pid)
    const wasThreads = new Map((was?.threads ?? []).map((t) => [t.tid, t.ms]))
    byKind.set(p.kind, (byKind.get(p.kind) ?? 0) + p.totalMs - (was?.totalMs ?? 0))
    const threads = byThread.get(p.kind) ?? new Map<string, number>()
    byThread.set(p.kind, threads)
    for (const t of p.threads) {
      const ms = t.ms - (wasThreads.get(t.tid) ?? 0)
      if (ms <= 0) continue
      const group = threadGroup(t.name)
      threads.set(group, (threads.get(group) ?? 0) + ms)
      byKindPrecise.set(p.kind, (byKindPrecise.get(p.kind) ?? 0) + ms)
    }
  }
  return { byThread, byKind, byKindPrecise }
}
