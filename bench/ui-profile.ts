/**
 * `node bench/ui-profile.ts [replay|log|scroll]`: where the renderer's time goes, for
 * working on bench:ui. It seeds a `taskdeck serve` like bench/ui.ts does, records a CPU
 * profile of the page (Chrome DevTools Protocol) during one phase, and prints the
 * functions with the most self time, plus how fast a plain Node client receives the
 * same replay (the server's share). Not part of the bench results.
 */
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import WebSocket from 'ws'
import { launchChromium } from '../test/support/browser.ts'
import { PROBE, apiClient, bigList, bigLog, importHistory, launchBenchChromium, serveTempHome, transportFloor } from './ui.ts'

interface ProfileNode {
  id: number
  children?: number[]
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

function topSelf(profile: Profile, limit = 25): string {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byNode.get(profile.samples[i]!)!
    const dt = (profile.timeDeltas[i] ?? 0) / 1000
    total += dt
    const key = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').pop()}:${node.callFrame.lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + dt)
  }
  // Inclusive time of each function (counted once per sample however deep it recurses).
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const inclusive = new Map<string, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000
    const seen = new Set<string>()
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const f = byNode.get(id)!.callFrame
      if (!f.url) continue
      seen.add(`${f.functionName || '(anonymous)'} :${f.lineNumber + 1}`)
    }
    for (const k of seen) inclusive.set(k, (inclusive.get(k) ?? 0) + dt)
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit)
  const incl = [...inclusive.entries()].sort((a, b) => b[1] - a[1]).slice(0, 45)
  return [
    'inclusive:',
    ...incl.map(([k, ms]) => `${ms.toFixed(1).padStart(8)} ms  ${k}`),
    'self:',`total ${total.toFixed(0)} ms`, ...rows.map(([k, ms]) => `${ms.toFixed(1).padStart(8)} ms ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${k}`)].join('\n')
}

interface TraceEvent {
  name: string
  ph: string
  dur?: number
  ts?: number
  pid: number
  tid: number
  args?: { data?: { frame?: string } }
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
  const count = Number(process.env.BENCH_UI_LIST_TASKS ?? 20_000)
  const server = await serveTempHome('taskdeck-ui-profile-')
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
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
    const url = new URL(server.browserUrl)
    url.search = '?bench' + (process.env.BENCH_UI_VIEW ? `&view=${process.env.BENCH_UI_VIEW}` : '') + (process.env.BENCH_UI_TRANSPORT === 'ws' ? '&transport=ws' : '')
    await cdp.send('Performance.enable')
    const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))
    const traceEvents: TraceEvent[] = []
    cdp.on('Tracing.dataCollected', (d) => traceEvents.push(...(d.value as unknown as TraceEvent[])))
    const traced = new Promise<void>((ok) => cdp.once('Tracing.tracingComplete', () => ok()))
    await cdp.send('Tracing.start', { categories: 'devtools.timeline,v8,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' })
    await cdp.send('Profiler.start')
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
      await cdp.send('Profiler.stop')
      await cdp.send('Profiler.start')
      before = await metrics()
      await page.evaluate('window.taskdeckProbe?.start()')
      await page.locator(`.log-line[data-line="${lines - 1}"]`).waitFor({ timeout: 300_000 })
    }
    if (phase === 'scroll') {
      await cdp.send('Profiler.stop')
      await cdp.send('Profiler.start')
      before = await metrics()
      await page.locator('.task-list').hover()
      for (let i = 0; i < 80; i++) {
        await page.mouse.wheel(0, 3000)
        await page.waitForTimeout(16)
      }
    }
    const c = await page.evaluate<{ events: number; firstAt: number; lastAt: number; batches: number }>('window.taskdeckBench')
    console.log(`page: ${c.events} events in ${c.batches} batches, ${(c.lastAt - c.firstAt).toFixed(0)} ms first→last applied`)
    const after = await metrics()
    console.log(
      ['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration', 'LayoutCount', 'RecalcStyleCount', 'JSHeapUsedSize']
        .map((k) => `${k} ${k.endsWith('Duration') ? ((after[k]! - before[k]!) * 1000).toFixed(0) + ' ms' : after[k]! - before[k]!}`)
        .join(', '),
    )
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile }
    await cdp.send('Tracing.end')
    await traced
    console.log(traceSummary(traceEvents))
    await writeFile(join(tmpdir(), `taskdeck-ui-${phase}.trace.json`), JSON.stringify(traceEvents))
    await writeFile(join(tmpdir(), `taskdeck-ui-${phase}.cpuprofile`), JSON.stringify(profile))
    console.log(topSelf(profile))
  } finally {
    api.close()
    await browser.close()
    await server.stop()
  }
}

await main()
