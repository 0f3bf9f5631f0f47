import { describe, expect, it } from 'vitest'
import { DurableEventSchema, isDurable, parseRequest } from '../../src-shared/index.ts'
import { openWorld, useWorld } from '../support/world.ts'
import { TestClock, argv } from './helpers.ts'

describe('saved tasks, history, export and import', () => {
  const world = useWorld()

  it('creates, updates, lists and runs saved tasks; the run is labelled with its origin', async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'greet', definition: { ...argv('echo', 'hi'), group: 'tools' } })
    const { savedTask: renamed } = await world.call('savedTask.update', { savedTaskId: savedTask.id, name: 'greet loudly' })
    expect(renamed).toMatchObject({ id: savedTask.id, name: 'greet loudly', definition: { group: 'tools' } })
    expect((await world.call('savedTask.list', {})).savedTasks.map((s) => s.name)).toEqual(['greet loudly'])

    // The engine checks the definition when the task is started, not when it is saved.
    await expect(world.call('savedTask.run', { savedTaskId: savedTask.id })).rejects.toMatchObject({
      code: 'bad_request',
      message: 'definition.group: unknown group "tools" (create it first: taskdeck group add tools)',
    })
    const refused = (await world.log.untilFirings(1))[0]
    expect(refused).toMatchObject({ cause: 'manual', outcome: 'failed', taskId: null, error: 'definition.group: unknown group "tools" (create it first: taskdeck group add tools)' })

    await world.engine.handlers['group.set']({ name: 'tools', parallel: 2 })
    const { task } = await world.call('savedTask.run', { savedTaskId: savedTask.id })
    expect(task).toMatchObject({ name: 'greet loudly', definition: { group: 'tools', labels: [`saved-task:${savedTask.id}`] } })
    expect(await world.log.untilFinished(task.id)).toBe('succeeded')
  })

  it('refuses to remove a saved task that triggers still start, and removes it once they are gone', async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'nightly', definition: argv('true') })
    const { trigger } = await world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', cron: '0 3 * * *' } } })
    await expect(world.call('savedTask.remove', { savedTaskId: savedTask.id })).rejects.toMatchObject({
      code: 'conflict',
      message: `Saved task ${savedTask.id} is used by trigger ${trigger.id} "${trigger.name}"; remove those first.`,
    })
    await world.call('trigger.remove', { triggerId: trigger.id })
    await world.call('savedTask.remove', { savedTaskId: savedTask.id })
    expect((await world.call('savedTask.list', {})).savedTasks).toEqual([])
  })

  it('refuses bad input naming the field, and nothing stored changes', async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'x', definition: argv('true') })
    const before = await world.call('trigger.export', {})

    const badCron = parseRequest({ v: 1, id: 1, command: 'trigger.create', params: { trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', cron: '61 * * * *' } } } })
    expect(!badCron.result.ok && badCron.result.error.message).toMatch(/^Invalid params for trigger\.create: trigger\.spec\.cron: invalid cron expression "61 \* \* \* \*"/)

    const badZone = parseRequest({ v: 1, id: 2, command: 'trigger.create', params: { trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', cron: '* * * * *', timezone: 'Mars/Olympus' } } } })
    expect(!badZone.result.ok && badZone.result.error.details?.issues?.[0]).toEqual({ path: 'trigger.spec.timezone', message: 'is not a known IANA time zone' })

    await expect(world.call('trigger.create', { trigger: { savedTaskId: 404, spec: { kind: 'schedule', everyMs: 60_000 } } })).rejects.toMatchObject({
      code: 'bad_request',
      message: 'Invalid trigger: trigger.savedTaskId: saved task 404 does not exist',
    })
    await expect(world.call('savedTask.run', { savedTaskId: 404 })).rejects.toMatchObject({ code: 'not_found' })
    await expect(world.call('trigger.pause', { triggerId: 404 })).rejects.toMatchObject({ code: 'not_found' })

    const { exportedAt: _a, ...expected } = before
    const { exportedAt: _b, ...after } = await world.call('trigger.export', {})
    expect(after).toEqual(expected)
  })

  it('keeps every trigger’s firing history (and the events) across a restart', async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'x', definition: argv('true') })
    const { trigger } = await world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'webhook', secret: 'a-very-long-secret-1' } } })
    const first = (await world.call('trigger.fire', { triggerId: trigger.id, payload: { n: 1 } })).firing
    const second = (await world.call('trigger.fire', { triggerId: trigger.id, payload: { n: 2 } })).firing
    expect(first).toMatchObject({ cause: 'manual', outcome: 'submitted', triggerId: trigger.id })
    await world.close()

    await world.open()
    const { trigger: reopened, history } = await world.call('trigger.get', { triggerId: trigger.id })
    expect(history).toEqual([second, first])
    expect(reopened.lastFiredAt).toBe(second.firedAt)
    // The firings are durable events too: a client that reconnects with since=0 replays them.
    const { events } = await world.engine.handlers['events.read']({ since: 0, limit: 1000 })
    const fired = events.filter((e) => e.type === 'trigger.fired')
    expect(fired.map((e) => e.type === 'trigger.fired' && e.firing.id)).toEqual([first.id, second.id])
    for (const event of fired) expect(DurableEventSchema.safeParse(event).success).toBe(true)
  })

  it('exports and imports saved tasks and triggers as JSON, with new ids and references kept', async () => {
    const build = (await world.call('savedTask.create', { name: 'build', definition: argv('make') })).savedTask
    const test = (await world.call('savedTask.create', { name: 'test', definition: argv('make', 'test') })).savedTask
    await world.call('trigger.create', { trigger: { name: 'nightly build', savedTaskId: build.id, spec: { kind: 'schedule', cron: '0 3 * * *', timezone: 'Europe/Paris', catchUp: 'skip' } } })
    await world.call('trigger.create', { trigger: { savedTaskId: test.id, spec: { kind: 'completion', when: 'succeeded', afterSavedTaskId: build.id } } })
    await world.call('trigger.create', { trigger: { savedTaskId: test.id, spec: { kind: 'shortcut', accelerator: 'CmdOrCtrl+Alt+T' }, paused: true } })
    const exported = JSON.parse(JSON.stringify(await world.call('trigger.export', {}))) as unknown
    // Every event the triggers announced is one the contract declares, as a client would parse it.
    const announced = world.log.events.filter((e) => isDurable(e) && /^(trigger|savedTask)\./.test(e.type))
    expect(announced.map((e) => e.type)).toEqual(['savedTask.updated', 'savedTask.updated', 'trigger.updated', 'trigger.updated', 'trigger.updated'])
    for (const event of announced) expect(DurableEventSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event)

    const other = await openWorld(world.anotherDir(), { clock: new TestClock(Date.parse('2026-06-01T00:00:00Z')) })
    try {
      // Something already there gets other ids.
      await other.call('savedTask.create', { name: 'existing', definition: argv('true') })
      const params = parseRequest({ v: 1, id: 1, command: 'trigger.import', params: { document: exported } })
      expect(params.result.ok).toBe(true)
      const mapping = await other.call('trigger.import', { document: exported as never })
      expect(mapping.savedTasks).toEqual([
        { from: build.id, to: 2 },
        { from: test.id, to: 3 },
      ])
      const reexported = await other.call('trigger.export', {})
      expect(reexported.savedTasks.slice(1).map((s) => s.name)).toEqual(['build', 'test'])
      expect(reexported.triggers.map((t) => [t.name, t.savedTaskId, t.spec, t.paused])).toEqual([
        ['nightly build', 2, { kind: 'schedule', cron: '0 3 * * *', timezone: 'Europe/Paris', catchUp: 'skip', maxCatchUp: 100 }, false],
        ['test (completion)', 3, { kind: 'completion', when: 'succeeded', afterSavedTaskId: 2 }, false],
        ['test (CommandOrControl+Alt+T)', 3, { kind: 'shortcut', accelerator: 'CommandOrControl+Alt+T' }, true],
      ])
      const nightly = (await other.call('trigger.list', {})).triggers[0]!
      expect(new Date(nightly.nextRunAt!).toISOString()).toBe('2026-06-01T01:00:00.000Z')
    } finally {
      await other.close()
    }
  })

  it('importing the same export again adds nothing: what is already here is answered as existed, shortcuts and hooks included', async () => {
    const build = (await world.call('savedTask.create', { name: 'build', definition: argv('make') })).savedTask
    const test = (await world.call('savedTask.create', { name: 'test', definition: argv('make', 'test') })).savedTask
    await world.call('trigger.create', { trigger: { name: 'nightly', savedTaskId: build.id, spec: { kind: 'schedule', cron: '0 3 * * *' } } })
    await world.call('trigger.create', { trigger: { savedTaskId: test.id, spec: { kind: 'completion', when: 'succeeded', afterSavedTaskId: build.id } } })
    await world.call('trigger.create', { trigger: { savedTaskId: test.id, spec: { kind: 'shortcut', accelerator: 'CmdOrCtrl+Alt+T' } } })
    const { secret } = await world.call('trigger.create', { trigger: { name: 'deploy hook', savedTaskId: build.id, spec: { kind: 'webhook' } } })
    const exported = await world.call('trigger.export', {})
    const before = (await world.call('trigger.list', {})).triggers

    // Here, where it was exported: everything is already here (the shortcut is its own binding, not a clash).
    const again = await world.call('trigger.import', { document: exported })
    expect(again.savedTasks).toEqual(exported.savedTasks.map((s) => ({ from: s.id, to: s.id, existed: true })))
    expect(again.triggers).toEqual(exported.triggers.map((t) => ({ from: t.id, to: t.id, existed: true })))
    expect((await world.call('trigger.list', {})).triggers).toEqual(before)
    expect((await world.call('savedTask.list', {})).savedTasks).toHaveLength(2)

    // Elsewhere: the first import adds everything, a second adds nothing; a paused trigger there is still the same trigger.
    const other = await openWorld(world.anotherDir())
    try {
      const first = await other.call('trigger.import', { document: exported })
      expect(first.triggers.filter((t) => t.existed)).toEqual([])
      await other.call('trigger.pause', { triggerId: first.triggers[0]!.to })
      const second = await other.call('trigger.import', { document: exported })
      expect(second.savedTasks).toEqual(first.savedTasks.map((entry) => ({ ...entry, existed: true })))
      expect(second.triggers).toEqual(first.triggers.map((entry) => ({ ...entry, existed: true })))
      expect((await other.call('trigger.list', {})).triggers).toHaveLength(exported.triggers.length)
      expect((await other.call('savedTask.list', {})).savedTasks).toHaveLength(2)

      // A hand-written hook with the secret itself is the same hook; one whose saved task changed is new, with its own saved task.
      const hook = exported.triggers.find((t) => t.spec.kind === 'webhook')!
      const handWritten = { ...exported, triggers: [{ ...hook, spec: { kind: 'webhook' as const, secret } }] }
      expect((await other.call('trigger.import', { document: handWritten })).triggers).toEqual([{ from: hook.id, to: first.triggers.find((t) => t.from === hook.id)!.to, existed: true }])
      const changed = { ...exported, savedTasks: exported.savedTasks.map((s) => (s.id === build.id ? { ...s, definition: { ...s.definition, labels: ['ci'] } } : s)) }
      const third = await other.call('trigger.import', { document: changed })
      expect(third.savedTasks.map((entry) => entry.existed ?? false)).toEqual([false, true])
      // The triggers of the changed saved task are new; the completion trigger now follows the new one too.
      expect(third.triggers.map((entry) => entry.existed ?? false)).toEqual(exported.triggers.map((t) => t.spec.kind === 'shortcut'))
    } finally {
      await other.close()
    }
  })

  it('validates an import whole: one bad entry and nothing is stored', async () => {
    const document = {
      format: 'taskdeck-triggers' as const,
      version: 1 as const,
      exportedAt: 0,
      savedTasks: [{ id: 1, name: 'a', definition: argv('true') }],
      triggers: [
        { id: 1, savedTaskId: 1, spec: { kind: 'schedule' as const, everyMs: 60_000 }, paused: false },
        { id: 2, savedTaskId: 7, spec: { kind: 'fileWatch' as const, paths: ['/definitely/not/here'] }, paused: false },
        { id: 3, savedTaskId: 1, spec: { kind: 'shortcut' as const, accelerator: 'Ctrl+K' }, paused: false },
        { id: 4, savedTaskId: 1, spec: { kind: 'shortcut' as const, accelerator: 'control+k' }, paused: false },
      ],
    }
    const error = (await world.call('trigger.import', { document }).catch((e: unknown) => e)) as { code: string; details: { issues: { path: string }[] } }
    expect(error.code).toBe('bad_request')
    expect(error.details.issues.map((i) => i.path)).toEqual([
      'document.triggers.1.savedTaskId',
      'document.triggers.1.spec.paths.0',
      'document.triggers.3.spec.accelerator',
    ])
    expect((await world.call('savedTask.list', {})).savedTasks).toEqual([])
    expect((await world.call('trigger.list', {})).triggers).toEqual([])

    const malformed = parseRequest({ v: 1, id: 1, command: 'trigger.import', params: { document: { ...document, format: 'something-else' } } })
    expect(!malformed.result.ok && malformed.result.error.details?.issues?.[0]?.path).toBe('document.format')
  })
})
