import { SettingsSchema } from './settings.ts'
import { DEFAULT_GLOBAL_SHORTCUTS, FAVOURITE_SHORTCUT_IDS } from './decisions/shortcuts.ts'

/**
 * Favourites 1–9 (`settings.favourites`): task ids whose definition the tray and the global
 * shortcuts run again as a fresh copy (src-main/desktop). Changes are whole lists (the UI and
 * `taskdeck favourite` send them with settings.set, which replaces the list whole), checked
 * with the contract's schema before settings.set sends them.
 */
export type FavouriteChange = { ok: true; favourites: number[] } | { ok: false; problem: 'full' | 'duplicate' | 'unknown' | 'invalid' }

const FAVOURITES = SettingsSchema.shape.favourites
export const MAX_FAVOURITES = 9

const checked = (favourites: number[]): FavouriteChange => (FAVOURITES.safeParse(favourites).success ? { ok: true, favourites } : { ok: false, problem: 'invalid' })

/** Adds a task at the end; `exists` says whether the task is known (a favourite of a removed task would do nothing). */
export function addFavourite(favourites: readonly number[], taskId: number, exists: (id: number) => boolean): FavouriteChange {
  if (!Number.isInteger(taskId) || taskId <= 0) return { ok: false, problem: 'invalid' }
  if (favourites.includes(taskId)) return { ok: false, problem: 'duplicate' }
  if (favourites.length >= MAX_FAVOURITES) return { ok: false, problem: 'full' }
  if (!exists(taskId)) return { ok: false, problem: 'unknown' }
  return checked([...favourites, taskId])
}

export function removeFavourite(favourites: readonly number[], taskId: number): number[] {
  return favourites.filter((id) => id !== taskId)
}

/** Moves the favourite at `index` up (-1) or down (+1); the ends stay put. */
export function moveFavourite(favourites: readonly number[], index: number, delta: -1 | 1): number[] {
  const to = index + delta
  if (index < 0 || index >= favourites.length || to < 0 || to >= favourites.length) return [...favourites]
  const next = [...favourites]
  ;[next[index], next[to]] = [next[to]!, next[index]!]
  return next
}

/** Moves a favourite to `position` (0-based), the others keeping their order; the list unchanged when it is not one. */
export function moveFavouriteTo(favourites: readonly number[], taskId: number, position: number): number[] {
  const rest = favourites.filter((id) => id !== taskId)
  if (rest.length === favourites.length || position < 0 || position > rest.length) return [...favourites]
  return [...rest.slice(0, position), taskId, ...rest.slice(position)]
}

/** The global shortcut that runs favourite `index` (0-based), as the user set it ("" when turned off). */
export function favouriteAccelerator(index: number, overrides: Readonly<Record<string, string>>): string {
  const id = FAVOURITE_SHORTCUT_IDS[index]
  if (id === undefined) return ''
  return overrides[id] ?? DEFAULT_GLOBAL_SHORTCUTS[id] ?? ''
}

/** An Electron accelerator as people read it: "CommandOrControl+Alt+1" is "Ctrl+Alt+1", or "⌘⌥1" on a Mac. */
export function displayAccelerator(accelerator: string, isMac: boolean): string {
  if (accelerator === '') return ''
  const mac: Record<string, string> = { commandorcontrol: '⌘', cmdorctrl: '⌘', command: '⌘', cmd: '⌘', control: '⌃', ctrl: '⌃', alt: '⌥', option: '⌥', shift: '⇧', super: '⌘', meta: '⌘' }
  const other: Record<string, string> = { commandorcontrol: 'Ctrl', cmdorctrl: 'Ctrl', control: 'Ctrl', ctrl: 'Ctrl', command: 'Cmd', cmd: 'Cmd', option: 'Alt', super: 'Super', meta: 'Meta' }
  const parts = accelerator.split('+').map((part) => (isMac ? mac : other)[part.toLowerCase()] ?? part)
  return parts.join(isMac ? '' : '+')
}
