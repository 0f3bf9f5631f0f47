import { describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src-shared/index.ts'
import { shell } from '../engine/helpers.ts'
import { useRemoteWorld } from './world.ts'

type Of<K extends EngineEvent['type']> = Extract<EngineEvent, { type: K }>
const HOUR = 3_600_000

/** A rate limit on a group bound to Redis: the engine admits runs by it before the backend hands them to a worker. */
describe('a rate limit on a remote group', () => {
  const world = useRemoteWorld({ parallel: 4 })

  it('holds starts beyond the rate on the workers too, across an app restart', async () => {
    await world.worker()
    await world.app.engine.handlers['group.set']({ name: 'remote', rate: { max: 2, perMs: HOUR } })
    const a = await world.app.submit(shell('echo a', { group: 'remote' }))
    const b = await world.app.submit(shell('echo b', { group: 'remote' }))
    const c = await world.app.submit(shell('echo c', { group: 'remote' }))
    await world.app.until(a.id, ['succeeded'])
    await world.app.until(b.id, ['succeeded'])
    const ran = world.app.events.filter((e): e is Of<'run.finished'> => e.type === 'run.finished').map((e) => e.run)
    expect(ran.every((run) => run.worker !== 'local')).toBe(true)
    const firstStart = Math.min(...ran.map((run) => run.startedAt))
    const held = async () => (await world.app.engine.handlers['engine.loop']({})).waiting.find((e) => e.taskId === c.id)?.state
    expect(await held()).toEqual({ kind: 'rate-limited', max: 2, perMs: HOUR, until: firstStart + HOUR })

    // Restarted, the app counts the two starts in its log: no fresh burst.
    await world.closeApp()
    await world.openApp()
    expect(await held()).toEqual({ kind: 'rate-limited', max: 2, perMs: HOUR, until: firstStart + HOUR })
    expect((await world.app.engine.handlers['task.get']({ taskId: c.id })).task.status).toBe('queued')

    // Without the limit it goes to a worker at once.
    await world.app.engine.handlers['group.set']({ name: 'remote', rate: null })
    await world.app.until(c.id, ['succeeded'])
    expect((await world.app.engine.handlers['task.get']({ taskId: c.id })).runs[0]?.worker).not.toBe('local')
  })
})
