import type { DesktopState } from './desktopState.ts'
import type { DesktopIntent } from './intents.ts'
import type { Language } from './language.ts'
import { desktopStrings } from './strings.ts'
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
  /** Electron's roles come with English labels: each is given the user's language. */
  | { type: 'role'; role: MenuRole; label: string }
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
const view = (label: string, v: 'tasks' | 'loop' | 'dashboard' | 'settings', accelerator?: string): AppMenuItem => ({
  type: 'command',
  label,
  command: { kind: 'intent', intent: { kind: 'open-view', view: v } },
  ...(accelerator ? { accelerator, registerAccelerator: false } : {}),
})

export function appMenuModel(options: { platform: string; isDev: boolean; state: DesktopState; language: Language }): AppMenuSection[] {
  const words = desktopStrings(options.language).appMenu
  const role = (r: MenuRole): AppMenuItem => ({ type: 'role', role: r, label: words.roles[r] })
  const isMac = options.platform === 'darwin'
  const { keymap } = options.state.settings
  const pauseItem: AppMenuItem = options.state.enginePaused
    ? { type: 'command', label: words.resumeAll, command: { kind: 'resume-all' }, ...shownAccelerator('engine.togglePause', keymap) }
    : { type: 'command', label: words.pauseAll, command: { kind: 'pause-all' }, ...shownAccelerator('engine.togglePause', keymap) }
  const sections: AppMenuSection[] = []
  if (isMac) {
    sections.push({
      label: 'Taskdeck',
      role: 'appMenu',
      items: [role('about'), sep, view(words.settings, 'settings', 'CommandOrControl+,'), sep, role('services'), sep, role('hide'), role('hideOthers'), role('unhide'), sep, { type: 'command', label: words.quitApp, command: { kind: 'quit' }, accelerator: 'CommandOrControl+Q' }],
    })
  }
  sections.push({
    label: words.file,
    role: 'fileMenu',
    items: [
      { type: 'command', label: words.newTask, command: { kind: 'quick-add' }, ...shownAccelerator('task.new', keymap) },
      pauseItem,
      ...(isMac ? [sep, role('close')] : [sep, view(words.settings, 'settings'), sep, { type: 'command', label: words.quit, command: { kind: 'quit' }, accelerator: 'CommandOrControl+Q' } satisfies AppMenuItem]),
    ],
  })
  sections.push({ label: words.edit, role: 'editMenu', items: [role('undo'), role('redo'), sep, role('cut'), role('copy'), role('paste'), role('selectAll')] })
  sections.push({
    label: words.view,
    role: 'viewMenu',
    items: [
      view(words.tasks, 'tasks'),
      view(words.loop, 'loop'),
      view(words.dashboard, 'dashboard'),
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
  sections.push({ label: words.window, role: 'windowMenu', items: isMac ? [role('minimize'), role('zoom'), sep, role('front')] : [role('minimize'), role('close')] })
  sections.push({ label: words.help, role: 'help', items: [{ type: 'command', label: words.projectPage, command: { kind: 'open-external', url: PROJECT_URL } }] })
  return sections
}
