import { describe, expect, it } from 'vitest'
import { TaskDefinitionSchema } from '../../src-shared/index.ts'
import { EMPTY_FORM, fieldOfIssue, formOf, validateForm } from '../../src-renderer/streams/task-form.ts'

describe('task form validation (the contract schemas)', () => {
  it('accepts a shell task and fills the definition from the fields', () => {
    const result = validateForm({ ...EMPTY_FORM, command: 'make test', cwd: '/tmp', env: 'A=1\nB = two', labels: 'ci, nightly', timeoutSec: '90', retryMax: '3' })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const definition = TaskDefinitionSchema.parse(result.definition)
    expect(definition.spec).toMatchObject({ kind: 'shell', command: 'make test', cwd: '/tmp', env: { A: '1', B: 'two' } })
    expect(definition).toMatchObject({ labels: ['ci', 'nightly'], timeoutMs: 90_000, retry: { maxAttempts: 3 } })
  })

  it('names each wrong field with the schema message', () => {
    const result = validateForm({ ...EMPTY_FORM, command: '', group: 'bad group!', timeoutSec: '-5' })
    expect(result.ok).toBe(false)
    if (result.ok) return
    const byField = new Map(result.issues.map((i) => [fieldOfIssue(i.path), i.message]))
    expect(byField.get('command')).toBe('must not be empty')
    expect(byField.get('group')).toMatch(/letters, digits/)
    expect(byField.get('timeoutSec')).toMatch(/positive/)
  })

  it('validates HTTP URLs and script input JSON', () => {
    const http = validateForm({ ...EMPTY_FORM, kind: 'http', urls: 'https://example.com/a\nftp://nope' })
    expect(http.ok).toBe(false)
    if (!http.ok) expect(http.issues.map((i) => fieldOfIssue(i.path))).toContain('urls')
    const script = validateForm({ ...EMPTY_FORM, kind: 'script', scriptPath: '/x.mjs', scriptInput: '{ nope' })
    expect(script.ok).toBe(false)
    if (!script.ok) expect(script.issues[0]).toMatchObject({ path: 'spec.input' })
  })

  it('maps server-side issue paths (prefixed with "definition.") to the same fields', () => {
    expect(fieldOfIssue('definition.spec.cwd')).toBe('cwd')
    expect(fieldOfIssue('definition.retry.maxAttempts')).toBe('retryMax')
    expect(fieldOfIssue('definition.spec.requests.3.url')).toBe('urls')
    expect(fieldOfIssue('something.else')).toBe('form')
  })

  it('round-trips an existing definition through the edit form', () => {
    const definition = TaskDefinitionSchema.parse({
      name: 'fetch',
      spec: { kind: 'http', requests: [{ url: 'https://example.com/a' }, { url: 'https://example.com/b' }], concurrency: 4 },
      labels: ['net'],
      retry: { maxAttempts: 2 },
    })
    const again = validateForm(formOf(definition))
    expect(again.ok).toBe(true)
    if (again.ok) expect(TaskDefinitionSchema.parse(again.definition)).toEqual(definition)
  })
})
