import { afterEach, describe, expect, it } from 'vitest'
import type { DurableEvent, Task } from '../../src-shared/index.ts'
import { TREE_COMMAND, eventually, killLeftovers, processState, reaperOf, stillAlive, wholeGroup, type ProcessIdentity } from '../runners/process-tree.ts'
import { useTempHome } from '../support/engine.ts'
import { EngineProcess } from './process.ts'

const dir = useTempHome()
const started: ProcessIdentity[] = []
afterEach(() => killLeftovers(started.splice(0)))

describe('runs of an engine that dies hard', () => {
  it('die with it, running or paused, child and grandchild: the reaper kills their groups without waiting for a restart', async () => {
    const engine = new EngineProcess(dir.home)
    await engine.until(() => engine.ready)
    const submit = async () => {
      const result = (await engine.request('task.submit', { definition: { spec: { kind: 'shell', command: TREE_COMMAND } } })) as { ok: true; value: { task: Task } }
      expect(result.ok).toBe(true)
      return result.value.task.id
    }
    const [running, paused] = [await submit(), await submit()]
    const pidOf = (taskId: number) =>
      engine.events.find((e): e is Extract<DurableEvent, { type: 'run.updated' }> => e.type === 'run.updated' && e.run.taskId === taskId && e.run.pid !== null)?.run.pid
    await engine.until(() => pidOf(running) !== undefined && pidOf(paused) !== undefined)
    const runningGroup = await wholeGroup(pidOf(running)!)
    const pausedGroup = await wholeGroup(pidOf(paused)!)
    started.push(...runningGroup, ...pausedGroup)

    expect((await engine.request('task.pause', { taskIds: [paused] })).ok).toBe(true)
    await eventually(() => pausedGroup.every((p) => processState(p.pid) === 'T'), 'the paused group to stop')
    const reaper = await reaperOf(engine.child.pid!)
    started.push(reaper)

    await engine.kill()
    await eventually(() => [...runningGroup, ...pausedGroup].every((p) => !stillAlive(p)), 'every process of both groups to be gone')
    // Its work done, the reaper exits too.
    await eventually(() => !stillAlive(reaper), 'the reaper to exit')
  })
})
