import { describe, expect, it } from 'vitest'
import type { EngineEvent, Group } from '../../src-shared/index.ts'
import { shell } from './helpers.ts'
import { useEngine, useTempHome } from '../support/engine.ts'

type Of<K extends EngineEvent['type']> = Extract<EngineEvent, { type: K }>
const HOUR = 3_600_000

describe('a group rate limit', () => {
  // The engine's clock is the test's: a window of an hour passes when the test says so.
  let clock = Date.now()
  const homes = useTempHome()
  const open = () => homes.open({ now: () => clock })

  it('counts the starts in the log across a restart: no fresh burst', async () => {
    clock = Date.now()
    let t = await open()
    await t.engine.handlers['group.set']({ name: 'io', parallel: 4, rate: { max: 2, perMs: HOUR } })
    const first = await t.submit(shell('true', { group: 'io' }))
    const second = await t.submit(shell('true', { group: 'io' }))
    await t.until(first.id, ['succeeded'])
    await t.until(second.id, ['succeeded'])
    const firstStart = t.events.find((e): e is Of<'run.started'> => e.type === 'run.started' && e.run.taskId === first.id)!.run.startedAt
    await t.close()

    clock += 60_000
    t = await open()
    const third = await t.submit(shell('true', { group: 'io' }))
    const loop = await t.engine.handlers['engine.loop']({})
    const held = loop.waiting.find((e) => e.taskId === third.id)
    expect(held?.state).toEqual({ kind: 'rate-limited', max: 2, perMs: HOUR, until: firstStart + HOUR })
    expect(held?.detail).toBe(`rate limit: io starts 2/h; next start at ${new Date(firstStart + HOUR).toISOString()}`)
    expect((await t.engine.handlers['task.get']({ taskId: third.id })).task.status).toBe('queued')
    expect(t.events.some((e) => e.type === 'run.started' && e.run.taskId === third.id)).toBe(false)
    await t.close()

    // An hour after the first start, its slot is free again.
    clock = firstStart + HOUR
    t = await open()
    expect((await t.until(third.id, ['succeeded'])).attempts).toBe(1)
  })

  it('group.set keeps the rate when it is not named and removes it with null', async () => {
    const t = await open()
    await t.engine.handlers['group.set']({ name: 'io', parallel: 1, rate: { max: 10, perMs: 60_000 } })
    expect((await t.engine.handlers['group.set']({ name: 'io', parallel: 3 })).group.rate).toEqual({ max: 10, perMs: 60_000 })
    expect((await t.engine.handlers['group.set']({ name: 'io', rate: null })).group).not.toHaveProperty('rate')
  })
})

describe('a group rate limit on the engine clock', () => {
  // The engine's clock at half the speed of its timers': the timer for the next slot comes before it by that clock.
  const start = Date.now()
  const t = useEngine({ now: () => start + (Date.now() - start) / 2 })

  it('starts the held task when its slot opens, even when the timer comes early', async () => {
    await t.engine.handlers['group.set']({ name: 'io', parallel: 4, rate: { max: 1, perMs: 1000 } })
    const a = await t.submit(shell('true', { group: 'io' }))
    const b = await t.submit(shell('true', { group: 'io' }))
    await t.until(b.id, ['succeeded'])
    const starts = t.events.filter((e): e is Of<'run.started'> => e.type === 'run.started').map((e) => [e.run.taskId, e.run.startedAt])
    expect(starts.map(([id]) => id)).toEqual([a.id, b.id])
    // Held for the whole window by the engine's clock, however early the timer came.
    expect(starts[1]![1]! - starts[0]![1]!).toBeGreaterThanOrEqual(1000)
  })
})

describe('pause on failure', () => {
  const t = useEngine()
  const group = async (name: string): Promise<Group> => (await t.engine.handlers['group.list']({})).groups.find((g) => g.name === name)!

  it('pauses the group once a task has failed for good, naming it; a resume clears the cause', async () => {
    await t.engine.handlers['group.set']({ name: 'deploy', parallel: 1, onFailure: 'pause-group' })
    const failing = await t.submit(shell('exit 3', { group: 'deploy', retry: { maxAttempts: 2, backoffMs: 10, jitter: 0 } }))
    const failed = await t.until(failing.id, ['failed'])
    expect(failed.attempts).toBe(2)
    const paused = await t.waitForEvent((e): e is Of<'group.updated'> => e.type === 'group.updated' && e.group.paused)
    expect(paused.group.pausedFor).toMatchObject({ kind: 'failure', taskId: failing.id, runId: failed.lastRunId })
    // Not after the first attempt: its retry still ran.
    const retried = t.events.findIndex((e) => e.type === 'run.started' && e.run.taskId === failing.id && e.run.attempt === 2)
    expect(retried).toBeGreaterThan(-1)
    expect(retried).toBeLessThan(t.events.indexOf(paused))
    const next = await t.submit(shell('true', { group: 'deploy' }))
    const loop = await t.engine.handlers['engine.loop']({})
    expect(loop.waiting.find((e) => e.taskId === next.id)?.state).toEqual({ kind: 'group-paused' })
    expect(t.events.some((e) => e.type === 'run.started' && e.run.taskId === next.id)).toBe(false)

    // The cause survives a restart.
    await t.reopen()
    expect((await group('deploy')).pausedFor).toEqual(paused.group.pausedFor)
    const resumed = (await t.engine.handlers['group.resume']({ name: 'deploy' })).group
    expect(resumed.paused).toBe(false)
    expect(resumed).not.toHaveProperty('pausedFor')
    await t.until(next.id, ['succeeded'])
  })

  it('a timeout is a failure too', async () => {
    await t.engine.handlers['group.set']({ name: 'deploy', parallel: 1, onFailure: 'pause-group' })
    const slow = await t.submit(shell('sleep 30', { group: 'deploy', timeoutMs: 200 }))
    await t.until(slow.id, ['timed_out'])
    await t.waitForEvent((e): e is Of<'group.updated'> => e.type === 'group.updated' && e.group.pausedFor?.taskId === slow.id)
  })

  it('a cancel does not pause the group', async () => {
    await t.engine.handlers['group.set']({ name: 'deploy', parallel: 1, onFailure: 'pause-group' })
    const long = await t.submit(shell('sleep 30', { group: 'deploy' }))
    const next = await t.submit(shell('true', { group: 'deploy' }))
    await t.waitForEvent((e): e is Of<'run.updated'> => e.type === 'run.updated' && e.run.taskId === long.id && e.run.pid !== null)
    await t.engine.handlers['task.cancel']({ taskIds: [long.id] })
    await t.until(long.id, ['cancelled'])
    await t.until(next.id, ['succeeded'])
    expect((await group('deploy')).paused).toBe(false)
  })

  it('a group left at continue goes on after a failure', async () => {
    await t.engine.handlers['group.set']({ name: 'deploy', parallel: 1 })
    const failing = await t.submit(shell('exit 1', { group: 'deploy' }))
    const next = await t.submit(shell('true', { group: 'deploy' }))
    await t.until(failing.id, ['failed'])
    await t.until(next.id, ['succeeded'])
    expect((await group('deploy')).paused).toBe(false)
  })
})
