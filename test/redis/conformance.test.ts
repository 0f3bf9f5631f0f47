import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe } from 'vitest'
import { BullmqBackend } from '../../src-main/engine/backends/bullmq.ts'
import { EmbeddedBackend } from '../../src-main/engine/backends/embedded.ts'
import { workerRunners } from '../../src-main/worker/runners.ts'
import { backendConformance } from './conformance.ts'
import { spawnWorker, startRedis, tempDir } from './harness.ts'
import type { RedisServer, WorkerProcess } from './harness.ts'

describe('embedded backend', () => {
  let pool: ReturnType<typeof workerRunners>
  let backend: EmbeddedBackend
  let scratch: Awaited<ReturnType<typeof tempDir>>
  beforeAll(async () => {
    pool = workerRunners(2)
    backend = new EmbeddedBackend(pool.runners)
    scratch = await tempDir('conformance')
  })
  afterAll(async () => {
    await backend.close()
    await pool.close()
    await scratch.remove()
  })
  backendConformance({
    backend: () => backend,
    group: () => 'default',
    scratch: () => scratch.path,
    expectedWorkers: () => ['local'],
  })
})

describe('BullMQ backend on a real redis-server with a taskdeck worker process', () => {
  let redis: RedisServer
  let worker: WorkerProcess
  let backend: BullmqBackend
  let scratch: Awaited<ReturnType<typeof tempDir>>
  const group = 'conformance'
  beforeAll(async () => {
    redis = await startRedis()
    scratch = await tempDir('conformance')
    worker = await spawnWorker(redis.url, group, { concurrency: 2 })
    backend = await BullmqBackend.connect({ connection: { url: redis.url }, source: `test-${randomUUID().slice(0, 8)}` })
  })
  afterAll(async () => {
    await backend?.close()
    await worker?.stop()
    await redis?.stop()
    await scratch?.remove()
  })
  backendConformance({
    backend: () => backend,
    group: () => group,
    scratch: () => scratch.path,
    expectedWorkers: () => [worker.id],
  })
})
