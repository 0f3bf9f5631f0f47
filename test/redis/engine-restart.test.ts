import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { Queue } from 'bullmq'
import { describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src-shared/index.ts'
import { jobIdOf, redisKeys } from '../../src-main/engine/backends/redis-protocol.ts'
import { shell } from '../engine/helpers.ts'
import { until } from './harness.ts'
import { useRemoteWorld } from './world.ts'

/**
 * "The app offline while remote work continues: on reconnect it catches up", through the
 * whole app: the real engine and its SQLite log closed and reopened on the same data
 * directory, a real redis-server and a real `taskdeck worker` process that goes on meanwhile.
 */
describe('app restart with remote runs in flight', () => {
  const world = useRemoteWorld({ parallel: 4 })
  const { file } = world
  /** A command that counts its executions in a file and prints `before`, then waits for `gate`. */
  const gated = (tail: string) =>
    `echo run >> ${file('executions')}; echo before; until [ -e ${file('gate')} ]; do sleep 0.05; done; ${tail}`
  const bullJobState = async (runId: number) => {
    const queue = new Queue('remote', { connection: { url: world.redis.url }, prefix: redisKeys().bullPrefix })
    try {
      const job = await queue.getJob(jobIdOf(world.remote.source, runId))
      return job ? await job.getState() : 'missing'
    } finally {
      await queue.close()
    }
  }

  it('a run still going on when the app reopens is adopted: one attempt, its whole log, executed once', async () => {
    const w = await world.worker()
    const command = gated(`echo middle; touch ${file('middle')}; until [ -e ${file('gate2')} ]; do sleep 0.05; done; echo after`)
    const task = await world.app.submit(shell(command, { group: 'remote', retryOnInterrupt: true }))
    await world.printed(task.id, 'before', 'the run to start')
    await world.closeApp()

    // The app is closed; the worker goes on and prints more.
    writeFileSync(file('gate'), '')
    await until(() => existsSync(file('middle')), 'the worker to go on while the app is closed')
    await world.openApp()
    const reopened = await world.app.engine.handlers['task.get']({ taskId: task.id })
    expect(reopened.task.status).toBe('running')
    expect(reopened.runs.map((r) => r.status)).toEqual(['running'])
    await world.printed(task.id, 'middle', 'the output written while the app was closed')
    writeFileSync(file('gate2'), '')

    expect((await world.app.until(task.id, ['succeeded', 'failed'])).status).toBe('succeeded')
    const { runs } = await world.app.engine.handlers['task.get']({ taskId: task.id })
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ attempt: 1, status: 'succeeded', exitCode: 0, worker: w.id })
    const lines = await world.app.lines(runs[0]!.id)
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual(['before', 'middle', 'after'])
    expect(lines.map((l) => l.n)).toEqual(lines.map((_, i) => i))
    expect(lines.some((l) => l.stream === 'system' && l.text.startsWith('Taskdeck restarted: following this run'))).toBe(true)
    expect(runs[0]!.logLines).toBe(lines.length)
    expect(readFileSync(file('executions'), 'utf8')).toBe('run\n')
  })

  it('a run that finished while the app was closed is settled from the report stream with its real outcome', async () => {
    const w = await world.worker()
    const task = await world.app.submit(shell(gated('echo after; echo oops >&2; exit 3'), { group: 'remote', retryOnInterrupt: true }))
    await world.printed(task.id, 'before', 'the run to start')
    const runId = (await world.app.engine.handlers['task.get']({ taskId: task.id })).runs[0]!.id
    await world.closeApp()

    writeFileSync(file('gate'), '')
    await until(async () => (await bullJobState(runId)) === 'completed', 'the run to finish while the app is closed')
    await world.openApp()

    expect((await world.app.until(task.id, ['succeeded', 'failed'])).status).toBe('failed')
    const { runs } = await world.app.engine.handlers['task.get']({ taskId: task.id })
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ attempt: 1, status: 'failed', exitCode: 3, reason: 'exited with code 3', worker: w.id })
    const lines = await world.app.lines(runs[0]!.id)
    expect(lines.filter((l) => l.stream !== 'system').map((l) => [l.stream, l.text])).toEqual([
      ['stdout', 'before'],
      ['stdout', 'after'],
      ['stderr', 'oops'],
    ])
    expect(lines.some((l) => l.text.includes('output may be missing'))).toBe(false)
    expect(readFileSync(file('executions'), 'utf8')).toBe('run\n')
  })

  it('a run cancelled as the app closes ends cancelled: its worker confirms it before the app is gone', async () => {
    await world.worker()
    const task = await world.app.submit(shell(gated('echo never'), { group: 'remote', retryOnInterrupt: true }))
    await world.printed(task.id, 'before', 'the run to start')
    const seen: EngineEvent[] = []
    const subscription = world.app.engine.subscribe(0, (batch) => seen.push(...batch))
    await world.app.engine.handlers['task.cancel']({ taskIds: [task.id] })
    await world.closeApp()
    subscription.dispose()
    // Settled while the app was still there (not left running for the next process to adopt).
    expect(seen.find((e) => e.type === 'run.finished' && e.run.taskId === task.id)).toMatchObject({ run: { status: 'cancelled' } })
    await world.openApp()
    const { task: reopened, runs } = await world.app.engine.handlers['task.get']({ taskId: task.id })
    expect(reopened.status).toBe('cancelled')
    expect(runs.map((r) => [r.status, r.reason])).toEqual([['cancelled', 'cancelled by user']])
    expect((await world.app.lines(runs[0]!.id)).some((l) => l.text === 'never')).toBe(false)
  })

  it('a run whose job is gone from Redis is interrupted at reopening, and its retry runs', async () => {
    // No worker yet: the job waits in Redis, and is removed while the app is closed.
    const task = await world.app.submit(shell(`echo run >> ${file('executions')}; echo done`, { group: 'remote', retryOnInterrupt: true }))
    await world.printed(task.id, 'waiting for a worker', 'the run to be queued in Redis')
    const runId = (await world.app.engine.handlers['task.get']({ taskId: task.id })).runs[0]!.id
    await world.closeApp()
    const queue = new Queue('remote', { connection: { url: world.redis.url }, prefix: redisKeys().bullPrefix })
    try {
      expect(await queue.remove(jobIdOf(world.remote.source, runId))).toBe(1)
    } finally {
      await queue.close()
    }

    await world.openApp()
    await until(async () => (await world.app.engine.handlers['task.get']({ taskId: task.id })).runs[0]!.status === 'interrupted', 'the lost run to be interrupted')
    const first = (await world.app.engine.handlers['task.get']({ taskId: task.id })).runs[0]!
    expect(first.reason).toContain('job is gone from Redis')
    const w = await world.worker()
    expect((await world.app.until(task.id, ['succeeded', 'failed'])).status).toBe('succeeded')
    const { runs } = await world.app.engine.handlers['task.get']({ taskId: task.id })
    expect(runs.map((r) => [r.attempt, r.status, r.worker])).toEqual([
      [1, 'interrupted', 'local'],
      [2, 'succeeded', w.id],
    ])
    expect(readFileSync(file('executions'), 'utf8')).toBe('run\n')
  })
})
