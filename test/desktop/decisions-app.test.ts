import { describe, expect, it } from 'vitest'
import { appMenuModel, bindingToAccelerator, type AppMenuItem } from '../../src-shared/decisions/appMenu.ts'
import { autostartDesktopEntry, planStartAtLogin, quoteExecArg } from '../../src-shared/decisions/autostart.ts'
import { foldDesktopEvents, initialDesktopState } from '../../src-shared/decisions/desktopState.ts'
import { keepAwake } from '../../src-shared/decisions/keepAwake.ts'
import { homeFromArgv, parseDeepLink, parseLaunchArgs } from '../../src-shared/decisions/launchArgs.ts'
import { closeButtonHides, planQuit, quitChoice } from '../../src-shared/decisions/quit.ts'
import {
  acceleratorProblem,
  DEFAULT_GLOBAL_SHORTCUTS,
  GLOBAL_SHORTCUT_IDS,
  isTriggerShortcutId,
  normaliseAccelerator,
  planAllShortcuts,
  planShortcuts,
  shortcutAction,
  takenProblem,
  triggerShortcutId,
} from '../../src-shared/decisions/shortcuts.ts'
import { MIN_WINDOW, parseWindowState, placeWindow, type Rect } from '../../src-shared/decisions/windowState.ts'
import { created, enginePaused, settingsChanged, task, updated } from './fixtures.ts'

describe('global shortcuts', () => {
  it('registers every default when nothing is overridden, without clashes', () => {
    const plan = planShortcuts({}, 'linux', 'en')
    expect(plan.problems).toEqual([])
    expect(plan.register.map((b) => b.id)).toEqual([...GLOBAL_SHORTCUT_IDS])
    expect(plan.register[0]).toEqual({ id: 'toggle-window', accelerator: 'CommandOrControl+Alt+T' })
    expect(new Set(Object.values(DEFAULT_GLOBAL_SHORTCUTS).map((a) => normaliseAccelerator(a, 'win32'))).size).toBe(GLOBAL_SHORTCUT_IDS.length)
  })

  it('applies overrides, disables with "", and reports bad, duplicate and unknown bindings', () => {
    const plan = planShortcuts({
      'toggle-window': 'Super+Space',
      'quick-add': '',
      'pause-resume-all': 'Ctrl+Alt+1',
      'favourite-2': 'CommandOrControl+Banana',
      'open-sesame': 'F5',
    }, 'linux', 'en')
    expect(plan.register.find((b) => b.id === 'toggle-window')?.accelerator).toBe('Super+Space')
    expect(plan.register.some((b) => b.id === 'quick-add')).toBe(false)
    expect(plan.problems).toEqual([
      { id: 'open-sesame', accelerator: 'F5', problem: 'unknown-id', message: 'There is no global shortcut called "open-sesame".' },
      { id: 'favourite-1', accelerator: 'CommandOrControl+Alt+1', problem: 'duplicate', message: 'CommandOrControl+Alt+1 is already used by "Pause or resume all tasks".' },
      { id: 'favourite-2', accelerator: 'CommandOrControl+Banana', problem: 'invalid', message: 'CommandOrControl+Banana "Banana" is not a key.' },
    ])
  })

  it('checks accelerator syntax as Electron reads it', () => {
    expect(acceleratorProblem('CommandOrControl+Shift+Space', 'en')).toBeNull()
    expect(acceleratorProblem('CmdOrCtrl+Plus', 'en')).toBeNull()
    expect(acceleratorProblem('Alt+F4', 'en')).toBeNull()
    expect(acceleratorProblem('F13', 'en')).toBeNull()
    expect(acceleratorProblem('Ctrl+/', 'en')).toBeNull()
    expect(acceleratorProblem('A', 'en')).toBe('needs a modifier (only F1–F24 may stand alone)')
    expect(acceleratorProblem('Ctrl++', 'en')).toBe('has an empty part (write "Plus" for the + key)')
    expect(acceleratorProblem('Hyper+A', 'en')).toBe('"Hyper" is not a modifier')
    expect(acceleratorProblem('Ctrl+Control+A', 'en')).toBeNull()
    expect(acceleratorProblem('Ctrl+Ctrl+A', 'en')).toBe('repeats a modifier')
    expect(acceleratorProblem('Ctrl+F25', 'en')).toBe('"F25" is not a key')
    expect(normaliseAccelerator('Ctrl+Alt+t', 'linux')).toBe(normaliseAccelerator('Alt+Control+T', 'linux'))
    expect(normaliseAccelerator('CmdOrCtrl+A', 'win32')).toBe(normaliseAccelerator('Ctrl+A', 'win32'))
    expect(normaliseAccelerator('CmdOrCtrl+A', 'darwin')).toBe(normaliseAccelerator('Cmd+A', 'darwin'))
    expect(normaliseAccelerator('CmdOrCtrl+A', 'darwin')).not.toBe(normaliseAccelerator('Ctrl+A', 'darwin'))
  })

  it('sees a clash through CommandOrControl only where it means the same key', () => {
    const overrides = { 'quick-add': 'Ctrl+Alt+T' }
    expect(planShortcuts(overrides, 'linux', 'en').problems.map((p) => [p.id, p.problem])).toEqual([['quick-add', 'duplicate']])
    expect(planShortcuts(overrides, 'darwin', 'en').problems).toEqual([])
  })

  it('adds shortcut triggers after the app’s shortcuts, refusing clashes and bad chords', () => {
    const plan = planAllShortcuts(
      { 'quick-add': '' },
      [
        { triggerId: 1, accelerator: 'CommandOrControl+Alt+N', name: 'free again' },
        { triggerId: 2, accelerator: 'Control+Alt+1', name: 'clashes with favourite 1' },
        { triggerId: 3, accelerator: 'Super+B', name: 'build' },
        { triggerId: 4, accelerator: 'Super+b', name: 'same chord' },
        { triggerId: 5, accelerator: 'B', name: 'bare' },
      ],
      'linux',
      'en',
    )
    expect(plan.register.filter((b) => isTriggerShortcutId(b.id))).toEqual([
      { id: 'trigger-1', accelerator: 'CommandOrControl+Alt+N' },
      { id: 'trigger-3', accelerator: 'Super+B' },
    ])
    expect(plan.problems.map((p) => [p.id, p.problem, p.message])).toEqual([
      ['trigger-2', 'duplicate', 'Control+Alt+1 is already used by "Run favourite 1"; the shortcut trigger "clashes with favourite 1" is not active.'],
      ['trigger-4', 'duplicate', 'Super+b is already used by the shortcut trigger "build"; the shortcut trigger "same chord" is not active.'],
      ['trigger-5', 'invalid', 'B needs a modifier (only F1–F24 may stand alone).'],
    ])
    expect(triggerShortcutId(12)).toBe('trigger-12')
    expect(isTriggerShortcutId('trigger-x')).toBe(false)
    expect(isTriggerShortcutId('toggle-window')).toBe(false)
  })

  it('reports a registration refused by the OS with the accelerator and what it was for', () => {
    expect(takenProblem({ id: 'quick-add', accelerator: 'CommandOrControl+Alt+N' }, [], 'en')).toEqual({
      id: 'quick-add',
      accelerator: 'CommandOrControl+Alt+N',
      problem: 'taken',
      message: 'CommandOrControl+Alt+N is taken by another application; choose another for "New task".',
    })
  })

  it('tells shortcut problems in Korean', () => {
    expect(acceleratorProblem('A', 'ko')).toBe('보조 키가 필요합니다 (F1–F24만 단독으로 쓸 수 있습니다)')
    expect(acceleratorProblem('Hyper+A', 'ko')).toBe('“Hyper”은(는) 보조 키가 아닙니다')
    const plan = planAllShortcuts({ 'pause-resume-all': 'Ctrl+Alt+1', 'open-sesame': 'F5' }, [{ triggerId: 2, accelerator: 'Control+Alt+T', name: '빌드' }, { triggerId: 3, accelerator: 'B', name: 'bare' }], 'linux', 'ko')
    expect(plan.problems.map((p) => p.message)).toEqual([
      '“open-sesame” 라는 전역 단축키는 없습니다.',
      'CommandOrControl+Alt+1은(는) 이미 “모든 작업 일시 중지 / 재개”에 쓰이고 있습니다.',
      'Control+Alt+T은(는) 이미 “창 보이기 / 숨기기”에 쓰이고 있어 단축키 트리거 “빌드”이(가) 동작하지 않습니다.',
      'B: 보조 키가 필요합니다 (F1–F24만 단독으로 쓸 수 있습니다).',
    ])
    expect(takenProblem({ id: 'favourite-2', accelerator: 'Super+2' }, [], 'ko').message).toBe('Super+2은(는) 다른 프로그램이 쓰고 있습니다. “즐겨찾기 2 실행”에 다른 키를 고르세요.')
  })

  it('maps each shortcut to an action, pause toggling with the queue and favourites by position', () => {
    const state = foldDesktopEvents(initialDesktopState(), [settingsChanged({ favourites: [40, 41] })], true)
    expect(shortcutAction('toggle-window', state)).toEqual({ kind: 'toggle-window' })
    expect(shortcutAction('quick-add', state)).toEqual({ kind: 'quick-add' })
    expect(shortcutAction('pause-resume-all', state)).toEqual({ kind: 'pause-all' })
    expect(shortcutAction('pause-resume-all', foldDesktopEvents(state, [enginePaused(true)], true))).toEqual({ kind: 'resume-all' })
    expect(shortcutAction('favourite-2', state)).toEqual({ kind: 'run-favourite', taskId: 41 })
    expect(shortcutAction('favourite-3', state)).toBeNull()
    expect(shortcutAction('nonsense', state)).toBeNull()
  })
})

describe('launch arguments and deep links (untrusted)', () => {
  it('understands navigation links and flags', () => {
    expect(parseDeepLink('taskdeck://task/42')).toEqual({ kind: 'open-task', taskId: 42 })
    expect(parseDeepLink('taskdeck://task/42/')).toEqual({ kind: 'open-task', taskId: 42 })
    expect(parseDeepLink('TASKDECK://view/settings')).toEqual({ kind: 'open-view', view: 'settings' })
    expect(parseDeepLink('taskdeck://new')).toEqual({ kind: 'quick-add' })
    const request = parseLaunchArgs(['/opt/Taskdeck/taskdeck', '--no-sandbox', '--allow-file-access-from-files', 'taskdeck://task/7', '--view=loop', '--quick-add', '--open-task=3'])
    expect(request.intents).toEqual([{ kind: 'open-task', taskId: 7 }, { kind: 'open-view', view: 'loop' }, { kind: 'quick-add' }, { kind: 'open-task', taskId: 3 }])
    expect(request.rejected).toEqual([])
  })

  it.each([
    ['taskdeck://task/0', 'is not a task id'],
    ['taskdeck://task/-1', 'is not a task id'],
    ['taskdeck://task/1e3', 'is not a task id'],
    ['taskdeck://task/99999999999999999', 'is not a task id'],
    ['taskdeck://task/1/2', 'too many path segments'],
    ['taskdeck://view/..%2F..%2Fetc', 'unknown view'],
    ['taskdeck://submit?command=rm%20-rf%20~', 'links take no credentials, query or fragment'],
    ['taskdeck://run/rm -rf ~', 'unknown link'],
    ['taskdeck://user:pw@task/1', 'links take no credentials, query or fragment'],
    ['taskdeck://task/1#x', 'links take no credentials, query or fragment'],
    ['taskdeck:', 'unknown link'],
    [`taskdeck://task/${'1'.repeat(3000)}`, 'link too long'],
  ])('refuses link #%#', (link, reason) => {
    const request = parseLaunchArgs([link])
    expect(request.intents).toEqual([])
    expect(request.rejected[0]?.reason).toContain(reason)
  })

  it('ignores non-strings and caps how much it reads', () => {
    expect(parseLaunchArgs([42, null, { toString: () => 'taskdeck://new' }]).intents).toEqual([])
    expect(parseLaunchArgs(Array.from({ length: 1000 }, () => '--quick-add')).intents).toHaveLength(64)
    expect(parseLaunchArgs(['--open-task=abc']).rejected).toEqual([{ arg: '--open-task=abc', reason: '"abc" is not a task id' }])
  })

  it('reads --home in both spellings', () => {
    expect(homeFromArgv(['app', '--home=/tmp/x'])).toBe('/tmp/x')
    expect(homeFromArgv(['app', '--home', '/tmp/y'])).toBe('/tmp/y')
    expect(homeFromArgv(['app', '--home='])).toBeUndefined()
    expect(homeFromArgv(['app'])).toBeUndefined()
  })
})

describe('window placement', () => {
  const primary: Rect = { x: 0, y: 0, width: 1920, height: 1040 }
  const right: Rect = { x: 1920, y: 0, width: 1280, height: 984 }

  it('centres a first window on the primary display', () => {
    expect(placeWindow(null, [primary])).toEqual({ bounds: { x: 360, y: 120, width: 1200, height: 800 }, maximized: false, fullScreen: false })
  })

  it('keeps a saved place that is still on a display', () => {
    const saved = { bounds: { x: 2000, y: 50, width: 1000, height: 700 }, maximized: true, fullScreen: false }
    expect(placeWindow(saved, [primary, right])).toEqual(saved)
  })

  it('recentres a window whose display is gone, keeping its size and maximized state', () => {
    const saved = { bounds: { x: 2000, y: 50, width: 1000, height: 700 }, maximized: true, fullScreen: true }
    expect(placeWindow(saved, [primary])).toEqual({ bounds: { x: 460, y: 170, width: 1000, height: 700 }, maximized: true, fullScreen: false })
  })

  it('pulls a partly off-screen window back and shrinks it to the work area', () => {
    const saved = { bounds: { x: 1800, y: -10, width: 3000, height: 2000 }, maximized: false, fullScreen: false }
    expect(placeWindow(saved, [primary])).toEqual({ bounds: { x: 0, y: 0, width: 1920, height: 1040 }, maximized: false, fullScreen: false })
    const hanging = { bounds: { x: 1700, y: 900, width: 800, height: 600 }, maximized: false, fullScreen: false }
    expect(placeWindow(hanging, [primary]).bounds).toEqual({ x: 1120, y: 440, width: 800, height: 600 })
  })

  it('treats a title bar that is only a sliver on screen as lost', () => {
    const sliver = { bounds: { x: 1900, y: 100, width: 800, height: 600 }, maximized: false, fullScreen: false }
    expect(placeWindow(sliver, [primary]).bounds).toEqual({ x: 560, y: 220, width: 800, height: 600 })
  })

  it('enforces a minimum size and survives having no displays', () => {
    const tiny = { bounds: { x: 10, y: 10, width: 50, height: 50 }, maximized: false, fullScreen: false }
    expect(placeWindow(tiny, [primary]).bounds).toMatchObject({ width: MIN_WINDOW.width, height: MIN_WINDOW.height })
    expect(placeWindow(tiny, []).bounds).toEqual({ x: 0, y: 0, width: 1200, height: 800 })
  })

  it('reads stored state as untrusted text', () => {
    expect(parseWindowState(null)).toBeNull()
    expect(parseWindowState('{not json')).toBeNull()
    expect(parseWindowState('{"bounds":{"x":"1","y":0,"width":10,"height":10}}')).toBeNull()
    expect(parseWindowState('{"bounds":{"x":1e9,"y":0,"width":10,"height":10}}')).toBeNull()
    expect(parseWindowState('{"bounds":{"x":1,"y":2,"width":800,"height":600}}')).toEqual({ bounds: { x: 1, y: 2, width: 800, height: 600 }, maximized: false, fullScreen: false })
  })
})

describe('start at login', () => {
  it('uses login items on macOS and Windows, starting hidden', () => {
    expect(planStartAtLogin('darwin', true, '/Applications/Taskdeck.app/Contents/MacOS/Taskdeck')).toEqual({ kind: 'login-item', openAtLogin: true, args: ['--hidden'] })
    expect(planStartAtLogin('win32', false, 'C:\\x.exe')).toEqual({ kind: 'login-item', openAtLogin: false, args: [] })
    expect(planStartAtLogin('aix', true, '/x')).toEqual({ kind: 'unsupported' })
  })

  it('writes an XDG autostart entry on Linux', () => {
    const plan = planStartAtLogin('linux', true, '/home/ann/Apps/Taskdeck-0.1.0.AppImage')
    expect(plan).toEqual({
      kind: 'xdg-autostart',
      enabled: true,
      content: [
        '[Desktop Entry]',
        'Type=Application',
        'Version=1.0',
        'Name=Taskdeck',
        'Comment=Run, watch and steer background jobs',
        'Comment[ko]=백그라운드 작업을 실행하고 지켜보고 조정합니다',
        'Exec=/home/ann/Apps/Taskdeck-0.1.0.AppImage --hidden',
        'Icon=taskdeck',
        'Terminal=false',
        'X-GNOME-Autostart-enabled=true',
        'NoDisplay=true',
        '',
      ].join('\n'),
    })
    expect(planStartAtLogin('linux', false, '/x')).toEqual({ kind: 'xdg-autostart', enabled: false, content: null })
  })

  it('quotes Exec arguments by the Desktop Entry rules', () => {
    expect(quoteExecArg('/opt/Taskdeck/taskdeck')).toBe('/opt/Taskdeck/taskdeck')
    expect(quoteExecArg('/home/ann/My Apps/Task"deck$.AppImage')).toBe('"/home/ann/My Apps/Task\\"deck\\$.AppImage"')
    expect(quoteExecArg('100%')).toBe('100%%')
    expect(quoteExecArg('')).toBe('""')
    const entry = autostartDesktopEntry({ executable: '/a b/c\\d', name: 'Evil\nExec=rm -rf ~' })
    expect(entry).toContain('Exec="/a b/c\\\\\\\\d" --hidden\n')
    expect(entry).toContain('Name=Evil\\nExec=rm -rf ~\n')
    expect(entry.split('\n').filter((l) => l.startsWith('Exec='))).toHaveLength(1)
  })
})

describe('quitting and closing', () => {
  it('quits at once when nothing runs, asks otherwise', () => {
    expect(planQuit(0, 'en')).toEqual({ kind: 'quit' })
    expect(planQuit(1, 'en')).toMatchObject({ kind: 'ask', question: { message: '1 task is still running.' } })
    expect(planQuit(3, 'en')).toMatchObject({ kind: 'ask', question: { message: '3 tasks are still running.' } })
  })

  it('maps the dialog buttons, treating anything else as cancel', () => {
    expect([0, 1, 2, -1, 99].map((r) => quitChoice(r).kind)).toEqual(['keep-in-tray', 'stop-and-quit', 'abort', 'abort', 'abort'])
  })

  it('hides on close to tray, and always on macOS, but never while quitting', () => {
    expect(closeButtonHides({ closeToTray: true, quitting: false, platform: 'linux' })).toBe(true)
    expect(closeButtonHides({ closeToTray: false, quitting: false, platform: 'linux' })).toBe(false)
    expect(closeButtonHides({ closeToTray: false, quitting: false, platform: 'darwin' })).toBe(true)
    expect(closeButtonHides({ closeToTray: true, quitting: true, platform: 'win32' })).toBe(false)
  })
})

describe('keeping the computer awake', () => {
  const live = (...events: Parameters<typeof foldDesktopEvents>[1]) => foldDesktopEvents(initialDesktopState(), events, true)

  it('holds off sleep while a task runs, and only then', () => {
    expect(keepAwake(initialDesktopState())).toBe(false)
    expect(keepAwake(live(created(task(1, 'queued')), created(task(2, 'waiting')), created(task(3, 'stashed'))))).toBe(false)
    const running = live(created(task(1, 'queued')), updated(task(1, 'running')))
    expect(keepAwake(running)).toBe(true)
    for (const after of ['paused', 'succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted'] as const)
      expect(keepAwake(foldDesktopEvents(running, [updated(task(1, after))], true)), after).toBe(false)
  })

  it('lets the machine sleep when the setting is off, even with tasks running', () => {
    const running = live(created(task(1, 'running')), created(task(2, 'running')))
    expect(keepAwake(foldDesktopEvents(running, [settingsChanged({ keepAwake: false })], true))).toBe(false)
    expect(keepAwake(foldDesktopEvents(running, [settingsChanged({ keepAwake: false }), settingsChanged({ keepAwake: true })], true))).toBe(true)
  })

  it('is on by default', () => {
    expect(initialDesktopState().settings.keepAwake).toBe(true)
  })
})

describe('application menu', () => {
  const commands = (items: AppMenuItem[]) => items.flatMap((i) => (i.type === 'command' ? [i] : []))

  it('shows the renderer keymap accelerators without registering them (the page handles the keys)', () => {
    const menu = appMenuModel({ platform: 'linux', isDev: false, state: initialDesktopState(), language: 'en' })
    expect(menu.map((s) => s.label)).toEqual(['&File', '&Edit', '&View', '&Window', '&Help'])
    const file = commands(menu[0]?.items ?? [])
    expect(file[0]).toEqual({ type: 'command', label: 'New Task…', command: { kind: 'quick-add' }, accelerator: 'CommandOrControl+N', registerAccelerator: false })
    expect(file[1]).toMatchObject({ label: 'Pause All Tasks', accelerator: 'Shift+P', registerAccelerator: false })
    expect(file.at(-1)).toEqual({ type: 'command', label: 'Quit', command: { kind: 'quit' }, accelerator: 'CommandOrControl+Q' })
    expect(JSON.stringify(menu)).not.toContain('toggleDevTools')
  })

  it('follows the user’s keymap rebinding, and shows nothing for a chord', () => {
    const rebound = foldDesktopEvents(initialDesktopState(), [settingsChanged({ keymap: { 'task.new': 'mod+shift+t', 'engine.togglePause': 'g p' } })], true)
    const file = commands(appMenuModel({ platform: 'linux', isDev: false, state: rebound, language: 'en' })[0]?.items ?? [])
    expect(file[0]).toEqual({ type: 'command', label: 'New Task…', command: { kind: 'quick-add' }, accelerator: 'CommandOrControl+Shift+T', registerAccelerator: false })
    expect(file[1]).toEqual({ type: 'command', label: 'Pause All Tasks', command: { kind: 'pause-all' } })
  })

  it('turns keymap bindings into accelerators', () => {
    expect(bindingToAccelerator('mod+k')).toBe('CommandOrControl+K')
    expect(bindingToAccelerator('shift+P')).toBe('Shift+P')
    expect(bindingToAccelerator('ctrl+alt+ArrowDown')).toBe('Control+Alt+Down')
    expect(bindingToAccelerator('F5')).toBe('F5')
    expect(bindingToAccelerator('g t')).toBeNull()
    expect(bindingToAccelerator('hyper+k')).toBeNull()
    expect(bindingToAccelerator('mod+PageFlip')).toBeNull()
    expect(bindingToAccelerator('')).toBeNull()
  })

  it('has a macOS app menu, dev tools only in development, and Resume when paused', () => {
    const paused = foldDesktopEvents(initialDesktopState(), [enginePaused(true)], true)
    const menu = appMenuModel({ platform: 'darwin', isDev: true, state: paused, language: 'en' })
    expect(menu[0]).toMatchObject({ label: 'Taskdeck', role: 'appMenu' })
    expect(JSON.stringify(menu)).toContain('toggleDevTools')
    expect(commands(menu[1]?.items ?? []).map((c) => c.label)).toEqual(['New Task…', 'Resume All Tasks'])
  })
})
