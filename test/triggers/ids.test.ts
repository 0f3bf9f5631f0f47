import { describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION, parseRequest } from '../../src-shared/index.ts'
import { TRIGGER_MIGRATIONS, registerMigrationFunctions } from '../../src-main/triggers/store.ts'
import { useWorld } from '../support/world.ts'
import { argv } from './helpers.ts'

/**
 * A removed trigger's id lives on in its tasks' `trigger:<id>` label, in the log's
 * announcements and in a hook URL someone kept: a restart must not give it to a new one.
 */
describe('ids are never given twice', () => {
  // Each test opens the world itself: the second writes an older schema first.
  const world = useWorld({}, { openBeforeEach: false })

  const addFiredAndRemove = async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'old', definition: argv('true') })
    const { trigger } = await world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', everyMs: 3600_000 } } })
    const { firing } = await world.call('trigger.fire', { triggerId: trigger.id })
    await world.call('trigger.remove', { triggerId: trigger.id })
    await world.call('savedTask.remove', { savedTaskId: savedTask.id })
    return { savedTask, trigger, firing }
  }

  const addAgain = async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'new', definition: argv('true') })
    const { trigger } = await world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', everyMs: 3600_000 } } })
    const { firing } = await world.call('trigger.fire', { triggerId: trigger.id })
    return { savedTask, trigger, firing }
  }

  it('after the highest saved task, trigger and firing were removed and the app restarted', async () => {
    await world.open()
    const old = await addFiredAndRemove()
    await world.close()
    await world.open()
    const fresh = await addAgain()
    expect(fresh.savedTask.id).toBeGreaterThan(old.savedTask.id)
    expect(fresh.trigger.id).toBeGreaterThan(old.trigger.id)
    expect(fresh.firing.id).toBeGreaterThan(old.firing.id)
  })

  it('in a database whose highest rows were removed before the ids were kept (triggers migration 5 reads them from the log)', async () => {
    const old = await world.withEngineOnly(async (engine) => {
      registerMigrationFunctions(engine.host.db)
      engine.host.migrate('triggers', TRIGGER_MIGRATIONS.slice(0, 4))
      // What an older version logged and then removed: nothing of it is left in the tables.
      const definition = { spec: { kind: 'shell' as const, command: ['true'], cwd: '/', env: {}, inheritEnv: false, shell: false }, labels: [], after: [] }
      const trigger = { id: 7, name: 'old', savedTaskId: 5, spec: { kind: 'shortcut' as const, accelerator: 'Control+K' }, paused: false, createdAt: 1, updatedAt: 1, lastFiredAt: null, nextRunAt: null }
      await engine.host.append({ type: 'savedTask.updated', savedTask: { id: 5, name: 'old', definition: definition as never, createdAt: 1, updatedAt: 1 } })
      await engine.host.append({ type: 'trigger.updated', trigger })
      const firing = { id: 9, triggerId: 7, savedTaskId: 5, firedAt: 1, cause: 'manual' as const, scheduledFor: null, outcome: 'submitted' as const, taskId: null, error: null, detail: {} }
      await engine.host.append({ type: 'trigger.fired', firing, trigger })
      await engine.host.append({ type: 'trigger.removed', triggerId: 7 })
      await engine.host.append({ type: 'savedTask.removed', savedTaskId: 5 })
      return { savedTask: 5, trigger: 7, firing: 9 }
    })
    await world.open()
    const fresh = await addAgain()
    expect(fresh.savedTask.id).toBe(old.savedTask + 1)
    expect(fresh.trigger.id).toBe(old.trigger + 1)
    expect(fresh.firing.id).toBe(old.firing + 1)
  })

  it('a trigger made with its saved task and refused uses up neither id: the next ones get the ids it would have had', async () => {
    await world.open()
    const first = await world.call('trigger.create', { trigger: { spec: { kind: 'schedule', everyMs: 3600_000 } }, savedTask: { name: 'first', definition: argv('true') } })
    expect(first.savedTask).toMatchObject({ id: first.trigger.savedTaskId, name: 'first' })
    expect(first.trigger.name).toBe('first (every 3600000 ms)')
    await expect(
      world.call('trigger.create', { trigger: { spec: { kind: 'fileWatch', paths: ['/definitely/not/here'] } }, savedTask: { name: 'refused', definition: argv('true') } }),
    ).rejects.toMatchObject({ code: 'bad_request', message: 'Invalid trigger: trigger.spec.paths.0: /definitely/not/here does not exist' })
    expect((await world.call('savedTask.list', {})).savedTasks.map((s) => s.name)).toEqual(['first'])
    const next = await world.call('trigger.create', { trigger: { spec: { kind: 'schedule', everyMs: 3600_000 } }, savedTask: { name: 'next', definition: argv('true') } })
    expect([next.savedTask?.id, next.trigger.id]).toEqual([first.trigger.savedTaskId + 1, first.trigger.id + 1])
    // Its saved task is checked with it: a completion trigger started by the tasks it follows is a loop.
    await expect(
      world.call('trigger.create', {
        trigger: { spec: { kind: 'completion', when: 'finished', label: 'chained' } },
        savedTask: { name: 'loop', definition: { ...argv('true'), labels: ['chained'] } },
      }),
    ).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('would start tasks in a loop forever') as unknown })
    expect((await world.call('savedTask.create', { name: 'after', definition: argv('true') })).savedTask.id).toBe(first.trigger.savedTaskId + 2)

    // One of the two, at the boundary.
    for (const params of [{ trigger: { spec: { kind: 'schedule', everyMs: 3600_000 } } }, { trigger: { savedTaskId: 1, spec: { kind: 'schedule', everyMs: 3600_000 } }, savedTask: { name: 'x', definition: argv('true') } }]) {
      expect(parseRequest({ v: PROTOCOL_VERSION, id: 1, command: 'trigger.create', params }).result).toMatchObject({
        ok: false,
        error: { code: 'bad_request', message: 'Invalid params for trigger.create: trigger.savedTaskId: give exactly one of trigger.savedTaskId and savedTask' },
      })
    }
  })
})
