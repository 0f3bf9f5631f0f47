import { tap } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS, type Settings } from '../../src-shared/index.ts'
import { foldedSettings$ } from '../../src-renderer/streams/settings.ts'
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
