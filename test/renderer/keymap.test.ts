import { map } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { DEFAULT_KEYMAP, applyOverrides, displayBinding, keyCommands$, normaliseBinding, strokeOf, type KeyPress } from '../../src-renderer/streams/keymap.ts'

const press = (key: string, extra: Partial<KeyPress> = {}): KeyPress => ({ key, ctrl: false, meta: false, alt: false, shift: false, repeat: false, inEditable: false, ...extra })

function scheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
}

/** Runs keys through the keymap and returns the emitted command ids as a marble. */
function commandsOf(marble: string, keys: Record<string, KeyPress>, expected: string, values: Record<string, string>, keymap = DEFAULT_KEYMAP) {
  const ts = scheduler()
  ts.run(({ hot, expectObservable }) => {
    const keys$ = hot(marble, keys)
    const out$ = keyCommands$(keys$, keymap, { scheduler: ts, chordTimeoutMs: 1000 })
    expectObservable(out$.pipe(map((c) => c.command))).toBe(expected, values)
  })
}

describe('keymap stream', () => {
  it('maps single keys to commands', () => {
    commandsOf('-j-k-c-', { j: press('j'), k: press('k'), c: press('c') }, '-a-b-c-', { a: 'nav.down', b: 'nav.up', c: 'task.cancel' })
  })

  it('turns "g" then "t" within the timeout into one chord, and swallows the "g"', () => {
    commandsOf('-g 500ms t-', { g: press('g'), t: press('t') }, '- 500ms -a-', { a: 'view.tasks' })
  })

  it('forgets a chord prefix after the timeout: the second key then acts alone', () => {
    commandsOf('-g 1500ms j-', { g: press('g'), j: press('j') }, '- 1500ms -a-', { a: 'nav.down' })
  })

  it('"g g" goes to the first task', () => {
    commandsOf('-g-g-', { g: press('g') }, '---a-', { a: 'nav.first' })
  })

  it('repeats navigation while a key is held, but never an action', () => {
    commandsOf(
      '-j-J-J-c-C-C-',
      { j: press('j'), J: press('j', { repeat: true }), c: press('c'), C: press('c', { repeat: true }) },
      '-a-a-a-b-----',
      { a: 'nav.down', b: 'task.cancel' },
    )
  })

  it('lets text fields keep their keys, except bindings made for them', () => {
    commandsOf(
      '-j-n-k-e-',
      { j: press('j', { inEditable: true }), n: press('n', { inEditable: true }), k: press('k', { ctrl: true, inEditable: true }), e: press('Escape', { inEditable: true }) },
      '-----a-b-',
      { a: 'palette.open', b: 'nav.back' },
    )
  })

  it('uses Cmd as "mod" on macOS and Ctrl elsewhere', () => {
    expect(strokeOf(press('k', { meta: true }), true)).toBe('mod+k')
    expect(strokeOf(press('k', { ctrl: true }), false)).toBe('mod+k')
    expect(strokeOf(press('k', { ctrl: true }), true)).toBe('ctrl+k')
  })

  it('ignores bare modifier presses and keeps shifted characters as themselves', () => {
    commandsOf('-s-G-?-', { s: press('Shift', { shift: true }), G: press('G', { shift: true }), '?': press('?', { shift: true }) }, '---a-b-', {
      a: 'nav.last',
      b: 'help.shortcuts',
    })
  })

  it('applies rebinding from Settings: the command answers only to its new key', () => {
    const keymap = applyOverrides(DEFAULT_KEYMAP, { 'task.cancel': 'x', 'select.toggle': 'shift+X' })
    commandsOf('-c-x-X-', { c: press('c'), x: press('x'), X: press('X', { shift: true }) }, '---a-b-', { a: 'task.cancel', b: 'select.toggle' }, keymap)
  })

  it('normalises bindings as people write them, and displays them per platform', () => {
    expect(normaliseBinding('Ctrl+K')).toEqual(['mod+k'])
    expect(normaliseBinding('shift+p')).toEqual(['P'])
    expect(normaliseBinding('g  t')).toEqual(['g', 't'])
    expect(normaliseBinding('mod+shift+K')).toEqual(['mod+shift+k'])
    expect(displayBinding('mod+k', false)).toBe('Ctrl+K')
    expect(displayBinding('mod+k', true)).toBe('⌘K')
    expect(displayBinding('g t', false)).toBe('G T')
  })
})
