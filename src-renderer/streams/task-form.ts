import type { z } from 'zod'
import { TaskDefinitionSchema, type ApiError, type FieldIssue, type TaskDefinition, type TaskDefinitionInput } from '../../src-shared/index.ts'
import { shellCommandLine } from '../../src-shared/shell-words.ts'

/** The new/edit form's fields, all as typed (strings), so half-typed input survives. */
export interface TaskForm {
  kind: 'shell' | 'http' | 'script'
  name: string
  group: string
  priority: string
  labels: string
  after: number[]
  timeoutSec: string
  /** limits.maxMemoryMb; limits.maxCpuSeconds (shell and script tasks). */
  maxMemoryMb: string
  maxCpuSec: string
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
  /** Run the command on a terminal (ShellSpec's `tty`). */
  tty: boolean
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
  maxMemoryMb: '',
  maxCpuSec: '',
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
  tty: false,
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

/**
 * What to tell the user about one field, in the UI's language: a message key of the
 * renderer's i18n (`form.issue.*`) with its values, for what only the engine can say (a missing
 * directory) the engine's own sentence, or a refusal of the whole command (a task that started
 * meanwhile), said as the UI says refusals (sayRefusal).
 */
export type FormMessage = { key: string; values?: Record<string, string | number> } | { text: string } | { refusal: ApiError }

export interface FormProblem {
  field: keyof TaskForm | 'form'
  message: FormMessage
}

/** Fields typed in seconds whose definition value is in milliseconds: limits are shown in the field's unit. */
const SECONDS_FIELDS: ReadonlySet<keyof TaskForm | 'form'> = new Set(['timeoutSec', 'delaySec', 'requestTimeoutSec'])

const optional = (s: string) => (s.trim() === '' ? undefined : s.trim())
/**
 * A number field: empty is "not set"; anything else goes to the schema as typed, so it names
 * the problem (1.5 where a whole number is needed is refused, not rounded). Only a field
 * typed in another unit than the definition's (seconds for milliseconds) is rounded.
 */
const num = (s: string, scale = 1): number | undefined => {
  if (s.trim() === '') return undefined
  const n = Number(s)
  if (!Number.isFinite(n)) return s as unknown as number
  return scale === 1 ? n : Math.round(n * scale)
}
const lines = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)

/**
 * "NAME=value" (or "Name: value") lines; a line without the separator is a problem named by
 * its line number, never a silently made-up entry.
 */
function pairs(s: string, separator: string, field: 'env' | 'headers', problems: FormProblem[]): Record<string, string> | undefined {
  const out: Record<string, string> = {}
  s.split('\n').forEach((raw, index) => {
    const line = raw.trim()
    if (!line) return
    const at = line.indexOf(separator)
    if (at <= 0) problems.push({ field, message: { key: `form.issue.${field === 'env' ? 'envLine' : 'headerLine'}`, values: { line: index + 1 } } })
    else out[line.slice(0, at).trim()] = line.slice(at + separator.length).trim()
  })
  return Object.keys(out).length > 0 ? out : undefined
}

/**
 * The definition the form describes, plus the problems found before any schema sees it
 * (input JSON that does not parse, an environment line without "=").
 */
export function toDefinition(form: TaskForm): { definition: TaskDefinitionInput; problems: FormProblem[] } {
  const problems: FormProblem[] = []
  const spec = (() => {
    switch (form.kind) {
      case 'shell':
        return {
          kind: 'shell' as const,
          command: form.command.trim(),
          shell: optional(form.shell),
          cwd: optional(form.cwd),
          env: pairs(form.env, '=', 'env', problems),
          stdin: form.stdin || undefined,
          // Absent unless asked for: a server before API revision 12 refuses the field by name.
          tty: form.tty || undefined,
        }
      case 'http': {
        const headers = pairs(form.headers, ':', 'headers', problems)
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
            problems.push({ field: 'scriptInput', message: { key: 'form.issue.json', values: { error: error instanceof Error ? error.message : String(error) } } })
          }
        }
        return { kind: 'script' as const, path: form.scriptPath.trim(), input }
      }
    }
  })()
  const retryMax = num(form.retryMax)
  // Limits apply to shell and script tasks: an HTTP batch's form has no such fields (what was typed before switching kind is left out).
  const maxMemoryMb = form.kind === 'http' ? undefined : num(form.maxMemoryMb)
  const maxCpuSeconds = form.kind === 'http' ? undefined : num(form.maxCpuSec)
  // The field gives a datetime-local value (streams/date-time-field.ts) or, for text it could not read, that text.
  const runAtValid = form.runAt === '' || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(form.runAt)
  if (!runAtValid) problems.push({ field: 'runAt', message: { key: 'form.issue.runAt' } })
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
    runAt: form.runAt && runAtValid ? new Date(form.runAt).getTime() : undefined,
    retry: retryMax === undefined ? undefined : { maxAttempts: retryMax, backoffMs: num(form.retryBackoffMs) ?? 1000, factor: num(form.retryFactor) ?? 2 },
    stashed: form.stashed,
    retryOnInterrupt: form.retryOnInterrupt,
    notify: form.notify,
    limits: maxMemoryMb === undefined && maxCpuSeconds === undefined ? undefined : { maxMemoryMb, maxCpuSeconds },
  }
  return { definition: definition as TaskDefinitionInput, problems }
}

/**
 * Validates the form with the contract's own schema: the same rules the engine applies,
 * reported per field ("spec.cwd" → the cwd field) in the form's own terms (seconds where the
 * field is in seconds) before anything is sent. With the groups the engine has, a group it
 * does not know is named too (the engine refuses it).
 */
export function validateForm(
  form: TaskForm,
  knownGroups?: ReadonlySet<string>,
): { ok: true; definition: TaskDefinitionInput } | { ok: false; problems: FormProblem[] } {
  const { definition, problems } = toDefinition(form)
  const parsed = TaskDefinitionSchema.safeParse(definition)
  if (!parsed.success) for (const issue of parsed.error.issues) problems.push(problemOf(issue, definition))
  const group = definition.group ?? 'default'
  if (parsed.success && knownGroups && knownGroups.size > 0 && !knownGroups.has(group)) {
    problems.push({ field: 'group', message: { key: 'form.issue.unknownGroup', values: { group } } })
  }
  return problems.length === 0 ? { ok: true, definition } : { ok: false, problems }
}

/** The engine's own refusal (its issue paths start with "definition."), under the fields they concern. */
export function problemsOfServer(issues: readonly FieldIssue[]): FormProblem[] {
  return issues.map((issue) => {
    const field = fieldOfIssue(issue.path)
    return { field, message: { text: field === 'form' ? `${issue.path}: ${issue.message}` : issue.message } }
  })
}

function problemOf(issue: z.core.$ZodIssue, definition: TaskDefinitionInput): FormProblem {
  const path = issue.path.map(String).join('.')
  const field = fieldOfIssue(path)
  if (issue.code === 'invalid_format' && field === 'group') return { field, message: { key: 'form.issue.groupName' } }
  if (issue.code === 'invalid_key' && field === 'env') return { field, message: { key: 'form.issue.envName', values: { name: String(issue.path.at(-1)) } } }
  if (issue.code === 'custom' && /\.url$/.test(path)) return { field, message: { key: 'form.issue.url', values: { url: String(valueAt(definition, issue.path)) } } }
  return { field, message: issueMessage(issue, SECONDS_FIELDS.has(field) ? 1000 : 1) }
}

/**
 * A schema issue in the UI's language (`form.issue.*`) where its kind has words there (a number
 * too small, a whole number needed…), limits shown in the field's unit (`scale` ms per unit);
 * else the contract's own sentence. Shared by every form validated with the contract's schemas.
 */
export function issueMessage(issue: z.core.$ZodIssue, scale = 1): FormMessage {
  const say = (key: string, values?: Record<string, string | number>): FormMessage => ({ key: `form.issue.${key}`, values })
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'number') return !issue.inclusive && Number(issue.minimum) === 0 ? say('positive') : say('min', { min: Number(issue.minimum) / scale })
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? say('required') : say('tooShort', { min: Number(issue.minimum) })
      return say('required')
    case 'too_big':
      if (issue.origin === 'number') return say('max', { max: Number(issue.maximum) / scale })
      if (issue.origin === 'string') return say('tooLong', { max: Number(issue.maximum) })
      return say('tooMany', { max: Number(issue.maximum) })
    case 'invalid_type':
      if (issue.expected === 'int') return say('whole')
      if (issue.expected === 'number') return say('number')
      break
  }
  return { text: issue.message }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let at = root
  for (const key of path) at = at !== null && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[key] : undefined
  return at
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
    'limits.maxMemoryMb': 'maxMemoryMb',
    'limits.maxCpuSeconds': 'maxCpuSec',
    delayMs: 'delaySec',
    runAt: 'runAt',
    'retry.maxAttempts': 'retryMax',
    'retry.backoffMs': 'retryBackoffMs',
    'retry.factor': 'retryFactor',
    'spec.shell': 'shell',
    'spec.cwd': 'cwd',
    'spec.env': 'env',
    'spec.stdin': 'stdin',
    'spec.tty': 'tty',
    'spec.concurrency': 'concurrency',
    'spec.requestTimeoutMs': 'requestTimeoutSec',
    'spec.maxBytes': 'maxBytes',
    'spec.retriesPerRequest': 'retriesPerRequest',
    'spec.saveDir': 'saveDir',
    'spec.path': 'scriptPath',
    'spec.input': 'scriptInput',
  }
  return fieldByPath(map, p)
}

/** The field `map` names for a path (a key of it, or a path inside one: "spec.env.PATH" is "spec.env"'s); else the form's own message. */
export function fieldByPath<F extends string>(map: Readonly<Record<string, F>>, path: string): F | 'form' {
  for (const [prefix, field] of Object.entries(map)) if (path === prefix || path.startsWith(`${prefix}.`)) return field
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
    maxMemoryMb: definition.limits?.maxMemoryMb !== undefined ? String(definition.limits.maxMemoryMb) : '',
    maxCpuSec: definition.limits?.maxCpuSeconds !== undefined ? String(definition.limits.maxCpuSeconds) : '',
    delaySec: definition.delayMs ? String(definition.delayMs / 1000) : '',
    runAt: definition.runAt ? localDateTime(definition.runAt) : '',
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
      command: typeof spec.command === 'string' ? spec.command : shellCommandLine(spec.command),
      shell: spec.shell ?? '',
      cwd: spec.cwd ?? '',
      env: Object.entries(spec.env ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
      stdin: spec.stdin ?? '',
      tty: spec.tty === true,
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

/** A time as a datetime-local field shows it: the user's local time, to the second when it has seconds. */
function localDateTime(at: number): string {
  const d = new Date(at)
  const pad = (n: number) => String(n).padStart(2, '0')
  const seconds = d.getSeconds() === 0 ? '' : `:${pad(d.getSeconds())}`
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}${seconds}`
}
