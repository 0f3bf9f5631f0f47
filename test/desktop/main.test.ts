import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { POWER_SUPPLY_DIR, readAcPower } from '../../src-main/engine/power-supply.ts'
import { IPC_CHANNELS } from '../../src-shared/decisions/ipc.ts'
import type { Result } from '../../src-shared/index.ts'
import { tempHome } from '../support/engine.ts'
import * as electron from './fake-electron.ts'

// main.ts for real (the real engine in a temp home), with `electron` replaced by the
// recording stand-in: the test plays Electron's lifecycle and checks what main did.
vi.mock('electron', () => import('./fake-electron.ts'))

const { app, BrowserWindow, calls, dialog, globalShortcut, ipcMain, powerMonitor } = electron
const { home, cleanup } = tempHome()
const argv = process.argv
const window = () => {
  const [created] = BrowserWindow.created
  if (!created) throw new Error('no window yet')
  return created
}
const sent = (channel: string) => calls.named('webContents.send').filter(([c]) => c === channel).map(([, payload]) => payload)
const fromApp = () => ({ sender: window().webContents, senderFrame: { url: 'app://bundle/index.html', parent: null } })
let nextId = 1
const invoke = (command: string, params: unknown = {}, event: unknown = fromApp()) =>
  ipcMain.handlers.get(IPC_CHANNELS.invoke)?.(event, { v: 1, id: nextId++, command, params }) as Promise<Result<unknown>>

beforeAll(async () => {
  process.argv = [argv[0] ?? 'electron', 'main.js', `--home=${home}`]
  await import('../../src-main/desktop/main.ts')
})

afterAll(() => {
  process.argv = argv
  cleanup()
})

describe('main.ts lifecycle', () => {
  it('declares app:// and takes the single-instance lock before ready', () => {
    const names = calls.calls.map((c) => c[0])
    expect(names.indexOf('protocol.registerSchemesAsPrivileged')).toBeGreaterThanOrEqual(0)
    expect(names).toContain('app.requestSingleInstanceLock')
    expect(names).not.toContain('new BrowserWindow')
    expect(calls.named('app.setAppUserModelId')).toEqual([['dev.taskdeck.app']])
    if (process.platform === 'linux') expect(calls.named('app.commandLine.appendSwitch')).toEqual([['enable-features', 'GlobalShortcutsPortal']])
  })

  it('on ready opens the engine in --home and one hardened window on app://bundle', async () => {
    app.becomeReady()
    await vi.waitFor(() => expect(calls.named('window.loadURL')).toEqual([['app://bundle/index.html']]), { timeout: 15_000 })
    expect(existsSync(join(home, 'taskdeck.db'))).toBe(true)
    expect(BrowserWindow.created).toHaveLength(1)
    const prefs = window().options.webPreferences as Record<string, unknown>
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false })
    expect(String(prefs.preload)).toMatch(/preload[/\\]index\.cjs$/)
    expect(calls.named('protocol.handle')).toEqual([['app']])
    expect(calls.named('session.setPermissionRequestHandler')).toHaveLength(1)
    expect(calls.named('session.setPermissionCheckHandler')).toHaveLength(1)
    expect(calls.named('ipcMain.handle')).toEqual([[IPC_CHANNELS.invoke]])
    expect(calls.named('new Tray')).toHaveLength(1)
    expect(calls.named('tray.setToolTip').at(-1)).toEqual(['Taskdeck: idle'])
    expect(calls.named('Menu.setApplicationMenu')).toHaveLength(1)
    expect(calls.named('globalShortcut.register')).toHaveLength(12)
  })

  it('answers IPC from the window and refuses anyone else', async () => {
    expect(await invoke('task.list')).toMatchObject({ ok: true, value: { total: 0 } })
    const foreign = { sender: window().webContents, senderFrame: { url: 'https://evil.example/', parent: null } }
    expect(await invoke('task.list', {}, foreign)).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
  })

  it('rebuilds the tray and the application menu in the new language when settings.language changes', async () => {
    type Template = Array<{ label?: string; role?: string; submenu?: Template }>
    const labels = (items: Template): string[] => items.flatMap((i) => [...(i.label ? [i.label] : []), ...labels(i.submenu ?? [])])
    const trayLabels = () => labels((calls.named('tray.setContextMenu').at(-1)?.[0] as { template: Template }).template)
    const menuLabels = () => labels((calls.named('Menu.setApplicationMenu').at(-1)?.[0] as { template: Template }).template)
    const setLanguage = async (language: string) => expect(await invoke('settings.set', { patch: { language } })).toMatchObject({ ok: true })
    expect(trayLabels()).toContain('Quit Taskdeck')
    expect(menuLabels()).toEqual(expect.arrayContaining(['&File', 'New Task…', 'Undo']))

    await setLanguage('ko')
    await vi.waitFor(() => expect(calls.named('tray.setToolTip').at(-1)).toEqual(['Taskdeck: 대기 중']))
    expect(trayLabels()).toEqual(expect.arrayContaining(['Taskdeck 보이기', '새 작업…', '모두 일시 중지', 'Taskdeck 종료']))
    expect(menuLabels()).toEqual(expect.arrayContaining(['파일(&F)', '새 작업…', '모든 작업 일시 중지', '실행 취소', '도움말(&H)']))
    expect(menuLabels()).not.toContain('Undo')

    // An explicit language wins over a Korean system; `system` then follows the system.
    app.locale = 'ko-KR'
    app.preferredSystemLanguages = ['ko-KR', 'en-US']
    await setLanguage('en')
    await vi.waitFor(() => expect(calls.named('tray.setToolTip').at(-1)).toEqual(['Taskdeck: idle']))
    expect(menuLabels()).toContain('&File')
    await setLanguage('system')
    await vi.waitFor(() => expect(calls.named('tray.setToolTip').at(-1)).toEqual(['Taskdeck: 대기 중']))
    expect(menuLabels()).toContain('파일(&F)')

    app.locale = 'en-US'
    app.preferredSystemLanguages = ['en-US']
    await setLanguage('en')
    await vi.waitFor(() => expect(calls.named('tray.setToolTip').at(-1)).toEqual(['Taskdeck: idle']))
  })

  it('tells the engine what the machine is: power from sysfs on Linux (Electron cannot tell), from the power monitor elsewhere; the user away', async () => {
    const machine = async () => ((await invoke('machine.get')) as Result<{ machine: { onAcPower: boolean | null; userIdle: boolean | null } }>)
    // This machine's own power supplies on Linux (what the runtime's system monitor reads); the fake's AC power elsewhere.
    const acPower = process.platform === 'linux' ? readAcPower(POWER_SUPPLY_DIR) : true
    await vi.waitFor(async () => expect(await machine()).toMatchObject({ ok: true, value: { machine: { onAcPower: acPower, userIdle: false } } }))
    // The fake sends only this platform's events (none for power on Linux, whose isOnBatteryPower() says false whatever happens).
    powerMonitor.unplug()
    powerMonitor.wake(true)
    const unplugged = process.platform === 'linux' ? acPower : false
    await vi.waitFor(async () => expect(await machine()).toMatchObject({ ok: true, value: { machine: { onAcPower: unplugged, userIdle: false } } }))
    powerMonitor.plugIn()
    powerMonitor.wake(false)
    await vi.waitFor(async () => expect(await machine()).toMatchObject({ ok: true, value: { machine: { onAcPower: acPower, userIdle: false } } }))
    // Two minutes without input: away once settings.idleAfterMinutes comes down to 2, present again when it goes back up.
    powerMonitor.idleSeconds = 120
    expect(await invoke('settings.set', { patch: { idleAfterMinutes: 2 } })).toMatchObject({ ok: true })
    await vi.waitFor(async () => expect(await machine()).toMatchObject({ ok: true, value: { machine: { onAcPower: acPower, userIdle: true } } }))
    expect(await invoke('settings.set', { patch: { idleAfterMinutes: 10 } })).toMatchObject({ ok: true })
    await vi.waitFor(async () => expect(await machine()).toMatchObject({ ok: true, value: { machine: { userIdle: false } } }))
    powerMonitor.idleSeconds = 0
  })

  it('tells the page which global shortcut another app holds, once it has loaded', () => {
    expect(sent(IPC_CHANNELS.shortcutStatus)).toEqual([])
    window().webContents.emit('did-finish-load')
    expect(sent(IPC_CHANNELS.shortcutStatus)).toEqual([[expect.objectContaining({ id: 'pause-resume-all', accelerator: 'CommandOrControl+Alt+P', problem: 'taken' })]])
    window().emit('ready-to-show')
    expect(window().visible).toBe(true)
  })

  it('forwards a second launch’s deep link to the page, and ignores a hostile one', () => {
    window().hide()
    app.emit('second-instance', {}, ['/opt/Taskdeck/taskdeck', '--no-sandbox', 'taskdeck://task/7'], '/')
    expect(window().visible).toBe(true)
    app.emit('second-instance', {}, ['/opt/Taskdeck/taskdeck', 'taskdeck://submit?command=rm%20-rf%20~'], '/')
    expect(sent(IPC_CHANNELS.intents)).toEqual([{ kind: 'open-task', taskId: 7 }])
  })

  it('runs the local API for the CLI, and registers shortcut triggers as global shortcuts', async () => {
    expect(existsSync(join(home, 'api.json'))).toBe(true)
    const saved = (await invoke('savedTask.create', { name: 'hello', definition: { spec: { kind: 'shell', command: 'echo hi' } } })) as Result<{ savedTask: { id: number } }>
    if (!saved.ok) throw new Error(saved.error.message)
    const trigger = await invoke('trigger.create', { trigger: { name: 'hello key', savedTaskId: saved.value.savedTask.id, spec: { kind: 'shortcut', accelerator: 'Super+H' } } })
    expect(trigger.ok).toBe(true)
    await vi.waitFor(() => expect(globalShortcut.callbacks.has('Super+H')).toBe(true))
    globalShortcut.press('Super+H')
    await vi.waitFor(async () => expect(await invoke('task.list')).toMatchObject({ ok: true, value: { total: 1 } }))
    globalShortcut.press('CommandOrControl+Alt+T')
    expect(window().visible).toBe(false)
  })

  it('hides to the tray on close and remembers where the window was', () => {
    expect(window().clickClose()).toBe(true)
    expect(window().visible).toBe(false)
    expect(JSON.parse(readFileSync(join(home, 'window-state.json'), 'utf8'))).toEqual({ bounds: { x: 10, y: 20, width: 1000, height: 700 }, maximized: false, fullScreen: false })
  })

  it('asks before quitting with a running task; keeping it in the tray quits nothing', async () => {
    const submitted = await invoke('task.submit', { definition: { name: 'long', spec: { kind: 'shell', command: 'sleep 30' } } })
    expect(submitted.ok).toBe(true)
    await vi.waitFor(() => expect(calls.named('tray.setToolTip').at(-1)).toEqual(['Taskdeck: 1 task running']))
    // The running task holds off system sleep (settings.keepAwake is on by default).
    const [type, blocker] = calls.named('powerSaveBlocker.start').at(-1) ?? []
    expect(type).toBe('prevent-app-suspension')
    expect(calls.named('powerSaveBlocker.stop').map(([id]) => id)).not.toContain(blocker)

    window().show()
    dialog.nextResponse = 0
    app.quit()
    await vi.waitFor(() => expect(calls.named('dialog.showMessageBox')).toHaveLength(1))
    await vi.waitFor(() => expect(window().visible).toBe(false))
    expect(calls.named('app.exited')).toEqual([])
  })

  it('stops the tasks, releases shortcuts and the tray, closes the engine, then exits', async () => {
    dialog.nextResponse = 1
    app.quit()
    await vi.waitFor(() => expect(calls.named('app.exited')).toHaveLength(1), { timeout: 15_000 })
    expect(calls.named('dialog.showMessageBox')).toHaveLength(2)
    // Every chord still held was released.
    expect(globalShortcut.callbacks.size).toBe(0)
    expect(existsSync(join(home, 'api.json'))).toBe(false)
    expect(calls.named('tray.destroy')).toHaveLength(1)
    // Sleep is allowed again: the one blocker started is the one stopped.
    const started = calls.named('powerSaveBlocker.start').map(([, id]) => id)
    expect(started.length).toBeGreaterThan(0)
    expect(calls.named('powerSaveBlocker.stop').map(([id]) => id)).toEqual(started)
    expect(calls.named('ipcMain.removeHandler')).toEqual([[IPC_CHANNELS.invoke]])
    // The power monitor is let go: no listener, so no report reaches the closed engine.
    for (const event of ['on-ac', 'on-battery', 'lock-screen', 'unlock-screen', 'resume']) expect(powerMonitor.listenerCount(event), event).toBe(0)
    // The engine is closed: its store is released, so a fresh look at the log shows the task cancelled.
    const { Engine } = await import('../../src-main/engine/engine.ts')
    const reopened = await Engine.open({ home, statsIntervalMs: 0 })
    try {
      const { tasks } = await reopened.handlers['task.list']({ limit: 10, offset: 0 })
      expect(tasks.find((t) => t.name === 'long')?.status).toBe('cancelled')
    } finally {
      await reopened.close()
    }
  })
})
