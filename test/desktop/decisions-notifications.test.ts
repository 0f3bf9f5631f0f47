import { beforeEach, describe, expect, it } from 'vitest'
import { foldDesktopEvents, initialDesktopState } from '../../src-shared/decisions/desktopState.ts'
import {
  bufferFinishes,
  COALESCE_WINDOW_MS,
  emptyNotificationBuffer,
  finishedTasksIn,
  notifiable,
  notificationFor,
  NOTIFICATION_STDERR_CHARS,
  sayNotification,
  suppressionReason,
  takeDueNotification,
  type FinishedTask,
} from '../../src-shared/decisions/notifications.ts'
import { formatDuration } from '../../src-shared/decisions/strings.ts'
import { DEFAULT_SETTINGS, type Settings } from '../../src-shared/index.ts'
import { created, finish, finished, lifecycle, resetSeq, run, task, updated } from './fixtures.ts'

beforeEach(resetSeq)

const defaults = DEFAULT_SETTINGS.notifications
const notifySettings = (patch: Partial<Settings['notifications']>) => ({ ...defaults, ...patch })

describe('finished tasks in an event batch', () => {
  it('finds tasks reaching a final status, with duration and reason from their run', () => {
    const found = finishedTasksIn(initialDesktopState(), [
      ...lifecycle(1, 'succeeded', { name: 'build' }),
      ...lifecycle(2, 'failed', { run: { reason: 'exit code 3', exitCode: 3 } }),
      ...lifecycle(3, 'cancelled'),
    ])
    expect(found.map((f) => [f.taskId, f.outcome, f.durationMs, f.reason])).toEqual([
      [1, 'succeeded', 5000, null],
      [2, 'failed', 5000, 'exit code 3'],
    ])
  })

  it('carries the structured end reason from the run, or from the task when it ended without one', () => {
    const found = finishedTasksIn(initialDesktopState(), [
      ...lifecycle(1, 'failed', { run: { reason: 'killed by SIGTERM', endReason: { kind: 'killed', signal: 'SIGTERM' } } }),
      created(task(2, 'queued')),
      updated(task(2, 'failed', { reason: 'dependency #1 failed', endReason: { kind: 'dependency-ended', taskId: 1, status: 'failed', cause: null } })),
    ])
    expect(found.map((f) => [f.taskId, f.endReason])).toEqual([
      [1, { kind: 'killed', signal: 'SIGTERM' }],
      [2, { kind: 'dependency-ended', taskId: 1, status: 'failed', cause: null }],
    ])
    expect(finishedTasksIn(initialDesktopState(), lifecycle(3, 'failed'))[0]?.endReason).toBeNull()
  })

  it('says a failure paused its group (pause on failure), alone and in a burst, in English and Korean', () => {
    const pausedDeploy = { type: 'group.updated' as const, seq: 900, at: 20_000, group: { name: 'deploy', parallel: 1, paused: true, pausedFor: { kind: 'failure' as const, taskId: 2, runId: 2, at: 20_000 } } }
    const found = finishedTasksIn(initialDesktopState(), [...lifecycle(2, 'failed', { name: 'ship', run: { exitCode: 3 } }), pausedDeploy])
    expect(found.map((f) => [f.taskId, f.pausedGroup])).toEqual([[2, 'deploy']])
    const alone = notificationFor(found)!
    expect(sayNotification(alone, 'en').body.split('\n').at(-1)).toBe('Group deploy is paused until you resume it.')
    expect(sayNotification(alone, 'ko').body.split('\n').at(-1)).toBe('deploy 그룹은 재개할 때까지 일시 중지됩니다.')
    const burst = finishedTasksIn(initialDesktopState(), [...lifecycle(1, 'succeeded'), ...lifecycle(2, 'failed'), pausedDeploy])
    expect(sayNotification(notificationFor(burst)!, 'en').body.split('\n').at(-1)).toBe('Group deploy is paused until you resume it.')
    // A failure that paused nothing says nothing of groups.
    expect(finishedTasksIn(initialDesktopState(), lifecycle(3, 'failed'))[0]).not.toHaveProperty('pausedGroup')
  })

  it('ignores an update that repeats a final status already known', () => {
    const state = foldDesktopEvents(initialDesktopState(), lifecycle(1, 'failed'), false)
    expect(finishedTasksIn(state, [updated(task(1, 'failed'))])).toEqual([])
  })

  it('uses a run.finished that arrives after the task update in the same batch', () => {
    const found = finishedTasksIn(initialDesktopState(), [
      created(task(1, 'running')),
      updated(task(1, 'timed_out')),
      finished(run(1, 'timed_out', { reason: 'timed out after 5 s', durationMs: 5000 })),
    ])
    expect(found).toMatchObject([{ taskId: 1, outcome: 'failed', reason: 'timed out after 5 s', durationMs: 5000 }])
  })

  it('estimates the duration from run start when the run has not finished yet, and takes the task reason without a run', () => {
    const state = foldDesktopEvents(initialDesktopState(), [created(task(1, 'running'))], true)
    const [withRun] = finishedTasksIn(state, [{ type: 'run.started', seq: 90, at: 10_000, run: run(1, 'running') }, updated(task(1, 'succeeded'), 17_000)])
    expect(withRun?.durationMs).toBe(7000)
    const [withoutRun] = finishedTasksIn(initialDesktopState(), [updated(task(9, 'failed', { reason: 'dependency 8 failed' }))])
    expect(withoutRun).toMatchObject({ durationMs: null, reason: 'dependency 8 failed' })
  })
})

describe('notification policy', () => {
  it.each([
    // [task policy, global policy, outcome, notified?]
    ['default', 'always', 'succeeded', true],
    ['default', 'always', 'failed', true],
    ['default', 'failure', 'succeeded', false],
    ['default', 'failure', 'failed', true],
    ['default', 'never', 'failed', false],
    ['always', 'never', 'succeeded', true],
    ['failure', 'always', 'succeeded', false],
    ['failure', 'always', 'failed', true],
    ['never', 'always', 'failed', false],
  ] as const)('task %s with global %s and %s → %s', (taskPolicy, globalPolicy, outcome, expected) => {
    const reason = suppressionReason(finish({ notify: taskPolicy, outcome }), notifySettings({ policy: globalPolicy }), false)
    expect(reason === null).toBe(expected)
  })

  it('stays quiet while the window has focus, unless told otherwise', () => {
    expect(suppressionReason(finish(), defaults, true)).toBe('focused')
    expect(suppressionReason(finish(), notifySettings({ onlyWhenUnfocused: false }), true)).toBeNull()
    expect(suppressionReason(finish({ notify: 'always' }), defaults, true)).toBeNull()
  })

  it('do-not-disturb silences everything', () => {
    for (const notify of ['default', 'always', 'failure'] as const) {
      expect(suppressionReason(finish({ notify, outcome: 'failed' }), notifySettings({ doNotDisturb: true }), false)).toBe('do-not-disturb')
    }
  })

  it('tells successes only past the long-running threshold, failures always', () => {
    const settings = notifySettings({ minDurationMs: 60_000 })
    expect(suppressionReason(finish({ durationMs: 59_999 }), settings, false)).toBe('too-short')
    expect(suppressionReason(finish({ durationMs: 60_000 }), settings, false)).toBeNull()
    expect(suppressionReason(finish({ durationMs: null }), settings, false)).toBe('too-short')
    expect(suppressionReason(finish({ outcome: 'failed', durationMs: 10 }), settings, false)).toBeNull()
    expect(notifiable([finish({ durationMs: 1 }), finish({ taskId: 2, durationMs: 70_000 })], settings, false).map((f) => f.taskId)).toEqual([2])
  })
})

describe('what a notification tells (in English)', () => {
  const say = (tasks: FinishedTask[]) => {
    const model = notificationFor(tasks)
    return model && { ...model, ...sayNotification(model, 'en') }
  }

  it('tells one success plainly, and a click opens the task', () => {
    const success = finish({ durationMs: 83_000 })
    expect(notificationFor([success])).toEqual({ tasks: [success], urgency: 'normal', onClick: { kind: 'open-task', taskId: 1 }, actions: [] })
    expect(sayNotification(notificationFor([success])!, 'en')).toEqual({ title: 'Finished: build', body: 'Succeeded after 1 min 23 s.', actions: [] })
  })

  it('tells one failure with its reason and offers Retry and Open Log', () => {
    const model = say([finish({ taskId: 4, name: 'R&D sync', outcome: 'failed', status: 'failed', exitCode: 3, durationMs: 900, endReason: { kind: 'exited', code: 3, commandNotFound: false } })])
    expect(model).toMatchObject({ title: 'Failed: R&D sync', body: 'Exited with code 3 after 900 ms.', urgency: 'critical', onClick: { kind: 'open-task', taskId: 4 } })
    expect(model?.actions).toEqual(['Retry', 'Open Log'])
    expect(notificationFor([finish({ taskId: 4, outcome: 'failed' })])?.actions).toEqual([
      { id: 'retry', taskId: 4 },
      { id: 'open-log', taskId: 4 },
    ])
    expect(say([finish({ outcome: 'failed', status: 'timed_out', exitCode: null, durationMs: null })])?.body).toBe('Timed out.')
  })

  it('says what the failed run wrote last on stderr on a line of its own, in either language, cut when long', () => {
    const failing = finish({ taskId: 4, name: 'deploy', outcome: 'failed', status: 'failed', exitCode: 3, durationMs: 900, endReason: { kind: 'exited', code: 3, commandNotFound: false }, stderrTail: 'connecting\nerror: host db.internal unreachable' })
    expect(say([failing])?.body).toBe('Exited with code 3 after 900 ms.\nerror: host db.internal unreachable')
    expect(sayNotification(notificationFor([failing])!, 'ko').body).toBe('종료 코드 3 (900 ms 후)\nerror: host db.internal unreachable')
    const long = say([{ ...failing, stderrTail: `fatal: ${'x'.repeat(400)}` }])!.body.split('\n')[1]!
    expect(long).toMatch(/^fatal: x+…$/)
    expect(long.length).toBe(NOTIFICATION_STDERR_CHARS)
    // A success says nothing of stderr, and a burst names tasks only.
    expect(say([finish({ stderrTail: 'warning: deprecated' })])?.body).toBe('Succeeded after 5 s.')
    expect(say([failing, finish({ taskId: 5, outcome: 'failed', status: 'failed', stderrTail: 'other' })])?.body).not.toContain('unreachable')
  })

  it('carries the stderr tail from the run that failed the task', () => {
    const found = finishedTasksIn(initialDesktopState(), [...lifecycle(1, 'failed', { run: { reason: 'exited with code 1', exitCode: 1, stderrTail: 'disk full' } }), ...lifecycle(2, 'failed')])
    expect(found.map((f) => [f.taskId, f.stderrTail])).toEqual([
      [1, 'disk full'],
      [2, null],
    ])
  })

  it('words the failure from the structured end reason, the English sentence only for old events', () => {
    const failed = (patch: Partial<FinishedTask>) => say([finish({ outcome: 'failed', status: 'failed', ...patch })])?.body
    // An event stored before reasons were data: its English sentence as written.
    expect(failed({ reason: 'cwd /nope does not exist' })).toBe('cwd /nope does not exist after 5 s.')
    // With both, the structured reason wins (the sentence is only its English rendering).
    expect(failed({ reason: 'exit code 9', endReason: { kind: 'killed', signal: 'SIGKILL' } })).toBe('Killed by SIGKILL after 5 s.')
    expect(failed({ endReason: { kind: 'exited', code: 127, commandNotFound: true } })).toBe('Exited with code 127 (command not found) after 5 s.')
    expect(failed({ status: 'timed_out', endReason: { kind: 'timed-out', afterMs: 90_000 } })).toBe('Timed out after 1 min 30 s.')
    expect(failed({ endReason: { kind: 'cwd-missing', cwd: '/nope' } })).toBe('Working directory does not exist: /nope after 5 s.')
    expect(failed({ status: 'interrupted', endReason: { kind: 'interrupted' } })).toBe('Taskdeck stopped while this run was running after 5 s.')
    expect(failed({ endReason: { kind: 'dependency-ended', taskId: 3, status: 'failed', cause: { kind: 'exited', code: 1, commandNotFound: false } } })).toBe('Dependency #3 failed: exited with code 1 after 5 s.')
    expect(failed({ endReason: { kind: 'script-error', message: 'boom' } })).toBe('Boom after 5 s.')
    // Neither: what the status and exit code say.
    expect(failed({ exitCode: null })).toBe('Failed after 5 s.')
    expect(failed({ status: 'interrupted', exitCode: null, durationMs: null })).toBe('Interrupted.')
  })

  it('coalesces a burst: "12 tasks finished, 1 failed"', () => {
    const burst = [...Array.from({ length: 11 }, (_, i) => finish({ taskId: i + 1, name: `job ${i + 1}` })), finish({ taskId: 12, name: 'deploy', outcome: 'failed' })]
    const model = say(burst)
    expect(model?.title).toBe('12 tasks finished, 1 failed')
    expect(model?.body).toBe('Failed: deploy\nSucceeded: job 1, job 2, job 3 and 8 more')
    expect(model?.onClick).toEqual({ kind: 'open-task', taskId: 12 })
    expect(model?.urgency).toBe('critical')
    expect(model?.tasks).toEqual(burst)
    const allGood = say([finish(), finish({ taskId: 2 })])
    expect(allGood).toMatchObject({ title: '2 tasks finished', urgency: 'normal', onClick: { kind: 'open-view', view: 'tasks' }, actions: [] })
    const twoFailed = notificationFor([finish({ outcome: 'failed' }), finish({ taskId: 2, outcome: 'failed' })])
    expect(twoFailed?.onClick).toEqual({ kind: 'open-view', view: 'tasks' })
    expect(notificationFor([])).toBeNull()
  })

  it('formats durations for people', () => {
    expect([0, 999, 1000, 59_400, 60_000, 3_599_000, 3_600_000, 7_500_000].map((ms) => formatDuration(ms, 'en'))).toEqual([
      '0 ms',
      '999 ms',
      '1 s',
      '59 s',
      '1 min 0 s',
      '59 min 59 s',
      '1 h 0 min',
      '2 h 5 min',
    ])
  })
})

describe('burst buffer', () => {
  it('holds finishes for the coalescing window from the first one, then tells them together', () => {
    let buffer = bufferFinishes(emptyNotificationBuffer, [finish()], 1000)
    expect(buffer.dueAt).toBe(1000 + COALESCE_WINDOW_MS)
    buffer = bufferFinishes(buffer, [finish({ taskId: 2, outcome: 'failed' })], 2000)
    expect(buffer.dueAt).toBe(1000 + COALESCE_WINDOW_MS)
    const early = takeDueNotification(buffer, 1000 + COALESCE_WINDOW_MS - 1)
    expect(early.notification).toBeNull()
    expect(early.buffer).toBe(buffer)
    const due = takeDueNotification(buffer, 1000 + COALESCE_WINDOW_MS)
    expect(due.notification && sayNotification(due.notification, 'en').title).toBe('2 tasks finished, 1 failed')
    expect(due.buffer).toEqual(emptyNotificationBuffer)
    expect(bufferFinishes(emptyNotificationBuffer, [], 5)).toBe(emptyNotificationBuffer)
    expect(takeDueNotification(emptyNotificationBuffer, 10 ** 12).notification).toBeNull()
  })
})
