import type { DurableEvent, EngineEvent, Run, Task } from '../../src-shared/index.ts'

/** Small builders for contract-shaped events used as pipeline inputs. */
export const paused = (seq: number, value = true): DurableEvent => ({ type: 'engine.paused', seq, at: seq, paused: value })

export const output = (runId: number, line: number, text: string): EngineEvent => ({ type: 'run.output', runId, taskId: 1, stream: 'stdout', line, text })

export function task(id: number, patch: Partial<Task> = {}): Task {
  return {
    id,
    name: `task ${id}`,
    definition: {
      spec: { kind: 'shell', command: `echo ${id}` },
      group: 'default',
      priority: 0,
      labels: [],
      after: [],
      stashed: false,
      retryOnInterrupt: false,
      notify: 'default',
    },
    status: 'queued',
    waitingFor: null,
    createdAt: 1,
    updatedAt: 1,
    attempts: 0,
    lastRunId: null,
    progress: null,
    ...patch,
  }
}

export function run(id: number, taskId: number, patch: Partial<Run> = {}): Run {
  return {
    id,
    taskId,
    attempt: 1,
    status: 'running',
    startedAt: 10,
    finishedAt: null,
    durationMs: null,
    exitCode: null,
    signal: null,
    reason: null,
    pid: 100,
    worker: 'local',
    result: null,
    logLines: 0,
    logBytes: 0,
    droppedBytes: 0,
    ...patch,
  }
}
