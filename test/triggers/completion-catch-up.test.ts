import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { TaskDefinitionSchema, isFinished, type Task } from '../../src-shared/index.ts'
import type { Engine } from '../../src-main/engine/engine.ts'
import { useWorld, type World } from '../support/world.ts'
import { argv } from './helpers.ts'

/** Submits a task and waits for it to finish, watching the engine's own events. */
async function runToEnd(engine: Engine, definition: unknown): Promise<Task> {
  let finished: (task: Task) => void = () => undefined
  const done = new Promise<Task>((resolve) => (finished = resolve))
  let taskId = -1
  const listening = engine.host.onEvent((event) => {
    if ((event.type === 'task.updated' || event.type === 'task.created') && event.task.id === taskId && isFinished(event.task.status)) finished(event.task)
  })
  const { task } = await engine.handlers['task.submit']({ definition: TaskDefinitionSchema.parse(definition) })
  taskId = task.id
  const current = (await engine.handlers['task.get']({ taskId })).task
  if (isFinished(current.status)) finished(current)
  const result = await done
  listening.dispose()
  return result
}

/** Waits for a task to end, whether it ended before this world opened or ends later. */
async function untilFinished(world: World, taskId: number): Promise<void> {
  const waiting = world.log.untilFinished(taskId)
  const { task } = await world.engine.handlers['task.get']({ taskId })
  if (!isFinished(task.status)) await waiting
}

describe('completion triggers catch up with finishes they did not see, exactly once', () => {
  const world = useWorld()

  async function setUp(label: string) {
    const after = (await world.call('savedTask.create', { name: 'after', definition: argv('true') })).savedTask
    const trigger = (
      await world.call('trigger.create', { trigger: { name: `after ${label}`, savedTaskId: after.id, spec: { kind: 'completion', when: 'finished', label } } })
    ).trigger
    return { after, trigger }
  }

  /** Reopens, then runs one more labelled task: its firing comes after any replayed one, so the history is complete once it is there. */
  async function reopenAndSettle(label: string, triggerId: number) {
    await world.close()
    await world.open()
    const { task: marker } = await world.engine.handlers['task.submit']({ definition: TaskDefinitionSchema.parse({ ...argv('true'), labels: [label] }) })
    const firings = await world.log.until((events) => {
      const all = events.flatMap((e) => (e.type === 'trigger.fired' && e.firing.triggerId === triggerId ? [e.firing] : []))
      return all.some((f) => f.detail.sourceTaskId === marker.id) ? all : undefined
    })
    for (const firing of firings) if (firing.taskId !== null) await untilFinished(world, firing.taskId)
    return { marker, history: (await world.call('trigger.get', { triggerId })).history.reverse() }
  }

  it('fires after a restart for a task that finished while the triggers were not running, and never again', async () => {
    const { trigger } = await setUp('nightly')
    await world.close()
    const missed = await world.withEngineOnly((engine) => runToEnd(engine, { ...argv('true'), labels: ['nightly'] }))
    expect(missed.status).toBe('succeeded')

    const first = await reopenAndSettle('nightly', trigger.id)
    expect(first.history.map((f) => [f.detail.sourceTaskId, f.outcome])).toEqual([
      [missed.id, 'submitted'],
      [first.marker.id, 'submitted'],
    ])
    const second = await reopenAndSettle('nightly', trigger.id)
    expect(second.history.map((f) => f.detail.sourceTaskId)).toEqual([missed.id, first.marker.id, second.marker.id])

    // Shutdown leaves the cursor past everything served, so the next start replays only what came after.
    const servedUpTo = Math.max(...world.log.events.filter((e) => e.type === 'trigger.fired').map((e) => e.seq))
    await world.close()
    const cursor = await world.withEngineOnly(async (engine) => {
      await Promise.resolve()
      return engine.host.db.prepare("SELECT value FROM trg_state WHERE key = 'completionSeq'").get()?.value
    })
    expect(cursor).toBeGreaterThanOrEqual(servedUpTo)
  })

  it('moves the cursor on while nothing fires, so a restart does not replay the whole log', async () => {
    const { trigger } = await setUp('nightly')
    const cursor = () => Number(world.engine.host.db.prepare("SELECT value FROM trg_state WHERE key = 'completionSeq'").get()?.value)
    const before = cursor()
    // 1200 events no trigger cares about: 600 tasks stashed, then cancelled.
    const stashed = TaskDefinitionSchema.parse({ ...argv('true'), stashed: true })
    const { tasks } = await world.engine.handlers['task.submitMany']({ definitions: Array.from({ length: 600 }, () => stashed) })
    await world.engine.handlers['task.cancel']({ taskIds: tasks.map((t) => t.id) })
    const lastCancelled = await world.log.until((events) => {
      const cancelled = events.flatMap((e) => (e.type === 'task.updated' && e.task.status === 'cancelled' ? [e.seq] : []))
      return cancelled.length === tasks.length ? cancelled[cancelled.length - 1] : undefined
    })
    expect(cursor()).toBeGreaterThanOrEqual(before + 1000)
    expect(cursor()).toBeLessThanOrEqual(lastCancelled)
    expect(world.log.firings(trigger.id)).toEqual([])
  })

  it('fires for a task the shutdown interrupted (it ended after the triggers stopped listening)', async () => {
    const { trigger } = await setUp('long')
    const { task: long } = await world.engine.handlers['task.submit']({ definition: TaskDefinitionSchema.parse({ ...argv('sleep', '30'), labels: ['long'] }) })
    await world.log.until((events) => events.some((e) => e.type === 'run.started' && e.run.taskId === long.id) || undefined)
    const { history } = await reopenAndSettle('long', trigger.id)
    expect(history.map((f) => [f.detail.sourceTaskId, f.detail.sourceStatus])).toEqual([
      [long.id, 'interrupted'],
      [expect.any(Number), 'succeeded'],
    ])
  })

  it('replaying the log again (a cursor left behind) starts nothing twice', async () => {
    const { trigger } = await setUp('nightly')
    const { task } = await world.engine.handlers['task.submit']({ definition: TaskDefinitionSchema.parse({ ...argv('true'), labels: ['nightly'] }) })
    const [firing] = await world.log.untilFirings(1, trigger.id)
    await world.log.untilFinished(firing!.taskId!)
    // Created after that finish: a replay must not fire it for the finish either.
    const later = (await world.call('trigger.create', { trigger: { savedTaskId: trigger.savedTaskId, spec: { kind: 'completion', when: 'finished', label: 'nightly' } } })).trigger
    await world.close()
    // As if the cursor had never moved: every finish is replayed.
    await world.withEngineOnly(async (engine) => {
      engine.host.db.prepare("UPDATE trg_state SET value = 0 WHERE key = 'completionSeq'").run()
      await Promise.resolve()
    })
    const { history, marker } = await reopenAndSettle('nightly', trigger.id)
    expect(history.map((f) => f.detail.sourceTaskId)).toEqual([task.id, marker.id])
    // Firings are served in order: once the marker's firing of `later` is in, any earlier one would be too.
    const [laterFiring] = await world.log.untilFirings(1, later.id)
    await untilFinished(world, laterFiring!.taskId!)
    const { history: laterHistory } = await world.call('trigger.get', { triggerId: later.id })
    expect(laterHistory.map((f) => f.detail.sourceTaskId)).toEqual([marker.id])
  })

  it('records a task started just before the app stopped (its firing not yet written) instead of starting another', async () => {
    const { after, trigger } = await setUp('nightly')
    await world.close()
    // The state a stop between "task submitted" and "firing recorded" leaves: the source finished, the
    // trigger's task exists with the labels a firing gives it, and neither the firing nor the cursor was written.
    const { source, started } = await world.withEngineOnly(async (engine) => {
      const source = await runToEnd(engine, { ...argv('true'), labels: ['nightly'] })
      const labels = [`saved-task:${after.id}`, `trigger:${trigger.id}`, `after-run:${source.lastRunId}`]
      const { task: started } = await engine.handlers['task.submit']({ definition: TaskDefinitionSchema.parse({ ...argv('true'), labels }) })
      return { source, started }
    })

    const { history, marker } = await reopenAndSettle('nightly', trigger.id)
    expect(history.map((f) => [f.detail.sourceTaskId, f.taskId, f.detail.recovered ?? false])).toEqual([
      [source.id, started.id, true],
      [marker.id, expect.any(Number), false],
    ])
    const { tasks } = await world.engine.handlers['task.list']({ label: `trigger:${trigger.id}`, limit: 1000, offset: 0 })
    expect(tasks.map((t) => t.id)).toEqual([started.id, history[1]!.taskId])
  })

  it('killed (SIGKILL) while its completion firing is being recorded, it starts the chained task exactly once', async () => {
    const { after, trigger } = await setUp('nightly')
    // The chained task kills the process that started it (only the fixture: never a test runner): the engine and its triggers, mid-firing.
    const killer = (await world.call('savedTask.create', { name: 'killer', definition: argv('sh', '-c', 'grep -q killed-by-its-chain /proc/$PPID/cmdline && kill -KILL $PPID') })).savedTask
    await world.call('trigger.update', { triggerId: trigger.id, trigger: { savedTaskId: killer.id, spec: { kind: 'completion', when: 'finished', label: 'nightly' } } })
    await world.close()
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/killed-by-its-chain.ts', import.meta.url)), world.home], { stdio: ['ignore', 'ignore', 'inherit'] })
    const [, signal] = (await once(child, 'exit')) as [number | null, string | null]
    expect(signal).toBe('SIGKILL')

    await world.open()
    // Whichever won the race (the firing's record or the kill), after the restart there is one firing and one task.
    if ((await world.call('trigger.get', { triggerId: trigger.id })).history.length === 0) await world.log.untilFirings(1, trigger.id)
    // Requests are served in order: once this run is served, nothing replayed is still waiting.
    await world.call('savedTask.run', { savedTaskId: after.id })
    const { history } = await world.call('trigger.get', { triggerId: trigger.id })
    const { tasks } = await world.engine.handlers['task.list']({ label: `trigger:${trigger.id}`, limit: 1000, offset: 0 })
    expect(history).toHaveLength(1)
    expect(tasks).toHaveLength(1)
    expect(history[0]!.taskId).toBe(tasks[0]!.id)
    await untilFinished(world, tasks[0]!.id)
  })

  it('stops a chain that loops at run time (a loop stored by an older version) after maxChainDepth tasks', async () => {
    const ping = (await world.call('savedTask.create', { name: 'ping', definition: argv('true') })).savedTask
    const pong = (await world.call('savedTask.create', { name: 'pong', definition: argv('true') })).savedTask
    const pingToPong = (await world.call('trigger.create', { trigger: { savedTaskId: pong.id, spec: { kind: 'completion', when: 'succeeded', afterSavedTaskId: ping.id } } })).trigger
    await world.close()
    // The closing link, written the way a version without the loop check could have stored it.
    const pongToPing = pingToPong.id + 1
    await world.withEngineOnly(async (engine) => {
      const spec = JSON.stringify({ kind: 'completion', when: 'succeeded', afterSavedTaskId: pong.id })
      engine.host.db.prepare('INSERT INTO trg_triggers VALUES (?, ?, ?, ?, 0, 1, 1, NULL, 1, 1, 0)').run(pongToPing, 'pong to ping', ping.id, spec)
      await Promise.resolve()
    })

    await world.open({ maxChainDepth: 3 })
    await world.call('savedTask.run', { savedTaskId: ping.id })
    const stopped = await world.log.until((events) => {
      for (const e of events) if (e.type === 'trigger.fired' && e.firing.outcome === 'failed') return e.firing
      return undefined
    })
    expect(stopped.error).toMatch(/^Chain stopped: this would be task 4 in a row started by completion triggers \(at most 3\)/)
    const chain = world.log.firings().filter((f) => f.cause === 'completion')
    expect(chain.map((f) => [f.triggerId, f.outcome, f.detail.chainDepth])).toEqual([
      [pingToPong.id, 'submitted', 1],
      [pongToPing, 'submitted', 2],
      [pingToPong.id, 'submitted', 3],
      [pongToPing, 'failed', 4],
    ])
    for (const firing of chain) if (firing.taskId !== null) await untilFinished(world, firing.taskId)
  })
})
