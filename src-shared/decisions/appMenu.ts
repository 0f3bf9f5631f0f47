import type { DesktopState } from './desktopState.ts'
import type { DesktopIntent } from './intents.ts'
import type { DesktopAction } from './tray.ts'

/**
 * The application menu, as data. Its accelerators show the renderer's keymap (mod+n new
 * task, shift+P pause all, or the user's rebinding in settings.keymap) but are not
 * registered by the menu (`registerAccelerator: false`): the keymap in the page handles
 * those keys, so a key press never acts twice.
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

/** The renderer keymap's defaults for the commands the menu shows (src-renderer/streams/keymap.ts). */
const KEYMAP_DEFAULTS: Readonly<Record<string, string>> = { 'task.new': 'mod+n', 'engine.togglePause': 'shift+P' }

/**
 * A keymap binding ("mod+shift+k", "shift+P") as an Electron accelerator, or null when the
 * menu cannot show it (a chord such as "g t", or a key Electron has no name for).
 */
export function bindingToAccelerator(binding: string): string | null {
  if (binding.includes(' ')) return null
  const parts = binding.split('+')
  const key = parts.pop() ?? ''
  const modifiers: Record<string, string> = { mod: 'CommandOrControl', ctrl: 'Control', meta: 'Super', alt: 'Alt', shift: 'Shift' }
  const mapped = parts.map((p) => modifiers[p.toLowerCase()])
  if (mapped.some((m) => m === undefined) || key === '') return null
  const named: Record<string, string> = { enter: 'Enter', escape: 'Escape', arrowup: 'Up', arrowdown: 'Down', arrowleft: 'Left', arrowright: 'Right', ' ': 'Space' }
  const electronKey = key.length === 1 ? key.toUpperCase() : (named[key.toLowerCase()] ?? (/^F([1-9]|1[0-9]|2[0-4])$/.test(key) ? key : null))
  return electronKey === null ? null : [...(mapped as string[]), electronKey].join('+')
}

/** The accelerator the menu shows for a keymap command, following the user's overrides. */
function shownAccelerator(command: string, keymap: Readonly<Record<string, string>>): { accelerator?: string; registerAccelerator?: boolean } {
  const accelerator = bindingToAccelerator(keymap[command] ?? KEYMAP_DEFAULTS[command] ?? '')
  return accelerator === null ? {} : { accelerator, registerAccelerator: false }
}

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
  const { keymap } = options.state.settings
  const pauseItem: AppMenuItem = options.state.enginePaused
    ? { type: 'command', label: 'Resume All Tasks', command: { kind: 'resume-all' }, ...shownAccelerator('engine.togglePause', keymap) }
    : { type: 'command', label: 'Pause All Tasks', command: { kind: 'pause-all' }, ...shownAccelerator('engine.togglePause', keymap) }
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
      { type: 'command', label: 'New Task…', command: { kind: 'quick-add' }, ...shownAccelerator('task.new', keymap) },
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
