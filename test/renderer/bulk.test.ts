import { describe, expect, it } from 'vitest'
import { bulkPlan, bulkTargets, taskList } from '../../src-renderer/actions.ts'
import { task } from './events.ts'

const tasks = [
  task(1, { status: 'running' }),
  task(2, { status: 'succeeded' }),
  task(3, { status: 'paused' }),
  task(4, { status: 'failed' }),
  task(5, { status: 'waiting', waitingFor: { kind: 'paused', scope: 'task' } }),
]

describe('bulk actions on a selection', () => {
  it('acts on the tasks a command applies to and names the ones it leaves as they are', () => {
    expect(bulkTargets(tasks, 'task.cancel')).toEqual({ taskIds: [1, 3, 5], skipped: [2, 4] })
    expect(bulkTargets(tasks, 'task.retry')).toEqual({ taskIds: [2, 4], skipped: [1, 3, 5] })
    expect(bulkTargets(tasks, 'task.pause')).toEqual({ taskIds: [1, 5], skipped: [2, 3, 4] })
    expect(bulkTargets(tasks, 'task.resume')).toEqual({ taskIds: [3, 5], skipped: [1, 2, 4] })
  })

  it('resumes paused tasks and enqueues stashed ones (task.unstash): one key starts both again', () => {
    const withStashed = [...tasks, task(6, { status: 'stashed', definition: { ...task(6).definition, stashed: true } })]
    expect(bulkPlan(withStashed, 'task.resume')).toEqual({
      sends: [
        { command: 'task.resume', taskIds: [3, 5] },
        { command: 'task.unstash', taskIds: [6] },
      ],
      skipped: [1, 2, 4],
    })
    expect(bulkPlan([task(6, { status: 'stashed' })], 'task.resume')).toEqual({ sends: [{ command: 'task.unstash', taskIds: [6] }], skipped: [] })
    expect(bulkPlan(withStashed, 'task.cancel')).toEqual({ sends: [{ command: 'task.cancel', taskIds: [1, 3, 5, 6] }], skipped: [2, 4] })
  })

  it('names a few skipped tasks and counts the rest', () => {
    const t = (key: string, values?: Record<string, string | number>) => `${key}(${values?.tasks}|${values?.count})`
    expect(taskList([2, 4], t)).toBe('#2, #4')
    expect(taskList([1, 2, 3, 4, 5, 6, 7], t)).toBe('bulk.andMore(#1, #2, #3, #4, #5|2)')
  })
})
