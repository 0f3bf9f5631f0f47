import type { DurableEvent, EndReason, Run, Task, TaskDefinitionInput, TaskStatus } from '../../src-shared/index.ts'
import { DEFAULT_SETTINGS, TaskDefinitionSchema, type Settings } from '../../src-shared/index.ts'
import type { FinishedTask } from '../../src-shared/decisions/notifications.ts'

/** Builders for contract-valid events, so decision tests read as stories. */
let seq = 0
export const resetSeq = (): void => {
  seq = 0
}

export function task(id: number, status: TaskStatus, extra: { name?: string; definition?: Partial<TaskDefinitionInput>; reason?: string; endReason?: EndReason } = {}): Task {
  return {
    id,
    name: extra.name ?? `task ${id}`,
    definition: TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: 'true' }, ...extra.definition }),
    status,
    waitingFor: null,
    createdAt: 1000,
    updatedAt: 1000,
    attempts: 0,
    lastRunId: null,
    progress: null,
    ...(extra.reason !== undefined ? { reason: extra.reason } : {}),
    ...(extra.endReason !== undefined ? { endReason: extra.endReason } : {}),
  }
}

export function run(taskId: number, status: Run['status'], extra: Partial<Run> = {}): Run {
  const finished = status !== 'running' && status !== 'paused'
  return {
    id: taskId * 10,
    taskId,
    attempt: 1,
    status,
    startedAt: 10_000,
    finishedAt: finished ? 10_000 + (extra.durationMs ?? 5000) : null,
    durationMs: finished ? 5000 : null,
    exitCode: status === 'succeeded' ? 0 : status === 'failed' ? 1 : null,
    signal: null,
    reason: null,
    pid: 123,
    worker: 'local',
    result: null,
    logLines: 0,
    logBytes: 0,
    droppedBytes: 0,
    ...extra,
  }
}

export const at = (ms: number) => ({ at: ms })
export const created = (t: Task, time = 1000): DurableEvent => ({ type: 'task.created', seq: ++seq, at: time, task: t })
export const updated = (t: Task, time = 20_000): DurableEvent => ({ type: 'task.updated', seq: ++seq, at: time, task: t })
export const started = (r: Run, time = 10_000): DurableEvent => ({ type: 'run.started', seq: ++seq, at: time, run: r })
export const finished = (r: Run, time = 20_000): DurableEvent => ({ type: 'run.finished', seq: ++seq, at: time, run: r })
export const removed = (taskIds: number[]): DurableEvent => ({ type: 'task.removed', seq: ++seq, at: 30_000, taskIds })
export const enginePaused = (paused: boolean): DurableEvent => ({ type: 'engine.paused', seq: ++seq, at: 30_000, paused })
export const settingsChanged = (patch: Partial<Settings>): DurableEvent => ({
  type: 'settings.changed',
  seq: ++seq,
  at: 30_000,
  settings: { ...DEFAULT_SETTINGS, ...patch },
})

/** The events of one task's whole life: created, queued, running, finished with `status`. */
export function lifecycle(id: number, status: TaskStatus, extra: Parameters<typeof task>[2] & { run?: Partial<Run> } = {}): DurableEvent[] {
  const runStatus = status === 'succeeded' || status === 'failed' || status === 'cancelled' || status === 'timed_out' || status === 'interrupted' ? status : 'failed'
  return [
    created(task(id, 'queued', extra)),
    updated(task(id, 'running', extra), 10_000),
    started(run(id, 'running', extra.run)),
    finished(run(id, runStatus, extra.run)),
    updated(task(id, status, extra)),
  ]
}

/** A task that finished (the notifications' input): a 5 s success of "build" unless patched. */
export const finish = (patch: Partial<FinishedTask> = {}): FinishedTask => ({
  taskId: 1,
  name: 'build',
  status: 'succeeded',
  outcome: 'succeeded',
  notify: 'default',
  endReason: null,
  reason: null,
  exitCode: 0,
  stderrTail: null,
  durationMs: 5000,
  at: 20_000,
  ...patch,
})
