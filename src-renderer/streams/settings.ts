import { distinctUntilChanged, filter, map, type Observable } from 'rxjs'
import { COMMANDS, type CommandInput, type Group, type MachineCondition, type Settings, type WhenUnmet } from '../../src-shared/index.ts'
import type { Intent } from './intents.ts'
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

/**
 * A group's parallel count as an intent. Its key is the count's own: an edit of the group's
 * conditions in flight neither drops it nor is dropped by it (intents of one key are exclusive).
 */
export function groupParallelIntent(name: string, parallel: number, label: string): Intent<'group.set'> {
  return { command: 'group.set', params: { name, parallel }, key: `group.set:${name}`, label }
}

/**
 * A group's machine conditions as an intent, checked with `group.set`'s own schema (a message
 * naming the problem when it fails). It sends no `parallel` (absent: unchanged), so it cannot undo
 * a limit committed meanwhile, and create: false, so a group removed meanwhile is not made again.
 */
export function groupConditionsIntent(
  group: Pick<Group, 'name'>,
  wanted: { onlyWhen: MachineCondition[]; whenUnmet: WhenUnmet },
  label: string,
): { intent: Intent<'group.set'> } | { problem: string } {
  const checked = COMMANDS['group.set'].params.safeParse({ name: group.name, create: false, ...wanted } satisfies CommandInput<'group.set'>)
  if (!checked.success) return { problem: checked.error.issues[0]?.message ?? 'invalid' }
  return { intent: { command: 'group.set', params: checked.data, key: `group.conditions:${group.name}`, label } }
}

/**
 * A change of a group's rules (what a failure does, its rate limit; rate null removes it) as an intent, checked with
 * `group.set`'s own schema. Each rule has its own key, so a change of one in flight neither drops the other nor is
 * dropped by it; like the conditions, it sends no `parallel` and create: false.
 */
export function groupRulesIntent(
  group: Pick<Group, 'name'>,
  change: Pick<CommandInput<'group.set'>, 'onFailure' | 'rate'>,
  label: string,
): { intent: Intent<'group.set'> } | { problem: string } {
  const checked = COMMANDS['group.set'].params.safeParse({ name: group.name, create: false, ...change } satisfies CommandInput<'group.set'>)
  if (!checked.success) return { problem: checked.error.issues[0]?.message ?? 'invalid' }
  return { intent: { command: 'group.set', params: checked.data, key: `group.${'rate' in change ? 'rate' : 'onFailure'}:${group.name}`, label } }
}
