import { describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src-shared/index.ts'
import { useEngine } from '../support/engine.ts'

const t = useEngine()

describe('the extension host', () => {
  it('submits validated definitions and hears every event after it is committed', async () => {
    const heard: EngineEvent[] = []
    const listening = t.engine.host.onEvent((event) => heard.push(event))
    const task = await t.engine.host.submit({ spec: { kind: 'shell', command: 'echo from an extension' } })
    expect(task.definition.group).toBe('default')
    await t.until(task.id, ['succeeded'])
    listening.dispose()
    expect(heard.some((e) => e.type === 'task.created' && e.task.id === task.id)).toBe(true)
    expect(heard.some((e) => e.type === 'run.output' && e.text === 'from an extension\n')).toBe(true)
    const count = heard.length
    await t.engine.host.submit({ spec: { kind: 'shell', command: 'true' }, stashed: true })
    expect(heard.length).toBe(count)
    await expect(t.engine.host.submit({ spec: { kind: 'shell', command: '' } })).rejects.toMatchObject({ code: 'bad_request' })
    expect(t.engine.host.now()).toBeGreaterThan(0)
  })

  it('submits with an idempotency key as task.submit does, and finds the task by its key whatever its definition', async () => {
    const key = 'ext:delivery:1'
    expect(t.engine.host.taskByIdempotencyKey(key)).toBeNull()
    const task = await t.engine.host.submit({ spec: { kind: 'shell', command: 'true' }, stashed: true }, { idempotencyKey: key })
    expect(task.idempotencyKey).toBe(key)
    // The same definition is the same task; another one is refused, as task.submit does.
    expect((await t.engine.host.submit({ spec: { kind: 'shell', command: 'true' }, stashed: true }, { idempotencyKey: key })).id).toBe(task.id)
    await expect(t.engine.host.submit({ spec: { kind: 'shell', command: 'false' }, stashed: true }, { idempotencyKey: key })).rejects.toMatchObject({ code: 'conflict' })
    expect(t.engine.host.taskByIdempotencyKey(key)).toMatchObject({ id: task.id })
    await expect(t.engine.host.submit({ spec: { kind: 'shell', command: 'true' } }, { idempotencyKey: 'has a space' })).rejects.toThrow(/idempotencyKey/)
    // Removing the task frees its key.
    await t.engine.handlers['task.cancel']({ taskIds: [task.id] })
    await t.engine.handlers['task.clean']({ taskIds: [task.id] })
    expect(t.engine.host.taskByIdempotencyKey(key)).toBeNull()
  })

  it('refuses to run the engine\'s own migrations for an extension', () => {
    expect(() => t.engine.host.migrate('engine', [])).toThrow(/belong to the engine/)
  })
})
