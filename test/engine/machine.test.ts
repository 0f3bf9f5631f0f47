import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { EngineEvent, Group, MachineCondition, Run, Task } from '../../src-shared/index.ts'
import { useEngine } from '../support/engine.ts'
import { isAlive, shell, waitFor } from './helpers.ts'

/** Power- and presence-aware scheduling: groups' `onlyWhen` conditions against `machine.report`, with real shell runs. */
const t = useEngine()

type Of<K extends EngineEvent['type']> = Extract<EngineEvent, { type: K }>
const startedOrder = () => t.events.filter((e): e is Of<'run.started'> => e.type === 'run.started').map((e) => e.run.taskId)
const processUp = (taskId: number) =>
  t.waitForEvent((e): e is Of<'run.updated'> => e.type === 'run.updated' && e.run.taskId === taskId && e.run.pid !== null).then((e) => e.run)
const waitsForLine = (group: string) => shell('read line; echo "got $line"', { group })
const release = (taskId: number) => t.engine.handlers['task.send']({ taskId, text: 'go\n' })
const report = (state: { onAcPower?: boolean | null; userIdle?: boolean | null; networkMetered?: boolean | null }) => t.engine.handlers['machine.report'](state)
const setGroup = (name: string, more: { parallel?: number; onlyWhen?: MachineCondition[]; whenUnmet?: 'wait' | 'pause' } = {}) =>
  t.engine.handlers['group.set']({ name, parallel: 1, ...more })
const taskOf = async (taskId: number): Promise<Task> => (await t.engine.handlers['task.get']({ taskId })).task
const runOf = async (taskId: number): Promise<Run> => {
  const { task, runs } = await t.engine.handlers['task.get']({ taskId })
  return runs.find((run) => run.id === task.lastRunId)!
}
const stopped = (pid: number) => processState(pid) === 'T'
const waitingEntry = async (taskId: number) => (await t.engine.handlers['engine.loop']({})).waiting.find((entry) => entry.taskId === taskId)

describe('group conditions', () => {
  it('are stored by group.set, announced in group.updated, kept when absent, cleared by [] and survive a restart', async () => {
    const created = await setGroup('nightly', { parallel: 2, onlyWhen: ['ac-power', 'user-idle'], whenUnmet: 'pause' })
    expect(created.group).toEqual({ name: 'nightly', parallel: 2, paused: false, onlyWhen: ['ac-power', 'user-idle'], whenUnmet: 'pause' })
    const announced = t.events.filter((e): e is Of<'group.updated'> => e.type === 'group.updated' && e.group.name === 'nightly')
    expect(announced.at(-1)!.group).toEqual(created.group)
    // Absent: unchanged (a limit change keeps them).
    expect((await setGroup('nightly', { parallel: 3 })).group).toMatchObject({ parallel: 3, onlyWhen: ['ac-power', 'user-idle'], whenUnmet: 'pause' })
    // A new group has none.
    expect((await setGroup('plain')).group).toEqual({ name: 'plain', parallel: 1, paused: false })
    await t.reopen()
    const stored = new Map((await t.engine.handlers['group.list']({})).groups.map((g): [string, Group] => [g.name, g]))
    expect(stored.get('nightly')).toEqual({ name: 'nightly', parallel: 3, paused: false, onlyWhen: ['ac-power', 'user-idle'], whenUnmet: 'pause' })
    expect((await setGroup('nightly', { parallel: 3, onlyWhen: [] })).group).toEqual({ name: 'nightly', parallel: 3, paused: false, whenUnmet: 'pause' })
    await t.reopen()
    expect((await t.engine.handlers['group.list']({})).groups.find((g) => g.name === 'nightly')).toEqual({ name: 'nightly', parallel: 3, paused: false, whenUnmet: 'pause' })
  })

  it('group.set without parallel keeps the group\'s limit (a new group gets the default), so a change of conditions never undoes a limit', async () => {
    await setGroup('nightly', { parallel: 5 })
    expect((await t.engine.handlers['group.set']({ name: 'nightly', onlyWhen: ['ac-power'] })).group).toEqual({ name: 'nightly', parallel: 5, paused: false, onlyWhen: ['ac-power'] })
    const { settings } = await t.engine.handlers['settings.get']({})
    expect((await t.engine.handlers['group.set']({ name: 'fresh', whenUnmet: 'pause' })).group).toEqual({ name: 'fresh', parallel: settings.defaultGroupParallel, paused: false, whenUnmet: 'pause' })
  })

  it('machine states carry a revision that grows with each change, so two states from one engine are ordered even when their times tie', async () => {
    const first = (await t.engine.handlers['machine.get']({})).machine.revision!
    const a = (await report({ onAcPower: false })).machine
    const b = (await report({ onAcPower: true })).machine
    await report({ onAcPower: true })
    expect([a.revision, b.revision]).toEqual([first + 1, first + 2])
    expect((await t.engine.handlers['machine.get']({})).machine.revision).toBe(first + 2)
    await waitFor(() => t.events.filter((e) => e.type === 'machine.updated').length === 2, 'two machine.updated events')
    expect(t.events.filter((e): e is Of<'machine.updated'> => e.type === 'machine.updated').map((e) => e.machine.revision)).toEqual([first + 1, first + 2])
  })

  it('machine.report changes only the fields given, announces machine.updated on a change only, and null is unknown', async () => {
    expect((await t.engine.handlers['machine.get']({})).machine).toMatchObject({ onAcPower: null, userIdle: null })
    expect((await report({ onAcPower: false })).machine).toMatchObject({ onAcPower: false, userIdle: null })
    expect((await report({ userIdle: true })).machine).toMatchObject({ onAcPower: false, userIdle: true })
    await report({ userIdle: true })
    expect((await report({ onAcPower: null })).machine).toMatchObject({ onAcPower: null, userIdle: true })
    await waitFor(() => t.events.filter((e) => e.type === 'machine.updated').length === 3, 'three machine.updated events')
    await new Promise((resolve) => setImmediate(resolve))
    expect(t.events.filter((e): e is Of<'machine.updated'> => e.type === 'machine.updated').map((e) => [e.machine.onAcPower, e.machine.userIdle])).toEqual([
      [false, null],
      [false, true],
      [null, true],
    ])
  })

  it('an engine opened with what is known of the machine judges conditions by it from its first pass', async () => {
    await setGroup('mains', { onlyWhen: ['ac-power'] })
    await t.reopen({ machine: { onAcPower: false } })
    const task = await t.submit(shell('true', { group: 'mains' }))
    expect((await waitingEntry(task.id))?.state).toEqual({ kind: 'machine', unmet: ['ac-power'] })
    await report({ onAcPower: true })
    await t.until(task.id, ['succeeded'])
  })
})

describe('gating: a group with an unmet condition starts no new run', () => {
  it('holds its queue (loop state machine, tasks stay queued) while other groups run, then starts it in queue order once met', async () => {
    await setGroup('mains', { onlyWhen: ['ac-power'] })
    await report({ onAcPower: false })
    const low = await t.submit(shell('true', { group: 'mains' }))
    const high = await t.submit(shell('true', { group: 'mains', priority: 5 }))
    const other = await t.submit(shell('true'))
    await t.until(other.id, ['succeeded'])
    const loop = await t.engine.handlers['engine.loop']({})
    expect(loop.waiting.filter((e) => e.group === 'mains').map((e) => [e.taskId, e.state, e.detail])).toEqual([
      [high.id, { kind: 'machine', unmet: ['ac-power'] }, 'held: mains waits for AC power'],
      [low.id, { kind: 'machine', unmet: ['ac-power'] }, 'held: mains waits for AC power'],
    ])
    // Shown as a paused group's queue is: still queued, the loop says why.
    expect(await taskOf(low.id)).toMatchObject({ status: 'queued', waitingFor: null })
    expect(startedOrder()).toEqual([other.id])
    await report({ onAcPower: true })
    await t.until(low.id, ['succeeded'])
    expect(startedOrder()).toEqual([other.id, high.id, low.id])
  })

  it('counts an unknown state as met, judges user-idle by presence, names every unmet condition in the group\'s order', async () => {
    await setGroup('away', { onlyWhen: ['user-idle', 'ac-power'] })
    await report({ onAcPower: false, userIdle: false })
    const task = await t.submit(shell('true', { group: 'away' }))
    expect((await waitingEntry(task.id))?.state).toEqual({ kind: 'machine', unmet: ['user-idle', 'ac-power'] })
    expect((await waitingEntry(task.id))?.detail).toBe('held: away waits for the user to be away and AC power')
    await report({ onAcPower: null })
    expect((await waitingEntry(task.id))?.state).toEqual({ kind: 'machine', unmet: ['user-idle'] })
    await report({ userIdle: true })
    await t.until(task.id, ['succeeded'])
  })

  it('starts the queue when the group\'s conditions change instead', async () => {
    await setGroup('mains', { onlyWhen: ['ac-power'] })
    await report({ onAcPower: false })
    const task = await t.submit(shell('true', { group: 'mains' }))
    expect((await waitingEntry(task.id))?.state.kind).toBe('machine')
    await setGroup('mains', { onlyWhen: ['user-idle'] })
    await t.until(task.id, ['succeeded'])
  })

  it('works together with engine and group pause, dependencies, delays and the group limit', async () => {
    await setGroup('mains', { onlyWhen: ['ac-power'], parallel: 1 })
    await report({ onAcPower: false })
    const first = await t.submit(waitsForLine('mains'))
    const second = await t.submit(shell('true', { group: 'mains' }))
    const dependant = await t.submit(shell('true', { group: 'mains', after: [first.id] }))
    const delayed = await t.submit(shell('true', { group: 'mains', delayMs: 200 }))
    expect(await taskOf(dependant.id)).toMatchObject({ status: 'waiting', waitingFor: { kind: 'dependency', taskIds: [first.id] } })
    // An engine pause and a group pause still hold the queue once the machine is on AC power.
    await t.engine.handlers['engine.pause']({})
    await t.engine.handlers['group.pause']({ name: 'mains' })
    expect((await waitingEntry(first.id))?.state).toEqual({ kind: 'all-paused' })
    await report({ onAcPower: true })
    await t.engine.handlers['engine.resume']({})
    expect((await waitingEntry(first.id))?.state).toEqual({ kind: 'group-paused' })
    await report({ onAcPower: false })
    await t.engine.handlers['group.resume']({ name: 'mains' })
    expect((await waitingEntry(first.id))?.state).toEqual({ kind: 'machine', unmet: ['ac-power'] })
    await t.until(delayed.id, ['queued'])
    expect(startedOrder()).toEqual([])
    await report({ onAcPower: true })
    await processUp(first.id)
    // The group's limit: one at a time.
    expect((await waitingEntry(second.id))?.state).toEqual({ kind: 'group-full', running: 1, parallel: 1 })
    await release(first.id)
    for (const task of [second, dependant, delayed]) await t.until(task.id, ['succeeded'])
    // The dependant joins the queue in its own place (by id), ahead of the later-submitted delayed task.
    expect(startedOrder()).toEqual([first.id, second.id, dependant.id, delayed.id])
  })
})

describe("whenUnmet 'pause': running runs are held while a condition is unmet", () => {
  it('stops the running shell runs with heldFor, resumes exactly those once met, and leaves a run the user paused paused', async () => {
    await setGroup('mains', { onlyWhen: ['ac-power'], whenUnmet: 'pause', parallel: 2 })
    const held = await t.submit(waitsForLine('mains'))
    const mine = await t.submit(waitsForLine('mains'))
    const [heldRun, mineRun] = [await processUp(held.id), await processUp(mine.id)]
    await t.engine.handlers['task.pause']({ taskIds: [mine.id] })
    await waitFor(() => stopped(mineRun.pid!), 'the paused run to stop')

    await report({ onAcPower: false })
    await waitFor(() => stopped(heldRun.pid!), 'the held run to stop')
    expect(await runOf(held.id)).toMatchObject({ status: 'paused', heldFor: ['ac-power'] })
    expect(await taskOf(held.id)).toMatchObject({ status: 'paused', waitingFor: { kind: 'machine', group: 'mains', unmet: ['ac-power'] } })
    expect((await runOf(mine.id)).heldFor).toBeUndefined()
    expect(t.events.some((e) => e.type === 'run.updated' && e.run.id === heldRun.id && e.run.heldFor?.[0] === 'ac-power')).toBe(true)
    const loop = await t.engine.handlers['engine.loop']({})
    expect(loop.running.find((e) => e.taskId === held.id)?.state.kind).toBe('paused')

    await report({ onAcPower: true })
    await waitFor(() => !stopped(heldRun.pid!), 'the held run to continue')
    const resumed = await runOf(held.id)
    expect(resumed.status).toBe('running')
    expect(resumed).not.toHaveProperty('heldFor')
    expect(await taskOf(held.id)).toMatchObject({ status: 'running', waitingFor: null })
    expect(stopped(mineRun.pid!)).toBe(true)
    expect(await taskOf(mine.id)).toMatchObject({ status: 'paused', waitingFor: { kind: 'paused', scope: 'task' } })
    await release(held.id)
    await t.until(held.id, ['succeeded'])
    await t.engine.handlers['task.resume']({ taskIds: [mine.id] })
    await release(mine.id)
    await t.until(mine.id, ['succeeded'])
  })

  it("a user's resume of a held run wins until the group's unmet conditions change again; a user's pause of one makes it theirs", async () => {
    await setGroup('mains', { onlyWhen: ['ac-power'], whenUnmet: 'pause' })
    const task = await t.submit(waitsForLine('mains'))
    const run = await processUp(task.id)
    await report({ onAcPower: false })
    await waitFor(() => stopped(run.pid!), 'the run to be held')
    await t.engine.handlers['task.resume']({ taskIds: [task.id] })
    await waitFor(() => !stopped(run.pid!), 'the run to continue')
    expect(await runOf(task.id)).not.toHaveProperty('heldFor')
    // A change the group does not care about holds nothing again.
    await report({ userIdle: false })
    expect((await taskOf(task.id)).status).toBe('running')
    // Met, then unmet again: held again.
    await report({ onAcPower: true })
    await report({ onAcPower: false })
    await waitFor(() => stopped(run.pid!), 'the run to be held again')
    expect((await runOf(task.id)).heldFor).toEqual(['ac-power'])
    // Paused by the user while held: it is the user's pause now, and stays when the machine is on AC again.
    expect((await t.engine.handlers['task.pause']({ taskIds: [task.id] })).affected).toEqual([task.id])
    expect(await taskOf(task.id)).toMatchObject({ status: 'paused', waitingFor: { kind: 'paused', scope: 'task' } })
    await report({ onAcPower: true })
    expect(stopped(run.pid!)).toBe(true)
    expect(await runOf(task.id)).toMatchObject({ status: 'paused' })
    await t.engine.handlers['task.resume']({ taskIds: [task.id] })
    await release(task.id)
    await t.until(task.id, ['succeeded'])
  })

  it('hands a held run over to a paused engine or group when met, and a paused group hands its run over to the hold', async () => {
    await setGroup('mains', { onlyWhen: ['ac-power'], whenUnmet: 'pause' })
    const task = await t.submit(waitsForLine('mains'))
    const run = await processUp(task.id)
    await report({ onAcPower: false })
    await waitFor(() => stopped(run.pid!), 'the run to be held')
    await t.engine.handlers['engine.pause']({})
    await report({ onAcPower: true })
    expect(await taskOf(task.id)).toMatchObject({ status: 'paused', waitingFor: { kind: 'paused', scope: 'all' } })
    expect(await runOf(task.id)).not.toHaveProperty('heldFor')
    expect(stopped(run.pid!)).toBe(true)
    await t.engine.handlers['engine.resume']({})
    await waitFor(() => !stopped(run.pid!), 'the run to continue')

    await t.engine.handlers['group.pause']({ name: 'mains' })
    await waitFor(() => stopped(run.pid!), 'the group pause to stop it')
    await report({ onAcPower: false })
    expect((await taskOf(task.id)).waitingFor).toEqual({ kind: 'paused', scope: 'group' })
    await t.engine.handlers['group.resume']({ name: 'mains' })
    expect(await taskOf(task.id)).toMatchObject({ status: 'paused', waitingFor: { kind: 'machine', group: 'mains', unmet: ['ac-power'] } })
    expect(stopped(run.pid!)).toBe(true)
    await report({ onAcPower: true })
    await waitFor(() => !stopped(run.pid!), 'the run to continue once met')
    await release(task.id)
    await t.until(task.id, ['succeeded'])
  })

  it("holds when whenUnmet becomes 'pause' while unmet, releases when it becomes 'wait' or the conditions are cleared", async () => {
    await setGroup('mains', { onlyWhen: ['ac-power'] })
    const task = await t.submit(waitsForLine('mains'))
    const run = await processUp(task.id)
    await report({ onAcPower: false })
    // 'wait': a running run goes on.
    expect((await taskOf(task.id)).status).toBe('running')
    await setGroup('mains', { whenUnmet: 'pause' })
    await waitFor(() => stopped(run.pid!), 'the run to be held')
    await setGroup('mains', { whenUnmet: 'wait' })
    await waitFor(() => !stopped(run.pid!), 'the run to continue')
    await setGroup('mains', { whenUnmet: 'pause' })
    await waitFor(() => stopped(run.pid!), 'the run to be held again')
    await setGroup('mains', { onlyWhen: [] })
    await waitFor(() => !stopped(run.pid!), 'the run to continue again')
    expect(await taskOf(task.id)).toMatchObject({ status: 'running', waitingFor: null })
    await release(task.id)
    await t.until(task.id, ['succeeded'])
  })

  it('cancels a held run (its whole process group), and a hard timeout counts held time as it counts a user pause', async () => {
    await setGroup('mains', { onlyWhen: ['ac-power'], whenUnmet: 'pause', parallel: 2 })
    const cancelled = await t.submit(shell('sleep 300', { group: 'mains' }))
    // Long enough that the run is held well before its timeout fires, even on a loaded machine.
    const timed = await t.submit(shell('sleep 300', { group: 'mains', timeoutMs: 6000 }))
    const [cancelledRun, timedRun] = [await processUp(cancelled.id), await processUp(timed.id)]
    await report({ onAcPower: false })
    await waitFor(() => stopped(cancelledRun.pid!) && stopped(timedRun.pid!), 'both runs to be held')
    await t.engine.handlers['task.cancel']({ taskIds: [cancelled.id] })
    await t.until(cancelled.id, ['cancelled'])
    expect((await runOf(cancelled.id)).reason).toBe('cancelled by user')
    // A finished run is held by nothing.
    expect(await runOf(cancelled.id)).not.toHaveProperty('heldFor')
    expect(isAlive(cancelledRun.pid!)).toBe(false)
    const ended = await t.until(timed.id, ['timed_out'])
    expect(ended.status).toBe('timed_out')
    expect(await runOf(timed.id)).toMatchObject({ status: 'timed_out', reason: 'timed out after 6 s' })
    // Held, then timed out with nothing in between: the time it spent held counted towards its timeout.
    const timedRunEvents = t.events.filter((e): e is Of<'run.updated'> | Of<'run.finished'> => (e.type === 'run.updated' || e.type === 'run.finished') && e.run.id === timedRun.id && e.run.pid !== null)
    const heldAt = timedRunEvents.findIndex((e) => e.type === 'run.updated' && e.run.heldFor?.[0] === 'ac-power')
    expect(heldAt).toBeGreaterThanOrEqual(0)
    expect(timedRunEvents.slice(heldAt + 1).map((e) => [e.type, e.run.status])).toEqual([['run.finished', 'timed_out']])
    expect(await runOf(timed.id)).not.toHaveProperty('heldFor')
    expect(isAlive(timedRun.pid!)).toBe(false)
  })

  it('holds a run at launch when the conditions became unmet while its claim was being committed', async () => {
    await setGroup('mains', { onlyWhen: ['ac-power'], whenUnmet: 'pause' })
    // Called as the claim (run.started) commits, before the run is launched: exactly the moment in question.
    const { headSeq } = await t.engine.handlers['events.read']({ since: 0, limit: 1 })
    let reportedAtClaim = false
    const subscription = t.engine.subscribe(headSeq, (events) => {
      if (reportedAtClaim || !events.some((e) => e.type === 'run.started')) return
      reportedAtClaim = true
      void report({ onAcPower: false })
    })
    try {
      // The subscription's catch-up runs on the next turn: after it, live events reach the listener at once.
      await new Promise((resolve) => setImmediate(resolve))
      const task = await t.submit(waitsForLine('mains'))
      const run = await processUp(task.id)
      expect(reportedAtClaim).toBe(true)
      await waitFor(() => stopped(run.pid!), 'the run to be held at launch')
      expect(await runOf(task.id)).toMatchObject({ status: 'paused', heldFor: ['ac-power'] })
      expect(await taskOf(task.id)).toMatchObject({ status: 'paused', waitingFor: { kind: 'machine', group: 'mains', unmet: ['ac-power'] } })
      await report({ onAcPower: true })
      await waitFor(() => !stopped(run.pid!), 'the run to continue once met')
      await release(task.id)
      await t.until(task.id, ['succeeded'])
    } finally {
      subscription.dispose()
    }
  })

  it('leaves a run its runner cannot pause (a script) running, as a group pause does', async () => {
    const path = join(t.home, 'waits.mjs')
    writeFileSync(path, 'export default () => new Promise((resolve) => setTimeout(resolve, 60_000))\n')
    await setGroup('mains', { onlyWhen: ['ac-power'], whenUnmet: 'pause' })
    const script = await t.submit({ spec: { kind: 'script', path }, group: 'mains' })
    await t.until(script.id, ['running'])
    await report({ onAcPower: false })
    expect(await taskOf(script.id)).toMatchObject({ status: 'running', waitingFor: null })
    expect(await runOf(script.id)).not.toHaveProperty('heldFor')
    await t.engine.handlers['task.cancel']({ taskIds: [script.id] })
    await t.until(script.id, ['cancelled'])
  })
})

describe('unmetered-network: a group that must not run on a metered network (a phone hotspot)', () => {
  it('machine.report keeps networkMetered apart from the other facts: unknown at first, changed alone, null unknown again', async () => {
    expect((await t.engine.handlers['machine.get']({})).machine).toMatchObject({ onAcPower: null, userIdle: null, networkMetered: null })
    expect((await report({ networkMetered: true })).machine).toMatchObject({ onAcPower: null, userIdle: null, networkMetered: true })
    expect((await report({ onAcPower: true })).machine).toMatchObject({ onAcPower: true, networkMetered: true })
    const unchanged = (await report({ networkMetered: true })).machine
    expect((await report({ networkMetered: null })).machine).toMatchObject({ onAcPower: true, networkMetered: null, revision: unchanged.revision! + 1 })
    await waitFor(() => t.events.filter((e) => e.type === 'machine.updated').length === 3, 'three machine.updated events')
    expect(t.events.filter((e): e is Of<'machine.updated'> => e.type === 'machine.updated').map((e) => e.machine.networkMetered)).toEqual([true, true, null])
  })

  it('holds the queue on a metered network with the reason, counts unknown as met, and starts it once unmetered', async () => {
    await setGroup('downloads', { onlyWhen: ['unmetered-network'] })
    await report({ networkMetered: true })
    const task = await t.submit(shell('true', { group: 'downloads' }))
    const other = await t.submit(shell('true'))
    await t.until(other.id, ['succeeded'])
    const entry = await waitingEntry(task.id)
    expect(entry?.state).toEqual({ kind: 'machine', unmet: ['unmetered-network'] })
    expect(entry?.detail).toBe('held: downloads waits for an unmetered network')
    // On battery too: every unmet condition, in the group's order.
    await setGroup('downloads', { onlyWhen: ['ac-power', 'unmetered-network'] })
    await report({ onAcPower: false })
    expect((await waitingEntry(task.id))?.detail).toBe('held: downloads waits for AC power and an unmetered network')
    await report({ onAcPower: true })
    expect(startedOrder()).toEqual([other.id])
    await report({ networkMetered: false })
    await t.until(task.id, ['succeeded'])
    // Unknown counts as met.
    await report({ networkMetered: null })
    const later = await t.submit(shell('true', { group: 'downloads' }))
    await t.until(later.id, ['succeeded'])
  })

  it("with whenUnmet 'pause', stops the running run when the network becomes metered and resumes it when unmetered", async () => {
    await setGroup('downloads', { onlyWhen: ['unmetered-network'], whenUnmet: 'pause' })
    await report({ networkMetered: false })
    const task = await t.submit(waitsForLine('downloads'))
    const run = await processUp(task.id)
    await report({ networkMetered: true })
    await waitFor(() => stopped(run.pid!), 'the run to be held')
    expect(await runOf(task.id)).toMatchObject({ status: 'paused', heldFor: ['unmetered-network'] })
    expect(await taskOf(task.id)).toMatchObject({ status: 'paused', waitingFor: { kind: 'machine', group: 'downloads', unmet: ['unmetered-network'] } })
    await report({ networkMetered: false })
    await waitFor(() => !stopped(run.pid!), 'the run to continue')
    expect(await runOf(task.id)).not.toHaveProperty('heldFor')
    await release(task.id)
    await t.until(task.id, ['succeeded'])
  })

  it('an engine opened on a metered network holds the group from its first pass; all three conditions are stored and survive a restart', async () => {
    await setGroup('downloads', { onlyWhen: ['unmetered-network', 'ac-power', 'user-idle'] })
    await t.reopen({ machine: { networkMetered: true } })
    expect((await t.engine.handlers['group.list']({})).groups.find((g) => g.name === 'downloads')?.onlyWhen).toEqual(['unmetered-network', 'ac-power', 'user-idle'])
    const task = await t.submit(shell('true', { group: 'downloads' }))
    expect((await waitingEntry(task.id))?.state).toEqual({ kind: 'machine', unmet: ['unmetered-network'] })
    await report({ networkMetered: false })
    await t.until(task.id, ['succeeded'])
  })
})

function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2)[0]!
}

describe('a condition not read yet (pending): its groups wait for the first reading', () => {
  it('holds new runs of the groups that need it from the first pass, pauses no running run, and ends with a report of it even of the same value', async () => {
    await setGroup('downloads', { onlyWhen: ['unmetered-network'], whenUnmet: 'pause' })
    await setGroup('mirror', { whenUnmet: 'pause' })
    await t.reopen({ machine: { networkMetered: false, pending: ['unmetered-network'] } })
    expect((await t.engine.handlers['machine.get']({})).machine).toMatchObject({ networkMetered: false, pending: ['unmetered-network'] })
    const held = await t.submit(shell('true', { group: 'downloads' }))
    const free = await t.submit(shell('true'))
    await t.until(free.id, ['succeeded'])
    expect((await waitingEntry(held.id))?.state).toEqual({ kind: 'machine', unmet: ['unmetered-network'] })
    // A group that starts to need it while it is pending: its running run goes on (no reading says to stop it).
    const running = await t.submit(waitsForLine('mirror'))
    await processUp(running.id)
    await setGroup('mirror', { onlyWhen: ['unmetered-network'], whenUnmet: 'pause' })
    expect((await taskOf(running.id)).status).toBe('running')
    // Another report leaves it pending; one of the network, the same value as before, ends it.
    await report({ onAcPower: true })
    expect((await waitingEntry(held.id))?.state.kind).toBe('machine')
    const answered = (await report({ networkMetered: false })).machine
    expect(answered.pending).toBeUndefined()
    await t.until(held.id, ['succeeded'])
    await release(running.id)
    await t.until(running.id, ['succeeded'])
  })

  it('watchMachine: a monitor is told when a group starts and stops needing its condition, and the condition is pending from then until reported', async () => {
    await setGroup('downloads', { onlyWhen: ['unmetered-network'] })
    await t.reopen({ machine: { pending: ['unmetered-network'] } })
    const told: boolean[] = []
    const watching = t.engine.watchMachine('unmetered-network', (needed) => told.push(needed))
    expect(told).toEqual([true])
    await report({ networkMetered: true })
    // Still needed by one: no news. None needs it: stop, and the reading is no longer current.
    await setGroup('mirror', { onlyWhen: ['unmetered-network', 'ac-power'] })
    await setGroup('downloads', { onlyWhen: [] })
    expect(told).toEqual([true])
    await t.engine.handlers['group.set']({ name: 'mirror', onlyWhen: ['ac-power'] })
    expect(told).toEqual([true, false])
    expect((await t.engine.handlers['machine.get']({})).machine).toMatchObject({ networkMetered: true, pending: ['unmetered-network'] })
    // Needed again: a task of the group waits for a new reading, not the old one.
    await setGroup('downloads', { onlyWhen: ['unmetered-network'] })
    expect(told).toEqual([true, false, true])
    const task = await t.submit(shell('true', { group: 'downloads' }))
    await report({ networkMetered: false })
    await t.until(task.id, ['succeeded'])
    await t.engine.handlers['group.set']({ name: 'downloads', onlyWhen: [] })
    expect(told).toEqual([true, false, true, false])
    watching.dispose()
    await setGroup('downloads', { onlyWhen: ['unmetered-network'] })
    expect(told).toEqual([true, false, true, false])
  })
})

describe('the groups held, as the engine judges them (MachineState.held)', () => {
  it('are in machine.get and announced with every change of them: a report, or a group whose conditions changed or which was removed', async () => {
    await setGroup('mains', { onlyWhen: ['ac-power'] })
    await setGroup('downloads', { onlyWhen: ['unmetered-network', 'ac-power'] })
    expect((await t.engine.handlers['machine.get']({})).machine.held).toEqual({})
    const battery = (await report({ onAcPower: false })).machine
    expect(battery.held).toEqual({ mains: ['ac-power'], downloads: ['ac-power'] })
    await setGroup('mains', { onlyWhen: ['user-idle'] })
    const after = (await t.engine.handlers['machine.get']({})).machine
    expect(after.held).toEqual({ downloads: ['ac-power'] })
    expect(after.revision).toBe(battery.revision! + 1)
    // A change that holds nothing new announces nothing.
    await setGroup('mains', { parallel: 2 })
    expect((await t.engine.handlers['machine.get']({})).machine.revision).toBe(after.revision)
    await report({ networkMetered: true })
    await t.engine.handlers['group.remove']({ name: 'mains' })
    const last = (await t.engine.handlers['machine.get']({})).machine
    expect(last.held).toEqual({ downloads: ['unmetered-network', 'ac-power'] })
    await waitFor(() => t.events.some((e) => e.type === 'machine.updated' && e.machine.revision === last.revision), 'the last machine.updated')
    const announced = t.events.filter((e): e is Of<'machine.updated'> => e.type === 'machine.updated').map((e) => e.machine.held)
    expect(announced).toEqual([{ mains: ['ac-power'], downloads: ['ac-power'] }, { downloads: ['ac-power'] }, { downloads: ['unmetered-network', 'ac-power'] }])
  })
})
