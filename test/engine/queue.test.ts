import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { TaskdeckError, type EngineEvent, type Run, type Task } from '../../src-shared/index.ts'
import { isAlive, shell, waitFor } from './helpers.ts'
import { useEngine } from '../support/engine.ts'

const t = useEngine()

type Of<K extends EngineEvent['type']> = Extract<EngineEvent, { type: K }>
const startedOrder = () => t.events.filter((e): e is Of<'run.started'> => e.type === 'run.started').map((e) => e.run.taskId)
const runningNow = () => {
  const running = new Set<number>()
  for (const e of t.events) {
    if (e.type === 'run.started') running.add(e.run.id)
    if (e.type === 'run.finished') running.delete(e.run.id)
  }
  return running.size
}
/** Resolves once the task's process is up (its pid is recorded). */
const processUp = (taskId: number) =>
  t.waitForEvent((e): e is Of<'run.updated'> => e.type === 'run.updated' && e.run.taskId === taskId && e.run.pid !== null).then((e) => e.run)
const runsOf = async (taskId: number): Promise<Run[]> => (await t.engine.handlers['task.get']({ taskId })).runs
const refusal = async (promise: Promise<unknown>): Promise<TaskdeckError> => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(TaskdeckError)
  return error as TaskdeckError
}
/** A shell task that waits for one line on stdin (sent with task.send), then exits. */
const waitsForLine = (extra: Parameters<typeof shell>[1] = {}) => shell('read line; echo "got $line"', extra)
const release = (taskId: number) => t.engine.handlers['task.send']({ taskId, text: 'go\n' })

describe('priorities and order', () => {
  it('runs higher priorities first, and task.move reorders the queue', async () => {
    await t.engine.handlers['group.set']({ name: 'default', parallel: 1 })
    await t.engine.handlers['engine.pause']({})
    const a = await t.submit(shell('true'))
    const b = await t.submit(shell('true', { priority: 5 }))
    const c = await t.submit(shell('true'))
    const d = await t.submit(shell('true'))
    expect((await t.engine.handlers['task.move']({ taskId: d.id, to: 'top' })).task.definition.priority).toBe(5)
    await t.engine.handlers['task.move']({ taskId: a.id, to: 'down' })
    const loop = await t.engine.handlers['engine.loop']({})
    expect(loop.paused).toBe(true)
    expect(loop.waiting.map((e) => e.taskId)).toEqual([d.id, b.id, c.id, a.id])
    expect(loop.waiting[0]!.detail).toBe('paused: everything is paused')
    await t.engine.handlers['engine.resume']({})
    await t.until(a.id, ['succeeded'])
    expect(startedOrder()).toEqual([d.id, b.id, c.id, a.id])
  })

  it('refuses to move a task that is not queued', async () => {
    const task = await t.submit(shell('true', { stashed: true }))
    expect((await refusal(t.engine.handlers['task.move']({ taskId: task.id, to: 'top' }))).code).toBe('conflict')
  })
})

describe('groups', () => {
  it('enforces the parallel limit and applies a change while tasks run', async () => {
    await t.engine.handlers['group.set']({ name: 'slow', parallel: 1 })
    const tasks = [await t.submit(waitsForLine({ group: 'slow' })), await t.submit(waitsForLine({ group: 'slow' })), await t.submit(waitsForLine({ group: 'slow' }))]
    await processUp(tasks[0]!.id)
    const loop = await t.engine.handlers['engine.loop']({})
    expect(loop.running.map((e) => e.taskId)).toEqual([tasks[0]!.id])
    expect(loop.waiting.map((e) => [e.taskId, e.detail])).toEqual([
      [tasks[1]!.id, 'group limit: slow runs 1 of 1'],
      [tasks[2]!.id, 'group limit: slow runs 1 of 1'],
    ])
    expect(runningNow()).toBe(1)
    await t.engine.handlers['group.set']({ name: 'slow', parallel: 3 })
    await Promise.all(tasks.map((task) => processUp(task.id)))
    expect(runningNow()).toBe(3)
    for (const task of tasks) await release(task.id)
    for (const task of tasks) await t.until(task.id, ['succeeded'])
  })

  it('refuses an unknown group, and removes only unused groups other than default', async () => {
    const error = await refusal(t.submit(shell('true', { group: 'nope' })))
    expect(error.code).toBe('bad_request')
    expect(error.message).toBe('definition.group: unknown group "nope" (create it first: taskdeck group add nope)')
    expect((await refusal(t.engine.handlers['group.remove']({ name: 'default' }))).code).toBe('conflict')
    await t.engine.handlers['group.set']({ name: 'spare', parallel: 2 })
    await t.engine.handlers['group.remove']({ name: 'spare' })
    expect((await t.engine.handlers['group.list']({})).groups.map((g) => g.name)).toEqual(['default'])
    expect(t.events.some((e) => e.type === 'group.removed' && e.name === 'spare')).toBe(true)
  })

  it('a paused group starts nothing new and stops its running tasks until resumed', async () => {
    await t.engine.handlers['group.set']({ name: 'g', parallel: 4 })
    const running = await t.submit(waitsForLine({ group: 'g' }))
    const run = await processUp(running.id)
    await t.engine.handlers['group.pause']({ name: 'g' })
    await waitFor(() => processState(run.pid!) === 'T', 'the running task to stop')
    const held = await t.submit(shell('true', { group: 'g' }))
    const loop = await t.engine.handlers['engine.loop']({})
    expect(loop.waiting.find((e) => e.taskId === held.id)?.detail).toBe('paused: group g is paused')
    expect(startedOrder()).not.toContain(held.id)
    await t.engine.handlers['group.resume']({ name: 'g' })
    await waitFor(() => processState(run.pid!) !== 'T', 'the running task to continue')
    await release(running.id)
    await t.until(held.id, ['succeeded'])
    await t.until(running.id, ['succeeded'])
  })
})

describe('dependencies', () => {
  it('runs a task after all of its dependencies succeeded', async () => {
    const a = await t.submit(waitsForLine())
    const b = await t.submit(shell('true'))
    const c = await t.submit(shell('true', { after: [a.id, b.id] }))
    expect(c.status).toBe('waiting')
    expect(c.waitingFor).toEqual({ kind: 'dependency', taskIds: [a.id, b.id] })
    await t.until(b.id, ['succeeded'])
    await t.until(c.id, ['waiting'])
    expect((await t.engine.handlers['task.get']({ taskId: c.id })).task.waitingFor).toEqual({ kind: 'dependency', taskIds: [a.id] })
    await release(a.id)
    await t.until(c.id, ['succeeded'])
    expect(startedOrder().indexOf(c.id)).toBeGreaterThan(startedOrder().indexOf(a.id))
  })

  it('fails dependants (transitively) with the reason when a dependency fails or is cancelled', async () => {
    const a = await t.submit(shell('exit 4'))
    const b = await t.submit(shell('true', { after: [a.id] }))
    const c = await t.submit(shell('true', { after: [b.id] }))
    expect((await t.until(b.id, ['failed'])).reason).toBe(`dependency #${a.id} failed: exited with code 4`)
    expect((await t.until(c.id, ['failed'])).reason).toMatch(new RegExp(`^dependency #${b.id} failed: dependency #${a.id} failed`))
    expect(await runsOf(b.id)).toEqual([])

    const d = await t.submit(waitsForLine())
    const e = await t.submit(shell('true', { after: [d.id] }))
    await t.engine.handlers['task.cancel']({ taskIds: [d.id] })
    expect((await t.until(e.id, ['failed'])).reason).toBe(`dependency #${d.id} cancelled: cancelled by user`)
  })

  it('retrying a failed dependency puts the chain failed by it back to waiting, and the chain completes', async () => {
    const marker = join(t.home, 'a-may-pass')
    const a = await t.submit(shell(`test -f ${marker}`))
    const b = await t.submit(shell('echo b', { after: [a.id] }))
    const c = await t.submit(shell('echo c', { after: [b.id] }))
    await t.until(c.id, ['failed'])
    writeFileSync(marker, '')
    expect((await t.engine.handlers['task.retry']({ taskIds: [a.id] })).affected).toEqual([a.id])
    // Each link waits again on the one before it, recorded as an event.
    expect(await t.until(b.id, ['waiting'])).toMatchObject({ waitingFor: { kind: 'dependency', taskIds: [a.id] }, reason: null })
    expect(await t.until(c.id, ['waiting'])).toMatchObject({ waitingFor: { kind: 'dependency', taskIds: [b.id] }, reason: null })
    await t.until(c.id, ['succeeded'])
    expect((await runsOf(a.id)).map((r) => r.status)).toEqual(['failed', 'succeeded'])
    expect((await runsOf(b.id)).map((r) => r.status)).toEqual(['succeeded'])
    expect((await runsOf(c.id)).map((r) => r.status)).toEqual(['succeeded'])
  })

  it('a chain revived by a retry survives a restart before the retry runs', async () => {
    const marker = join(t.home, 'a-may-pass')
    const a = await t.submit(shell(`test -f ${marker}`))
    const b = await t.submit(shell('echo b', { after: [a.id] }))
    const c = await t.submit(shell('echo c', { after: [b.id] }))
    await t.until(c.id, ['failed'])
    await t.reopen()
    writeFileSync(marker, '')
    await t.engine.handlers['engine.pause']({})
    await t.engine.handlers['task.retry']({ taskIds: [a.id] })
    await t.reopen()
    const get = async (id: number) => (await t.engine.handlers['task.get']({ taskId: id })).task
    expect(await get(a.id)).toMatchObject({ status: 'queued' })
    expect(await get(b.id)).toMatchObject({ status: 'waiting', waitingFor: { kind: 'dependency', taskIds: [a.id] } })
    expect(await get(c.id)).toMatchObject({ status: 'waiting', waitingFor: { kind: 'dependency', taskIds: [b.id] } })
    await t.engine.handlers['engine.resume']({})
    await t.until(c.id, ['succeeded'])
    expect((await runsOf(b.id)).map((r) => r.status)).toEqual(['succeeded'])
    expect((await runsOf(c.id)).map((r) => r.status)).toEqual(['succeeded'])
  })

  it('a dependant with another failed dependency stays failed until that one is retried too', async () => {
    const marker = join(t.home, 'may-pass')
    const a = await t.submit(shell(`test -f ${marker}`))
    const e = await t.submit(shell(`test -f ${marker}`))
    await t.until(a.id, ['failed'])
    await t.until(e.id, ['failed'])
    const d = await t.submit(shell('echo d', { after: [a.id, e.id] }))
    expect(d).toMatchObject({ status: 'failed', reason: `dependency #${a.id} failed: exited with code 1` })
    const ownFailure = await t.submit(shell('exit 3', { after: [e.id], stashed: true }))
    writeFileSync(marker, '')
    await t.engine.handlers['task.retry']({ taskIds: [a.id] })
    const renamed = `dependency #${e.id} failed: exited with code 1`
    await t.waitForEvent((event): event is Of<'task.updated'> => event.type === 'task.updated' && event.task.id === d.id && event.task.reason === renamed)
    expect((await t.engine.handlers['task.get']({ taskId: d.id })).task).toMatchObject({ status: 'failed', reason: renamed })
    await t.until(a.id, ['succeeded'])
    await t.engine.handlers['task.retry']({ taskIds: [e.id] })
    await t.until(d.id, ['succeeded'])
    // A task that was never failed by its dependency is left as it was.
    expect((await t.engine.handlers['task.get']({ taskId: ownFailure.id })).task.status).toBe('stashed')
  })

  it('retries a list whole: refused as a whole when one cannot run, accepted whatever its order when the list revives what one waits for', async () => {
    const marker = join(t.home, 'a-may-pass')
    const a = await t.submit(shell(`test -f ${marker}`))
    const b = await t.submit(shell('echo b', { after: [a.id] }))
    const x = await t.submit(shell('exit 2'))
    await t.until(b.id, ['failed'])
    await t.until(x.id, ['failed'])
    const refused = await refusal(t.engine.handlers['task.retry']({ taskIds: [x.id, b.id] }))
    expect(refused).toMatchObject({ code: 'conflict', message: `Task ${b.id} cannot run: dependency #${a.id} failed: exited with code 1.` })
    expect((await t.engine.handlers['task.get']({ taskId: x.id })).task).toMatchObject({ status: 'failed', attempts: 1 })
    expect(await runsOf(x.id)).toHaveLength(1)

    writeFileSync(marker, '')
    // b comes back with a (revived, as when a alone is retried), whichever of the two the list names first.
    expect((await t.engine.handlers['task.retry']({ taskIds: [b.id, a.id] })).affected).toEqual([a.id])
    await t.until(b.id, ['succeeded'])
  })

  it('pauses a list whole: a running task that cannot be paused refuses it before any other is paused', async () => {
    const path = join(t.home, 'waits.mjs')
    writeFileSync(path, 'export default () => new Promise((resolve) => setTimeout(resolve, 60_000))\n')
    const running = await t.submit(shell('sleep 60'))
    const script = await t.submit({ spec: { kind: 'script', path } })
    await t.until(running.id, ['running'])
    await t.until(script.id, ['running'])
    const refused = await refusal(t.engine.handlers['task.pause']({ taskIds: [running.id, script.id] }))
    expect(refused).toMatchObject({ code: 'conflict', message: `Task ${script.id} (script) cannot be paused while it runs.` })
    expect((await t.engine.handlers['task.get']({ taskId: running.id })).task.status).toBe('running')
    await t.engine.handlers['task.cancel']({ taskIds: [running.id, script.id] })
  })

  it('refuses unknown ids, self-dependencies and cycles', async () => {
    expect((await refusal(t.submit(shell('true', { after: [999] })))).message).toBe('definition.after.0: there is no task 999')
    const a = await t.submit(shell('true', { stashed: true }))
    const b = await t.submit(shell('true', { after: [a.id], stashed: true }))
    const edit = (after: number[]) => t.engine.handlers['task.edit']({ taskId: a.id, definition: { ...a.definition, after } })
    expect((await refusal(edit([b.id]))).message).toBe(`definition.after: this would make a dependency cycle through task ${a.id}`)
    expect((await refusal(edit([a.id]))).message).toBe('definition.after.0: a task cannot depend on itself')
    expect((await t.engine.handlers['task.get']({ taskId: b.id })).task.definition.after).toEqual([a.id])
  })
})

describe('pause, resume and cancel', () => {
  it('pauses a running shell task with SIGSTOP on its group and resumes it with SIGCONT', async () => {
    const task = await t.submit(shell('sh -c "read line; echo got \\$line"; echo after'))
    const run = await processUp(task.id)
    await waitFor(() => childrenOf(run.pid!).length > 0, 'the grandchild to start')
    const tree = [run.pid!, ...childrenOf(run.pid!)]
    expect((await t.engine.handlers['task.pause']({ taskIds: [task.id] })).affected).toEqual([task.id])
    // A signal takes effect when the process is next scheduled: wait for the kernel to show it.
    await waitFor(() => tree.every((pid) => processState(pid) === 'T'), 'the whole tree to stop')
    expect((await t.engine.handlers['task.get']({ taskId: task.id })).task).toMatchObject({ status: 'paused', waitingFor: { kind: 'paused', scope: 'task' } })
    expect(t.events.some((e) => e.type === 'run.updated' && e.run.id === run.id && e.run.status === 'paused')).toBe(true)
    await t.engine.handlers['task.resume']({ taskIds: [task.id] })
    await waitFor(() => tree.every((pid) => processState(pid) !== 'T'), 'the whole tree to continue')
    await release(task.id)
    expect((await t.until(task.id, ['succeeded'])).status).toBe('succeeded')
  })

  it('holds a queued task while paused and cancels tasks in any state', async () => {
    await t.engine.handlers['engine.pause']({})
    const held = await t.submit(shell('true'))
    await t.engine.handlers['task.pause']({ taskIds: [held.id] })
    await t.engine.handlers['engine.resume']({})
    const other = await t.submit(shell('true'))
    await t.until(other.id, ['succeeded'])
    expect((await t.engine.handlers['task.get']({ taskId: held.id })).task.status).toBe('paused')
    const stashed = await t.submit(shell('true', { stashed: true }))
    const result = await t.engine.handlers['task.cancel']({ taskIds: [held.id, stashed.id, other.id] })
    expect(result.affected).toEqual([held.id, stashed.id])
    expect((await t.engine.handlers['task.get']({ taskId: held.id })).task).toMatchObject({ status: 'cancelled', reason: 'cancelled by user' })
  })

  it('cancels a paused running task', async () => {
    const task = await t.submit(shell('sleep 300'))
    const run = await processUp(task.id)
    await t.engine.handlers['task.pause']({ taskIds: [task.id] })
    await t.engine.handlers['task.cancel']({ taskIds: [task.id] })
    await t.until(task.id, ['cancelled'])
    expect(isAlive(run.pid!)).toBe(false)
  })
})

describe('timeouts and retries', () => {
  it('kills a task that runs past its timeout and reports timed_out', async () => {
    const task = await t.submit(shell('sleep 300', { timeoutMs: 200 }))
    const run = await processUp(task.id)
    const done = await t.until(task.id, ['timed_out'])
    expect(done.status).toBe('timed_out')
    expect((await runsOf(task.id))[0]).toMatchObject({ status: 'timed_out', reason: 'timed out after 200 ms' })
    expect(isAlive(run.pid!)).toBe(false)
  })

  it('retries with exponential backoff up to maxAttempts, then fails', async () => {
    const task = await t.submit(shell('exit 1', { retry: { maxAttempts: 3, backoffMs: 20, factor: 2, jitter: 0 } }))
    const done = await t.until(task.id, ['failed'])
    expect(done.attempts).toBe(3)
    const runs = await runsOf(task.id)
    expect(runs.map((r) => [r.attempt, r.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'failed'],
    ])
    const backoffs = t.events
      .filter((e): e is Of<'task.updated'> => e.type === 'task.updated' && e.task.id === task.id && e.task.waitingFor?.kind === 'backoff')
      .map((e) => e.task.waitingFor as { until: number; attempt: number })
    expect(backoffs.map((w) => w.attempt)).toEqual([2, 3])
    // The second run starts no earlier than 20 ms after the first ended, the third 40 ms after the second.
    expect(runs[1]!.startedAt - runs[0]!.finishedAt!).toBeGreaterThanOrEqual(19)
    expect(runs[2]!.startedAt - runs[1]!.finishedAt!).toBeGreaterThanOrEqual(39)
  })

  it('stops retrying once an attempt succeeds; task.retry runs a finished task again and keeps history', async () => {
    const marker = join(t.home, 'marker')
    const task = await t.submit(shell(`if [ -f ${marker} ]; then echo second; else touch ${marker}; exit 1; fi`, { retry: { maxAttempts: 5, backoffMs: 1 } }))
    await t.until(task.id, ['succeeded'])
    expect((await runsOf(task.id)).map((r) => r.status)).toEqual(['failed', 'succeeded'])
    const failing = await t.submit(shell('exit 2'))
    await t.until(failing.id, ['failed'])
    expect((await t.engine.handlers['task.retry']({ taskIds: [failing.id, task.id] })).affected).toEqual([failing.id, task.id])
    await waitFor(() => countRuns(failing.id) === 2 && countRuns(task.id) === 3, 'the retried runs to finish')
    expect((await runsOf(failing.id)).map((r) => r.status)).toEqual(['failed', 'failed'])
    expect((await runsOf(task.id)).map((r) => r.status)).toEqual(['failed', 'succeeded', 'succeeded'])
  })

  it('an edit keeps a pending retry\'s time (across a restart); an edit of the backoff reschedules it', async () => {
    const task = await t.submit(shell('exit 1', { retry: { maxAttempts: 2, backoffMs: 3_600_000, maxBackoffMs: 86_400_000, jitter: 0 } }))
    const waiting = await t.until(task.id, ['waiting'])
    const pending = waiting.waitingFor
    expect(pending).toMatchObject({ kind: 'backoff', attempt: 2 })
    const fixed = { ...task.definition, spec: { kind: 'shell' as const, command: 'echo fixed' } }
    const edited = await t.engine.handlers['task.edit']({ taskId: task.id, definition: fixed })
    expect(edited.task).toMatchObject({ status: 'waiting', waitingFor: pending, name: 'echo fixed' })
    await t.reopen()
    expect((await t.engine.handlers['task.get']({ taskId: task.id })).task).toMatchObject({ status: 'waiting', waitingFor: pending })
    const loop = await t.engine.handlers['engine.loop']({})
    expect(loop.waiting.find((entry) => entry.taskId === task.id)?.detail).toMatch(/^backoff: attempt 2 at /)
    const run = (await runsOf(task.id))[0]!
    const withBackoff = (backoffMs: number) => ({ ...fixed, retry: { ...fixed.retry!, backoffMs } })
    const later = await t.engine.handlers['task.edit']({ taskId: task.id, definition: withBackoff(7_200_000) })
    expect(later.task.waitingFor).toEqual({ kind: 'backoff', attempt: 2, until: run.finishedAt! + 7_200_000 })
    // A backoff that has already elapsed since the failure lets the retry run now.
    const sooner = await t.engine.handlers['task.edit']({ taskId: task.id, definition: withBackoff(1) })
    expect(sooner.task).toMatchObject({ status: 'queued', waitingFor: null })
    const done = await t.until(task.id, ['succeeded'])
    expect((await t.lines(done.lastRunId!)).map((l) => l.text)).toEqual(['fixed'])
    expect((await runsOf(task.id)).map((r) => r.attempt)).toEqual([1, 2])
  })

  it('a task given a dependency while it waits for a retry still waits for the retry once the dependency succeeded', async () => {
    const task = await t.submit(shell('exit 1', { retry: { maxAttempts: 2, backoffMs: 3_600_000, maxBackoffMs: 86_400_000, jitter: 0 } }))
    const pending = (await t.until(task.id, ['waiting'])).waitingFor
    const dependency = await t.submit(waitsForLine())
    const edited = await t.engine.handlers['task.edit']({ taskId: task.id, definition: { ...task.definition, after: [dependency.id] } })
    expect(edited.task.waitingFor).toEqual({ kind: 'dependency', taskIds: [dependency.id] })
    await processUp(dependency.id)
    await release(dependency.id)
    await t.until(dependency.id, ['succeeded'])
    expect((await t.engine.handlers['task.get']({ taskId: task.id })).task).toMatchObject({ status: 'waiting', waitingFor: pending })
    expect(await runsOf(task.id)).toHaveLength(1)
  })

  it('a task paused or stashed while it waits for a retry waits for it again when resumed or unstashed', async () => {
    const task = await t.submit(shell('exit 1', { retry: { maxAttempts: 2, backoffMs: 3_600_000, maxBackoffMs: 86_400_000, jitter: 0 } }))
    const pending = (await t.until(task.id, ['waiting'])).waitingFor
    const get = async () => (await t.engine.handlers['task.get']({ taskId: task.id })).task
    expect((await t.engine.handlers['task.pause']({ taskIds: [task.id] })).affected).toEqual([task.id])
    await t.engine.handlers['task.resume']({ taskIds: [task.id] })
    expect(await get()).toMatchObject({ status: 'waiting', waitingFor: pending })
    expect((await t.engine.handlers['task.stash']({ taskIds: [task.id] })).affected).toEqual([task.id])
    await t.engine.handlers['task.unstash']({ taskIds: [task.id] })
    expect(await get()).toMatchObject({ status: 'waiting', waitingFor: pending })
    expect(await runsOf(task.id)).toHaveLength(1)
  })

  it('jitter spreads the backoff within its bounds', async () => {
    await t.reopen({ random: () => 1 })
    const task = await t.submit(shell('exit 1', { retry: { maxAttempts: 2, backoffMs: 1000, jitter: 0.5 } }))
    const waiting = await t.until(task.id, ['waiting'])
    const wait = waiting.waitingFor as { until: number }
    const run = (await runsOf(task.id))[0]!
    // random() = 1 is the top of the band: 1000 ms × (1 + 0.5)
    expect(wait.until - run.finishedAt!).toBeGreaterThanOrEqual(1500)
    expect(wait.until - run.finishedAt!).toBeLessThanOrEqual(1502)
  })
})

const countRuns = (taskId: number) => t.events.filter((e) => e.type === 'run.finished' && e.run.taskId === taskId).length

describe('delays, stash, edit, clean', () => {
  it('starts a delayed task no earlier than its time; a runAt in the past runs at once', async () => {
    const task = await t.submit(shell('true', { delayMs: 300 }))
    expect(task.status).toBe('waiting')
    expect(task.waitingFor).toEqual({ kind: 'delay', until: task.createdAt + 300 })
    const loop = await t.engine.handlers['engine.loop']({})
    expect(loop.waiting.find((e) => e.taskId === task.id)?.detail).toMatch(/^delay: until /)
    await t.until(task.id, ['succeeded'])
    expect((await runsOf(task.id))[0]!.startedAt).toBeGreaterThanOrEqual(task.createdAt + 300)
    const past = await t.submit(shell('true', { runAt: 1 }))
    expect(past.status).toBe('queued')
  })

  it('stashes without running, edits a stashed task, and runs it on unstash', async () => {
    const task = await t.submit(shell('echo old', { stashed: true }))
    expect(task.status).toBe('stashed')
    const edited = await t.engine.handlers['task.edit']({ taskId: task.id, definition: { ...task.definition, spec: { kind: 'shell', command: 'echo new' }, labels: ['edited'] } })
    expect(edited.task).toMatchObject({ status: 'stashed', name: 'echo new', definition: { labels: ['edited'] } })
    expect(startedOrder()).not.toContain(task.id)
    await t.engine.handlers['task.unstash']({ taskIds: [task.id] })
    const done = await t.until(task.id, ['succeeded'])
    expect((await t.lines(done.lastRunId!)).map((l) => l.text)).toEqual(['new'])
    const error = await refusal(t.engine.handlers['task.edit']({ taskId: task.id, definition: task.definition }))
    expect(error.code).toBe('conflict')
  })

  it('stashes a queued task and keeps it from running', async () => {
    await t.engine.handlers['engine.pause']({})
    const task = await t.submit(shell('true'))
    expect((await t.engine.handlers['task.stash']({ taskIds: [task.id] })).affected).toEqual([task.id])
    await t.engine.handlers['engine.resume']({})
    const other = await t.submit(shell('true'))
    await t.until(other.id, ['succeeded'])
    expect((await t.engine.handlers['task.get']({ taskId: task.id })).task.status).toBe('stashed')
  })

  it('cleans finished tasks by status and age, with their logs, but not dependencies of unfinished tasks', async () => {
    const ok = await t.submit(shell('echo ok'))
    const bad = await t.submit(shell('exit 1'))
    const needed = await t.submit(shell('true'))
    await t.submit(shell('true', { after: [needed.id], stashed: true }))
    await t.until(ok.id, ['succeeded'])
    await t.until(bad.id, ['failed'])
    await t.until(needed.id, ['succeeded'])
    const okRun = (await runsOf(ok.id))[0]!
    expect(existsSync(join(t.home, 'logs', `${okRun.id}.log`))).toBe(true)
    expect((await t.engine.handlers['task.clean']({ olderThanMs: 3_600_000 })).removed).toEqual([])
    expect((await t.engine.handlers['task.clean']({ statuses: ['failed'] })).removed).toEqual([bad.id])
    expect((await t.engine.handlers['task.clean']({})).removed).toEqual([ok.id])
    expect(existsSync(join(t.home, 'logs', `${okRun.id}.log`))).toBe(false)
    expect((await refusal(t.engine.handlers['task.get']({ taskId: ok.id }))).code).toBe('not_found')
    expect(t.events.some((e) => e.type === 'task.removed' && e.taskIds.includes(bad.id))).toBe(true)
  })

  it('removes the finished tasks named, all or none, naming each one that cannot go', async () => {
    const first = await t.submit(shell('true'))
    const second = await t.submit(shell('exit 2'))
    const needed = await t.submit(shell('true'))
    const dependant = await t.submit(shell('true', { after: [needed.id], stashed: true }))
    const kept = await t.submit(shell('true'))
    for (const task of [first, needed, kept]) await t.until(task.id, ['succeeded'])
    await t.until(second.id, ['failed'])
    const refused = await refusal(t.engine.handlers['task.clean']({ taskIds: [first.id, needed.id, dependant.id] }))
    expect(refused).toMatchObject({
      code: 'conflict',
      message: `Nothing removed: task ${needed.id} is a dependency of unfinished task ${dependant.id}; task ${dependant.id} is stashed (cancel it first).`,
    })
    expect((await t.engine.handlers['task.get']({ taskId: first.id })).task.status).toBe('succeeded')
    expect((await refusal(t.engine.handlers['task.clean']({ taskIds: [first.id, 999] }))).code).toBe('not_found')
    expect((await t.engine.handlers['task.clean']({ taskIds: [second.id, first.id] })).removed.sort((a, b) => a - b)).toEqual([first.id, second.id])
    expect((await refusal(t.engine.handlers['task.get']({ taskId: first.id }))).code).toBe('not_found')
    expect((await t.engine.handlers['task.get']({ taskId: kept.id })).task.status).toBe('succeeded')
  })

  it('lists tasks by status, group, label and text', async () => {
    await t.submit(shell('echo alpha', { labels: ['x'], stashed: true }))
    await t.submit(shell('echo beta', { stashed: true }))
    const byLabel = await t.engine.handlers['task.list']({ label: 'x', limit: 10, offset: 0 })
    expect(byLabel.tasks.map((task: Task) => task.name)).toEqual(['echo alpha'])
    const byText = await t.engine.handlers['task.list']({ text: 'BETA', status: ['stashed'], limit: 10, offset: 0 })
    expect(byText.total).toBe(1)
  })
})

describe('runners other than shell', () => {
  it('cancels and times out any runner through its abort signal', async () => {
    const seen: string[] = []
    await t.reopen({
      runners: {
        script: {
          kind: 'script',
          start: (_spec, context) => ({
            pid: null,
            done: new Promise((resolve) => {
              context.output('stdout', 'started\n')
              context.signal.addEventListener('abort', () => {
                seen.push(String(context.signal.reason))
                resolve({ exitCode: null, signal: null, failure: { kind: 'script-stopped' } })
              })
            }),
          }),
        },
      },
    })
    const cancelled = await t.submit({ spec: { kind: 'script', path: 'cancel.js' } })
    await t.waitForEvent((e): e is Of<'run.output'> => e.type === 'run.output' && e.taskId === cancelled.id)
    await t.engine.handlers['task.cancel']({ taskIds: [cancelled.id] })
    await t.until(cancelled.id, ['cancelled'])
    const timed = await t.submit({ spec: { kind: 'script', path: 'timeout.js' }, timeoutMs: 50 })
    await t.until(timed.id, ['timed_out'])
    expect(seen).toEqual(['cancel', 'timeout'])
  })
})

function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2)[0]!
}

function childrenOf(pid: number): number[] {
  const children: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry))
    } catch {
      // The process ended while we looked.
    }
  }
  return children
}

describe('pause scopes', () => {
  it('a task paused by both its group and the engine resumes only when both let go; one paused by hand stays paused', async () => {
    await t.engine.handlers['group.set']({ name: 'g', parallel: 4 })
    const byScope = await t.submit(shell('sleep 300', { group: 'g' }))
    const byHand = await t.submit(shell('sleep 300', { group: 'g' }))
    const first = await processUp(byScope.id)
    const second = await processUp(byHand.id)
    await t.engine.handlers['task.pause']({ taskIds: [byHand.id] })
    const get = async (id: number) => (await t.engine.handlers['task.get']({ taskId: id })).task
    // group, then engine; the group lets go first: the engine still holds it.
    await t.engine.handlers['group.pause']({ name: 'g' })
    await t.engine.handlers['engine.pause']({})
    await t.engine.handlers['group.resume']({ name: 'g' })
    expect(await get(byScope.id)).toMatchObject({ status: 'paused', waitingFor: { kind: 'paused', scope: 'all' } })
    await waitFor(() => processState(first.pid!) === 'T', 'the task to stop')
    await t.engine.handlers['engine.resume']({})
    expect((await get(byScope.id)).status).toBe('running')
    await waitFor(() => processState(first.pid!) !== 'T', 'the task to continue')
    // engine, then group; the engine lets go first: the group still holds it.
    await t.engine.handlers['engine.pause']({})
    await t.engine.handlers['group.pause']({ name: 'g' })
    await t.engine.handlers['engine.resume']({})
    expect(await get(byScope.id)).toMatchObject({ status: 'paused', waitingFor: { kind: 'paused', scope: 'group' } })
    await t.engine.handlers['group.resume']({ name: 'g' })
    expect((await get(byScope.id)).status).toBe('running')
    expect(await get(byHand.id)).toMatchObject({ status: 'paused', waitingFor: { kind: 'paused', scope: 'task' } })
    await waitFor(() => processState(second.pid!) === 'T', 'the task paused by hand to stay stopped')
    await t.engine.handlers['task.cancel']({ taskIds: [byScope.id, byHand.id] })
  })
})
