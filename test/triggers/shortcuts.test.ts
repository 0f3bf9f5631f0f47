import { beforeEach, describe, expect, it } from 'vitest'
import { normalizeAccelerator } from '../../src-shared/index.ts'
import { resolveShortcut, type ShortcutBinding } from '../../src-main/triggers/index.ts'
import { useWorld } from '../support/world.ts'
import { TestClock, argv } from './helpers.ts'

describe('accelerators', () => {
  it('have one spelling, so two spellings of a chord are the same chord', () => {
    expect(normalizeAccelerator('ctrl+shift+k')).toBe('Control+Shift+K')
    expect(normalizeAccelerator('Shift+CmdOrCtrl+Space')).toBe('CommandOrControl+Shift+Space')
    expect(normalizeAccelerator('Alt+Plus')).toBe(normalizeAccelerator('Option++'))
    expect(normalizeAccelerator('F13')).toBe('F13')
    // A bare letter, an unknown key or a doubled modifier is no global shortcut.
    expect(normalizeAccelerator('K')).toBeNull()
    expect(normalizeAccelerator('Ctrl+Banana')).toBeNull()
    expect(normalizeAccelerator('Ctrl+Control+K')).toBeNull()
  })

  it('resolve to the bound trigger whatever the spelling pressed', () => {
    const bindings: ShortcutBinding[] = [{ accelerator: 'CommandOrControl+Alt+B', triggerId: 4, savedTaskId: 2, name: 'build' }]
    expect(resolveShortcut(bindings, 'cmdorctrl+option+b')?.triggerId).toBe(4)
    expect(resolveShortcut(bindings, 'Control+Alt+B')).toBeNull()
  })
})

describe('shortcut triggers (real engine)', () => {
  let clock: TestClock
  beforeEach(() => {
    clock = new TestClock(Date.parse('2026-03-01T12:00:00Z'))
  })
  const world = useWorld(() => ({ clock }))

  it('binds, fires once per press (key repeat throttled), unbinds while paused, and tells the adapter', async () => {
    const seen: ShortcutBinding[][] = []
    const listening = world.triggers.onDidChangeShortcuts((bindings) => seen.push(bindings))
    const { savedTask } = await world.call('savedTask.create', { name: 'build', definition: argv('true') })
    const { trigger } = await world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'shortcut', accelerator: 'ctrl+alt+b' } } })
    expect(trigger.spec).toEqual({ kind: 'shortcut', accelerator: 'Control+Alt+B' })
    expect(world.triggers.shortcutBindings()).toEqual([{ accelerator: 'Control+Alt+B', triggerId: trigger.id, savedTaskId: savedTask.id, name: trigger.name }])

    expect(world.triggers.pressShortcut('Control+Alt+B')).toBe(true)
    expect(world.triggers.pressShortcut('control+alt+b')).toBe(true) // held key repeating
    clock.advance(2000)
    expect(world.triggers.pressShortcut('Control+Alt+B')).toBe(true)
    const firings = await world.log.untilFirings(2, trigger.id)
    expect(firings.map((f) => f.cause)).toEqual(['shortcut', 'shortcut'])

    expect(world.triggers.pressShortcut('Control+Alt+X')).toBe(false)
    await world.call('trigger.pause', { triggerId: trigger.id })
    expect(world.triggers.shortcutBindings()).toEqual([])
    expect(world.triggers.pressShortcut('Control+Alt+B')).toBe(false)
    expect(seen.map((bindings) => bindings.length)).toEqual([1, 0])
    listening.dispose()
    clock.advance(2000)
    expect(world.log.firings(trigger.id)).toHaveLength(2)
  })

  it('refuses a chord another trigger already has, even when spelled differently', async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'build', definition: argv('true') })
    const { trigger } = await world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'shortcut', accelerator: 'CmdOrCtrl+B' }, paused: true } })
    await expect(
      world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'shortcut', accelerator: 'CommandOrControl+b' } } }),
    ).rejects.toMatchObject({ message: `Invalid trigger: trigger.spec.accelerator: CommandOrControl+B is already bound to trigger ${trigger.id} "${trigger.name}"` })
  })
})
