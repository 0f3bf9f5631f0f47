import { EventEmitter } from 'node:events'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { appMenuTemplate } from '../../src-main/desktop/appMenu.ts'
import { NotificationController } from '../../src-main/desktop/notifications.ts'
import { applyLoginItemPlan, readWindowState, WINDOW_STATE_FILE, writeWindowState, xdgAutostartDir } from '../../src-main/desktop/persistence.ts'
import { MachineMonitor, runtimeMachineOptions } from '../../src-main/desktop/machine.ts'
import { KeepAwakeController } from '../../src-main/desktop/power.ts'
import { declareAppScheme, handleAppProtocol, serveAppRequest } from '../../src-main/desktop/protocol.ts'
import { ShortcutController } from '../../src-main/desktop/shortcuts.ts'
import { TrayController, trayMenuTemplate } from '../../src-main/desktop/tray.ts'
import { createMainWindow, guardSession, guardWebContents } from '../../src-main/desktop/window.ts'
import { appMenuModel } from '../../src-shared/decisions/appMenu.ts'
import { planStartAtLogin } from '../../src-shared/decisions/autostart.ts'
import { contentSecurityPolicy } from '../../src-shared/decisions/csp.ts'
import { foldDesktopEvents, initialDesktopState } from '../../src-shared/decisions/desktopState.ts'
import type { Language } from '../../src-shared/decisions/language.ts'
import { NETWORK_POLL_MS, networkWatchFor, POWER_POLL_MS, POWER_SAFETY_POLL_MS, powerWatchFor, RETURN_CHECK_MS, WINDOWS_NETWORK_POLL_MS } from '../../src-shared/decisions/machine.ts'
import type { FinishedTask } from '../../src-shared/decisions/notifications.ts'
import { trayModel, type DesktopAction } from '../../src-shared/decisions/tray.ts'
import { FakePowerMonitor } from './fake-electron.ts'
import { created, resetSeq, task } from './fixtures.ts'
import { Recorder } from './stand-ins.ts'

// Adapters fed with the pure modules' output, against recording stand-ins of Electron's API.
const cast = <T>(value: unknown): T => value as T

let temp: string
beforeEach(() => {
  temp = mkdtempSync(join(tmpdir(), 'taskdeck-desktop-'))
  resetSeq()
})
afterEach(() => rmSync(temp, { recursive: true, force: true }))

describe('keep-awake adapter', () => {
  it('starts one app-suspension blocker, stops that one, and ignores repeats', () => {
    const recorder = new Recorder()
    let next = 7
    const controller = new KeepAwakeController({
      start: (type) => (recorder.record('start', type), next++),
      stop: (id) => (recorder.record('stop', id), true),
    })
    controller.apply(false)
    controller.apply(true)
    controller.apply(true)
    controller.apply(false)
    controller.apply(false)
    controller.apply(true)
    expect(recorder.calls).toEqual([
      ['start', 'prevent-app-suspension'],
      ['stop', 7],
      ['start', 'prevent-app-suspension'],
    ])
  })
})

describe.each(['linux', 'win32', 'darwin'] as const)('machine monitor adapter on %s', (platform) => {
  // How soon the power source is looked at without an event (Linux: never here, the runtime reads sysfs).
  const pollMs = { linux: Infinity, win32: POWER_POLL_MS, darwin: POWER_SAFETY_POLL_MS }[platform]
  const capped = (ms: number) => Math.min(ms, pollMs)
  const setUp = (options: { failFirstReport?: boolean } = {}) => {
    const powerMonitor = new FakePowerMonitor(platform)
    const reports: unknown[] = []
    const logged: string[] = []
    const timers: Array<{ run: () => void; ms: number; cancelled: boolean }> = []
    let failNext = options.failFirstReport ?? false
    const monitor = new MachineMonitor({
      powerMonitor,
      platform,
      report: (report) => {
        if (failNext) {
          failNext = false
          return Promise.reject(new Error('the engine is busy'))
        }
        reports.push(report)
        return Promise.resolve()
      },
      setTimer: (run, ms) => {
        const timer = { run, ms, cancelled: false }
        timers.push(timer)
        return { cancel: () => (timer.cancelled = true) }
      },
      log: (message) => logged.push(message),
    })
    const pending = () => timers.filter((t) => !t.cancelled)
    /** The one pending check fires (as setTimeout would). */
    const poll = () => {
      const [timer] = pending()
      if (!timer || pending().length !== 1) throw new Error(`expected one pending check, found ${pending().length}`)
      timer.cancelled = true
      timer.run()
    }
    return { powerMonitor, reports, logged, monitor, pending, poll }
  }
  /** What the first report says: on Linux no power source (the system monitor owns it). */
  const firstReport = platform === 'linux' ? { userIdle: false } : { onAcPower: true, userIdle: false }
  const powerReports = (reports: unknown[]) => reports.filter((r) => typeof r === 'object' && r !== null && 'onAcPower' in r)

  it('reports the machine at start, then sees being unplugged and plugged in as soon as the platform lets it', () => {
    const { powerMonitor, reports, monitor, pending, poll } = setUp()
    expect(powerMonitor.listenerCount('on-ac')).toBe(0)
    monitor.apply(10)
    expect(reports).toEqual([firstReport])
    powerMonitor.unplug()
    if (platform === 'darwin') expect(reports.at(-1)).toEqual({ onAcPower: false })
    else {
      // No event: the next look tells, and on Windows it is never more than POWER_POLL_MS away.
      if (platform === 'win32') expect(pending().map((t) => t.ms)).toEqual([POWER_POLL_MS])
      poll()
    }
    powerMonitor.plugIn()
    if (platform !== 'darwin') poll()
    if (platform === 'linux') expect(powerReports(reports)).toEqual([])
    else expect(reports.slice(1)).toEqual([{ onAcPower: false }, { onAcPower: true }])
    monitor.dispose()
  })

  it('counts a locked screen as away where the platform says so, and the idle time everywhere', () => {
    const { powerMonitor, reports, monitor } = setUp()
    monitor.apply(10)
    powerMonitor.lock()
    powerMonitor.unlock()
    // Linux sends no lock events: only the idle time tells. Elsewhere the screen itself is told too (system triggers).
    expect(reports.slice(1)).toEqual(platform === 'linux' ? [] : [{ screenLocked: true }, { userIdle: true }, { screenLocked: false }, { userIdle: false }])
    powerMonitor.idleSeconds = 120
    monitor.apply(2)
    expect(reports.at(-1)).toEqual({ userIdle: true })
    monitor.dispose()
  })

  it('polls the idle time when the user could be away, then often until they return', () => {
    const { powerMonitor, reports, monitor, pending, poll } = setUp()
    monitor.apply(10)
    expect(pending().map((t) => t.ms)).toEqual([capped(600_000)])
    powerMonitor.idleSeconds = 200
    poll()
    expect(pending().map((t) => t.ms)).toEqual([capped(400_000)])
    powerMonitor.idleSeconds = 600
    poll()
    expect(reports.at(-1)).toEqual({ userIdle: true })
    expect(pending().map((t) => t.ms)).toEqual([RETURN_CHECK_MS])
    poll()
    expect(reports).toHaveLength(2)
    powerMonitor.idleSeconds = 2
    poll()
    expect(reports.at(-1)).toEqual({ userIdle: false })
    expect(pending().map((t) => t.ms)).toEqual([capped(598_000)])
    monitor.dispose()
  })

  it('looks again after a resume and when the idle threshold changes', () => {
    const { powerMonitor, reports, monitor, pending } = setUp()
    monitor.apply(10)
    // Unplugged while asleep: no on-battery event, the resume tells (where Electron knows the power source).
    powerMonitor.wake(true)
    // The wake itself is told first (system triggers), then what the look found.
    if (platform === 'linux') expect(reports.slice(1)).toEqual([{ event: 'wake' }])
    else expect(reports.slice(1)).toEqual([{ event: 'wake' }, { onAcPower: false }])
    const before = reports.length
    powerMonitor.idleSeconds = 120
    monitor.apply(10)
    expect(reports).toHaveLength(before)
    monitor.apply(2)
    expect(reports.at(-1)).toEqual({ userIdle: true })
    expect(pending()).toHaveLength(1)
    monitor.dispose()
  })

  it('sends everything again soon after a report fails, so the engine is not left with a stale state', async () => {
    const { reports, logged, monitor, pending, poll } = setUp({ failFirstReport: true })
    monitor.apply(10)
    expect(reports).toEqual([])
    await vi.waitFor(() => expect(logged).toEqual(['machine.report failed: the engine is busy']))
    expect(pending().map((t) => t.ms)).toEqual([RETURN_CHECK_MS])
    poll()
    expect(reports).toEqual([firstReport])
    // Then only changes again.
    poll()
    expect(reports).toHaveLength(1)
    monitor.dispose()
  })

  it('keeps a look already due sooner when a report fails', async () => {
    const { powerMonitor, logged, monitor, pending } = setUp({ failFirstReport: true })
    powerMonitor.idleSeconds = 599
    monitor.apply(10)
    await vi.waitFor(() => expect(logged).toHaveLength(1))
    expect(pending().map((t) => t.ms)).toEqual([1_000])
    monitor.dispose()
  })

  it('stops listening and polling when disposed', () => {
    const { powerMonitor, reports, monitor, pending } = setUp()
    monitor.apply(10)
    monitor.dispose()
    for (const event of ['on-ac', 'on-battery', 'lock-screen', 'unlock-screen', 'resume']) expect(powerMonitor.listenerCount(event), event).toBe(0)
    expect(pending()).toEqual([])
    powerMonitor.unplug()
    monitor.apply(3)
    expect(reports).toHaveLength(1)
  })

  it('opens the runtime so that exactly one side reports the power source, and the runtime reads the network where the platform can tell', () => {
    const powerMonitor = new FakePowerMonitor(platform)
    powerMonitor.unplug()
    const networkWatch = { linux: { source: 'networkmanager', pollMs: NETWORK_POLL_MS }, win32: { source: 'windows-connection-cost', pollMs: WINDOWS_NETWORK_POLL_MS }, darwin: { source: 'none' } }[platform]
    expect(runtimeMachineOptions(powerWatchFor(platform), powerMonitor, networkWatchFor(platform))).toEqual(
      platform === 'linux'
        ? { machineMonitor: 'system', machine: { userIdle: false, screenLocked: false }, networkWatch, wakeMonitor: 'none' }
        : { machineMonitor: 'none', machine: { onAcPower: false, userIdle: false, screenLocked: false }, networkWatch, wakeMonitor: 'none' },
    )
  })
})

describe('app:// protocol adapter', () => {
  beforeEach(() => {
    mkdirSync(join(temp, 'renderer', 'assets'), { recursive: true })
    writeFileSync(join(temp, 'renderer', 'index.html'), '<!doctype html><title>t</title>')
    writeFileSync(join(temp, 'renderer', 'assets', 'app.js'), 'console.log(1)')
    writeFileSync(join(temp, 'secret.json'), '{"token":"s3cret"}')
  })
  const root = () => join(temp, 'renderer')

  it('declares app:// as a standard secure scheme with no extra privileges', () => {
    const recorder = new Recorder()
    declareAppScheme({ registerSchemesAsPrivileged: (schemes) => recorder.record('registerSchemesAsPrivileged', schemes) })
    expect(recorder.calls).toEqual([
      ['registerSchemesAsPrivileged', [{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } }]],
    ])
  })

  it('serves bundle files with their type, the CSP and nosniff', async () => {
    const response = await serveAppRequest(root(), { url: 'app://bundle/', method: 'GET' })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy())
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await response.text()).toContain('<title>t</title>')
    const script = await serveAppRequest(root(), { url: 'app://bundle/assets/app.js', method: 'GET' })
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    const head = await serveAppRequest(root(), { url: 'app://bundle/assets/app.js', method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it.each(['app://bundle/../secret.json', 'app://bundle/%2e%2e/secret.json', 'app://bundle/assets/%2E%2E%2F..%2Fsecret.json', 'app://bundle/..%5csecret.json'])(
    'never reads outside the bundle: %s',
    async (url) => {
      const response = await serveAppRequest(root(), { url, method: 'GET' })
      expect(response.status).toBeGreaterThanOrEqual(400)
      expect(response.status).toBeLessThan(500)
      expect(await response.text()).not.toContain('s3cret')
    },
  )

  it('answers 404 for a missing file and registers the handler on the app scheme', async () => {
    expect((await serveAppRequest(root(), { url: 'app://bundle/nope.js', method: 'GET' })).status).toBe(404)
    const handlers = new Map<string, (request: Request) => Promise<Response>>()
    handleAppProtocol(cast({ handle: (scheme: string, handler: (r: Request) => Promise<Response>) => handlers.set(scheme, handler) }), root())
    const response = await handlers.get('app')?.(cast({ url: 'app://bundle/index.html', method: 'GET' }))
    expect(response?.status).toBe(200)
  })
})

class FakeContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler
  }
  /** Emits an Electron-style event and says whether a listener prevented it. */
  fire(name: string, url?: string): boolean {
    let prevented = false
    this.emit(name, { url, preventDefault: () => (prevented = true) })
    return prevented
  }
}

describe('window hardening', () => {
  it('creates the window with every security-relevant web preference stated', () => {
    const created: unknown[] = []
    class FakeBrowserWindow {
      constructor(options: unknown) {
        created.push(options)
      }
    }
    const window = createMainWindow(FakeBrowserWindow, { preloadPath: '/out/preload/index.cjs', bounds: { x: 1, y: 2, width: 800, height: 600 }, backgroundColor: '#000' })
    expect(window).toBeInstanceOf(FakeBrowserWindow)
    expect(created).toEqual([
      {
        x: 1,
        y: 2,
        width: 800,
        height: 600,
        minWidth: 640,
        minHeight: 420,
        show: false,
        title: 'Taskdeck',
        backgroundColor: '#000',
        webPreferences: {
          preload: '/out/preload/index.cjs',
          contextIsolation: true,
          sandbox: true,
          nodeIntegration: false,
          nodeIntegrationInWorker: false,
          nodeIntegrationInSubFrames: false,
          webSecurity: true,
          allowRunningInsecureContent: false,
          experimentalFeatures: false,
          webviewTag: false,
          navigateOnDragDrop: false,
          safeDialogs: true,
          spellcheck: false,
          disableBlinkFeatures: 'Auxclick',
        },
      },
    ])
  })

  it('denies navigation, redirects, webviews and new windows; allowlisted links go to the system browser', async () => {
    const contents = new FakeContents()
    const opened: string[] = []
    guardWebContents(cast(contents), (url) => {
      opened.push(url)
      return Promise.resolve()
    })
    expect(contents.fire('will-navigate', 'https://evil.example/')).toBe(true)
    expect(contents.fire('will-navigate', 'https://github.com/taskdeck/taskdeck')).toBe(true)
    expect(contents.fire('will-redirect', 'file:///etc/passwd')).toBe(true)
    expect(contents.fire('will-attach-webview')).toBe(true)
    expect(contents.windowOpenHandler?.({ url: 'https://evil.example/popup' })).toEqual({ action: 'deny' })
    expect(contents.windowOpenHandler?.({ url: 'https://www.electronjs.org/docs' })).toEqual({ action: 'deny' })
    expect(contents.windowOpenHandler?.({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' })
    await Promise.resolve()
    expect(opened).toEqual(['https://github.com/taskdeck/taskdeck', 'https://www.electronjs.org/docs'])
  })

  it('denies permission requests and checks by default', () => {
    type RequestHandler = (contents: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl: string }) => void
    type CheckHandler = (contents: unknown, permission: string, origin: string) => boolean
    const handlers: { request?: RequestHandler; check?: CheckHandler } = {}
    guardSession(
      cast({
        setPermissionRequestHandler: (h: RequestHandler) => (handlers.request = h),
        setPermissionCheckHandler: (h: CheckHandler) => (handlers.check = h),
      }),
      {},
    )
    const answers: Array<[string, boolean]> = []
    const contents = { getURL: () => 'app://bundle/index.html' }
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-sanitized-write']) {
      handlers.request?.(contents, permission, (granted) => answers.push([permission, granted]), { requestingUrl: 'app://bundle/index.html' })
    }
    handlers.request?.(contents, 'clipboard-sanitized-write', (granted) => answers.push(['foreign clipboard', granted]), { requestingUrl: 'https://evil.example/' })
    expect(answers).toEqual([
      ['media', false],
      ['geolocation', false],
      ['notifications', false],
      ['clipboard-sanitized-write', true],
      ['foreign clipboard', false],
    ])
    expect(handlers.check?.(contents, 'media', 'app://bundle')).toBe(false)
    expect(handlers.check?.(contents, 'clipboard-sanitized-write', 'app://bundle')).toBe(true)
  })
})

class FakeTray extends Recorder {
  private readonly emitter = new EventEmitter()
  setImage(image: unknown) {
    this.record('setImage', image)
  }
  setToolTip(text: string) {
    this.record('setToolTip', text)
  }
  setContextMenu(menu: unknown) {
    this.record('setContextMenu', menu)
  }
  on(name: string, listener: () => void) {
    this.record('on', name)
    this.emitter.on(name, listener)
    return this
  }
  click() {
    this.emitter.emit('click')
  }
}

describe('tray adapter', () => {
  const icons = { idle: 'idle.png', running: 'running.png', failed: 'failed.png' }
  const setup = (platform: string) => {
    const tray = new FakeTray()
    const dispatched: DesktopAction[] = []
    const templates: unknown[] = []
    const controller = new TrayController({
      tray: cast(tray),
      buildMenu: (template) => {
        templates.push(template)
        return cast({ template })
      },
      icons: cast(icons),
      dispatch: (action) => dispatched.push(action),
      platform,
    })
    return { tray, dispatched, templates, controller }
  }

  it('sets icon, tooltip and menu once, and nothing again for an equal model', () => {
    const { tray, controller } = setup('linux')
    const state = foldDesktopEvents(initialDesktopState(), [created(task(1, 'running'))], true)
    controller.apply(trayModel({ state, windowVisible: true, language: 'en' }))
    controller.apply(trayModel({ state, windowVisible: true, language: 'en' }))
    expect(tray.calls.map((c) => c[0])).toEqual(['on', 'setImage', 'setToolTip', 'setContextMenu'])
    expect(tray.named('setImage')).toEqual([['running.png']])
    expect(tray.named('setToolTip')).toEqual([['Taskdeck: 1 task running']])
  })

  it('changes only what changed', () => {
    const { tray, controller } = setup('linux')
    const state = initialDesktopState()
    controller.apply(trayModel({ state, windowVisible: true, language: 'en' }))
    tray.calls.length = 0
    controller.apply(trayModel({ state, windowVisible: false, language: 'en' }))
    expect(tray.calls.map((c) => c[0])).toEqual(['setContextMenu'])
  })

  it('toggles the window on a left click except on macOS, and menu clicks dispatch actions', () => {
    const linux = setup('linux')
    linux.tray.click()
    expect(linux.dispatched).toEqual([{ kind: 'toggle-window' }])
    const mac = setup('darwin')
    mac.tray.click()
    expect(mac.dispatched).toEqual([])
    const state = foldDesktopEvents(initialDesktopState(), [created(task(3, 'running', { name: 'sync' }))], true)
    const template = trayMenuTemplate(trayModel({ state, windowVisible: true, language: 'en' }).menu, (a) => mac.dispatched.push(a))
    const sync = template.find((item) => item.label === 'sync')
    const cancel = (sync?.submenu as Array<{ label: string; click?: () => void }>).find((i) => i.label === 'Cancel')
    cancel?.click?.()
    expect(mac.dispatched).toEqual([{ kind: 'cancel-task', taskId: 3 }])
    expect(template.find((item) => item.label === 'No running tasks')).toBeUndefined()
  })
})

class FakeNotification extends EventEmitter {
  static created: FakeNotification[] = []
  readonly options: Record<string, unknown>
  shown = false
  closed = false
  constructor(options: Record<string, unknown>) {
    super()
    this.options = options
    FakeNotification.created.push(this)
  }
  show() {
    this.shown = true
  }
  close() {
    this.closed = true
  }
}

describe('notification adapter', () => {
  const finished = (taskId: number, outcome: 'succeeded' | 'failed'): FinishedTask => ({
    taskId,
    name: `job ${taskId}`,
    status: outcome,
    outcome,
    notify: 'default',
    endReason: outcome === 'failed' ? { kind: 'exited', code: 2, commandNotFound: false } : null,
    reason: null,
    exitCode: outcome === 'failed' ? 2 : 0,
    stderrTail: outcome === 'failed' ? 'make: *** [all] Error 2' : null,
    durationMs: 1000,
    at: 0,
  })
  const setup = (platform = 'darwin', language: () => Language = () => 'en') => {
    FakeNotification.created = []
    let now = 0
    const timers: Array<{ at: number; run: () => void; cancelled: boolean }> = []
    const intents: unknown[] = []
    const retries: number[] = []
    const controller = new NotificationController({
      create: (options) => cast(new FakeNotification(options as Record<string, unknown>)),
      isSupported: () => true,
      platform,
      language,
      now: () => now,
      setTimer: (run, ms) => {
        const timer = { at: now + ms, run, cancelled: false }
        timers.push(timer)
        return { cancel: () => (timer.cancelled = true) }
      },
      onIntent: (intent) => intents.push(intent),
      onRetry: (taskId) => retries.push(taskId),
    })
    const advance = (ms: number) => {
      now += ms
      for (const timer of timers.splice(0)) {
        if (timer.cancelled) continue
        if (timer.at <= now) timer.run()
        else timers.push(timer)
      }
    }
    return { controller, advance, intents, retries, timers }
  }

  it('holds a burst and shows one summary when the window closes', () => {
    const { controller, advance } = setup()
    controller.add([finished(1, 'succeeded')])
    advance(500)
    controller.add([finished(2, 'failed'), finished(3, 'succeeded')])
    expect(FakeNotification.created).toHaveLength(0)
    advance(1000)
    expect(FakeNotification.created).toHaveLength(1)
    expect(FakeNotification.created[0]?.options).toMatchObject({ title: '3 tasks finished, 1 failed', urgency: 'critical' })
    expect(FakeNotification.created[0]?.shown).toBe(true)
  })

  it("shows a failure's reason and the last line its run wrote on stderr", () => {
    const { controller, advance } = setup('linux')
    controller.add([finished(7, 'failed')])
    advance(1500)
    expect(FakeNotification.created[0]?.options).toMatchObject({ title: 'Failed: job 7', body: 'Exited with code 2 after 1 s.\nmake: *** [all] Error 2' })
  })

  it('offers Retry and Open Log on macOS and Windows, and routes clicks and actions', () => {
    const { controller, advance, intents, retries } = setup('win32')
    controller.add([finished(7, 'failed')])
    advance(1500)
    const [shown] = FakeNotification.created
    expect(shown?.options.actions).toEqual([
      { type: 'button', text: 'Retry' },
      { type: 'button', text: 'Open Log' },
    ])
    shown?.emit('action', { actionIndex: 0 })
    shown?.emit('action', { actionIndex: 1 })
    shown?.emit('action', { actionIndex: 9 })
    shown?.emit('click')
    expect(retries).toEqual([7])
    expect(intents).toEqual([
      { kind: 'open-task', taskId: 7 },
      { kind: 'open-task', taskId: 7 },
    ])
  })

  it('speaks the language of the moment it shows: Korean title, body from the end reason, and buttons', () => {
    let language: Language = 'en'
    const { controller, advance } = setup('win32', () => language)
    controller.add([finished(7, 'failed')])
    // The user switches to Korean while the burst waits.
    language = 'ko'
    advance(1500)
    expect(FakeNotification.created[0]?.options).toMatchObject({
      title: '실패: job 7',
      body: '종료 코드 2 (1초 후)\nmake: *** [all] Error 2',
      actions: [
        { type: 'button', text: '다시 실행' },
        { type: 'button', text: '로그 열기' },
      ],
    })
  })

  it('shows no action buttons on Linux, where the click opens the task', () => {
    const { controller, advance } = setup('linux')
    controller.add([finished(7, 'failed')])
    advance(1500)
    expect(FakeNotification.created[0]?.options).not.toHaveProperty('actions')
  })

  it('closes what is still shown and cancels a pending burst on dispose', () => {
    const { controller, advance, timers } = setup()
    controller.add([finished(1, 'succeeded')])
    advance(1500)
    controller.add([finished(2, 'succeeded')])
    controller.dispose()
    expect(FakeNotification.created[0]?.closed).toBe(true)
    expect(timers.every((t) => t.cancelled)).toBe(true)
  })
})

describe('global shortcut adapter', () => {
  const setup = (taken: string[], language: () => Language = () => 'en') => {
    const recorder = new Recorder()
    const callbacks = new Map<string, () => void>()
    const statuses: unknown[] = []
    const fired: string[] = []
    const controller = new ShortcutController({
      globalShortcut: {
        register: (accelerator: string, callback: () => void) => {
          recorder.record('register', accelerator)
          if (taken.includes(accelerator)) return false
          callbacks.set(accelerator, callback)
          return true
        },
        unregister: (accelerator: string) => recorder.record('unregister', accelerator),
      },
      platform: 'linux',
      language,
      onShortcut: (binding) => fired.push(binding.id),
      onStatus: (problems) => statuses.push(problems),
    })
    return { recorder, callbacks, statuses, fired, controller }
  }

  it('registers the defaults and reports one taken by another app with its accelerator', () => {
    const { recorder, statuses, callbacks, fired, controller } = setup(['CommandOrControl+Alt+N'])
    controller.apply({})
    expect(recorder.named('register')).toHaveLength(12)
    expect(statuses).toEqual([[{ id: 'quick-add', accelerator: 'CommandOrControl+Alt+N', problem: 'taken', message: 'CommandOrControl+Alt+N is taken by another application; choose another for "New task".' }]])
    callbacks.get('CommandOrControl+Alt+T')?.()
    expect(fired).toEqual(['toggle-window'])
  })

  it('re-registers only when the overrides change, releasing what it held', () => {
    const { recorder, statuses, controller } = setup([])
    controller.apply({})
    controller.apply({})
    expect(statuses).toHaveLength(1)
    recorder.calls.length = 0
    controller.apply({ 'toggle-window': 'Super+T', 'quick-add': '', 'favourite-1': 'Nope+1' })
    expect(recorder.named('unregister')).toHaveLength(12)
    expect(recorder.named('register').map(([a]) => a)).toContain('Super+T')
    expect(recorder.named('register')).toHaveLength(10)
    expect(statuses[1]).toMatchObject([{ id: 'favourite-1', problem: 'invalid' }])
  })

  it('registers shortcut triggers after the app’s own, reporting a clash and a taken chord by trigger name', () => {
    const { recorder, statuses, callbacks, fired, controller } = setup(['Super+K'])
    controller.apply({})
    controller.applyTriggers([
      { triggerId: 4, accelerator: 'Super+B', name: 'build' },
      { triggerId: 5, accelerator: 'Ctrl+Alt+T', name: 'clash' },
      { triggerId: 6, accelerator: 'Super+K', name: 'taken' },
    ])
    expect(recorder.named('register').slice(-13).map(([a]) => a)).toContain('Super+B')
    expect(statuses.at(-1)).toEqual([
      { id: 'trigger-5', accelerator: 'Ctrl+Alt+T', problem: 'duplicate', message: 'Ctrl+Alt+T is already used by "Show or hide the window"; the shortcut trigger "clash" is not active.' },
      { id: 'trigger-6', accelerator: 'Super+K', problem: 'taken', message: 'Super+K is taken by another application; choose another for the shortcut trigger "taken".' },
    ])
    callbacks.get('Super+B')?.()
    expect(fired).toEqual(['trigger-4'])
    const registrations = recorder.named('register').length
    controller.applyTriggers([
      { triggerId: 4, accelerator: 'Super+B', name: 'build' },
      { triggerId: 5, accelerator: 'Ctrl+Alt+T', name: 'clash' },
      { triggerId: 6, accelerator: 'Super+K', name: 'taken' },
    ])
    expect(recorder.named('register')).toHaveLength(registrations)
  })

  it('re-tells its problems in a new language without registering again', () => {
    let language: Language = 'en'
    const { recorder, statuses, controller } = setup(['CommandOrControl+Alt+N'], () => language)
    controller.apply({ 'favourite-1': 'Nope+1' })
    const registrations = recorder.calls.length
    language = 'ko'
    controller.apply({ 'favourite-1': 'Nope+1' })
    expect(recorder.calls).toHaveLength(registrations)
    expect(statuses.at(-1)).toEqual([
      { id: 'favourite-1', accelerator: 'Nope+1', problem: 'invalid', message: 'Nope+1: “Nope”은(는) 보조 키가 아닙니다.' },
      { id: 'quick-add', accelerator: 'CommandOrControl+Alt+N', problem: 'taken', message: 'CommandOrControl+Alt+N은(는) 다른 프로그램이 쓰고 있습니다. “새 작업”에 다른 키를 고르세요.' },
    ])
    controller.apply({ 'favourite-1': 'Nope+1' })
    expect(statuses).toHaveLength(2)
  })

  it('unregisters everything it registered on quit', () => {
    const { recorder, controller } = setup(['CommandOrControl+Alt+1'])
    controller.apply({})
    recorder.calls.length = 0
    controller.unregisterAll()
    expect(recorder.named('unregister')).toHaveLength(11)
    expect(recorder.named('unregister').map(([a]) => a)).not.toContain('CommandOrControl+Alt+1')
  })

  it('reports an accelerator Electron throws on as invalid', () => {
    const statuses: unknown[][] = []
    const controller = new ShortcutController({
      globalShortcut: {
        register: () => {
          throw new Error('conversion failure')
        },
        unregister: () => undefined,
      },
      platform: 'linux',
      language: () => 'en',
      onShortcut: () => undefined,
      onStatus: (problems) => statuses.push(problems),
    })
    controller.apply({})
    expect(statuses[0]).toHaveLength(12)
    expect(statuses[0]?.[0]).toMatchObject({ problem: 'invalid' })
  })
})

describe('application menu adapter', () => {
  it('builds Electron items: roles, commands that call back, accelerators shown but not registered', () => {
    const commands: unknown[] = []
    const template = appMenuTemplate(appMenuModel({ platform: 'linux', isDev: false, state: initialDesktopState(), language: 'en' }), (c) => commands.push(c))
    const file = template[0]?.submenu as Array<Record<string, unknown> & { click?: () => void }>
    expect(file[0]).toMatchObject({ label: 'New Task…', accelerator: 'CommandOrControl+N', registerAccelerator: false })
    file[0]?.click?.()
    expect(commands).toEqual([{ kind: 'quick-add' }])
    const edit = template[1]?.submenu as Array<Record<string, unknown>>
    expect(edit.map((i) => i.role ?? i.type)).toEqual(['undo', 'redo', 'separator', 'cut', 'copy', 'paste', 'selectAll'])
  })
})

describe('persistence adapters', () => {
  it('round-trips window state and treats a damaged file as none', () => {
    expect(readWindowState(temp)).toBeNull()
    writeWindowState(temp, { bounds: { x: 5, y: 6, width: 900, height: 700 }, maximized: true, fullScreen: false })
    expect(readWindowState(temp)).toEqual({ bounds: { x: 5, y: 6, width: 900, height: 700 }, maximized: true, fullScreen: false })
    writeFileSync(join(temp, WINDOW_STATE_FILE), '{"bounds": "broken"')
    expect(readWindowState(temp)).toBeNull()
  })

  it('writes and removes the XDG autostart entry', () => {
    const dir = xdgAutostartDir({ XDG_CONFIG_HOME: join(temp, 'config') }, '/home/ann')
    expect(dir).toBe(join(temp, 'config', 'autostart'))
    expect(xdgAutostartDir({}, '/home/ann')).toBe('/home/ann/.config/autostart')
    const app = new Recorder()
    const deps = { app: { setLoginItemSettings: (s: unknown) => app.record('setLoginItemSettings', s) }, autostartDir: dir }
    applyLoginItemPlan(planStartAtLogin('linux', true, '/opt/Taskdeck/taskdeck'), deps)
    const file = join(dir, 'taskdeck.desktop')
    expect(readFileSync(file, 'utf8')).toContain('Exec=/opt/Taskdeck/taskdeck --hidden\n')
    expect(statSync(file).mode & 0o777).toBe(0o644)
    applyLoginItemPlan(planStartAtLogin('linux', false, '/opt/Taskdeck/taskdeck'), deps)
    expect(existsSync(file)).toBe(false)
    applyLoginItemPlan(planStartAtLogin('linux', false, '/opt/Taskdeck/taskdeck'), deps)
    expect(app.calls).toEqual([])
  })

  it('uses login items on macOS and Windows', () => {
    const app = new Recorder()
    const deps = { app: { setLoginItemSettings: (s: unknown) => app.record('setLoginItemSettings', s) }, autostartDir: join(temp, 'never') }
    applyLoginItemPlan(planStartAtLogin('darwin', true, '/x'), deps)
    applyLoginItemPlan(planStartAtLogin('win32', false, 'C:\\x.exe'), deps)
    expect(app.calls).toEqual([
      ['setLoginItemSettings', { openAtLogin: true, args: ['--hidden'] }],
      ['setLoginItemSettings', { openAtLogin: false, args: [] }],
    ])
    expect(existsSync(join(temp, 'never'))).toBe(false)
  })
})
