import type { DesktopState } from './desktopState.ts'
import type { DesktopIntent } from './intents.ts'
import type { DesktopAction } from './tray.ts'

/**
 * The application menu, as data. Its accelerators show the renderer's keymap (mod+n new
 * task, shift+P pause all) but are not registered by the menu (`registerAccelerator:
 * false`): the keymap in the page handles those keys, so a key press never acts twice.
 */
export type MenuRole =
  | 'about' | 'services' | 'hide' | 'hideOthers' | 'unhide' | 'quit'
  | 'undo' | 'redo' | 'cut' | 'copy' | 'paste' | 'selectAll'
  | 'reload' | 'toggleDevTools' | 'resetZoom' | 'zoomIn' | 'zoomOut' | 'togglefullscreen'
  | 'minimize' | 'close' | 'zoom' | 'front'

export type AppMenuCommand = DesktopAction | { kind: 'intent'; intent: DesktopIntent } | { kind: 'open-external'; url: string }

export type AppMenuItem =
  | { type: 'separator' }
  | { type: 'role'; role: MenuRole }
  | { type: 'command'; label: string; command: AppMenuCommand; accelerator?: string; registerAccelerator?: boolean }

export interface AppMenuSection {
  label: string
  /** `appMenu` on macOS is the one named after the app. */
  role?: 'appMenu' | 'fileMenu' | 'editMenu' | 'viewMenu' | 'windowMenu' | 'help'
  items: AppMenuItem[]
}

export const PROJECT_URL = 'https://github.com/taskdeck/taskdeck'

const sep: AppMenuItem = { type: 'separator' }
const role = (r: MenuRole): AppMenuItem => ({ type: 'role', role: r })
const view = (label: string, v: 'tasks' | 'loop' | 'dashboard' | 'settings', accelerator?: string): AppMenuItem => ({
  type: 'command',
  label,
  command: { kind: 'intent', intent: { kind: 'open-view', view: v } },
  ...(accelerator ? { accelerator, registerAccelerator: false } : {}),
})

export function appMenuModel(options: { platform: string; isDev: boolean; state: DesktopState }): AppMenuSection[] {
  const isMac = options.platform === 'darwin'
  const pauseItem: AppMenuItem = options.state.enginePaused
    ? { type: 'command', label: 'Resume All Tasks', command: { kind: 'resume-all' }, accelerator: 'Shift+P', registerAccelerator: false }
    : { type: 'command', label: 'Pause All Tasks', command: { kind: 'pause-all' }, accelerator: 'Shift+P', registerAccelerator: false }
  const sections: AppMenuSection[] = []
  if (isMac) {
    sections.push({
      label: 'Taskdeck',
      role: 'appMenu',
      items: [role('about'), sep, view('Settings…', 'settings', 'CommandOrControl+,'), sep, role('services'), sep, role('hide'), role('hideOthers'), role('unhide'), sep, { type: 'command', label: 'Quit Taskdeck', command: { kind: 'quit' }, accelerator: 'CommandOrControl+Q' }],
    })
  }
  sections.push({
    label: '&File',
    role: 'fileMenu',
    items: [
      { type: 'command', label: 'New Task…', command: { kind: 'quick-add' }, accelerator: 'CommandOrControl+N', registerAccelerator: false },
      pauseItem,
      ...(isMac ? [sep, role('close')] : [sep, view('Settings…', 'settings'), sep, { type: 'command', label: 'Quit', command: { kind: 'quit' }, accelerator: 'CommandOrControl+Q' } satisfies AppMenuItem]),
    ],
  })
  sections.push({ label: '&Edit', role: 'editMenu', items: [role('undo'), role('redo'), sep, role('cut'), role('copy'), role('paste'), role('selectAll')] })
  sections.push({
    label: '&View',
    role: 'viewMenu',
    items: [
      view('Tasks', 'tasks'),
      view('Event Loop', 'loop'),
      view('Dashboard', 'dashboard'),
      sep,
      role('reload'),
      ...(options.isDev ? [role('toggleDevTools')] : []),
      sep,
      role('resetZoom'),
      role('zoomIn'),
      role('zoomOut'),
      sep,
      role('togglefullscreen'),
    ],
  })
  sections.push({ label: '&Window', role: 'windowMenu', items: isMac ? [role('minimize'), role('zoom'), sep, role('front')] : [role('minimize'), role('close')] })
  sections.push({ label: '&Help', role: 'help', items: [{ type: 'command', label: 'Taskdeck on GitHub', command: { kind: 'open-external', url: PROJECT_URL } }] })
  return sections
}
