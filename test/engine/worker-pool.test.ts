import { describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { defaultScriptWorkerEntry } from '../../src-main/engine/runners/script.ts'
import { WorkerPool, type JobEnd, type ScriptJob } from '../../src-main/engine/runners/worker-pool.ts'
import { useTempHome } from '../support/engine.ts'

const dir = useTempHome()

/** A pool of two workers with scripts that spin (until terminated) and that answer at once. */
function setUp() {
  const spin = join(dir.home, 'spin.mjs')
  const echo = join(dir.home, 'echo.mjs')
  writeFileSync(spin, "export default (input, api) => { api.progress(0, null, 'spinning'); for (;;) {} }\n")
  writeFileSync(echo, 'export default (input) => input\n')
  const pool = new WorkerPool({ entry: defaultScriptWorkerEntry(), size: 2, abortGraceMs: 50, maxHeapMb: 256 })
  const job = (path: string, input: unknown, onSpinning?: () => void): ScriptJob => ({
    path,
    input,
    onOutput: () => {},
    onProgress: () => onSpinning?.(),
  })
  const spinning = (): Promise<{ abort: () => void; done: Promise<JobEnd> }> =>
    new Promise((resolve) => {
      const started = pool.run(job(spin, null, () => resolve(started)))
    })
  return { pool, spinning, echo: (input: unknown) => pool.run(job(echo, input)).done }
}

describe('the script worker pool', () => {
  it('a job handed to a worker busy with a CPU-bound script is taken back and run by a worker that frees up', async () => {
    const { pool, spinning, echo } = setUp()
    try {
      const stuck = await spinning()
      // Both workers hold one job; the next ones wait behind them, some behind the spinning script.
      const answers = await Promise.all([echo(1), echo(2), echo(3), echo(4)])
      expect(answers).toEqual([1, 2, 3, 4].map((value) => ({ kind: 'result', value })))
      let ended = false
      void stuck.done.then(() => (ended = true))
      expect(ended).toBe(false)
      stuck.abort()
      expect(await stuck.done).toEqual({ kind: 'aborted' })
      expect(await echo('after')).toEqual({ kind: 'result', value: 'after' })
    } finally {
      await pool.close()
    }
  })

  it('cancels a job waiting inside a busy worker without running it; one waiting in a terminated worker runs on its replacement', async () => {
    const { pool, spinning, echo } = setUp()
    try {
      const stuck = [await spinning(), await spinning()]
      const cancelled = pool.run({ path: join(dir.home, 'echo.mjs'), input: 'never', onOutput: () => {}, onProgress: () => {} })
      const kept = echo('kept')
      cancelled.abort()
      expect(await cancelled.done).toEqual({ kind: 'aborted' })
      for (const job of stuck) job.abort()
      expect(await kept).toEqual({ kind: 'result', value: 'kept' })
    } finally {
      await pool.close()
    }
  })

  it('ends jobs waiting in a worker as aborted when the pool closes', async () => {
    const { pool, spinning, echo } = setUp()
    await spinning()
    await spinning()
    const waiting = [echo(1), echo(2), echo(3)]
    await pool.close()
    expect(await Promise.all(waiting)).toEqual([{ kind: 'aborted' }, { kind: 'aborted' }, { kind: 'aborted' }])
  })
})
