import { statSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DurableEvent } from '../../src-shared/index.ts'
import { INTERRUPTED_REASON } from '../../src-main/engine/engine.ts'
import { isAlive, openEngine, tempHome, waitFor } from './helpers.ts'
import { EngineProcess } from './process.ts'

let dir: ReturnType<typeof tempHome>
beforeEach(() => {
  dir = tempHome()
})
afterEach(() => dir.cleanup())

describe('recovery after the engine dies', () => {
  it('marks a run killed with its engine interrupted, keeps its log readable, and kills its leftovers', async () => {
    const child = new EngineProcess(dir.home)
    await child.until(() => child.ready)
    const submitted = await child.request('task.submit', {
      definition: { spec: { kind: 'shell', command: 'echo before; echo also >&2; sleep 300' } },
    })
    expect(submitted.ok).toBe(true)
    const withPid = () => child.events.find((e): e is Extract<DurableEvent, { type: 'run.updated' }> => e.type === 'run.updated' && e.run.pid !== null)
    await child.until(() => withPid() !== undefined)
    const { run } = withPid()!
    await waitFor(() => {
      try {
        return statSync(`${dir.home}/logs/${run.id}.log`).size >= 'before\nalso\n'.length
      } catch {
        return false
      }
    }, 'the output to reach the log')
    await child.kill()
    expect(isAlive(run.pid!)).toBe(true)

    const t = await openEngine({ home: dir.home })
    try {
      const { task, runs } = await t.engine.handlers['task.get']({ taskId: run.taskId })
      expect(task).toMatchObject({ status: 'interrupted', reason: INTERRUPTED_REASON })
      expect(runs[0]).toMatchObject({ status: 'interrupted', reason: INTERRUPTED_REASON, logLines: 2 })
      const log = await t.engine.handlers['run.readLog']({ runId: run.id, fromLine: 0, count: 10 })
      expect(log.lines.map((l) => [l.stream, l.text])).toEqual([
        ['stdout', 'before'],
        ['stderr', 'also'],
      ])
      expect(log.done).toBe(true)
      await waitFor(() => !isAlive(run.pid!), 'the leftover process group to be killed')
    } finally {
      await t.close()
    }
  })
})
