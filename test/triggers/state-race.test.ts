import { beforeEach, describe, expect, it } from 'vitest'
import type { DurableEvent, EngineEvent, Trigger } from '../../src-shared/index.ts'
import type { EngineExtensionHost } from '../../src-main/engine/host.ts'
import { useWorld, type HostWrapper } from '../support/world.ts'
import { TestClock, argv } from './helpers.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const T0 = Date.parse('2026-03-01T12:00:00Z')

/**
 * The triggers' host with the firing held at an await point: each submit reaches the real
 * engine (the task is durable), then waits for `release` before the firing goes on to
 * record itself. `held` resolves once a firing waits there.
 */
function holdingFirings(): { wrap: HostWrapper; held: Promise<void>; release(): void } {
  let release!: () => void
  let reached!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  const held = new Promise<void>((resolve) => (reached = resolve))
  const wrap: HostWrapper = (host) => ({
    ...host,
    submit: async (definition, options) => {
      const task = await host.submit(definition, options)
      reached()
      await gate
      return task
    },
  })
  return { wrap, held, release: () => release() }
}

/** Once armed, calls `then` once, right after (in a microtask) the next event of this type is placed in the log, before it commits. */
function afterPlaced(type: DurableEvent['type'], then: () => void): { wrap: HostWrapper; arm(): void } {
  let armed = false
  const seen = (event: { type: string }) => {
    if (!armed || event.type !== type) return
    armed = false
    queueMicrotask(then)
  }
  const wrap: HostWrapper = (host) => {
    const wrapped: EngineExtensionHost = {
      ...host,
      append: (event, project) => {
        const appended = host.append(event, project)
        seen(event)
        return appended
      },
    }
    // The two-step append, where the host has it (the triggers write through it).
    const place = (host as { place?: (...args: unknown[]) => unknown }).place
    if (place) {
      Object.assign(wrapped, {
        place: (...args: [{ type: string }, ...unknown[]]) => {
          const placed = place.apply(host, args)
          seen(args[0])
          return placed
        },
      })
    }
    return wrapped
  }
  return { wrap, arm: () => void (armed = true) }
}

/** The trigger as the last trigger event in the log says it is: what every client was told last. */
function lastTold(events: readonly EngineEvent[], triggerId: number): Trigger | null | undefined {
  return events
    .flatMap((e) => ((e.type === 'trigger.updated' || e.type === 'trigger.fired') && e.trigger?.id === triggerId ? [e.trigger] : e.type === 'trigger.removed' && e.triggerId === triggerId ? [null] : []))
    .at(-1)
}

describe('trigger state while a firing is under way (real engine, real SQLite file)', () => {
  const world = useWorld({}, { openBeforeEach: false })

  async function hourly() {
    const { savedTask } = await world.call('savedTask.create', { name: 'noop', definition: argv('true') })
    const { trigger } = await world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', everyMs: HOUR } } })
    return trigger
  }

  it('a pause made while a firing records itself stays paused, in what clients are told and after a restart', async () => {
    const hold = holdingFirings()
    await world.open({}, hold.wrap)
    const trigger = await hourly()
    const fired = world.call('trigger.fire', { triggerId: trigger.id })
    await hold.held
    // The firing's task is durable; the pause is written while the firing goes on to record itself.
    const paused = world.call('trigger.pause', { triggerId: trigger.id })
    hold.release()
    const [{ firing }] = await Promise.all([fired, paused])
    expect(firing.outcome).toBe('submitted')

    expect((await world.call('trigger.get', { triggerId: trigger.id })).trigger.paused).toBe(true)
    expect(lastTold(world.log.events, trigger.id)?.paused).toBe(true)
    await world.close()
    await world.open()
    const { trigger: after } = await world.call('trigger.get', { triggerId: trigger.id })
    expect(after.paused).toBe(true)
    expect(after.lastFiredAt).toBe(firing.firedAt)
  })

  it('a trigger removed while a firing records itself stays removed after a restart', async () => {
    const hold = holdingFirings()
    await world.open({}, hold.wrap)
    const trigger = await hourly()
    const fired = world.call('trigger.fire', { triggerId: trigger.id })
    await hold.held
    const removed = world.call('trigger.remove', { triggerId: trigger.id })
    hold.release()
    await Promise.all([fired, removed])

    expect((await world.call('trigger.list', {})).triggers).toEqual([])
    expect(lastTold(world.log.events, trigger.id)).toBeNull()
    await world.close()
    await world.open()
    expect((await world.call('trigger.list', {})).triggers).toEqual([])
  })

  it('a pause and a resume sent at once both count: the trigger ends resumed', async () => {
    await world.open()
    const trigger = await hourly()
    const [paused, resumed] = await Promise.all([world.call('trigger.pause', { triggerId: trigger.id }), world.call('trigger.resume', { triggerId: trigger.id })])
    expect([paused.trigger.paused, resumed.trigger.paused]).toEqual([true, false])
    expect((await world.call('trigger.get', { triggerId: trigger.id })).trigger.paused).toBe(false)
    await world.close()
    await world.open()
    expect((await world.call('trigger.get', { triggerId: trigger.id })).trigger.paused).toBe(false)
  })

  it('two triggers created at once on the same shortcut: the second is refused', async () => {
    await world.open()
    const { savedTask } = await world.call('savedTask.create', { name: 'noop', definition: argv('true') })
    const create = () => world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'shortcut', accelerator: 'CommandOrControl+Alt+B' } } })
    const outcomes = await Promise.allSettled([create(), create()])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected'])
    const refusal = (outcomes[1] as PromiseRejectedResult).reason as { code: string; message: string }
    expect([refusal.code, refusal.message]).toEqual(['bad_request', 'Invalid trigger: trigger.spec.accelerator: CommandOrControl+Alt+B is already bound to trigger 1 "noop (CommandOrControl+Alt+B)"'])
    expect((await world.call('trigger.list', {})).triggers).toHaveLength(1)
  })

  it('a change whose write fails leaves the trigger as the database has it', async () => {
    await world.open()
    const trigger = await hourly()
    // Real SQLite refusing the write, as a full disk would (the engine then refuses every later write until restarted).
    world.engine.host.db.exec("CREATE TEMP TRIGGER refuse_update BEFORE UPDATE ON trg_triggers BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    await expect(world.call('trigger.pause', { triggerId: trigger.id })).rejects.toThrow(/refused by the test/)
    expect((await world.call('trigger.get', { triggerId: trigger.id })).trigger.paused).toBe(false)
    expect((await world.call('trigger.list', {})).triggers.map((t) => t.paused)).toEqual([false])
    // The engine refuses to close cleanly once a write failed (its last events never commit): that is its to tell.
    await world.close().catch(() => undefined)
  })
})

describe('a schedule changed as its slot comes due (virtual clock, real engine)', () => {
  let clock: TestClock
  beforeEach(() => {
    clock = new TestClock(T0)
  })
  const world = useWorld(() => ({ clock }), { openBeforeEach: false })

  it('the slot runs once, not once for the old trigger and again for the changed one', async () => {
    // The slot comes due after the change is written and before it commits.
    const slotDue = afterPlaced('trigger.updated', () => clock.advance(10 * MIN))
    await world.open({}, slotDue.wrap)
    const { savedTask } = await world.call('savedTask.create', { name: 'tick', definition: argv('true') })
    const spec = { kind: 'schedule' as const, everyMs: 10 * MIN }
    const { trigger } = await world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec } })
    slotDue.arm()
    await world.call('trigger.update', { triggerId: trigger.id, trigger: { savedTaskId: savedTask.id, spec, name: 'renamed' } })
    // Served after every request made before it.
    await world.call('trigger.fire', { triggerId: trigger.id })
    const slots = world.log.firings(trigger.id).filter((f) => f.cause !== 'manual')
    expect(slots.map((f) => [f.cause, f.scheduledFor])).toEqual([['schedule', T0 + 10 * MIN]])
  })

  it('a slot that came due while another firing was served starts nothing once its trigger is paused', async () => {
    const hold = holdingFirings()
    await world.open({}, hold.wrap)
    const { savedTask } = await world.call('savedTask.create', { name: 'tick', definition: argv('true') })
    const { trigger } = await world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', everyMs: 10 * MIN } } })
    const fired = world.call('trigger.fire', { triggerId: trigger.id })
    await hold.held
    // The slot's request waits behind the firing under way; the pause comes before its turn.
    clock.advance(10 * MIN)
    await world.call('trigger.pause', { triggerId: trigger.id })
    hold.release()
    await fired
    // Run now still starts a task while paused, and is served after every request made before it.
    await world.call('trigger.fire', { triggerId: trigger.id })
    expect(world.log.firings(trigger.id).map((f) => f.cause)).toEqual(['manual', 'manual'])
  })
})
