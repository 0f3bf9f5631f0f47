/**
 * A long history of finished tasks (one run each), as tests and benches import it with
 * `data.import` or fold it as events: the same Task and Run shapes everywhere, varied only by
 * what each caller needs (names, statuses, labels, durations).
 */
import type { Run, Task } from '../../src-shared/index.ts'

export type FinishedStatus = 'succeeded' | 'failed' | 'cancelled'

export interface FinishedShape {
  name: string
  status?: FinishedStatus
  command?: string
  labels?: string[]
  durationMs?: number
}

const EPOCH = 1_700_000_000_000

/** Task `id`, finished as `shape.status` (succeeded unless told) by its run `id`. */
export function finishedTask(id: number, shape: FinishedShape): Task {
  return {
    id,
    name: shape.name,
    definition: { spec: { kind: 'shell', command: shape.command ?? `echo ${id}` }, group: 'default', priority: 0, labels: shape.labels ?? [], after: [], stashed: false, retryOnInterrupt: false, notify: 'default' },
    status: shape.status ?? 'succeeded',
    waitingFor: null,
    createdAt: EPOCH + id,
    updatedAt: EPOCH + id,
    attempts: 1,
    lastRunId: id,
    progress: null,
  }
}

/** Run `id` of task `id`: a failed one exited with code 1. */
export function finishedRun(id: number, shape: FinishedShape): Run {
  const status = shape.status ?? 'succeeded'
  const durationMs = shape.durationMs ?? 1
  return {
    id,
    taskId: id,
    attempt: 1,
    status,
    startedAt: EPOCH + id,
    finishedAt: EPOCH + id + durationMs,
    durationMs,
    exitCode: status === 'failed' ? 1 : 0,
    signal: null,
    reason: status === 'failed' ? 'exited with code 1' : null,
    pid: null,
    worker: 'local',
    result: null,
    logLines: 0,
    logBytes: 0,
    droppedBytes: 0,
  }
}

/** A `data.import` document of tasks `first` … `first + count - 1`, each shaped by `shapeOf`. */
export function historyDocument(first: number, count: number, shapeOf: (id: number) => FinishedShape) {
  const tasks: Task[] = []
  const runs: Run[] = []
  for (let id = first; id < first + count; id++) {
    const shape = shapeOf(id)
    tasks.push(finishedTask(id, shape))
    runs.push(finishedRun(id, shape))
  }
  return { format: 'taskdeck-export', version: 1, exportedAt: Date.now(), groups: [], tasks, runs } as const
}
