import { readFileSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Result, ServerMessage } from '../../src-shared/index.ts'
import { SECRET_HEADER } from '../../src-main/triggers/index.ts'
import { TriggerStore } from '../../src-main/triggers/store.ts'
import { startServe, type ServeProcess } from '../cli/helpers.ts'
import { tempHome } from '../support/engine.ts'
import { useWorld } from '../support/world.ts'

const SECRET = 'a-webhook-secret-of-some-length'

/** Delivery ids outlive the process: `taskdeck serve` is stopped and started again between a delivery and its retry. */
describe('webhook delivery ids across a restart of taskdeck serve (real processes, one home)', () => {
  const dir = tempHome()
  let serve: ServeProcess | null = null
  afterEach(async () => {
    await serve?.stop()
    serve = null
    dir.cleanup()
  })

  const token = () => (JSON.parse(readFileSync(join(dir.home, 'api.json'), 'utf8')) as { token: string }).token

  async function api<T>(command: string, params: unknown): Promise<T> {
    const response = await fetch(`${serve!.info.url}api/v1/command`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ v: 1, id: 1, command, params }),
    })
    const result = ((await response.json()) as Extract<ServerMessage, { kind: 'response' }>).result as Result<T>
    if (!result.ok) throw new Error(result.error.message)
    return result.value
  }

  async function deliver(triggerId: number, headers: Record<string, string>): Promise<{ status: number; body: { ok: boolean; firingId?: number; taskId?: number | null; duplicate?: boolean; error?: string } }> {
    const response = await fetch(`${serve!.info.url}hooks/${triggerId}`, {
      method: 'POST',
      headers: { [SECRET_HEADER]: SECRET, 'content-type': 'application/json', ...headers },
      body: '{"ref":"refs/heads/main"}',
    })
    return { status: response.status, body: (await response.json()) as never }
  }

  const history = (triggerId: number) => api<{ history: { id: number; outcome: string; taskId: number | null }[] }>('trigger.get', { triggerId })

  async function restart(): Promise<void> {
    expect(await serve!.stop()).toBe(0)
    serve = await startServe(dir.home)
  }

  it('answers a retry after the restart as the duplicate it is (200, the first firing and task) and starts nothing', async () => {
    serve = await startServe(dir.home)
    const { trigger } = await api<{ trigger: { id: number } }>('trigger.create', {
      savedTask: { name: 'deploy', definition: { spec: { kind: 'shell', command: ['true'] } } },
      trigger: { spec: { kind: 'webhook', secret: SECRET } },
    })
    const first = await deliver(trigger.id, { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' })
    expect(first.status).toBe(202)
    expect(first.body.taskId).toBeTypeOf('number')

    await restart()

    const retry = await deliver(trigger.id, { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' })
    expect(retry).toEqual({ status: 200, body: { ok: true, duplicate: true, firingId: first.body.firingId, taskId: first.body.taskId } })
    // Another delivery still fires, and is remembered in turn across the next restart.
    const other = await deliver(trigger.id, { 'idempotency-key': 'retry-7' })
    expect(other.status).toBe(202)
    await restart()
    expect(await deliver(trigger.id, { 'idempotency-key': 'retry-7' })).toMatchObject({ status: 200, body: { duplicate: true, taskId: other.body.taskId } })
    expect((await history(trigger.id)).history.map((f) => [f.id, f.outcome, f.taskId])).toEqual([
      [other.body.firingId, 'submitted', other.body.taskId],
      [first.body.firingId, 'submitted', first.body.taskId],
    ])
  })

  it('forgets a delivery whose task was refused, so its retry after the restart fires; a removed hook forgets its deliveries', async () => {
    serve = await startServe(dir.home)
    // A saved task the engine refuses at submit time: its group does not exist.
    const { trigger, savedTask } = await api<{ trigger: { id: number }; savedTask: { id: number } }>('trigger.create', {
      savedTask: { name: 'deploy', definition: { spec: { kind: 'shell', command: ['true'] }, group: 'no-such-group' } },
      trigger: { spec: { kind: 'webhook', secret: SECRET } },
    })
    const refused = await deliver(trigger.id, { 'x-github-delivery': 'd-1' })
    expect(refused.status).toBe(422)
    await api('savedTask.update', { savedTaskId: savedTask.id, definition: { spec: { kind: 'shell', command: ['true'] } } })

    await restart()

    const retried = await deliver(trigger.id, { 'x-github-delivery': 'd-1' })
    expect(retried.status).toBe(202)
    await api('trigger.remove', { triggerId: trigger.id })
    await serve.stop()
    serve = null
    const db = new DatabaseSync(join(dir.home, 'taskdeck.db'), { readOnly: true })
    try {
      expect(db.prepare('SELECT count(*) AS n FROM trg_deliveries').get()).toEqual({ n: 0 })
    } finally {
      db.close()
    }
  })
})

describe('the stored delivery window (trg_deliveries in the engine\'s SQLite file)', () => {
  const world = useWorld()

  it('keeps per hook only the newest `perHook` deliveries and none older than the window', () => {
    const store = new TriggerStore(world.engine.host.db)
    const window = { ms: 1000, perHook: 3 }
    const ids = (triggerId: number, after: number) =>
      ['d1', 'd2', 'd3', 'd4', 'd5'].filter((id) => store.delivery(triggerId, id, after) !== null)
    store.addDelivery({ triggerId: 9, deliveryId: 'd1', at: 5, firingId: 1, taskId: 11 }, window)
    for (const [n, at] of [[2, 10], [3, 20], [4, 30]] as const) store.addDelivery({ triggerId: 1, deliveryId: `d${n - 1}`, at, firingId: n, taskId: 10 + n }, window)
    store.addDelivery({ triggerId: 1, deliveryId: 'd4', at: 40, firingId: 5, taskId: null }, window)
    // Four for hook 1: the oldest went; hook 9's own is untouched.
    expect(ids(1, 0)).toEqual(['d2', 'd3', 'd4'])
    expect(store.delivery(1, 'd4', 0)).toEqual({ firingId: 5, taskId: null })
    expect(ids(9, 0)).toEqual(['d1'])
    // Only those recorded after `after` are answered.
    expect(ids(1, 25)).toEqual(['d3', 'd4'])
    // A delivery a window later drops every older one of its hook.
    store.addDelivery({ triggerId: 1, deliveryId: 'd5', at: 1035, firingId: 6, taskId: 16 }, window)
    expect(ids(1, 0)).toEqual(['d4', 'd5'])
    expect(ids(9, 0)).toEqual(['d1'])
  })
})
