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

  it('refuses to run the engine\'s own migrations for an extension', () => {
    expect(() => t.engine.host.migrate('engine', [])).toThrow(/belong to the engine/)
  })
})
