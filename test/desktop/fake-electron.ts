import { EventEmitter } from 'node:events'
import { Recorder } from './stand-ins.ts'

/**
 * A recording stand-in for the `electron` module (the one allowed fake), enough to run
 * src-main/desktop/main.ts for real: the test plays the app's lifecycle events and reads
 * what main asked Electron to do.
 */
export const calls = new Recorder()

class FakeApp extends EventEmitter {
  isPackaged = false
  readonly commandLine = { appendSwitch: (...args: unknown[]) => calls.record('app.commandLine.appendSwitch', ...args) }
  private markReady: () => void = () => undefined
  private readonly ready = new Promise<void>((resolve) => (this.markReady = resolve))
  requestSingleInstanceLock() {
    calls.record('app.requestSingleInstanceLock')
    return true
  }
  setAppUserModelId(id: string) {
    calls.record('app.setAppUserModelId', id)
  }
  setAsDefaultProtocolClient(scheme: string) {
    calls.record('app.setAsDefaultProtocolClient', scheme)
    return true
  }
  whenReady() {
    return this.ready
  }
  /** The test says when Electron is ready. */
  becomeReady() {
    this.markReady()
  }
  /** The app's locale and the OS's preferred languages; a test may change them. */
  locale = 'en-US'
  preferredSystemLanguages = ['en-US']
  getLocale() {
    return this.locale
  }
  getPreferredSystemLanguages() {
    return [...this.preferredSystemLanguages]
  }
  getAppPath() {
    return process.cwd()
  }
  getPath(name: string) {
    return `/fake/${name}`
  }
  setLoginItemSettings(settings: unknown) {
    calls.record('app.setLoginItemSettings', settings)
  }
  quit() {
    calls.record('app.quit')
    // Electron emits before-quit; if nobody prevents it, will-quit; if nobody prevents that, it exits.
    let prevented = false
    this.emit('before-quit', { preventDefault: () => (prevented = true) })
    if (prevented) return
    this.emit('will-quit', { preventDefault: () => (prevented = true) })
    if (!prevented) calls.record('app.exited')
  }
  exit(code: number) {
    calls.record('app.exit', code)
  }
}
export const app = new FakeApp()

export class FakeWebContents extends EventEmitter {
  readonly id = 1
  windowOpenHandler: unknown = null
  send(channel: string, payload: unknown) {
    calls.record('webContents.send', channel, payload)
  }
  setWindowOpenHandler(handler: unknown) {
    this.windowOpenHandler = handler
  }
  isDestroyed() {
    return false
  }
  getURL() {
    return 'app://bundle/index.html'
  }
}

export class BrowserWindow extends EventEmitter {
  static created: BrowserWindow[] = []
  readonly options: Record<string, unknown>
  readonly webContents = new FakeWebContents()
  visible = false
  focused = false
  constructor(options: Record<string, unknown>) {
    super()
    this.options = options
    BrowserWindow.created.push(this)
    calls.record('new BrowserWindow', options)
  }
  loadURL(url: string) {
    calls.record('window.loadURL', url)
    return Promise.resolve()
  }
  show() {
    calls.record('window.show')
    this.visible = true
  }
  hide() {
    calls.record('window.hide')
    this.visible = false
    this.focused = false
  }
  focus() {
    this.focused = true
  }
  maximize() {
    calls.record('window.maximize')
  }
  isVisible() {
    return this.visible
  }
  isFocused() {
    return this.focused
  }
  isMinimized() {
    return false
  }
  isMaximized() {
    return false
  }
  isFullScreen() {
    return false
  }
  getNormalBounds() {
    return { x: 10, y: 20, width: 1000, height: 700 }
  }
  /** The user clicks the close button; says whether main prevented the close. */
  clickClose(): boolean {
    let prevented = false
    this.emit('close', { preventDefault: () => (prevented = true) })
    return prevented
  }
}

export const ipcMain = {
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
  handle(channel: string, handler: (event: unknown, ...args: unknown[]) => unknown) {
    calls.record('ipcMain.handle', channel)
    this.handlers.set(channel, handler)
  },
  removeHandler(channel: string) {
    calls.record('ipcMain.removeHandler', channel)
    this.handlers.delete(channel)
  },
}

export const protocol = {
  handlers: new Map<string, (request: { url: string; method: string }) => Promise<Response>>(),
  registerSchemesAsPrivileged(schemes: unknown) {
    calls.record('protocol.registerSchemesAsPrivileged', schemes)
  },
  handle(scheme: string, handler: (request: { url: string; method: string }) => Promise<Response>) {
    calls.record('protocol.handle', scheme)
    this.handlers.set(scheme, handler)
  },
}

export const session = {
  defaultSession: {
    setPermissionRequestHandler: () => calls.record('session.setPermissionRequestHandler'),
    setPermissionCheckHandler: () => calls.record('session.setPermissionCheckHandler'),
  },
}

export const shell = {
  openExternal(url: string) {
    calls.record('shell.openExternal', url)
    return Promise.resolve()
  },
}

const display = { id: 1, workArea: { x: 0, y: 0, width: 1920, height: 1040 } }
/** Linux without a keyring: Electron reports encryption unavailable, so secrets fall back to the 0600 file. */
export const safeStorage = {
  isEncryptionAvailable: () => false,
  encryptString: (plain: string) => Buffer.from(plain),
  decryptString: (sealed: Buffer) => sealed.toString(),
}

let nextBlockerId = 1
export const powerSaveBlocker = {
  start(type: string) {
    const id = nextBlockerId++
    calls.record('powerSaveBlocker.start', type, id)
    return id
  },
  stop(id: number) {
    calls.record('powerSaveBlocker.stop', id)
    return true
  },
}

/**
 * Which power monitor events each platform really sends (Electron's typings, electron.d.ts:
 * `on-ac` darwin and win32, `on-battery` darwin only, `lock-screen`/`unlock-screen` darwin and
 * win32, `resume` everywhere).
 */
export const POWER_EVENTS_SENT: Readonly<Record<'linux' | 'win32' | 'darwin', readonly string[]>> = {
  linux: ['suspend', 'resume'],
  win32: ['on-ac', 'lock-screen', 'unlock-screen', 'suspend', 'resume'],
  darwin: ['on-ac', 'on-battery', 'lock-screen', 'unlock-screen', 'suspend', 'resume'],
}

/**
 * The machine's power source and the user's input as one platform's Electron shows them: a
 * test changes the machine (`unplug`, `lock`, …) and the fake sends only the events that
 * platform sends. On Linux `isOnBatteryPower()` is Chromium's stub, false whatever the
 * machine does (Electron issue #29614).
 */
export class FakePowerMonitor extends EventEmitter {
  readonly platform: string
  private onBattery = false
  idleSeconds = 0
  constructor(platform: string) {
    super()
    this.platform = platform
  }
  isOnBatteryPower() {
    return this.platform === 'linux' ? false : this.onBattery
  }
  getSystemIdleTime() {
    return this.idleSeconds
  }
  unplug() {
    this.onBattery = true
    this.send('on-battery')
  }
  plugIn() {
    this.onBattery = false
    this.send('on-ac')
  }
  lock() {
    this.send('lock-screen')
  }
  unlock() {
    this.send('unlock-screen')
  }
  /** About to sleep. */
  suspend() {
    this.send('suspend')
  }
  /** Woken from sleep, the power source possibly changed meanwhile (no event for that). */
  wake(onBattery: boolean) {
    this.onBattery = onBattery
    this.send('resume')
  }
  private send(event: string) {
    const sent = POWER_EVENTS_SENT[this.platform as keyof typeof POWER_EVENTS_SENT] as readonly string[] | undefined
    if (sent?.includes(event)) this.emit(event)
  }
}
export const powerMonitor = new FakePowerMonitor(process.platform)

export const screen = { getPrimaryDisplay: () => display, getAllDisplays: () => [display] }

export const Menu = {
  buildFromTemplate: (template: unknown) => ({ template }),
  setApplicationMenu: (menu: unknown) => calls.record('Menu.setApplicationMenu', menu),
}

export const nativeTheme = { shouldUseDarkColors: false }

export const nativeImage = {
  createFromPath: (path: string) => ({ path, setTemplateImage: () => undefined }),
}

export class Notification extends EventEmitter {
  static isSupported() {
    return true
  }
  readonly options: unknown
  constructor(options: unknown) {
    super()
    this.options = options
    calls.record('new Notification', options)
  }
  show() {
    calls.record('notification.show')
  }
  close() {}
}

export class Tray extends EventEmitter {
  constructor(image: unknown) {
    super()
    calls.record('new Tray', image)
  }
  setImage(image: unknown) {
    calls.record('tray.setImage', image)
  }
  setToolTip(text: string) {
    calls.record('tray.setToolTip', text)
  }
  setContextMenu(menu: unknown) {
    calls.record('tray.setContextMenu', menu)
  }
  destroy() {
    calls.record('tray.destroy')
  }
}

export const globalShortcut = {
  taken: new Set<string>(['CommandOrControl+Alt+P']),
  callbacks: new Map<string, () => void>(),
  register(accelerator: string, callback: () => void) {
    calls.record('globalShortcut.register', accelerator)
    if (this.taken.has(accelerator)) return false
    this.callbacks.set(accelerator, callback)
    return true
  },
  unregister(accelerator: string) {
    calls.record('globalShortcut.unregister', accelerator)
    this.callbacks.delete(accelerator)
  },
  /** The user presses a registered chord. */
  press(accelerator: string) {
    const callback = this.callbacks.get(accelerator)
    if (!callback) throw new Error(`${accelerator} is not registered`)
    callback()
  },
}

export const dialog = {
  nextResponse: 2,
  showMessageBox(_window: unknown, options: unknown) {
    calls.record('dialog.showMessageBox', options)
    return Promise.resolve({ response: this.nextResponse })
  },
  showErrorBox(title: string, content: string) {
    calls.record('dialog.showErrorBox', title, content)
  },
}
