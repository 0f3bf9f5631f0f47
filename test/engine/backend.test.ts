import { describe, expect, it } from 'vitest'
import { EmbeddedBackend } from '../../src-main/engine/backends/embedded.ts'
import { defaultRunners } from '../../src-main/engine/runners/index.ts'
import { shell } from './helpers.ts'
import { useEngine } from '../support/engine.ts'

const t = useEngine({ backend: new EmbeddedBackend(defaultRunners({ killGraceMs: 500 })) })

describe('an execution backend', () => {
  it('runs tasks, and its timeout and cancel map to timed_out and cancelled', async () => {
    const ok = await t.submit(shell('echo through the backend'))
    const done = await t.until(ok.id, ['succeeded'])
    expect((await t.lines(done.lastRunId!)).map((l) => l.text)).toEqual(['through the backend'])
    expect((await t.engine.handlers['task.get']({ taskId: ok.id })).runs[0]!.worker).toBe('local')

    const slow = await t.submit(shell('sleep 300', { timeoutMs: 100 }))
    await t.until(slow.id, ['timed_out'])
    const cancelled = await t.submit(shell('sleep 300'))
    await t.until(cancelled.id, ['running'])
    await t.engine.handlers['task.cancel']({ taskIds: [cancelled.id] })
    expect((await t.until(cancelled.id, ['cancelled'])).status).toBe('cancelled')
  })
})
