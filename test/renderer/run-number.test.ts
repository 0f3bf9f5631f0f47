import { describe, expect, it } from 'vitest'
import type { Run } from '../../src-shared/index.ts'
import { runNumber } from '../../src-renderer/streams/run-number.ts'

describe('runNumber', () => {
  it('numbers runs by their place in the task’s history, not by attempt (a manual retry restarts attempts)', () => {
    // Newest first: a first run, its automatic retry, then a manual retry (attempt 1 again).
    const runs = [{ id: 12, attempt: 1 }, { id: 11, attempt: 2 }, { id: 10, attempt: 1 }] as Run[]
    expect(runs.map((run) => runNumber(runs, run))).toEqual([3, 2, 1])
  })
})
