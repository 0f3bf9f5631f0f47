import { activeTasks, type DesktopState } from './desktopState.ts'
import type { Language } from './language.ts'
import { desktopStrings } from './strings.ts'

/** Things a click in the tray (or a menu item) asks the shell to do. */
export type DesktopAction =
  | { kind: 'toggle-window' }
  | { kind: 'show-window' }
  | { kind: 'cancel-task'; taskId: number }
  | { kind: 'open-task'; taskId: number }
  | { kind: 'pause-all' }
  | { kind: 'resume-all' }
  | { kind: 'run-favourite'; taskId: number }
  | { kind: 'quick-add' }
  | { kind: 'quit' }

export type TrayIconState = 'idle' | 'running' | 'failed'

export type TrayMenuItem =
  | { type: 'item'; label: string; enabled: boolean; action: DesktopAction | null }
  | { type: 'separator' }
  | { type: 'submenu'; label: string; items: TrayMenuItem[] }

export interface TrayModel {
  icon: TrayIconState
  tooltip: string
  menu: TrayMenuItem[]
}

/** Favourite names come from settings ids looked up in the fold; unknown ids still get a label. */
export interface TrayInputs {
  state: DesktopState
  windowVisible: boolean
  language: Language
}

const MAX_RUNNING_LISTED = 10
const MAX_LABEL_CHARS = 48

export function shortLabel(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim()
  // "&" marks a mnemonic on Windows and Linux menus; double it so names show as typed.
  const clipped = oneLine.length > MAX_LABEL_CHARS ? `${oneLine.slice(0, MAX_LABEL_CHARS - 1)}…` : oneLine
  return clipped.replace(/&/g, '&&')
}

export function trayIconState(state: DesktopState): TrayIconState {
  if (state.unseenFailures > 0) return 'failed'
  return activeTasks(state).length > 0 ? 'running' : 'idle'
}

export function trayTooltip(state: DesktopState, language: Language): string {
  const words = desktopStrings(language).tray
  const active = activeTasks(state)
  const running = active.filter((t) => t.status === 'running').length
  const paused = active.length - running
  const parts: string[] = []
  if (running > 0) parts.push(words.running(running))
  if (paused > 0) parts.push(words.paused(paused))
  if (state.unseenFailures > 0) parts.push(words.newFailures(state.unseenFailures))
  if (state.enginePaused) parts.push(words.queuePaused)
  return parts.length === 0 ? words.tooltipIdle : words.tooltip(parts.join(words.separator))
}

export function trayModel({ state, windowVisible, language }: TrayInputs): TrayModel {
  const words = desktopStrings(language).tray
  const active = activeTasks(state)
  const menu: TrayMenuItem[] = [{ type: 'item', label: windowVisible ? words.hide : words.show, enabled: true, action: { kind: 'toggle-window' } }]
  menu.push({ type: 'item', label: words.newTask, enabled: true, action: { kind: 'quick-add' } }, { type: 'separator' })

  if (active.length === 0) menu.push({ type: 'item', label: words.noRunning, enabled: false, action: null })
  for (const task of active.slice(0, MAX_RUNNING_LISTED)) {
    const label = `${task.status === 'paused' ? '⏸ ' : ''}${shortLabel(task.name)}`
    menu.push({
      type: 'submenu',
      label,
      items: [
        { type: 'item', label: words.open, enabled: true, action: { kind: 'open-task', taskId: task.id } },
        { type: 'item', label: words.cancel, enabled: true, action: { kind: 'cancel-task', taskId: task.id } },
      ],
    })
  }
  if (active.length > MAX_RUNNING_LISTED) {
    menu.push({ type: 'item', label: words.andMore(active.length - MAX_RUNNING_LISTED), enabled: true, action: { kind: 'show-window' } })
  }
  menu.push({ type: 'separator' })
  menu.push(
    state.enginePaused
      ? { type: 'item', label: words.resumeAll, enabled: true, action: { kind: 'resume-all' } }
      : { type: 'item', label: words.pauseAll, enabled: true, action: { kind: 'pause-all' } },
  )

  if (state.recentFailures.length > 0) {
    menu.push({
      type: 'submenu',
      label: words.lastFailures(state.unseenFailures),
      items: state.recentFailures.map((f) => ({ type: 'item', label: shortLabel(f.name), enabled: true, action: { kind: 'open-task', taskId: f.taskId } })),
    })
  }

  const favourites = state.settings.favourites
  menu.push({
    type: 'submenu',
    label: words.runFavourite,
    items:
      favourites.length === 0
        ? [{ type: 'item', label: words.noFavourites, enabled: false, action: null }]
        : favourites.map((taskId, index) => {
            const task = state.tasks.get(taskId)
            return {
              type: 'item',
              label: `${index + 1}. ${task ? shortLabel(task.name) : words.removedTask(taskId)}`,
              enabled: task !== undefined,
              action: { kind: 'run-favourite', taskId },
            }
          }),
  })
  menu.push({ type: 'separator' }, { type: 'item', label: words.quit, enabled: true, action: { kind: 'quit' } })
  return { icon: trayIconState(state), tooltip: trayTooltip(state, language), menu }
}
