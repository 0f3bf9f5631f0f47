import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseRequest, PROTOCOL_VERSION, TaskDefinitionSchema, TaskdeckError, type TaskDefinitionInput } from '../../src-shared/index.ts'
import { shell } from './helpers.ts'
import { useEngine } from '../support/engine.ts'

const t = useEngine()

const submit = (definition: TaskDefinitionInput, idempotencyKey?: string) =>
  t.engine.handlers['task.submit']({ definition: TaskDefinitionSchema.parse(definition), ...(idempotencyKey === undefined ? {} : { idempotencyKey }) })

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error as TaskdeckError,
  )

describe('task.submit with an idempotency key', () => {
  it('returns the existing task for a repeated key, across a restart, and stores one task', async () => {
    const definition = shell('true', { name: 'nightly', stashed: true })
    const first = await submit(definition, 'deploy-2026-11-22')
    expect(first.duplicate).toBeUndefined()
    expect(first.task.idempotencyKey).toBe('deploy-2026-11-22')
    const again = await submit(definition, 'deploy-2026-11-22')
    expect(again).toMatchObject({ duplicate: true, task: { id: first.task.id } })
    await t.reopen()
    const afterRestart = await submit(definition, 'deploy-2026-11-22')
    expect(afterRestart).toMatchObject({ duplicate: true, task: { id: first.task.id } })
    expect((await t.engine.handlers['task.list']({ limit: 10, offset: 0 })).total).toBe(1)
    // Another key, or none, makes a new task.
    expect((await submit(definition, 'deploy-2026-11-23')).task.id).not.toBe(first.task.id)
    expect((await submit(definition)).task.id).not.toBe(first.task.id)
  })

  it('gives concurrent submits with one key one task', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => submit(shell('true', { stashed: true }), 'burst')))
    expect(new Set(results.map((r) => r.task.id)).size).toBe(1)
    expect(results.filter((r) => r.duplicate !== true)).toHaveLength(1)
  })

  it('refuses the same key with a different definition, naming the key and the task', async () => {
    const { task } = await submit(shell('echo one', { stashed: true }), 'job-1')
    const error = await refusal(submit(shell('echo two', { stashed: true }), 'job-1'))
    expect(error).toBeInstanceOf(TaskdeckError)
    expect(error!.code).toBe('conflict')
    expect(error!.message).toContain('idempotencyKey')
    expect(error!.message).toContain('job-1')
    expect(error!.message).toContain(`task ${task.id}`)
    expect(error!.details).toMatchObject({ idempotencyKey: 'job-1', taskId: task.id })
  })

  it('keeps the key in a unique index, and frees it when clean removes the task', async () => {
    const { task } = await submit(shell('true'), 'once')
    await t.until(task.id, ['succeeded'])
    const db = new DatabaseSync(join(t.home, 'taskdeck.db'), { readOnly: true })
    try {
      expect(db.prepare('SELECT id FROM tasks WHERE idempotency_key = ?').all('once')).toEqual([{ id: task.id }])
      const index = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks' AND sql LIKE '%idempotency_key%'").get() as { sql: string }
      expect(index.sql).toMatch(/UNIQUE/)
    } finally {
      db.close()
    }
    expect((await t.engine.handlers['task.clean']({ taskIds: [task.id] })).removed).toEqual([task.id])
    const fresh = await submit(shell('true', { stashed: true }), 'once')
    expect(fresh.duplicate).toBeUndefined()
    expect(fresh.task.id).not.toBe(task.id)
  })

  it('does not copy the key into an imported task: the key stays with the original submission', async () => {
    const { task } = await submit(shell('true', { stashed: true }), 'exported')
    const document = await t.engine.handlers['data.export']({ taskIds: [task.id] })
    expect(document.tasks[0]!.idempotencyKey).toBe('exported')
    const { imported } = await t.engine.handlers['data.import']({ document })
    const copy = (await t.engine.handlers['task.get']({ taskId: imported[0]!.to })).task
    expect(copy.idempotencyKey).toBeUndefined()
    expect(await submit(shell('true', { stashed: true }), 'exported')).toMatchObject({ duplicate: true, task: { id: task.id } })
  })

  it('validates the key at the boundary, naming the field', () => {
    const request = (idempotencyKey: unknown) =>
      parseRequest({ v: PROTOCOL_VERSION, id: 1, command: 'task.submit', params: { definition: { spec: { kind: 'shell', command: ['true'] } }, idempotencyKey } })
    expect(request('ok-key_1.2:3').result).toMatchObject({ ok: true })
    for (const bad of ['', 'has space', 'x'.repeat(256), 'é', 42]) {
      const parsed = request(bad).result
      expect(parsed.ok, String(bad)).toBe(false)
      expect(JSON.stringify(parsed)).toContain('idempotencyKey')
    }
  })
})

describe('task.submitMany with idempotency keys', () => {
  const submitMany = (definitions: TaskDefinitionInput[], idempotencyKeys?: (string | null)[]) => {
    const { result } = parseRequest({ v: PROTOCOL_VERSION, id: 1, command: 'task.submitMany', params: { definitions, ...(idempotencyKeys ? { idempotencyKeys } : {}) } })
    if (!result.ok) throw new TaskdeckError('bad_request', result.error.message, result.error.details)
    return t.engine.handlers['task.submitMany'](result.value.params as never)
  }
  const count = async () => (await t.engine.handlers['task.list']({ limit: 100, offset: 0 })).total

  it('stores the new ones together and answers repeated keys with their tasks, across a restart', async () => {
    const a = shell('echo a', { stashed: true })
    const b = shell('echo b', { stashed: true })
    const first = await submitMany([a, b], ['batch-1', null])
    expect(first.duplicates).toEqual([])
    expect(first.tasks[0]!.idempotencyKey).toBe('batch-1')
    await t.reopen()
    const c = shell('echo c', { stashed: true })
    const again = await submitMany([a, c], ['batch-1', 'batch-2'])
    expect(again.duplicates).toEqual([0])
    expect(again.tasks[0]!.id).toBe(first.tasks[0]!.id)
    expect(again.tasks[1]!.id).not.toBe(first.tasks[1]!.id)
    expect(await count()).toBe(3)
    // All repeated: nothing stored.
    expect((await submitMany([a, c], ['batch-1', 'batch-2'])).duplicates).toEqual([0, 1])
    expect(await count()).toBe(3)
  })

  it('refuses a key used with another definition, naming its index, and stores none of the batch', async () => {
    await submitMany([shell('echo a', { stashed: true })], ['k'])
    const refused = await refusal(submitMany([shell('echo new', { stashed: true }), shell('echo other', { stashed: true })], [null, 'k']))
    expect(refused?.code).toBe('conflict')
    expect(refused?.details).toMatchObject({ index: 1, issues: [{ path: 'idempotencyKeys.1' }] })
    expect(await count()).toBe(1)
  })

  it('refuses keys that do not match the definitions one to one, or repeat within the batch', async () => {
    const one = shell('true', { stashed: true })
    expect((await refusal(Promise.resolve().then(() => submitMany([one, one], ['x']))))?.message).toMatch(/gives 1 keys for 2 definitions/)
    expect((await refusal(Promise.resolve().then(() => submitMany([one, one], ['x', 'x']))))?.message).toMatch(/idempotencyKeys\.1.*is the key of definition 0 too/)
    expect(await count()).toBe(0)
  })
})
