import { describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION, type ServerMessage } from '../../src-shared/index.ts'
import { ApiSession } from '../../src-main/api/session.ts'
import { useEngine } from '../support/engine.ts'

const t = useEngine()

/** Sends one request through the same session every transport uses and returns its response. */
async function call(command: string, params: unknown): Promise<Extract<ServerMessage, { kind: 'response' }>['result']> {
  const responses: ServerMessage[] = []
  const session = new ApiSession(t.engine, (message) => responses.push(message))
  await session.handle({ v: PROTOCOL_VERSION, id: 1, command, params })
  session.dispose()
  const response = responses.find((m): m is Extract<ServerMessage, { kind: 'response' }> => m.kind === 'response')!
  return response.result
}

describe('bad input reaches the engine only as a refusal naming the field', () => {
  const cases: [string, unknown, string][] = [
    ['a timeout of 0', { definition: { spec: { kind: 'shell', command: 'true' }, timeoutMs: 0 } }, 'definition.timeoutMs'],
    ['a negative priority beyond the range', { definition: { spec: { kind: 'shell', command: 'true' }, priority: -5000 } }, 'definition.priority'],
    ['an unknown group', { definition: { spec: { kind: 'shell', command: 'true' }, group: 'nope' } }, 'definition.group'],
    ['an unknown dependency', { definition: { spec: { kind: 'shell', command: 'true' }, after: [42] } }, 'definition.after.0'],
    ['a cwd that does not exist', { definition: { spec: { kind: 'shell', command: 'true', cwd: '/does/not/exist' } } }, 'definition.spec.cwd'],
    ['a bad URL', { definition: { spec: { kind: 'http', requests: [{ url: 'ftp://x' }] } } }, 'definition.spec.requests.0.url'],
    ['retry with zero attempts', { definition: { spec: { kind: 'shell', command: 'true' }, retry: { maxAttempts: 0 } } }, 'definition.retry.maxAttempts'],
  ]
  for (const [what, params, path] of cases) {
    it(`refuses ${what}`, async () => {
      const result = await call('task.submit', params)
      expect(result.ok).toBe(false)
      if (result.ok) return
      expect(result.error.code).toBe('bad_request')
      expect(result.error.details?.issues?.map((i) => i.path)).toContain(path)
      expect(result.error.message).toContain(path)
    })
  }

  it('refuses a group limit below 1 and keeps running', async () => {
    const result = await call('group.set', { name: 'default', parallel: 0 })
    expect(result).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    const ok = await call('task.submit', { definition: { spec: { kind: 'shell', command: 'true' } } })
    expect(ok.ok).toBe(true)
  })
})
