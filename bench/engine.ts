/**
 * `npm run bench:engine`: Taskdeck's engine against BullMQ on a local redis-server.
 * Prints a table, writes bench/results/engine.json and the engine section of
 * docs/benchmarks.md. Sizes can be overridden: `node bench/engine.ts --throughput 50000`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { FULL_SIZES, formatTable, runEngineBench } from './engine-bench.ts'
import type { EngineBenchReport } from './engine-bench.ts'

const root = join(import.meta.dirname, '..')
const START = '<!-- engine-bench:start (written by `npm run bench:engine`) -->'
const END = '<!-- engine-bench:end -->'

const { values } = parseArgs({
  options: {
    latency: { type: 'string' },
    throughput: { type: 'string' },
    shell: { type: 'string' },
    warmup: { type: 'string' },
    concurrency: { type: 'string' },
    /** Where to write the JSON and the Markdown summary (the smoke test points them at a temp dir). */
    results: { type: 'string', default: join(root, 'bench/results/engine.json') },
    doc: { type: 'string', default: join(root, 'docs/benchmarks.md') },
    'no-write': { type: 'boolean', default: false },
  },
})
const size = (value: string | undefined, fallback: number): number => (value === undefined ? fallback : Number.parseInt(value, 10))

const report = await runEngineBench({
  latencyTasks: size(values.latency, FULL_SIZES.latencyTasks),
  throughputTasks: size(values.throughput, FULL_SIZES.throughputTasks),
  shellTasks: size(values.shell, FULL_SIZES.shellTasks),
  warmup: size(values.warmup, FULL_SIZES.warmup),
  concurrency: size(values.concurrency, FULL_SIZES.concurrency),
})
process.stdout.write(`${formatTable(report)}\n`)

if (!values['no-write']) {
  const jsonPath = values.results
  await mkdir(dirname(jsonPath), { recursive: true })
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`)
  const docPath = values.doc
  await mkdir(dirname(docPath), { recursive: true })
  const existing = await readFile(docPath, 'utf8').catch(() => '# Benchmarks\n')
  await writeFile(docPath, withEngineSection(existing, engineSection(report)))
  process.stdout.write(`\nwrote ${jsonPath} and the engine section of ${docPath}\n`)
}

/** Replaces the generated part of the engine section, or appends it; the rest of the file is kept. */
function withEngineSection(document: string, section: string): string {
  const start = document.indexOf(START)
  const end = document.indexOf(END)
  if (start >= 0 && end > start) return document.slice(0, start) + section + document.slice(end + END.length)
  return `${document.trimEnd()}\n\n## Engine (\`npm run bench:engine\`)\n\n${section}\n`
}

function engineSection(r: EngineBenchReport): string {
  const m = r.machine
  return [
    START,
    `Run of ${r.date.slice(0, 16).replace('T', ' ')} UTC on ${m.nproc} cores (${m.cpu}), Node ${m.node}, ${m.platform}, redis-server ${m.redis};`,
    `load average ${m.loadAverage.before.toFixed(1)} before and ${m.loadAverage.after.toFixed(1)} after (other work on the machine inflates every figure).`,
    `Sizes: ${r.sizes.latencyTasks} latency tasks (after ${r.sizes.warmup} warm-up), ${r.sizes.throughputTasks} throughput tasks at concurrency ${r.sizes.concurrency}, ${r.sizes.shellTasks} shell tasks.`,
    '',
    `Durability — Taskdeck (FULL): ${r.durability.taskdeck}. Taskdeck (NORMAL): ${r.durability.taskdeckNormal}. BullMQ: ${r.durability.bullmq}.`,
    '',
    formatTable(r),
    END,
  ].join('\n')
}
