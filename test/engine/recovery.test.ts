import { spawn } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import type { DurableEvent, Task } from '../../src-shared/index.ts'
import { INTERRUPTED_REASON } from '../../src-main/engine/engine.ts'
import { ENGINE_MIGRATIONS } from '../../src-main/engine/migrations/index.ts'
import { bootId, processStartTicks } from '../../src-main/engine/runners/process-groups.ts'
import { migrate } from '../../src-main/engine/store.ts'
import { isAlive, waitFor } from './helpers.ts'
import { groupMembers, killLeftovers, stillAlive, wholeGroup, type ProcessIdentity } from '../runners/process-tree.ts'
import { useTempHome } from '../support/engine.ts'
import { EngineProcess } from './process.ts'

const dir = useTempHome()
const started: ProcessIdentity[] = []
afterEach(() => killLeftovers(started.splice(0)))

describe('recovery after the engine dies', () => {
  // Without the orphan reaper (which would kill the leftovers at once, test/engine/orphans.test.ts): the restart-time cleanup alone.
  it('marks a run killed with its engine interrupted, keeps its log readable, and kills its leftovers', async () => {
    const child = new EngineProcess(dir.home, { orphanReaper: false })
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

    const t = await dir.open()
    const { task, runs } = await t.engine.handlers['task.get']({ taskId: run.taskId })
    expect(task).toMatchObject({ status: 'interrupted', reason: INTERRUPTED_REASON })
    expect(runs[0]).toMatchObject({ status: 'interrupted', reason: INTERRUPTED_REASON, logLines: 2 })
    // What it last wrote on stderr, read back from its stored log: the engine that heard it is gone.
    expect(runs[0]?.stderrTail).toBe('also')
    const log = await t.engine.handlers['run.readLog']({ runId: run.id, fromLine: 0, count: 10 })
    expect(log.lines.map((l) => [l.stream, l.text])).toEqual([
      ['stdout', 'before'],
      ['stderr', 'also'],
    ])
    expect(log.done).toBe(true)
    await waitFor(() => !isAlive(run.pid!), 'the leftover process group to be killed')
  })

  it('kills leftovers whose group leader already exited', async () => {
    const child = new EngineProcess(dir.home, { orphanReaper: false })
    await child.until(() => child.ready)
    const pidFile = `${dir.home}/background.pid`
    // The leader exits at once; its background child keeps stdout open, so the run is still running.
    const submitted = await child.request('task.submit', { definition: { spec: { kind: 'shell', command: `sleep 300 & echo $! > ${pidFile}` } } })
    expect(submitted.ok).toBe(true)
    await child.until(() => child.events.some((e) => e.type === 'run.updated' && e.run.pid !== null))
    await waitFor(() => readIfExists(pidFile).trim().length > 0, 'the background pid')
    const background = Number(readIfExists(pidFile).trim())
    const leader = child.events.find((e): e is Extract<DurableEvent, { type: 'run.updated' }> => e.type === 'run.updated')!.run.pid!
    await waitFor(() => !isAlive(leader), 'the leader to exit')
    await child.kill()
    expect(isAlive(background)).toBe(true)
    // Recorded with this boot: the lenient rule applies.
    const database = new DatabaseSync(join(dir.home, 'taskdeck.db'), { readOnly: true })
    expect(database.prepare('SELECT boot_id FROM run_processes').all()).toEqual([{ boot_id: bootId() }])
    database.close()
    await dir.open()
    await waitFor(() => !isAlive(background), 'the leftover to be killed')
  })

  it('leaves alone process groups recorded in an earlier boot: their ids and start times may be anyone\'s now', async () => {
    const child = new EngineProcess(dir.home, { orphanReaper: false })
    await child.until(() => child.ready)
    expect((await child.request('task.submit', { definition: { spec: { kind: 'shell', command: 'sleep 300 & wait' } } })).ok).toBe(true)
    await child.until(() => child.events.some((e) => e.type === 'run.updated' && e.run.pid !== null))
    const { run } = child.events.find((e): e is Extract<DurableEvent, { type: 'run.updated' }> => e.type === 'run.updated' && e.run.pid !== null)!
    // Its leader is the very process recorded: a stranger that got the same pid at the same tick of another boot would look so.
    const group = await wholeGroup(run.pid!, 2)
    started.push(...group)
    await child.kill()
    const database = new DatabaseSync(join(dir.home, 'taskdeck.db'))
    database.prepare('UPDATE run_processes SET boot_id = ?').run(bootId()!.replace(/^./, (c) => (c === '0' ? '1' : '0')))
    database.close()

    const t = await dir.open()
    expect((await t.engine.handlers['task.get']({ taskId: run.taskId })).runs[0]).toMatchObject({ status: 'interrupted' })
    expect(group.every(stillAlive)).toBe(true)
  })

  it('gives groups recorded before boots were (schema version 2) the strict rule only: killed while led by the recorded leader', async () => {
    const led = spawn('/bin/sh', ['-c', 'sleep 300 & wait'], { detached: true, stdio: 'ignore' })
    const ledGroup = await wholeGroup(led.pid!, 2)
    started.push(...ledGroup)
    // A group whose leader exited, its member younger: of this boot an orphan, of an earlier one maybe a stranger's.
    const leaderless = spawn('/bin/sh', ['-c', 'sleep 300 & echo started'], { detached: true, stdio: 'ignore' })
    const leaderlessTicks = processStartTicks(leaderless.pid!)!
    await new Promise((resolve) => leaderless.once('exit', resolve))
    await waitFor(() => groupMembers(leaderless.pid!).length === 1, 'the leader to be gone')
    const [member] = groupMembers(leaderless.pid!)
    started.push(member!)
    const old = new DatabaseSync(join(dir.home, 'taskdeck.db'))
    migrate(old, 'engine', ENGINE_MIGRATIONS.slice(0, 2))
    const record = old.prepare('INSERT INTO run_processes (run_id, pid, start_ticks) VALUES (?, ?, ?)')
    record.run(1, led.pid!, processStartTicks(led.pid!))
    record.run(2, leaderless.pid!, leaderlessTicks)
    old.close()

    await dir.open()
    await waitFor(() => ledGroup.every((p) => !stillAlive(p)), 'the group led by its recorded leader to be killed')
    expect(stillAlive(member!)).toBe(true)
  })
  it('a run held for its group\'s machine conditions when the engine died ends interrupted and held by nothing', async () => {
    const child = new EngineProcess(dir.home, { orphanReaper: false })
    await child.until(() => child.ready)
    expect((await child.request('group.set', { name: 'mains', onlyWhen: ['ac-power'], whenUnmet: 'pause' })).ok).toBe(true)
    const submitted = (await child.request('task.submit', { definition: { spec: { kind: 'shell', command: 'sleep 300' }, group: 'mains' } })) as { ok: true; value: { task: Task } }
    const updated = (test: (run: Extract<DurableEvent, { type: 'run.updated' }>['run']) => boolean) =>
      child.events.find((e): e is Extract<DurableEvent, { type: 'run.updated' }> => e.type === 'run.updated' && test(e.run))
    await child.until(() => updated((run) => run.pid !== null) !== undefined)
    expect((await child.request('machine.report', { onAcPower: false })).ok).toBe(true)
    await child.until(() => updated((run) => run.heldFor !== undefined) !== undefined)
    const held = updated((run) => run.heldFor !== undefined)!.run
    expect(held).toMatchObject({ status: 'paused', heldFor: ['ac-power'] })
    await child.kill()

    const t = await dir.open()
    const { task, runs } = await t.engine.handlers['task.get']({ taskId: submitted.value.task.id })
    expect(task).toMatchObject({ status: 'interrupted', waitingFor: null })
    expect(runs[0]).toMatchObject({ id: held.id, status: 'interrupted', reason: INTERRUPTED_REASON })
    expect(runs[0]).not.toHaveProperty('heldFor')
    const finished = (await t.engine.handlers['events.read']({ since: 0, limit: 10_000 })).events.find((e) => e.type === 'run.finished' && e.run.id === held.id)
    expect(finished).toBeDefined()
    expect((finished as Extract<DurableEvent, { type: 'run.finished' }>).run).not.toHaveProperty('heldFor')
    await t.close()
    // What was stored, not only what this engine holds in memory.
    const reopened = await dir.open()
    expect((await reopened.engine.handlers['task.get']({ taskId: task.id })).runs[0]).not.toHaveProperty('heldFor')
    await waitFor(() => !isAlive(held.pid!), 'the held leftover to be killed')
  })
})

function readIfExists(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

describe('recovery of the queue', () => {
  it('re-queues a retryOnInterrupt task in its old place; queued and delayed tasks keep theirs', async () => {
    const child = new EngineProcess(dir.home)
    await child.until(() => child.ready)
    const ok = (result: { ok: boolean }) => expect(result.ok).toBe(true)
    ok(await child.request('group.set', { name: 'one', parallel: 1 }))
    const submit = async (definition: object) => {
      const result = (await child.request('task.submit', { definition })) as { ok: true; value: { task: Task } }
      ok(result)
      return result.value.task
    }
    const again = await submit({ spec: { kind: 'shell', command: 'sleep 300' }, group: 'one', retryOnInterrupt: true })
    const queuedFirst = await submit({ spec: { kind: 'shell', command: 'true' }, group: 'one' })
    const queuedSecond = await submit({ spec: { kind: 'shell', command: 'true' }, group: 'one' })
    const delayed = await submit({ spec: { kind: 'shell', command: 'true' }, delayMs: 3_600_000 })
    const stays = await submit({ spec: { kind: 'shell', command: 'sleep 300' } })
    await child.until(() => child.events.filter((e) => e.type === 'run.updated' && e.run.pid !== null).length === 2)
    await child.kill()

    const t = await dir.open()
    const get = async (id: number) => (await t.engine.handlers['task.get']({ taskId: id })).task
    // Group one has pending work that is not all safe to re-run: it starts paused after the crash (see below) until resumed.
    expect((await t.engine.handlers['group.list']({})).groups.find((g) => g.name === 'one')).toMatchObject({ paused: true, pausedReason: 'crash' })
    await t.engine.handlers['group.resume']({ name: 'one' })
    expect(await get(stays.id)).toMatchObject({ status: 'interrupted', reason: INTERRUPTED_REASON })
    expect(await get(delayed.id)).toMatchObject({ status: 'waiting', waitingFor: { kind: 'delay', until: delayed.createdAt + 3_600_000 } })
    const rerun = await t.waitForEvent((e): e is Extract<DurableEvent, { type: 'run.started' }> => e.type === 'run.started' && e.run.taskId === again.id && e.run.attempt === 2)
    expect(rerun.run.status).toBe('running')
    const loop = await t.engine.handlers['engine.loop']({})
    expect(loop.running.map((e) => e.taskId)).toEqual([again.id])
    expect(loop.waiting.filter((e) => e.group === 'one').map((e) => e.taskId)).toEqual([queuedFirst.id, queuedSecond.id])
    const { runs } = await t.engine.handlers['task.get']({ taskId: again.id })
    expect(runs.map((r) => r.status)).toEqual(['interrupted', 'running'])
    await t.engine.handlers['task.cancel']({ taskIds: [again.id, queuedFirst.id, queuedSecond.id, delayed.id] })
  })

  it('a clean close interrupts running runs and re-queues retryOnInterrupt tasks', async () => {
    let t = await dir.open()
    const again = await t.submit({ spec: { kind: 'shell', command: 'sleep 300' }, retryOnInterrupt: true })
    const stays = await t.submit({ spec: { kind: 'shell', command: 'sleep 300' } })
    await t.waitForEvent((e): e is DurableEvent => e.type === 'run.updated' && e.run.taskId === stays.id && e.run.pid !== null)
    await t.close()
    t = await dir.open()
    expect((await t.engine.handlers['task.get']({ taskId: stays.id })).task.status).toBe('interrupted')
    await t.waitForEvent((e): e is DurableEvent => e.type === 'run.started' && e.run.taskId === again.id && e.run.attempt === 2)
    await t.engine.handlers['task.cancel']({ taskIds: [again.id] })
  })
})

describe('after a crash, groups with pending work start paused (pueue\'s rule)', () => {
  type Submitted = { ok: true; value: { task: Task } }
  /** Kills an engine process holding: a running task and queued work in `work`, only retryOnInterrupt work in `safe`, a delayed task in `later`, nothing pending in `idle`. */
  async function crashWithPendingWork(settings: object = {}) {
    const child = new EngineProcess(dir.home)
    await child.until(() => child.ready)
    if (Object.keys(settings).length > 0) expect((await child.request('settings.set', { patch: settings })).ok).toBe(true)
    for (const name of ['work', 'safe', 'later', 'idle']) expect((await child.request('group.set', { name, parallel: 1 })).ok).toBe(true)
    const submit = async (definition: object) => ((await child.request('task.submit', { definition })) as Submitted).value.task
    const running = await submit({ spec: { kind: 'shell', command: 'sleep 300' }, group: 'work' })
    const queued = await submit({ spec: { kind: 'shell', command: 'true' }, group: 'work' })
    const safeRunning = await submit({ spec: { kind: 'shell', command: 'sleep 300' }, group: 'safe', retryOnInterrupt: true })
    const safeQueued = await submit({ spec: { kind: 'shell', command: 'true' }, group: 'safe', retryOnInterrupt: true })
    const delayed = await submit({ spec: { kind: 'shell', command: 'true' }, group: 'later', delayMs: 3_600_000 })
    const idle = await submit({ spec: { kind: 'shell', command: 'true' }, group: 'idle' })
    await child.until(() => child.events.some((e) => e.type === 'task.updated' && e.task.id === idle.id && e.task.status === 'succeeded'))
    await child.until(() => child.events.filter((e) => e.type === 'run.updated' && e.run.pid !== null).length === 2)
    await child.kill()
    return { running, queued, safeRunning, safeQueued, delayed }
  }
  const groupsOf = async (t: Awaited<ReturnType<typeof dir.open>>) => new Map((await t.engine.handlers['group.list']({})).groups.map((g) => [g.name, g]))

  it('pauses, with the reason "crash", each group whose pending work is not all safe to re-run; resuming one lets its work go on', async () => {
    const { queued, safeRunning, safeQueued, delayed } = await crashWithPendingWork()
    const t = await dir.open()
    const groups = await groupsOf(t)
    expect(groups.get('work')).toMatchObject({ paused: true, pausedReason: 'crash' })
    expect(groups.get('later')).toMatchObject({ paused: true, pausedReason: 'crash' })
    // Every pending task there is marked retryOnInterrupt: the group goes on, its interrupted run again first.
    expect(groups.get('safe')).toMatchObject({ paused: false })
    expect(groups.get('safe')?.pausedReason).toBeUndefined()
    expect(groups.get('idle')).toMatchObject({ paused: false })
    expect(groups.get('default')).toMatchObject({ paused: false })
    await t.waitForEvent((e): e is DurableEvent => e.type === 'run.started' && e.run.taskId === safeRunning.id && e.run.attempt === 2)
    // Recorded like any other change: group.updated events in the log.
    const pausedEvents = t.events.filter((e) => e.type === 'group.updated' && e.group.pausedReason === 'crash').map((e) => (e.type === 'group.updated' ? e.group.name : ''))
    expect(pausedEvents.sort()).toEqual(['later', 'work'])
    const loop = await t.engine.handlers['engine.loop']({})
    expect(loop.waiting.find((e) => e.taskId === queued.id)).toMatchObject({ state: { kind: 'group-paused', reason: 'crash' }, detail: 'paused: group work was paused after a crash (resume it to go on)' })
    expect((await t.engine.handlers['task.get']({ taskId: queued.id })).task.status).toBe('queued')

    const { group } = await t.engine.handlers['group.resume']({ name: 'work' })
    expect(group).toEqual({ name: 'work', parallel: 1, paused: false })
    await t.until(queued.id, ['succeeded'])
    // A user's pause of a group paused after a crash makes the pause theirs.
    expect((await t.engine.handlers['group.pause']({ name: 'later' })).group).toEqual({ name: 'later', parallel: 1, paused: true })
    await t.engine.handlers['task.cancel']({ taskIds: [safeRunning.id, safeQueued.id, delayed.id] })
    // A child engine process started, killed and a new engine opened: slow on a loaded machine.
  }, 90_000)

  it('pauses nothing after a clean close, whatever is pending', async () => {
    let t = await dir.open()
    await t.engine.handlers['group.set']({ name: 'work', parallel: 1 })
    const running = await t.submit({ spec: { kind: 'shell', command: 'sleep 300' }, group: 'work' })
    const queued = await t.submit({ spec: { kind: 'shell', command: 'true' }, group: 'work' })
    await t.until(running.id, ['running'])
    await t.close()
    t = await dir.open()
    expect([...(await groupsOf(t)).values()].filter((g) => g.paused)).toEqual([])
    await t.until(queued.id, ['succeeded'])
  })

  it('pauses nothing when the pauseAfterCrash setting is off', async () => {
    const { queued } = await crashWithPendingWork({ pauseAfterCrash: false })
    const t = await dir.open()
    expect([...(await groupsOf(t)).values()].filter((g) => g.paused)).toEqual([])
    await t.until(queued.id, ['succeeded'])
    // A child engine process started, killed and a new engine opened: slow on a loaded machine.
  }, 90_000)
})
