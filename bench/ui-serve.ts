/**
 * `node bench/ui-serve.ts [root…]`: the server's share of opening the UI on a long history,
 * for several builds (repository roots; the sources are run, no build needed) in interleaved
 * rounds. One history (`BENCH_UI_LIST_TASKS` imported tasks, 20,000 by default) is imported
 * once and copied into one home per build; then each round reads it whole from every build's
 * `taskdeck serve`, in turn and in alternating order, the two ways a client catches up:
 * `GET /api/v1/events?since=0` (the web UI's catch-up, NDJSON) and `events.subscribe` with
 * since 0 over the WebSocket (the fallback, and the bench's `list.server` row). Clients only
 * count lines or look for the head's seq, never parse. It prints the serve process's CPU time
 * per event (all threads, and its main thread alone, from /proc/<pid>/task/<tid>/sched: ns
 * precision, and CPU time rather than wall time, so other work on the machine disturbs it
 * less), per round and the median of `BENCH_UI_ROUNDS` (9).
 */
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import WebSocket from 'ws'
import { threadsOf } from './ui-cpu.ts'
import { apiClient, importHistory, serve } from './ui.ts'
import { freePort } from '../test/support/net.ts'

const TASKS = Number(process.env.BENCH_UI_LIST_TASKS ?? 20_000)
const ROUNDS = Number(process.env.BENCH_UI_ROUNDS ?? 9)

type Way = 'http' | 'ws'

/** The whole history over HTTP, counting its lines; resolves with the head seq it named. */
async function overHttp(url: string, token: string): Promise<number> {
  const response = await fetch(new URL('api/v1/events?since=0', url), { headers: { authorization: `Bearer ${token}` } })
  const head = Number(response.headers.get('taskdeck-head-seq'))
  let lines = 0
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++
  }
  if (lines !== head) throw new Error(`GET /api/v1/events sent ${lines} lines for head seq ${head}`)
  return head
}

/** The whole history as an events.subscribe replay, until a message holds the head's seq. */
async function overWebSocket(url: string, token: string): Promise<number> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + 'api/v1/ws', { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false })
  await new Promise((ok, fail) => {
    ws.once('open', ok)
    ws.once('error', fail)
  })
  let head = Infinity
  await new Promise<void>((done) => {
    ws.on('message', (data: Buffer) => {
      const tail = data.toString('latin1', Math.max(0, data.length - 8192))
      if (head === Infinity && tail.startsWith('{"v":1,"kind":"response","id":1')) head = (JSON.parse(data.toString()) as { result: { value: { headSeq: number } } }).result.value.headSeq
      if (tail.includes(`"seq":${head},`)) done()
    })
    ws.send(JSON.stringify({ v: 1, id: 1, command: 'events.subscribe', params: { since: 0 } }))
  })
  ws.close()
  return head
}

const cpu = (pid: number) => {
  const threads = threadsOf(pid)
  return { all: threads.reduce((sum, t) => sum + t.ms, 0), main: threads.find((t) => t.tid === pid)?.ms ?? 0 }
}
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!

async function main() {
  const roots = process.argv.length > 2 ? process.argv.slice(2).map((root) => resolve(root)) : [resolve(import.meta.dirname, '..')]
  process.env.TASKDECK_CLI_FROM_SOURCE = '1'
  const seedHome = await mkdtemp(join(tmpdir(), 'taskdeck-ui-serve-seed-'))
  const servers: { root: string; home: string; stop: () => Promise<void>; url: string; token: string; pid: number }[] = []
  try {
    const seed = await serve(seedHome, await freePort(), roots[0])
    const api = await apiClient(seed.url, seed.token)
    await importHistory(api, TASKS)
    api.close()
    seed.child.kill('SIGTERM')
    await new Promise((exited) => seed.child.once('exit', exited))
    for (const root of roots) {
      const home = await mkdtemp(join(tmpdir(), 'taskdeck-ui-serve-'))
      await cp(seedHome, home, { recursive: true })
      const server = await serve(home, await freePort(), root)
      const stop = async () => {
        server.child.kill('SIGTERM')
        await new Promise((exited) => server.child.once('exit', exited))
        await rm(home, { recursive: true, force: true })
      }
      servers.push({ root, home, stop, url: server.url, token: server.token, pid: server.child.pid! })
    }
    const ways: Way[] = ['http', 'ws']
    const read = (way: Way, s: (typeof servers)[number]) => (way === 'http' ? overHttp(s.url, s.token) : overWebSocket(s.url, s.token))
    // One read each first: the servers' code warms up, and the database pages are in the OS cache for every build.
    for (const s of servers) for (const way of ways) await read(way, s)
    const loadBefore = loadavg()[0]!
    const results = new Map<string, { all: number[]; main: number[] }>()
    for (let round = 0; round < ROUNDS; round++) {
      for (const way of ways) {
        for (const s of round % 2 === 0 ? servers : [...servers].reverse()) {
          const before = cpu(s.pid)
          const events = await read(way, s)
          const after = cpu(s.pid)
          const key = `${way} ${s.root}`
          const figures = results.get(key) ?? { all: [], main: [] }
          results.set(key, figures)
          figures.all.push(((after.all - before.all) * 1000) / events)
          figures.main.push(((after.main - before.main) * 1000) / events)
        }
      }
    }
    console.log(`${TASKS} imported tasks, ${ROUNDS} rounds; 1-minute load ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after`)
    console.log('serve CPU µs per event: median (all threads) [per round] · median (main thread)')
    for (const [key, figures] of results) {
      console.log(`${key}: ${median(figures.all).toFixed(2)} [${figures.all.map((v) => v.toFixed(2)).join(' ')}] · main ${median(figures.main).toFixed(2)}`)
    }
  } finally {
    for (const s of servers) await s.stop()
    await rm(seedHome, { recursive: true, force: true })
  }
}

await main()
