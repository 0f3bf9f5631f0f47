import { describe, expect, it } from 'vitest'
import type { EngineEvent, UsageSample } from '../../src-shared/index.ts'
import { INITIAL_STATE, USAGE_HISTORY, foldEvents } from '../../src-renderer/streams/state.ts'
import { EMPTY_FORM, formOf, validateForm } from '../../src-renderer/streams/task-form.ts'
import { TaskDefinitionSchema } from '../../src-shared/index.ts'
import { run, task } from './events.ts'

const sample = (at: number, memoryBytes = at * 1000): UsageSample => ({ scope: 'process-group', at, cpuPercent: at === 0 ? null : 50, cpuSeconds: at / 2, memoryBytes, processes: 2 })
const usage = (runId: number, at: number): EngineEvent => ({ type: 'run.usage', runId, taskId: 1, sample: sample(at) })

describe('live usage samples in the folded state', () => {
  it('keeps the newest minute of samples per running run, and drops them when the run finishes', () => {
    const started = foldEvents(INITIAL_STATE, [
      { type: 'task.created', seq: 1, at: 1, task: task(1, { status: 'running', lastRunId: 7 }) },
      { type: 'run.started', seq: 2, at: 2, run: run(7, 1) },
    ])
    const sampled = foldEvents(started, Array.from({ length: USAGE_HISTORY + 5 }, (_, i) => usage(7, i)))
    const kept = sampled.usage.get(7)!
    expect(kept).toHaveLength(USAGE_HISTORY)
    expect(kept[0]!.at).toBe(5)
    expect(kept.at(-1)!.at).toBe(USAGE_HISTORY + 4)
    // The state before is untouched (each frame's state is immutable).
    expect(started.usage.has(7)).toBe(false)
    const finished = foldEvents(sampled, [{ type: 'run.finished', seq: 3, at: 3, run: run(7, 1, { status: 'succeeded', finishedAt: 3 }) }, usage(7, 99)])
    // A sample that travelled after the run's end is not kept: the summary is Run.usage.
    expect(finished.usage.has(7)).toBe(false)
  })
})

describe('limits in the task form', () => {
  it('sends them, names a bad one in its own terms, leaves them out of an HTTP batch, and round-trips them', () => {
    const ok = validateForm({ ...EMPTY_FORM, command: 'make', maxMemoryMb: '512', maxCpuSec: '60' })
    expect(ok.ok && ok.definition.limits).toEqual({ maxMemoryMb: 512, maxCpuSeconds: 60 })
    const none = validateForm({ ...EMPTY_FORM, command: 'make' })
    expect(none.ok && 'limits' in none.definition && none.definition.limits !== undefined).toBe(false)
    const bad = validateForm({ ...EMPTY_FORM, command: 'make', maxMemoryMb: '1.5', maxCpuSec: '0' })
    expect(bad.ok ? [] : bad.problems).toEqual([
      { field: 'maxMemoryMb', message: { key: 'form.issue.whole', values: undefined } },
      { field: 'maxCpuSec', message: { key: 'form.issue.positive', values: undefined } },
    ])
    const http = validateForm({ ...EMPTY_FORM, kind: 'http', urls: 'https://example.com/a', maxMemoryMb: '512' })
    expect(http.ok && http.definition.limits).toBeUndefined()
    const definition = TaskDefinitionSchema.parse({ spec: { kind: 'script', path: '/srv/job.mjs' }, limits: { maxCpuSeconds: 90 } })
    expect(formOf(definition)).toMatchObject({ maxMemoryMb: '', maxCpuSec: '90' })
  })
})
