import { describe, expect, it } from 'vitest'
import type { Progress, Run, Task, TaskStatus } from '../../src-shared/index.ts'
import { DEFAULT_QUERY, TaskListIndex, queryTasks, showsCommand, type SortKey, type TaskQuery } from '../../src-renderer/streams/tasks-query.ts'
import { run, task } from './events.ts'
import { seeded } from '../support/seeded.ts'

const STATUSES: TaskStatus[] = ['running', 'queued', 'failed', 'succeeded', 'paused', 'cancelled']
const SORTS: SortKey[] = ['id', 'name', 'status', 'updated', 'priority', 'duration']
const NAMES = ['build', 'deploy', 'backup', 'Build', 'alpha', 'zeta']

describe('TaskListIndex', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('gives exactly the rows of a full queryTasks after random inserts, updates and removals (seed %i)', (seed) => {
    // Odd seeds tell the index which tasks changed (as the model does); even ones let it find them.
    const told = seed % 2 === 1
    const random = seeded(seed)
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
    const randomQuery = (): TaskQuery => ({
      text: random() < 0.2 ? pick(['build', 'b', '7']) : '',
      statuses: random() < 0.3 ? [pick(STATUSES), pick(STATUSES)] : [],
      group: random() < 0.2 ? pick(['default', 'prod']) : null,
      label: random() < 0.2 ? 'ci' : null,
      sort: pick(SORTS),
      descending: random() < 0.5,
    })
    let tasks = new Map<number, Task>()
    let runs = new Map<number, Run>()
    let progress = new Map<number, Progress>()
    let nextRunId = 1
    const runsOf = new Map<number, number[]>()
    const randomTask = (id: number): Task =>
      task(id, {
        name: `${pick(NAMES)} ${Math.floor(random() * 5)}`,
        status: pick(STATUSES),
        updatedAt: Math.floor(random() * 20),
        // As in the engine, a task's last run is one of its own runs.
        lastRunId: (runsOf.get(id)?.length ?? 0) > 0 && random() < 0.7 ? pick(runsOf.get(id)!) : null,
        definition: { ...task(id).definition, priority: Math.floor(random() * 3), group: pick(['default', 'prod']), labels: random() < 0.3 ? ['ci'] : [] },
      })
    const index = new TaskListIndex()
    let query = DEFAULT_QUERY
    let checks = 0
    for (let step = 0; step < 300; step++) {
      // A state: a few to a few hundred changes, each collection copied like the fold does.
      // A state's collections are never written again: a collection a step changes is a copy.
      tasks = new Map(tasks)
      const runsChange = random() < 0.5
      const progressChanges = random() < 0.3
      if (runsChange) runs = new Map(runs)
      if (progressChanges) progress = new Map(progress)
      const touched = new Set<number>()
      const changes = random() < 0.2 ? Math.floor(random() * 200) : Math.floor(random() * 6)
      for (let c = 0; c < changes; c++) {
        const roll = random()
        const id = Math.ceil(random() * 400)
        if (roll < 0.65) touched.add(id)
        if (roll < 0.55) tasks.set(id, randomTask(id))
        else if (roll < 0.65) tasks.delete(id)
        else if (roll < 0.85 && runsChange) {
          const known = runs.size > 0 && random() < 0.5 ? runs.get(Math.ceil(random() * runs.size)) : undefined
          const runId = known?.id ?? nextRunId++
          const taskId = known?.taskId ?? id
          touched.add(taskId)
          if (!known) runsOf.set(taskId, [...(runsOf.get(taskId) ?? []), runId])
          runs.set(runId, run(runId, taskId, { startedAt: Math.floor(random() * 10), durationMs: random() < 0.5 ? Math.floor(random() * 100) : null, finishedAt: 50 }))
        } else if (progressChanges) {
          touched.add(id)
          if (random() < 0.7) progress.set(id, { done: Math.floor(random() * 10), total: 10 })
          else progress.delete(id)
        }
      }
      if (random() < 0.05) query = randomQuery()
      const rows = index.update(tasks, runs, progress, query, told ? touched : undefined)
      const expected = queryTasks(tasks, runs, progress, query)
      expect(rows.map((r) => r.task.id)).toEqual(expected.map((r) => r.task.id))
      const stale = rows.findIndex((row, i) => row.task !== expected[i]!.task || row.lastRun !== expected[i]!.lastRun || row.progress !== expected[i]!.progress)
      expect({ step, stale }).toEqual({ step, stale: -1 })
      checks += rows.length
    }
    expect(checks).toBeGreaterThan(0)
  })

  it('returns the same array when no shown row changed, and reuses unchanged rows', () => {
    const tasks = new Map([
      [1, task(1, { status: 'failed' })],
      [2, task(2)],
    ])
    const index = new TaskListIndex()
    const query = { ...DEFAULT_QUERY, statuses: ['queued' as const] }
    const first = index.update(tasks, new Map(), new Map(), query)
    expect(first.map((r) => r.task.id)).toEqual([2])
    // Task 1 changed but is still filtered out: nothing shown changed.
    const second = index.update(new Map(tasks).set(1, task(1, { status: 'cancelled' })), new Map(), new Map(), query)
    expect(second).toBe(first)
    const third = index.update(new Map(tasks).set(3, task(3)), new Map(), new Map(), query)
    expect(third.map((r) => r.task.id)).toEqual([3, 2])
    expect(third[1]).toBe(first[0])
  })
})

describe('showsCommand', () => {
  const shell = (name: string, command: string, ownName: boolean) => {
    const base = task(1)
    return task(1, { name, definition: { ...base.definition, spec: { kind: 'shell', command }, ...(ownName ? { name } : {}) } })
  }

  it('hides a command that is the name, also when the name was given (a trigger names its task after its command)', () => {
    expect(showsCommand(shell('date', 'date', true))).toBe(false)
    expect(showsCommand(shell('date', 'date', false))).toBe(false)
  })

  it('shows a command that differs from a name given, and hides the one an unnamed task was named from', () => {
    expect(showsCommand(shell('backup', './backup.sh', true))).toBe(true)
    expect(showsCommand(shell('date', 'date -u', true))).toBe(true)
    expect(showsCommand(shell('echo cut', 'echo cut short', false))).toBe(false)
  })
})
