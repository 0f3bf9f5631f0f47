/**
 * The list replay into the app, interleaved: builds (repository roots, each with its own
 * `npx electron-vite build`) × transports (BENCH_UI_TRANSPORTS, default `http,ws`: the
 * product's catch-up on the page, the WebSocket's own replay), alternated for `BENCH_UI_ROUNDS` rounds, so builds compare in the
 * same load. `node bench/ui-rounds.ts [root…]` (default: this repository).
 * Prints one JSON line per replay: events/s, renderer main-thread busy and process CPU, frame p95.
 */
import { resolve } from 'node:path'
import { launchChromium } from '../test/support/browser.ts'
import { apiClient, appReplay, importHistory, serveTempHome } from './ui.ts'

const roots = process.argv.slice(2).map((root) => resolve(root))
if (roots.length === 0) roots.push(resolve(import.meta.dirname, '..'))
const count = Number(process.env.BENCH_UI_LIST_TASKS ?? 20_000)
const rounds = Number(process.env.BENCH_UI_ROUNDS ?? 3)

const servers = await Promise.all(
  roots.map(async (root) => {
    const server = await serveTempHome('taskdeck-ui-rounds-', root)
    const api = await apiClient(server.url, server.token)
    await importHistory(api, count)
    const head = (await api.request<{ headSeq: number }>('events.read', { since: 0, limit: 1 })).headSeq
    return { root, server, api, head }
  }),
)
const browser = await launchChromium()
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
    await s.server.stop()
  }
}
