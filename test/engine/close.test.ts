import { describe, expect, it } from 'vitest'
import { Engine } from '../../src-main/engine/engine.ts'
import { openEngine, useTempHome } from '../support/engine.ts'

const dir = useTempHome()

describe('engine.close', () => {
  it('after a failed write (an extension\'s projection threw), still closes the database and every resource, and reports the error', async () => {
    const t = await openEngine({ home: dir.home, killGraceMs: 500 })
    const { engine } = t
    const db = engine.host.db
    // A run going on when the store breaks: its end can no longer be recorded, and close must not wait for that for ever.
    const task = await t.submit({ spec: { kind: 'shell', command: 'sleep 300' } })
    await t.until(task.id, ['running'])
    // A trigger's write whose in-transaction projection fails: the store refuses all writes from then on.
    await expect(
      engine.host.append({ type: 'engine.paused', paused: false }, () => {
        throw new Error('projection failed')
      }),
    ).rejects.toThrow(/projection failed/)
    await expect(engine.close()).rejects.toThrow(/Could not write to the database \(projection failed\)/)
    expect(db.isOpen).toBe(false)
    // Closing again answers the same way and does nothing more.
    await expect(engine.close()).rejects.toThrow(/projection failed/)
    // The home is free again: another engine opens it and sees the last good state.
    const again = await Engine.open({ home: dir.home, statsIntervalMs: 0 })
    expect((await again.handlers['group.list']({})).groups.map((g) => g.name)).toEqual(['default'])
    // The run killed with the close is found interrupted by the next open (its end could not be written).
    expect((await again.handlers['task.get']({ taskId: task.id })).task.status).toBe('interrupted')
    await again.close()
  })
})
