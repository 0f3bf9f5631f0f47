import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { COMMANDS, readRefusal, REFUSALS, REFUSAL_REASONS, type ApiError, type CommandInput, type CommandName, type CommandResult, type Refusal, type Task } from '../../src-shared/index.ts'
import { useWorld } from '../support/world.ts'
import { shell } from './helpers.ts'

/**
 * Refusals a person can meet say what they are as data (`details.reason` and the values its sentence needs, see
 * src-shared/refusals.ts), beside the English message the CLI prints, which stays as it was. Real commands on a
 * real engine with its triggers: each refusal is read back with the clients' own reader, so its values are
 * of the reason's shape.
 */
describe('refusals carry their reason and values', () => {
  const world = useWorld()
  const call = <N extends CommandName>(name: N, params: CommandInput<N>): Promise<CommandResult<N>> => {
    const handler = (world.engine.handlers as Record<string, ((p: unknown) => Promise<unknown>) | undefined>)[name] ?? (world.triggers.handlers as Record<string, (p: unknown) => Promise<unknown>>)[name]!
    return handler(COMMANDS[name].params.parse(params)) as Promise<CommandResult<N>>
  }
  /** The refusal of a command that must be refused, with its error as sent. */
  const refused = async <N extends CommandName>(name: N, params: CommandInput<N>): Promise<{ error: ApiError; refusal: Refusal | null }> => {
    const error = await call(name, params).then(
      () => {
        throw new Error(`${name} was not refused`)
      },
      (e: unknown) => JSON.parse(JSON.stringify({ code: (e as ApiError).code, message: (e as ApiError).message, details: (e as ApiError).details })) as ApiError,
    )
    return { error, refusal: readRefusal(error) }
  }
  const untilStatus = (taskId: number, status: Task['status']) =>
    world.log.until((events) => events.findLast((e) => (e.type === 'task.updated' || e.type === 'task.created') && e.task.id === taskId && e.task.status === status))

  it('the tasks: not found, not editable, not queued, not running, cannot run, not removable, a key used twice', async () => {
    expect(await refused('task.get', { taskId: 999 })).toMatchObject({ error: { code: 'not_found', message: 'There is no task 999.', details: { taskId: 999 } }, refusal: { reason: 'task-not-found', values: { taskIds: [999] } } })
    // Bulk commands name every missing task, and keep their issues.
    const { task: first } = await call('task.submit', { definition: shell('true') })
    expect(await refused('task.cancel', { taskIds: [first.id, 998, 999] })).toMatchObject({
      error: { message: 'There are no tasks 998, 999.', details: { issues: [{ path: 'taskIds.1' }, { path: 'taskIds.2' }] } },
      refusal: { reason: 'task-not-found', values: { taskIds: [998, 999] } },
    })

    const { task: running } = await call('task.submit', { definition: shell('sleep 30') })
    await untilStatus(running.id, 'running')
    expect(await refused('task.edit', { taskId: running.id, definition: shell('true') })).toMatchObject({
      error: { code: 'conflict', message: `Only a task that has not started can be edited; task ${running.id} is running.` },
      refusal: { reason: 'task-not-editable', values: { taskId: running.id, status: 'running' } },
    })
    expect((await refused('task.move', { taskId: running.id, to: 'top' })).refusal).toEqual({ reason: 'task-not-queued', values: { taskId: running.id, status: 'running' } })
    expect((await refused('task.clean', { taskIds: [running.id] })).refusal).toEqual({ reason: 'tasks-not-removable', values: { problems: [{ kind: 'unfinished', taskId: running.id, status: 'running' }] } })

    // A script runs in a worker thread, which cannot be paused.
    const script = join(world.home, 'waits.mjs')
    writeFileSync(script, 'export default () => new Promise((resolve) => setTimeout(resolve, 30_000))\n')
    const { task: scripted } = await call('task.submit', { definition: { spec: { kind: 'script', path: script } } })
    await untilStatus(scripted.id, 'running')
    expect(await refused('task.pause', { taskIds: [scripted.id] })).toMatchObject({
      error: { code: 'conflict', message: `Task ${scripted.id} (script) cannot be paused while it runs.` },
      refusal: { reason: 'task-not-pausable', values: { taskId: scripted.id, kind: 'script' } },
    })
    await call('task.cancel', { taskIds: [scripted.id] })

    // A run whose definition's stdin text was written has its input closed.
    const { task: fed } = await call('task.submit', { definition: { spec: { kind: 'shell', command: 'cat; sleep 30', stdin: 'once\n' } } })
    await untilStatus(fed.id, 'running')
    await world.log.until((events) => events.find((e) => e.type === 'run.output' && e.taskId === fed.id))
    expect(await refused('task.send', { taskId: fed.id, text: 'more' })).toMatchObject({ error: { code: 'conflict' }, refusal: { reason: 'stdin-closed', values: {} } })
    await call('task.cancel', { taskIds: [fed.id] })

    await untilStatus(first.id, 'succeeded')
    expect((await refused('task.send', { taskId: first.id, text: 'x' })).refusal).toEqual({ reason: 'task-not-running', values: { taskId: first.id, status: 'succeeded' } })

    // A retry of a task whose dependency failed, without that dependency: it would fail at once, and says why as an end reason.
    const { task: failing } = await call('task.submit', { definition: shell('exit 3') })
    const { task: after } = await call('task.submit', { definition: shell('true', { after: [failing.id] }) })
    await untilStatus(after.id, 'failed')
    expect(await refused('task.retry', { taskIds: [after.id] })).toMatchObject({
      error: { message: `Task ${after.id} cannot run: dependency #${failing.id} failed: exited with code 3.` },
      refusal: { reason: 'task-cannot-run', values: { taskId: after.id, endReason: { kind: 'dependency-ended', taskId: failing.id, status: 'failed', cause: { kind: 'exited', code: 3 } } } },
    })
    // A finished task that an unfinished one (stashed) still waits for.
    const { task: stashed } = await call('task.submit', { definition: shell('true', { after: [first.id], stashed: true }) })
    expect((await refused('task.clean', { taskIds: [first.id, running.id] })).refusal).toEqual({
      reason: 'tasks-not-removable',
      values: { problems: [{ kind: 'dependency', taskId: first.id, dependantId: stashed.id }, { kind: 'unfinished', taskId: running.id, status: 'running' }] },
    })

    await call('task.submit', { definition: shell('true'), idempotencyKey: 'nightly' })
    expect((await refused('task.submit', { definition: shell('false'), idempotencyKey: 'nightly' })).refusal).toMatchObject({ reason: 'idempotency-key-used', values: { idempotencyKey: 'nightly' } })
    expect((await refused('run.readLog', { runId: 999 })).refusal).toEqual({ reason: 'run-not-found', values: { runId: 999 } })
    await call('task.cancel', { taskIds: [running.id] })
  })

  it('groups and settings: not found, the default group, a group with unfinished tasks, a setting changed meanwhile', async () => {
    expect((await refused('group.pause', { name: 'nope' })).refusal).toEqual({ reason: 'group-not-found', values: { group: 'nope' } })
    expect((await refused('group.remove', { name: 'default' })).refusal).toEqual({ reason: 'group-default', values: { group: 'default' } })
    await call('group.set', { name: 'held' })
    await call('group.pause', { name: 'held' })
    const { task } = await call('task.submit', { definition: shell('true', { group: 'held' }) })
    expect(await refused('group.remove', { name: 'held' })).toMatchObject({
      error: { message: `Group "held" still has unfinished tasks: ${task.id}.`, details: { taskIds: [task.id] } },
      refusal: { reason: 'group-not-empty', values: { group: 'held', taskIds: [task.id] } },
    })
    await call('settings.set', { patch: { favourites: [1] } })
    expect(await refused('settings.set', { patch: { favourites: [2] }, expect: { favourites: [] } })).toMatchObject({
      error: { details: { setting: 'favourites', current: [1], issues: [{ path: 'expect.favourites' }] } },
      refusal: { reason: 'settings-changed', values: { setting: 'favourites', current: [1] } },
    })
  })

  it('saved tasks and triggers: not found, in use, a catch-up its trigger does not allow', async () => {
    expect((await refused('savedTask.run', { savedTaskId: 77 })).refusal).toEqual({ reason: 'saved-task-not-found', values: { savedTaskId: 77 } })
    expect(await refused('trigger.get', { triggerId: 66 })).toMatchObject({
      error: { code: 'not_found', message: 'triggerId: trigger 66 does not exist', details: { issues: [{ path: 'triggerId', message: 'trigger 66 does not exist' }] } },
      refusal: { reason: 'trigger-not-found', values: { triggerId: 66 } },
    })
    const { savedTask } = await call('savedTask.create', { name: 'nightly', definition: shell('true') })
    const { trigger } = await call('trigger.create', { trigger: { name: 'at three', savedTaskId: savedTask.id, spec: { kind: 'schedule', cron: '0 3 * * *' } } })
    expect((await refused('savedTask.remove', { savedTaskId: savedTask.id })).refusal).toEqual({ reason: 'saved-task-in-use', values: { savedTaskId: savedTask.id, triggers: [{ id: trigger.id, name: 'at three' }] } })
    await call('trigger.pause', { triggerId: trigger.id })
    expect((await refused('trigger.catchUp', { triggerId: trigger.id, from: Date.now() - 86_400_000 })).refusal).toEqual({ reason: 'catch-up-paused', values: { triggerId: trigger.id } })
    const { trigger: hook } = await call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'webhook' } } })
    expect((await refused('trigger.catchUp', { triggerId: hook.id, from: Date.now() - 86_400_000 })).refusal).toEqual({ reason: 'catch-up-not-schedule', values: { triggerId: hook.id, kind: 'webhook' } })
  })

  it('every reason\'s example is of its own shape (docs/api.md shows them)', () => {
    for (const reason of REFUSAL_REASONS) {
      const { code, example } = REFUSALS[reason]
      expect(readRefusal({ code, message: 'm', details: { ...example, reason } }), reason).toEqual({ reason, values: example })
    }
    // An unknown reason (a newer server), or values of another shape, is no refusal this client can say.
    expect(readRefusal({ code: 'conflict', message: 'm', details: { reason: 'task-on-fire', taskId: 3 } })).toBeNull()
    expect(readRefusal({ code: 'conflict', message: 'm', details: { reason: 'task-not-editable', taskId: 'three' } })).toBeNull()
    expect(readRefusal({ code: 'conflict', message: 'm' })).toBeNull()
  })
})
