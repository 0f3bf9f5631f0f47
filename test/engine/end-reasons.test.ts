import { describe, expect, it } from 'vitest'
import { EndReasonSchema, LoopStateSchema } from '../../src-shared/index.ts'
import { describeEndReason, describeLoopState } from '../../src-main/engine/end-reasons.ts'
import { END_REASON_SAMPLES, LOOP_STATE_SAMPLES, MORE_END_REASONS, WORKER_LOSS_SAMPLES } from '../support/end-reason-samples.ts'

describe('the English wording of end reasons', () => {
  it('says every kind of reason as the engine always has', () => {
    for (const [reason, english] of [...Object.values(END_REASON_SAMPLES), ...MORE_END_REASONS]) {
      expect(EndReasonSchema.parse(reason)).toEqual(reason)
      expect(describeEndReason(reason)).toBe(english)
    }
  })

  it('nests a dependency\'s reason at most two deep: a deeper one (however deep) is refused, not a stack overflow', () => {
    const exited = { kind: 'exited', code: 1, commandNotFound: false }
    const dependencyEnded = (taskId: number, cause: unknown) => ({ kind: 'dependency-ended', taskId, status: 'failed', cause })
    expect(EndReasonSchema.safeParse(dependencyEnded(3, dependencyEnded(2, exited))).success).toBe(true)
    expect(EndReasonSchema.safeParse(dependencyEnded(3, dependencyEnded(2, dependencyEnded(1, exited)))).success).toBe(false)
    let deep: unknown = exited
    for (let id = 1; id <= 100_000; id++) deep = dependencyEnded(id, deep)
    expect(EndReasonSchema.safeParse(deep).success).toBe(false)
  })

  it('an HTTP failure names a status or an error: never neither', () => {
    const first = (status: number | null, error: string | null) => ({ kind: 'http-failed', failed: 1, total: 1, first: { method: 'GET', url: 'http://x/', status, error } })
    expect(EndReasonSchema.safeParse(first(404, null)).success).toBe(true)
    expect(EndReasonSchema.safeParse(first(200, 'response exceeded the cap')).success).toBe(true)
    expect(EndReasonSchema.safeParse(first(null, 'connection refused')).success).toBe(true)
    expect(EndReasonSchema.safeParse(first(null, null)).success).toBe(false)
  })

  it('says every way a worker is lost', () => {
    for (const [cause, english] of Object.values(WORKER_LOSS_SAMPLES)) {
      expect(describeEndReason({ kind: 'worker-lost', worker: 'host:1:a', cause })).toBe(english)
    }
    expect(describeEndReason({ kind: 'worker-lost', worker: null, cause: { kind: 'shut-down' } })).toBe('worker (unknown) shut down before the run finished')
  })

  it('says every loop state', () => {
    for (const [state, english] of LOOP_STATE_SAMPLES) {
      expect(LoopStateSchema.parse(state)).toEqual(state)
      expect(describeLoopState(state, 'io')).toBe(english)
    }
  })
})
