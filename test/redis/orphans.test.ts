import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BullmqBackend } from '../../src-main/engine/backends/bullmq.ts'
import type { PlacedRun } from '../../src-main/engine/backends/types.ts'
import { TREE_COMMAND, eventually, killLeftovers, reaperOf, stillAlive, wholeGroup, type ProcessIdentity } from '../runners/process-tree.ts'
import { RecordingContext, spawnWorker, startRedis } from './harness.ts'
import type { RedisServer, WorkerProcess } from './harness.ts'

/**
 * A `taskdeck worker` that dies hard must not leave its runs going on its host while the app
 * reports them lost and may run them again elsewhere: real redis-server, real worker
 * processes, real process trees.
 */
describe('runs of a remote worker that dies', () => {
  let redis: RedisServer
  let worker: WorkerProcess
  let app: BullmqBackend
  const started: ProcessIdentity[] = []
  const placed: PlacedRun = { group: 'orphans', name: 'orphans', priority: 0 }

  beforeEach(async () => {
    redis = await startRedis()
    worker = await spawnWorker(redis.url, placed.group, { concurrency: 2 })
    app = await BullmqBackend.connect({ connection: { url: redis.url }, reconcileIntervalMs: 500, source: 'orphans' })
  })
  afterEach(async () => {
    await app.close()
    await worker.stop()
    await redis.stop()
    killLeftovers(started.splice(0))
  })

  /** Starts a process-tree run on the worker; resolves with its run and every process of its group. */
  const startTree = async (runId: number) => {
    const context = new RecordingContext(runId)
    const run = app.start({ kind: 'shell', command: TREE_COMMAND }, placed, context)
    await eventually(() => /leader \d+/.test(context.text('stdout')), `run ${runId} to start`)
    const group = await wholeGroup(Number(/leader (\d+)/.exec(context.text('stdout'))![1]))
    started.push(...group)
    return { run, group }
  }

  it('SIGKILLed: its runs\' whole process groups are killed on its host, and the app hears they were lost', async () => {
    const first = await startTree(1)
    const second = await startTree(2)
    const reaper = await reaperOf(worker.child.pid!)
    started.push(reaper)

    worker.child.kill('SIGKILL')
    await eventually(() => [...first.group, ...second.group].every((p) => !stillAlive(p)), 'every process of both groups to be gone')
    await eventually(() => !stillAlive(reaper), 'the reaper to exit')
    expect(await first.run.done).toMatchObject({ endedBy: 'worker-lost' })
    expect(await second.run.done).toMatchObject({ endedBy: 'worker-lost' })
  })

  it('stopped cleanly (SIGTERM, 1 ms to drain): hands its runs back, ends their groups, and leaves no reaper behind', async () => {
    await worker.stop()
    worker = await spawnWorker(redis.url, placed.group, { concurrency: 2, extraArgs: ['--drain-timeout', '1'] })
    const tree = await startTree(3)
    const reaper = await reaperOf(worker.child.pid!)
    started.push(reaper)

    worker.child.kill('SIGTERM')
    expect(await worker.exited).toBe(0)
    expect(await tree.run.done).toMatchObject({ endedBy: 'worker-lost' })
    expect(tree.group.filter(stillAlive)).toEqual([])
    await eventually(() => !stillAlive(reaper), 'the reaper to exit with its worker')
  })
})
