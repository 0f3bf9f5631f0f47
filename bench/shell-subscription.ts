/**
 * `node bench/shell-subscription.ts [--tasks 8] [--lines 20000] [--rounds 3]`: what the desktop
 * shell's event subscription costs Electron's main thread while tasks print a lot of output.
 *
 * The runtime runs in a worker thread, as the desktop app runs it (`openRuntimeInWorker`); this
 * thread stands for Electron's main thread and subscribes from 0 as DesktopShell does, once
 * with every event type (as before session 15) and once with DESKTOP_EVENT_TYPES (what the
 * shell asks for now), interleaved. Each round: `--tasks` shell tasks each print `--lines`
 * lines, one write each (a shell loop); the listener folds what it gets with foldDesktopEvents. Prints this
 * thread's CPU (`process.threadCpuUsage`) from the first submit to the last task's end, and
 * the events that crossed. Figures go in docs/benchmarks.md by hand (dated).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openRuntimeInWorker } from '../src-main/app/runtime-thread.ts'
import { DESKTOP_EVENT_TYPES, foldDesktopEvents, initialDesktopState } from '../src-shared/decisions/desktopState.ts'
import { TaskDefinitionSchema, type EngineEvent } from '../src-shared/index.ts'

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '8' }, lines: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' } } })
const TASKS = Number(values.tasks)
const LINES = Number(values.lines)
const ROUNDS = Number(values.rounds)

async function once(filtered: boolean): Promise<{ cpuMs: number; events: number; output: number }> {
  const home = mkdtempSync(join(tmpdir(), 'taskdeck-shell-bench-'))
  const runtime = await openRuntimeInWorker({ home, rendererDir: join(home, 'no-renderer'), machineMonitor: 'none', networkWatch: { source: 'none' } })
  try {
    let state = initialDesktopState()
    let events = 0
    let output = 0
    const subscription = runtime.api.subscribe(
      0,
      (batch: readonly EngineEvent[]) => {
        events += batch.length
        for (const e of batch) if (e.type === 'run.output') output++
        state = foldDesktopEvents(state, batch, true)
      },
      filtered ? { types: DESKTOP_EVENT_TYPES } : {},
    )
    const cpu = process.threadCpuUsage()
    const definitions = Array.from({ length: TASKS }, (_, i) => TaskDefinitionSchema.parse({ name: `p${i}`, spec: { kind: 'shell', command: `i=0; while [ $i -lt ${LINES} ]; do echo line $i; i=$((i+1)); done` } }))
    const { tasks } = await runtime.api.handlers['task.submitMany']({ definitions })
    const ids = new Set(tasks.map((t) => t.id))
    while ([...ids].some((id) => state.tasks.get(id)?.status !== 'succeeded')) await new Promise((r) => setTimeout(r, 20))
    const used = process.threadCpuUsage(cpu)
    subscription.dispose()
    return { cpuMs: (used.user + used.system) / 1000, events, output }
  } finally {
    await runtime.close()
    rmSync(home, { recursive: true, force: true })
  }
}

console.log(`load ${loadavg()[0]!.toFixed(1)}; ${TASKS} tasks × ${LINES} lines, ${ROUNDS} rounds`)
const results: Record<'every type' | 'DESKTOP_EVENT_TYPES', { cpuMs: number; events: number; output: number }[]> = { 'every type': [], DESKTOP_EVENT_TYPES: [] }
for (let round = 0; round < ROUNDS; round++) {
  results['every type'].push(await once(false))
  results.DESKTOP_EVENT_TYPES.push(await once(true))
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
console.log('| subscription | main-thread CPU ms (median) | each round | events crossed | of them run.output |')
console.log('|---|---|---|---|---|')
for (const [name, rows] of Object.entries(results)) {
  console.log(`| ${name} | ${median(rows.map((r) => r.cpuMs)).toFixed(0)} | ${rows.map((r) => r.cpuMs.toFixed(0)).join(', ')} | ${median(rows.map((r) => r.events))} | ${median(rows.map((r) => r.output))} |`)
}
console.log(`load ${loadavg()[0]!.toFixed(1)} after`)
