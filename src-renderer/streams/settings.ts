import { distinctUntilChanged, filter, map, type Observable } from 'rxjs'
import type { Settings } from '../../src-shared/index.ts'
import type { AppState } from './state.ts'

/**
 * The settings the folded states bring to the views, besides `settings.get` at start and the
 * Settings view's own saves (which `current` returns). A folded state speaks for the current
 * settings only when
 * - it is caught up: while a history is replayed, the states in between carry the settings of
 *   the past, and showing them would flash an older theme, language or keymap over the current
 *   one until the replay ends;
 * - and its settings come from a settings.changed newer than the seq `settings.get` said its
 *   answer reflects (`knownSeq`; Infinity until it answers): a catch-up that stalls looks caught
 *   up for a moment (no events for a while), and the settings of the history folded so far
 *   are still older than the ones shown.
 * A settings object with the same content as the current one is not news either: a replay
 * repeats settings.changed events, and each new object would re-render the whole shell.
 */
export function foldedSettings$(states$: Observable<AppState>, current: () => Settings, knownSeq: () => number): Observable<Settings> {
  return states$.pipe(
    filter((state) => !state.catchingUp && state.settingsSeq > knownSeq()),
    map((state) => state.settings),
    filter((settings): settings is Settings => settings !== null),
    distinctUntilChanged(),
    filter((settings) => JSON.stringify(settings) !== JSON.stringify(current())),
  )
}
