import { COMMANDS, type EngineEvent, type TaskDefinitionInput } from '../../src-shared/index.ts'
import { appMenuModel, type AppMenuCommand, type AppMenuSection } from '../../src-shared/decisions/appMenu.ts'
import { activeTasks, DESKTOP_EVENT_TYPES, foldDesktopEvents, initialDesktopState, markFailuresSeen, type DesktopState } from '../../src-shared/decisions/desktopState.ts'
import type { DesktopIntent } from '../../src-shared/decisions/intents.ts'
import { keepAwake } from '../../src-shared/decisions/keepAwake.ts'
import { resolveLanguage, type Language } from '../../src-shared/decisions/language.ts'
import { finishedTasksIn, notifiable, type FinishedTask } from '../../src-shared/decisions/notifications.ts'
import { planQuit, quitChoice, type QuitQuestion } from '../../src-shared/decisions/quit.ts'
import { shortcutAction } from '../../src-shared/decisions/shortcuts.ts'
import { trayModel, type DesktopAction, type TrayModel } from '../../src-shared/decisions/tray.ts'
import type { Disposable, EngineApi } from '../engine/api.ts'
import type { Scheduler } from './ipc.ts'

/** The window as the shell steers it (a BrowserWindow in main). */
export interface WindowPort {
  isVisible(): boolean
  isFocused(): boolean
  show(): void
  hide(): void
  focus(): void
}

export interface ShellPorts {
  engine: EngineApi
  platform: string
  isDev: boolean
  /** The system's languages, most preferred first (Electron's app locale, then the OS's preferred languages). */
  systemLanguages: () => readonly string[]
  window: WindowPort
  schedule: Scheduler
  applyTray: (model: TrayModel) => void
  applyAppMenu: (sections: AppMenuSection[]) => void
  notify: (tasks: FinishedTask[]) => void
  applyShortcuts: (overrides: Readonly<Record<string, string>>) => void
  applyStartAtLogin: (enabled: boolean) => void
  /** Holds off (true) or allows (false) system sleep; called only when that changes. */
  applyKeepAwake: (on: boolean) => void
  /** How long without input before the user counts as away (settings.idleAfterMinutes, for the machine monitor); called at start and when it changes. */
  applyIdleAfterMinutes: (minutes: number) => void
  sendIntent: (intent: DesktopIntent) => void
  openInBrowser: (url: string) => void
  /** Asks the user (a message box in main) and resolves with the button index. */
  askQuit: (question: QuitQuestion) => Promise<number>
  quitApp: () => void
  log: (message: string) => void
}

/**
 * The desktop shell's one brain: folds the engine's events into DesktopState, and from it
 * drives the tray, the application menu, notifications, global shortcuts and start at
 * login; turns clicks, shortcuts and menu commands into engine commands or window moves.
 * Every decision comes from the pure modules; this class only routes.
 */
export class DesktopShell implements Disposable {
  private readonly ports: ShellPorts
  private current: DesktopState = initialDesktopState()
  /** Events up to this seq are history (replayed at start): they fill menus but notify nobody. */
  private replayHead = Number.POSITIVE_INFINITY
  private subscription: Disposable | null = null
  private renderScheduled = false
  /** After dispose nothing is applied: the tray is destroyed, and sleep must stay allowed. */
  private disposed = false
  private lastMenuKey: string | null = null
  private lastStartAtLogin: boolean | null = null
  private lastKeepAwake = false
  private lastIdleAfterMinutes: number | null = null

  constructor(ports: ShellPorts) {
    this.ports = ports
  }

  get state(): DesktopState {
    return this.current
  }

  /** The language every desktop surface speaks: settings.language, or the system's. */
  get language(): Language {
    return resolveLanguage(this.current.settings.language, this.ports.systemLanguages())
  }

  async start(): Promise<void> {
    const { settings } = await this.ports.engine.handlers['settings.get']({})
    this.current = initialDesktopState(settings)
    // Only what its decisions read: output, progress and stats never cross to Electron's main thread.
    const subscription = this.ports.engine.subscribe(0, (events) => this.onEvents(events), { types: DESKTOP_EVENT_TYPES })
    this.replayHead = subscription.headSeq
    this.subscription = subscription
    this.render()
  }

  private onEvents(events: readonly EngineEvent[]): void {
    const isHistory = (e: EngineEvent) => 'seq' in e && e.seq <= this.replayHead
    const history = events.filter(isHistory)
    const live = events.filter((e) => !isHistory(e))
    if (history.length > 0) this.current = foldDesktopEvents(this.current, history, false)
    if (live.length > 0) {
      const before = this.current
      this.current = foldDesktopEvents(before, live, true)
      const finished = notifiable(finishedTasksIn(before, live), this.current.settings.notifications, this.ports.window.isFocused())
      if (finished.length > 0) this.ports.notify(finished)
    }
    this.scheduleRender()
  }

  /** The user looked at the window: failures are no longer news. */
  windowShownOrFocused(): void {
    this.current = markFailuresSeen(this.current)
    this.scheduleRender()
  }

  /** Visibility changed (shown, hidden, minimised): the tray's Show/Hide label follows. */
  windowChanged(): void {
    this.scheduleRender()
  }

  private scheduleRender(): void {
    if (this.renderScheduled || this.disposed) return
    this.renderScheduled = true
    this.ports.schedule(() => {
      this.renderScheduled = false
      this.render()
    })
  }

  private render(): void {
    if (this.disposed) return
    const { settings } = this.current
    // A settings.changed with a new language gives new labels: the tray and the menu are rebuilt in it.
    const language = this.language
    this.ports.applyTray(trayModel({ state: this.current, windowVisible: this.ports.window.isVisible(), language }))
    const menu = appMenuModel({ platform: this.ports.platform, isDev: this.ports.isDev, state: this.current, language })
    const menuKey = JSON.stringify(menu)
    if (menuKey !== this.lastMenuKey) {
      this.lastMenuKey = menuKey
      this.ports.applyAppMenu(menu)
    }
    this.ports.applyShortcuts(settings.globalShortcuts)
    if (settings.startAtLogin !== this.lastStartAtLogin) {
      this.lastStartAtLogin = settings.startAtLogin
      this.ports.applyStartAtLogin(settings.startAtLogin)
    }
    this.applyKeepAwake(keepAwake(this.current))
    if (settings.idleAfterMinutes !== this.lastIdleAfterMinutes) {
      this.lastIdleAfterMinutes = settings.idleAfterMinutes
      this.ports.applyIdleAfterMinutes(settings.idleAfterMinutes)
    }
  }

  private applyKeepAwake(on: boolean): void {
    if (on === this.lastKeepAwake) return
    this.lastKeepAwake = on
    this.ports.applyKeepAwake(on)
  }

  showWindow(): void {
    this.ports.window.show()
    this.ports.window.focus()
    this.windowShownOrFocused()
  }

  /** Opens the window on a view or task (deep links, notification clicks, menu items). */
  openIntent(intent: DesktopIntent): void {
    this.showWindow()
    this.ports.sendIntent(intent)
  }

  shortcut(id: string): void {
    const action = shortcutAction(id, this.current)
    if (action) this.dispatch(action)
    else this.ports.log(`Global shortcut ${id} has nothing to do (no favourite in that slot).`)
  }

  menuCommand(command: AppMenuCommand): void {
    if (command.kind === 'intent') this.openIntent(command.intent)
    else if (command.kind === 'open-external') this.ports.openInBrowser(command.url)
    else this.dispatch(command)
  }

  /** Runs an action; engine refusals (a task that already finished) are logged, never thrown into Electron. */
  dispatch(action: DesktopAction): void {
    this.perform(action).catch((error: unknown) => this.ports.log(`${action.kind} failed: ${error instanceof Error ? error.message : String(error)}`))
  }

  private async perform(action: DesktopAction): Promise<void> {
    const { handlers } = this.ports.engine
    switch (action.kind) {
      case 'toggle-window': {
        const { window } = this.ports
        if (window.isVisible() && window.isFocused()) window.hide()
        else this.showWindow()
        this.scheduleRender()
        return
      }
      case 'show-window':
        this.showWindow()
        return
      case 'open-task':
        this.openIntent({ kind: 'open-task', taskId: action.taskId })
        return
      case 'quick-add':
        this.openIntent({ kind: 'quick-add' })
        return
      case 'cancel-task':
        await handlers['task.cancel']({ taskIds: [action.taskId] })
        return
      case 'pause-all':
        await handlers['engine.pause']({})
        return
      case 'resume-all':
        await handlers['engine.resume']({})
        return
      case 'run-favourite': {
        const { task } = await handlers['task.get']({ taskId: action.taskId })
        await handlers['task.submit'](COMMANDS['task.submit'].params.parse({ definition: favouriteCopy(task.definition) }))
        return
      }
      case 'quit':
        this.ports.quitApp()
        return
    }
  }

  async retry(taskId: number): Promise<void> {
    await this.ports.engine.handlers['task.retry']({ taskIds: [taskId] })
  }

  /**
   * Called when the app is about to quit. With tasks running the user chooses: keep them
   * running in the tray (the quit is cancelled), stop them and quit, or go back.
   * Resolves true when quitting may go ahead.
   */
  async confirmQuit(): Promise<boolean> {
    const active = activeTasks(this.current)
    const plan = planQuit(active.length, this.language)
    if (plan.kind === 'quit') return true
    const choice = quitChoice(await this.ports.askQuit(plan.question))
    switch (choice.kind) {
      case 'keep-in-tray':
        this.ports.window.hide()
        this.scheduleRender()
        return false
      case 'stop-and-quit':
        await this.ports.engine.handlers['task.cancel']({ taskIds: active.map((t) => t.id) })
        return true
      case 'abort':
        return false
    }
  }

  dispose(): void {
    this.subscription?.dispose()
    this.subscription = null
    this.applyKeepAwake(false)
    this.disposed = true
  }
}

/** A favourite runs as a fresh task from the saved definition, without the old task's schedule or dependencies. */
export function favouriteCopy(definition: TaskDefinitionInput): TaskDefinitionInput {
  const { after: _after, delayMs: _delayMs, runAt: _runAt, stashed: _stashed, ...rest } = definition
  return rest
}
