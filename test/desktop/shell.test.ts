import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DesktopShell, favouriteCopy, type ShellPorts } from '../../src-main/desktop/shell.ts'
import type { AppMenuSection } from '../../src-shared/decisions/appMenu.ts'
import type { DesktopIntent } from '../../src-shared/decisions/intents.ts'
import type { FinishedTask } from '../../src-shared/decisions/notifications.ts'
import type { QuitQuestion } from '../../src-shared/decisions/quit.ts'
import type { TrayModel } from '../../src-shared/decisions/tray.ts'
import { DESKTOP_EVENT_TYPES, foldDesktopEvents, initialDesktopState } from '../../src-shared/decisions/desktopState.ts'
import { finishedTasksIn } from '../../src-shared/decisions/notifications.ts'
import type { EngineApi } from '../../src-main/engine/api.ts'
import { COMMANDS, type EngineEvent, type TaskDefinitionInput } from '../../src-shared/index.ts'
import { useEngine } from '../support/engine.ts'
import { Recorder } from './stand-ins.ts'

// DesktopShell against the real engine (temp SQLite, real child processes); the window,
// tray, menu and dialogs are recording stand-ins.

class FakeWindow extends Recorder {
  visible = true
  focused = false
  isVisible = () => this.visible
  isFocused = () => this.focused
  show = () => {
    this.record('show')
    this.visible = true
  }
  hide = () => {
    this.record('hide')
    this.visible = false
    this.focused = false
  }
  focus = () => {
    this.record('focus')
    this.focused = true
  }
}

const t = useEngine({ killGraceMs: 200 })
let desktop: DesktopShell
let window: FakeWindow
let trays: TrayModel[]
let menus: AppMenuSection[][]
let notified: FinishedTask[][]
let shortcutSettings: Array<Readonly<Record<string, string>>>
let startAtLogin: boolean[]
let keptAwake: boolean[]
let idleThresholds: number[]
let intents: DesktopIntent[]
let quitAnswer: number
let questions: QuitQuestion[]
let systemLanguages: string[]
let quits: number
let logs: string[]

const ports = (): ShellPorts => ({
  engine: t.engine,
  platform: 'linux',
  isDev: false,
  systemLanguages: () => systemLanguages,
  window,
  schedule: (run) => setImmediate(run),
  applyTray: (model) => trays.push(model),
  applyAppMenu: (sections) => menus.push(sections),
  notify: (tasks) => notified.push(tasks),
  applyShortcuts: (overrides) => shortcutSettings.push(overrides),
  applyStartAtLogin: (enabled) => startAtLogin.push(enabled),
  applyKeepAwake: (on) => keptAwake.push(on),
  applyIdleAfterMinutes: (minutes) => idleThresholds.push(minutes),
  sendIntent: (intent) => intents.push(intent),
  openInBrowser: () => undefined,
  askQuit: (question) => {
    questions.push(question)
    return Promise.resolve(quitAnswer)
  },
  quitApp: () => quits++,
  log: (message) => logs.push(message),
})

beforeEach(() => {
  window = new FakeWindow()
  trays = []
  menus = []
  notified = []
  shortcutSettings = []
  startAtLogin = []
  keptAwake = []
  idleThresholds = []
  intents = []
  quitAnswer = 2
  questions = []
  systemLanguages = ['en-US']
  quits = 0
  logs = []
})

afterEach(() => {
  desktop.dispose()
})

const submit = async (command: string, extra: Partial<TaskDefinitionInput> = {}) =>
  (await t.engine.handlers['task.submit'](COMMANDS['task.submit'].params.parse({ definition: { name: command, spec: { kind: 'shell', command }, ...extra } }))).task
const lastTray = () => trays[trays.length - 1]
const statusOf = async (taskId: number) => (await t.engine.handlers['task.get']({ taskId })).task.status
const startShell = async () => {
  desktop = new DesktopShell(ports())
  await desktop.start()
}

describe('DesktopShell with the real engine', () => {
  it('starts idle and applies menu, shortcuts and login item from the stored settings', async () => {
    await t.engine.handlers['settings.set']({ patch: { startAtLogin: true, globalShortcuts: { 'quick-add': 'Super+N' } } })
    await startShell()
    expect(lastTray()).toMatchObject({ icon: 'idle', tooltip: 'Taskdeck: idle' })
    expect(menus).toHaveLength(1)
    expect(shortcutSettings.at(-1)).toEqual({ 'quick-add': 'Super+N' })
    expect(startAtLogin).toEqual([true])
  })

  it('shows a running task in the tray, and its Cancel really stops it', async () => {
    await startShell()
    const sleeper = await submit('sleep 30')
    await vi.waitFor(() => expect(lastTray()?.icon).toBe('running'))
    expect(lastTray()?.tooltip).toBe('Taskdeck: 1 task running')
    const item = lastTray()?.menu.find((i) => i.type === 'submenu' && i.label === 'sleep 30')
    const cancel = item?.type === 'submenu' ? item.items.find((i) => i.type === 'item' && i.label === 'Cancel') : undefined
    expect(cancel).toMatchObject({ action: { kind: 'cancel-task', taskId: sleeper.id } })
    if (cancel?.type === 'item' && cancel.action) desktop.dispatch(cancel.action)
    await vi.waitFor(async () => expect(await statusOf(sleeper.id)).toBe('cancelled'))
    await vi.waitFor(() => expect(lastTray()?.icon).toBe('idle'))
    expect(notified).toEqual([])
  })

  it('keeps the computer awake while a task runs, lets it sleep when it ends, when the setting is off, and on quit', async () => {
    await startShell()
    expect(keptAwake).toEqual([])
    const sleeper = await submit('sleep 30')
    await vi.waitFor(() => expect(keptAwake).toEqual([true]))
    await t.engine.handlers['settings.set']({ patch: { keepAwake: false } })
    await vi.waitFor(() => expect(keptAwake).toEqual([true, false]))
    await t.engine.handlers['settings.set']({ patch: { keepAwake: true } })
    await vi.waitFor(() => expect(keptAwake).toEqual([true, false, true]))
    await t.engine.handlers['task.cancel']({ taskIds: [sleeper.id] })
    await vi.waitFor(() => expect(keptAwake).toEqual([true, false, true, false]))
    const second = await submit('sleep 30')
    await vi.waitFor(() => expect(keptAwake.at(-1)).toBe(true))
    // A render already scheduled when the app quits must not take the blocker again (or touch the destroyed tray).
    desktop.windowChanged()
    const traysBefore = trays.length
    desktop.dispose()
    await new Promise((resolve) => setImmediate(resolve))
    expect(keptAwake.at(-1)).toBe(false)
    expect(trays).toHaveLength(traysBefore)
    await t.engine.handlers['task.cancel']({ taskIds: [second.id] })
  })

  it('gives the machine monitor settings.idleAfterMinutes at start and when it changes', async () => {
    await startShell()
    expect(idleThresholds).toEqual([10])
    await t.engine.handlers['settings.set']({ patch: { idleAfterMinutes: 3 } })
    await vi.waitFor(() => expect(idleThresholds).toEqual([10, 3]))
    await t.engine.handlers['settings.set']({ patch: { keepAwake: false } })
    await vi.waitFor(() => expect(trays.length).toBeGreaterThan(1))
    expect(idleThresholds).toEqual([10, 3])
  })

  it('notifies a live failure while unfocused, turns the tray to failed, and clears it when looked at', async () => {
    await startShell()
    const failing = await submit('exit 3')
    await vi.waitFor(() => expect(notified.flat().map((t) => t.taskId)).toEqual([failing.id]))
    expect(notified[0]?.[0]).toMatchObject({ outcome: 'failed', exitCode: 3 })
    await vi.waitFor(() => expect(lastTray()?.icon).toBe('failed'))
    desktop.windowShownOrFocused()
    await vi.waitFor(() => expect(lastTray()?.icon).toBe('idle'))
  })

  it('hears only the event types its decisions read, and decides from them as from every event', async () => {
    // What crosses to the shell, as the runtime thread would post it to Electron's main thread.
    const heard: EngineEvent[] = []
    const engine: EngineApi = { ...t.engine, handlers: t.engine.handlers, close: () => t.engine.close(), subscribe: (since, listener, options) => t.engine.subscribe(since, (events) => (heard.push(...events), listener(events)), options) }
    const chatty = await submit('for i in 1 2 3; do echo line $i; done')
    await vi.waitFor(async () => expect(await statusOf(chatty.id)).toBe('succeeded'))
    desktop = new DesktopShell({ ...ports(), engine })
    await desktop.start()
    await t.engine.handlers['group.set']({ name: 'deploy', parallel: 1, onFailure: 'pause-group' })
    const printing = await submit('echo out; echo err >&2; exit 5', { group: 'deploy' })
    await vi.waitFor(() => expect(notified.flat().map((f) => f.taskId)).toContain(printing.id))
    // The paused group is told with the failure: group.updated is one of the types.
    expect(notified.flat().find((f) => f.taskId === printing.id)).toMatchObject({ outcome: 'failed', pausedGroup: 'deploy' })
    expect(t.events.some((e) => e.type === 'run.output')).toBe(true)
    expect(new Set(heard.map((e) => e.type))).toEqual(new Set(t.events.map((e) => e.type).filter((type) => DESKTOP_EVENT_TYPES.includes(type))))
    // Every other type changes no decision: the fold and the finishes are the same from every event.
    const all = t.events
    const wanted = all.filter((e) => DESKTOP_EVENT_TYPES.includes(e.type))
    expect(all.length).toBeGreaterThan(wanted.length)
    expect(foldDesktopEvents(initialDesktopState(), wanted, true)).toEqual(foldDesktopEvents(initialDesktopState(), all, true))
    expect(finishedTasksIn(initialDesktopState(), wanted)).toEqual(finishedTasksIn(initialDesktopState(), all))
  })

  it('stays quiet while the window has focus (default settings)', async () => {
    window.focused = true
    await startShell()
    const ok = await submit('true')
    // Once the shell has folded the success, a notification would already have been asked for.
    await vi.waitFor(() => expect(desktop.state.tasks.get(ok.id)?.status).toBe('succeeded'))
    expect(notified).toEqual([])
  })

  it('does not notify history, but lists old failures in the menu', async () => {
    const old = await submit('exit 4')
    await vi.waitFor(async () => expect(await statusOf(old.id)).toBe('failed'))
    await startShell()
    await vi.waitFor(() => expect(lastTray()?.menu.some((i) => i.type === 'submenu' && i.label === 'Last Failures')).toBe(true))
    expect(lastTray()?.icon).toBe('idle')
    expect(notified).toEqual([])
  })

  it('pauses and resumes everything from a global shortcut, and the menu follows', async () => {
    await startShell()
    desktop.shortcut('pause-resume-all')
    await vi.waitFor(() => expect(lastTray()?.menu.some((i) => i.type === 'item' && i.label === 'Resume All')).toBe(true))
    expect(JSON.stringify(menus.at(-1))).toContain('Resume All Tasks')
    const queued = await submit('true')
    expect(await statusOf(queued.id)).not.toBe('succeeded')
    desktop.shortcut('pause-resume-all')
    await vi.waitFor(async () => expect(await statusOf(queued.id)).toBe('succeeded'))
  })

  it('runs a favourite as a fresh task with the same command', async () => {
    const original = await submit('echo fav', { labels: ['x'] })
    await t.engine.handlers['settings.set']({ patch: { favourites: [original.id] } })
    await startShell()
    desktop.shortcut('favourite-1')
    await vi.waitFor(async () => expect((await t.engine.handlers['task.list']({ limit: 10, offset: 0 })).total).toBe(2))
    const { tasks } = await t.engine.handlers['task.list']({ limit: 10, offset: 0 })
    const copy = tasks.find((t) => t.id !== original.id)
    expect(copy?.definition.spec).toEqual(original.definition.spec)
    desktop.shortcut('favourite-2')
    expect(logs.at(-1)).toBe('Global shortcut favourite-2 has nothing to do (no favourite in that slot).')
  })

  it('logs an engine refusal instead of throwing (favourite that no longer exists)', async () => {
    await startShell()
    desktop.dispatch({ kind: 'run-favourite', taskId: 999 })
    await vi.waitFor(() => expect(logs.at(-1)).toMatch(/^run-favourite failed: /))
  })

  it('toggles, shows and opens the window on a task', async () => {
    await startShell()
    window.focused = true
    desktop.dispatch({ kind: 'toggle-window' })
    expect(window.visible).toBe(false)
    desktop.dispatch({ kind: 'toggle-window' })
    expect(window.calls.slice(-2)).toEqual([['show'], ['focus']])
    desktop.dispatch({ kind: 'open-task', taskId: 5 })
    desktop.menuCommand({ kind: 'intent', intent: { kind: 'open-view', view: 'settings' } })
    desktop.dispatch({ kind: 'quick-add' })
    expect(intents).toEqual([{ kind: 'open-task', taskId: 5 }, { kind: 'open-view', view: 'settings' }, { kind: 'quick-add' }])
    desktop.dispatch({ kind: 'quit' })
    expect(quits).toBe(1)
  })

  it('follows settings changes: shortcuts re-applied, start at login toggled once', async () => {
    await startShell()
    await t.engine.handlers['settings.set']({ patch: { globalShortcuts: { 'toggle-window': '' } } })
    await vi.waitFor(() => expect(shortcutSettings.at(-1)).toEqual({ 'toggle-window': '' }))
    await t.engine.handlers['settings.set']({ patch: { startAtLogin: true } })
    await vi.waitFor(() => expect(startAtLogin).toEqual([false, true]))
  })

  describe('quitting with running tasks', () => {
    it('quits at once when nothing runs', async () => {
      await startShell()
      expect(await desktop.confirmQuit()).toBe(true)
    })

    it('keeps running in the tray when asked: the window hides and nothing stops', async () => {
      await startShell()
      const sleeper = await submit('sleep 30')
      await vi.waitFor(() => expect(lastTray()?.icon).toBe('running'))
      quitAnswer = 0
      expect(await desktop.confirmQuit()).toBe(false)
      expect(window.visible).toBe(false)
      expect(await statusOf(sleeper.id)).toBe('running')
    })

    it('stops the tasks and quits when asked', async () => {
      await startShell()
      const sleeper = await submit('sleep 30')
      await vi.waitFor(() => expect(lastTray()?.icon).toBe('running'))
      quitAnswer = 1
      expect(await desktop.confirmQuit()).toBe(true)
      await vi.waitFor(async () => expect(await statusOf(sleeper.id)).toBe('cancelled'))
    })

    it('asks in the user’s language: the system’s Korean, or the setting', async () => {
      systemLanguages = ['ko-KR']
      await startShell()
      await submit('sleep 30')
      await vi.waitFor(() => expect(lastTray()?.tooltip).toBe('Taskdeck: 작업 1개 실행 중'))
      expect(await desktop.confirmQuit()).toBe(false)
      expect(questions.at(-1)).toEqual({
        title: '작업이 아직 실행 중입니다',
        message: '작업 1개가 아직 실행 중입니다.',
        detail: expect.stringContaining('트레이') as string,
        buttons: ['트레이에서 계속 실행', '작업 중지 후 종료', '취소'],
      })
      await t.engine.handlers['settings.set']({ patch: { language: 'en' } })
      await vi.waitFor(() => expect(lastTray()?.tooltip).toBe('Taskdeck: 1 task running'))
      expect(menus.at(-1)?.[0]?.label).toBe('&File')
      expect(await desktop.confirmQuit()).toBe(false)
      expect(questions.at(-1)).toMatchObject({ title: 'Tasks are still running', message: '1 task is still running.', buttons: ['Keep Running in Tray', 'Stop Tasks and Quit', 'Cancel'] })
    })

    it('goes back on Cancel', async () => {
      await startShell()
      await submit('sleep 30')
      await vi.waitFor(() => expect(lastTray()?.icon).toBe('running'))
      quitAnswer = 2
      expect(await desktop.confirmQuit()).toBe(false)
      expect(window.visible).toBe(true)
    })
  })
})

describe('favourite copies', () => {
  it('drop the original schedule and dependencies', () => {
    expect(favouriteCopy({ spec: { kind: 'shell', command: 'x' }, after: [1], delayMs: 5, runAt: 9, stashed: true, name: 'n' })).toEqual({ spec: { kind: 'shell', command: 'x' }, name: 'n' })
  })
})
