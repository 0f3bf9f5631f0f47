/**
 * The engine benchmark: the same workloads on Taskdeck's engine and on BullMQ with a local
 * redis-server, in one run on one machine. `bench/engine.ts` runs it with full sizes and
 * writes the results; the smoke test runs it with tiny sizes so it cannot rot.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Queue, Worker } from 'bullmq'
import type { Job } from 'bullmq'
import type { EngineEvent, Run, TaskDefinitionInput } from '../src-shared/index.ts'
import { TaskDefinitionSchema } from '../src-shared/index.ts'
import { Engine } from '../src-main/engine/engine.ts'
import { defaultRunners } from '../src-main/engine/runners/index.ts'
import { startLocalRedis } from './redis-server.ts'

export interface EngineBenchOptions {
  /** Measured no-op script tasks for enqueue → start latency (after `warmup` unmeasured ones). */
  latencyTasks: number
  /** No-op tasks submitted at once for the throughput run. */
  throughputTasks: number
  /** Sequential `true` tasks for the shell overhead. */
  shellTasks: number
  warmup: number
  /** Group parallel limit (Taskdeck) and worker concurrency (BullMQ) in the throughput run. */
  concurrency: number
  /** Progress lines go here (stderr by default); the smoke test silences them. */
  log?: (line: string) => void
}

export const FULL_SIZES: EngineBenchOptions = {
  latencyTasks: 2000,
  throughputTasks: 20_000,
  shellTasks: 300,
  warmup: 100,
  concurrency: 64,
}

export interface Distribution {
  n: number
  p50: number
  p99: number
  mean: number
  max: number
}

export interface SystemResults {
  /** Enqueue call → the job's code starts running (a no-op script in a worker / a BullMQ processor), ms. */
  latencyMs: Distribution
  /** Enqueue call → the queue acknowledges it as stored, ms. */
  enqueueAckMs: Distribution
  /** Durable no-op tasks per second, first enqueue to last completion. */
  throughputPerSec: number
  /** Main-thread event-loop delay during the throughput run, ms (resolution subtracted). */
  loopDelayMs: { p50: number; p99: number; max: number }
  /** Sequential `true` tasks, each followed by a raw spawn of `true` in the same process state. */
  shell: ShellOverhead | null
}

export interface ShellOverhead {
  /** Mean wall time per task, enqueue to finished, ms. */
  perTaskMs: number
  /** Mean wall time of child_process.spawn('true') with piped stdio until 'close', interleaved with the tasks, ms. */
  rawSpawnMs: number
  /** perTaskMs / rawSpawnMs. */
  ratio: number
}

export interface EngineBenchReport {
  date: string
  machine: {
    nproc: number
    cpu: string
    node: string
    platform: string
    redis: string
    /** 1-minute load average before and after the run: other work on the machine skews every figure. */
    loadAverage: { before: number; after: number }
  }
  sizes: Omit<EngineBenchOptions, 'log'>
  durability: { taskdeck: string; taskdeckNormal: string; bullmq: string }
  /** The product's default: every commit fsynced. */
  taskdeck: TaskdeckResults
  /** The same engine with synchronous=NORMAL (no fsync per commit): the durability level of Redis's everysec. Latency and throughput only. */
  taskdeckNormal: TaskdeckResults
  bullmq: SystemResults
  ratios: {
    /** BullMQ latency p50 / Taskdeck latency p50: above 1 means Taskdeck starts work sooner. */
    latencyP50: number
    latencyP99: number
    /** Taskdeck throughput / BullMQ throughput. */
    throughput: number
    throughputNormal: number
  }
  goals: GoalCheck[]
}

export type TaskdeckResults = SystemResults & {
  /** Enqueue call → the engine announces run.started (durable), ms. */
  startedEventMs: Distribution
}

export interface GoalCheck {
  goal: string
  measured: string
  met: boolean
  /** How far off, when missed: "2.3× the goal". */
  missedBy?: string
}

const NOOP_SCRIPT = `// The bench's no-op: it only reports when it started (a process-wide monotonic clock).
export default () => String(process.hrtime.bigint())
`

const hrNow = (): bigint => process.hrtime.bigint()
const msBetween = (from: bigint, to: bigint): number => Number(to - from) / 1e6

export async function runEngineBench(options: EngineBenchOptions): Promise<EngineBenchReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const loadBefore = loadavg()[0] ?? Number.NaN
  const work = await mkdtemp(join(tmpdir(), 'taskdeck-bench-'))
  try {
    const scriptPath = join(work, 'noop.mjs')
    await writeFile(scriptPath, NOOP_SCRIPT)

    log('Taskdeck engine, synchronous=FULL …')
    const taskdeck = await measureTaskdeck(join(work, 'home-full'), scriptPath, 'FULL', true, options, log)
    log('Taskdeck engine, synchronous=NORMAL …')
    const taskdeckNormal = await measureTaskdeck(join(work, 'home-normal'), scriptPath, 'NORMAL', false, options, log)

    log('BullMQ on a local redis-server …')
    const redis = await startLocalRedis()
    let bullmq: SystemResults
    try {
      bullmq = await measureBullmq(redis.host, redis.port, options, log)
    } finally {
      await redis.stop()
    }

    const report: EngineBenchReport = {
      date: new Date().toISOString(),
      machine: {
        nproc: availableParallelism(),
        cpu: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
        redis: redis.version,
        loadAverage: { before: loadBefore, after: loadavg()[0] ?? Number.NaN },
      },
      sizes: {
        latencyTasks: options.latencyTasks,
        throughputTasks: options.throughputTasks,
        shellTasks: options.shellTasks,
        warmup: options.warmup,
        concurrency: options.concurrency,
      },
      durability: {
        taskdeck: 'SQLite WAL, synchronous=FULL (the default): a submit resolves after its group commit is fsynced',
        taskdeckNormal: 'SQLite WAL, synchronous=NORMAL: committed to the OS, fsynced at checkpoints (survives a crash of the app, not of the machine)',
        bullmq: 'Redis appendonly yes, appendfsync everysec (the default), no RDB snapshots',
      },
      taskdeck,
      taskdeckNormal,
      bullmq,
      ratios: {
        latencyP50: bullmq.latencyMs.p50 / taskdeck.latencyMs.p50,
        latencyP99: bullmq.latencyMs.p99 / taskdeck.latencyMs.p99,
        throughput: taskdeck.throughputPerSec / bullmq.throughputPerSec,
        throughputNormal: taskdeckNormal.throughputPerSec / bullmq.throughputPerSec,
      },
      goals: [],
    }
    report.goals = checkGoals(report)
    return report
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

// ─── raw spawn ─────────────────────────────────────────────────────────────────────

async function spawnTrue(): Promise<void> {
  const child = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.resume()
  child.stderr.resume()
  await once(child, 'close')
}

/**
 * Runs `task` (one `true` through a queue) and a raw spawn of `true` alternately, so both
 * see the same process state: a fork costs more as the process grows, and the queue's
 * process has grown by the time its shell tasks run.
 */
async function measureShell(tasks: number, warmup: number, task: () => Promise<void>): Promise<ShellOverhead> {
  for (let i = 0; i < Math.min(warmup, 20); i++) {
    await task()
    await spawnTrue()
  }
  let taskNs = 0n
  let rawNs = 0n
  for (let i = 0; i < tasks; i++) {
    const t0 = hrNow()
    await task()
    const t1 = hrNow()
    await spawnTrue()
    rawNs += hrNow() - t1
    taskNs += t1 - t0
  }
  const perTaskMs = Number(taskNs) / 1e6 / tasks
  const rawSpawnMs = Number(rawNs) / 1e6 / tasks
  return { perTaskMs, rawSpawnMs, ratio: perTaskMs / rawSpawnMs }
}

// ─── Taskdeck ──────────────────────────────────────────────────────────────────────

/** Waits for runs of given tasks to finish, fed by the engine's event stream. */
class RunWatcher {
  readonly #finished = new Map<number, Run>()
  readonly #started = new Map<number, bigint>()
  readonly #waiters = new Map<number, (run: Run) => void>()
  #finishedCount = 0
  #countWaiter: { count: number; resolve: () => void } | null = null

  onEvent(event: EngineEvent): void {
    if (event.type === 'run.started') {
      this.#started.set(event.run.taskId, hrNow())
    } else if (event.type === 'run.finished') {
      const run = event.run
      this.#finishedCount++
      const waiter = this.#waiters.get(run.taskId)
      if (waiter) {
        this.#waiters.delete(run.taskId)
        waiter(run)
      } else {
        this.#finished.set(run.taskId, run)
      }
      if (this.#countWaiter && this.#finishedCount >= this.#countWaiter.count) this.#countWaiter.resolve()
    }
  }

  startedAt(taskId: number): bigint | undefined {
    return this.#started.get(taskId)
  }

  finished(taskId: number): Promise<Run> {
    const run = this.#finished.get(taskId)
    if (run) {
      this.#finished.delete(taskId)
      return Promise.resolve(run)
    }
    return new Promise((resolvePromise) => this.#waiters.set(taskId, resolvePromise))
  }

  /** Resolves once `count` runs in total have finished since this watcher was created. */
  finishedCount(count: number): Promise<void> {
    if (this.#finishedCount >= count) return Promise.resolve()
    return new Promise((resolvePromise) => (this.#countWaiter = { count, resolve: resolvePromise }))
  }

  reset(): void {
    this.#finished.clear()
    this.#started.clear()
    this.#finishedCount = 0
    this.#countWaiter = null
  }
}

async function measureTaskdeck(
  home: string,
  scriptPath: string,
  synchronous: 'FULL' | 'NORMAL',
  withShell: boolean,
  options: EngineBenchOptions,
  log: (line: string) => void,
): Promise<TaskdeckResults> {
  const engine = await Engine.open({ home, runners: defaultRunners(), synchronous })
  const watcher = new RunWatcher()
  const listening = engine.host.onEvent((event) => watcher.onEvent(event))
  const submit = async (definition: TaskDefinitionInput): Promise<number> =>
    (await engine.handlers['task.submit']({ definition: TaskDefinitionSchema.parse(definition) })).task.id
  try {
    await engine.handlers['group.set']({ name: 'bench', parallel: options.concurrency })
    const noop: TaskDefinitionInput = { spec: { kind: 'script', path: scriptPath }, group: 'bench' }

    log(`  latency: ${options.warmup} warm-up + ${options.latencyTasks} sequential no-op script tasks`)
    const latency: number[] = []
    const ack: number[] = []
    const startedEvent: number[] = []
    for (let i = 0; i < options.warmup + options.latencyTasks; i++) {
      const before = hrNow()
      const taskId = await submit(noop)
      const acked = hrNow()
      const run = await watcher.finished(taskId)
      if (run.status !== 'succeeded') throw new Error(`bench task ${taskId} ${run.status}: ${run.reason}`)
      if (i < options.warmup) continue
      latency.push(msBetween(before, BigInt(run.result as string)))
      ack.push(msBetween(before, acked))
      startedEvent.push(msBetween(before, watcher.startedAt(taskId) ?? acked))
    }

    log(`  throughput: ${options.throughputTasks} no-op script tasks at once, group parallel ${options.concurrency}`)
    watcher.reset()
    const loop = monitorEventLoopDelay({ resolution: 1 })
    loop.enable()
    const start = hrNow()
    const submitted = Array.from({ length: options.throughputTasks }, () => submit(noop))
    await Promise.all(submitted)
    await watcher.finishedCount(options.throughputTasks)
    const seconds = msBetween(start, hrNow()) / 1000
    loop.disable()

    let shell: ShellOverhead | null = null
    if (withShell) {
      log(`  shell: ${options.shellTasks} sequential \`true\` tasks, each followed by a raw spawn`)
      const definition: TaskDefinitionInput = { spec: { kind: 'shell', command: ['true'] }, group: 'bench' }
      shell = await measureShell(options.shellTasks, options.warmup, async () => {
        const run = await watcher.finished(await submit(definition))
        if (run.status !== 'succeeded') throw new Error(`shell bench task ${run.taskId} ${run.status}: ${run.reason}`)
      })
    }

    return {
      latencyMs: distribution(latency),
      enqueueAckMs: distribution(ack),
      startedEventMs: distribution(startedEvent),
      throughputPerSec: options.throughputTasks / seconds,
      loopDelayMs: loopDelay(loop),
      shell,
    }
  } finally {
    listening.dispose()
    await engine.close()
  }
}

// ─── BullMQ ────────────────────────────────────────────────────────────────────────

async function measureBullmq(
  host: string,
  port: number,
  options: EngineBenchOptions,
  log: (line: string) => void,
): Promise<SystemResults> {
  const connection = { host, port, maxRetriesPerRequest: null }
  const startedAt = new Map<string, bigint>()
  const completions = new CompletionWaiter()

  // The peer at its fastest: an in-process processor, which skips the worker-thread hop
  // a Taskdeck script task makes.
  const noopQueue = new Queue('noop', { connection })
  const noopWorker = new Worker(
    'noop',
    (job: Job) => {
      startedAt.set(job.id!, hrNow())
      return Promise.resolve(null)
    },
    { connection, concurrency: 1 },
  )
  noopWorker.on('completed', (job: Job) => completions.complete(job.id!))
  const shellQueue = new Queue('shell', { connection })
  const shellWorker = new Worker('shell', () => spawnTrue(), { connection, concurrency: 1 })
  shellWorker.on('completed', (job: Job) => completions.complete(job.id!))

  try {
    await Promise.all([noopWorker.waitUntilReady(), shellWorker.waitUntilReady(), noopQueue.waitUntilReady(), shellQueue.waitUntilReady()])

    log(`  latency: ${options.warmup} warm-up + ${options.latencyTasks} sequential no-op jobs`)
    const latency: number[] = []
    const ack: number[] = []
    for (let i = 0; i < options.warmup + options.latencyTasks; i++) {
      const before = hrNow()
      const job = await noopQueue.add('noop', {})
      const acked = hrNow()
      await completions.completed(job.id!)
      if (i < options.warmup) continue
      latency.push(msBetween(before, startedAt.get(job.id!)!))
      ack.push(msBetween(before, acked))
    }
    startedAt.clear()

    log(`  throughput: ${options.throughputTasks} no-op jobs at once, worker concurrency ${options.concurrency}`)
    noopWorker.concurrency = options.concurrency
    completions.reset()
    const loop = monitorEventLoopDelay({ resolution: 1 })
    loop.enable()
    const start = hrNow()
    // addBulk in chunks is BullMQ's fastest way in: one round trip per chunk.
    const chunk = 1000
    const adds: Promise<unknown>[] = []
    for (let i = 0; i < options.throughputTasks; i += chunk) {
      const size = Math.min(chunk, options.throughputTasks - i)
      adds.push(noopQueue.addBulk(Array.from({ length: size }, () => ({ name: 'noop', data: {} }))))
    }
    await Promise.all(adds)
    await completions.count(options.throughputTasks)
    const seconds = msBetween(start, hrNow()) / 1000
    loop.disable()

    log(`  shell: ${options.shellTasks} sequential jobs spawning \`true\`, each followed by a raw spawn`)
    const shell = await measureShell(options.shellTasks, options.warmup, async () => {
      await completions.completed((await shellQueue.add('true', {})).id!)
    })

    return {
      latencyMs: distribution(latency),
      enqueueAckMs: distribution(ack),
      throughputPerSec: options.throughputTasks / seconds,
      loopDelayMs: loopDelay(loop),
      shell,
    }
  } finally {
    await Promise.all([noopWorker.close(), shellWorker.close()])
    await Promise.all([noopQueue.close(), shellQueue.close()])
  }
}

class CompletionWaiter {
  readonly #done = new Set<string>()
  readonly #waiters = new Map<string, () => void>()
  #count = 0
  #countWaiter: { count: number; resolve: () => void } | null = null

  complete(id: string): void {
    this.#count++
    const waiter = this.#waiters.get(id)
    if (waiter) {
      this.#waiters.delete(id)
      waiter()
    } else {
      this.#done.add(id)
    }
    if (this.#countWaiter && this.#count >= this.#countWaiter.count) this.#countWaiter.resolve()
  }

  completed(id: string): Promise<void> {
    if (this.#done.delete(id)) return Promise.resolve()
    return new Promise((resolvePromise) => this.#waiters.set(id, resolvePromise))
  }

  count(count: number): Promise<void> {
    if (this.#count >= count) return Promise.resolve()
    return new Promise((resolvePromise) => (this.#countWaiter = { count, resolve: resolvePromise }))
  }

  reset(): void {
    this.#done.clear()
    this.#count = 0
    this.#countWaiter = null
  }
}

// ─── statistics and goals ──────────────────────────────────────────────────────────

export function distribution(samples: readonly number[]): Distribution {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
  const sum = sorted.reduce((a, b) => a + b, 0)
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), mean: sum / sorted.length, max: sorted.at(-1) ?? Number.NaN }
}

function loopDelay(histogram: ReturnType<typeof monitorEventLoopDelay>): SystemResults['loopDelayMs'] {
  // The histogram records the timer's whole interval; the delay is what exceeds the 1 ms resolution.
  const ms = (ns: number): number => Math.max(0, ns / 1e6 - 1)
  return { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) }
}

function checkGoals(report: EngineBenchReport): GoalCheck[] {
  const t = report.taskdeck
  const atMost = (goal: string, value: number, limit: number, unit: string): GoalCheck => ({
    goal,
    measured: `${round(value)} ${unit}`,
    met: value <= limit,
    ...(value > limit ? { missedBy: `${round(value / limit)}× the goal` } : {}),
  })
  const atLeast = (goal: string, value: number, limit: number, unit: string): GoalCheck => ({
    goal,
    measured: `${round(value)} ${unit}`,
    met: value >= limit,
    ...(value < limit ? { missedBy: `${round((value / limit) * 100)}% of the goal` } : {}),
  })
  return [
    atMost('enqueue → start latency p50 ≤ 0.1 ms', t.latencyMs.p50, 0.1, 'ms'),
    atMost('enqueue → start latency p99 ≤ 1 ms', t.latencyMs.p99, 1, 'ms'),
    atLeast('≥ 60,000 durable no-op tasks/s', t.throughputPerSec, 60_000, 'tasks/s'),
    atLeast('throughput ≥ 2× BullMQ', report.ratios.throughput, 2, '×'),
    atMost('shell task ≤ 1.2× raw spawn', t.shell?.ratio ?? Number.NaN, 1.2, '×'),
    atMost('main-thread loop delay p99 ≤ 10 ms (throughput run)', t.loopDelayMs.p99, 10, 'ms'),
  ]
}

export function round(value: number): number {
  if (!Number.isFinite(value)) return value
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 1 ? 2 : 3
  return Number(value.toFixed(digits))
}

// ─── output ────────────────────────────────────────────────────────────────────────

export function formatTable(report: EngineBenchReport): string {
  const t = report.taskdeck
  const n = report.taskdeckNormal
  const b = report.bullmq
  const times = (ratio: number): string => `${fmt(ratio)}×`
  const rows: string[][] = [
    ['metric', 'Taskdeck (FULL)', 'Taskdeck (NORMAL)', 'BullMQ', 'BullMQ ÷ Taskdeck FULL'],
    ['enqueue → start p50 (ms)', fmt(t.latencyMs.p50), fmt(n.latencyMs.p50), fmt(b.latencyMs.p50), times(report.ratios.latencyP50)],
    ['enqueue → start p99 (ms)', fmt(t.latencyMs.p99), fmt(n.latencyMs.p99), fmt(b.latencyMs.p99), times(report.ratios.latencyP99)],
    ['enqueue → stored (ack) p50 (ms)', fmt(t.enqueueAckMs.p50), fmt(n.enqueueAckMs.p50), fmt(b.enqueueAckMs.p50), ''],
    ['enqueue → run.started event p50 (ms)', fmt(t.startedEventMs.p50), fmt(n.startedEventMs.p50), '—', ''],
    ['durable no-op tasks/s', fmt(t.throughputPerSec), fmt(n.throughputPerSec), fmt(b.throughputPerSec), times(1 / report.ratios.throughput)],
    ['loop delay p99 during throughput (ms)', fmt(t.loopDelayMs.p99), fmt(n.loopDelayMs.p99), fmt(b.loopDelayMs.p99), ''],
    ['`true` per task (ms)', fmt(t.shell?.perTaskMs ?? Number.NaN), '—', fmt(b.shell?.perTaskMs ?? Number.NaN), ''],
    ['raw spawn of `true` alongside (ms)', fmt(t.shell?.rawSpawnMs ?? Number.NaN), '—', fmt(b.shell?.rawSpawnMs ?? Number.NaN), ''],
    ['`true` task ÷ raw spawn', times(t.shell?.ratio ?? Number.NaN), '—', times(b.shell?.ratio ?? Number.NaN), ''],
  ]
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  const line = (r: string[]): string => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`
  const table = [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)]
  const goals = report.goals.map((g) => `- ${g.met ? 'met' : '**missed**'}: ${g.goal} — measured ${g.measured}${g.missedBy ? ` (${g.missedBy})` : ''}`)
  return [...table, '', 'Goals (Taskdeck, synchronous=FULL):', '', ...goals].join('\n')
}

function fmt(value: number): string {
  return String(round(value))
}
