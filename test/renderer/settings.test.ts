import { map, tap } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS, type MachineCondition, type Settings } from '../../src-shared/index.ts'
import { runIntents$, type Invoke } from '../../src-renderer/streams/intents.ts'
import { foldedSettings$, groupConditionsIntent, groupParallelIntent } from '../../src-renderer/streams/settings.ts'
import { INITIAL_STATE, type AppState } from '../../src-renderer/streams/state.ts'

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
const light: Settings = { ...DEFAULT_SETTINGS, theme: 'light' }
const dark: Settings = { ...DEFAULT_SETTINGS, theme: 'dark' }
/** A folded state; its settings came from the settings.changed at `settingsSeq`. */
const state = (settings: Settings | null, catchingUp: boolean, settingsSeq = settings ? 1 : 0): AppState => ({ ...INITIAL_STATE, settings, catchingUp, settingsSeq })

describe('settings from the folded states', () => {
  it('never shows the settings of a replay in progress: an older theme in the history does not flash over the current one', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // settings.get answered dark; the replay passes an old light theme, then ends on dark.
      const current = dark
      const states$ = cold('a-b-c-d|', { a: state(null, true), b: state(light, true), c: state(dark, true), d: state(dark, false) })
      expectObservable(foldedSettings$(states$, () => current, () => 0)).toBe('-------|')
    })
  })

  it('takes a caught-up state whose settings differ from the current ones (a change made elsewhere), once', () => {
    scheduler().run(({ cold, expectObservable }) => {
      let current = light
      const changed = { ...dark }
      const states$ = cold('a-b-c|', { a: state(light, false), b: state(changed, false), c: state(changed, false) })
      // The model stores what comes out as the current settings.
      const out$ = foldedSettings$(states$, () => current, () => 0).pipe(tap((s) => (current = s)))
      expectObservable(out$).toBe('--b--|', { b: changed })
    })
  })

  it('a live change during a flood shows once the flood is caught up', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const states$ = cold('a-b-c|', { a: state(light, false), b: state(dark, true), c: state(dark, false) })
      expectObservable(foldedSettings$(states$, () => light, () => 0)).toBe('----c|', { c: dark })
    })
  })

  it('a catch-up that stalls looks caught up for a moment, but the history folded so far is older than what settings.get said', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // settings.get answered dark as of seq 100; the replay pauses at seq 40, past an old light theme (seq 3).
      const states$ = cold('a-b-c|', { a: state(light, true, 3), b: state(light, false, 3), c: state(dark, false, 100) })
      expectObservable(foldedSettings$(states$, () => dark, () => 100)).toBe('-----|')
    })
  })

  it('takes nothing before settings.get answers, then a live change made elsewhere after what it answered', () => {
    scheduler().run(({ cold, expectObservable }) => {
      let known = Infinity
      // The shown settings are dark. An old light theme (seq 3) is folded before settings.get answers (as of seq 100);
      // then someone switches to light elsewhere (seq 120).
      const states$ = cold('a-b-c|', { a: state(light, false, 3), b: state(light, false, 3), c: state(light, false, 120) })
      cold('-x|').subscribe(() => (known = 100))
      expectObservable(foldedSettings$(states$, () => dark, () => known)).toBe('----c|', { c: light })
    })
  })
})

describe("a group's conditions and its parallel count", () => {
  const label = 'Group not saved'
  const group = { name: 'nightly' }
  const conditions = (onlyWhen: MachineCondition[]) => {
    const built = groupConditionsIntent(group, { onlyWhen, whenUnmet: 'wait' }, label)
    if ('problem' in built) throw new Error(built.problem)
    return built.intent
  }

  it('are sent independently: neither is dropped while the other is in flight', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const invoke: Invoke = () => cold('---(r|)', { r: { ok: true, value: null } }) as never
      // Conditions asked for, a limit committed while they are in flight, then a checkbox while the limit is in flight.
      const intents$ = hot('a-b-c', { a: conditions(['ac-power']), b: groupParallelIntent('nightly', 4, label), c: conditions(['ac-power', 'user-idle']) })
      const states$ = runIntents$(intents$, invoke).pipe(map((s) => s.state[0]))
      expectObservable(states$).toBe('p-popo-o', { p: 'p', o: 'o' })
    })
  })

  it('conditions sent do not name a parallel count, so a limit committed meanwhile stays', () => {
    const intent = conditions(['ac-power'])
    expect(intent.params).toEqual({ name: 'nightly', create: false, onlyWhen: ['ac-power'], whenUnmet: 'wait' })
    expect(intent.key).not.toBe(groupParallelIntent('nightly', 4, label).key)
  })
})
