import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src-shared/index.ts'
import { useEngine } from '../support/engine.ts'
import type { HttpRunResult } from '../../src-main/engine/runners/http.ts'
import { startTestServer } from './http-server.ts'
import type { TestServer } from './http-server.ts'

type Progress = Extract<EngineEvent, { type: 'run.progress' }>
const isProgress = (e: EngineEvent): e is Progress => e.type === 'run.progress'

const t = useEngine()
let server: TestServer

beforeEach(async () => {
  server = await startTestServer()
})
afterEach(async () => {
  await server.close()
})

const finalRun = async (taskId: number) => (await t.engine.handlers['task.get']({ taskId })).runs.at(-1)!

describe('http tasks through the engine', () => {
  it('runs a batch: status lines in the log, progress events, a per-URL result', async () => {
    const urls = [1, 2, 3, 4].map((n) => ({ url: `${server.url}/ok/${n}` }))
    const task = await t.submit({ spec: { kind: 'http', requests: urls, concurrency: 2 } })
    const done = await t.until(task.id, ['succeeded', 'failed'])
    expect(done.status).toBe('succeeded')

    const run = await finalRun(task.id)
    expect((run.result as unknown as HttpRunResult).succeeded).toBe(4)
    const lines = await t.lines(run.id)
    expect(lines.map((l) => l.text.replace(/ in [\d.]+ ms$/, ''))).toEqual(
      expect.arrayContaining(urls.map(({ url }) => `200 GET ${url} 7 B`)),
    )
    const progress = t.events.filter(isProgress).filter((e) => e.taskId === task.id)
    expect(progress.at(-1)?.progress).toEqual({ done: 4, total: 4 })
  })

  it('fails the task with how many requests failed and the first failure', async () => {
    const task = await t.submit({ spec: { kind: 'http', requests: [{ url: `${server.url}/status/503` }] } })
    await t.until(task.id, ['failed'])
    expect((await finalRun(task.id)).reason).toBe(`1 of 1 requests failed; first: GET ${server.url}/status/503: HTTP 503`)
  })

  it('keeps no stderr tail on a failed batch: its reason names the failed URL and status already', async () => {
    const task = await t.submit({ spec: { kind: 'http', requests: [{ url: `${server.url}/ok/1` }, { url: `${server.url}/status/404` }] } })
    await t.until(task.id, ['failed'])
    const run = await finalRun(task.id)
    expect(run.reason).toBe(`1 of 2 requests failed; first: GET ${server.url}/status/404: HTTP 404`)
    expect(run.stderrTail).toBeUndefined()
  })

  it('cancels a running batch: every request aborted, every socket closed', async () => {
    const requests = Array.from({ length: 10 }, () => ({ url: `${server.url}/hang` }))
    const task = await t.submit({ spec: { kind: 'http', requests, concurrency: 3 } })
    await server.waitForHanging(3)
    await t.engine.handlers['task.cancel']({ taskIds: [task.id] })
    await t.until(task.id, ['cancelled'])
    await server.waitForNoSockets()
    expect(server.totalSockets).toBe(3)
  })

  it('times out a batch as a whole with the task timeout', async () => {
    const task = await t.submit({ spec: { kind: 'http', requests: [{ url: `${server.url}/hang` }] }, timeoutMs: 300 })
    await t.until(task.id, ['timed_out'])
    expect((await finalRun(task.id)).reason).toMatch(/^timed out after/)
    await server.waitForNoSockets()
  })

  it('refuses at submit a saveDir that is a file', async () => {
    const file = join(t.home, 'a-file')
    await writeFile(file, '')
    const submit = t.submit({ spec: { kind: 'http', requests: [{ url: `${server.url}/ok/1` }], saveDir: file } })
    await expect(submit).rejects.toMatchObject({ code: 'bad_request', details: { issues: [{ path: 'definition.spec.saveDir' }] } })
  })

  it("keeps on the task's next attempt the files its failed attempt saved, and fetches only the rest", async () => {
    const saveDir = join(t.home, 'saved')
    const requests = [{ url: `${server.url}/ok/kept.txt` }, { url: `${server.url}/flaky/late.txt?fails=1` }]
    const task = await t.submit({ spec: { kind: 'http', requests, saveDir, concurrency: 1 }, retry: { maxAttempts: 2, backoffMs: 1 } })
    await t.until(task.id, ['succeeded', 'failed'])
    const runs = (await t.engine.handlers['task.get']({ taskId: task.id })).runs
    expect(runs.map((r) => [r.attempt, r.status])).toEqual([
      [1, 'failed'],
      [2, 'succeeded'],
    ])
    const [kept, late] = (runs[1]!.result as unknown as HttpRunResult).requests
    expect(kept).toMatchObject({ kept: true, attempts: 0, file: join(saveDir, 'kept.txt') })
    expect(late).toMatchObject({ status: 200, file: join(saveDir, 'late.txt') })
    expect((await t.lines(runs[1]!.id)).map((l) => l.text)).toContainEqual(expect.stringMatching(/^kept GET .*\/ok\/kept\.txt .*\(already complete\)$/))
    // Saved once each (no "kept (1).txt"), and the journal is gone with the batch's success.
    expect((await readdir(saveDir)).sort()).toEqual(['kept.txt', 'late.txt'])
  })
})

describe('script tasks through the engine', () => {
  const write = async (name: string, source: string) => {
    const path = join(t.home, name)
    await writeFile(path, source)
    return path
  }

  it('runs a script in a worker: progress events, log lines, the result on the run', async () => {
    const path = await write(
      'sum.mjs',
      `export default (input, api) => {
        let sum = 0
        for (let i = 1; i <= input.n; i++) { sum += i; api.progress(i, input.n) }
        api.log('sum is', sum)
        return { sum }
      }`,
    )
    const task = await t.submit({ spec: { kind: 'script', path, input: { n: 100 } } })
    await t.until(task.id, ['succeeded'])
    const run = await finalRun(task.id)
    expect(run.result).toEqual({ sum: 5050 })
    expect((await t.lines(run.id)).map((l) => [l.stream, l.text])).toEqual([['stdout', 'sum is 5050']])
    expect(t.events.filter(isProgress).filter((e) => e.taskId === task.id).at(-1)?.progress).toEqual({ done: 100, total: 100 })
  })

  it('fails with the thrown message, the stack in the log', async () => {
    const path = await write('throws.mjs', `export default () => { throw new RangeError('n must be positive') }`)
    const task = await t.submit({ spec: { kind: 'script', path } })
    await t.until(task.id, ['failed'])
    const run = await finalRun(task.id)
    expect(run.reason).toBe('n must be positive')
    const stderr = (await t.lines(run.id)).filter((l) => l.stream === 'stderr').map((l) => l.text)
    expect(stderr[0]).toBe('RangeError: n must be positive')
    expect(stderr[1]).toMatch(/throws\.mjs/)
    // The message is the reason; the stack the runner logged after it is no tail to show.
    expect(run.stderrTail).toBeUndefined()
  })

  it('keeps what a script wrote on stderr before it made its worker exit', async () => {
    const path = await write('exits.mjs', `export default () => { console.error('\\x1b[31mconfig.json: missing "token"\\x1b[0m'); process.exit(2) }`)
    const task = await t.submit({ spec: { kind: 'script', path } })
    await t.until(task.id, ['failed'])
    const run = await finalRun(task.id)
    expect(run).toMatchObject({ reason: "the script's worker exited with code 2", stderrTail: 'config.json: missing "token"' })
  })

  it('times out a script stuck in a loop by terminating its worker, then runs the next one', async () => {
    const spin = await write('spin.mjs', `export default () => { for (;;) {} }`)
    const quick = await write('quick.mjs', `export default () => 'still working'`)
    const stuck = await t.submit({ spec: { kind: 'script', path: spin }, timeoutMs: 300 })
    await t.until(stuck.id, ['timed_out'])
    const next = await t.submit({ spec: { kind: 'script', path: quick } })
    await t.until(next.id, ['succeeded'])
    expect((await finalRun(next.id)).result).toBe('still working')
  })

  it('cancels a running script', async () => {
    const path = await write('wait.mjs', `export default (input, api) => { api.progress(0, null, 'started'); for (;;) {} }`)
    const task = await t.submit({ spec: { kind: 'script', path } })
    await t.waitForEvent((e): e is Progress => isProgress(e) && e.taskId === task.id)
    await t.engine.handlers['task.cancel']({ taskIds: [task.id] })
    await t.until(task.id, ['cancelled'])
  })

  it('refuses at submit a script path that does not exist', async () => {
    const missing = join(t.home, 'nope.mjs')
    await expect(t.submit({ spec: { kind: 'script', path: missing } })).rejects.toMatchObject({
      code: 'bad_request',
      message: `definition.spec.path: ${missing} does not exist`,
    })
  })
})
