import { filter, map, scan, type Observable, type SchedulerLike, asyncScheduler } from 'rxjs'

/** What a keydown carries into the keymap; built from a DOM KeyboardEvent at the edge. */
export interface KeyPress {
  key: string
  ctrl: boolean
  meta: boolean
  alt: boolean
  shift: boolean
  repeat: boolean
  /** Focus is in a text field: single-key shortcuts must not steal typing. */
  inEditable: boolean
  /** The DOM event, so the edge can preventDefault when a command fired. */
  source?: { preventDefault(): void }
}

export const COMMAND_IDS = [
  'palette.open',
  'task.new',
  'nav.down',
  'nav.up',
  'nav.open',
  'nav.back',
  'nav.first',
  'nav.last',
  'select.toggle',
  'select.down',
  'select.up',
  'select.all',
  'task.cancel',
  'task.retry',
  'task.pause',
  'task.resume',
  'task.edit',
  'search.focus',
  'view.tasks',
  'view.loop',
  'view.dashboard',
  'view.workers',
  'view.triggers',
  'trigger.new',
  'view.settings',
  'engine.togglePause',
  'log.follow',
  'log.jump',
  'compare.next',
  'compare.previous',
  'help.shortcuts',
  'queue.retryLastFailed',
  'queue.followNewest',
  'group.pause',
  'group.resume',
] as const
export type CommandId = (typeof COMMAND_IDS)[number]

export interface KeymapEntry {
  command: CommandId
  /** "mod+k", "g t" (a chord: g, then t), "j", "ArrowDown", "shift+?" */
  binding: string
  /** Fires again while the key is held (navigation), instead of once (actions). */
  repeatable?: boolean
  /** Fires even while typing in a text field. */
  inEditable?: boolean
}

/** The one declarative keymap: the palette, tooltips, Settings and the key stream all read it. */
export const DEFAULT_KEYMAP: readonly KeymapEntry[] = [
  { command: 'palette.open', binding: 'mod+k', inEditable: true },
  { command: 'task.new', binding: 'mod+n', inEditable: true },
  { command: 'task.new', binding: 'n' },
  { command: 'nav.down', binding: 'j', repeatable: true },
  { command: 'nav.down', binding: 'ArrowDown', repeatable: true },
  { command: 'nav.up', binding: 'k', repeatable: true },
  { command: 'nav.up', binding: 'ArrowUp', repeatable: true },
  { command: 'nav.first', binding: 'g g' },
  { command: 'nav.last', binding: 'G' },
  { command: 'nav.open', binding: 'Enter' },
  { command: 'nav.back', binding: 'Escape', inEditable: true },
  { command: 'select.toggle', binding: 'x' },
  { command: 'select.down', binding: 'J', repeatable: true },
  { command: 'select.down', binding: 'shift+ArrowDown', repeatable: true },
  { command: 'select.up', binding: 'K', repeatable: true },
  { command: 'select.up', binding: 'shift+ArrowUp', repeatable: true },
  { command: 'select.all', binding: 'mod+a' },
  { command: 'task.cancel', binding: 'c' },
  { command: 'task.retry', binding: 'r' },
  { command: 'task.pause', binding: 'p' },
  { command: 'task.resume', binding: 'u' },
  { command: 'task.edit', binding: 'e' },
  { command: 'search.focus', binding: '/' },
  { command: 'view.tasks', binding: 'g t' },
  { command: 'view.loop', binding: 'g l' },
  { command: 'view.dashboard', binding: 'g d' },
  { command: 'view.workers', binding: 'g w' },
  { command: 'view.triggers', binding: 'g r' },
  { command: 'trigger.new', binding: 'T' },
  { command: 'view.settings', binding: 'g s' },
  { command: 'engine.togglePause', binding: 'shift+P' },
  { command: 'log.follow', binding: 'f' },
  { command: 'log.jump', binding: ':' },
  { command: 'compare.next', binding: ']', repeatable: true },
  { command: 'compare.previous', binding: '[', repeatable: true },
  { command: 'help.shortcuts', binding: '?' },
  { command: 'queue.retryLastFailed', binding: 'R' },
  { command: 'queue.followNewest', binding: 'F' },
  { command: 'group.pause', binding: 'alt+p' },
  { command: 'group.resume', binding: 'alt+u' },
]

/**
 * The keymap with the user's overrides (Settings.keymap: command → binding) applied:
 * an overridden command keeps only its new binding, and "" leaves it without one.
 */
export function applyOverrides(base: readonly KeymapEntry[], overrides: Readonly<Record<string, string>>): KeymapEntry[] {
  const out: KeymapEntry[] = []
  const done = new Set<string>()
  for (const entry of base) {
    const override = overrides[entry.command]
    if (override === undefined) out.push(entry)
    else if (!done.has(entry.command)) {
      done.add(entry.command)
      if (override !== '') out.push({ ...entry, binding: override })
    }
  }
  return out
}

/**
 * One stroke as written in bindings. A printable character stands for itself ("G", "?"),
 * shift being implied by the character; with another modifier, or for a named key
 * (Enter, ArrowDown), the modifiers are spelled out: "mod+k", "mod+shift+k", "shift+Enter".
 */
export function strokeOf(press: Pick<KeyPress, 'key' | 'ctrl' | 'meta' | 'alt' | 'shift'>, isMac: boolean): string {
  const mods: string[] = []
  if (isMac ? press.meta : press.ctrl) mods.push('mod')
  if (isMac && press.ctrl) mods.push('ctrl')
  if (!isMac && press.meta) mods.push('meta')
  if (press.alt) mods.push('alt')
  const printable = press.key.length === 1 && press.key !== ' '
  if (printable && mods.length === 0) return press.key
  if (press.shift) mods.push('shift')
  return [...mods, printable ? press.key.toLowerCase() : press.key].join('+')
}

const MODIFIER_ORDER = ['mod', 'ctrl', 'meta', 'alt', 'shift']

/** Normalises a binding as a user may type it ("Ctrl+K", "shift+p", "g t") to strokes. */
export function normaliseBinding(binding: string): string[] {
  return binding
    .trim()
    .split(/\s+/)
    .map((stroke) => {
      const parts = stroke.length > 1 && stroke.endsWith('+') ? [...stroke.slice(0, -2).split('+'), '+'] : stroke.split('+')
      const key = parts.pop() ?? ''
      const mods = parts.map((m) => m.toLowerCase()).map((m) => (m === 'cmd' || m === 'control' || m === 'ctrl' ? 'mod' : m))
      mods.sort((a, b) => MODIFIER_ORDER.indexOf(a) - MODIFIER_ORDER.indexOf(b))
      const printable = key.length === 1 && key !== ' '
      if (printable) {
        const others = mods.filter((m) => m !== 'shift')
        if (others.length === 0) return mods.includes('shift') ? key.toUpperCase() : key
        return [...mods, key.toLowerCase()].join('+')
      }
      return [...mods, key].join('+')
    })
}

export interface KeyCommand {
  command: CommandId
  repeat: boolean
  press: KeyPress
}

export interface KeymapOptions {
  isMac?: boolean
  /** How long the first stroke of a chord waits for the second. */
  chordTimeoutMs?: number
  scheduler?: SchedulerLike
}

interface ChordState {
  pending: string | null
  pendingAt: number
  emit: KeyCommand | null
}

/**
 * keydown$ → commands. Handles chords ("g" then "t" within the timeout), key repeat
 * (only navigation repeats; an action never fires twice from a held key), and text
 * fields (only bindings marked inEditable fire there).
 */
export function keyCommands$(keys$: Observable<KeyPress>, keymap: readonly KeymapEntry[], options: KeymapOptions = {}): Observable<KeyCommand> {
  const isMac = options.isMac ?? false
  const timeout = options.chordTimeoutMs ?? 1000
  const scheduler = options.scheduler ?? asyncScheduler
  const table = keymap.map((entry) => ({ entry, strokes: normaliseBinding(entry.binding) }))
  const chordStarts = new Set(table.filter((t) => t.strokes.length > 1).map((t) => t.strokes[0]))

  const find = (strokes: string[], press: KeyPress) =>
    table.find(
      (t) =>
        t.strokes.length === strokes.length &&
        t.strokes.every((s, i) => s === strokes[i]) &&
        (!press.inEditable || t.entry.inEditable === true) &&
        (!press.repeat || t.entry.repeatable === true),
    )

  return keys$.pipe(
    filter((press) => !['Shift', 'Control', 'Alt', 'Meta'].includes(press.key)),
    scan<KeyPress, ChordState>(
      (state, press) => {
        const now = scheduler.now()
        const stroke = strokeOf(press, isMac)
        const pending = state.pending !== null && now - state.pendingAt <= timeout && !press.inEditable ? state.pending : null
        if (pending !== null) {
          const chord = find([pending, stroke], press)
          if (chord) return { pending: null, pendingAt: 0, emit: { command: chord.entry.command, repeat: press.repeat, press } }
        }
        if (!press.inEditable && !press.repeat && chordStarts.has(stroke)) return { pending: stroke, pendingAt: now, emit: null }
        const single = find([stroke], press)
        return { pending: null, pendingAt: 0, emit: single ? { command: single.entry.command, repeat: press.repeat, press } : null }
      },
      { pending: null, pendingAt: 0, emit: null },
    ),
    map((state) => state.emit),
    filter((command): command is KeyCommand => command !== null),
  )
}

/** How a binding is shown to people: "Ctrl+K", "⌘K", "G then T". */
export function displayBinding(binding: string, isMac: boolean): string {
  return normaliseBinding(binding)
    .map((stroke) =>
      stroke
        .split('+')
        .map((part) => {
          if (part === 'mod') return isMac ? '⌘' : 'Ctrl'
          if (part === 'shift') return isMac ? '⇧' : 'Shift'
          if (part === 'alt') return isMac ? '⌥' : 'Alt'
          if (part === 'ArrowDown') return '↓'
          if (part === 'ArrowUp') return '↑'
          if (part === 'Escape') return 'Esc'
          if (part === 'Enter') return '↵'
          return part.length === 1 ? part.toUpperCase() === part && /[A-Z]/.test(part) ? `⇧${part}` : part.toUpperCase() : part
        })
        .join(isMac ? '' : '+'),
    )
    .join(' ')
}
