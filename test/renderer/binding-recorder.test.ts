import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { bindingConflicts, recordBinding$ } from '../../src-renderer/streams/binding-recorder.ts'
import { DEFAULT_KEYMAP, applyOverrides, keyCommands$, type KeyPress } from '../../src-renderer/streams/keymap.ts'

const press = (key: string, extra: Partial<KeyPress> = {}): KeyPress => ({ key, ctrl: false, meta: false, alt: false, shift: false, repeat: false, inEditable: true, ...extra })

function record(keys: string, values: Record<string, KeyPress>, expected: string, steps: Record<string, unknown>) {
  const ts = new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted))
  ts.run(({ hot, expectObservable }) => {
    expectObservable(recordBinding$(hot(keys, values), { scheduler: ts, chordTimeoutMs: 1000 })).toBe(expected, steps)
  })
}

describe('recordBinding$', () => {
  it('records "g then x" as a chord when the second key comes within the timeout', () => {
    record('-g 300ms x-', { g: press('g'), x: press('x') }, '-a 300ms (b|)', { a: { kind: 'partial', strokes: ['g'] }, b: { kind: 'done', binding: 'g x' } })
  })

  it('records a single key once the timeout passes without a second', () => {
    record('-g 2000ms x-', { g: press('g'), x: press('x') }, '-a 999ms (b|)', { a: { kind: 'partial', strokes: ['g'] }, b: { kind: 'done', binding: 'g' } })
  })

  it('records modified strokes and ignores modifiers alone and held-key repeats', () => {
    record(
      '-s-c-r-k-',
      { s: press('Shift', { shift: true }), c: press('Control', { ctrl: true }), r: press('Control', { ctrl: true, repeat: true }), k: press('k', { ctrl: true }) },
      '-------a 999ms (b|)',
      { a: { kind: 'partial', strokes: ['mod+k'] }, b: { kind: 'done', binding: 'mod+k' } },
    )
  })

  it('cancels on Escape, before or after the first stroke', () => {
    record('-e-', { e: press('Escape') }, '-(c|)', { c: { kind: 'cancelled' } })
    record('-g-e-', { g: press('g'), e: press('Escape') }, '-a-(c|)', { a: { kind: 'partial', strokes: ['g'] }, c: { kind: 'cancelled' } })
  })

  it('records a chord the key stream then reads back as the command', () => {
    const ts = new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted))
    let binding = ''
    ts.run(({ cold, flush }) => {
      recordBinding$(cold('-g-x-', { g: press('g'), x: press('x') }), { scheduler: ts }).subscribe((step) => {
        if (step.kind === 'done') binding = step.binding
      })
      flush()
    })
    const keymap = applyOverrides(DEFAULT_KEYMAP, { 'task.cancel': binding })
    const fired: string[] = []
    ts.run(({ cold, flush }) => {
      const typing = { g: press('g', { inEditable: false }), x: press('x', { inEditable: false }), c: press('c', { inEditable: false }) }
      keyCommands$(cold('-g-x-c-', typing), keymap, { scheduler: ts }).subscribe((c) => fired.push(c.command))
      flush()
    })
    expect(binding).toBe('g x')
    // "c" no longer cancels: the command has only its new binding.
    expect(fired).toEqual(['task.cancel'])
  })
})

describe('bindingConflicts', () => {
  it('finds the same keys bound to another command', () => {
    expect(bindingConflicts(DEFAULT_KEYMAP, 'task.cancel', 'r')).toEqual([{ command: 'task.retry', binding: 'r', kind: 'same' }])
    expect(bindingConflicts(DEFAULT_KEYMAP, 'task.cancel', 'Ctrl+K')).toEqual([{ command: 'palette.open', binding: 'mod+k', kind: 'same' }])
  })

  it('finds a single key that would start existing chords (binding "g" while "g t" exists)', () => {
    const conflicts = bindingConflicts(DEFAULT_KEYMAP, 'task.cancel', 'g')
    expect(conflicts.map((c) => c.binding)).toEqual(['g g', 'g t', 'g l', 'g d', 'g w', 'g r', 'g s'])
    expect(new Set(conflicts.map((c) => c.kind))).toEqual(new Set(['shadows']))
  })

  it('finds an existing single key that a new chord would start with', () => {
    expect(bindingConflicts(DEFAULT_KEYMAP, 'view.loop', 'x l')).toEqual([{ command: 'select.toggle', binding: 'x', kind: 'shadowed' }])
  })

  it('ignores the command itself, unrelated chords and cleared bindings', () => {
    expect(bindingConflicts(DEFAULT_KEYMAP, 'view.tasks', 'g t')).toEqual([])
    expect(bindingConflicts(DEFAULT_KEYMAP, 'task.cancel', 'g x')).toEqual([])
    expect(bindingConflicts(applyOverrides(DEFAULT_KEYMAP, { 'task.retry': '' }), 'task.cancel', 'r')).toEqual([])
  })
})

describe('applyOverrides', () => {
  it('leaves a command cleared with "" without any binding', () => {
    const keymap = applyOverrides(DEFAULT_KEYMAP, { 'nav.down': '' })
    expect(keymap.some((k) => k.command === 'nav.down')).toBe(false)
    expect(keymap.filter((k) => k.command === 'nav.up')).toHaveLength(2)
  })
})
