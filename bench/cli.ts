/**
 * `npm run bench:cli`: the end-to-end cost of queueing a trivial job from a shell loop and
 * waiting for all of them, for Taskdeck's CLI against task-spooler and nq in the same run.
 *
 *   node bench/cli.ts [--tasks 500] [--rounds 1] [--render]
 *
 * Each tool gets a fresh state directory. The timed part is exactly
 *   for i in $(seq N); do <tool add true>; done; <tool wait for all>
 * run by bash, so process start-up, the request and the job itself all count.
 * Writes bench/results/cli.json and the "CLI end to end" section of docs/benchmarks.md.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const root = resolve(import.meta.dirname, '..')
const bin = join(root, 'bin', 'taskdeck.js')
const { values } = parseArgs({ options: { tasks: { type: 'string', default: '500' }, rounds: { type: 'string', default: '1' }, render: { type: 'boolean', default: false } } })
const tasks = Number(values.tasks)
const rounds = Number(values.rounds)
const node = process.execPath
const builtCli = existsSync(join(root, 'out', 'cli', 'taskdeck.cjs'))

interface Tool {
  name: string
  /** Prepares a fresh state directory; returns the environment and a cleanup. */
  setup(dir: string): { env: NodeJS.ProcessEnv; teardown: () => void }
  loop: string
}

const taskdeck = (name: string, add: string): Tool => ({
  name,
  setup(dir) {
    const env = { ...process.env, TASKDECK_HOME: dir, NO_COLOR: '1', TD: `${node} ${bin}` }
    execFileSync(node, [bin, 'daemon'], { env, stdio: 'ignore' })
    const info = JSON.parse(readFileSync(join(dir, 'api.json'), 'utf8')) as { port: number; token: string }
    return {
      env: { ...env, TD_PORT: String(info.port), TD_TOKEN: info.token },
      teardown: () => execFileSync(node, [bin, 'stop'], { env, stdio: 'ignore' }),
    }
  },
  loop: `for i in $(seq ${tasks}); do ${add}; done; $TD wait >/dev/null`,
})

const TOOLS: Tool[] = [
  taskdeck('taskdeck (CLI)', '$TD add -q -- true >/dev/null'),
  // The same 500 commands as lines on one `add --batch`: one process, one connection, task.submitMany.
  {
    ...taskdeck('taskdeck (add --batch)', ''),
    loop: `for i in $(seq ${tasks}); do echo true; done | $TD add --batch -q >/dev/null; $TD wait >/dev/null`,
  },
  // The same engine and server without a Node process per job: what the CLI's start-up costs.
  taskdeck(
    'taskdeck (curl → HTTP API)',
    `curl -s -o /dev/null http://127.0.0.1:$TD_PORT/api/v1/command -H "Authorization: Bearer $TD_TOKEN" -d '{"v":1,"id":1,"command":"task.submit","params":{"definition":{"spec":{"kind":"shell","command":["true"]}}}}'`,
  ),
  // No job at all: the floor any Node-based CLI pays per call, for reading the CLI's figure.
  {
    name: 'node -e 0 (start-up only)',
    setup: () => ({ env: process.env, teardown: () => undefined }),
    loop: `for i in $(seq ${tasks}); do ${node} -e 0; done`,
  },
  {
    name: 'task-spooler (tsp)',
    setup(dir) {
      const env = { ...process.env, TS_SOCKET: join(dir, 'socket'), TMPDIR: dir, TS_MAXFINISHED: String(tasks + 10) }
      return { env, teardown: () => spawnSync('tsp', ['-K'], { env, stdio: 'ignore' }) }
    },
    loop: `for i in $(seq ${tasks}); do tsp true >/dev/null; done; tsp -w >/dev/null`,
  },
  {
    name: 'nq',
    setup(dir) {
      return { env: { ...process.env, NQDIR: dir }, teardown: () => undefined }
    },
    loop: `for i in $(seq ${tasks}); do nq true >/dev/null; done; nq -w`,
  },
]

function measure(tool: Tool): number {
  const dir = mkdtempSync(join(tmpdir(), 'taskdeck-bench-cli-'))
  const { env, teardown } = tool.setup(dir)
  try {
    const started = performance.now()
    const result = spawnSync('bash', ['-c', tool.loop], { env, stdio: ['ignore', 'ignore', 'pipe'] })
    const elapsed = performance.now() - started
    if (result.status !== 0) throw new Error(`${tool.name} failed (${result.status}): ${result.stderr.toString()}`)
    return elapsed
  } finally {
    teardown()
    // tsp's server may still be writing as it shuts down: retry until the folder is really gone.
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
  }
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const middle = sorted.length / 2
  return sorted.length % 2 === 1 ? (sorted[Math.floor(middle)] ?? Number.NaN) : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2
}

interface Results {
  date: string
  tasks: number
  rounds: number
  environment: { node: string; cpus: number; cpuModel: string; loadAverage1m: { atStart: number; atEnd: number }; cli: string }
  perTaskMs: Record<string, number>
  samplesMs: Record<string, number[]>
  ratios: Record<string, number>
}

const resultsPath = join(root, 'bench', 'results', 'cli.json')

function ratiosOf(perTask: Record<string, number>): Record<string, number> {
  const per = (name: string) => perTask[name] ?? Number.NaN
  return {
    'taskdeck CLI / tsp': per('taskdeck (CLI)') / per('task-spooler (tsp)'),
    'taskdeck CLI / nq': per('taskdeck (CLI)') / per('nq'),
    'taskdeck add --batch / tsp': per('taskdeck (add --batch)') / per('task-spooler (tsp)'),
    'taskdeck add --batch / nq': per('taskdeck (add --batch)') / per('nq'),
    'taskdeck via curl / tsp': per('taskdeck (curl → HTTP API)') / per('task-spooler (tsp)'),
    'node start-up alone / tsp': per('node -e 0 (start-up only)') / per('task-spooler (tsp)'),
    'taskdeck CLI / node start-up': per('taskdeck (CLI)') / per('node -e 0 (start-up only)'),
  }
}

function run(): Results {
  const loadAtStart = Number(loadavg()[0]?.toFixed(2))
  const samples = new Map<string, number[]>(TOOLS.map((tool) => [tool.name, []]))
  for (let round = 0; round < rounds; round++) {
    for (const tool of TOOLS) {
      const ms = measure(tool)
      samples.get(tool.name)?.push(ms)
      process.stdout.write(`round ${round + 1}: ${tool.name.padEnd(28)} ${(ms / 1000).toFixed(2)} s  (${(ms / tasks).toFixed(2)} ms/task)\n`)
    }
  }
  const perTask = Object.fromEntries(TOOLS.map((tool) => [tool.name, median(samples.get(tool.name) ?? []) / tasks]))
  return {
    date: new Date().toISOString(),
    tasks,
    rounds,
    environment: {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadAverage1m: { atStart: loadAtStart, atEnd: Number(loadavg()[0]?.toFixed(2)) },
      cli: builtCli ? 'the CommonJS bundle out/cli/taskdeck.cjs (built)' : 'TypeScript sources (not built)',
    },
    perTaskMs: perTask,
    samplesMs: Object.fromEntries(samples),
    ratios: ratiosOf(perTask),
  }
}

// `--render` rewrites the docs section from the stored results without measuring again.
const results: Results = values.render ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as Results) : run()
results.ratios = ratiosOf(results.perTaskMs)
const { date, environment, ratios } = results
const perTask = results.perTaskMs
process.stdout.write('\nPer task (median over rounds):\n')
for (const [name, ms] of Object.entries(perTask)) process.stdout.write(`  ${name.padEnd(28)} ${ms.toFixed(2)} ms\n`)
process.stdout.write('Ratios:\n')
for (const [name, ratio] of Object.entries(ratios)) process.stdout.write(`  ${name.padEnd(28)} ${ratio.toFixed(2)}×\n`)

if (!values.render) {
  mkdirSync(join(root, 'bench', 'results'), { recursive: true })
  writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`)
}
const ratio = (name: string) => (ratios[name] ?? Number.NaN).toFixed(1)
const goalMet = (ratios['taskdeck CLI / tsp'] ?? Number.POSITIVE_INFINITY) <= 1

// Only this section of docs/benchmarks.md is ours; the rest belongs to the engine benchmark.
const docPath = join(root, 'docs', 'benchmarks.md')
const START = '<!-- bench:cli:start -->'
const END = '<!-- bench:cli:end -->'
const section = `${START}
## CLI end to end (${date.slice(0, 10)})

\`npm run bench:cli\`: ${results.tasks} trivial jobs (\`true\`) queued from a bash loop, then waiting for all of them; ${results.rounds} round(s), median.
Node ${environment.node}, ${environment.cpus} × ${environment.cpuModel}; the CLI ran from ${environment.cli}.
1-minute load average ${environment.loadAverage1m.atStart} at the start, ${environment.loadAverage1m.atEnd} at the end${
  Math.max(environment.loadAverage1m.atStart, environment.loadAverage1m.atEnd) > environment.cpus
    ? ': the machine was busy with other work, so absolute times are inflated; the tools ran interleaved under the same conditions, so compare the ratios'
    : ''
}.

| Tool | per task |
|---|---|
${Object.entries(perTask)
  .map(([name, ms]) => `| ${name} | ${ms.toFixed(2)} ms |`)
  .join('\n')}

Ratios: ${Object.entries(ratios)
  .map(([name, value]) => `${name} = ${value.toFixed(2)}×`)
  .join('; ')}.

Goal (no slower per task than task-spooler): **${goalMet ? 'met' : 'not met'}**.${
  goalMet
    ? ''
    : ` Starting a Node process that does nothing already costs ${ratio('node start-up alone / tsp')}× tsp's whole job (C client, Unix socket);` +
      ` the CLI costs ${ratio('taskdeck CLI / node start-up')}× a bare Node start, and the same engine reached without a Node process per job` +
      ` (curl to the HTTP API) costs ${ratio('taskdeck via curl / tsp')}× tsp. A one-process-per-job Node CLI cannot reach tsp's figure;` +
      ' scripts that queue many jobs should keep one connection to the API.'
}
${END}`
const current = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n'
const updated = current.includes(START) ? current.replace(new RegExp(`${START}[\\s\\S]*?${END}`), section) : `${current.trimEnd()}\n\n${section}\n`
writeFileSync(docPath, updated)
process.stdout.write(`\n${values.render ? 'Rewrote' : 'Wrote bench/results/cli.json and'} the CLI section of docs/benchmarks.md.\n`)
