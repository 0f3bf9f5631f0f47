import { afterEach, describe, expect, it } from 'vitest'
import { catchUpHere } from '../../src-renderer/bridge/catch-up.ts'
import { ipcBridge, type PreloadApi } from '../../src-renderer/bridge/ipc.ts'
import type { Bridge } from '../../src-renderer/bridge/types.ts'
import { createPreloadApi, type PreloadIpc } from '../../src-preload/api.ts'
import { webSocketBridge, type WebSocketBridge } from '../../src-renderer/bridge/websocket.ts'
import { WEBSOCKET_PATH, isDurable, type CommandName, type EngineEvent } from '../../src-shared/index.ts'
import { call, importTasks, startHarness, waitUntil, type Harness } from '../server/helpers.ts'

const headSeq = async (h: Harness) => (await call<{ headSeq: number }>(h.server, 'events.read', { since: 0, limit: 1 })).headSeq

/** Subscribes from 0, recording each head the bridge announces with how many durable events had been delivered by then. */
function watchHeads(bridge: Pick<Bridge, 'subscribe'>) {
  const heads: { headSeq: number | null; delivered: number }[] = []
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

  it("over IPC: the subscribe reply's head, passed on by the preload", async () => {
    h = await startHarness()
    await importTasks(h, 1, 200)
    const head = await headSeq(h)
    // What the preload offers, over the real engine in this process (main's IPC relays its subscribe reply's head).
    const preload: PreloadApi = {
      invoke: async (command: CommandName, params: unknown) => ({ ok: true, value: await call(h.server, command, params) }),
      subscribe: (since, onEvents, options) => {
        const subscription = h.engine.subscribe(since, (events) => onEvents([...events]))
        options?.onHead?.(subscription.headSeq)
        return () => subscription.dispose()
      },
    }
    const watched = watchHeads(ipcBridge(preload))
    await waitUntil(() => watched.delivered() === head, 'the history')
    expect(watched.heads.map((announced) => announced.headSeq)).toEqual([head])
    watched.dispose()
  })
})

/** Main's side of the preload's IPC: answers each invoke with `answer`, records what was asked. */
function recordingIpc(answer: (message: { command: string }) => unknown): PreloadIpc & { asked: string[] } {
  const asked: string[] = []
  return {
    asked,
    invoke: (_channel, message) => {
      asked.push((message as { command: string }).command)
      return Promise.resolve(answer(message as { command: string }))
    },
    on: () => undefined,
    removeListener: () => undefined,
  }
}

describe("the preload's subscribe", () => {
  it("passes the subscribe reply's head on, and null when the subscription is refused (no head will come)", async () => {
    const heads: (number | null)[] = []
    const answered = recordingIpc(() => ({ ok: true, value: { headSeq: 42 } }))
    createPreloadApi(answered, 1).subscribe(0, () => undefined, { onHead: (seq) => heads.push(seq) })
    await waitUntil(() => heads.length === 1, 'the head')
    expect(heads).toEqual([42])
    // No events.read beside it: the reply names the head.
    expect(answered.asked).toEqual(['events.subscribe'])

    const original = console.error
    console.error = () => undefined
    try {
      const refused = recordingIpc(() => ({ ok: false, error: { code: 'internal', message: 'the event log is closed' } }))
      createPreloadApi(refused, 1).subscribe(0, () => undefined, { onHead: (seq) => heads.push(seq) })
      await waitUntil(() => heads.length === 2, 'the unknown head')
    } finally {
      console.error = original
    }
    expect(heads).toEqual([42, null])
  })
})

describe('the IPC bridge', () => {
  it('says the head is unknown when what the preload passes on is not a seq (an answer from main is not trusted), or when the subscription failed', async () => {
    for (const told of ['soon', undefined, -1, null] as unknown[]) {
      const preload: PreloadApi = {
        invoke: (() => Promise.resolve({ ok: true, value: null })) as PreloadApi['invoke'],
        subscribe: (_since, _onEvents, options) => {
          queueMicrotask(() => options?.onHead?.(told as number | null))
          return () => undefined
        },
      }
      const watched = watchHeads(ipcBridge(preload))
      await new Promise((resolve) => setImmediate(resolve))
      expect(watched.heads).toEqual([{ headSeq: null, delivered: 0 }])
      watched.dispose()
    }
  })

  it('passes no head on once disposed', () => {
    let tell: ((seq: number | null) => void) | undefined
    const preload: PreloadApi = {
      invoke: (() => Promise.resolve({ ok: true, value: null })) as PreloadApi['invoke'],
      subscribe: (_since, _onEvents, options) => {
        tell = options?.onHead
        return () => undefined
      },
    }
    const watched = watchHeads(ipcBridge(preload))
    watched.dispose()
    tell?.(5)
    expect(watched.heads).toEqual([])
  })
})
