import type { DesktopState } from './desktopState.ts'
import type { ShortcutProblem } from './intents.ts'
import type { Language } from './language.ts'
import { desktopStrings } from './strings.ts'
import type { DesktopAction } from './tray.ts'

/**
 * Global (system-wide) shortcuts: their defaults, the user's overrides from
 * `settings.globalShortcuts`, what each does, and what to tell the user when one cannot
 * be registered. Accelerators use Electron's syntax ("CommandOrControl+Alt+T").
 */
export const FAVOURITE_SHORTCUT_IDS = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `favourite-${n}`)
export const GLOBAL_SHORTCUT_IDS = ['toggle-window', 'quick-add', 'pause-resume-all', ...FAVOURITE_SHORTCUT_IDS] as const
export type GlobalShortcutId = string

export const DEFAULT_GLOBAL_SHORTCUTS: Readonly<Record<string, string>> = {
  'toggle-window': 'CommandOrControl+Alt+T',
  'quick-add': 'CommandOrControl+Alt+N',
  'pause-resume-all': 'CommandOrControl+Alt+P',
  ...Object.fromEntries(FAVOURITE_SHORTCUT_IDS.map((id, i) => [id, `CommandOrControl+Alt+${i + 1}`])),
}

/** What each global shortcut is called, in `language`. */
export function shortcutTitles(language: Language): Readonly<Record<string, string>> {
  const words = desktopStrings(language).shortcuts
  return { ...words.titles, ...Object.fromEntries(FAVOURITE_SHORTCUT_IDS.map((id, i) => [id, words.favourite(i + 1)])) }
}

export const SHORTCUT_TITLES: Readonly<Record<string, string>> = shortcutTitles('en')

const MODIFIERS = new Set(
  ['Command', 'Cmd', 'Control', 'Ctrl', 'CommandOrControl', 'CmdOrCtrl', 'Alt', 'Option', 'AltGr', 'Shift', 'Super', 'Meta'].map((m) => m.toLowerCase()),
)
const NAMED_KEYS = new Set(
  [
    'Plus', 'Space', 'Tab', 'Capslock', 'Numlock', 'Scrolllock', 'Backspace', 'Delete', 'Insert', 'Return', 'Enter',
    'Up', 'Down', 'Left', 'Right', 'Home', 'End', 'PageUp', 'PageDown', 'Escape', 'Esc', 'PrintScreen',
    'VolumeUp', 'VolumeDown', 'VolumeMute', 'MediaNextTrack', 'MediaPreviousTrack', 'MediaStop', 'MediaPlayPause',
    'num0', 'num1', 'num2', 'num3', 'num4', 'num5', 'num6', 'num7', 'num8', 'num9',
    'numdec', 'numadd', 'numsub', 'nummult', 'numdiv',
  ].map((k) => k.toLowerCase()),
)
const SINGLE_KEY = /^[A-Za-z0-9)!@#$%^&*(:;<=>?_~{}|[\]\\'",./`-]$/
const FUNCTION_KEY = /^F([1-9]|1[0-9]|2[0-4])$/i

/** Why an accelerator is malformed, in `language`, or null when Electron will accept its syntax. */
export function acceleratorProblem(accelerator: string, language: Language): string | null {
  const words = desktopStrings(language).shortcuts
  const parts = accelerator.split('+')
  // "CommandOrControl++" would split into an empty key; Electron spells that key "Plus".
  if (parts.some((p) => p === '')) return words.emptyPart
  const key = parts[parts.length - 1] ?? ''
  const modifiers = parts.slice(0, -1)
  const unknown = modifiers.find((m) => !MODIFIERS.has(m.toLowerCase()))
  if (unknown !== undefined) return words.notModifier(unknown)
  if (new Set(modifiers.map((m) => m.toLowerCase())).size !== modifiers.length) return words.repeatsModifier
  if (!(SINGLE_KEY.test(key) || FUNCTION_KEY.test(key) || NAMED_KEYS.has(key.toLowerCase()))) return words.notKey(key)
  // A global shortcut without a modifier would steal a plain key from every other app.
  if (modifiers.length === 0 && !FUNCTION_KEY.test(key)) return words.needsModifier
  return null
}

/**
 * A canonical form for comparing bindings on one platform: "Ctrl+Alt+t", "Control+Alt+T"
 * and (off macOS) "CommandOrControl+Alt+T" collide.
 */
export function normaliseAccelerator(accelerator: string, platform: string): string {
  const commandOrControl = platform === 'darwin' ? 'command' : 'control'
  const aliases: Record<string, string> = {
    cmd: 'command',
    ctrl: 'control',
    cmdorctrl: commandOrControl,
    commandorcontrol: commandOrControl,
    option: 'alt',
    esc: 'escape',
    return: 'enter',
  }
  const parts = accelerator.split('+').map((p) => aliases[p.toLowerCase()] ?? p.toLowerCase())
  const key = parts.pop() ?? ''
  return [...parts.sort(), key].join('+')
}

export interface ShortcutBinding {
  id: string
  accelerator: string
}

export interface ShortcutPlan {
  /** What to hand to `globalShortcut.register`, in order. */
  register: ShortcutBinding[]
  /** Bindings refused before registering. */
  problems: ShortcutProblem[]
}

/** Defaults merged with overrides ("" disables one), checked for syntax and for clashes among themselves; problems said in `language`. */
export function planShortcuts(overrides: Readonly<Record<string, string>>, platform: string, language: Language): ShortcutPlan {
  const words = desktopStrings(language).shortcuts
  const titles = shortcutTitles(language)
  const problems: ShortcutProblem[] = []
  for (const id of Object.keys(overrides)) {
    if (!Object.hasOwn(DEFAULT_GLOBAL_SHORTCUTS, id)) {
      problems.push({ id: id.slice(0, 64), accelerator: String(overrides[id]).slice(0, 128), problem: 'unknown-id', message: words.unknownId(id.slice(0, 64)) })
    }
  }
  const register: ShortcutBinding[] = []
  const owners = new Map<string, string>()
  for (const id of GLOBAL_SHORTCUT_IDS) {
    const accelerator = Object.hasOwn(overrides, id) ? (overrides[id] ?? '') : (DEFAULT_GLOBAL_SHORTCUTS[id] ?? '')
    if (accelerator === '') continue
    const syntax = acceleratorProblem(accelerator, language)
    if (syntax !== null) {
      problems.push({ id, accelerator, problem: 'invalid', message: words.invalid(accelerator, syntax) })
      continue
    }
    const key = normaliseAccelerator(accelerator, platform)
    const owner = owners.get(key)
    if (owner !== undefined) {
      problems.push({ id, accelerator, problem: 'duplicate', message: words.duplicate(accelerator, words.named(titles[owner] ?? owner)) })
      continue
    }
    owners.set(key, id)
    register.push({ id, accelerator })
  }
  return { register, problems }
}

/** A shortcut trigger (src-main/triggers): pressing it runs a saved task. */
export interface TriggerShortcut {
  triggerId: number
  accelerator: string
  name: string
}

export const triggerShortcutId = (triggerId: number): string => `trigger-${triggerId}`
export const isTriggerShortcutId = (id: string): boolean => /^trigger-[0-9]+$/.test(id)

function shortcutTitle(id: string, triggers: readonly TriggerShortcut[], language: Language): string {
  const words = desktopStrings(language).shortcuts
  const trigger = triggers.find((t) => triggerShortcutId(t.triggerId) === id)
  return trigger ? words.trigger(trigger.name) : words.named(shortcutTitles(language)[id] ?? id)
}

/**
 * The app's own shortcuts first (they are part of the product), then the user's shortcut
 * triggers; a trigger whose chord the app already uses is reported, not registered.
 */
export function planAllShortcuts(overrides: Readonly<Record<string, string>>, triggers: readonly TriggerShortcut[], platform: string, language: Language): ShortcutPlan {
  const words = desktopStrings(language).shortcuts
  const { register, problems } = planShortcuts(overrides, platform, language)
  const owners = new Map(register.map((b) => [normaliseAccelerator(b.accelerator, platform), b.id]))
  for (const trigger of triggers) {
    const id = triggerShortcutId(trigger.triggerId)
    const syntax = acceleratorProblem(trigger.accelerator, language)
    if (syntax !== null) {
      problems.push({ id, accelerator: trigger.accelerator, problem: 'invalid', message: words.invalid(trigger.accelerator, syntax) })
      continue
    }
    const key = normaliseAccelerator(trigger.accelerator, platform)
    const owner = owners.get(key)
    if (owner !== undefined) {
      problems.push({
        id,
        accelerator: trigger.accelerator,
        problem: 'duplicate',
        message: words.triggerDuplicate(trigger.accelerator, shortcutTitle(owner, triggers, language), trigger.name),
      })
      continue
    }
    owners.set(key, id)
    register.push({ id, accelerator: trigger.accelerator })
  }
  return { register, problems }
}

/** `globalShortcut.register` returned false: another application owns the keys. */
export function takenProblem(binding: ShortcutBinding, triggers: readonly TriggerShortcut[], language: Language): ShortcutProblem {
  return {
    id: binding.id,
    accelerator: binding.accelerator,
    problem: 'taken',
    message: desktopStrings(language).shortcuts.taken(binding.accelerator, shortcutTitle(binding.id, triggers, language)),
  }
}

/** Electron threw on `register`: the syntax check passed, but this system cannot use the accelerator. */
export function notUnderstoodProblem(binding: ShortcutBinding, language: Language): ShortcutProblem {
  return { ...binding, problem: 'invalid', message: desktopStrings(language).shortcuts.notUnderstood(binding.accelerator) }
}

/** What a global shortcut does, given the current state (favourites, paused or not). */
export function shortcutAction(id: string, state: DesktopState): DesktopAction | null {
  switch (id) {
    case 'toggle-window':
      return { kind: 'toggle-window' }
    case 'quick-add':
      return { kind: 'quick-add' }
    case 'pause-resume-all':
      return state.enginePaused ? { kind: 'resume-all' } : { kind: 'pause-all' }
    default: {
      const match = /^favourite-([1-9])$/.exec(id)
      const taskId = match ? state.settings.favourites[Number(match[1]) - 1] : undefined
      return taskId === undefined ? null : { kind: 'run-favourite', taskId }
    }
  }
}
