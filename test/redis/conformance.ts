import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import type { TaskSpec } from '../../src-shared/index.ts'
import type { ExecutionBackend, PlacedRun } from '../../src-main/engine/backends/types.ts'
import { RecordingContext, ROOT, until } from './harness.ts'
import { failureSentence } from '../support/end-reasons.ts'

export const FIXTURES = join(ROOT, 'test/redis/fixtures')
export const script = (name: string, input?: unknown): TaskSpec => ({
  kind: 'script',
  path: join(FIXTURES, `${name}.mjs`),
  ...(input !== undefined && { input: input as never }),
})

export interface ConformanceTarget {
  backend(): ExecutionBackend
  group(): string
  /** A directory the test may write to, visible to wherever runs execute. */
  scratch(): string
  /** The `worker` an outcome must name: "local", or one of the remote worker ids. */
  expectedWorkers(): string[]
}

let nextRunId = 1
const runIds = () => nextRunId++

/**
 * Queue semantics every execution backend must keep, run against each of them
 * (conformance.test.ts). Differences that are by design are documented in docs/distributed.md.
 */
export function backendConformance(target: ConformanceTarget): void {
  const placed = (extra: Partial<PlacedRun> = {}): PlacedRun => ({ group: target.group(), name: 'conformance', priority: 0, ...extra })

  it('runs a task: output on both streams, progress, result, success', async () => {
    const context = new RecordingContext(runIds())
    const outcome = await target.backend().start(script('hello', { name: 'remote' }), placed(), context).done
    expect(outcome).toMatchObject({ exitCode: 0, failure: null, endedBy: null, result: { greeted: 'remote' } })
    expect(target.expectedWorkers()).toContain(outcome.worker)
    expect(context.text('stdout')).toContain('hello remote\n')
    expect(context.text('stderr')).toContain('a warning\n')
    expect(context.progresses.at(-1)).toEqual({ done: 2, total: 2, message: 'done' })
  })

  it('runs a shell command: bytes kept as bytes, exit code', async () => {
    const context = new RecordingContext(runIds())
    const spec: TaskSpec = { kind: 'shell', command: ['sh', '-c', 'printf "caf\\303\\251\\n"; echo oops >&2; exit 3'] }
    const outcome = await target.backend().start(spec, placed(), context).done
    expect(outcome).toMatchObject({ exitCode: 3, endedBy: null })
    expect(context.text('stdout')).toBe('café\n')
    expect(context.text('stderr')).toBe('oops\n')
  })

  it('cancels a running shell command and its children', async () => {
    const context = new RecordingContext(runIds())
    const run = target.backend().start({ kind: 'shell', command: ['sh', '-c', 'echo up; sleep 60 & wait'] }, placed(), context)
    await until(() => context.text('stdout').includes('up'), 'the command to start')
    context.controller.abort()
    const outcome = await run.done
    expect(outcome.endedBy).toBe('cancel')
    expect(outcome.signal ?? outcome.exitCode).not.toBe(0)
  })

  it('reports a failure with its reason', async () => {
    const context = new RecordingContext(runIds())
    const outcome = await target.backend().start(script('fail', { why: 'disk full' }), placed(), context).done
    expect(failureSentence(outcome)).toBe('boom: disk full')
    // As data across Redis too, not only as the sentence.
    expect(outcome.failure).toEqual({ kind: 'script-error', message: 'boom: disk full' })
    expect(outcome.endedBy).toBeNull()
    expect(context.text('stdout')).toContain('about to fail')
  })

  it('cancels a running task', async () => {
    const context = new RecordingContext(runIds())
    const run = target.backend().start(script('sleep', { ms: 60_000 }), placed(), context)
    await until(() => context.text('stdout').includes('sleeping'), 'the task to start')
    context.controller.abort()
    const outcome = await run.done
    expect(outcome.endedBy).toBe('cancel')
    expect(outcome.result).toBeUndefined()
  })

  it('cancels a task before it starts', async () => {
    const context = new RecordingContext(runIds())
    context.controller.abort()
    const outcome = await target.backend().start(script('sleep', { ms: 60_000 }), placed(), context).done
    expect(outcome.endedBy).toBe('cancel')
    expect(context.text('stdout')).not.toContain('sleeping')
  })

  it('enforces a hard timeout', async () => {
    const context = new RecordingContext(runIds())
    const outcome = await target.backend().start(script('sleep', { ms: 60_000 }), placed({ timeoutMs: 300 }), context).done
    expect(outcome.endedBy).toBe('timeout')
    expect(context.text('stdout')).toContain('sleeping')
  })

  it('runs a retry as a new attempt that sees what the first one left', async () => {
    const file = join(target.scratch(), `retry-${randomUUID()}.txt`)
    const spec = script('append', { file, label: 'ok', failUntilMarker: `${file}.marker` })
    const first = new RecordingContext(runIds(), 900, 1)
    const firstOutcome = await target.backend().start(spec, placed(), first).done
    expect(failureSentence(firstOutcome)).toBe('first attempt fails on purpose')
    const second = new RecordingContext(runIds(), 900, 2)
    const secondOutcome = await target.backend().start(spec, placed(), second).done
    expect(secondOutcome).toMatchObject({ failure: null, result: { label: 'ok' } })
    expect(await readFile(file, 'utf8')).toBe('ok\n')
  })
}
