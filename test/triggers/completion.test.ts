import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { argv, openWorld, tempDir, type World } from './helpers.ts'

describe('task completion triggers: chains through the real engine', () => {
  let home: ReturnType<typeof tempDir>
  let world: World

  beforeEach(async () => {
    home = tempDir('chain')
    world = await openWorld(home.path)
  })
  afterEach(async () => {
    await world.close()
    home.remove()
  })

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
    ).rejects.toThrow('Invalid trigger: trigger.spec: the task it starts would match it again and start itself forever')
    await expect(
      world.call('trigger.create', { trigger: { savedTaskId: loop.id, spec: { kind: 'completion', when: 'finished', label: 'ci' } } }),
    ).rejects.toMatchObject({ code: 'bad_request' })
    expect((await world.call('trigger.list', {})).triggers).toEqual([])
  })
})
