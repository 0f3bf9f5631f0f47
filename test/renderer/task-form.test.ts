import { describe, expect, it } from 'vitest'
import { TaskDefinitionSchema } from '../../src-shared/index.ts'
import { EMPTY_FORM, fieldOfIssue, formOf, problemsOfServer, validateForm, type FormProblem } from '../../src-renderer/streams/task-form.ts'

/** Each field's first message, as the form shows it (an i18n key and values, or the engine's text). */
const byField = (problems: readonly FormProblem[]) => {
  const out = new Map<string, FormProblem['message']>()
  for (const p of problems) if (!out.has(p.field)) out.set(p.field, p.message)
  return out
}

describe('task form validation (the contract schemas)', () => {
  it('accepts a shell task and fills the definition from the fields', () => {
    const result = validateForm({ ...EMPTY_FORM, command: 'make test', cwd: '/tmp', env: 'A=1\nB = two', labels: 'ci, nightly', timeoutSec: '90', retryMax: '3' })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const definition = TaskDefinitionSchema.parse(result.definition)
    expect(definition.spec).toMatchObject({ kind: 'shell', command: 'make test', cwd: '/tmp', env: { A: '1', B: 'two' } })
    expect(definition).toMatchObject({ labels: ['ci', 'nightly'], timeoutMs: 90_000, retry: { maxAttempts: 3 } })
  })

  it('names each wrong field with a message of the UI, in the field\'s own unit', () => {
    const result = validateForm({ ...EMPTY_FORM, command: '', group: 'bad group!', timeoutSec: '-5', priority: '5000', retryMax: '0', retryFactor: '1.5' })
    expect(result.ok).toBe(false)
    if (result.ok) return
    const messages = byField(result.problems)
    expect(messages.get('command')).toEqual({ key: 'form.issue.required', values: undefined })
    expect(messages.get('group')).toEqual({ key: 'form.issue.groupName', values: undefined })
    // The field is in seconds: the schema's "positive number of milliseconds" would mislead.
    expect(messages.get('timeoutSec')).toEqual({ key: 'form.issue.positive', values: undefined })
    expect(messages.get('priority')).toEqual({ key: 'form.issue.max', values: { max: 1000 } })
    expect(messages.get('retryMax')).toEqual({ key: 'form.issue.min', values: { min: 1 } })
    // A fractional backoff factor is valid: it is not a problem, and not rounded away.
    expect(messages.has('retryFactor')).toBe(false)
  })

  it('refuses a fraction where a whole number is needed instead of rounding it', () => {
    const result = validateForm({ ...EMPTY_FORM, command: 'x', priority: '1.5' })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(byField(result.problems).get('priority')).toEqual({ key: 'form.issue.whole', values: undefined })
    const factor = validateForm({ ...EMPTY_FORM, command: 'x', retryMax: '3', retryFactor: '1.5' })
    expect(factor.ok && TaskDefinitionSchema.parse(factor.definition).retry?.factor).toBe(1.5)
  })

  it('names an environment or header line without its separator by line number, never inventing an entry', () => {
    const shell = validateForm({ ...EMPTY_FORM, command: 'x', env: 'A=1\n\nBAD LINE' })
    expect(shell.ok).toBe(false)
    if (!shell.ok) expect(byField(shell.problems).get('env')).toEqual({ key: 'form.issue.envLine', values: { line: 3 } })
    const http = validateForm({ ...EMPTY_FORM, kind: 'http', urls: 'https://example.com/a', headers: 'Accept: */*\nno colon' })
    expect(http.ok).toBe(false)
    if (!http.ok) expect(byField(http.problems).get('headers')).toEqual({ key: 'form.issue.headerLine', values: { line: 2 } })
  })

  it('names a group the engine does not have, once the groups are known', () => {
    const result = validateForm({ ...EMPTY_FORM, command: 'x', group: 'build' }, new Set(['default']))
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.problems).toEqual([{ field: 'group', message: { key: 'form.issue.unknownGroup', values: { group: 'build' } } }])
    expect(validateForm({ ...EMPTY_FORM, command: 'x', group: 'build' }, new Set(['default', 'build'])).ok).toBe(true)
    // Groups not yet loaded: the engine decides.
    expect(validateForm({ ...EMPTY_FORM, command: 'x', group: 'build' }, new Set()).ok).toBe(true)
  })

  it('validates HTTP URLs (naming the URL) and script input JSON', () => {
    const http = validateForm({ ...EMPTY_FORM, kind: 'http', urls: 'https://example.com/a\nftp://nope' })
    expect(http.ok).toBe(false)
    if (!http.ok) expect(byField(http.problems).get('urls')).toEqual({ key: 'form.issue.url', values: { url: 'ftp://nope' } })
    const script = validateForm({ ...EMPTY_FORM, kind: 'script', scriptPath: '/x.mjs', scriptInput: '{ nope' })
    expect(script.ok).toBe(false)
    if (!script.ok) expect(script.problems[0]).toMatchObject({ field: 'scriptInput', message: { key: 'form.issue.json' } })
  })

  it('shows the engine\'s own refusal under the field it names', () => {
    expect(problemsOfServer([{ path: 'definition.spec.cwd', message: 'directory /nope does not exist' }])).toEqual([
      { field: 'cwd', message: { text: 'directory /nope does not exist' } },
    ])
    expect(problemsOfServer([{ path: 'definition.odd', message: 'no' }])).toEqual([{ field: 'form', message: { text: 'definition.odd: no' } }])
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

  it('keeps a scheduled start time through the edit form', () => {
    const runAt = new Date(2027, 0, 15, 9, 30, 12).getTime()
    const definition = TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: 'backup' }, runAt })
    const again = validateForm(formOf(definition))
    expect(again.ok && again.definition.runAt).toBe(runAt)
  })

  it('keeps tty through the edit form, sends it only when checked, and shows a refusal of it on its checkbox', () => {
    const definition = TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: 'ls --color=auto', tty: true } })
    expect(formOf(definition).tty).toBe(true)
    const again = validateForm(formOf(definition))
    expect(again.ok && again.definition.spec).toMatchObject({ kind: 'shell', tty: true })
    const off = validateForm({ ...formOf(definition), tty: false })
    expect(off.ok && off.definition.spec).not.toHaveProperty('tty', true)
    expect(off.ok && 'tty' in off.definition.spec && off.definition.spec.tty).toBeFalsy()
    expect(fieldOfIssue('definition.spec.tty')).toBe('tty')
  })

  it('opens an argv task as a command line that keeps each word one word', () => {
    const definition = TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: ['convert', 'a b.png', "it's.jpg", ''] } })
    expect(formOf(definition).command).toBe(`convert 'a b.png' 'it'\\''s.jpg' ''`)
  })
})
