import { useEffect, useLayoutEffect, useMemo, useRef } from 'react'
import { useTranslation } from 'react-i18next'
import { fromEvent, map, share, startWith } from 'rxjs'
import { sayNotification } from '../../src-shared/decisions/notifications.ts'
import { createActions } from '../actions.ts'
import { useObservableState, useSubscription } from '../hooks/observable.ts'
import { resolveLanguage } from '../i18n/index.ts'
import type { AppModel } from '../model.ts'
import type { AppState } from '../streams/state.ts'
import { keyCommands$, type CommandId, type KeyPress } from '../streams/keymap.ts'
import { ActionButton, Kbd } from '../components/common.tsx'
import { focusViewHeading, rescueLostFocus } from '../components/focus-rescue.ts'
import { CommandPalette } from './CommandPalette.tsx'
import { ConnectionBanner, ConnectionIndicator, Toasts } from './Chrome.tsx'
import { MachineIndicator } from './MachineIndicator.tsx'
import { DashboardView } from './DashboardView.tsx'
import { LoopView } from './LoopView.tsx'
import { NewTaskView } from './NewTaskView.tsx'
import { SettingsView } from './SettingsView.tsx'
import { TasksView } from './TasksView.tsx'
import { WorkersView } from './WorkersView.tsx'
import { TriggersView } from './TriggersView.tsx'
import { IS_MAC, ModelContext, useKeymap, useModel, useShortcut, useStore, useStoreSelect } from './context.ts'

const keys$ = fromEvent<KeyboardEvent>(document, 'keydown').pipe(
  map(
    (event): KeyPress => ({
      key: event.key,
      ctrl: event.ctrlKey,
      meta: event.metaKey,
      alt: event.altKey,
      shift: event.shiftKey,
      repeat: event.repeat,
      // A focused button or link owns Enter (it activates it), as a text field owns every key.
      inEditable: isEditable(event.target) || (event.key === 'Enter' && isActivatable(event.target)),
      source: event,
    }),
  ),
  share(),
)

function isActivatable(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && target.matches('button, a[href], summary, [role=button], [role=switch]')
}

function isEditable(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || target.matches('input:not([type=checkbox]):not([type=radio]), textarea, select'))
}

const darkScheme = window.matchMedia('(prefers-color-scheme: dark)')
const systemDark$ = fromEvent<MediaQueryListEvent>(darkScheme, 'change').pipe(
  map((e) => e.matches),
  startWith(darkScheme.matches),
)

export function App({ model }: { model: AppModel }) {
  return (
    <ModelContext.Provider value={model}>
      <Shell model={model} />
    </ModelContext.Provider>
  )
}

function Shell({ model }: { model: AppModel }) {
  const { t, i18n } = useTranslation()
  const settings = useStore(model.settings)
  const route = useStore(model.route)
  const keymap = useKeymap()
  const systemDark = useObservableState(systemDark$, darkScheme.matches)
  const run = useMemo(() => createActions(model, (key, values) => t(key, values ?? {})), [model, t])

  const theme = settings.theme === 'system' ? (systemDark ? 'dark' : 'light') : settings.theme
  const language = resolveLanguage(settings.language, navigator.languages)
  useEffect(() => {
    document.documentElement.dataset.theme = theme
  }, [theme])
  useEffect(() => {
    document.documentElement.lang = language
    if (i18n.language !== language) void i18n.changeLanguage(language)
  }, [language, i18n])

  const commands$ = useMemo(() => keyCommands$(keys$, keymap, { isMac: IS_MAC }), [keymap])
  useSubscription(commands$, (command) => {
    if (model.paletteOpen.value) return
    command.press.source?.preventDefault()
    run(command.command)
  })

  useSubscription(model.notifications$, (notification) => {
    // Under Electron the main process shows OS notifications; in a browser we do it here.
    if (window.taskdeck) return
    const text = sayNotification(notification, language)
    if ('Notification' in window && Notification.permission === 'granted') {
      const shown = new Notification(text.title, { body: text.body, tag: 'taskdeck-finished' })
      shown.onclick = () => {
        window.focus()
        const target = notification.onClick
        if (target.kind === 'open-task') model.route.set({ view: 'task', taskId: target.taskId })
        else if (target.kind === 'open-view') model.route.set({ view: target.view })
      }
    } else model.toast(notification.urgency === 'critical' ? 'error' : 'success', text.title, text.body)
  })

  useEffect(() => rescueLostFocus(document), [])
  useFocusOnViewSwitch(route.view === 'task' ? 'tasks' : route.view)

  useEffect(() => {
    // Desktop-only requests from the main process (tray, global shortcuts), when under Electron.
    return window.taskdeck?.onDesktopIntent((intent) => {
      if (intent.kind === 'open-task') model.route.set({ view: 'task', taskId: intent.taskId })
      else if (intent.kind === 'open-view') model.route.set({ view: intent.view })
      else run('task.new')
    })
  }, [model, run])

  const nav: { view: 'tasks' | 'loop' | 'dashboard' | 'workers' | 'triggers' | 'settings'; command: CommandId; icon: string }[] = [
    { view: 'tasks', command: 'view.tasks', icon: '☰' },
    { view: 'loop', command: 'view.loop', icon: '⟳' },
    { view: 'dashboard', command: 'view.dashboard', icon: '▤' },
    { view: 'workers', command: 'view.workers', icon: '⇄' },
    { view: 'triggers', command: 'view.triggers', icon: '◷' },
    { view: 'settings', command: 'view.settings', icon: '⚙' },
  ]
  const activeNav = route.view === 'task' || route.view === 'new' ? 'tasks' : route.view

  return (
    <div className="app">
      <nav className="sidebar" aria-label={t('nav.label')}>
        <div className="brand">
          <span className="brand-mark" aria-hidden>◆</span>
          <span className="brand-name">Taskdeck</span>
        </div>
        <ul>
          {nav.map((item) => (
            <li key={item.view}>
              <NavButton active={activeNav === item.view} command={item.command} icon={item.icon} label={t(`nav.${item.view}`)} onClick={() => run(item.command)} />
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <ActionButton variant="ghost" command="palette.open" icon={<span className="nav-icon" aria-hidden>⌘</span>} label={t('palette.open')} onClick={() => run('palette.open')} />
          <EnginePauseButton onToggle={() => run('engine.togglePause')} />
          <MachineIndicator />
          <ConnectionIndicator />
        </div>
      </nav>
      <main className="main" id="main">
        <ConnectionBanner />
        {route.view === 'tasks' || route.view === 'task' ? (
          <TasksView run={run} />
        ) : route.view === 'new' ? (
          <NewTaskView editTaskId={route.editTaskId} />
        ) : route.view === 'loop' ? (
          <LoopView onNewTask={() => run('task.new')} />
        ) : route.view === 'dashboard' ? (
          <DashboardView onNewTask={() => run('task.new')} />
        ) : route.view === 'workers' ? (
          <WorkersView />
        ) : route.view === 'triggers' ? (
          <TriggersView />
        ) : (
          <SettingsView />
        )}
      </main>
      <CommandPalette run={run} />
      <Toasts />
    </div>
  )
}

/**
 * A switch to another view (a g-chord, the sidebar, the palette, the tray) puts the keyboard on the
 * new view's heading: the old view's focused element is gone, and a screen reader says where the
 * user now is. A command that takes the keyboard into the new view (search, new task) does so in
 * the next frame, after this; focus already inside the main region (a field that took it first,
 * the connection banner's button) is left where it is. Opening a task stays in the tasks view: the
 * list keeps the keyboard.
 */
function useFocusOnViewSwitch(view: string) {
  const shown = useRef(view)
  // Before paint, and before the frame in which a command focuses its field.
  useLayoutEffect(() => {
    if (shown.current === view) return
    shown.current = view
    const active = document.activeElement
    if (active instanceof HTMLElement && active !== document.body && active.closest('main')) return
    focusViewHeading(document)
  }, [view])
}

function NavButton({ active, command, icon, label, onClick }: { active: boolean; command: CommandId; icon: string; label: string; onClick: () => void }) {
  const shortcut = useShortcut(command)
  return (
    <button type="button" className={`nav-item ${active ? 'active' : ''}`} aria-current={active ? 'page' : undefined} title={`${label} (${shortcut})`} onClick={onClick}>
      <span className="nav-icon" aria-hidden>
        {icon}
      </span>
      <span className="nav-label">{label}</span>
      <Kbd>{shortcut}</Kbd>
    </button>
  )
}

const selectEnginePaused = (state: AppState) => state.enginePaused

function EnginePauseButton({ onToggle }: { onToggle: () => void }) {
  const { t } = useTranslation()
  const enginePaused = useStoreSelect(useModel().state, selectEnginePaused)
  return (
    <ActionButton
      variant="ghost"
      command="engine.togglePause"
      className={enginePaused ? 'engine-paused' : ''}
      icon={
        <span className="nav-icon" aria-hidden>
          {enginePaused ? '▶' : '‖'}
        </span>
      }
      label={enginePaused ? t('action.resumeAll') : t('action.pauseAll')}
      onClick={onToggle}
    />
  )
}
