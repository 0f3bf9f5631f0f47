/**
 * `npm run bench:redis`: remote execution through Redis against the embedded backend and
 * against plain BullMQ with a no-op processor, measured in the same run on this machine.
 *
 * For 1, 2 and 4 worker processes (concurrency 4 each):
 * - throughput: N no-op script tasks submitted at once, from the first submit until the
 *   app holds every outcome (Taskdeck) / has heard every `completed` event (plain BullMQ),
 *   twice on the same worker processes: cold (fresh processes) and warm (the steady state);
 * - enqueue → start latency: tasks submitted one at a time, BullMQ's processedOn − timestamp
 *   of each job (the same fields for both, so the figures compare).
 * The embedded backend runs the same tasks in this process (latency there: submit → first output).
 * For each throughput run it also counts the CPU time every process spent per task (this
 * process as the app, the worker processes with all their threads, redis-server) and the
 * Redis commands per task: on a machine shared with other work, CPU per task is the steadier
 * figure (other load stretches wall time far more than it inflates CPU time).
 * Writes bench/results/redis.json and the redis section of docs/benchmarks.md.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import os from 'node:os'
import { join } from 'node:path'
import { Queue, QueueEvents } from 'bullmq'
import { Redis } from 'ioredis'
import { BullmqBackend } from '../src-main/engine/backends/bullmq.ts'
import { EmbeddedBackend } from '../src-main/engine/backends/embedded.ts'
import { jobIdOf, redisKeys } from '../src-main/engine/backends/redis-protocol.ts'
import type { TaskSpec } from '../src-shared/index.ts'
import { workerRunners } from '../src-main/worker/runners.ts'
import { RecordingContext, ROOT, spawnWorker, startRedis, waitForLine } from '../test/redis/harness.ts'
import { processCpuMs } from './redis-server.ts'
import type { WorkerProcess } from '../test/redis/harness.ts'

const TASKS = Number(process.env.BENCH_TASKS ?? 2000)
const LATENCY_TASKS = Number(process.env.BENCH_LATENCY_TASKS ?? 200)
const PER_WORKER = 4
const WORKER_COUNTS = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number)
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3)
const NOOP: TaskSpec = { kind: 'script', path: join(ROOT, 'bench/fixtures/noop.mjs') }

interface Row {
  setup: string
  workers: number | null
  tasksPerSecond: number
  msPerTask: number
  latencyP50Ms: number
  latencyP99Ms: number
  /** CPU time per task of the throughput run, µs: the app (this process), all worker processes, redis-server. */
  cpuUsPerTask: { app: number; workers: number; redis: number; total: number } | null
  redisCommandsPerTask: number | null
  /** The first throughput round on fresh worker processes (the figures above are the second, warmed-up round); null for the embedded backend. */
  cold: { msPerTask: number; cpuUsPerTaskTotal: number } | null
}

/** What a throughput run cost: CPU of each process and Redis commands, per task. */
interface Cost {
  cpuUsPerTask: NonNullable<Row['cpuUsPerTask']>
  redisCommandsPerTask: number
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits
let nextRunId = 1

async function embedded(): Promise<Row> {
  const pool = workerRunners(PER_WORKER)
  const backend = new EmbeddedBackend(pool.runners)
  const placed = { group: 'bench', name: 'noop', priority: 0 }
  await Promise.all(Array.from({ length: PER_WORKER * 4 }, () => backend.start(NOOP, placed, new RecordingContext(nextRunId++)).done))
  const latencies: number[] = []
  for (let i = 0; i < LATENCY_TASKS; i++) {
    const context = new RecordingContext(nextRunId++)
    const submitted = performance.now()
    let started = 0
    const record = context.output.bind(context)
    context.output = (stream, chunk) => {
      started ||= performance.now()
      record(stream, chunk)
    }
    await backend.start(NOOP, placed, context).done
    latencies.push(started - submitted)
  }
  const begin = performance.now()
  await Promise.all(Array.from({ length: TASKS }, () => backend.start(NOOP, placed, new RecordingContext(nextRunId++)).done))
  const seconds = (performance.now() - begin) / 1000
  await pool.close()
  return row('embedded (this process)', null, seconds, latencies, null)
}

async function taskdeckRemote(url: string, workers: number): Promise<Row> {
  const group = `td${workers}`
  const processes: WorkerProcess[] = []
  for (let i = 0; i < workers; i++) processes.push(await spawnWorker(url, group, { concurrency: PER_WORKER, productionTimings: true }))
  const backend = await BullmqBackend.connect({ connection: { url }, source: `bench-${randomUUID().slice(0, 8)}` })
  const queue = new Queue(group, { connection: { url }, prefix: redisKeys().bullPrefix })
  try {
    const placed = { group, name: 'noop', priority: 0 }
    // Warm every worker's script pool (threads start and load the module on first use).
    await Promise.all(Array.from({ length: workers * PER_WORKER * 4 }, () => backend.start(NOOP, placed, new RecordingContext(nextRunId++)).done))
    const latencyRuns: number[] = []
    for (let i = 0; i < LATENCY_TASKS; i++) {
      const context = new RecordingContext(nextRunId++)
      await backend.start(NOOP, placed, context).done
      latencyRuns.push(context.runId)
    }
    const latencies = await jobLatencies(queue, latencyRuns.map((runId) => jobIdOf(backend.source, runId)))
    const rounds = await throughputRounds(url, processes.map((p) => p.child), async () => {
      await Promise.all(Array.from({ length: TASKS }, () => backend.start(NOOP, placed, new RecordingContext(nextRunId++)).done))
    })
    return row('Taskdeck remote (BullMQ + reports)', workers, rounds.warm.seconds, latencies, rounds.warm.cost, rounds.cold)
  } finally {
    await queue.close()
    await backend.close()
    await Promise.all(processes.map((p) => p.stop()))
  }
}

async function plainBullmq(url: string, workers: number): Promise<Row> {
  const name = `plain${workers}`
  const prefix = 'plain'
  const processes = await Promise.all(
    Array.from({ length: workers }, async () => {
      const child = spawn(process.execPath, [join(ROOT, 'bench/bullmq-noop-worker.ts'), url, name, String(PER_WORKER), prefix], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      await waitForLine(child, /^ready$/, 'bullmq-noop-worker')
      return child
    }),
  )
  // BullMQ trims its event stream to 10,000 entries by default; a QueueEvents that falls that far behind
  // (2,000 jobs write ~5 events each) would miss `completed` events and the run would never end.
  const queue = new Queue(name, { connection: { url }, prefix, streams: { events: { maxLen: 100_000 } } })
  const events = new QueueEvents(name, { connection: { url }, prefix })
  await events.waitUntilReady()
  try {
    const latencyIds: string[] = []
    for (let i = 0; i < LATENCY_TASKS; i++) {
      const job = await queue.add('noop', {})
      await job.waitUntilFinished(events)
      latencyIds.push(job.id!)
    }
    const latencies = await jobLatencies(queue, latencyIds)
    let completed = 0
    let roundDone: { at: number; resolve: () => void } | null = null
    events.on('completed', () => {
      if (++completed === roundDone?.at) roundDone.resolve()
    })
    const rounds = await throughputRounds(url, processes, async () => {
      const allDone = new Promise<void>((resolve) => (roundDone = { at: completed + TASKS, resolve }))
      await Promise.all(Array.from({ length: TASKS }, () => queue.add('noop', {})))
      await allDone
    })
    return row('plain BullMQ, no-op processor', workers, rounds.warm.seconds, latencies, rounds.warm.cost, rounds.cold)
  } finally {
    await events.close()
    await queue.close()
    await Promise.all(
      processes.map(async (child) => {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }),
    )
  }
}

/**
 * Two throughput rounds of TASKS on the same worker processes, each timed and metered: the
 * first (cold) pays each process's one-time warm-up — V8 compiling the per-task path, which is
 * longer in Taskdeck's worker than in a no-op BullMQ processor — and the second (warm) is the
 * steady state of a long-running worker, the per-task figure. Both are reported.
 */
async function throughputRounds(url: string, workers: ChildProcess[], round: () => Promise<void>) {
  const measure = async () => {
    const meter = await startMeter(url, workers)
    const begin = performance.now()
    await round()
    const seconds = (performance.now() - begin) / 1000
    return { seconds, cost: await meter.stop() }
  }
  const first = await measure()
  const warm = await measure()
  return { warm, cold: { msPerTask: msPerTask(first.seconds), cpuUsPerTaskTotal: first.cost.cpuUsPerTask.total } }
}

async function jobLatencies(queue: Queue, ids: string[]): Promise<number[]> {
  const jobs = await Promise.all(ids.map((id) => queue.getJob(id)))
  return jobs.map((job) => (job?.processedOn ?? NaN) - (job?.timestamp ?? NaN))
}

/** Redis's own CPU time (ms) and commands served so far, INFO itself excluded. */
async function redisCounters(redis: Redis): Promise<{ cpuMs: number; commands: number }> {
  const [cpu, commandstats] = [await redis.info('cpu'), await redis.info('commandstats')]
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? NaN)
  let commands = 0
  for (const [, name, calls] of commandstats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (name !== 'info') commands += Number(calls)
  return { cpuMs: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1000, commands }
}

/** Starts counting the cost of a throughput run; `stop` returns it per task. */
async function startMeter(url: string, workers: ChildProcess[]): Promise<{ stop(): Promise<Cost> }> {
  const redis = new Redis(url)
  const redisBefore = await redisCounters(redis)
  const appBefore = process.cpuUsage()
  const workersBefore = workers.map((child) => processCpuMs(child.pid) ?? NaN)
  return {
    async stop() {
      const app = process.cpuUsage(appBefore)
      const workersMs = workers.reduce((sum, child, i) => sum + (processCpuMs(child.pid) ?? NaN) - workersBefore[i]!, 0)
      const redisAfter = await redisCounters(redis)
      redis.disconnect()
      const perTask = (ms: number) => round((ms * 1000) / TASKS, 0)
      const cpuUsPerTask = { app: perTask((app.user + app.system) / 1000), workers: perTask(workersMs), redis: perTask(redisAfter.cpuMs - redisBefore.cpuMs), total: 0 }
      cpuUsPerTask.total = cpuUsPerTask.app + cpuUsPerTask.workers + cpuUsPerTask.redis
      return { cpuUsPerTask, redisCommandsPerTask: round((redisAfter.commands - redisBefore.commands) / TASKS, 1) }
    },
  }
}

const msPerTask = (seconds: number) => round((seconds * 1000) / TASKS, 3)

function row(setup: string, workers: number | null, seconds: number, latencies: number[], cost: Cost | null, cold: Row['cold'] = null): Row {
  return {
    setup,
    workers,
    tasksPerSecond: round(TASKS / seconds, 0),
    msPerTask: msPerTask(seconds),
    latencyP50Ms: round(percentile(latencies, 50)),
    latencyP99Ms: round(percentile(latencies, 99)),
    cpuUsPerTask: cost?.cpuUsPerTask ?? null,
    redisCommandsPerTask: cost?.redisCommandsPerTask ?? null,
    cold,
  }
}

/**
 * The best of REPEATS runs, alternating the setups: on a shared machine the other load only
 * ever slows a run down, and inflates its CPU time (cache misses, switches), so the fastest
 * run and the least CPU per task are each taken as the setup's figure.
 */
const best = (runs: Row[]): Row => {
  const fastest = runs.reduce((a, b) => (b.tasksPerSecond > a.tasksPerSecond ? b : a))
  const leanest = runs.reduce((a, b) => ((b.cpuUsPerTask?.total ?? Infinity) < (a.cpuUsPerTask?.total ?? Infinity) ? b : a))
  const colds = runs.flatMap((r) => (r.cold ? [r.cold] : []))
  const cold = colds.length === 0 ? null : { msPerTask: Math.min(...colds.map((c) => c.msPerTask)), cpuUsPerTaskTotal: Math.min(...colds.map((c) => c.cpuUsPerTaskTotal)) }
  return { ...fastest, cpuUsPerTask: leanest.cpuUsPerTask, redisCommandsPerTask: leanest.redisCommandsPerTask, cold }
}
const loadBefore = os.loadavg()[0]!
const redis = await startRedis(['--appendfsync', 'everysec'])
const rows: Row[] = []
try {
  const local: Row[] = []
  for (let i = 0; i < REPEATS; i++) local.push(await embedded())
  rows.push(best(local))
  for (const workers of WORKER_COUNTS) {
    const plain: Row[] = []
    const ours: Row[] = []
    for (let i = 0; i < REPEATS; i++) {
      plain.push(await plainBullmq(redis.url, workers))
      ours.push(await taskdeckRemote(redis.url, workers))
    }
    rows.push(best(plain), best(ours))
  }
} finally {
  await redis.stop()
}
const loadAfter = os.loadavg()[0]!

const ratios = WORKER_COUNTS.map((workers) => {
  const ours = rows.find((r) => r.workers === workers && r.setup.startsWith('Taskdeck'))!
  const plain = rows.find((r) => r.workers === workers && r.setup.startsWith('plain'))!
  return {
    workers,
    overheadPerTask: round(ours.msPerTask / plain.msPerTask),
    cpuPerTask: round(ours.cpuUsPerTask!.total / plain.cpuUsPerTask!.total),
    latencyP50DifferenceMs: round(ours.latencyP50Ms - plain.latencyP50Ms),
    coldOverheadPerTask: round(ours.cold!.msPerTask / plain.cold!.msPerTask),
    coldCpuPerTask: round(ours.cold!.cpuUsPerTaskTotal / plain.cold!.cpuUsPerTaskTotal),
  }
})
const at = new Date()
const machine = `${os.availableParallelism()} cores (${os.cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${os.platform()} ${os.arch()}`
const result = { at: at.toISOString(), machine, loadAverage: { before: loadBefore, after: loadAfter }, repeats: REPEATS, tasks: TASKS, latencyTasks: LATENCY_TASKS, perWorkerConcurrency: PER_WORKER, rows, ratios }
mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
writeFileSync(join(ROOT, 'bench/results/redis.json'), `${JSON.stringify(result, null, 2)}\n`)

const cpu = (r: Row) => (r.cpuUsPerTask ? `${r.cpuUsPerTask.total} (${r.cpuUsPerTask.app} + ${r.cpuUsPerTask.workers} + ${r.cpuUsPerTask.redis})` : '—')
const table = [
  '| setup | worker processes | tasks/s | ms per task | CPU µs per task (app + workers + redis) | Redis commands per task | cold round: ms / CPU µs per task | enqueue → start p50 (ms) | p99 (ms) |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.setup} | ${r.workers ?? '—'} | ${r.tasksPerSecond} | ${r.msPerTask} | ${cpu(r)} | ${r.redisCommandsPerTask ?? '—'} | ${r.cold ? `${r.cold.msPerTask} / ${r.cold.cpuUsPerTaskTotal}` : '—'} | ${r.latencyP50Ms} | ${r.latencyP99Ms} |`,
  ),
].join('\n')
const goal = ratios
  .map((r) => `- ${r.workers} worker process${r.workers > 1 ? 'es' : ''}: Taskdeck ÷ plain BullMQ per task = **${r.overheadPerTask}×** wall time (goal ≤ 2×: ${r.overheadPerTask <= 2 ? 'met' : 'missed'}), **${r.cpuPerTask}×** CPU time; cold round ${r.coldOverheadPerTask}× wall, ${r.coldCpuPerTask}× CPU; enqueue → start p50 ${r.latencyP50DifferenceMs >= 0 ? '+' : ''}${r.latencyP50DifferenceMs} ms (BullMQ stores ms timestamps)`)
  .join('\n')
const section = `<!-- redis-bench:start (written by \`npm run bench:redis\`) -->
Run of ${at.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}; redis-server with appendonly yes, appendfsync everysec.
Best of ${REPEATS} alternating runs per setup. 1-minute load average ${round(loadBefore, 1)} before, ${round(loadAfter, 1)} after (other work shared the machine: treat ratios as rough).
${TASKS} no-op script tasks per throughput round (submitted at once), ${LATENCY_TASKS} one at a time for latency; ${PER_WORKER} concurrent runs per worker process.
Each run starts fresh worker processes and times two throughput rounds on them: the **cold** round pays each process's one-time warm-up (V8 compiling the per-task path, longer in Taskdeck's worker than in a no-op processor), the second is the steady state of a long-running worker. The per-task figures and the goal use the second; the cold round is shown beside it.
Taskdeck remote = the app's BullMQ backend + \`taskdeck worker\` processes running the task in their script pool and streaming reports back; a task is done when the app holds its outcome.
Plain BullMQ = Queue.add + worker processes with \`async () => null\`; done when QueueEvents reports \`completed\`. Embedded latency is submit → first output.
CPU per task = CPU time of a throughput round ÷ tasks, for this process (the app, or plain BullMQ's Queue and QueueEvents), the worker processes (all threads) and redis-server; the least of the ${REPEATS} runs (other load inflates it). Commands: Redis INFO commandstats, including those run inside BullMQ's Lua scripts.

${table}

${goal}
<!-- redis-bench:end -->`
const docs = join(ROOT, 'docs/benchmarks.md')
let text: string
try {
  text = readFileSync(docs, 'utf8')
} catch {
  text = '# Benchmarks\n'
}
const start = text.indexOf('<!-- redis-bench:start')
const end = text.indexOf('<!-- redis-bench:end -->')
text =
  start >= 0 && end > start
    ? text.slice(0, start) + section + text.slice(end + '<!-- redis-bench:end -->'.length)
    : `${text.trimEnd()}\n\n## Remote execution through Redis (\`npm run bench:redis\`)\n\n${section}\n`
writeFileSync(docs, text)
console.log(table)
console.log(goal)
