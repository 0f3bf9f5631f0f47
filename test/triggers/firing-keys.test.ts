import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { COMMANDS, IdempotencyKeySchema, TaskDefinitionSchema, type Firing, type Task, type TriggerSpecInput } from '../../src-shared/index.ts'
import type { Engine } from '../../src-main/engine/engine.ts'
import { SECRET_HEADER, type WebhookRequest } from '../../src-main/triggers/index.ts'
import { firingKey } from '../../src-main/triggers/keys.ts'
import { describeFiring } from '../../src-main/cli/commands/triggers.ts'
import { useWorld, type WorldFixture } from '../support/world.ts'
import { TestClock, argv, runUntilKilled, type DyingOptions } from './helpers.ts'

const SECRET = 'a-webhook-secret-of-some-length'
const MIN = 60_000
const HOUR = 60 * MIN
const T0 = Date.parse('2026-03-01T12:00:00Z')

/**
 * Runs the engine and its triggers in a child process on the world's home (closed meanwhile)
 * until a firing's task is submitted, and expects it killed right there (SIGKILL), before the
 * firing is recorded.
 */
async function dieAfterSubmit(world: WorldFixture, options: DyingOptions): Promise<void> {
  await world.close()
  await runUntilKilled(world.home, options)
}

/** The tasks the trigger started and its firings as stored, read by the engine alone (no triggers to serve anything). */
async function storedState(world: WorldFixture, triggerId: number): Promise<{ tasks: Task[]; firings: number; deliveries: number }> {
  return world.withEngineOnly(async (engine: Engine) => {
    const { tasks } = await engine.handlers['task.list']({ label: `trigger:${triggerId}`, limit: 1000, offset: 0 })
    const count = (sql: string) => Number((engine.host.db.prepare(sql).get(triggerId) as { n: number }).n)
    return {
      tasks,
      firings: count('SELECT count(*) AS n FROM trg_firings WHERE trigger_id = ?'),
      deliveries: count('SELECT count(*) AS n FROM trg_deliveries WHERE trigger_id = ?'),
    }
  })
}

async function tasksOf(world: WorldFixture, triggerId: number): Promise<Task[]> {
  return (await world.engine.handlers['task.list']({ label: `trigger:${triggerId}`, limit: 1000, offset: 0 })).tasks
}

describe('a webhook delivery whose task was submitted just before Taskdeck died (real engine in a child process, SIGKILL)', () => {
  const world = useWorld()

  const call = (triggerId: number, deliveryId: string): WebhookRequest & { body: Uint8Array } => ({
    hookId: String(triggerId),
    headers: { [SECRET_HEADER]: SECRET, 'content-type': 'application/json', 'x-github-delivery': deliveryId },
    body: Buffer.from('{"ref":"refs/heads/main"}'),
  })

  it.each([
    ['a plain delivery id', '72d3162e-cc78-11e3-81ab-4c9367dc0958'],
    ['a delivery id with spaces, too long to keep as it is (hashed)', `delivery with spaces ${'x'.repeat(234)}`],
  ])('starts no second task when the sender retries it after the restart: %s', async (_what, deliveryId) => {
    const { trigger } = await world.call('trigger.create', {
      savedTask: { name: 'deploy', definition: argv('true') },
      trigger: { spec: { kind: 'webhook', secret: SECRET } },
    })
    const request = call(trigger.id, deliveryId)
    await dieAfterSubmit(world, { webhook: { hookId: request.hookId, headers: request.headers as Record<string, string>, body: Buffer.from(request.body).toString('utf8') } })

    // The gap: the task exists, its firing and its delivery id were never recorded.
    const died = await storedState(world, trigger.id)
    expect(died.tasks).toHaveLength(1)
    expect({ firings: died.firings, deliveries: died.deliveries }).toEqual({ firings: 0, deliveries: 0 })
    const [submitted] = died.tasks

    await world.open()
    const retry = await world.triggers.handleWebhook(call(trigger.id, deliveryId))
    const { history } = await world.call('trigger.get', { triggerId: trigger.id })
    expect(history).toHaveLength(1)
    const firing = history[0]!
    // Answered as the duplicate it is, with the task the first delivery started; the firing is recorded pointing at it.
    expect(retry).toEqual({ status: 200, headers: {}, body: { ok: true, duplicate: true, firingId: firing.id, taskId: submitted!.id } })
    expect(firing).toMatchObject({ cause: 'webhook', outcome: 'submitted', taskId: submitted!.id, error: null, detail: { recovered: true } })
    expect((await tasksOf(world, trigger.id)).map((t) => t.id)).toEqual([submitted!.id])
    expect(IdempotencyKeySchema.safeParse(submitted!.idempotencyKey).success).toBe(true)

    // Recorded now (trg_deliveries): the next retry is answered from the record, and another delivery still fires.
    expect(await world.triggers.handleWebhook(call(trigger.id, deliveryId))).toEqual(retry)
    const other = await world.triggers.handleWebhook(call(trigger.id, 'another-delivery'))
    expect(other.status).toBe(202)
    expect((await tasksOf(world, trigger.id)).map((t) => t.id).sort((a, b) => a - b)).toEqual([submitted!.id, (other.body as { taskId: number }).taskId])
  })

  it('answers a repeat of a delivery older than the stored window with its first firing while its task exists, recording nothing', async () => {
    const { trigger } = await world.call('trigger.create', { savedTask: { name: 'deploy', definition: argv('true') }, trigger: { spec: { kind: 'webhook', secret: SECRET } } })
    const first = await world.triggers.handleWebhook(call(trigger.id, 'd-old'))
    expect(first.status).toBe(202)
    // Out of the window: forgotten by trg_deliveries (and by the memory of the process that accepted it).
    await world.close()
    await world.withEngineOnly(async (engine) => {
      engine.host.db.prepare('DELETE FROM trg_deliveries').run()
      await Promise.resolve()
    })
    await world.open()
    const repeat = await world.triggers.handleWebhook(call(trigger.id, 'd-old'))
    expect(repeat).toEqual({ status: 200, headers: {}, body: { ...first.body, duplicate: true } })
    expect((await world.call('trigger.get', { triggerId: trigger.id })).history.map((f) => f.id)).toEqual([(first.body as { firingId: number }).firingId])
    expect(await tasksOf(world, trigger.id)).toHaveLength(1)
  })

  it('keys one trigger’s deliveries apart from another’s: the same delivery id to a new hook starts its own task', async () => {
    const first = await world.call('trigger.create', { savedTask: { name: 'deploy', definition: argv('true') }, trigger: { spec: { kind: 'webhook', secret: SECRET } } })
    const accepted = await world.triggers.handleWebhook(call(first.trigger.id, 'd-1'))
    expect(accepted.status).toBe(202)
    await world.call('trigger.remove', { triggerId: first.trigger.id })
    // Recreated as it was: a new trigger (a new id), so the old delivery's task is not its answer.
    const second = await world.call('trigger.create', { trigger: { savedTaskId: first.savedTask!.id, spec: { kind: 'webhook', secret: SECRET } } })
    const again = await world.triggers.handleWebhook(call(second.trigger.id, 'd-1'))
    expect(again.status).toBe(202)
    expect(again.body).not.toMatchObject({ taskId: (accepted.body as { taskId: number }).taskId })
    const [mine] = await tasksOf(world, second.trigger.id)
    const [theirs] = await tasksOf(world, first.trigger.id)
    expect(mine!.idempotencyKey).not.toBe(theirs!.idempotencyKey)
  })
})

describe('a schedule slot whose task was submitted just before Taskdeck died (real engine in a child process, SIGKILL)', () => {
  let clock = new TestClock(T0)
  const world = useWorld(() => ({ clock }), { openBeforeEach: false })

  it.each([
    ['on time (back within the 60 s tolerance)', 30_000, 'schedule'],
    ['caught up (back after the slot was missed)', 5 * MIN, 'catch-up'],
  ] as const)('records the slot with the task it started, and starts no second one, when the restart comes %s', async (_when, afterSlot, cause) => {
    clock = new TestClock(T0)
    await world.open()
    const { trigger } = await world.call('trigger.create', {
      savedTask: { name: 'hourly', definition: argv('true') },
      trigger: { spec: { kind: 'schedule', everyMs: HOUR, catchUp: 'once' } },
    })
    const slot = T0 + HOUR
    // The child sees the slot due (on time) and fires it; killed once its task is submitted.
    await dieAfterSubmit(world, { now: slot + 1000 })
    const died = await storedState(world, trigger.id)
    expect(died.tasks).toHaveLength(1)
    expect(died.firings).toBe(0)
    const [submitted] = died.tasks

    // Back later: the slot is due again (its cursor never moved), on time or as a catch-up.
    clock = new TestClock(slot + afterSlot)
    await world.open()
    const [firing] = await world.log.untilFirings(1, trigger.id)
    expect(firing).toMatchObject<Partial<Firing>>({ cause, scheduledFor: slot, outcome: 'submitted', taskId: submitted!.id, error: null })
    expect(firing!.detail.recovered).toBe(true)
    expect((await tasksOf(world, trigger.id)).map((t) => t.id)).toEqual([submitted!.id])
    const { history, trigger: after } = await world.call('trigger.get', { triggerId: trigger.id })
    expect(history.map((f) => f.id)).toEqual([firing!.id])
    // The slot is accounted for: the next one is an hour on.
    expect(after.nextRunAt).toBe(slot + HOUR)
  })

  it('runs slots again when asked to (trigger.catchUp): a slot already served is a new firing then, not the same one', async () => {
    clock = new TestClock(T0)
    await world.open()
    const { trigger } = await world.call('trigger.create', {
      savedTask: { name: 'hourly', definition: argv('true') },
      trigger: { spec: { kind: 'schedule', everyMs: HOUR, catchUp: 'once' } },
    })
    clock.advance(HOUR)
    const [served] = await world.log.untilFirings(1, trigger.id)
    expect(served).toMatchObject({ cause: 'schedule', scheduledFor: T0 + HOUR, outcome: 'submitted' })
    clock.advance(10 * MIN)
    await world.call('trigger.catchUp', { triggerId: trigger.id, from: T0 })
    clock.advance(1)
    const [, again] = await world.log.untilFirings(2, trigger.id)
    expect(again).toMatchObject({ cause: 'catch-up', scheduledFor: T0 + HOUR, outcome: 'submitted' })
    expect(again!.taskId).not.toBe(served!.taskId)
    expect(again!.detail.recovered).toBeUndefined()
  })
})

describe('a file burst, a press or a system event whose task was submitted just before Taskdeck died (real engine in a child process, SIGKILL)', () => {
  const world = useWorld()

  it.each([
    ['a shortcut press', 'shortcut'],
    ['a file-watch burst', 'file'],
    ['a wake (system event)', 'system'],
  ] as const)('records %s once after the restart, with the task it started (recovered), and starts no second one', async (_what, cause) => {
    const folder = world.anotherDir()
    const spec: TriggerSpecInput =
      cause === 'shortcut'
        ? { kind: 'shortcut', accelerator: 'Control+Alt+K' }
        : cause === 'file'
          ? { kind: 'fileWatch', paths: [folder], debounceMs: 200 }
          : { kind: 'system', events: ['wake'] }
    const { trigger } = await world.call('trigger.create', { savedTask: { name: 'sync', definition: argv('true') }, trigger: { spec } })
    await dieAfterSubmit(world, cause === 'shortcut' ? { shortcut: 'Control+Alt+K' } : cause === 'file' ? { touch: join(folder, 'a.txt') } : { wake: true })

    // The gap: the task exists, its firing was never recorded.
    const died = await storedState(world, trigger.id)
    expect(died.tasks).toHaveLength(1)
    expect(died.firings).toBe(0)
    const [submitted] = died.tasks
    // Its key names the trigger (id and creation) and this firing alone.
    expect(submitted!.idempotencyKey).toMatch(new RegExp(`^taskdeck-trigger:${trigger.id}\\.${trigger.createdAt}:firing:[\\w-]{36}$`))

    await world.open()
    const [firing] = await world.log.untilFirings(1, trigger.id)
    expect(firing).toMatchObject<Partial<Firing>>({ cause, outcome: 'submitted', taskId: submitted!.id, error: null })
    expect(firing!.detail.recovered).toBe(true)
    if (cause === 'file') expect(firing!.detail).toMatchObject({ changedPaths: [join(folder, 'a.txt')] })
    expect((await tasksOf(world, trigger.id)).map((t) => t.id)).toEqual([submitted!.id])

    // Recorded once: another restart finds nothing left to record.
    await world.close()
    await world.open()
    const { history, trigger: after } = await world.call('trigger.get', { triggerId: trigger.id })
    expect(history.map((f) => f.id)).toEqual([firing!.id])
    expect(after.lastFiredAt).toBe(firing!.firedAt)
    expect(await tasksOf(world, trigger.id)).toHaveLength(1)
  })

  it('records a firing whose task was never stored as failed after the restart, and starts nothing for it', async () => {
    const { trigger } = await world.call('trigger.create', { savedTask: { name: 'sync', definition: argv('true') }, trigger: { spec: { kind: 'shortcut', accelerator: 'Control+Alt+L' } } })
    await world.close()
    // What the app leaves when it dies between writing the intent and storing its task.
    await world.withEngineOnly(async (engine) => {
      engine.host.db
        .prepare('INSERT INTO trg_intents (key, trigger_id, saved_task_id, fired_at, cause, detail) VALUES (?, ?, ?, ?, ?, ?)')
        .run(`taskdeck-trigger:${trigger.id}.${trigger.createdAt}:firing:lost`, trigger.id, trigger.savedTaskId, T0, 'shortcut', '{"accelerator":"Control+Alt+L"}')
      await Promise.resolve()
    })
    await world.open()
    const [firing] = await world.log.untilFirings(1, trigger.id)
    expect(firing).toMatchObject({ cause: 'shortcut', outcome: 'failed', taskId: null, firedAt: T0, detail: { accelerator: 'Control+Alt+L', recovered: true } })
    expect(firing!.error).toMatch(/before the task was stored: nothing was started/)
    expect(await tasksOf(world, trigger.id)).toEqual([])
    expect((await world.call('trigger.get', { triggerId: trigger.id })).trigger.lastFiredAt).toBeNull()
  })
})

describe('"Run now" with an idempotency key', () => {
  const world = useWorld()

  it('after Taskdeck died between its submit and its record: recorded at the restart, and the call again answers that task', async () => {
    const { trigger } = await world.call('trigger.create', { savedTask: { name: 'deploy', definition: argv('true') }, trigger: { spec: { kind: 'webhook', secret: SECRET } } })
    await dieAfterSubmit(world, { fire: { triggerId: trigger.id, idempotencyKey: 'deploy-2026-11-23' } })
    const died = await storedState(world, trigger.id)
    expect(died.tasks.map((t) => t.idempotencyKey)).toEqual(['deploy-2026-11-23'])
    expect(died.firings).toBe(0)

    await world.open()
    const [recorded] = await world.log.untilFirings(1, trigger.id)
    expect(recorded).toMatchObject({ cause: 'manual', outcome: 'submitted', taskId: died.tasks[0]!.id, detail: { recovered: true } })
    // The client that got no answer calls again: the same firing, nothing started.
    const again = await world.call('trigger.fire', { triggerId: trigger.id, idempotencyKey: 'deploy-2026-11-23' })
    expect(again).toEqual({ firing: recorded, duplicate: true })
    expect(await tasksOf(world, trigger.id)).toHaveLength(1)
    expect((await world.call('trigger.get', { triggerId: trigger.id })).history).toHaveLength(1)
  })

  it('answers calls again with the first task, refuses a key another request used, and starts anew without one', async () => {
    const { trigger, savedTask } = await world.call('trigger.create', { savedTask: { name: 'build', definition: argv('true') }, trigger: { spec: { kind: 'shortcut', accelerator: 'Control+Alt+M' } } })
    // Called twice at once and once later: one task.
    const [a, b] = await Promise.all([
      world.call('trigger.fire', { triggerId: trigger.id, idempotencyKey: 'k-1' }),
      world.call('trigger.fire', { triggerId: trigger.id, idempotencyKey: 'k-1' }),
    ])
    const c = await world.call('trigger.fire', { triggerId: trigger.id, idempotencyKey: 'k-1' })
    expect(a.duplicate).toBeUndefined()
    expect(b).toEqual({ firing: a.firing, duplicate: true })
    expect(c).toEqual({ firing: a.firing, duplicate: true })
    expect((await tasksOf(world, trigger.id)).map((t) => t.id)).toEqual([a.firing.taskId])

    // A saved task's own Run now: the same for its key; the trigger's key is not its own.
    const run = await world.call('savedTask.run', { savedTaskId: savedTask!.id, idempotencyKey: 'k-2' })
    const runAgain = await world.call('savedTask.run', { savedTaskId: savedTask!.id, idempotencyKey: 'k-2' })
    expect(runAgain).toMatchObject({ firing: run.firing, duplicate: true, task: { id: run.task.id } })
    const refused = await world.call('savedTask.run', { savedTaskId: savedTask!.id, idempotencyKey: 'k-1' }).catch((error: unknown) => error)
    expect(refused).toMatchObject({ code: 'conflict', details: { issues: [{ path: 'idempotencyKey' }] } })
    expect((refused as Error).message).toContain(`idempotencyKey "k-1" was already used for task ${a.firing.taskId}`)
    // A key a plain task.submit used is refused too, by name; nothing is recorded for the refusal.
    await world.engine.handlers['task.submit']({ definition: TaskDefinitionSchema.parse(argv('true')), idempotencyKey: 'k-3' })
    await expect(world.call('trigger.fire', { triggerId: trigger.id, idempotencyKey: 'k-3' })).rejects.toMatchObject({ code: 'conflict', details: { issues: [{ path: 'idempotencyKey' }] } })
    expect((await world.call('trigger.get', { triggerId: trigger.id })).history).toHaveLength(1)
    // Without a key each call is a new request.
    const plain = await world.call('trigger.fire', { triggerId: trigger.id })
    expect(plain.firing.taskId).not.toBe(a.firing.taskId)
  })

  it('refuses a bad key by its field', () => {
    for (const name of ['trigger.fire', 'savedTask.run'] as const) {
      const params = name === 'trigger.fire' ? { triggerId: 1 } : { savedTaskId: 1 }
      for (const key of ['', 'has space', 'x'.repeat(256), 'é']) {
        const parsed = COMMANDS[name].params.safeParse({ ...params, idempotencyKey: key })
        expect(parsed.success).toBe(false)
        expect([...new Set(parsed.error!.issues.map((i) => i.path.join('.')))]).toEqual(['idempotencyKey'])
      }
      expect(COMMANDS[name].params.safeParse({ ...params, idempotencyKey: 'deploy-2026-11-23' }).success).toBe(true)
    }
  })
})

describe('firing keys', () => {
  const webhook = { id: 7, createdAt: T0, fromSeq: 40, spec: { kind: 'webhook', rateLimit: { max: 60, windowMs: MIN }, maxBodyBytes: 1024 } } as const
  const schedule = { id: 7, createdAt: T0, fromSeq: 40, spec: { kind: 'schedule', everyMs: HOUR, catchUp: 'once', maxCatchUp: 10, overlap: 'allow' } } as const

  it('are valid idempotency keys that name the trigger (its id and creation) and the firing', () => {
    const keys = [
      firingKey(webhook, { scheduledFor: null, deliveryId: 'abc' }),
      firingKey(webhook, { scheduledFor: null, deliveryId: 'é'.repeat(255) }),
      firingKey(webhook, { scheduledFor: null, deliveryId: '~'.repeat(255) }),
      firingKey(schedule, { scheduledFor: T0 + HOUR }),
      firingKey({ ...schedule, spec: { kind: 'completion', when: 'finished', label: 'x' } }, { scheduledFor: null, completionKey: 'after-run:9' }),
    ]
    for (const key of keys) expect(IdempotencyKeySchema.parse(key)).toMatch(/^taskdeck-trigger:7\.1772366400000:/)
    expect(keys[0]).toBe('taskdeck-trigger:7.1772366400000:delivery:abc')
    expect(keys[1]).toMatch(/:delivery-sha256:[\w-]{43}$/)
    expect(keys[2]).toMatch(/:delivery-sha256:[\w-]{43}$/)
    expect(keys[3]).toBe(`taskdeck-trigger:7.1772366400000:slot:40.${T0 + HOUR}`)
    expect(keys[4]).toBe('taskdeck-trigger:7.1772366400000:after-run:9')
  })

  it('differ between triggers, instances of one id, generations of a schedule and slots; none without a name', () => {
    const slot = { scheduledFor: T0 + HOUR }
    const keys = new Set([
      firingKey(schedule, slot),
      firingKey({ ...schedule, id: 8 }, slot),
      firingKey({ ...schedule, createdAt: T0 + 1 }, slot),
      firingKey({ ...schedule, fromSeq: 41 }, slot),
      firingKey(schedule, { scheduledFor: T0 + 2 * HOUR }),
      firingKey(webhook, { scheduledFor: null, deliveryId: 'a b' }),
      firingKey(webhook, { scheduledFor: null, deliveryId: 'a_b' }),
    ])
    expect(keys.size).toBe(7)
    expect(firingKey(webhook, { scheduledFor: null })).toBeNull()
    expect(firingKey(schedule, { scheduledFor: T0, skipped: true })).toBeNull()
    for (const kind of ['fileWatch', 'shortcut', 'system'] as const) {
      expect(firingKey({ ...schedule, spec: { kind } as never }, { scheduledFor: null })).toBeNull()
      // Named by the firing's nonce (its intent's key).
      expect(firingKey({ ...schedule, spec: { kind } as never }, { scheduledFor: null, nonce: 'n-1' })).toBe('taskdeck-trigger:7.1772366400000:firing:n-1')
    }
  })
})

describe('the CLI\'s history', () => {
  it('says of any firing recorded after a restart that found its task that it was', () => {
    const firing: Firing = { id: 3, triggerId: 1, savedTaskId: 1, firedAt: T0, cause: 'webhook', scheduledFor: null, outcome: 'submitted', taskId: 9, error: null, detail: { bytes: 14, contentType: 'application/json' } }
    expect(describeFiring(firing)).toBe('14 bytes of application/json')
    expect(describeFiring({ ...firing, detail: { ...firing.detail, recovered: true } })).toBe('14 bytes of application/json (recorded after a restart)')
    expect(describeFiring({ ...firing, cause: 'completion', detail: { sourceTaskId: 4, sourceStatus: 'failed', recovered: true } })).toBe('after task 4 failed (recorded after a restart)')
  })
})
