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
 * The two `ipc` modes replay through the desktop's IPC instead (runtime in a worker, Electron's
 * ipcMain and webContents as stand-ins that only count what is sent): `ipc-objects` as the IPC
 * delivered before (every replayed event parsed on this thread and handed over as an object),
 * `ipc-text` as registerIpc does now (replayed history forwarded as the log's JSON text).
 * Both stand-ins serialize each push with the V8 serializer, as Electron's webContents.send does
 * (structured clone) on the main thread. `threadCpuUsage` is this thread's CPU time.
 *
 * Prints a table and, unless --no-write, adds a dated section to docs/benchmarks.md.
 * Sizes: --events 100000 --import 20000 (0: no import). --modes thread,json,clone,ipc-objects,ipc-text
 * picks modes; --rounds N runs them N times, interleaved (each round runs every mode once), and
 * reports each mode's median.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { serialize } from 'node:v8'
import { ApiSession } from '../src-main/api/session.ts'
import { openRuntime, type RuntimeOptions, type TaskdeckRuntime } from '../src-main/app/runtime.ts'
import { openRuntimeInWorker } from '../src-main/app/runtime-thread.ts'
import { registerIpc } from '../src-main/desktop/ipc.ts'
import { chunkEvents, IPC_CHANNELS, type EventPush } from '../src-shared/decisions/ipc.ts'
import { TaskDefinitionSchema, type EngineEvent, type ExportDocument, type ServerMessage } from '../src-shared/index.ts'

const root = join(import.meta.dirname, '..')
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    import: { type: 'string', default: '20000' },
    doc: { type: 'string', default: join(root, 'docs/benchmarks.md') },
    modes: { type: 'string', default: 'thread,json,clone' },
    rounds: { type: 'string', default: '1' },
    'no-write': { type: 'boolean', default: false },
  },
})
const EVENTS = Number.parseInt(values.events, 10)
const IMPORT_TASKS = Number.parseInt(values.import, 10)
const ROUNDS = Number.parseInt(values.rounds, 10)

type Replayer = (runtime: TaskdeckRuntime, onPush: (lastSeq: number) => void) => { subscribe(): Promise<number>; dispose(): void }
type Mode = { key: string; name: string; open: (options: RuntimeOptions) => Promise<TaskdeckRuntime>; replayer: Replayer }
const lastSeqOf = (events: readonly EngineEvent[]): number => {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!
    if ('seq' in event) return event.seq
  }
  return 0
}

/** Replays through an ApiSession, as the IPC and the benchmarks' first rows do. */
const throughSession: Replayer = (runtime, onPush) => {
  const client = session(runtime, (events) => onPush(lastSeqOf(events)))
  return { subscribe: () => subscribeFromZero(client.request), dispose: client.dispose }
}

/** The IPC as it delivered before: the session's objects, queued and sent in chunks once per turn. */
const ipcObjects: Replayer = (runtime, onPush) => {
  let queue: EngineEvent[] = []
  const client = session(runtime, (events) => {
    if (queue.length === 0) {
      setImmediate(() => {
        const sent = queue
        queue = []
        for (const events of chunkEvents(sent)) fakeSend({ subscription: 1, events })
      })
    }
    queue.push(...events)
  })
  const fakeSend = (push: EventPush) => {
    serialize(push)
    onPush(lastSeqOf(push.events!))
  }
  return { subscribe: () => subscribeFromZero(client.request), dispose: client.dispose }
}

/** The desktop's IPC as it is (registerIpc): Electron's ipcMain and a window's webContents stand in. */
const ipcNow: Replayer = (runtime, onPush) => {
  let handler: ((event: unknown, raw: unknown) => Promise<unknown>) | null = null
  const ipcMain = { handle: (_channel: string, h: typeof handler) => (handler = h), removeHandler: () => undefined }
  const ipc = registerIpc({ ipcMain: ipcMain as never, engine: runtime.api, trust: {}, schedule: (run) => setImmediate(run) })
  const contents = {
    id: 1,
    isDestroyed: () => false,
    once: () => undefined,
    on: () => undefined,
    send: (channel: string, push: EventPush) => {
      if (channel !== IPC_CHANNELS.events) return
      serialize(push)
      // What the page will parse; here only the last event's seq is read, from the head the log writes first.
      if (push.json !== undefined) onPush(Number(/"seq":(\d+)/.exec(push.json.slice(push.json.lastIndexOf('{"type":')))?.[1] ?? 0))
      else onPush(lastSeqOf(push.events))
    },
  }
  const frame = { url: 'app://bundle/index.html', parent: null }
  let nextId = 1
  const request = async (command: string, params: unknown): Promise<ServerMessage> => {
    const id = nextId++
    const result = await handler!({ sender: contents, senderFrame: frame }, { v: 1, id, command, params })
    return { kind: 'response', id, result } as ServerMessage
  }
  return { subscribe: () => subscribeFromZero(request), dispose: () => ipc.dispose() }
}

async function subscribeFromZero(request: (command: string, params: unknown) => Promise<ServerMessage>): Promise<number> {
  const answer = await request('events.subscribe', { since: 0, output: 'all' })
  return answer.kind === 'response' && answer.result.ok ? (answer.result.value as { headSeq: number }).headSeq : NaN
}

const ALL_MODES: Mode[] = [
  { key: 'thread', name: 'in this thread', open: openRuntime, replayer: throughSession },
  { key: 'json', name: 'worker, JSON text', open: (o) => openRuntimeInWorker({ ...o, transport: 'json' }), replayer: throughSession },
  { key: 'clone', name: 'worker, structured clone', open: (o) => openRuntimeInWorker({ ...o, transport: 'clone' }), replayer: throughSession },
  { key: 'ipc-objects', name: 'worker, IPC as objects (before)', open: (o) => openRuntimeInWorker({ ...o, transport: 'json' }), replayer: ipcObjects },
  { key: 'ipc-text', name: 'worker, IPC forwarding text (registerIpc)', open: (o) => openRuntimeInWorker({ ...o, transport: 'json' }), replayer: ipcNow },
]
const MODES = values.modes.split(',').map((key) => {
  const mode = ALL_MODES.find((m) => m.key === key)
  if (!mode) throw new Error(`--modes: no mode "${key}" (${ALL_MODES.map((m) => m.key).join(', ')})`)
  return mode
})

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
  cpuMs: number
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
  const cpu = process.threadCpuUsage()
  const start = performance.now()
  await work()
  const wallMs = performance.now() - start
  const used = performance.eventLoopUtilization(elu)
  const cpuUsed = process.threadCpuUsage(cpu)
  delay.disable()
  return { cpuMs: (cpuUsed.user + cpuUsed.system) / 1000, wallMs, maxDelayMs: delay.max / 1e6, p99DelayMs: delay.percentile(99) / 1e6, meanDelayMs: delay.mean / 1e6, busyMs: used.active }
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
if (IMPORT_TASKS > 0) {
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
  importing: (Measure & { tasks: number }) | null
}
const runs = new Map<Mode, Row[]>(MODES.map((mode) => [mode, []]))
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of MODES) {
    const home = join(base, `run-${round}-${mode.key}`)
    cpSync(seeded, home, { recursive: true })
    const runtime = await mode.open(options(home))
    let lastSeq = 0
    let target = Infinity
    let done: () => void = () => undefined
    const replayer = mode.replayer(runtime, (seq) => {
      lastSeq = Math.max(lastSeq, seq)
      if (lastSeq >= target) done()
    })
    const replay = await measured(async () => {
      const finished = new Promise<void>((resolve) => (done = resolve))
      target = await replayer.subscribe()
      if (lastSeq >= target) done()
      await finished
    })
    replayer.dispose()
    let importing: Row['importing'] = null
    if (IMPORT_TASKS > 0) {
      const document = exportDocument()
      const importer = session(runtime, () => undefined)
      let tasks = 0
      const measure = await measured(async () => {
        const answer = await importer.request('data.import', { document })
        if (answer.kind !== 'response' || !answer.result.ok) throw new Error(`import failed: ${JSON.stringify(answer)}`)
        tasks = (answer.result.value as { imported: unknown[] }).imported.length
      })
      importer.dispose()
      importing = { ...measure, tasks }
    }
    await runtime.close()
    rmSync(home, { recursive: true, force: true })
    runs.get(mode)!.push({ mode: mode.name, replay: { ...replay, events: target }, importing })
    process.stderr.write(`round ${round + 1}/${ROUNDS} ${mode.name}: main CPU ${replay.cpuMs.toFixed(0)} ms\n`)
  }
}
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const medianOf = <T extends Measure>(measures: T[]): T =>
  Object.fromEntries(Object.keys(measures[0]!).map((key) => [key, median(measures.map((m) => m[key as keyof T] as number))])) as unknown as T
const rows: Row[] = MODES.map((mode) => {
  const all = runs.get(mode)!
  const imports = all.flatMap((r) => (r.importing ? [r.importing] : []))
  return { mode: mode.name, replay: medianOf(all.map((r) => r.replay)), importing: imports.length > 0 ? medianOf(imports) : null }
})
rmSync(base, { recursive: true, force: true })

const f = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const dash = '–'
const table = [
  '| runtime | replay: wall ms | main loop delay max / p99 ms | main busy ms | main CPU ms | main CPU µs per event | import: wall ms | main loop delay max / p99 ms | main busy ms |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.mode} | ${f(r.replay.wallMs)} | ${f(r.replay.maxDelayMs, 1)} / ${f(r.replay.p99DelayMs, 1)} | ${f(r.replay.busyMs)} | ${f(r.replay.cpuMs)} | ${f((r.replay.cpuMs * 1000) / r.replay.events, 2)} | ${r.importing ? f(r.importing.wallMs) : dash} | ${r.importing ? `${f(r.importing.maxDelayMs, 1)} / ${f(r.importing.p99DelayMs, 1)}` : dash} | ${r.importing ? f(r.importing.busyMs) : dash} |`,
  ),
].join('\n')
const when = new Date().toISOString().replace(/:\d\d\.\d+Z$/, ' UTC').replace('T', ' ')
const load = loadavg()[0]!.toFixed(1)
const imported = rows[0]!.importing ? `, an export of ${f(rows[0]!.importing.tasks)} tasks imported (data.import through ApiSession)` : ''
const summary = `${f(rows[0]!.replay.events)} events replayed (events.subscribe from 0)${imported}; ${ROUNDS === 1 ? 'one round' : `median of ${ROUNDS} interleaved rounds`}; Node ${process.version}, 1-minute load ${load}.`
process.stdout.write(`${summary}\n\n${table}\n`)

if (!values['no-write']) {
  const path = values.doc
  const existing = readFileSync(path, 'utf8')
  writeFileSync(path, `${existing.trimEnd()}\n\n## Runtime thread: the main thread during a replay and an import (\`node bench/runtime-thread.ts\`, ${when})\n\n${summary}\n\n${table}\n`)
  process.stdout.write(`\nadded a section to ${path}\n`)
}
