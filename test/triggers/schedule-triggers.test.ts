import { beforeEach, describe, expect, it } from 'vitest'
import { useWorld } from '../support/world.ts'
import { TestClock, argv } from './helpers.ts'

const MIN = 60_000
const T0 = Date.parse('2026-03-01T12:00:00Z')

describe('schedule triggers (virtual clock, real engine)', () => {
  let clock: TestClock
  beforeEach(() => {
    clock = new TestClock(T0)
  })
  const world = useWorld(() => ({ clock }))

  async function everyTenMinutes(catchUp: 'skip' | 'once' | 'all') {
    const { savedTask } = await world.call('savedTask.create', { name: 'tick', definition: argv('true') })
    const { trigger } = await world.call('trigger.create', {
      trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', everyMs: 10 * MIN, catchUp } },
    })
    return trigger
  }

  it('fires on every slot, starts a task each time and shows the next run times', async () => {
    const trigger = await everyTenMinutes('once')
    expect(trigger.nextRunAt).toBe(T0 + 10 * MIN)
    const { upcoming } = await world.call('trigger.get', { triggerId: trigger.id })
    expect(upcoming).toEqual([10, 20, 30, 40, 50].map((m) => T0 + m * MIN))

    clock.advance(9 * MIN)
    clock.advance(11 * MIN)
    const firings = await world.log.untilFirings(2, trigger.id)
    expect(firings.map((f) => [f.cause, f.scheduledFor, f.outcome])).toEqual([
      ['schedule', T0 + 10 * MIN, 'submitted'],
      ['schedule', T0 + 20 * MIN, 'submitted'],
    ])
    for (const firing of firings) expect(firing.taskId).toBeTypeOf('number')
    expect(await world.log.untilFinished(firings[1]!.taskId!)).toBe('succeeded')

    const after = await world.call('trigger.get', { triggerId: trigger.id })
    expect(after.trigger.nextRunAt).toBe(T0 + 30 * MIN)
    expect(after.trigger.lastFiredAt).toBeTypeOf('number')
    expect(after.history.map((f) => f.scheduledFor)).toEqual([T0 + 20 * MIN, T0 + 10 * MIN])
  })

  it('computes cron next runs in the trigger’s time zone', async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'standup', definition: argv('true') })
    const { trigger } = await world.call('trigger.create', {
      trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', cron: '30 9 * * 1-5', timezone: 'Asia/Seoul' } },
    })
    // 1 March 2026 is a Sunday; Monday 09:30 in Seoul is 00:30 UTC.
    expect(new Date(trigger.nextRunAt!).toISOString()).toBe('2026-03-02T00:30:00.000Z')
  })

  // Awake for the first slot, then asleep for 3 h 5 min: the wall clock jumps, timers do not run.
  // Slots 20 min … 3 h 10 min (18 of them) pass unseen; the next wake-up finds them overdue.
  const sleepThroughEighteenSlots = async (catchUp: 'skip' | 'once' | 'all') => {
    const trigger = await everyTenMinutes(catchUp)
    clock.advance(10 * MIN)
    await world.log.untilFirings(1, trigger.id)
    clock.sleep(3 * 60 * MIN + 5 * MIN)
    clock.advance(MIN)
    return trigger
  }

  it('catch-up "skip" after a sleep: records the 18 missed runs, starts none', async () => {
    const trigger = await sleepThroughEighteenSlots('skip')
    const firings = await world.log.untilFirings(2, trigger.id)
    expect(firings[1]).toMatchObject({ cause: 'catch-up', outcome: 'skipped', taskId: null, detail: { missed: 18 } })
    clock.advance(10 * MIN)
    const later = await world.log.untilFirings(3, trigger.id)
    // Back on the schedule: the slot at 3 h 20 min runs normally.
    expect(later[2]).toMatchObject({ cause: 'schedule', outcome: 'submitted', scheduledFor: T0 + 200 * MIN })
  })

  it('catch-up "once" after a sleep: one run stands for the 18 missed ones', async () => {
    const trigger = await sleepThroughEighteenSlots('once')
    const firings = await world.log.untilFirings(2, trigger.id)
    expect(firings[1]).toMatchObject({ cause: 'catch-up', outcome: 'submitted', scheduledFor: T0 + 190 * MIN, detail: { missed: 18 } })
    expect(await world.log.untilFinished(firings[1]!.taskId!)).toBe('succeeded')
  })

  it('catch-up "all" after a sleep: one run per missed slot, in order', async () => {
    const trigger = await sleepThroughEighteenSlots('all')
    const firings = await world.log.untilFirings(19, trigger.id)
    const caughtUp = firings.slice(1)
    expect(caughtUp.every((f) => f.cause === 'catch-up' && f.outcome === 'submitted')).toBe(true)
    expect(caughtUp.map((f) => f.scheduledFor)).toEqual(Array.from({ length: 18 }, (_, i) => T0 + (20 + 10 * i) * MIN))
    expect(new Set(caughtUp.map((f) => f.taskId)).size).toBe(18)
  })

  it('catches up after downtime from the persisted last run, by policy', async () => {
    const trigger = await everyTenMinutes('once')
    clock.advance(10 * MIN)
    await world.log.untilFirings(1, trigger.id)
    await world.close()

    clock.sleep(65 * MIN) // the app is closed for 65 minutes: slots 20 … 70 min are missed
    await world.open()
    const firings = await world.log.untilFirings(1, trigger.id)
    expect(firings[0]).toMatchObject({ cause: 'catch-up', outcome: 'submitted', scheduledFor: T0 + 70 * MIN, detail: { missed: 6 } })
    const { trigger: reopened } = await world.call('trigger.get', { triggerId: trigger.id })
    expect(reopened.nextRunAt).toBe(T0 + 80 * MIN)
  })

  it('update replaces the schedule and starts afresh, keeping the name, the paused state and the history', async () => {
    const trigger = await everyTenMinutes('all')
    clock.advance(10 * MIN)
    await world.log.untilFirings(1, trigger.id)
    await world.call('trigger.pause', { triggerId: trigger.id })
    const { trigger: updated } = await world.call('trigger.update', {
      triggerId: trigger.id,
      trigger: { savedTaskId: trigger.savedTaskId, spec: { kind: 'schedule', everyMs: 30 * MIN, catchUp: 'all' } },
    })
    expect(updated).toMatchObject({ name: trigger.name, paused: true, nextRunAt: null })
    clock.advance(5 * MIN)
    const { trigger: resumed, history } = await world.call('trigger.resume', { triggerId: trigger.id }).then(() => world.call('trigger.get', { triggerId: trigger.id }))
    // Counted from the update (at 10 min), every 30 minutes: 40 min next.
    expect(resumed.nextRunAt).toBe(T0 + 40 * MIN)
    expect(history).toHaveLength(1)
  })

  it('overlap "skip": a slot while the last task is still queued starts nothing, also after a restart; the next slot after it ends runs', async () => {
    // A paused group keeps the trigger's task queued, as a long run would keep it running.
    await world.engine.handlers['group.set']({ name: 'held' })
    await world.engine.handlers['group.pause']({ name: 'held' })
    const { savedTask } = await world.call('savedTask.create', { name: 'sync', definition: { ...argv('true'), group: 'held' } })
    const { trigger } = await world.call('trigger.create', {
      trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', everyMs: 10 * MIN, overlap: 'skip' } },
    })
    expect(trigger.spec).toMatchObject({ overlap: 'skip' })
    clock.advance(10 * MIN)
    const [first] = await world.log.untilFirings(1, trigger.id)
    expect(first).toMatchObject({ cause: 'schedule', outcome: 'submitted' })
    clock.advance(10 * MIN)
    const second = (await world.log.untilFirings(2, trigger.id))[1]
    expect(second).toMatchObject({ cause: 'schedule', outcome: 'skipped', taskId: null, scheduledFor: T0 + 20 * MIN, detail: { stillActive: [first!.taskId] } })

    // The queued task outlives a restart, and so does knowing it is this trigger's.
    await world.close()
    clock.advance(10 * MIN)
    await world.open()
    const afterRestart = (await world.log.untilFirings(1, trigger.id))[0]
    expect(afterRestart).toMatchObject({ outcome: 'skipped', scheduledFor: T0 + 30 * MIN, detail: { stillActive: [first!.taskId] } })
    const { trigger: shown } = await world.call('trigger.get', { triggerId: trigger.id })
    expect(shown.lastFiredAt).toBe(first!.firedAt)

    await world.engine.handlers['group.resume']({ name: 'held' })
    expect(await world.log.untilFinished(first!.taskId!)).toBe('succeeded')
    clock.advance(10 * MIN)
    const next = (await world.log.untilFirings(2, trigger.id))[1]
    expect(next).toMatchObject({ cause: 'schedule', outcome: 'submitted', scheduledFor: T0 + 40 * MIN })
    // "Run now" is asked for by hand: it starts a task even beside an unfinished one.
    await world.engine.handlers['group.pause']({ name: 'held' })
    const { firing: manual } = await world.call('trigger.fire', { triggerId: trigger.id })
    expect(manual).toMatchObject({ cause: 'manual', outcome: 'submitted' })
  })

  it('overlap "skip": a task interrupted by a quit has finished, so the slot missed meanwhile is caught up on the next start', async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'long', definition: argv('sleep', '600') })
    const { trigger } = await world.call('trigger.create', {
      trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', everyMs: 10 * MIN, overlap: 'skip' } },
    })
    clock.advance(10 * MIN)
    const [first] = await world.log.untilFirings(1, trigger.id)
    await world.log.until((events) => events.find((event) => event.type === 'run.started' && event.run.taskId === first!.taskId))

    // Quitting interrupts the run (after the triggers stopped listening); a slot passes while closed.
    await world.close()
    clock.sleep(10 * MIN)
    await world.open()
    const { task } = await world.engine.handlers['task.get']({ taskId: first!.taskId! })
    expect(task.status).toBe('interrupted')
    const [caughtUp] = await world.log.untilFirings(1, trigger.id)
    expect(caughtUp).toMatchObject({ scheduledFor: T0 + 20 * MIN, outcome: 'submitted' })
    expect(caughtUp!.detail).not.toHaveProperty('stillActive')
  })

  it('overlap "skip": a failed write of the active-task mirror is made again at the task\'s next event, so a restart still knows the task', async () => {
    await world.engine.handlers['group.set']({ name: 'held' })
    await world.engine.handlers['group.pause']({ name: 'held' })
    const { savedTask } = await world.call('savedTask.create', { name: 'sync', definition: { ...argv('true'), group: 'held' } })
    const { trigger } = await world.call('trigger.create', {
      trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', everyMs: 10 * MIN, overlap: 'skip' } },
    })
    // Real SQLite refusing the write, as a full disk or a busy database would.
    world.engine.host.db.exec("CREATE TEMP TRIGGER refuse_active BEFORE INSERT ON trg_active_tasks BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    clock.advance(10 * MIN)
    const [first] = await world.log.untilFirings(1, trigger.id)
    world.engine.host.db.exec('DROP TRIGGER refuse_active')
    // The task's next event; then a skipped slot moves the completion cursor past it.
    await world.engine.handlers['task.pause']({ taskIds: [first!.taskId!] })
    clock.advance(10 * MIN)
    expect((await world.log.untilFirings(2, trigger.id))[1]).toMatchObject({ outcome: 'skipped', detail: { stillActive: [first!.taskId] } })

    await world.close()
    clock.advance(10 * MIN)
    await world.open()
    expect((await world.log.untilFirings(1, trigger.id))[0]).toMatchObject({ outcome: 'skipped', detail: { stillActive: [first!.taskId] } })
  })

  it('overlap "skip": a finished task whose removal from the mirror failed does not hold the schedule back after a restart', async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'quick', definition: argv('true') })
    const { trigger } = await world.call('trigger.create', {
      trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', everyMs: 10 * MIN, overlap: 'skip' } },
    })
    world.engine.host.db.exec("CREATE TEMP TRIGGER refuse_done BEFORE DELETE ON trg_active_tasks BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    clock.advance(10 * MIN)
    const [first] = await world.log.untilFirings(1, trigger.id)
    expect(await world.log.untilFinished(first!.taskId!)).toBe('succeeded')
    world.engine.host.db.exec('DROP TRIGGER refuse_done')
    // A finished task has no next event; the next slot's firing moves the completion cursor past its end.
    clock.advance(10 * MIN)
    const second = (await world.log.untilFirings(2, trigger.id))[1]
    expect(second).toMatchObject({ outcome: 'submitted' })
    expect(await world.log.untilFinished(second!.taskId!)).toBe('succeeded')

    await world.close()
    clock.advance(10 * MIN)
    await world.open()
    expect((await world.log.untilFirings(1, trigger.id))[0]).toMatchObject({ scheduledFor: T0 + 30 * MIN, outcome: 'submitted' })
  })

  it('without overlap (or "allow") a slot starts a task on every slot beside an unfinished one', async () => {
    await world.engine.handlers['group.set']({ name: 'held' })
    await world.engine.handlers['group.pause']({ name: 'held' })
    const { savedTask } = await world.call('savedTask.create', { name: 'sync', definition: { ...argv('true'), group: 'held' } })
    const { trigger } = await world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', everyMs: 10 * MIN } } })
    expect(trigger.spec).not.toHaveProperty('overlap')
    clock.advance(10 * MIN)
    await world.log.untilFirings(1, trigger.id)
    clock.advance(10 * MIN)
    const firings = await world.log.untilFirings(2, trigger.id)
    expect(firings.map((f) => f.outcome)).toEqual(['submitted', 'submitted'])
  })

  it('catchUp (Cronicle\'s time machine) runs the slots after a past time again, by the trigger\'s policy; what it cannot do is refused by name', async () => {
    const trigger = await everyTenMinutes('all')
    clock.advance(35 * MIN)
    await world.log.untilFirings(3, trigger.id)
    const { trigger: rewound, missed } = await world.call('trigger.catchUp', { triggerId: trigger.id, from: T0 + 5 * MIN })
    expect(missed).toEqual([T0 + 10 * MIN, T0 + 20 * MIN, T0 + 30 * MIN])
    expect(rewound.nextRunAt).toBe(T0 + 40 * MIN)
    const again = (await world.log.untilFirings(6, trigger.id)).slice(3)
    expect(again.map((f) => [f.cause, f.scheduledFor, f.outcome])).toEqual([
      ['catch-up', T0 + 10 * MIN, 'submitted'],
      ['catch-up', T0 + 20 * MIN, 'submitted'],
      ['catch-up', T0 + 30 * MIN, 'submitted'],
    ])
    // Back on the schedule afterwards.
    clock.advance(5 * MIN)
    expect((await world.log.untilFirings(7, trigger.id))[6]).toMatchObject({ cause: 'schedule', scheduledFor: T0 + 40 * MIN })

    // Before the interval was set: the grid reaches back in whole steps.
    const { missed: earlier } = await world.call('trigger.catchUp', { triggerId: trigger.id, from: T0 - 25 * MIN })
    expect(earlier.slice(0, 3)).toEqual([T0 - 20 * MIN, T0 - 10 * MIN, T0])

    const refusal = (params: { triggerId: number; from: number }) => world.call('trigger.catchUp', params).then(() => 'accepted', (error: Error) => error.message)
    expect(await refusal({ triggerId: trigger.id, from: clock.now() + MIN })).toMatch(/from: must be in the past/)
    const skipping = await everyTenMinutes('skip')
    expect(await refusal({ triggerId: skipping.id, from: T0 })).toMatch(/catch-up "skip", which only records missed slots/)
    await world.call('trigger.pause', { triggerId: skipping.id })
    expect(await refusal({ triggerId: skipping.id, from: T0 })).toMatch(/^Trigger \d+ is paused; resume it first\.$/)
    const { trigger: hook } = await world.call('trigger.create', { trigger: { savedTaskId: skipping.savedTaskId, spec: { kind: 'webhook' } } })
    expect(await refusal({ triggerId: hook.id, from: T0 })).toMatch(/webhook trigger; only schedules/)
    const daily = await world.call('trigger.create', { trigger: { savedTaskId: skipping.savedTaskId, spec: { kind: 'schedule', cron: '0 3 * * *', timezone: 'UTC' } } })
    expect(await refusal({ triggerId: daily.trigger.id, from: clock.now() - MIN })).toMatch(/no slot of this schedule falls between/)
  })

  it('catchUp of a one-at-a-time schedule (overlap "skip") whose last task has not finished is refused by name, not recorded as skipped', async () => {
    // A paused group keeps the trigger's task queued, as a long run would keep it running.
    await world.engine.handlers['group.set']({ name: 'held' })
    await world.engine.handlers['group.pause']({ name: 'held' })
    const { savedTask } = await world.call('savedTask.create', { name: 'sync', definition: { ...argv('true'), group: 'held' } })
    const { trigger } = await world.call('trigger.create', {
      trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', everyMs: 10 * MIN, overlap: 'skip', catchUp: 'once' } },
    })
    clock.advance(10 * MIN)
    const [first] = await world.log.untilFirings(1, trigger.id)
    expect(first).toMatchObject({ outcome: 'submitted' })

    const refused = await world.call('trigger.catchUp', { triggerId: trigger.id, from: T0 }).then(
      () => null,
      (error: unknown) => error as { code: string; message: string },
    )
    expect(refused?.code).toBe('conflict')
    expect(refused?.message).toBe(
      `Task ${first!.taskId} of trigger ${trigger.id} has not finished; its overlap is "skip" (one at a time), so its missed slots would only be recorded as skipped. Catch up once it has finished.`,
    )

    await world.engine.handlers['group.resume']({ name: 'held' })
    expect(await world.log.untilFinished(first!.taskId!)).toBe('succeeded')
    const { missed } = await world.call('trigger.catchUp', { triggerId: trigger.id, from: T0 })
    expect(missed).toEqual([T0 + 10 * MIN])
    // The refused catch-up recorded nothing: the next firing is the accepted one, and it ran.
    const again = (await world.log.untilFirings(2, trigger.id))[1]
    expect(again).toMatchObject({ scheduledFor: T0 + 10 * MIN, outcome: 'submitted' })
    expect(again!.taskId).not.toBe(first!.taskId)
  })

  it('pause stops firing; resume does not catch up the paused time', async () => {
    const trigger = await everyTenMinutes('all')
    const { trigger: paused } = await world.call('trigger.pause', { triggerId: trigger.id })
    expect(paused).toMatchObject({ paused: true, nextRunAt: null })
    clock.advance(35 * MIN)
    expect(world.log.firings(trigger.id)).toEqual([])

    const { trigger: resumed } = await world.call('trigger.resume', { triggerId: trigger.id })
    expect(resumed.nextRunAt).toBe(T0 + 40 * MIN)
    clock.advance(5 * MIN)
    const firings = await world.log.untilFirings(1, trigger.id)
    expect(firings).toHaveLength(1)
    expect(firings[0]).toMatchObject({ cause: 'schedule', scheduledFor: T0 + 40 * MIN })
  })
})
