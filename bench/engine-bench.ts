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
import type { Run, TaskDefinitionInput } from '../src-shared/index.ts'
import { TaskDefinitionSchema } from '../src-shared/index.ts'
import { Engine } from '../src-main/engine/engine.ts'
import { defaultRunners } from '../src-main/engine/runners/index.ts'
import { startLocalRedis } from './redis-server.ts'
import type { LocalRedis } from './redis-server.ts'

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
  /** Durable no-op tasks per second, first enqueue to last completion, enqueued with batch calls (submitMany / addBulk). */
  throughputPerSec: number
  /**
   * CPU time per no-op task in the throughput run, µs: this process (all threads) plus, for
   * BullMQ, redis-server. Unlike wall time it barely moves when other work shares the machine.
   */
  cpuPerTaskUs: number | null
  /** Main-thread event-loop delay during the throughput run, ms (resolution subtracted). */
  loopDelayMs: { p50: number; p99: number; max: number }
  /** The throughput run with one enqueue call per task instead of batch calls (Taskdeck only). */
  oneByOne: { throughputPerSec: number; cpuPerTaskUs: number; loopDelayMs: { p50: number; p99: number; max: number } } | null
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

/**
 * Each workload runs in this many rounds, the systems taking turns within a round, so a
 * burst of other work on the machine lands on all of them rather than on one.
 */
const ROUNDS = 4

/** Tasks per batch call: Taskdeck's task.submitMany and BullMQ's addBulk alike. */
const BATCH_CHUNK = 1000

/** One queue under test, with the same workloads. */
interface Subject {
  readonly name: string
  /** Enqueues one no-op and resolves when it completed: start, ack and (Taskdeck) run.started times, ms from before the enqueue. */
  noop(): Promise<{ start: number; ack: number; startedEvent: number | null }>
  /** Enqueues `count` no-ops at once with the queue's batch call, in chunks of BATCH_CHUNK, and resolves when all completed. */
  burst(count: number): Promise<void>
  /** The same with one enqueue call per task (Taskdeck only: a client that submits one by one). */
  burstOneByOne?(count: number): Promise<void>
  /** Enqueues one `true` and resolves when it finished. */
  shell(): Promise<void>
  /** CPU time used so far by processes outside this one that the system needs (redis-server), ms; null when unknown. */
  externalCpuMs(): number | null
  close(): Promise<void>
}

interface Samples {
  start: number[]
  ack: number[]
  startedEvent: number[]
  throughputSeconds: number
  throughputTasks: number
  cpuMs: number | null
  loop: ReturnType<typeof monitorEventLoopDelay>
  oneByOne: { seconds: number; tasks: number; cpuMs: number; loop: ReturnType<typeof monitorEventLoopDelay> }
  shellNs: bigint
  rawNs: bigint
  shellTasks: number
}

export async function runEngineBench(options: EngineBenchOptions): Promise<EngineBenchReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const loadBefore = loadavg()[0] ?? Number.NaN
  const work = await mkdtemp(join(tmpdir(), 'taskdeck-bench-'))
  const redis = await startLocalRedis()
  const subjects: Subject[] = []
  try {
    const scriptPath = join(work, 'noop.mjs')
    await writeFile(scriptPath, NOOP_SCRIPT)
    subjects.push(await openTaskdeck('Taskdeck (FULL)', join(work, 'home-full'), scriptPath, 'FULL', options.concurrency))
    subjects.push(await openTaskdeck('Taskdeck (NORMAL)', join(work, 'home-normal'), scriptPath, 'NORMAL', options.concurrency))
    subjects.push(await openBullmq('BullMQ', redis, options.concurrency))
    const [full, normal, bullmq] = await measure(subjects, options, log)

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
      taskdeck: { ...results(full!, true), startedEventMs: distribution(full!.startedEvent) },
      taskdeckNormal: { ...results(normal!, false), startedEventMs: distribution(normal!.startedEvent) },
      bullmq: results(bullmq!, true),
      ratios: { latencyP50: 0, latencyP99: 0, throughput: 0, throughputNormal: 0 },
      goals: [],
    }
    report.ratios = {
      latencyP50: report.bullmq.latencyMs.p50 / report.taskdeck.latencyMs.p50,
      latencyP99: report.bullmq.latencyMs.p99 / report.taskdeck.latencyMs.p99,
      throughput: report.taskdeck.throughputPerSec / report.bullmq.throughputPerSec,
      throughputNormal: report.taskdeckNormal.throughputPerSec / report.bullmq.throughputPerSec,
    }
    report.goals = checkGoals(report)
    return report
  } finally {
    for (const subject of subjects) await subject.close()
    await redis.stop()
    await rm(work, { recursive: true, force: true })
  }
}

async function measure(subjects: Subject[], options: EngineBenchOptions, log: (line: string) => void): Promise<Samples[]> {
  const samples: Samples[] = subjects.map(() => ({
    start: [],
    ack: [],
    startedEvent: [],
    throughputSeconds: 0,
    throughputTasks: 0,
    cpuMs: 0,
    loop: monitorEventLoopDelay({ resolution: 1 }),
    oneByOne: { seconds: 0, tasks: 0, cpuMs: 0, loop: monitorEventLoopDelay({ resolution: 1 }) },
    shellNs: 0n,
    rawNs: 0n,
    shellTasks: 0,
  }))
  const share = (total: number, round: number): number => Math.floor(total / ROUNDS) + (round < total % ROUNDS ? 1 : 0)
  const inTurn = async (round: number, step: (subject: Subject, s: Samples) => Promise<void>): Promise<void> => {
    // Rotate who goes first, so no system always runs right after another one's burst.
    for (let k = 0; k < subjects.length; k++) {
      const i = (round + k) % subjects.length
      await step(subjects[i]!, samples[i]!)
    }
  }

  log(`warm-up: ${options.warmup} no-ops and ${Math.min(options.warmup, 20)} shell tasks each`)
  for (const subject of subjects) {
    for (let i = 0; i < options.warmup; i++) await subject.noop()
    for (let i = 0; i < Math.min(options.warmup, 20); i++) await subject.shell()
  }

  log(`latency: ${options.latencyTasks} sequential no-ops each, in ${ROUNDS} rounds`)
  for (let round = 0; round < ROUNDS; round++) {
    await inTurn(round, async (subject, s) => {
      for (let i = 0; i < share(options.latencyTasks, round); i++) {
        const { start, ack, startedEvent } = await subject.noop()
        s.start.push(start)
        s.ack.push(ack)
        if (startedEvent !== null) s.startedEvent.push(startedEvent)
      }
    })
  }

  log(
    `throughput: ${options.throughputTasks} no-ops each, submitted at once in ${ROUNDS} rounds, concurrency ${options.concurrency}` +
      ` (batch calls of ${BATCH_CHUNK}; Taskdeck also one task.submit each)`,
  )
  for (let round = 0; round < ROUNDS; round++) {
    await inTurn(round, async (subject, s) => {
      const count = share(options.throughputTasks, round)
      if (count === 0) return
      const cpuBefore = process.cpuUsage()
      const externalBefore = subject.externalCpuMs()
      s.loop.enable()
      const start = hrNow()
      await subject.burst(count)
      s.throughputSeconds += msBetween(start, hrNow()) / 1000
      s.loop.disable()
      const cpu = process.cpuUsage(cpuBefore)
      const externalAfter = subject.externalCpuMs()
      const external = externalBefore === null || externalAfter === null ? null : externalAfter - externalBefore
      s.cpuMs = s.cpuMs === null || external === null ? null : s.cpuMs + (cpu.user + cpu.system) / 1000 + external
      s.throughputTasks += count
      if (!subject.burstOneByOne) return
      const oneByOneCpuBefore = process.cpuUsage()
      s.oneByOne.loop.enable()
      const oneByOneStart = hrNow()
      await subject.burstOneByOne(count)
      s.oneByOne.seconds += msBetween(oneByOneStart, hrNow()) / 1000
      s.oneByOne.loop.disable()
      const oneByOneCpu = process.cpuUsage(oneByOneCpuBefore)
      s.oneByOne.cpuMs += (oneByOneCpu.user + oneByOneCpu.system) / 1000
      s.oneByOne.tasks += count
    })
  }

  log(`shell: ${options.shellTasks} sequential \`true\` tasks each, each followed by a raw spawn (Taskdeck FULL and BullMQ)`)
  const shellSubjects = new Set([subjects[0], subjects[2]])
  for (let round = 0; round < ROUNDS; round++) {
    await inTurn(round, async (subject, s) => {
      if (!shellSubjects.has(subject)) return
      for (let i = 0; i < share(options.shellTasks, round); i++) {
        // Alternating with a raw spawn puts both in the same process state: a fork costs more as the process grows.
        const t0 = hrNow()
        await subject.shell()
        const t1 = hrNow()
        await spawnTrue()
        s.rawNs += hrNow() - t1
        s.shellNs += t1 - t0
        s.shellTasks++
      }
    })
  }
  return samples
}

function results(s: Samples, withShell: boolean): SystemResults {
  const perTaskMs = Number(s.shellNs) / 1e6 / s.shellTasks
  const rawSpawnMs = Number(s.rawNs) / 1e6 / s.shellTasks
  return {
    latencyMs: distribution(s.start),
    enqueueAckMs: distribution(s.ack),
    throughputPerSec: s.throughputTasks / s.throughputSeconds,
    cpuPerTaskUs: s.cpuMs === null ? null : (s.cpuMs * 1000) / s.throughputTasks,
    loopDelayMs: loopDelay(s.loop),
    oneByOne:
      s.oneByOne.tasks > 0
        ? { throughputPerSec: s.oneByOne.tasks / s.oneByOne.seconds, cpuPerTaskUs: (s.oneByOne.cpuMs * 1000) / s.oneByOne.tasks, loopDelayMs: loopDelay(s.oneByOne.loop) }
        : null,
    shell: withShell && s.shellTasks > 0 ? { perTaskMs, rawSpawnMs, ratio: perTaskMs / rawSpawnMs } : null,
  }
}

async function spawnTrue(): Promise<void> {
  const child = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.resume()
  child.stderr.resume()
  await once(child, 'close')
}

// ─── Taskdeck ──────────────────────────────────────────────────────────────────────

async function openTaskdeck(
  name: string,
  home: string,
  scriptPath: string,
  synchronous: 'FULL' | 'NORMAL',
  concurrency: number,
): Promise<Subject> {
  const engine = await Engine.open({ home, runners: defaultRunners(), synchronous })
  const waiting = new Map<number, (run: Run) => void>()
  /** Runs that finished before their submit call returned. */
  const early = new Map<number, Run>()
  const startedAt = new Map<number, bigint>()
  let counting: { left: number; resolve: () => void } | null = null
  let failure: string | null = null
  const listening = engine.host.onEvent((event) => {
    if (event.type === 'run.started') startedAt.set(event.run.taskId, hrNow())
    if (event.type !== 'run.finished') return
    const run = event.run
    if (run.status !== 'succeeded') failure ??= `bench task ${run.taskId} ${run.status}: ${run.reason}`
    const waiter = waiting.get(run.taskId)
    waiting.delete(run.taskId)
    if (waiter) waiter(run)
    else if (!counting) early.set(run.taskId, run)
    if (counting && --counting.left === 0) counting.resolve()
  })
  const check = (): void => {
    if (failure !== null) throw new Error(failure)
  }
  await engine.handlers['group.set']({ name: 'bench', parallel: concurrency })
  const noop = TaskDefinitionSchema.parse({ spec: { kind: 'script', path: scriptPath }, group: 'bench' } satisfies TaskDefinitionInput)
  const shell = TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: ['true'] }, group: 'bench' } satisfies TaskDefinitionInput)
  const submit = async (definition: typeof noop): Promise<number> => (await engine.handlers['task.submit']({ definition })).task.id
  /** Submits one task and waits for its run to finish. */
  const runOne = async (definition: typeof noop): Promise<{ run: Run; before: bigint; acked: bigint; taskId: number }> => {
    const before = hrNow()
    const taskId = await submit(definition)
    const acked = hrNow()
    const run = early.get(taskId) ?? (await new Promise<Run>((resolvePromise) => waiting.set(taskId, resolvePromise)))
    early.delete(taskId)
    check()
    return { run, before, acked, taskId }
  }
  return {
    name,
    async noop() {
      const { run, before, acked, taskId } = await runOne(noop)
      const started = startedAt.get(taskId)
      startedAt.delete(taskId)
      return {
        start: msBetween(before, BigInt(run.result as string)),
        ack: msBetween(before, acked),
        startedEvent: started === undefined ? null : msBetween(before, started),
      }
    },
    async burst(count) {
      const { promise, resolve } = withResolvers<void>()
      counting = { left: count, resolve }
      const submits: Promise<unknown>[] = []
      for (let i = 0; i < count; i += BATCH_CHUNK) {
        const size = Math.min(BATCH_CHUNK, count - i)
        submits.push(engine.handlers['task.submitMany']({ definitions: Array.from({ length: size }, () => noop) }))
      }
      await Promise.all(submits)
      await promise
      counting = null
      startedAt.clear()
      check()
    },
    async burstOneByOne(count) {
      const { promise, resolve } = withResolvers<void>()
      counting = { left: count, resolve }
      await Promise.all(Array.from({ length: count }, () => submit(noop)))
      await promise
      counting = null
      startedAt.clear()
      check()
    },
    async shell() {
      await runOne(shell)
    },
    // The engine, its worker threads and SQLite all run in this process.
    externalCpuMs: () => 0,
    async close() {
      listening.dispose()
      await engine.close()
    },
  }
}

// ─── BullMQ ────────────────────────────────────────────────────────────────────────

async function openBullmq(name: string, redis: LocalRedis, concurrency: number): Promise<Subject> {
  const { host, port } = redis
  const connection = { host, port, maxRetriesPerRequest: null }
  const startedAt = new Map<string, bigint>()
  const waiting = new Map<string, () => void>()
  const done = new Set<string>()
  let counting: { left: number; resolve: () => void } | null = null
  const completed = (job: Job): void => {
    const id = job.id!
    const waiter = waiting.get(id)
    if (waiter) {
      waiting.delete(id)
      waiter()
    } else if (!counting) {
      done.add(id)
    }
    if (counting && --counting.left === 0) counting.resolve()
  }
  const untilCompleted = (id: string): Promise<void> => {
    if (done.delete(id)) return Promise.resolve()
    return new Promise((resolvePromise) => waiting.set(id, resolvePromise))
  }
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
  noopWorker.on('completed', completed)
  const shellQueue = new Queue('shell', { connection })
  const shellWorker = new Worker('shell', () => spawnTrue(), { connection, concurrency: 1 })
  shellWorker.on('completed', completed)
  await Promise.all([noopWorker.waitUntilReady(), shellWorker.waitUntilReady(), noopQueue.waitUntilReady(), shellQueue.waitUntilReady()])

  return {
    name,
    async noop() {
      if (noopWorker.concurrency !== 1) noopWorker.concurrency = 1
      const before = hrNow()
      const job = await noopQueue.add('noop', {})
      const acked = hrNow()
      await untilCompleted(job.id!)
      const started = startedAt.get(job.id!)!
      startedAt.delete(job.id!)
      return { start: msBetween(before, started), ack: msBetween(before, acked), startedEvent: null }
    },
    async burst(count) {
      noopWorker.concurrency = concurrency
      const { promise, resolve } = withResolvers<void>()
      counting = { left: count, resolve }
      // addBulk in chunks is BullMQ's fastest way in: one round trip per chunk.
      const adds: Promise<unknown>[] = []
      for (let i = 0; i < count; i += BATCH_CHUNK) {
        const size = Math.min(BATCH_CHUNK, count - i)
        adds.push(noopQueue.addBulk(Array.from({ length: size }, () => ({ name: 'noop', data: {} }))))
      }
      await Promise.all(adds)
      await promise
      counting = null
      startedAt.clear()
    },
    async shell() {
      await untilCompleted((await shellQueue.add('true', {})).id!)
    },
    externalCpuMs: () => redis.cpuMs(),
    async close() {
      await Promise.all([noopWorker.close(), shellWorker.close()])
      await Promise.all([noopQueue.close(), shellQueue.close()])
    },
  }
}

/** Promise.withResolvers, which the project's ES2023 lib does not declare yet. */
function withResolvers<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
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
    measured: `${round(value)}${unit === '×' ? '' : ' '}${unit}`,
    met: value <= limit,
    ...(value > limit ? { missedBy: `${round(value / limit)}× the goal` } : {}),
  })
  const atLeast = (goal: string, value: number, limit: number, unit: string): GoalCheck => ({
    goal,
    measured: `${round(value)}${unit === '×' ? '' : ' '}${unit}`,
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
    ['durable no-op tasks/s (batch submit)', fmt(t.throughputPerSec), fmt(n.throughputPerSec), fmt(b.throughputPerSec), times(1 / report.ratios.throughput)],
    ['CPU per no-op task, all threads + redis (µs)', fmtOpt(t.cpuPerTaskUs), fmtOpt(n.cpuPerTaskUs), fmtOpt(b.cpuPerTaskUs), ''],
    ['loop delay p99 during throughput (ms)', fmt(t.loopDelayMs.p99), fmt(n.loopDelayMs.p99), fmt(b.loopDelayMs.p99), ''],
    ['durable no-op tasks/s (one submit each)', fmtOpt(t.oneByOne?.throughputPerSec ?? null), fmtOpt(n.oneByOne?.throughputPerSec ?? null), '—', ''],
    ['CPU per no-op task, one submit each (µs)', fmtOpt(t.oneByOne?.cpuPerTaskUs ?? null), fmtOpt(n.oneByOne?.cpuPerTaskUs ?? null), '—', ''],
    ['loop delay p99, one submit each (ms)', fmtOpt(t.oneByOne?.loopDelayMs.p99 ?? null), fmtOpt(n.oneByOne?.loopDelayMs.p99 ?? null), '—', ''],
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

function fmtOpt(value: number | null): string {
  return value === null ? '—' : fmt(value)
}

function fmt(value: number): string {
  return String(round(value))
}
