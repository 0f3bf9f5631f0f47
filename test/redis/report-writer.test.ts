import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { decodeReports } from '../../src-main/engine/backends/redis-protocol.ts'
import type { Report } from '../../src-main/engine/backends/redis-protocol.ts'
import { ReportWriter } from '../../src-main/worker/report-writer.ts'
import { startRedis } from './harness.ts'
import type { RedisServer } from './harness.ts'

let server: RedisServer
let redis: Redis
beforeAll(async () => {
  server = await startRedis()
  redis = new Redis(server.url)
})
afterAll(async () => {
  redis.disconnect()
  await server.stop()
})

/** Every report in `stream`, entry by entry. */
async function entries(stream: string): Promise<Report[][]> {
  const read = await redis.xrangeBuffer(stream, '-', '+')
  return read.map(([, fields]) => decodeReports(fields))
}

describe('report writer', () => {
  it('writes what runs hold once they have held it a while, each run as its own entry, with no further write', async () => {
    const stream = 'test:reports:held'
    const first = new ReportWriter(redis, stream, 'run.s.1')
    const second = new ReportWriter(redis, stream, 'run.s.2')
    first.started('w1')
    first.output('stdout', 'one\n')
    // The second run starts holding later than the first, so the shared timer must come back for it.
    await new Promise((resolve) => setTimeout(resolve, 5))
    second.started('w2')
    await vi.waitFor(async () => expect(await entries(stream)).toHaveLength(2), { timeout: 5000, interval: 5 })
    const [a, b] = await entries(stream)
    expect(a!.map((r) => r.kind)).toEqual(['started', 'out'])
    expect(a!.every((r) => r.jobId === 'run.s.1')).toBe(true)
    expect(b).toEqual([{ kind: 'started', jobId: 'run.s.2', worker: 'w2', pid: null }])

    // Holding again after a flush is timed afresh, and a send takes along what is held, in order.
    second.output('stderr', 'two\n')
    await vi.waitFor(async () => expect(await entries(stream)).toHaveLength(3), { timeout: 5000, interval: 5 })
    first.output('stdout', 'three\n')
    first.send({ kind: 'finished', outcome: { exitCode: 0, signal: null, failure: null, endedBy: null, worker: 'w1' } })
    await vi.waitFor(async () => expect(await entries(stream)).toHaveLength(4), { timeout: 5000, interval: 5 })
    const all = await entries(stream)
    expect(all[2]).toMatchObject([{ kind: 'out', jobId: 'run.s.2', stream: 'stderr' }])
    expect(all[3]!.map((r) => r.kind)).toEqual(['out', 'finished'])
    // Nothing is held any more: no entry follows.
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(await entries(stream)).toHaveLength(4)
  })

  it('writes a chatty run\'s reports while it keeps writing, every line once and in order across entries', async () => {
    const stream = 'test:reports:chatty'
    const writer = new ReportWriter(redis, stream, 'run.s.3')
    writer.started('w3')
    // Output keeps coming, faster than the hold delay, until the first entry is in the stream.
    let written = 0
    const chatter = setInterval(() => writer.output('stdout', `line ${written++}\n`), 2)
    try {
      await vi.waitFor(async () => expect(await entries(stream)).toHaveLength(1), { timeout: 5000, interval: 5 })
    } finally {
      clearInterval(chatter)
    }
    writer.send({ kind: 'finished', outcome: { exitCode: 0, signal: null, failure: null, endedBy: null, worker: 'w3' } })
    await vi.waitFor(async () => expect((await entries(stream)).flat().at(-1)?.kind).toBe('finished'), { timeout: 5000, interval: 5 })
    // At least once and in order: every line written arrives exactly once, in the order written.
    const text = (await entries(stream))
      .flat()
      .flatMap((report) => (report.kind === 'out' ? [Buffer.from(report.data).toString()] : []))
      .join('')
    expect(text).toBe(Array.from({ length: written }, (_, i) => `line ${i}\n`).join(''))
  })
})
