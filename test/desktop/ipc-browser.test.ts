import { EventEmitter } from 'node:events'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerIpc } from '../../src-main/desktop/ipc.ts'
import { openRuntime, type TaskdeckRuntime } from '../../src-main/app/runtime.ts'
import type { Disposable } from '../../src-main/engine/api.ts'
import { IPC_CHANNELS, type EventPush } from '../../src-shared/decisions/ipc.ts'
import { launchChromium } from '../support/browser.ts'
import { tempHome } from '../support/engine.ts'
import { serveRenderer, type RendererServer } from './renderer-server.ts'
import { FakeIpcMain } from './stand-ins.ts'

// The desktop IPC path end to end, minus Electron itself: the real UI bundle in Chromium,
// the built preload running in the page over a stand-in ipcRenderer, main's registerIpc
// and ApiSession, and the real runtime. Only the two Electron IPC objects are stand-ins,
// bridged through Playwright (ipcRenderer.invoke → exposed binding; webContents.send →
// an evaluate in the page).
const repo = join(import.meta.dirname, '..', '..')
const ARTIFACTS = join(repo, 'test-artifacts', 'desktop')
let dir: ReturnType<typeof tempHome>
let runtime: TaskdeckRuntime
let server: RendererServer | undefined
let origin: string
let browser: Browser
let page: Page
let ipc: Disposable
const ipcMain = new FakeIpcMain()
let pushes: Promise<unknown> = Promise.resolve()

/** Main's webContents: `send` delivers to the page in order, like Electron's IPC. */
class PageWebContents extends EventEmitter {
  readonly id = 1
  readonly sentEvents: number[] = []
  isDestroyed() {
    return false
  }
  send(channel: string, payload: unknown) {
    if (channel === IPC_CHANNELS.events) this.sentEvents.push((payload as EventPush).subscription)
    // Like Electron, a message for a page that is going away is dropped.
    pushes = pushes.then(() => page.evaluate(`window.__ipcEmit(${JSON.stringify(channel)}, ${JSON.stringify(payload)})`)).catch(() => undefined)
  }
}
const webContents = new PageWebContents()

/** The sandbox's require and ipcRenderer, then the built preload itself, before any page script. */
function preloadScript(): string {
  const bundle = readFileSync(join(repo, 'out', 'preload', 'index.cjs'), 'utf8')
  return `(() => {
    const listeners = new Map()
    const ipcRenderer = {
      invoke: (channel, message) => window.__ipcInvoke(channel, message),
      on(channel, listener) { if (!listeners.has(channel)) listeners.set(channel, new Set()); listeners.get(channel).add(listener) },
      removeListener(channel, listener) { listeners.get(channel)?.delete(listener) },
    }
    window.__ipcEmit = (channel, payload) => { for (const l of [...(listeners.get(channel) ?? [])]) l({}, payload) }
    const contextBridge = { exposeInMainWorld: (key, api) => { window[key] = Object.freeze(api) } }
    const require = (name) => { if (name === 'electron') return { contextBridge, ipcRenderer }; throw new Error('cannot require ' + name) }
    const module = { exports: {} }
    ;(function (require, module, exports) { ${bundle} \n})(require, module, module.exports)
  })()`
}

beforeAll(async () => {
  expect(existsSync(join(repo, 'out', 'renderer', 'index.html')), 'out/ is missing: run `npx electron-vite build`').toBe(true)
  dir = tempHome()
  runtime = await openRuntime({ home: dir.home, rendererDir: join(repo, 'out', 'renderer') })
  server = await serveRenderer(join(repo, 'out', 'renderer'))
  origin = server.origin
  // The page is trusted the way the dev server is: by its exact origin, checked on every message.
  ipc = registerIpc({ ipcMain: ipcMain as unknown as Parameters<typeof registerIpc>[0]['ipcMain'], engine: runtime.api, trust: { devServerOrigin: origin }, schedule: setImmediate })
  browser = await launchChromium()
  page = await browser.newPage()
  await page.exposeBinding('__ipcInvoke', async (source, channel: string, message: unknown) => {
    const frame = source.frame
    const event = { sender: webContents, senderFrame: { url: frame.url(), parent: frame.parentFrame() } }
    return await ipcMain.invoke(channel, event, message)
  })
  await page.addInitScript(preloadScript())
}, 60_000)

afterAll(async () => {
  await browser?.close()
  ipc?.dispose()
  await server?.close()
  await runtime?.close()
  dir.cleanup()
})

describe('the UI over Electron IPC (built preload, main IPC, real runtime)', () => {
  it('uses window.taskdeck, runs a task typed by keyboard and streams its output', async () => {
    await page.goto(`${origin}/index.html`)
    expect(await page.evaluate('Object.keys(window.taskdeck).sort().join()')).toBe('invoke,onDesktopIntent,onShortcutStatus,subscribe')
    await page.getByText('No tasks yet').waitFor()
    await page.keyboard.press('n')
    await page.keyboard.type('for i in 1 2 3; do echo ipc step $i; done')
    await page.keyboard.press('Enter')
    await page.locator('.log-scroll', { hasText: 'ipc step 3' }).waitFor()
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'ui-over-ipc.png') })
    const { tasks } = await runtime.api.handlers['task.list']({ limit: 10, offset: 0 })
    expect(tasks.map((t) => t.definition.spec)).toMatchObject([{ kind: 'shell', command: 'for i in 1 2 3; do echo ipc step $i; done' }])
  })

  it('after a reload, stops the old stream and replays everything into the new page', async () => {
    const before = new Set(webContents.sentEvents)
    // What Electron emits when the page starts reloading; main drops that page's subscription.
    webContents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false })
    await page.reload()
    await page.getByText('for i in 1 2 3; do echo ipc step $i; done').first().waitFor()
    await page.getByText('Live').waitFor()
    const after = webContents.sentEvents.slice(webContents.sentEvents.findIndex((s) => !before.has(s)))
    expect(after.length).toBeGreaterThan(0)
    expect(after.filter((s) => before.has(s))).toEqual([])
  })

  it('follows desktop intents from main (open a view)', async () => {
    webContents.send(IPC_CHANNELS.intents, { kind: 'open-view', view: 'settings' })
    await pushes
    await page.locator('h1', { hasText: 'Settings' }).waitFor()
    expect(await page.evaluate('document.querySelector(".nav-item[aria-current=page]")?.textContent')).toContain('Settings')
  })
})
