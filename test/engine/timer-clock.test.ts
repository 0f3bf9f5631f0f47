import { expect, it } from 'vitest'
import { shell } from './helpers.ts'
import { useEngine } from '../support/engine.ts'

// The engine's clock at half the speed of its timers': every timer comes before `until` by that clock, as one can by
// a millisecond when the wall clock and the timers' monotonic clock disagree (a backoff then waited for good, about one
// retry in six on a quiet machine).
const start = Date.now()
const t = useEngine({ now: () => start + (Date.now() - start) / 2 })

it('a retry whose backoff timer comes before its time by the engine clock is still retried', async () => {
  const task = await t.submit(shell('exit 1', { retry: { maxAttempts: 3, backoffMs: 40, factor: 2, jitter: 0 } }))
  const done = await t.until(task.id, ['failed'])
  expect(done.attempts).toBe(3)
})

it('a delayed task whose timer comes before its time by the engine clock still starts', async () => {
  const task = await t.submit(shell('true', { runAt: Date.now() + 60 }))
  expect((await t.until(task.id, ['succeeded'])).attempts).toBe(1)
})
