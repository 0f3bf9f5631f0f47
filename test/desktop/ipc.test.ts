import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { registerIpc } from '../../src-main/desktop/ipc.ts'
import type { Disposable } from '../../src-main/engine/api.ts'
import { IPC_CHANNELS, type EventPush } from '../../src-shared/decisions/ipc.ts'
import type { EngineEvent, Result } from '../../src-shared/index.ts'
import { useEngine } from '../support/engine.ts'
import { childFrame, FakeIpcMain, FakeWebContents, ManualScheduler, topFrame, type FakeFrame } from './stand-ins.ts'

// The real engine on a temp SQLite file; only Electron's ipcMain/webContents are stand-ins.
const t = useEngine()
let ipcMain: FakeIpcMain
let scheduler: ManualScheduler
let ipc: Disposable
let window: FakeWebContents

beforeEach(() => {
  ipcMain = new FakeIpcMain()
  scheduler = new ManualScheduler()
  ipc = registerIpc({ ipcMain: ipcMain as unknown as Parameters<typeof registerIpc>[0]['ipcMain'], engine: t.engine, trust: {}, schedule: scheduler.schedule })
  window = new FakeWebContents()
})

afterEach(() => {
  ipc.dispose()
})

const fromApp = topFrame('app://bundle/index.html')
let nextId = 1
const envelope = (command: string, params: unknown = {}, id = nextId++) => ({ v: 1, id, command, params })
const invoke = (raw: unknown, frame: FakeFrame | null = fromApp, contents = window) =>
  ipcMain.invoke(IPC_CHANNELS.invoke, { sender: contents, senderFrame: frame }, raw) as Promise<Result<unknown>>

const shell = (command: string) => ({ definition: { name: command, spec: { kind: 'shell', command } } })
const pushes = (contents = window) => contents.sentOn(IPC_CHANNELS.events) as EventPush[]
const pushedEvents = (contents = window): EngineEvent[] => pushes(contents).flatMap((p) => p.events ?? (JSON.parse(p.json) as EngineEvent[]))

describe('IPC sender check', () => {
  it('registers exactly one invoke handler and removes it on dispose', () => {
    expect(ipcMain.named('handle')).toEqual([[IPC_CHANNELS.invoke]])
    ipc.dispose()
    expect(ipcMain.named('removeHandler')).toEqual([[IPC_CHANNELS.invoke]])
    ipc = { dispose() {} }
  })

  it('answers our own top-level frame', async () => {
    const result = await invoke(envelope('task.list'))
    expect(result).toEqual({ ok: true, value: { tasks: [], total: 0 } })
  })

  it.each([
    ['a subframe of our page', childFrame('app://bundle/index.html')],
    ['a foreign page', topFrame('https://evil.example/')],
    ['a foreign iframe', childFrame('https://evil.example/')],
    ['a file:// page', topFrame('file:///tmp/index.html')],
    ['a look-alike host', topFrame('app://bundle.evil/index.html')],
    ['a frame that is gone', null],
  ])('refuses %s before doing anything', async (_what, frame) => {
    const result = await invoke(envelope('task.submit', shell('touch /tmp/pwned')), frame)
    expect(result).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    expect((await invoke(envelope('task.list'))) as Result<{ total: number }>).toMatchObject({ ok: true, value: { total: 0 } })
  })
})

describe('IPC message validation (through ApiSession)', () => {
  it.each([
    ['not an object', 'task.list', { code: 'bad_request' }],
    ['wrong protocol version', { v: 99, id: 5, command: 'task.list', params: {} }, { code: 'protocol_mismatch' }],
    ['unknown command', { v: 1, id: 6, command: 'shell.exec', params: {} }, { code: 'unknown_command' }],
    ['bad params', { v: 1, id: 7, command: 'task.get', params: { taskId: -1 } }, { code: 'bad_request' }],
    ['huge string', { v: 1, id: 8, command: 'task.submit', params: shell('x'.repeat(200_000)) }, { code: 'bad_request' }],
    ['prototype pollution', JSON.parse('{"v":1,"id":9,"command":"__proto__","params":{}}') as unknown, { code: 'unknown_command' }],
  ])('refuses %s with a clear error value', async (_what, raw, error) => {
    const result = await invoke(raw)
    expect(result).toMatchObject({ ok: false, error })
    if (!result.ok) expect(result.error.message.length).toBeGreaterThan(10)
  })

  it('refuses a second request with an id still in flight', async () => {
    const first = invoke(envelope('task.submit', shell('true'), 500))
    const second = invoke(envelope('task.list', {}, 500))
    expect(await second).toMatchObject({ ok: false, error: { code: 'bad_request', message: 'Request id 500 is already in flight.' } })
    expect(await first).toMatchObject({ ok: true })
  })

  it('keeps windows apart: each has its own session', async () => {
    const other = new FakeWebContents()
    const [a, b] = await Promise.all([invoke(envelope('task.list', {}, 900)), invoke(envelope('task.list', {}, 900), fromApp, other)])
    expect(a.ok && b.ok).toBe(true)
  })
})

describe('event push', () => {
  it('replays and streams a real task in batches tagged with the subscription', async () => {
    const subscribeId = nextId++
    expect(await invoke(envelope('events.subscribe', { since: 0 }, subscribeId))).toMatchObject({ ok: true, value: { headSeq: expect.any(Number) as number } })
    await invoke(envelope('task.submit', shell('echo hello from ipc')))
    await vi.waitFor(() => {
      scheduler.runAll()
      expect(pushedEvents().some((e) => e.type === 'run.finished')).toBe(true)
    })
    expect(pushes().every((p) => p.subscription === subscribeId)).toBe(true)
    const output = pushedEvents().flatMap((e) => (e.type === 'run.output' ? [e.text] : []))
    expect(output.join('')).toContain('hello from ipc')
    const seqs = pushedEvents().flatMap((e) => ('seq' in e ? [e.seq] : []))
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y))
    expect(new Set(seqs).size).toBe(seqs.length)
  })

  it('forwards replayed history as the log’s own JSON text, unparsed, and live events as objects', async () => {
    expect(await invoke(envelope('engine.pause'))).toMatchObject({ ok: true })
    for (let i = 0; i < 3; i++) await invoke(envelope('task.submit', shell(`echo ${i}`)))
    const { headSeq } = (await t.engine.handlers['events.read']({ since: 0, limit: 1 }))
    const stored = (await t.engine.handlers['events.read']({ since: 0, limit: 1000 })).events
    const subscribeId = nextId++
    await invoke(envelope('events.subscribe', { since: 0 }, subscribeId))
    await vi.waitFor(() => {
      scheduler.runAll()
      expect(pushedEvents().some((e) => 'seq' in e && e.seq === headSeq)).toBe(true)
    })
    const history = pushes()
    expect(history.every((p) => p.subscription === subscribeId && typeof p.json === 'string' && p.events === undefined)).toBe(true)
    expect(pushedEvents()).toEqual(stored)
    await invoke(envelope('task.submit', shell('true')))
    await vi.waitFor(() => {
      scheduler.runAll()
      expect(pushes().length).toBeGreaterThan(history.length)
    })
    expect(pushes().slice(history.length).every((p) => Array.isArray(p.events) && p.json === undefined)).toBe(true)
  })

  it('coalesces everything queued before a flush into one message', async () => {
    const collected: EngineEvent[] = []
    const probe = t.engine.subscribe(0, (events) => collected.push(...events))
    await invoke(envelope('events.subscribe', { since: 0 }))
    expect(await invoke(envelope('engine.pause'))).toMatchObject({ ok: true })
    for (let i = 0; i < 5; i++) await invoke(envelope('task.submit', shell(`echo ${i}`)))
    await vi.waitFor(() => expect(collected.filter((e) => e.type === 'task.created')).toHaveLength(5))
    expect(window.sent).toEqual([])
    expect(scheduler.pending).toBe(1)
    scheduler.runAll()
    // The live batches in one message (the replayed history before them goes as its own, as text).
    expect(pushes().filter((p) => p.events)).toHaveLength(1)
    expect(pushes().filter((p) => p.json)).toHaveLength(window.sent.length - 1)
    expect(pushedEvents().filter((e) => e.type === 'task.created')).toHaveLength(5)
    probe.dispose()
  })

  it('drops the previous subscription when the page subscribes again', async () => {
    await invoke(envelope('task.submit', shell('true')))
    await invoke(envelope('events.subscribe', { since: 0 }, 700))
    await invoke(envelope('events.subscribe', { since: 0 }, 701))
    await vi.waitFor(() => {
      scheduler.runAll()
      expect(pushedEvents().some((e) => e.type === 'task.created')).toBe(true)
    })
    expect(new Set(pushes().map((p) => p.subscription))).toEqual(new Set([701]))
    expect(pushedEvents().filter((e) => e.type === 'task.created')).toHaveLength(1)
  })

  it('stops pushing to a reloading or destroyed window', async () => {
    await invoke(envelope('events.subscribe', { since: 0 }))
    window.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false })
    await invoke(envelope('task.submit', shell('true')))
    scheduler.runAll()
    expect(window.sent).toEqual([])
    await invoke(envelope('events.subscribe', { since: 0 }))
    window.destroy()
    await invoke(envelope('task.submit', shell('true')), fromApp, new FakeWebContents())
    scheduler.runAll()
    expect(window.sent).toEqual([])
  })
})
