import { afterEach, describe, expect, it } from 'vitest'
import { catchUpHere } from '../../src-renderer/bridge/catch-up.ts'
import { ipcBridge, type PreloadApi } from '../../src-renderer/bridge/ipc.ts'
import type { Bridge } from '../../src-renderer/bridge/types.ts'
import { webSocketBridge, type WebSocketBridge } from '../../src-renderer/bridge/websocket.ts'
import { WEBSOCKET_PATH, isDurable, type CommandName, type EngineEvent, type Result } from '../../src-shared/index.ts'
import { call, importTasks, startHarness, waitUntil, type Harness } from '../server/helpers.ts'

const headSeq = async (h: Harness) => (await call<{ headSeq: number }>(h.server, 'events.read', { since: 0, limit: 1 })).headSeq

/** Subscribes from 0, recording each head the bridge announces with how many durable events had been delivered by then. */
function watchHeads(bridge: Pick<Bridge, 'subscribe'>) {
  const heads: { headSeq: number; delivered: number }[] = []
  let delivered = 0
  const dispose = bridge.subscribe(
    0,
    (events: EngineEvent[]) => {
      delivered += events.filter(isDurable).length
    },
    { onHead: (seq) => heads.push({ headSeq: seq, delivered }) },
  )
  return { heads, delivered: () => delivered, dispose }
}

describe('the head seq a bridge announces (the page shows it is catching up until it has folded up to it)', () => {
  let h: Harness
  let bridge: WebSocketBridge | null = null
  afterEach(async () => {
    bridge?.dispose()
    bridge = null
    await h.close()
  })

  it('over the WebSocket with an HTTP catch-up: the history reply\'s head before any of its events, then the subscribe reply\'s', async () => {
    h = await startHarness()
    await importTasks(h, 1, 2000)
    const head = await headSeq(h)
    bridge = webSocketBridge({ url: `ws://127.0.0.1:${h.server.port}${WEBSOCKET_PATH}`, token: () => h.server.token, catchUp: catchUpHere(h.server.url.replace(/\/$/, '')) })
    const watched = watchHeads(bridge)
    await waitUntil(() => watched.heads.length === 2, 'both heads')
    expect(watched.heads).toEqual([
      { headSeq: head, delivered: 0 },
      { headSeq: head, delivered: head },
    ])
    watched.dispose()
  })

  it('over the WebSocket alone: the subscribe reply\'s head', async () => {
    h = await startHarness()
    await importTasks(h, 1, 200)
    const head = await headSeq(h)
    bridge = webSocketBridge({ url: `ws://127.0.0.1:${h.server.port}${WEBSOCKET_PATH}`, token: () => h.server.token })
    const watched = watchHeads(bridge)
    await waitUntil(() => watched.heads.length === 1 && watched.delivered() === head, 'the head and the history')
    expect(watched.heads.map((announced) => announced.headSeq)).toEqual([head])
    watched.dispose()
  })

  it("over IPC: the event log's head, asked for beside the subscription (the preload does not pass the reply's on)", async () => {
    h = await startHarness()
    await importTasks(h, 1, 200)
    const head = await headSeq(h)
    // What the preload offers, over the real engine in this process and its server (main's IPC relays the same calls).
    const preload: PreloadApi = {
      invoke: async (command: CommandName, params: unknown) => ({ ok: true, value: await call(h.server, command, params) }),
      subscribe: (since, onEvents) => {
        const subscription = h.engine.subscribe(since, (events) => onEvents([...events]))
        return () => subscription.dispose()
      },
    }
    const watched = watchHeads(ipcBridge(preload))
    await waitUntil(() => watched.heads.length === 1 && watched.delivered() === head, 'the head and the history')
    expect(watched.heads.map((announced) => announced.headSeq)).toEqual([head])
    watched.dispose()
  })
})

describe('the IPC bridge', () => {
  it('ignores a head that is not a seq (an answer from main is not trusted)', async () => {
    const answers: Result<unknown>[] = [{ ok: true, value: { headSeq: 'soon' } }, { ok: true, value: null }, { ok: false, error: { code: 'internal', message: 'no' } }]
    for (const answer of answers) {
      const preload: PreloadApi = {
        invoke: (() => Promise.resolve(answer)) as PreloadApi['invoke'],
        subscribe: () => () => undefined,
      }
      const watched = watchHeads(ipcBridge(preload))
      await new Promise((resolve) => setImmediate(resolve))
      expect(watched.heads).toEqual([])
      watched.dispose()
    }
  })
})
