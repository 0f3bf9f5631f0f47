/**
 * The list replay into the app, interleaved: builds (repository roots, each with its own
 * `npx electron-vite build`) × transports (BENCH_UI_TRANSPORTS, default `http,ws`: the
 * product's catch-up on the page, the WebSocket's own replay; `worker`: the catch-up in a Web Worker), alternated for `BENCH_UI_ROUNDS` rounds, so builds compare in the
 * same load. `node bench/ui-rounds.ts [root…]` (default: this repository).
 * Prints one JSON line per replay: events/s, renderer main-thread busy and process CPU, frame p95.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'
import { freePort } from '../test/support/net.ts'
import { apiClient, appReplay, importHistory, serve } from './ui.ts'

const roots = process.argv.slice(2).map((root) => resolve(root))
if (roots.length === 0) roots.push(resolve(import.meta.dirname, '..'))
const count = Number(process.env.BENCH_UI_LIST_TASKS ?? 20_000)
const rounds = Number(process.env.BENCH_UI_ROUNDS ?? 3)

const servers = await Promise.all(
  roots.map(async (root) => {
    const home = await mkdtemp(join(tmpdir(), 'taskdeck-ui-rounds-'))
    const server = await serve(home, await freePort(), root)
    const api = await apiClient(server.url, server.token)
    await importHistory(api, count)
    const head = (await api.request<{ headSeq: number }>('events.read', { since: 0, limit: 1 })).headSeq
    return { root, home, server, api, head }
  }),
)
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'],
})
try {
  for (let round = 1; round <= rounds; round++) {
    const order = servers.flatMap((s) => ((process.env.BENCH_UI_TRANSPORTS ?? 'http,ws').split(',') as ('http' | 'ws')[]).map((transport) => ({ s, transport })))
    // Each round starts with a different one, so no build or transport always runs first.
    const turn = (round - 1) % order.length
    for (const { s, transport } of [...order.slice(turn), ...order.slice(0, turn)]) {
      const { page, ...r } = await appReplay(browser, s.server.browserUrl, s.head, transport)
      await page.context().close()
      const [load] = (await import('node:os')).loadavg()
      console.log(
        JSON.stringify({ round, root: s.root, transport, events: r.events, eventsPerSecond: r.eventsPerSecond, fromNavigationSeconds: r.fromNavigationSeconds, rendererBusyMs: r.rendererBusyMs, rendererCpuMs: r.rendererCpuMs, otherChromiumCpuMs: r.otherChromiumCpuMs, p95: r.replayFrames.p95, max: r.replayFrames.max, load: load?.toFixed(1) }),
      )
    }
  }
} finally {
  await browser.close()
  for (const s of servers) {
    s.api.close()
    s.server.child.kill('SIGTERM')
    await new Promise((r) => s.server.child.once('exit', r))
    await rm(s.home, { recursive: true, force: true })
  }
}
