import { SettingsSchema } from './settings.ts'
import { DEFAULT_GLOBAL_SHORTCUTS, FAVOURITE_SHORTCUT_IDS } from './decisions/shortcuts.ts'

/**
 * Favourites 1–9 (`settings.favourites`): task ids whose definition the tray and the global
 * shortcuts run again as a fresh copy (src-main/desktop). Changes are whole lists (the UI and
 * `taskdeck favourite` send them with settings.set, which replaces the list whole), checked
 * with the contract's schema before settings.set sends them, with the list they were made from
 * as `expect.favourites` (changeFavourites), so a change another client made meanwhile is not lost.
 */
export type FavouriteProblem = 'full' | 'duplicate' | 'unknown' | 'invalid' | 'absent'
export type FavouriteChange = { ok: true; favourites: number[] } | { ok: false; problem: FavouriteProblem }

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

/** What writing a changed list came to: saved (the list as saved), refused because the list had changed (the list now), or failed otherwise. */
export type FavouritesWrite<F> = { saved: number[] } | { changed: number[] } | { failed: F }

export type FavouritesOutcome<F> =
  /** Saved; `retried` when the first write found the list changed and the change was applied again to the list then. */
  | { kind: 'saved'; favourites: number[]; retried: boolean }
  /** The change cannot be made to the list (as it is now, after a retry): nothing was written. */
  | { kind: 'refused'; problem: FavouriteProblem; favourites: number[] }
  /** The list changed again while the change was applied once more: nothing was written; `favourites` is the list now. */
  | { kind: 'changed'; favourites: number[] }
  | { kind: 'failed'; failure: F }

/**
 * A compare-and-set of the favourites: `change` applied to the list `read`, written with that list as the expectation
 * (settings.set's `expect.favourites`); when another client changed the list meanwhile, `change` is applied once more
 * to the list then and written with that one. A second change meanwhile is reported (`changed`), not retried again:
 * someone else is editing the list at the same moment, and the user should see it as it is before deciding.
 */
export async function changeFavourites<F>(
  read: readonly number[],
  change: (favourites: readonly number[]) => FavouriteChange,
  write: (next: number[], expected: readonly number[]) => Promise<FavouritesWrite<F>>,
): Promise<FavouritesOutcome<F>> {
  let base = read
  for (let attempt = 0; ; attempt++) {
    const next = change(base)
    if (!next.ok) return { kind: 'refused', problem: next.problem, favourites: [...base] }
    const written = await write(next.favourites, base)
    if ('saved' in written) return { kind: 'saved', favourites: written.saved, retried: attempt > 0 }
    if ('failed' in written) return { kind: 'failed', failure: written.failed }
    if (attempt > 0) return { kind: 'changed', favourites: written.changed }
    base = written.changed
  }
}

/** The favourites as they are now, from settings.set's refusal of an `expect.favourites` that no longer held; null for any other error. */
export function favouritesOfConflict(error: { code: string; details?: Readonly<Record<string, unknown>> | undefined }): number[] | null {
  if (error.code !== 'conflict' || error.details?.setting !== 'favourites') return null
  const current = FAVOURITES.safeParse(error.details.current)
  return current.success ? current.data : null
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
