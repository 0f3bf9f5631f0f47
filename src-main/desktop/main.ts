import { join } from 'node:path'
import { app, BrowserWindow, dialog, globalShortcut, ipcMain, Menu, nativeImage, nativeTheme, Notification, powerMonitor, powerSaveBlocker, protocol, safeStorage, screen, session, shell, Tray, type NativeImage } from 'electron'
import { APP_ORIGIN } from '../../src-shared/decisions/appProtocol.ts'
import { HIDDEN_START_FLAG, planStartAtLogin } from '../../src-shared/decisions/autostart.ts'
import type { DesktopIntent, ShortcutProblem } from '../../src-shared/decisions/intents.ts'
import { IPC_CHANNELS } from '../../src-shared/decisions/ipc.ts'
import { DEEP_LINK_SCHEME, homeFromArgv, parseDeepLink, parseLaunchArgs } from '../../src-shared/decisions/launchArgs.ts'
import { resolveLanguage } from '../../src-shared/decisions/language.ts'
import { networkWatchFor, powerWatchFor } from '../../src-shared/decisions/machine.ts'
import { closeButtonHides, QUIT_DIALOG } from '../../src-shared/decisions/quit.ts'
import { APP_ID, TRAY_ICON_STATES, trayIconPath, windowIconPath, type ResourceContext } from '../../src-shared/decisions/resources.ts'
import { desktopStrings } from '../../src-shared/decisions/strings.ts'
import { isAllowedExternalUrl } from '../../src-shared/decisions/trust.ts'
import { isTriggerShortcutId } from '../../src-shared/decisions/shortcuts.ts'
import { placeWindow } from '../../src-shared/decisions/windowState.ts'
import type { TrayIconState } from '../../src-shared/decisions/tray.ts'
import { resolveHome } from '../engine/home.ts'
import type { ShortcutBinding } from '../triggers/index.ts'
import { appMenuTemplate } from './appMenu.ts'
import { registerIpc } from './ipc.ts'
import { NotificationController } from './notifications.ts'
import { MachineMonitor, runtimeMachineOptions } from './machine.ts'
import { KeepAwakeController } from './power.ts'
import { applyLoginItemPlan, readWindowState, writeWindowState, xdgAutostartDir } from './persistence.ts'
import { declareAppScheme, handleAppProtocol } from './protocol.ts'
import { openRuntimeInWorker, runtimeWorkerEntryBeside } from '../app/runtime-thread.ts'
import { safeStorageSecrets } from '../engine/backends/secrets.ts'
import { DesktopShell } from './shell.ts'
import { ShortcutController } from './shortcuts.ts'
import { TrayController } from './tray.ts'
import { createMainWindow, guardSession, guardWebContents } from './window.ts'

/**
 * The Electron app: one instance, one hardened window showing app://bundle, the runtime
 * (engine, triggers, local API) in a worker thread of this process, and the tray, notifications, shortcuts
 * and menus driven by DesktopShell. Only wiring lives here; every decision is in
 * src-shared/decisions.
 */

const log = (message: string) => console.warn(`[taskdeck] ${message}`)

/** The system's languages, most preferred first: the app's locale (what the window's navigator.languages starts with), then the OS's list. */
const systemLanguages = (): string[] => [app.getLocale(), ...app.getPreferredSystemLanguages()]

/** The app's only way to the system browser: allowlisted https links, nothing else. */
function openAllowlisted(url: string): Promise<void> {
  if (!isAllowedExternalUrl(url)) {
    log(`refused to open ${url.slice(0, 200)} outside the app`)
    return Promise.resolve()
  }
  return shell.openExternal(url)
}

// Must happen before `ready`.
declareAppScheme(protocol)
// Wayland compositors hand out global shortcuts only through the desktop portal.
if (process.platform === 'linux') app.commandLine.appendSwitch('enable-features', 'GlobalShortcutsPortal')

if (!app.requestSingleInstanceLock()) {
  // Another instance runs: it receives our argv through `second-instance`.
  app.quit()
} else {
  main()
}

function main(): void {
  app.setAppUserModelId(APP_ID)
  if (app.isPackaged) app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME)

  const devServerUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL
  const trust = { devServerOrigin: devServerUrl }
  // Login starts open in the tray: Windows and Linux pass --hidden; macOS login items take no arguments.
  const startHidden = process.argv.includes(HIDDEN_START_FLAG) || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin)
  const pendingIntents: DesktopIntent[] = []
  let desktop: DesktopShell | null = null

  const deliver = (intents: DesktopIntent[]) => {
    if (desktop) for (const intent of intents) desktop.openIntent(intent)
    else pendingIntents.push(...intents)
  }
  const firstLaunch = parseLaunchArgs(process.argv)
  for (const refused of firstLaunch.rejected) log(`ignored launch argument ${refused.arg}: ${refused.reason}`)
  deliver(firstLaunch.intents)

  app.on('second-instance', (_event, argv) => {
    const request = parseLaunchArgs(argv)
    for (const refused of request.rejected) log(`ignored argument from a second launch ${refused.arg}: ${refused.reason}`)
    if (request.intents.length > 0) deliver(request.intents)
    else desktop?.showWindow()
  })
  // macOS delivers deep links as an event, possibly before ready.
  app.on('open-url', (event, url) => {
    event.preventDefault()
    const intent = parseDeepLink(url)
    if (typeof intent === 'string') log(`ignored link: ${intent}`)
    else deliver([intent])
  })

  // Defence in depth: every web contents ever created gets the navigation guards.
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, openAllowlisted))

  // macOS: clicking the Dock icon brings the hidden window back.
  app.on('activate', () => desktop?.showWindow())

  app.on('window-all-closed', () => {
    // The window is only ever destroyed while quitting; the tray keeps the app alive otherwise.
  })

  app
    .whenReady()
    .then(() => ready())
    .catch((error: unknown) => {
      dialog.showErrorBox(desktopStrings(resolveLanguage('system', systemLanguages())).startFailed, error instanceof Error ? error.message : String(error))
      app.exit(1)
    })

  async function ready(): Promise<void> {
    const home = resolveHome({ flag: homeFromArgv(process.argv) })
    const outDir = join(import.meta.dirname, '..')
    const secrets = safeStorageSecrets(safeStorage)
    // The engine, its SQLite store, triggers and the local server run in a worker thread: a long
    // replay or import there never holds this thread, which moves windows, menus, the tray and IPC.
    const runtime = await openRuntimeInWorker({
      workerEntry: runtimeWorkerEntryBeside(import.meta.url),
      home,
      rendererDir: join(outDir, 'renderer'),
      // safeStorage stays here: the worker asks this thread to seal and open Redis passwords.
      ...(secrets ? { secrets } : {}),
      log,
      // Until the machine monitor's first report (once the settings give the idle threshold) the user counts as present: an away-only group does not start early.
      ...runtimeMachineOptions(powerWatchFor(process.platform), powerMonitor, networkWatchFor(process.platform)),
    })
    const engine = runtime.api
    // Without its engine the app can do nothing: say why and quit (the data is safe in SQLite; the next start recovers).
    runtime.onDidFail((error) => {
      log(error.stack ?? error.message)
      dialog.showErrorBox(desktopStrings(desktop?.language ?? resolveLanguage('system', systemLanguages())).engineStopped, error.message)
      app.exit(1)
    })
    handleAppProtocol(protocol, join(outDir, 'renderer'))
    guardSession(session.defaultSession, trust)
    const ipc = registerIpc({ ipcMain, engine, trust, schedule: setImmediate })

    const resources: ResourceContext = { isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, appPath: app.getAppPath() }
    const primary = screen.getPrimaryDisplay()
    const workAreas = [primary, ...screen.getAllDisplays().filter((d) => d.id !== primary.id)].map((d) => d.workArea)
    const placement = placeWindow(readWindowState(home), workAreas)
    const window = createMainWindow(BrowserWindow, {
      preloadPath: join(outDir, 'preload', 'index.cjs'),
      bounds: placement.bounds,
      icon: windowIconPath(process.platform, resources),
      // The colour shown before the page paints; follows the system so a light UI does not flash dark.
      backgroundColor: nativeTheme.shouldUseDarkColors ? '#16181d' : '#f4f5f7',
    })
    if (placement.maximized) window.maximize()

    let loaded = false
    let shortcutProblems: ShortcutProblem[] = []
    const queuedIntents: DesktopIntent[] = []
    const sendIntent = (intent: DesktopIntent) => {
      if (loaded) window.webContents.send(IPC_CHANNELS.intents, intent)
      else queuedIntents.push(intent)
    }
    window.webContents.on('did-start-loading', () => {
      loaded = false
    })
    window.webContents.on('did-finish-load', () => {
      loaded = true
      window.webContents.send(IPC_CHANNELS.shortcutStatus, shortcutProblems)
      for (const intent of queuedIntents.splice(0)) window.webContents.send(IPC_CHANNELS.intents, intent)
    })

    const icons = Object.fromEntries(
      TRAY_ICON_STATES.map((state) => {
        const image = nativeImage.createFromPath(trayIconPath(state, process.platform, resources))
        if (process.platform === 'darwin') image.setTemplateImage(true)
        return [state, image]
      }),
    ) as Record<TrayIconState, NativeImage>
    const tray = new Tray(icons.idle)
    let quitting = false

    const notifications = new NotificationController({
      create: (options) => new Notification(options),
      isSupported: () => Notification.isSupported(),
      platform: process.platform,
      language: () => shellInstance.language,
      now: Date.now,
      setTimer: (run, ms) => {
        const timer = setTimeout(run, ms)
        return { cancel: () => clearTimeout(timer) }
      },
      onIntent: (intent) => desktop?.openIntent(intent),
      onRetry: (taskId) => void desktop?.retry(taskId).catch((error: unknown) => log(`retry failed: ${String(error)}`)),
    })
    const shortcuts = new ShortcutController({
      globalShortcut,
      platform: process.platform,
      language: () => shellInstance.language,
      onShortcut: (binding) => {
        if (isTriggerShortcutId(binding.id)) runtime.pressShortcut(binding.accelerator)
        else desktop?.shortcut(binding.id)
      },
      onStatus: (problems) => {
        shortcutProblems = problems
        for (const problem of problems) log(`global shortcut ${problem.id}: ${problem.message}`)
        if (loaded) window.webContents.send(IPC_CHANNELS.shortcutStatus, problems)
      },
    })

    const keepAwake = new KeepAwakeController(powerSaveBlocker)
    // The engine's machine state (user away; AC power where Electron can tell) comes from Electron's power monitor.
    const machineMonitor = new MachineMonitor({
      powerMonitor,
      platform: process.platform,
      report: (report) => engine.handlers['machine.report'](report),
      setTimer: (run, ms) => {
        const timer = setTimeout(run, ms)
        return { cancel: () => clearTimeout(timer) }
      },
      log,
    })
    const shellInstance = new DesktopShell({
      engine,
      platform: process.platform,
      isDev: !app.isPackaged,
      systemLanguages,
      window,
      schedule: setImmediate,
      applyTray: (model) => trayController.apply(model),
      applyAppMenu: (sections) => Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(sections, (command) => shellInstance.menuCommand(command)))),
      notify: (tasks) => notifications.add(tasks),
      applyShortcuts: (overrides) => shortcuts.apply(overrides),
      applyStartAtLogin: (enabled) => {
        const executable = process.env.APPIMAGE ?? process.execPath
        try {
          applyLoginItemPlan(planStartAtLogin(process.platform, enabled, executable), { app, autostartDir: xdgAutostartDir(process.env, app.getPath('home')) })
        } catch (error) {
          log(`start at login: ${String(error)}`)
        }
      },
      applyKeepAwake: (on) => keepAwake.apply(on),
      applyIdleAfterMinutes: (minutes) => machineMonitor.apply(minutes),
      sendIntent,
      openInBrowser: (url) => void openAllowlisted(url).catch(() => undefined),
      askQuit: async (question) => {
        const { response } = await dialog.showMessageBox(window, { type: 'question', title: question.title, message: question.message, detail: question.detail, buttons: [...question.buttons], defaultId: QUIT_DIALOG.defaultId, cancelId: QUIT_DIALOG.cancelId })
        return response
      },
      quitApp: () => app.quit(),
      log,
    })
    const trayController = new TrayController({
      tray,
      buildMenu: (template) => Menu.buildFromTemplate(template),
      icons,
      dispatch: (action) => shellInstance.dispatch(action),
      platform: process.platform,
    })
    const toTriggerShortcuts = (bindings: ShortcutBinding[]) => bindings.map((b) => ({ triggerId: b.triggerId, accelerator: b.accelerator, name: b.name }))
    shortcuts.applyTriggers(toTriggerShortcuts(runtime.shortcutBindings()))
    const triggerShortcuts = runtime.onDidChangeShortcuts((bindings) => shortcuts.applyTriggers(toTriggerShortcuts(bindings)))
    desktop = shellInstance
    await shellInstance.start()
    deliver(pendingIntents.splice(0))

    window.on('focus', () => shellInstance.windowShownOrFocused())
    window.on('show', () => shellInstance.windowChanged())
    window.on('hide', () => shellInstance.windowChanged())
    window.on('minimize', () => shellInstance.windowChanged())
    window.on('restore', () => shellInstance.windowChanged())
    window.on('close', (event) => {
      if (!window.isFullScreen() && !window.isMinimized()) {
        writeWindowState(home, { bounds: window.getNormalBounds(), maximized: window.isMaximized(), fullScreen: false })
      }
      if (quitting) return
      event.preventDefault()
      if (closeButtonHides({ closeToTray: shellInstance.state.settings.closeToTray, quitting: false, platform: process.platform })) window.hide()
      else app.quit()
    })
    window.once('ready-to-show', () => {
      if (!startHidden) window.show()
    })

    app.on('before-quit', (event) => {
      if (quitting) return
      event.preventDefault()
      void shellInstance.confirmQuit().then((proceed) => {
        if (!proceed) return
        quitting = true
        app.quit()
      })
    })
    let runtimeClosed = false
    app.on('will-quit', (event) => {
      shortcuts.unregisterAll()
      if (runtimeClosed) return
      event.preventDefault()
      notifications.dispose()
      triggerShortcuts.dispose()
      shellInstance.dispose()
      machineMonitor.dispose()
      ipc.dispose()
      tray.destroy()
      void runtime
        .close()
        .catch((error: unknown) => log(`shutting down: ${String(error)}`))
        .finally(() => {
          runtimeClosed = true
          app.quit()
        })
    })

    await window.loadURL(devServerUrl ?? `${APP_ORIGIN}/index.html`)
  }
}
