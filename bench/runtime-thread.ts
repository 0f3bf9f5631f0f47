/**
 * `node bench/runtime-thread.ts`: how long the app's main thread is held while the runtime
 * replays a long history and imports a large export, with the runtime in this thread
 * (`openRuntime`, as `taskdeck serve` runs it) and in a worker thread (`openRuntimeInWorker`,
 * as the desktop app runs it), both ways events can cross (JSON text, structured clone).
 *
 * Everything goes through ApiSession, as the desktop's IPC does: the replay is an
 * `events.subscribe` from 0, the import a `data.import` request. On this ("main") thread,
 * `monitorEventLoopDelay` samples how late the loop runs, and `eventLoopUtilization` how busy
 * it is; busy time ÷ events is the main thread's cost per event.
 *
 * Prints a table and, unless --no-write, adds a dated section to docs/benchmarks.md.
 * Sizes: --events 100000 --import 20000.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { ApiSession } from '../src-main/api/session.ts'
import { openRuntime, type RuntimeOptions, type TaskdeckRuntime } from '../src-main/app/runtime.ts'
import { openRuntimeInWorker } from '../src-main/app/runtime-thread.ts'
import { TaskDefinitionSchema, isDurable, type EngineEvent, type ExportDocument, type ServerMessage } from '../src-shared/index.ts'

const root = join(import.meta.dirname, '..')
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    import: { type: 'string', default: '20000' },
    doc: { type: 'string', default: join(root, 'docs/benchmarks.md') },
    'no-write': { type: 'boolean', default: false },
  },
})
const EVENTS = Number.parseInt(values.events, 10)
const IMPORT_TASKS = Number.parseInt(values.import, 10)

type Mode = { name: string; open: (options: RuntimeOptions) => Promise<TaskdeckRuntime> }
const MODES: Mode[] = [
  { name: 'in this thread', open: openRuntime },
  { name: 'worker, JSON text', open: (o) => openRuntimeInWorker({ ...o, transport: 'json' }) },
  { name: 'worker, structured clone', open: (o) => openRuntimeInWorker({ ...o, transport: 'clone' }) },
]

const base = mkdtempSync(join(tmpdir(), 'taskdeck-bench-thread-'))
const options = (home: string): RuntimeOptions => {
  mkdirSync(home, { recursive: true, mode: 0o700 })
  return { home, rendererDir: join(home, 'no-renderer'), machineMonitor: 'none', networkWatch: { source: 'none' } }
}

/** A session as the IPC makes one: requests in, messages out. */
function session(runtime: TaskdeckRuntime, onEvents: (events: EngineEvent[]) => void) {
  let nextId = 1
  const waiting = new Map<number, (message: ServerMessage) => void>()
  const api = new ApiSession(runtime.api, (message) => {
    if (message.kind === 'events') onEvents(message.events)
    else if (message.kind === 'response') waiting.get(message.id)?.(message)
  })
  const request = (command: string, params: unknown) =>
    new Promise<ServerMessage>((resolve) => {
      const id = nextId++
      waiting.set(id, resolve)
      void api.handle({ v: 1, id, command, params })
    })
  return { request, dispose: () => api.dispose() }
}

interface Measure {
  wallMs: number
  maxDelayMs: number
  p99DelayMs: number
  meanDelayMs: number
  busyMs: number
}

async function measured(work: () => Promise<void>): Promise<Measure> {
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  const elu = performance.eventLoopUtilization()
  const start = performance.now()
  await work()
  const wallMs = performance.now() - start
  const used = performance.eventLoopUtilization(elu)
  delay.disable()
  return { wallMs, maxDelayMs: delay.max / 1e6, p99DelayMs: delay.percentile(99) / 1e6, meanDelayMs: delay.mean / 1e6, busyMs: used.active }
}

// ─── the data: a log of EVENTS events, and an export of IMPORT_TASKS tasks ───────────────
const seeded = join(base, 'seeded')
{
  const runtime = await openRuntime(options(seeded))
  const { handlers } = runtime.api
  await handlers['engine.pause']({})
  const definition = (i: number) => TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: `echo task ${i}` }, name: `task ${i}`, labels: ['bench'] })
  let head = (await handlers['events.read']({ since: 0, limit: 1 })).headSeq
  for (let i = 0; head < EVENTS; i += 5000) {
    await handlers['task.submitMany']({ definitions: Array.from({ length: Math.min(5000, EVENTS - head) }, (_, k) => definition(i + k)) })
    head = (await handlers['events.read']({ since: 0, limit: 1 })).headSeq
  }
  await runtime.close()
}
/** The export, read afresh for each run (the document each mode imports is its own). */
const exportDocument = (): ExportDocument => JSON.parse(readFileSync(join(base, 'export.json'), 'utf8')) as ExportDocument
{
  const runtime = await openRuntime(options(join(base, 'exporter')))
  const { handlers } = runtime.api
  await handlers['engine.pause']({})
  for (let i = 0; i < IMPORT_TASKS; i += 5000) {
    await handlers['task.submitMany']({ definitions: Array.from({ length: Math.min(5000, IMPORT_TASKS - i) }, (_, k) => TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: `echo ${i + k}` }, name: `imported ${i + k}` })) })
  }
  writeFileSync(join(base, 'export.json'), JSON.stringify(await handlers['data.export']({})))
  await runtime.close()
}

interface Row {
  mode: string
  replay: Measure & { events: number }
  importing: Measure & { tasks: number }
}
const rows: Row[] = []
for (const mode of MODES) {
  const home = join(base, `run-${rows.length}`)
  cpSync(seeded, home, { recursive: true })
  const runtime = await mode.open(options(home))
  let durable = 0
  let target = Infinity
  let done: () => void = () => undefined
  const client = session(runtime, (events) => {
    for (const event of events) if (isDurable(event)) durable++
    if (durable >= target) done()
  })
  const replay = await measured(async () => {
    const finished = new Promise<void>((resolve) => (done = resolve))
    const answer = await client.request('events.subscribe', { since: 0, output: 'all' })
    target = answer.kind === 'response' && answer.result.ok ? (answer.result.value as { headSeq: number }).headSeq : NaN
    if (durable >= target) done()
    await finished
  })
  client.dispose()
  const document = exportDocument()
  const importer = session(runtime, () => undefined)
  let tasks = 0
  const importing = await measured(async () => {
    const answer = await importer.request('data.import', { document })
    if (answer.kind !== 'response' || !answer.result.ok) throw new Error(`import failed: ${JSON.stringify(answer)}`)
    tasks = (answer.result.value as { imported: unknown[] }).imported.length
  })
  importer.dispose()
  await runtime.close()
  rmSync(home, { recursive: true, force: true })
  rows.push({ mode: mode.name, replay: { ...replay, events: durable }, importing: { ...importing, tasks } })
}
rmSync(base, { recursive: true, force: true })

const f = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const table = [
  '| runtime | replay: wall ms | main loop delay max / p99 ms | main busy ms | main µs per event | import: wall ms | main loop delay max / p99 ms | main busy ms |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.mode} | ${f(r.replay.wallMs)} | ${f(r.replay.maxDelayMs, 1)} / ${f(r.replay.p99DelayMs, 1)} | ${f(r.replay.busyMs)} | ${f((r.replay.busyMs * 1000) / r.replay.events, 2)} | ${f(r.importing.wallMs)} | ${f(r.importing.maxDelayMs, 1)} / ${f(r.importing.p99DelayMs, 1)} | ${f(r.importing.busyMs)} |`,
  ),
].join('\n')
const when = new Date().toISOString().replace(/:\d\d\.\d+Z$/, ' UTC').replace('T', ' ')
const load = loadavg()[0]!.toFixed(1)
const summary = `${f(rows[0]!.replay.events)} events replayed (events.subscribe from 0 through ApiSession), an export of ${f(rows[0]!.importing.tasks)} tasks imported (data.import through ApiSession); Node ${process.version}, 1-minute load ${load}.`
process.stdout.write(`${summary}\n\n${table}\n`)

if (!values['no-write']) {
  const path = values.doc
  const existing = readFileSync(path, 'utf8')
  writeFileSync(path, `${existing.trimEnd()}\n\n## Runtime thread: the main thread during a replay and an import (\`node bench/runtime-thread.ts\`, ${when})\n\n${summary}\n\n${table}\n`)
  process.stdout.write(`\nadded a section to ${path}\n`)
}
