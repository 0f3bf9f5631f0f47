import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { createPreloadApi, PRELOAD_PROTOCOL_VERSION, type PreloadIpc } from '../../src-preload/api.ts'
import { ipcBridge } from '../../src-renderer/bridge/ipc.ts'
import type { ConnectionState } from '../../src-renderer/bridge/types.ts'
import { IPC_CHANNELS } from '../../src-shared/decisions/ipc.ts'
import { PROTOCOL_VERSION, type EngineEvent } from '../../src-shared/index.ts'

type Listener = (event: unknown, ...args: unknown[]) => void

/** A recording stand-in for ipcRenderer: invoke answers from a script; `emit` plays main's pushes. */
class FakeIpcRenderer implements PreloadIpc {
  readonly invoked: Array<{ channel: string; message: unknown }> = []
  readonly listeners = new Map<string, Set<Listener>>()
  answer: (message: { id: number; command: string }) => unknown = () => ({ ok: true, value: {} })
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invoked.push({ channel, message: args[0] })
    return Promise.resolve(this.answer(args[0] as { id: number; command: string }))
  }
  on(channel: string, listener: Listener): this {
    const set = this.listeners.get(channel) ?? new Set()
    set.add(listener)
    this.listeners.set(channel, set)
    return this
  }
  removeListener(channel: string, listener: Listener): this {
    this.listeners.get(channel)?.delete(listener)
    return this
  }
  emit(channel: string, payload: unknown): void {
    // Electron passes its IpcRendererEvent first; it carries `sender` (ipcRenderer) and must not leak.
    for (const listener of [...(this.listeners.get(channel) ?? [])]) listener({ sender: this, ports: [] }, payload)
  }
  count(channel: string): number {
    return this.listeners.get(channel)?.size ?? 0
  }
}

const event = (seq: number): EngineEvent => ({ type: 'engine.paused', seq, at: seq, paused: false })
const flush = () => new Promise((resolve) => setImmediate(resolve))

describe('the built preload bundle', () => {
  const bundle = join(import.meta.dirname, '..', '..', 'out', 'preload', 'index.cjs')

  it('exposes exactly four named functions as window.taskdeck, never ipcRenderer', async () => {
    expect(existsSync(bundle), 'out/preload/index.cjs is missing: run `npx electron-vite build`').toBe(true)
    const exposed: Array<{ key: string; api: Record<string, unknown> }> = []
    const ipcRenderer = new FakeIpcRenderer()
    const requires: string[] = []
    const contextBridge = { exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.push({ key, api }) }
    const sandboxRequire = (name: string) => {
      requires.push(name)
      if (name === 'electron') return { contextBridge, ipcRenderer }
      throw new Error(`a sandboxed preload cannot require ${name}`)
    }
    runInNewContext(readFileSync(bundle, 'utf8'), { require: sandboxRequire, console, crypto, module: { exports: {} }, exports: {} })
    expect(requires).toEqual(['electron'])
    expect(exposed.map((e) => e.key)).toEqual(['taskdeck'])
    const api = exposed[0]?.api ?? {}
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "invoke",
        "onDesktopIntent",
        "onShortcutStatus",
        "subscribe",
      ]
    `)
    expect(Object.values(api).every((v) => typeof v === 'function')).toBe(true)
    expect(Object.values(api)).not.toContain(ipcRenderer)
    // The bundle's invoke sends a contract envelope on the one invoke channel.
    await (api.invoke as (c: string, p: unknown) => Promise<unknown>)('task.list', {})
    expect(ipcRenderer.invoked).toEqual([{ channel: IPC_CHANNELS.invoke, message: { v: PROTOCOL_VERSION, id: expect.any(Number) as number, command: 'task.list', params: {} } }])
  })
})

describe('preload API', () => {
  it('speaks the contract protocol version', () => {
    expect(PRELOAD_PROTOCOL_VERSION).toBe(PROTOCOL_VERSION)
  })

  it('starts each page at a random request id, so a reloaded page never reuses the last one’s subscription tags', async () => {
    const firstIds = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const ipc = new FakeIpcRenderer()
        await createPreloadApi(ipc).invoke('task.list', {})
        return (ipc.invoked[0]?.message as { id: number }).id
      }),
    )
    expect(new Set(firstIds).size).toBe(5)
    expect(firstIds.every((id) => Number.isSafeInteger(id) && id > 0)).toBe(true)
  })

  it('numbers requests and returns main’s Result; an IPC failure becomes an error value', async () => {
    const ipc = new FakeIpcRenderer()
    const api = createPreloadApi(ipc, 1)
    ipc.answer = (m) => ({ ok: true, value: { echoed: m.id } })
    expect(await api.invoke('task.list', {})).toEqual({ ok: true, value: { echoed: 1 } })
    expect(await api.invoke('task.get', { taskId: 3 })).toEqual({ ok: true, value: { echoed: 2 } })
    ipc.answer = () => {
      throw new Error('channel closed')
    }
    expect(await api.invoke('task.list', {})).toEqual({ ok: false, error: { code: 'internal', message: 'IPC failed: channel closed' } })
  })

  it('delivers only its own subscription’s events, and the disposer stops them', () => {
    const ipc = new FakeIpcRenderer()
    const api = createPreloadApi(ipc, 1)
    const first: EngineEvent[][] = []
    const second: EngineEvent[][] = []
    const disposeFirst = api.subscribe(0, (events) => first.push(events))
    const disposeSecond = api.subscribe(5, (events) => second.push(events))
    expect(ipc.invoked.map((i) => i.message)).toEqual([
      { v: 1, id: 1, command: 'events.subscribe', params: { since: 0 } },
      { v: 1, id: 2, command: 'events.subscribe', params: { since: 5 } },
    ])
    ipc.emit(IPC_CHANNELS.events, { subscription: 1, events: [event(1)] })
    ipc.emit(IPC_CHANNELS.events, { subscription: 2, events: [event(6)] })
    expect(first).toEqual([[event(1)]])
    expect(second).toEqual([[event(6)]])
    disposeFirst()
    disposeSecond()
    expect(ipc.count(IPC_CHANNELS.events)).toBe(0)
    ipc.emit(IPC_CHANNELS.events, { subscription: 2, events: [event(7)] })
    expect(second).toHaveLength(1)
  })

  it('parses a text push itself for a page that takes only objects', () => {
    const ipc = new FakeIpcRenderer()
    const api = createPreloadApi(ipc, 1)
    const received: EngineEvent[][] = []
    api.subscribe(0, (events) => received.push(events))
    ipc.emit(IPC_CHANNELS.events, { subscription: 1, json: JSON.stringify([event(1), event(2)]) })
    expect(received).toEqual([[event(1), event(2)]])
  })

  it('drops its listener when main refuses the subscription', async () => {
    const ipc = new FakeIpcRenderer()
    const api = createPreloadApi(ipc, 1)
    ipc.answer = () => ({ ok: false, error: { code: 'bad_request', message: 'since must be >= 0' } })
    const errors: unknown[] = []
    const original = console.error
    console.error = (message: unknown) => errors.push(message)
    try {
      api.subscribe(-1, () => undefined)
      await flush()
    } finally {
      console.error = original
    }
    expect(ipc.count(IPC_CHANNELS.events)).toBe(0)
    expect(errors).toEqual(['Taskdeck: events.subscribe failed: since must be >= 0'])
  })

  it('holds intents until the page listens, then delivers them once; never passes Electron’s event object', () => {
    const ipc = new FakeIpcRenderer()
    const api = createPreloadApi(ipc, 1)
    ipc.emit(IPC_CHANNELS.intents, { kind: 'open-task', taskId: 4 })
    const seen: unknown[][] = []
    const dispose = api.onDesktopIntent((...args: unknown[]) => seen.push(args))
    ipc.emit(IPC_CHANNELS.intents, { kind: 'quick-add' })
    expect(seen).toEqual([[{ kind: 'open-task', taskId: 4 }], [{ kind: 'quick-add' }]])
    dispose()
    ipc.emit(IPC_CHANNELS.intents, { kind: 'quick-add' })
    expect(seen).toHaveLength(2)
    const later: unknown[] = []
    api.onDesktopIntent((intent) => later.push(intent))
    expect(later).toEqual([{ kind: 'quick-add' }])
  })

  it('gives every shortcut-status listener the current problems at once, then changes', () => {
    const ipc = new FakeIpcRenderer()
    const api = createPreloadApi(ipc, 1)
    const early: unknown[] = []
    api.onShortcutStatus((problems) => early.push(problems))
    expect(early).toEqual([[]])
    const problem = { id: 'quick-add', accelerator: 'CommandOrControl+Alt+N', problem: 'taken', message: 'taken' }
    ipc.emit(IPC_CHANNELS.shortcutStatus, [problem])
    const late: unknown[] = []
    const dispose = api.onShortcutStatus((problems) => late.push(problems))
    expect(early).toEqual([[], [problem]])
    expect(late).toEqual([[problem]])
    dispose()
    ipc.emit(IPC_CHANNELS.shortcutStatus, [])
    expect(late).toHaveLength(1)
    expect(early).toHaveLength(3)
  })
})

describe("the window's bridge over the preload (src-renderer/bridge/ipc.ts)", () => {
  function open() {
    const ipc = new FakeIpcRenderer()
    const bridge = ipcBridge(createPreloadApi(ipc, 1))
    const states: ConnectionState[] = []
    bridge.connection$.subscribe((state) => states.push(state))
    const delivered: EngineEvent[][] = []
    bridge.subscribe(0, (events) => delivered.push(events))
    return { ipc, bridge, states, delivered }
  }

  it('passes batches that continue the sequence, repeats and holes (the sequence check resubscribes at a hole)', () => {
    const { ipc, states, delivered } = open()
    ipc.emit(IPC_CHANNELS.events, { subscription: 1, events: [event(1), event(2)] })
    ipc.emit(IPC_CHANNELS.events, { subscription: 1, events: [event(2), event(3)] })
    ipc.emit(IPC_CHANNELS.events, { subscription: 1, events: [event(7)] })
    expect(delivered).toEqual([[event(1), event(2)], [event(2), event(3)], [event(7)]])
    expect(states).toEqual([{ kind: 'online' }])
  })

  it('stops listening and names the problem when main sends events the window does not understand', () => {
    const { ipc, states, delivered } = open()
    ipc.emit(IPC_CHANNELS.events, { subscription: 1, events: [event(1)] })
    ipc.emit(IPC_CHANNELS.events, { subscription: 1, events: [event(2), { type: 'task.exploded', seq: 3, at: 3 }] })
    ipc.emit(IPC_CHANNELS.events, { subscription: 1, events: [event(3)] })
    expect(delivered).toEqual([[event(1)]])
    expect(states.at(-1)).toEqual({
      kind: 'refused',
      reason: 'The app\'s main process sent events the window does not understand: event 2 after seq 2: unknown type "task.exploded".',
    })
    expect(ipc.count(IPC_CHANNELS.events)).toBe(0)
  })

  it('parses replayed history that main forwards as JSON text, and checks it as any batch', () => {
    const { ipc, states, delivered } = open()
    ipc.emit(IPC_CHANNELS.events, { subscription: 1, json: JSON.stringify([event(1), event(2)]) })
    ipc.emit(IPC_CHANNELS.events, { subscription: 1, events: [event(3)] })
    ipc.emit(IPC_CHANNELS.events, { subscription: 2, json: JSON.stringify([event(9)]) })
    expect(delivered).toEqual([[event(1), event(2)], [event(3)]])
    expect(states).toEqual([{ kind: 'online' }])
    // Framing is checked on the parsed text too.
    ipc.emit(IPC_CHANNELS.events, { subscription: 1, json: JSON.stringify([{ type: 'task.exploded', seq: 4, at: 4 }]) })
    expect(states.at(-1)).toEqual({
      kind: 'refused',
      reason: 'The app\'s main process sent events the window does not understand: event 1 after seq 3: unknown type "task.exploded".',
    })
    expect(ipc.count(IPC_CHANNELS.events)).toBe(0)
  })

  it.each([
    ['text that is not JSON', '[{"type":"engine.paused"', /replayed events that are not JSON/],
    ['JSON that is not a list', '{"type":"engine.paused","seq":1}', /replayed events that are not a list/],
  ])('refuses %s by name', (_what, json, reason) => {
    const { ipc, states, delivered } = open()
    ipc.emit(IPC_CHANNELS.events, { subscription: 1, json })
    expect(delivered).toEqual([])
    expect(states.at(-1)).toMatchObject({ kind: 'refused', reason: expect.stringMatching(reason) as unknown })
    expect(ipc.count(IPC_CHANNELS.events)).toBe(0)
  })

  it('turns an answer that is not a Result into an internal error naming the command', async () => {
    const { ipc, bridge } = open()
    ipc.answer = () => 'surprise'
    expect(await bridge.invoke('task.list', {})).toEqual({
      ok: false,
      error: { code: 'internal', message: "task.list: the app's main process answered with something that is not a result" },
    })
    ipc.answer = () => ({ ok: true, value: { tasks: [] } })
    expect(await bridge.invoke('task.list', {})).toEqual({ ok: true, value: { tasks: [] } })
  })
})
