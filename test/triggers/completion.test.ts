import { describe, expect, it } from 'vitest'
import { useWorld } from '../support/world.ts'
import { argv } from './helpers.ts'

describe('task completion triggers: chains through the real engine', () => {
  const world = useWorld()

  it('build succeeds → test runs; test fails → notify runs; each started task knows what finished', async () => {
    const build = (await world.call('savedTask.create', { name: 'build', definition: argv('true') })).savedTask
    const test = (await world.call('savedTask.create', { name: 'test', definition: argv('sh', '-c', 'exit 3') })).savedTask
    const notify = (await world.call('savedTask.create', { name: 'notify', definition: argv('sh', '-c', 'test "$TASKDECK_SOURCE_STATUS" = failed') })).savedTask
    const deploy = (await world.call('savedTask.create', { name: 'deploy', definition: argv('true') })).savedTask

    const afterBuild = (
      await world.call('trigger.create', { trigger: { savedTaskId: test.id, spec: { kind: 'completion', when: 'succeeded', afterSavedTaskId: build.id } } })
    ).trigger
    const onTestFailure = (
      await world.call('trigger.create', { trigger: { savedTaskId: notify.id, spec: { kind: 'completion', when: 'failed', afterSavedTaskId: test.id } } })
    ).trigger
    const onTestSuccess = (
      await world.call('trigger.create', { trigger: { savedTaskId: deploy.id, spec: { kind: 'completion', when: 'succeeded', afterSavedTaskId: test.id } } })
    ).trigger

    const { task: buildTask, firing } = await world.call('savedTask.run', { savedTaskId: build.id })
    expect(firing).toMatchObject({ cause: 'manual', triggerId: null, outcome: 'submitted', taskId: buildTask.id })
    expect(buildTask.definition.labels).toContain(`saved-task:${build.id}`)

    const [testFiring] = await world.log.untilFirings(1, afterBuild.id)
    expect(testFiring).toMatchObject({ cause: 'completion', detail: { sourceTaskId: buildTask.id, sourceStatus: 'succeeded' } })
    expect(await world.log.untilFinished(testFiring!.taskId!)).toBe('failed')

    const [notifyFiring] = await world.log.untilFirings(1, onTestFailure.id)
    expect(notifyFiring).toMatchObject({ detail: { sourceTaskId: testFiring!.taskId, sourceStatus: 'failed' } })
    // notify checks TASKDECK_SOURCE_STATUS itself: it succeeds only if it was told "failed".
    expect(await world.log.untilFinished(notifyFiring!.taskId!)).toBe('succeeded')
    expect(world.log.firings(onTestSuccess.id)).toEqual([])
  })

  it('fires for a task id or a label, once per finish, and again when the task is retried', async () => {
    const after = (await world.call('savedTask.create', { name: 'after', definition: argv('true') })).savedTask
    // Stashed until the triggers exist, so its finish cannot come first.
    const { task: labelled } = await world.engine.handlers['task.submit']({
      definition: { spec: { kind: 'shell', command: ['true'] }, labels: ['nightly'], group: 'default', priority: 0, after: [], stashed: true, retryOnInterrupt: false, notify: 'default' },
    })
    const byLabel = (
      await world.call('trigger.create', { trigger: { savedTaskId: after.id, spec: { kind: 'completion', when: 'finished', label: 'nightly' } } })
    ).trigger
    const byId = (
      await world.call('trigger.create', { trigger: { savedTaskId: after.id, spec: { kind: 'completion', when: 'succeeded', taskId: labelled.id } } })
    ).trigger
    await world.engine.handlers['task.unstash']({ taskIds: [labelled.id] })
    await world.log.untilFirings(1, byLabel.id)
    await world.log.untilFirings(1, byId.id)

    await world.engine.handlers['task.retry']({ taskIds: [labelled.id] })
    await world.log.untilFirings(2, byLabel.id)
    await world.log.untilFirings(2, byId.id)
    // Wait for every started task to end, then check nothing fired twice for one finish.
    const started = world.log.firings().map((f) => f.taskId!)
    for (const id of started) await world.log.untilFinished(id)
    expect(world.log.firings(byLabel.id)).toHaveLength(2)
    expect(world.log.firings(byId.id)).toHaveLength(2)
  })

  it('refuses a chain that would start itself forever', async () => {
    const loop = (await world.call('savedTask.create', { name: 'loop', definition: { ...argv('true'), labels: ['ci'] } })).savedTask
    await expect(
      world.call('trigger.create', { trigger: { savedTaskId: loop.id, spec: { kind: 'completion', when: 'finished', afterSavedTaskId: loop.id } } }),
    ).rejects.toThrow(`Invalid trigger: trigger.spec: would start tasks in a loop forever: saved task ${loop.id} "loop" → this new trigger → saved task ${loop.id} "loop"`)
    await expect(
      world.call('trigger.create', { trigger: { savedTaskId: loop.id, spec: { kind: 'completion', when: 'finished', label: 'ci' } } }),
    ).rejects.toMatchObject({ code: 'bad_request' })
    expect((await world.call('trigger.list', {})).triggers).toEqual([])
  })

  it('allows a chain back to the same saved task when the tasks it starts are not watched (no loop)', async () => {
    const report = (await world.call('savedTask.create', { name: 'report', definition: argv('true') })).savedTask
    // A scheduled run of "report" is followed by one more run; that run carries trigger:<follow-up>, not trigger:<nightly>.
    const nightly = (await world.call('trigger.create', { trigger: { name: 'nightly', savedTaskId: report.id, spec: { kind: 'schedule', cron: '0 3 * * *' } } })).trigger
    const followUp = (
      await world.call('trigger.create', { trigger: { name: 'again', savedTaskId: report.id, spec: { kind: 'completion', when: 'succeeded', label: `trigger:${nightly.id}` } } })
    ).trigger
    await world.call('trigger.fire', { triggerId: nightly.id })
    const [again] = await world.log.untilFirings(1, followUp.id)
    expect(await world.log.untilFinished(again!.taskId!)).toBe('succeeded')
    // Served in order: a firing for "again"'s own task would have been recorded before this one.
    const { task: other } = await world.call('savedTask.run', { savedTaskId: report.id })
    await world.log.untilFinished(other.id)
    expect(world.log.firings(followUp.id)).toHaveLength(1)
  })

  it('refuses loops through several triggers and saved tasks, on create, update, saved task edit and import, changing nothing', async () => {
    const saved = async (name: string, labels: string[] = []) => (await world.call('savedTask.create', { name, definition: { ...argv('true'), labels } })).savedTask
    const build = await saved('build')
    const test = await saved('test')
    const deploy = await saved('deploy', ['release'])
    const after = (savedTaskId: number, afterSavedTaskId: number, name: string) =>
      world.call('trigger.create', { trigger: { name, savedTaskId, spec: { kind: 'completion', when: 'succeeded', afterSavedTaskId } } })
    const testAfterBuild = (await after(test.id, build.id, 'test after build')).trigger
    const deployAfterTest = (await after(deploy.id, test.id, 'deploy after test')).trigger

    // deploy's tasks carry the label "release": watching it to start build closes build → test → deploy → build.
    const closing = { name: 'rebuild on release', savedTaskId: build.id, spec: { kind: 'completion' as const, when: 'failed' as const, label: 'release' } }
    await expect(world.call('trigger.create', { trigger: closing })).rejects.toThrow(
      `trigger.spec: would start tasks in a loop forever: saved task ${deploy.id} "deploy" → this new trigger → saved task ${build.id} "build" → trigger ${testAfterBuild.id} "test after build" → saved task ${test.id} "test" → trigger ${deployAfterTest.id} "deploy after test" → saved task ${deploy.id} "deploy"`,
    )

    // An unrelated trigger may not be turned into the closing link either.
    const nightly = (await world.call('trigger.create', { trigger: { name: 'nightly', savedTaskId: build.id, spec: { kind: 'schedule', cron: '0 3 * * *' } } })).trigger
    await expect(world.call('trigger.update', { triggerId: nightly.id, trigger: closing })).rejects.toThrow(/loop forever: .*trigger \d+ "rebuild on release"/)
    expect((await world.call('trigger.get', { triggerId: nightly.id })).trigger.spec.kind).toBe('schedule')

    // A watcher of "nightly-done" is harmless until build's own definition gets that label.
    await world.call('trigger.create', { trigger: { name: 'build after labelled', savedTaskId: build.id, spec: { kind: 'completion', when: 'finished', label: 'nightly-done' } } })
    await expect(world.call('savedTask.update', { savedTaskId: deploy.id, definition: { ...argv('true'), labels: ['release', 'nightly-done'] } })).rejects.toThrow(
      /definition\.labels: would start tasks in a loop forever: saved task \d+ "deploy" → trigger \d+ "build after labelled" → saved task \d+ "build"/,
    )
    expect((await world.call('savedTask.list', {})).savedTasks.find((s) => s.id === deploy.id)?.definition.labels).toEqual(['release'])

    // An import whose triggers close a loop (within the document) is refused whole.
    const before = { saved: (await world.call('savedTask.list', {})).savedTasks, triggers: (await world.call('trigger.list', {})).triggers }
    const document = {
      format: 'taskdeck-triggers' as const,
      version: 1 as const,
      exportedAt: 0,
      savedTasks: [{ id: 1, name: 'ping', definition: argv('true') }, { id: 2, name: 'pong', definition: argv('true') }],
      triggers: [
        { id: 1, savedTaskId: 2, paused: false, spec: { kind: 'completion' as const, when: 'finished' as const, afterSavedTaskId: 1 } },
        { id: 2, savedTaskId: 1, paused: false, spec: { kind: 'completion' as const, when: 'finished' as const, afterSavedTaskId: 2 } },
      ],
    }
    await expect(world.call('trigger.import', { document })).rejects.toThrow(/document\.triggers\.0\.spec: would start tasks in a loop forever: saved task \d+ "ping" → trigger \d+ "pong \(completion\)" → saved task \d+ "pong"/)
    expect((await world.call('savedTask.list', {})).savedTasks).toEqual(before.saved)
    expect((await world.call('trigger.list', {})).triggers).toEqual(before.triggers)
    // The ids the refused import would have taken are given to the next saved task.
    expect((await saved('next')).id).toBe(deploy.id + 1)
  })
})
