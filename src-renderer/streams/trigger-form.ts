import { Cron } from 'croner'
import { asyncScheduler, concat, distinctUntilChanged, exhaustMap, from, map, merge, of, switchMap, type Observable, type ObservableInput, type SchedulerLike } from 'rxjs'
import type { z } from 'zod'
import {
  LIMITS,
  TaskDefinitionSchema,
  TriggerInputSchema,
  SYSTEM_EVENTS,
  cronProblem,
  readRefusal,
  type ApiError,
  type CatchUpPolicy,
  type Firing,
  type FieldIssue,
  type OverlapPolicy,
  type Result,
  type SystemEvent,
  type TaskDefinitionInput,
  type Trigger,
  type TriggerInput,
  type TriggerKind,
  type TriggerSpec,
} from '../../src-shared/index.ts'
import { shellCommandLine } from '../../src-shared/shell-words.ts'
import { snapshotOnActivity$ } from './loop.ts'
import { fieldByPath, issueMessage, type FormMessage } from './task-form.ts'

/** Milliseconds per unit of the "every" field. */
export const EVERY_UNITS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
export type EveryUnit = keyof typeof EVERY_UNITS

/** The New/Edit trigger form's fields, as typed (strings), so half-typed input survives. */
export interface TriggerForm {
  kind: TriggerKind
  name: string
  scheduleMode: 'cron' | 'every'
  cron: string
  timezone: string
  everyValue: string
  everyUnit: EveryUnit
  catchUp: CatchUpPolicy
  maxCatchUp: string
  overlap: OverlapPolicy
  /** File watch: one absolute path or glob a line. */
  paths: string
  debounceMs: string
  accelerator: string
  /** System: the events that start it, in the order SYSTEM_EVENTS lists them. */
  systemEvents: SystemEvent[]
  /** System: how long a changed state must hold before it fires (ms, as typed). */
  settleMs: string
  when: 'succeeded' | 'failed' | 'finished'
  afterMode: 'savedTask' | 'label' | 'task'
  /** The saved task id, label or task id the completion trigger follows, per `afterMode`. */
  after: string
  /** What the trigger starts: a new command (saved as a saved task first) or a saved task. */
  starts: 'command' | 'savedTask'
  command: string
  cwd: string
  savedTaskId: string
  paused: boolean
  /** Edit: a webhook gets a new generated secret (answered once). */
  rotateSecret: boolean
  /** Edit: the spec as stored, so fields the form does not show (a watch's events, a hook's rate limit) are kept. */
  original: TriggerSpec | null
}

export const TRIGGER_KINDS: readonly TriggerKind[] = ['schedule', 'fileWatch', 'webhook', 'shortcut', 'completion', 'system']

export const EMPTY_TRIGGER_FORM: TriggerForm = {
  kind: 'schedule',
  name: '',
  scheduleMode: 'cron',
  cron: '',
  timezone: '',
  everyValue: '15',
  everyUnit: 'm',
  catchUp: 'once',
  maxCatchUp: '100',
  overlap: 'allow',
  paths: '',
  debounceMs: '500',
  accelerator: '',
  systemEvents: ['wake'],
  settleMs: '5000',
  when: 'succeeded',
  afterMode: 'savedTask',
  after: '',
  starts: 'command',
  command: '',
  cwd: '',
  savedTaskId: '',
  paused: false,
  rotateSecret: false,
  original: null,
}

export type TriggerField = Exclude<keyof TriggerForm, 'original'> | 'form'
export interface TriggerFormProblem {
  field: TriggerField
  message: FormMessage
}

const optional = (s: string) => (s.trim() === '' ? undefined : s.trim())
/** Empty is "not set"; anything else goes to the schema as typed, so it names the problem. */
const num = (s: string): number | undefined => {
  if (s.trim() === '') return undefined
  const n = Number(s)
  return Number.isFinite(n) ? n : (s as unknown as number)
}

/** The spec the form describes, in the contract's input shape. */
export function specOf(form: TriggerForm): Record<string, unknown> {
  const kept = form.original?.kind === form.kind ? form.original : null
  switch (form.kind) {
    case 'schedule': {
      const policies = { catchUp: form.catchUp, maxCatchUp: num(form.maxCatchUp), overlap: form.overlap }
      if (form.scheduleMode === 'cron') return { kind: 'schedule', cron: form.cron.trim(), timezone: optional(form.timezone), ...policies }
      const every = num(form.everyValue)
      return { kind: 'schedule', everyMs: typeof every === 'number' ? Math.round(every * EVERY_UNITS[form.everyUnit]) : every, ...policies }
    }
    case 'fileWatch':
      return {
        ...(kept ?? {}),
        kind: 'fileWatch',
        paths: form.paths
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
        debounceMs: num(form.debounceMs),
      }
    case 'webhook': {
      // An update without a secret keeps the hook's current one; a new hook gets a generated one.
      const { secretHash: _hash, secret: _secret, ...rest } = (kept ?? { kind: 'webhook' }) as Record<string, unknown>
      return { ...rest, kind: 'webhook' }
    }
    case 'shortcut':
      return { kind: 'shortcut', accelerator: form.accelerator.trim() }
    case 'completion': {
      const after = form.afterMode === 'label' ? { label: optional(form.after) } : form.afterMode === 'task' ? { taskId: num(form.after) } : { afterSavedTaskId: num(form.after) }
      return { kind: 'completion', when: form.when, ...after }
    }
    case 'system':
      return { kind: 'system', events: SYSTEM_EVENTS.filter((event) => form.systemEvents.includes(event)), debounceMs: num(form.settleMs) }
  }
}

/** The saved task a "command" trigger starts: a shell command line, named after the trigger (or the command, as the CLI does). */
export function definitionOf(form: TriggerForm): { name: string; definition: TaskDefinitionInput } {
  const command = form.command.trim()
  const name = (optional(form.name) ?? command.split('\n')[0] ?? '').slice(0, LIMITS.nameChars) || 'trigger'
  return { name, definition: { name, spec: { kind: 'shell', command, cwd: optional(form.cwd) } } }
}

/** Which form field an issue path belongs to (the client's own or the server's: "trigger.spec.cron", "definition.spec.command"). */
export function triggerFieldOf(path: string): TriggerField {
  const p = path.replace(/^(trigger|definition)\./, '')
  const map: Record<string, TriggerField> = {
    name: 'name',
    savedTaskId: 'savedTaskId',
    'spec.cron': 'cron',
    'spec.timezone': 'timezone',
    'spec.everyMs': 'everyValue',
    'spec.maxCatchUp': 'maxCatchUp',
    'spec.catchUp': 'catchUp',
    'spec.overlap': 'overlap',
    'spec.paths': 'paths',
    'spec.debounceMs': 'debounceMs',
    'spec.accelerator': 'accelerator',
    'spec.events': 'systemEvents',
    'spec.taskId': 'after',
    'spec.label': 'after',
    'spec.afterSavedTaskId': 'after',
    'spec.command': 'command',
    'spec.cwd': 'cwd',
  }
  return fieldByPath(map, p)
}

/** A field as the form shows it for its kind: a system trigger's debounce is its own field. */
const fieldOfKind = (field: TriggerField, kind: TriggerKind): TriggerField => (kind === 'system' && field === 'debounceMs' ? 'settleMs' : kind !== 'system' && field === 'systemEvents' ? 'form' : field)

function problemOf(issue: z.core.$ZodIssue, form: TriggerForm, at: 'trigger' | 'definition'): TriggerFormProblem {
  const field = at === 'definition' && issue.path[0] === 'name' ? 'command' : fieldOfKind(triggerFieldOf(issue.path.map(String).join('.')), form.kind)
  // A refused pattern in the UI's language, with croner's reason.
  if (field === 'cron' && issue.code === 'custom') {
    const problem = cronProblem(form.cron.trim())
    if (problem) return { field, message: { key: 'triggerForm.issue.cron', values: { problem } } }
  }
  if (field === 'after' && issue.code === 'custom') return { field, message: { key: 'form.issue.required' } }
  if (field === 'systemEvents' && issue.code === 'too_small') return { field, message: { key: 'triggerForm.issue.pickEvent' } }
  return { field, message: issueMessage(issue, field === 'everyValue' ? EVERY_UNITS[form.everyUnit] : 1) }
}

export type CheckedTriggerForm =
  | { ok: true; input: TriggerInput; savedTask: { name: string; definition: TaskDefinitionInput } | null }
  | { ok: false; problems: TriggerFormProblem[] }

/**
 * Validates the form with the contract's own schemas (the trigger's, and the task definition's
 * when it starts a new command) before anything is sent, each problem under its field.
 */
export function validateTriggerForm(form: TriggerForm): CheckedTriggerForm {
  const problems: TriggerFormProblem[] = []
  const savedTask = form.starts === 'command' ? definitionOf(form) : null
  if (savedTask) {
    const parsed = TaskDefinitionSchema.safeParse(savedTask.definition)
    if (!parsed.success) for (const issue of parsed.error.issues) problems.push(problemOf(issue, form, 'definition'))
  } else if (form.savedTaskId.trim() === '') problems.push({ field: 'savedTaskId', message: { key: 'triggerForm.issue.pickSavedTask' } })
  const input: TriggerInput = {
    ...(optional(form.name) ? { name: form.name.trim() } : {}),
    // A new command's saved task has no id yet: any valid one stands in for it while the rest is checked.
    savedTaskId: savedTask ? 1 : (num(form.savedTaskId) ?? 0),
    spec: specOf(form) as TriggerInput['spec'],
    paused: form.paused,
  }
  const parsed = TriggerInputSchema.safeParse(input)
  if (!parsed.success) for (const issue of parsed.error.issues) problems.push(problemOf(issue, form, 'trigger'))
  return problems.length === 0 ? { ok: true, input, savedTask } : { ok: false, problems: dedupe(problems) }
}

/** One problem a field (the first). */
function dedupe(problems: readonly TriggerFormProblem[]): TriggerFormProblem[] {
  const seen = new Set<TriggerField>()
  return problems.filter((p) => !seen.has(p.field) && seen.add(p.field))
}

/**
 * The server's refusal, under the fields it concerns (its own words; a loop or a missing path only it can see). A
 * refusal the UI can say (a reason, src-shared/refusals.ts: a saved task removed meanwhile) is said in the UI's
 * language at the field it names, else at the form.
 */
export function problemsOfRefusal(error: ApiError, kind: TriggerKind = 'schedule'): TriggerFormProblem[] {
  const issues: readonly FieldIssue[] = error.details?.issues ?? []
  if (issues.length === 0) return [{ field: 'form', message: { refusal: error } }]
  const said = readRefusal(error) !== null
  return dedupe(
    issues.map((issue) => {
      const field = fieldOfKind(triggerFieldOf(issue.path), kind)
      if (said) return { field, message: { refusal: error } }
      return { field, message: { text: field === 'form' ? `${issue.path ? `${issue.path}: ` : ''}${issue.message}` : issue.message } }
    }),
  )
}

/** The form for an existing trigger (Edit): it starts the saved task it starts. */
export function triggerFormOf(trigger: Trigger): TriggerForm {
  const base: TriggerForm = { ...EMPTY_TRIGGER_FORM, kind: trigger.spec.kind, name: trigger.name, starts: 'savedTask', savedTaskId: String(trigger.savedTaskId), paused: trigger.paused, original: trigger.spec }
  const spec = trigger.spec
  switch (spec.kind) {
    case 'schedule': {
      const policies = { catchUp: spec.catchUp, maxCatchUp: String(spec.maxCatchUp), overlap: spec.overlap ?? 'allow' }
      if (spec.cron !== undefined) return { ...base, ...policies, scheduleMode: 'cron', cron: spec.cron, timezone: spec.timezone ?? '' }
      const everyMs = spec.everyMs ?? 0
      const unit = (['d', 'h', 'm', 's'] as const).find((u) => everyMs % EVERY_UNITS[u] === 0) ?? 's'
      return { ...base, ...policies, scheduleMode: 'every', everyValue: String(everyMs / EVERY_UNITS[unit]), everyUnit: unit }
    }
    case 'fileWatch':
      return { ...base, paths: spec.paths.join('\n'), debounceMs: String(spec.debounceMs) }
    case 'webhook':
      return base
    case 'shortcut':
      return { ...base, accelerator: spec.accelerator }
    case 'completion':
      return spec.label !== undefined
        ? { ...base, when: spec.when, afterMode: 'label', after: spec.label }
        : spec.taskId !== undefined
          ? { ...base, when: spec.when, afterMode: 'task', after: String(spec.taskId) }
          : { ...base, when: spec.when, afterMode: 'savedTask', after: String(spec.afterSavedTaskId ?? '') }
    case 'system':
      return { ...base, systemEvents: [...spec.events], settleMs: String(spec.debounceMs) }
  }
}

/** A shell command as the form shows it. */
export const commandText = (command: string | readonly string[]): string => (typeof command === 'string' ? command : shellCommandLine(command))

/** The next `count` times a cron pattern fires (croner, as the engine reads it), or null when it is not a usable pattern. */
export function nextRuns(pattern: string, timezone: string, count: number, from: Date = new Date()): number[] | null {
  const zone = timezone.trim() || undefined
  if (pattern.trim() === '' || cronProblem(pattern.trim(), zone) !== null) return null
  try {
    return new Cron(pattern.trim(), { paused: true, ...(zone ? { timezone: zone } : {}) }).nextRuns(count, from).map((d) => d.getTime())
  } catch {
    return null
  }
}

export type SaveStatus =
  | { state: 'idle' }
  | { state: 'invalid'; problems: TriggerFormProblem[] }
  | { state: 'saving' }
  | { state: 'saved'; trigger: Trigger; secret?: string; created: boolean }
  | { state: 'refused'; problems: TriggerFormProblem[] }

export interface TriggerSubmit {
  form: TriggerForm
  /** The trigger being edited; null for a new one. */
  editing: number | null
}

type Call = <T>(command: string, params: unknown) => ObservableInput<Result<T>>

/**
 * Submits → what became of each: invalid (checked here, nothing sent), saving, then saved or
 * refused (the server's words under the fields). A submit while one is being saved is dropped
 * (exhaustMap: a double click or a held Ctrl+Enter saves once). A new command is saved as a
 * saved task first; when the trigger is then refused, that saved task is removed again, so a
 * refusal leaves nothing behind (as the CLI's `trigger add` does).
 */
export function saveTrigger$(submits$: Observable<TriggerSubmit>, call: Call): Observable<SaveStatus> {
  return submits$.pipe(
    exhaustMap(({ form, editing }): Observable<SaveStatus> => {
      const checked = validateTriggerForm(form)
      if (!checked.ok) return of({ state: 'invalid', problems: checked.problems })
      const savedTask$: Observable<Result<{ savedTaskId: number; created: boolean }>> = checked.savedTask
        ? from(call<{ savedTask: { id: number } }>('savedTask.create', checked.savedTask)).pipe(
            map((r) => (r.ok ? { ok: true as const, value: { savedTaskId: r.value.savedTask.id, created: true } } : r)),
          )
        : of({ ok: true as const, value: { savedTaskId: checked.input.savedTaskId, created: false } })
      const saved$ = savedTask$.pipe(
        switchMap((made): Observable<SaveStatus> => {
          if (!made.ok) return of({ state: 'refused', problems: problemsOfRefusal(made.error, form.kind) })
          const input = { ...checked.input, savedTaskId: made.value.savedTaskId }
          const request =
            editing === null ? call<{ trigger: Trigger; secret?: string }>('trigger.create', { trigger: input }) : call<{ trigger: Trigger; secret?: string }>('trigger.update', { triggerId: editing, trigger: input, ...(form.kind === 'webhook' && form.rotateSecret ? { rotateSecret: true } : {}) })
          return from(request).pipe(
            switchMap((r): Observable<SaveStatus> => {
              if (r.ok) return of({ state: 'saved', trigger: r.value.trigger, created: editing === null, ...(r.value.secret === undefined ? {} : { secret: r.value.secret }) })
              const refused: SaveStatus = { state: 'refused', problems: problemsOfRefusal(r.error, form.kind) }
              return made.value.created ? from(call('savedTask.remove', { savedTaskId: made.value.savedTaskId })).pipe(map(() => refused)) : of(refused)
            }),
          )
        }),
      )
      return concat(of<SaveStatus>({ state: 'saving' }), saved$)
    }),
  )
}

export interface TriggerDetail {
  trigger: Trigger
  history: Firing[]
  upcoming: number[]
}

/**
 * The selected trigger's detail and history (`trigger.get`): read when a trigger is selected and
 * again on every trigger change (a firing, an edit), at most once per `throttleMs`; a new
 * selection abandons the answer for the old one, and no selection reads nothing.
 */
export function triggerDetail$(
  selected$: Observable<number | null>,
  changes$: Observable<unknown>,
  read: (triggerId: number) => Promise<Result<TriggerDetail>> | Observable<Result<TriggerDetail>>,
  throttleMs = 250,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<{ triggerId: number; result: Result<TriggerDetail> } | null> {
  return selected$.pipe(
    distinctUntilChanged(),
    switchMap((triggerId) =>
      triggerId === null ? of(null) : snapshotOnActivity$(merge(of(null), changes$), () => read(triggerId), throttleMs, scheduler).pipe(map((result) => ({ triggerId, result }))),
    ),
  )
}

/**
 * What a firing stood for, in the UI's words (`triggerForm.why.*`), from its cause-specific detail; null when the cause says it all.
 * `translated`: values that are themselves keys, to be said in the UI's language first (a system event's name).
 */
export function firingWhy(firing: Firing): { key: string; values: Record<string, string | number>; translated?: Record<string, string> } | null {
  const detail = firing.detail
  const count = (key: string): number => (typeof detail[key] === 'number' ? detail[key] : 0)
  const stillActive = Array.isArray(detail.stillActive) ? detail.stillActive.filter((id) => typeof id === 'number') : []
  if (stillActive.length > 0) return { key: 'triggerForm.why.stillActive', values: { tasks: stillActive.map((id) => `#${id}`).join(', ') } }
  switch (firing.cause) {
    case 'catch-up':
      return { key: 'triggerForm.why.caughtUp', values: { count: count('missed') } }
    case 'file': {
      const paths = Array.isArray(detail.changedPaths) ? detail.changedPaths.filter((p) => typeof p === 'string') : []
      return { key: 'triggerForm.why.changed', values: { count: count('changedCount') || paths.length, first: paths[0] ?? '' } }
    }
    case 'completion':
      return { key: 'triggerForm.why.after', values: { task: count('sourceTaskId'), status: typeof detail.sourceStatus === 'string' ? detail.sourceStatus : 'finished' } }
    case 'webhook':
      return { key: 'triggerForm.why.webhook', values: { count: count('bytes'), type: typeof detail.contentType === 'string' ? detail.contentType : '' } }
    case 'system': {
      const event = SYSTEM_EVENTS.find((known) => known === detail.event)
      if (event === undefined) return null
      const translated = { event: `triggerForm.systemEventNames.${event}` }
      if (typeof detail.sleptMs === 'number') return { key: 'triggerForm.why.woke', values: { minutes: Math.max(1, Math.round(detail.sleptMs / 60_000)) }, translated }
      return count('changes') > 1 ? { key: 'triggerForm.why.settled', values: { count: count('changes') }, translated } : { key: 'triggerForm.why.system', values: {}, translated }
    }
    default:
      return null
  }
}
