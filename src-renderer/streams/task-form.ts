import { TaskDefinitionSchema, issuesOf, type FieldIssue, type TaskDefinition, type TaskDefinitionInput } from '../../src-shared/index.ts'

/** The new/edit form's fields, all as typed (strings), so half-typed input survives. */
export interface TaskForm {
  kind: 'shell' | 'http' | 'script'
  name: string
  group: string
  priority: string
  labels: string
  after: number[]
  timeoutSec: string
  delaySec: string
  runAt: string
  retryMax: string
  retryBackoffMs: string
  retryFactor: string
  stashed: boolean
  retryOnInterrupt: boolean
  notify: 'default' | 'always' | 'failure' | 'never'
  command: string
  shell: string
  cwd: string
  env: string
  stdin: string
  urls: string
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'
  headers: string
  body: string
  concurrency: string
  requestTimeoutSec: string
  maxBytes: string
  followRedirects: boolean
  retriesPerRequest: string
  saveDir: string
  scriptPath: string
  scriptInput: string
}

export const EMPTY_FORM: TaskForm = {
  kind: 'shell',
  name: '',
  group: 'default',
  priority: '0',
  labels: '',
  after: [],
  timeoutSec: '',
  delaySec: '',
  runAt: '',
  retryMax: '',
  retryBackoffMs: '1000',
  retryFactor: '2',
  stashed: false,
  retryOnInterrupt: false,
  notify: 'default',
  command: '',
  shell: '',
  cwd: '',
  env: '',
  stdin: '',
  urls: '',
  method: 'GET',
  headers: '',
  body: '',
  concurrency: '8',
  requestTimeoutSec: '30',
  maxBytes: '',
  followRedirects: true,
  retriesPerRequest: '0',
  saveDir: '',
  scriptPath: '',
  scriptInput: '',
}

const optional = (s: string) => (s.trim() === '' ? undefined : s.trim())
/** A number field: empty is "not set"; anything else goes to the schema as typed, so it names the problem. */
const num = (s: string, scale = 1): number | undefined => {
  if (s.trim() === '') return undefined
  const n = Number(s)
  return Number.isFinite(n) ? Math.round(n * scale) : (s as unknown as number)
}
const lines = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)

function pairs(s: string, separator: string): Record<string, string> | undefined {
  const out: Record<string, string> = {}
  for (const line of lines(s)) {
    const at = line.indexOf(separator)
    if (at <= 0) out[line] = ''
    else out[line.slice(0, at).trim()] = line.slice(at + separator.length).trim()
  }
  return Object.keys(out).length > 0 ? out : undefined
}

/**
 * The definition the form describes, plus the problems found before any schema sees it
 * (input JSON that does not parse).
 */
export function toDefinition(form: TaskForm): { definition: TaskDefinitionInput; issues: FieldIssue[] } {
  const issues: FieldIssue[] = []
  const spec = (() => {
    switch (form.kind) {
      case 'shell':
        return { kind: 'shell' as const, command: form.command.trim(), shell: optional(form.shell), cwd: optional(form.cwd), env: pairs(form.env, '='), stdin: form.stdin || undefined }
      case 'http': {
        const headers = pairs(form.headers, ':')
        return {
          kind: 'http' as const,
          requests: lines(form.urls).map((url) => ({ url, method: form.method, headers, body: form.body || undefined })),
          concurrency: num(form.concurrency),
          requestTimeoutMs: num(form.requestTimeoutSec, 1000),
          maxBytes: num(form.maxBytes),
          followRedirects: form.followRedirects,
          retriesPerRequest: num(form.retriesPerRequest),
          saveDir: optional(form.saveDir),
        }
      }
      case 'script': {
        let input: unknown
        if (form.scriptInput.trim()) {
          try {
            input = JSON.parse(form.scriptInput)
          } catch (error) {
            issues.push({ path: 'spec.input', message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` })
          }
        }
        return { kind: 'script' as const, path: form.scriptPath.trim(), input }
      }
    }
  })()
  const retryMax = num(form.retryMax)
  const definition = {
    name: optional(form.name),
    spec,
    group: form.group.trim() || 'default',
    priority: num(form.priority) ?? 0,
    labels: form.labels
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean),
    after: form.after,
    timeoutMs: num(form.timeoutSec, 1000),
    delayMs: num(form.delaySec, 1000),
    runAt: form.runAt ? new Date(form.runAt).getTime() : undefined,
    retry: retryMax === undefined ? undefined : { maxAttempts: retryMax, backoffMs: num(form.retryBackoffMs) ?? 1000, factor: num(form.retryFactor) ?? 2 },
    stashed: form.stashed,
    retryOnInterrupt: form.retryOnInterrupt,
    notify: form.notify,
  }
  return { definition: definition as TaskDefinitionInput, issues }
}

/**
 * Validates the form with the contract's own schema: the same rules the engine applies,
 * reported per field ("spec.cwd" → the cwd field) before anything is sent.
 */
export function validateForm(form: TaskForm): { ok: true; definition: TaskDefinitionInput } | { ok: false; issues: FieldIssue[] } {
  const { definition, issues } = toDefinition(form)
  const parsed = TaskDefinitionSchema.safeParse(definition)
  const all = [...issues, ...(parsed.success ? [] : issuesOf(parsed.error))]
  return all.length === 0 ? { ok: true, definition } : { ok: false, issues: all }
}

/** Which form field an issue path belongs to, so the message shows under it. */
export function fieldOfIssue(path: string): keyof TaskForm | 'form' {
  const p = path.replace(/^definition\./, '')
  if (p.startsWith('spec.command')) return 'command'
  if (p.startsWith('spec.requests')) return /\.url$/.test(p) || p === 'spec.requests' ? 'urls' : p.includes('headers') ? 'headers' : 'urls'
  const map: Record<string, keyof TaskForm> = {
    name: 'name',
    group: 'group',
    priority: 'priority',
    labels: 'labels',
    after: 'after',
    timeoutMs: 'timeoutSec',
    delayMs: 'delaySec',
    runAt: 'runAt',
    'retry.maxAttempts': 'retryMax',
    'retry.backoffMs': 'retryBackoffMs',
    'retry.factor': 'retryFactor',
    'spec.shell': 'shell',
    'spec.cwd': 'cwd',
    'spec.env': 'env',
    'spec.stdin': 'stdin',
    'spec.concurrency': 'concurrency',
    'spec.requestTimeoutMs': 'requestTimeoutSec',
    'spec.maxBytes': 'maxBytes',
    'spec.retriesPerRequest': 'retriesPerRequest',
    'spec.saveDir': 'saveDir',
    'spec.path': 'scriptPath',
    'spec.input': 'scriptInput',
  }
  for (const [prefix, field] of Object.entries(map)) if (p === prefix || p.startsWith(`${prefix}.`)) return field
  return 'form'
}

/** The form for an existing task (edit). */
export function formOf(definition: TaskDefinition): TaskForm {
  const base: TaskForm = {
    ...EMPTY_FORM,
    kind: definition.spec.kind,
    name: definition.name ?? '',
    group: definition.group,
    priority: String(definition.priority),
    labels: definition.labels.join(', '),
    after: definition.after,
    timeoutSec: definition.timeoutMs ? String(definition.timeoutMs / 1000) : '',
    delaySec: definition.delayMs ? String(definition.delayMs / 1000) : '',
    retryMax: definition.retry ? String(definition.retry.maxAttempts) : '',
    retryBackoffMs: definition.retry ? String(definition.retry.backoffMs) : EMPTY_FORM.retryBackoffMs,
    retryFactor: definition.retry ? String(definition.retry.factor) : EMPTY_FORM.retryFactor,
    stashed: definition.stashed,
    retryOnInterrupt: definition.retryOnInterrupt,
    notify: definition.notify,
  }
  const spec = definition.spec
  if (spec.kind === 'shell') {
    return {
      ...base,
      command: typeof spec.command === 'string' ? spec.command : spec.command.join(' '),
      shell: spec.shell ?? '',
      cwd: spec.cwd ?? '',
      env: Object.entries(spec.env ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
      stdin: spec.stdin ?? '',
    }
  }
  if (spec.kind === 'http') {
    const first = spec.requests[0]
    return {
      ...base,
      urls: spec.requests.map((r) => r.url).join('\n'),
      method: first?.method ?? 'GET',
      headers: Object.entries(first?.headers ?? {})
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n'),
      body: first?.body ?? '',
      concurrency: String(spec.concurrency),
      requestTimeoutSec: String(spec.requestTimeoutMs / 1000),
      maxBytes: String(spec.maxBytes),
      followRedirects: spec.followRedirects,
      retriesPerRequest: String(spec.retriesPerRequest),
      saveDir: spec.saveDir ?? '',
    }
  }
  return { ...base, scriptPath: spec.path, scriptInput: spec.input === undefined ? '' : JSON.stringify(spec.input, null, 2) }
}
