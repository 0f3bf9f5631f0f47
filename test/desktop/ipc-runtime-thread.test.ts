import { join } from 'node:path'
import { afterEach, expect, it, vi } from 'vitest'
import { openRuntimeInWorker, type ThreadedRuntime } from '../../src-main/app/runtime-thread.ts'
import { registerIpc } from '../../src-main/desktop/ipc.ts'
import { createPreloadApi, type PreloadIpc } from '../../src-preload/api.ts'
import { ipcBridge } from '../../src-renderer/bridge/ipc.ts'
import { IPC_CHANNELS, type EventPush } from '../../src-shared/decisions/ipc.ts'
import { TaskDefinitionSchema, type EngineEvent } from '../../src-shared/index.ts'
import { useTempHome } from '../support/engine.ts'
import { FakeIpcMain, FakeWebContents, topFrame } from './stand-ins.ts'

// The desktop's arrangement for real: the runtime in a worker thread, main's IPC over it, the
// preload and the window's bridge; only Electron's ipcMain, webContents and ipcRenderer stand in.
const dir = useTempHome()
let runtime: ThreadedRuntime | null = null
afterEach(async () => {
  vi.restoreAllMocks()
  await runtime?.close()
  runtime = null
})

it("replays a worker runtime's history to the window without JSON.parse on the main thread; the window parses and checks it", async () => {
  runtime = await openRuntimeInWorker({ home: dir.home, rendererDir: join(dir.home, 'no-renderer'), machineMonitor: 'none', networkWatch: { source: 'none' } })
  await runtime.api.handlers['engine.pause']({})
  const definitions = Array.from({ length: 2500 }, (_, i) => TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: 'true' }, name: `t${i}` }))
  await runtime.api.handlers['task.submitMany']({ definitions })
  const { headSeq } = await runtime.api.handlers['events.read']({ since: 0, limit: 1 })

  const ipcMain = new FakeIpcMain()
  const ipc = registerIpc({ ipcMain: ipcMain as never, engine: runtime.api, trust: {}, schedule: (run) => setImmediate(run) })
  const contents = new FakeWebContents()
  // The window's side: ipcRenderer is the other end of webContents.send and ipcMain.handle.
  const listeners = new Set<(event: unknown, push: unknown) => void>()
  const ipcRenderer: PreloadIpc = {
    invoke: (channel, ...args) => ipcMain.invoke(channel, { sender: contents, senderFrame: topFrame('app://bundle/index.html') }, ...args),
    on: (_channel, listener) => listeners.add(listener),
    removeListener: (_channel, listener) => listeners.delete(listener),
  }
  const send = contents.send.bind(contents)
  const parse = vi.spyOn(JSON, 'parse')
  let parsedOnMain = 0
  contents.send = (channel, payload) => {
    parsedOnMain += parse.mock.calls.length
    send(channel, payload)
    parse.mockClear()
    // The page's work happens in the renderer process, not counted here.
    for (const listener of [...listeners]) listener({}, payload)
    parse.mockClear()
  }

  const received: EngineEvent[] = []
  const bridge = ipcBridge(createPreloadApi(ipcRenderer, 1))
  const dispose = bridge.subscribe(0, (events) => received.push(...events), { output: 'watched' })
  await vi.waitFor(() => expect(received.at(-1)).toMatchObject({ seq: headSeq }), { timeout: 20_000 })
  parsedOnMain += parse.mock.calls.length

  const pushes = contents.sentOn(IPC_CHANNELS.events) as EventPush[]
  expect(pushes.length).toBeGreaterThan(1)
  expect(parsedOnMain).toBe(0)
  expect(pushes.every((push) => typeof push.json === 'string')).toBe(true)
  expect(received.map((e) => ('seq' in e ? e.seq : null))).toEqual(Array.from({ length: headSeq }, (_, i) => i + 1))
  dispose()
  ipc.dispose()
})
