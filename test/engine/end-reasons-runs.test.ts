import { writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { DurableEventSchema, TaskDefinitionSchema, type EndReason, type Run, type Task } from '../../src-shared/index.ts'
import { describeEndReason } from '../../src-main/engine/end-reasons.ts'
import { useEngine } from '../support/engine.ts'
import { shell, waitFor } from './helpers.ts'

const t = useEngine()

const lastRun = async (taskId: number): Promise<Run> => (await t.engine.handlers['task.get']({ taskId })).runs.at(-1)!

/** The run's reason as data, and its English sentence worded from it. */
async function endedWith(taskId: number, endReason: EndReason): Promise<Run> {
  const run = await lastRun(taskId)
  expect(run.endReason).toEqual(endReason)
  expect(run.reason).toBe(describeEndReason(endReason))
  return run
}

describe('why a run ended, as data, on real runs', () => {
  it('a non-zero exit, a shell that cannot find the command, and an executable that does not exist', async () => {
    const exits = await t.submit(shell('exit 3'))
    const missingInShell = await t.submit(shell('definitely-missing-tool-4711'))
    const missing = await t.submit(shell(['definitely-missing-tool-4711', '--help']))
    for (const task of [exits, missingInShell, missing]) await t.until(task.id, ['failed'])
    expect((await endedWith(exits.id, { kind: 'exited', code: 3, commandNotFound: false })).reason).toBe('exited with code 3')
    expect((await endedWith(missingInShell.id, { kind: 'exited', code: 127, commandNotFound: true })).reason).toBe('exited with code 127 (command not found)')
    expect((await endedWith(missing.id, { kind: 'executable-not-found', file: 'definitely-missing-tool-4711' })).reason).toBe('executable not found: definitely-missing-tool-4711')
  })

  it('killed by a signal, cancelled by the user, and timed out', async () => {
    const killed = await t.submit(shell('kill -TERM $$'))
    const cancelled = await t.submit(shell('sleep 30'))
    const timedOut = await t.submit(shell('sleep 30', { timeoutMs: 300 }))
    await t.until(killed.id, ['failed'])
    await t.until(cancelled.id, ['running'])
    await t.engine.handlers['task.cancel']({ taskIds: [cancelled.id] })
    await t.until(cancelled.id, ['cancelled'])
    await t.until(timedOut.id, ['timed_out'])
    await endedWith(killed.id, { kind: 'killed', signal: 'SIGTERM' })
    await endedWith(cancelled.id, { kind: 'cancelled' })
    expect((await endedWith(timedOut.id, { kind: 'timed-out', afterMs: 300 })).reason).toBe('timed out after 300 ms')
  })

  it('a succeeded run has no reason', async () => {
    const task = await t.submit(shell('true'))
    await t.until(task.id, ['succeeded'])
    const run = await lastRun(task.id)
    expect(run).toMatchObject({ reason: null, endReason: null })
  })

  it('a dependency that failed, transitively, and a task cancelled before it ran', async () => {
    const first = await t.submit(shell('exit 1'))
    const second = await t.submit(shell('true', { after: [first.id] }))
    const third = await t.submit(shell('true', { after: [second.id] }))
    const fourth = await t.submit(shell('true', { after: [third.id] }))
    const held = await t.submit(shell('true', { stashed: true }))
    await t.engine.handlers['task.cancel']({ taskIds: [held.id] })
    const failed = await t.until(third.id, ['failed'])
    const root = { kind: 'dependency-ended', taskId: first.id, status: 'failed', cause: { kind: 'exited', code: 1, commandNotFound: false } } as const
    const expected: EndReason = { kind: 'dependency-ended', taskId: second.id, status: 'failed', cause: root }
    expect(failed.endReason).toEqual(expected)
    expect(failed.reason).toBe(`dependency #${second.id} failed: dependency #${first.id} failed: exited with code 1`)
    // Further down the chain only the root is kept next to the direct dependency: the reason does not grow with the chain.
    const last = await t.until(fourth.id, ['failed'])
    expect(last.endReason).toEqual({ kind: 'dependency-ended', taskId: third.id, status: 'failed', cause: root })
    expect(last.reason).toBe(`dependency #${third.id} failed: dependency #${first.id} failed: exited with code 1`)
    expect((await t.engine.handlers['task.get']({ taskId: held.id })).task).toMatchObject({ status: 'cancelled', reason: 'cancelled by user', endReason: { kind: 'cancelled' } })
  })

  it('a script that throws: its own message', async () => {
    const path = join(t.home, 'throws.mjs')
    await writeFile(path, 'export default () => { throw new Error("no input file: data.csv") }\n')
    const task = await t.submit({ spec: { kind: 'script', path } })
    await t.until(task.id, ['failed'])
    expect((await endedWith(task.id, { kind: 'script-error', message: 'no input file: data.csv' })).reason).toBe('no input file: data.csv')
  })

  it('the loop\'s lanes carry their state next to the English detail', async () => {
    const running = await t.submit(shell('sleep 30'))
    await t.until(running.id, ['running'])
    await waitFor(() => t.events.some((e) => e.type === 'run.updated' && e.run.taskId === running.id && e.run.pid !== null), 'the pid recorded')
    const failing = await t.submit(shell('exit 2'))
    await t.until(failing.id, ['failed'])
    const loop = await t.engine.handlers['engine.loop']({})
    const lane = loop.running.find((e) => e.taskId === running.id)!
    expect(lane.state).toMatchObject({ kind: 'running', pid: expect.any(Number) as number })
    expect(lane.detail).toMatch(/^running since \d{4}-\d\d-\d\dT.* · pid \d+$/)
    const done = loop.completion.find((e) => e.taskId === failing.id)!
    expect(done.state).toEqual({ kind: 'finished', status: 'failed', endReason: { kind: 'exited', code: 2, commandNotFound: false }, delivering: false })
    expect(done.detail).toBe('failed: exited with code 2')
    await t.engine.handlers['task.cancel']({ taskIds: [running.id] })
    await t.until(running.id, ['cancelled'])
  })
})

describe('why an HTTP batch failed', () => {
  let server: Server | null = null
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    server = null
  })

  it('names the first failed request with its status, or its network error', async () => {
    server = createServer((request, response) => {
      response.statusCode = request.url === '/ok' ? 200 : 500
      response.end('x')
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const statusTask = await t.submit({ spec: { kind: 'http', requests: [{ url: `${base}/ok` }, { url: `${base}/broken` }], concurrency: 1, retriesPerRequest: 0 } })
    await t.until(statusTask.id, ['failed'])
    const run = await endedWith(statusTask.id, { kind: 'http-failed', failed: 1, total: 2, first: { method: 'GET', url: `${base}/broken`, status: 500, error: null } })
    expect(run.reason).toBe(`1 of 2 requests failed; first: GET ${base}/broken: HTTP 500`)

    // A port nobody listens on: refused, a network error with no status.
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer()
      probe.listen(0, '127.0.0.1', () => {
        const port = (probe.address() as AddressInfo).port
        probe.close(() => resolve(port))
      })
    })
    const refusedTask = await t.submit({ spec: { kind: 'http', requests: [{ url: `http://127.0.0.1:${closed}/x` }], retriesPerRequest: 0 } })
    await t.until(refusedTask.id, ['failed'])
    const refused = await lastRun(refusedTask.id)
    expect(refused.endReason).toMatchObject({ kind: 'http-failed', failed: 1, total: 1, first: { method: 'GET', status: null, error: expect.stringMatching(/connection refused/) as string } })
    expect(refused.reason).toBe(describeEndReason(refused.endReason!))
  })
})

describe('a database written before reasons were data', () => {
  it('replays, shows the English reasons it stored, and still revives a dependant when its dependency is retried', async () => {
    const dependency = await t.submit(shell('exit 1'))
    const dependant = await t.submit(shell('true', { after: [dependency.id] }))
    await t.until(dependant.id, ['failed'])
    await t.engine.close()
    // What an earlier version stored: the same events and rows without `endReason`.
    const db = new DatabaseSync(join(t.home, 'taskdeck.db'))
    db.exec(`
      UPDATE events SET payload = json_remove(payload, '$.run.endReason') WHERE type IN ('run.started', 'run.updated', 'run.finished');
      UPDATE events SET payload = json_remove(payload, '$.task.endReason') WHERE type IN ('task.created', 'task.updated');
      UPDATE tasks SET json = json_remove(json, '$.endReason');
      UPDATE runs SET json = json_remove(json, '$.endReason');
    `)
    expect(db.prepare("SELECT count(*) AS n FROM events WHERE payload LIKE '%endReason%'").get()).toEqual({ n: 0 })
    db.close()

    await t.reopen()
    const replayed = (await t.engine.handlers['events.read']({ since: 0, limit: 1000 })).events
    for (const event of replayed) expect(() => DurableEventSchema.parse(event)).not.toThrow()
    const finished = replayed.filter((e) => e.type === 'run.finished')
    expect(finished.length).toBeGreaterThan(0)
    for (const event of finished) expect(event.run).not.toHaveProperty('endReason')
    const old: Task = (await t.engine.handlers['task.get']({ taskId: dependant.id })).task
    expect(old).toMatchObject({ status: 'failed', reason: `dependency #${dependency.id} failed: exited with code 1` })
    expect(old.endReason).toBeUndefined()
    expect((await lastRun(dependency.id)).reason).toBe('exited with code 1')

    const head = replayed.at(-1)!.seq
    await waitFor(() => t.events.some((e) => 'seq' in e && e.seq === head), 'the replay caught up')
    const before = t.events.length
    const dependantAfterRetry = () => t.events.slice(before).flatMap((e) => (e.type === 'task.updated' && e.task.id === dependant.id ? [e.task] : []))
    await t.engine.handlers['task.retry']({ taskIds: [dependency.id] })
    // Revived by its old English reason, then failed again for the new run's reason, now as data.
    await waitFor(() => dependantAfterRetry().some((task) => task.status === 'failed'), 'the dependant failed again')
    expect(dependantAfterRetry()[0]).toMatchObject({ status: 'waiting', reason: null, endReason: null })
    const failedAgain = (await t.engine.handlers['task.get']({ taskId: dependant.id })).task
    expect(failedAgain.endReason).toEqual({ kind: 'dependency-ended', taskId: dependency.id, status: 'failed', cause: { kind: 'exited', code: 1, commandNotFound: false } })
  })
})

describe('a dependency that ended with no reason stored', () => {
  it('fails its dependant without an empty cause', async () => {
    const dependency = await t.submit(shell('exit 1'))
    await t.until(dependency.id, ['failed'])
    await t.engine.close()
    const db = new DatabaseSync(join(t.home, 'taskdeck.db'))
    db.exec(`UPDATE runs SET json = json_set(json, '$.endReason', json('null'), '$.reason', json('null'))`)
    db.close()
    await t.reopen()
    const dependant = await t.submit(shell('true', { after: [dependency.id] }))
    const failed = await t.until(dependant.id, ['failed'])
    expect(failed).toMatchObject({ reason: `dependency #${dependency.id} failed`, endReason: { kind: 'dependency-ended', taskId: dependency.id, status: 'failed', cause: null } })
  })
})

describe('a long chain of dependants whose root fails', () => {
  it('gives each a reason of bounded size, and exports and imports it', async () => {
    const root = await t.submit(shell('exit 1', { stashed: true }))
    let previous = root.id
    const chain: number[] = []
    for (let i = 0; i < 3000; i++) {
      previous = (await t.engine.handlers['task.submit']({ definition: TaskDefinitionSchema.parse(shell('true', { after: [previous] })) })).task.id
      chain.push(previous)
    }
    await t.engine.handlers['task.unstash']({ taskIds: [root.id] })
    const last = await t.until(chain.at(-1)!, ['failed'])
    expect(last.reason).toBe(`dependency #${chain.at(-2)} failed: dependency #${root.id} failed: exited with code 1`)
    expect(JSON.stringify(last.endReason).length).toBeLessThan(300)

    const document = await t.engine.handlers['data.export']({})
    expect(document.tasks).toHaveLength(3001)
    const target = await t.open({ home: t.anotherHome() })
    const { imported } = await target.engine.handlers['data.import']({ document: JSON.parse(JSON.stringify(document)) as typeof document })
    expect(imported).toHaveLength(3001)
    const copy = (await target.engine.handlers['task.get']({ taskId: imported.at(-1)!.to })).task
    expect(copy.status).toBe('failed')
    expect(copy.endReason).toMatchObject({ kind: 'dependency-ended', cause: { kind: 'dependency-ended', cause: { kind: 'exited', code: 1 } } })
  })
})
