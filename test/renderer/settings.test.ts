import { tap } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS, type Settings } from '../../src-shared/index.ts'
import { foldedSettings$ } from '../../src-renderer/streams/settings.ts'
import { INITIAL_STATE, type AppState } from '../../src-renderer/streams/state.ts'

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
const light: Settings = { ...DEFAULT_SETTINGS, theme: 'light' }
const dark: Settings = { ...DEFAULT_SETTINGS, theme: 'dark' }
const state = (settings: Settings | null, catchingUp: boolean): AppState => ({ ...INITIAL_STATE, settings, catchingUp })

describe('settings from the folded states', () => {
  it('never shows the settings of a replay in progress: an older theme in the history does not flash over the current one', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // settings.get answered dark; the replay passes an old light theme, then ends on dark.
      const current = dark
      const states$ = cold('a-b-c-d|', { a: state(null, true), b: state(light, true), c: state(dark, true), d: state(dark, false) })
      expectObservable(foldedSettings$(states$, () => current)).toBe('-------|')
    })
  })

  it('takes a caught-up state whose settings differ from the current ones (a change made elsewhere), once', () => {
    scheduler().run(({ cold, expectObservable }) => {
      let current = light
      const changed = { ...dark }
      const states$ = cold('a-b-c|', { a: state(light, false), b: state(changed, false), c: state(changed, false) })
      // The model stores what comes out as the current settings.
      const out$ = foldedSettings$(states$, () => current).pipe(tap((s) => (current = s)))
      expectObservable(out$).toBe('--b--|', { b: changed })
    })
  })

  it('a live change during a flood shows once the flood is caught up', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const states$ = cold('a-b-c|', { a: state(light, false), b: state(dark, true), c: state(dark, false) })
      expectObservable(foldedSettings$(states$, () => light)).toBe('----c|', { c: dark })
    })
  })
})
