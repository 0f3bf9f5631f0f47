/**
 * `node bench/ui-profile.ts [replay|log|scroll|breakdown]`: where the renderer's time goes, for
 * working on bench:ui. It seeds a `taskdeck serve` like bench/ui.ts does, records a CPU
 * profile of the page (Chrome DevTools Protocol) during one phase, and prints the
 * functions with the most self time, plus how fast a plain Node client receives the
 * same replay (the server's share). Not part of the bench results.
 *
 * `breakdown`: the list replay into the app, with the CPU time of every process and thread
 * (taskdeck serve, each Chromium process) from navigation to the last event shown, per event.
 * `BENCH_UI_LIST_TASKS=20000,100000` replays histories of several sizes on their own servers,
 * interleaved for `BENCH_UI_ROUNDS` rounds, and prints the marginal cost per event between the
 * smallest and the largest (boot and other fixed costs cancel out). `breakdown <root…>` does the
 * same for several builds (repository roots, each built), interleaved, to compare them.
 * `BENCH_UI_PAGES=app,worker,worker-clone` opens other pages in the same rounds (see BreakdownPage).
 *
 * `worker`: `breakdown` of the app's page against bench/ui-worker's (the catch-up read, parsed and
 * folded with the app's code in a dedicated worker, the page drawing a summary per frame; with
 * and without the changed records cloned to the main thread), interleaved: what moving ingest
 * off the main thread would give on this machine (docs/benchmarks.md, UI "Session 11").
 */
import { writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import WebSocket from 'ws'
import { launchChromium } from '../test/support/browser.ts'
import { chromiumBrowserPid, cpuDelta, cpuSnapshot, type CpuDelta } from './ui-cpu.ts'
import { topSelf, type Profile } from './cpu-profile.ts'
import { PROBE, apiClient, bigList, bigLog, importHistory, launchBenchChromium, serveTempHome, transportFloor } from './ui.ts'

interface TraceEvent {
  name: string
  ph: string
  dur?: number
  /** Thread (CPU) time of a complete event, µs. */
  tdur?: number
  ts?: number
  pid: number
  tid: number
  cat?: string
  args?: { data?: { frame?: string }; name?: string }
}

/**
 * The renderer's main thread between the first and the last state shown (marked on the page as
 * `taskdeck-first` / `taskdeck-last`): how much of the window it ran (wall), how much of that it
 * had a CPU (thread time), and every frame longer than 17 ms with what filled it — so a long
 * frame reads as our work (thread time ≈ frame), the thread waiting for a core (wall ≫ thread
 * time), or the thread idle (neither). Also the CPU of the renderer's other threads in the window.
 */
function windowTimeline(events: TraceEvent[]): string {
  const mark = (name: string) => events.find((e) => e.name === name)?.ts
  const start = mark('taskdeck-first')
  const end = mark('taskdeck-last')
  if (start === undefined || end === undefined) return 'window marks not found'
  const threadNames = new Map(events.filter((e) => e.name === 'thread_name').map((e) => [`${e.pid}:${e.tid}`, e.args?.name ?? '?']))
  const tasks = events.filter((e) => e.ph === 'X' && e.name === 'RunTask' && (e.ts ?? 0) + (e.dur ?? 0) > start && (e.ts ?? 0) < end)
  const busy = new Map<string, { dur: number; tdur: number }>()
  for (const t of tasks) {
    const key = `${t.pid}:${t.tid}`
    const b = busy.get(key) ?? { dur: 0, tdur: 0 }
    b.dur += t.dur ?? 0
    b.tdur += t.tdur ?? 0
    busy.set(key, b)
  }
  const main = [...busy.entries()].filter(([k]) => threadNames.get(k) === 'CrRendererMain').sort((a, b) => b[1].dur - a[1].dur)[0]?.[0]
  if (!main) return 'no renderer main thread in the window'
  const [pid] = main.split(':').map(Number)
  const windowMs = (end - start) / 1000
  const m = busy.get(main)!
  const lines = [
    `window ${windowMs.toFixed(0)} ms: main thread ran ${(m.dur / 1000).toFixed(0)} ms wall, ${(m.tdur / 1000).toFixed(0)} ms CPU (waiting for a core ${((m.dur - m.tdur) / 1000).toFixed(0)} ms, idle ${(windowMs - m.dur / 1000).toFixed(0)} ms)`,
    'renderer threads in the window (CPU ms):',
    ...[...busy.entries()]
      .filter(([k]) => k.startsWith(`${pid}:`))
      .sort((a, b) => b[1].tdur - a[1].tdur)
      .map(([k, b]) => `  ${(threadNames.get(k) ?? k).padEnd(28)} ${(b.tdur / 1000).toFixed(0).padStart(5)} (wall ${(b.dur / 1000).toFixed(0)})`),
  ]
  const onMain = events.filter((e) => e.ph === 'X' && `${e.pid}:${e.tid}` === main)
  // Self time per trace event name in the window (an event's time minus what nests in it): the main thread's time by kind of work.
  const nested = onMain.filter((e) => (e.ts ?? 0) >= start && (e.ts ?? 0) < end).sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!)
  const selfByName = new Map<string, number>()
  const stack: { e: TraceEvent; self: number }[] = []
  const pop = () => {
    const top = stack.pop()!
    selfByName.set(top.e.name, (selfByName.get(top.e.name) ?? 0) + top.self)
  }
  for (const e of nested) {
    while (stack.length > 0 && stack.at(-1)!.e.ts! + stack.at(-1)!.e.dur! <= e.ts!) pop()
    if (stack.length > 0) stack.at(-1)!.self -= e.dur ?? 0
    stack.push({ e, self: e.dur ?? 0 })
  }
  while (stack.length > 0) pop()
  lines.push(
    'main thread self time by trace event (wall ms):',
    ...[...selfByName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 14).map(([n, us]) => `  ${(us / 1000).toFixed(0).padStart(5)}  ${n}`),
  )
  // One frame may run its rAF callbacks in more than one FireAnimationFrame: those within 4 ms are one frame.
  const frames = onMain
    .filter((e) => e.name === 'FireAnimationFrame' && (e.ts ?? 0) >= start && (e.ts ?? 0) <= end)
    .map((e) => e.ts!)
    .sort((a, b) => a - b)
    .filter((ts, i, all) => i === 0 || ts - all[i - 1]! > 4_000)
  // Main-thread CPU between consecutive frames: what the page asked of each frame, whatever the load did to the wall clock.
  const frameCpu: number[] = []
  for (let i = 1; i < frames.length; i++) {
    frameCpu.push(onMain.filter((e) => e.name === 'RunTask' && (e.ts ?? 0) >= frames[i - 1]! && (e.ts ?? 0) < frames[i]!).reduce((sum, e) => sum + (e.tdur ?? 0), 0) / 1000)
  }
  const sortedCpu = [...frameCpu].sort((a, b) => a - b)
  const q = (x: number) => (sortedCpu[Math.min(sortedCpu.length - 1, Math.floor(x * sortedCpu.length))] ?? 0).toFixed(1)
  lines.push(`main-thread CPU per frame: p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${q(1)} ms; frames with more than 16.7 ms of CPU: ${frameCpu.filter((ms) => ms > 16.7).length} of ${frameCpu.length}`)
  lines.push(`frames in the window: ${frames.length}; longer than 17 ms:`)
  for (let i = 1; i < frames.length; i++) {
    const from = frames[i - 1]!
    const to = frames[i]!
    if (to - from < 17_000) continue
    const inGap = onMain.filter((e) => e.name === 'RunTask' && (e.ts ?? 0) >= from && (e.ts ?? 0) < to)
    const dur = inGap.reduce((s, e) => s + (e.dur ?? 0), 0)
    const tdur = inGap.reduce((s, e) => s + (e.tdur ?? 0), 0)
    const inside = new Map<string, number>()
    for (const e of onMain) {
      if (e.name === 'RunTask' || (e.ts ?? 0) < from || (e.ts ?? 0) >= to) continue
      if (/^(V8\.GC_|v8\.callFunction|FunctionCall$|AnimationFrame)/.test(e.name) && !/^V8\.GC_(SCAVENGER|MARK_COMPACTOR|MC_INCREMENTAL)$/.test(e.name)) continue
      inside.set(e.name, (inside.get(e.name) ?? 0) + (e.dur ?? 0) / 1000)
    }
    const top = [...inside.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([n, ms]) => `${n} ${ms.toFixed(0)}`).join(', ')
    lines.push(`  ${((from - start) / 1000).toFixed(0).padStart(5)} ms: ${((to - from) / 1000).toFixed(1)} ms frame, main ran ${(dur / 1000).toFixed(1)} wall / ${(tdur / 1000).toFixed(1)} CPU in ${inGap.length} tasks: ${top}`)
  }
  return lines.join('\n')
}

/** Total time per top-level trace event name on the busiest thread (the renderer's main thread). */
function traceSummary(events: TraceEvent[]): string {
  const busy = new Map<string, number>()
  for (const e of events) if (e.ph === 'X' && e.name === 'RunTask') busy.set(`${e.pid}:${e.tid}`, (busy.get(`${e.pid}:${e.tid}`) ?? 0) + (e.dur ?? 0))
  const main = [...busy.entries()].sort((a, b) => b[1] - a[1])[0]?.[0]
  const totals = new Map<string, number>()
  for (const e of events) {
    if (e.ph !== 'X' || `${e.pid}:${e.tid}` !== main) continue
    totals.set(e.name, (totals.get(e.name) ?? 0) + (e.dur ?? 0) / 1000)
  }
  const onMain = events.filter((e) => e.ph === 'X' && `${e.pid}:${e.tid}` === main)
  // The longest tasks, with what ran inside them: these are the frames that set p95.
  const longest = onMain
    .filter((e) => e.name === 'RunTask')
    .sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0))
    .slice(0, 6)
    .map((task) => {
      const inside = new Map<string, number>()
      for (const e of onMain) {
        if (e === task || (e.ts ?? 0) < (task.ts ?? 0) || (e.ts ?? 0) + (e.dur ?? 0) > (task.ts ?? 0) + (task.dur ?? 0)) continue
        inside.set(e.name, (inside.get(e.name) ?? 0) + (e.dur ?? 0) / 1000)
      }
      const parts = [...inside.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([name, ms]) => `${name} ${ms.toFixed(0)}`)
      return `  task ${((task.dur ?? 0) / 1000).toFixed(0)} ms at ${((task.ts ?? 0) / 1000).toFixed(0)}: ${parts.join(', ')}`
    })
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 18)
    .map(([name, ms]) => `${ms.toFixed(0).padStart(7)} ms  ${name}`)
    .concat(['longest tasks:', ...longest])
    .join('\n')
}

async function nodeReplay(url: string, token: string): Promise<{ events: number; ms: number }> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + 'api/v1/ws', { headers: { Authorization: `Bearer ${token}` } })
  await new Promise((ok, fail) => {
    ws.once('open', ok)
    ws.once('error', fail)
  })
  let head = Infinity
  let events = 0
  let last = 0
  const started = performance.now()
  await new Promise<void>((ok) => {
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { kind: string; id?: number; result?: { value: { headSeq: number } }; events?: { seq?: number }[] }
      if (m.kind === 'response' && m.id === 1) head = m.result!.value.headSeq
      if (m.kind === 'events') {
        events += m.events!.length
        for (const e of m.events!) if (e.seq !== undefined && e.seq > last) last = e.seq
      }
      if (last >= head) ok()
    })
    ws.send(JSON.stringify({ v: 1, id: 1, command: 'events.subscribe', params: { since: 0 } }))
  })
  const ms = performance.now() - started
  ws.close()
  return { events, ms }
}

async function main() {
  const phase = process.argv[2] ?? 'replay'
  const roots = process.argv.length > 3 ? process.argv.slice(3).map((root) => resolve(root)) : [resolve(import.meta.dirname, '..')]
  if (phase === 'breakdown') return breakdown(roots, pagesFromEnv(['app']))
  if (phase === 'worker') return breakdown(roots, pagesFromEnv(['app', 'worker', 'worker-clone', 'worker-text']))
  const count = Number(process.env.BENCH_UI_LIST_TASKS ?? 20_000)
  // BENCH_UI_ROOT: another build (repository root) to profile, e.g. a worktree of main for a before/after.
  const server = await serveTempHome('taskdeck-ui-profile-', process.env.BENCH_UI_ROOT ? resolve(process.env.BENCH_UI_ROOT) : undefined)
  const browser = await launchChromium()
  const api = await apiClient(server.url, server.token)
  try {
    if (phase === 'bench-log' || phase === 'bench-list') {
      const launch = await launchBenchChromium()
      await api.request('settings.set', { patch: { logCapBytes: 2 * 1024 ** 3 } })
      const result = phase === 'bench-log' ? await bigLog(launch, server.browserUrl, api) : await bigList(launch, server.browserUrl, api, count, server.child.pid)
      console.log(JSON.stringify(result, null, 1))
      await launch.close()
      return
    }
    console.log('importing…')
    await importHistory(api, count)
    console.log('imported')
    const n = process.env.SKIP_NODE ? { events: 0, ms: 1 } : await nodeReplay(server.url, server.token)
    console.log(`node client: ${n.events} events in ${n.ms.toFixed(0)} ms = ${Math.round(n.events / (n.ms / 1000))}/s`)
    if (phase === 'floor') {
      const floor = await transportFloor(browser, server.browserUrl)
      console.log(`browser floor: ${floor.events} events in ${floor.seconds} s (${floor.eventsPerSecond}/s), JSON.parse ${floor.parseMs} ms`)
      return
    }
    const context = await browser.newContext({ viewport: { width: 1360, height: 820 } })
    await context.addInitScript(PROBE)
    if (process.env.BENCH_UI_THEME) await api.request('settings.set', { patch: { theme: process.env.BENCH_UI_THEME } })
    if (phase === 'tail') await api.request('settings.set', { patch: { logCapBytes: 2 * 1024 ** 3 } })
    const page: Page = await context.newPage()
    const cdp = await context.newCDPSession(page)
    // BENCH_UI_CPU_PROFILE=0: the trace alone (the sampling profiler takes CPU from the page it measures).
    const sampling = process.env.BENCH_UI_CPU_PROFILE !== '0'
    if (sampling) {
      await cdp.send('Profiler.enable')
      // BENCH_UI_SAMPLING_US: the sampling interval (µs; 200 by default, a coarser one costs the page less).
      await cdp.send('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_UI_SAMPLING_US ?? 200) })
    }
    const url = new URL(server.browserUrl)
    url.search = '?bench' + (process.env.BENCH_UI_VIEW ? `&view=${process.env.BENCH_UI_VIEW}` : '') + (process.env.BENCH_UI_TRANSPORT === 'ws' ? '&transport=ws' : '')
    await cdp.send('Performance.enable')
    const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))
    const traceEvents: TraceEvent[] = []
    cdp.on('Tracing.dataCollected', (d) => traceEvents.push(...(d.value as unknown as TraceEvent[])))
    const traced = new Promise<void>((ok) => cdp.once('Tracing.tracingComplete', () => ok()))
    // BENCH_UI_TRACE_CATEGORIES: more categories (e.g. `toplevel,toplevel.flow` names where each task was posted from).
    const categories = ['devtools.timeline,v8,disabled-by-default-devtools.timeline,blink.user_timing', process.env.BENCH_UI_TRACE_CATEGORIES].filter(Boolean).join(',')
    await cdp.send('Tracing.start', { categories, transferMode: 'ReportEvents' })
    if (sampling) await cdp.send('Profiler.start')
    await page.goto(url.toString())
    await page.evaluate('window.taskdeckProbe.start()')
    let before = await metrics()
    const head = (await api.request<{ headSeq: number }>('events.read', { since: 0, limit: 1 })).headSeq
    await page.waitForFunction((target) => ((globalThis as unknown as { taskdeckBench?: { lastSeq: number } }).taskdeckBench?.lastSeq ?? 0) >= target, head, {
      timeout: 120_000,
      polling: 50,
    })
    const probe = await page.evaluate<{ deltas: number[]; longTasks: number[] }>('window.taskdeckProbe.stop()')
    const sorted = [...probe.deltas].sort((a, b) => a - b)
    console.log(`replay frames: ${sorted.length}, p95 ${sorted[Math.floor(0.95 * sorted.length)]?.toFixed(1)}, over 17 ms: ${sorted.filter((d) => d > 17).map((d) => d.toFixed(0)).join(' ')}; long tasks ${probe.longTasks.map((d) => d.toFixed(0)).join(' ')}`)
    if (phase === 'tail') {
      const lines = Number(process.env.BENCH_UI_LOG_LINES ?? 2_000_000)
      const { task } = await api.request<{ task: { id: number } }>('task.submit', { definition: { spec: { kind: 'shell', command: `seq 1 ${lines}` }, group: 'default' } })
      await page.locator(`[data-task-id="${task.id}"]`).click()
      await page.locator('.log-line').first().waitFor()
      if (sampling) {
        await cdp.send('Profiler.stop')
        await cdp.send('Profiler.start')
      }
      before = await metrics()
      await page.evaluate('window.taskdeckProbe?.start()')
      await page.locator(`.log-line[data-line="${lines - 1}"]`).waitFor({ timeout: 300_000 })
    }
    if (phase === 'scroll') {
      if (sampling) {
        await cdp.send('Profiler.stop')
        await cdp.send('Profiler.start')
      }
      before = await metrics()
      await page.locator('.task-list').hover()
      for (let i = 0; i < 80; i++) {
        await page.mouse.wheel(0, 3000)
        await page.waitForTimeout(16)
      }
    }
    const c = await page.evaluate<{ events: number; firstAt: number; lastAt: number; batches: number }>('window.taskdeckBench')
    // Marks at the first and the last state shown, for the trace's window (windowTimeline).
    await page.evaluate(`performance.mark('taskdeck-first', { startTime: ${c.firstAt} }); performance.mark('taskdeck-last', { startTime: ${c.lastAt} })`)
    console.log(`page: ${c.events} events in ${c.batches} batches, ${(c.lastAt - c.firstAt).toFixed(0)} ms first→last applied`)
    const after = await metrics()
    console.log(
      ['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration', 'LayoutCount', 'RecalcStyleCount', 'JSHeapUsedSize']
        .map((k) => `${k} ${k.endsWith('Duration') ? ((after[k]! - before[k]!) * 1000).toFixed(0) + ' ms' : after[k]! - before[k]!}`)
        .join(', '),
    )
    const profile = sampling ? ((await cdp.send('Profiler.stop')) as unknown as { profile: Profile }).profile : null
    await cdp.send('Tracing.end')
    await traced
    console.log(traceSummary(traceEvents))
    console.log(windowTimeline(traceEvents))
    await writeFile(join(tmpdir(), `taskdeck-ui-${phase}.trace.json`), JSON.stringify(traceEvents))
    if (profile) {
      await writeFile(join(tmpdir(), `taskdeck-ui-${phase}.cpuprofile`), JSON.stringify(profile))
      console.log(topSelf(profile))
    }
  } finally {
    api.close()
    await browser.close()
    await server.stop()
  }
}

/**
 * What a breakdown run opens: `app` is the product's page (catch-up on the main thread);
 * `worker…` is bench/ui-worker's page, whose dedicated worker reads and folds the history with
 * the app's code and posts the page a summary per frame: the changed tasks' ids only
 * (`worker`), or with every changed task's and run's record, kept in maps on the main thread,
 * as objects (`worker-clone`, structured clone) or as one JSON text per summary (`worker-text`).
 */
type BreakdownPage = 'app' | 'worker' | 'worker-clone' | 'worker-text'
const BREAKDOWN_PAGES: readonly BreakdownPage[] = ['app', 'worker', 'worker-clone', 'worker-text']

/** BENCH_UI_PAGES=app,worker,… or the phase's default. */
function pagesFromEnv(fallback: BreakdownPage[]): BreakdownPage[] {
  const pages = process.env.BENCH_UI_PAGES?.split(',') ?? fallback
  for (const page of pages) if (!BREAKDOWN_PAGES.includes(page as BreakdownPage)) throw new Error(`BENCH_UI_PAGES: unknown page "${page}" (known: ${BREAKDOWN_PAGES.join(', ')})`)
  return pages as BreakdownPage[]
}

/** Bundles bench/ui-worker (page and worker, with the app's renderer code) with Vite, as the app is, into `root`'s out/renderer/bench-worker, which its `taskdeck serve` serves. */
async function buildWorkerBench(root: string): Promise<void> {
  const { build } = await import('vite')
  await build({
    configFile: false,
    root: join(import.meta.dirname, 'ui-worker'),
    base: './',
    logLevel: 'warn',
    build: { outDir: join(root, 'out/renderer/bench-worker'), emptyOutDir: true },
  })
}

interface BreakdownRun {
  page: BreakdownPage
  /** bench/ui-worker only: the last event folded in the worker, ms after navigation. */
  foldedAtMs?: number
  tasks: number
  events: number
  eventsPerSecond: number
  fromNavigationMs: number
  p95: number
  max: number
  frames: number
  cpu: CpuDelta
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)]!
}

/** kind → thread → median ms over runs, plus each kind's total (whole process) as `(process)`. */
function medianCpu(runs: readonly BreakdownRun[]): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>()
  const kinds = new Set(runs.flatMap((r) => [...r.cpu.byKind.keys()]))
  for (const kind of kinds) {
    const threads = new Set(runs.flatMap((r) => [...(r.cpu.byThread.get(kind)?.keys() ?? [])]))
    const row = new Map<string, number>([['(process)', median(runs.map((r) => r.cpu.byKind.get(kind) ?? 0))]])
    for (const t of threads) row.set(t, median(runs.map((r) => r.cpu.byThread.get(kind)?.get(t) ?? 0)))
    out.set(kind, row)
  }
  return out
}

/** Prints the CPU per process and thread; returns the µs per event of all processes together. */
function printBreakdown(label: string, cpu: Map<string, Map<string, number>>, events: number, minMs = 5): number {
  console.log(`\n${label}`)
  let total = 0
  for (const [kind, threads] of [...cpu.entries()].sort((a, b) => (b[1].get('(process)') ?? 0) - (a[1].get('(process)') ?? 0))) {
    const processMs = threads.get('(process)') ?? 0
    total += processMs
    console.log(`  ${kind.padEnd(22)} ${processMs.toFixed(0).padStart(6)} ms ${((processMs * 1000) / events).toFixed(2).padStart(7)} µs/event`)
    for (const [thread, ms] of [...threads.entries()].filter(([t, ms]) => t !== '(process)' && ms >= minMs).sort((a, b) => b[1] - a[1])) {
      console.log(`    ${thread.padEnd(20)} ${ms.toFixed(0).padStart(6)} ms ${((ms * 1000) / events).toFixed(2).padStart(7)} µs/event`)
    }
  }
  const perEvent = (total * 1000) / events
  console.log(`  ${'all'.padEnd(22)} ${total.toFixed(0).padStart(6)} ms ${perEvent.toFixed(2).padStart(7)} µs/event`)
  // Two cores give 2,000,000 µs of CPU per second: the most events per second this CPU per event allows, whatever the load.
  console.log(`  2-core ceiling: 2,000,000 / ${perEvent.toFixed(2)} = ${Math.round(2e6 / perEvent)} events/s`)
  // And a thread runs on one core at a time: the busiest of the threads every event passes through caps the rate too.
  const serial = [
    ['renderer main thread', cpu.get('renderer')?.get('chromium')],
    ['renderer DedicatedWorker', cpu.get('renderer')?.get('DedicatedWorker')],
    ['serve MainThread', cpu.get('serve')?.get('MainThread')],
  ] as const
  const busiest = serial.filter(([, ms]) => ms !== undefined).sort((a, b) => b[1]! - a[1]!)[0]
  if (busiest) {
    const us = (busiest[1]! * 1000) / events
    console.log(`  1-thread ceiling (${busiest[0]}): 1,000,000 / ${us.toFixed(2)} = ${Math.round(1e6 / us)} events/s`)
  }
  return perEvent
}

async function breakdown(roots: readonly string[], pages: readonly BreakdownPage[]) {
  if (pages.some((p) => p !== 'app')) for (const root of roots) await buildWorkerBench(root)
  const sizes = (process.env.BENCH_UI_LIST_TASKS ?? '20000').split(',').map(Number)
  const rounds = Number(process.env.BENCH_UI_ROUNDS ?? 3)
  const transport = process.env.BENCH_UI_TRANSPORT === 'ws' ? '&transport=ws' : ''
  const servers = []
  // One after the other: importing is CPU-heavy and would slow the others' imports, not the replays.
  for (const root of roots) {
    for (const tasks of sizes) {
      const server = await serveTempHome('taskdeck-ui-breakdown-', root)
      const api = await apiClient(server.url, server.token)
      await importHistory(api, tasks)
      const head = (await api.request<{ headSeq: number }>('events.read', { since: 0, limit: 1 })).headSeq
      servers.push({ root, tasks, server, api, head })
    }
  }
  const browser = await launchChromium()
  const browserPid = chromiumBrowserPid()
  const runs: (BreakdownRun & { root: string })[] = []
  const turns = servers.flatMap((s) => pages.map((kind) => ({ ...s, kind })))
  try {
    for (let round = 1; round <= rounds; round++) {
      // Each round starts with a different server and page, so no build, size or page always runs first.
      const turn = (round - 1) % turns.length
      for (const s of [...turns.slice(turn), ...turns.slice(0, turn)]) {
        const context = await browser.newContext({ viewport: { width: 1360, height: 820 } })
        await context.addInitScript(PROBE)
        const page = await context.newPage()
        const url = new URL(s.server.browserUrl)
        if (s.kind === 'app') url.search = '?bench' + transport
        else {
          url.pathname = '/bench-worker/index.html'
          url.search = s.kind === 'worker' ? '' : `?records=${s.kind.replace('worker-', '')}`
        }
        const before = cpuSnapshot(s.server.child.pid!, browserPid)
        await page.goto(url.toString())
        await page.evaluate('window.taskdeckProbe.start()')
        await page.waitForFunction((target) => ((globalThis as unknown as { taskdeckBench?: { lastSeq: number } }).taskdeckBench?.lastSeq ?? 0) >= target, s.head, {
          timeout: 300_000,
          polling: 50,
        })
        const after = cpuSnapshot(s.server.child.pid!, browserPid)
        const probe = await page.evaluate<{ deltas: number[] }>('window.taskdeckProbe.stop()')
        const c = await page.evaluate<{ events: number; firstAt: number; lastAt: number; foldedAt?: number; receiveMs?: number; clonedTasks?: number; clonedRuns?: number; rows?: number; error?: string }>('window.taskdeckBench')
        await context.close()
        if (c.error) throw new Error(`${s.kind}: ${c.error}`)
        const sorted = [...probe.deltas].sort((a, b) => a - b)
        const run = {
          root: s.root,
          page: s.kind,
          ...(c.foldedAt === undefined ? {} : { foldedAtMs: Math.round(c.foldedAt) }),
          tasks: s.tasks,
          events: c.events,
          eventsPerSecond: Math.round(c.events / Math.max(0.001, (c.lastAt - c.firstAt) / 1000)),
          fromNavigationMs: Math.round(c.lastAt),
          p95: sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] ?? 0,
          max: sorted.at(-1) ?? 0,
          frames: sorted.length,
          cpu: cpuDelta(before, after),
        }
        runs.push(run)
        const [load] = loadavg()
        const rendererThread = (name: string) => Math.round((((run.cpu.byThread.get('renderer')?.get(name) ?? 0) * 1000) / run.events) * 100) / 100
        const perKind = Object.fromEntries([...run.cpu.byKind.entries()].filter(([, ms]) => ms > 0).map(([k, ms]) => [k, Math.round(((ms * 1000) / run.events) * 100) / 100]))
        console.log(JSON.stringify({ round, root: s.root, page: s.kind, tasks: s.tasks, events: run.events, eventsPerSecond: run.eventsPerSecond, fromNavigationMs: run.fromNavigationMs, p95: run.p95.toFixed(1), max: run.max.toFixed(1), frames: run.frames, usPerEvent: perKind, rendererMainUs: rendererThread('chromium'), workerUs: rendererThread('DedicatedWorker'), ...(c.foldedAt === undefined ? {} : { workerEventsPerSecond: Math.round(c.events / Math.max(0.001, (c.foldedAt - c.firstAt) / 1000)), foldedAtMs: run.foldedAtMs, listRows: c.rows, mainReceiveMs: Math.round(c.receiveMs ?? 0), clonedRecords: (c.clonedTasks ?? 0) + (c.clonedRuns ?? 0) }), load: load?.toFixed(2) }))
      }
    }
  } finally {
    await browser.close()
    for (const s of servers) {
      s.api.close()
      await s.server.stop()
    }
  }
  for (const root of roots) for (const kind of pages) {
    const bySize = sizes.map((tasks) => {
      const mine = runs.filter((r) => r.tasks === tasks && r.root === root && r.page === kind)
      return { tasks, events: mine[0]?.events ?? 0, cpu: medianCpu(mine), eventsPerSecond: median(mine.map((r) => r.eventsPerSecond)), p95: median(mine.map((r) => r.p95)) }
    })
    console.log(`\n=== ${root}, page ${kind}`)
    for (const s of bySize) printBreakdown(`${s.tasks} tasks, ${s.events} events: median of ${rounds} (events/s ${s.eventsPerSecond}, frame p95 ${s.p95.toFixed(1)} ms), from navigation to the last event shown`, s.cpu, s.events)
    if (bySize.length >= 2) {
      const small = bySize[0]!
      const large = bySize.at(-1)!
      const marginal = new Map<string, Map<string, number>>()
      for (const [kind, threads] of large.cpu) {
        const row = new Map<string, number>()
        for (const [t, ms] of threads) row.set(t, ms - (small.cpu.get(kind)?.get(t) ?? 0))
        marginal.set(kind, row)
      }
      printBreakdown(`marginal, ${small.tasks} → ${large.tasks} tasks (${large.events - small.events} more events): the cost per event without boot`, marginal, large.events - small.events)
    }
  }
}

await main()
