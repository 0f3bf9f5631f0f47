import { Cron } from 'croner'
import { z } from 'zod'
import { DEFAULT_FILE_EVENTS, FILE_EVENTS } from './file-events.ts'
import { IdempotencyKeySchema, LIMITS, TaskDefinitionSchema, TaskIdSchema, TaskSchema } from './model.ts'

/**
 * Saved tasks and the triggers that start them: schedules, file watches, webhooks, global
 * shortcuts, task completions and system events. Every trigger starts exactly one saved task; every firing
 * is recorded (history per trigger) and announced as a durable `trigger.fired` event.
 */

export const SavedTaskIdSchema = z.number().int().positive('saved task ids are positive integers')
export const TriggerIdSchema = z.number().int().positive('trigger ids are positive integers')
export const FiringIdSchema = z.number().int().positive()

/** POSIX, drive-letter or UNC: triggers run without a working directory to be relative to. */
const absolutePath = z
  .string()
  .min(1)
  .max(LIMITS.pathChars)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'), 'must be an absolute path')

const name = z.string().min(1, 'must not be empty').max(LIMITS.nameChars, `must be at most ${LIMITS.nameChars} characters`)

/** A named task definition kept for later: run by hand, from a favourite, or by a trigger. */
export const SavedTaskSchema = z.object({
  id: SavedTaskIdSchema,
  name,
  definition: TaskDefinitionSchema,
  createdAt: z.number(),
  updatedAt: z.number(),
})
export type SavedTask = z.infer<typeof SavedTaskSchema>

/** What happens to schedule slots that passed while the machine slept or the app was closed. */
export const CatchUpPolicySchema = z.enum(['skip', 'once', 'all'])
export type CatchUpPolicy = z.infer<typeof CatchUpPolicySchema>

const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** Why a cron pattern is refused, in croner's words, or null when it is usable. */
export function cronProblem(pattern: string, timezone?: string): string | null {
  try {
    const cron = new Cron(pattern, { paused: true, ...(timezone ? { timezone } : {}) })
    return cron.nextRun() ? null : 'never fires'
  } catch (error) {
    // croner prefixes its class name ("CronPattern: Invalid value for minute: 61").
    const message = (error instanceof Error ? error.message : String(error)).replace(/^Cron\w*: /, '')
    // "0 9 * * 1 2020" meant a year, but six fields start with seconds: say how they were read.
    const fields = pattern.trim().split(/\s+/).length
    const reading = FIELD_READINGS[fields]
    return reading && /^Invalid value for/.test(message) ? `${message} (${fields} fields are read as ${reading})` : message
  }
}

/** How croner reads the longer patterns, whose first field is not the minute. */
const FIELD_READINGS: Record<number, string> = {
  6: 'second minute hour day-of-month month day-of-week',
  7: 'second minute hour day-of-month month day-of-week year',
}

/**
 * What a slot does while a task this trigger started is still queued, waiting or running:
 * `allow` starts another beside it (cron's way), `skip` starts nothing and records the slot
 * as skipped (Cronicle's one-at-a-time, `flock -n`, Kubernetes' `Forbid`).
 */
export const OverlapPolicySchema = z.enum(['allow', 'skip'])
export type OverlapPolicy = z.infer<typeof OverlapPolicySchema>

/**
 * A cron pattern (5 or 6 fields, croner syntax, optional time zone) or a plain interval.
 * Exactly one of `cron` and `everyMs`.
 */
export const ScheduleSpecSchema = z
  .object({
    kind: z.literal('schedule'),
    cron: z.string().min(1).max(200).optional(),
    timezone: z.string().min(1).max(64).refine(isTimeZone, 'is not a known IANA time zone').optional(),
    everyMs: z.number().int().min(1000, 'must be at least 1000 ms').max(366 * 24 * 3600_000).optional(),
    catchUp: CatchUpPolicySchema.default('once'),
    /** With catchUp "all": at most this many missed runs are started; the rest are recorded as skipped. */
    maxCatchUp: z.number().int().min(1).max(1000).default(100),
    /** While an earlier task of this trigger has not finished, a slot starts another (`allow`, also when absent) or is skipped (`skip`); "Run now" always starts one. */
    overlap: OverlapPolicySchema.optional(),
  })
  .superRefine((spec, ctx) => {
    if ((spec.cron === undefined) === (spec.everyMs === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['cron'], message: 'give exactly one of cron and everyMs' })
      return
    }
    if (spec.timezone !== undefined && spec.cron === undefined) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'applies to cron schedules only' })
    }
    if (spec.cron !== undefined) {
      // An unknown time zone is its own issue, not a second one about the pattern.
      const problem = cronProblem(spec.cron, spec.timezone !== undefined && isTimeZone(spec.timezone) ? spec.timezone : undefined)
      if (problem) ctx.addIssue({ code: 'custom', path: ['cron'], message: `invalid cron expression "${spec.cron}": ${problem}` })
    }
  })

export const FileEventSchema = z.enum(FILE_EVENTS, { error: (issue) => `${JSON.stringify(issue.input)} is not one of ${FILE_EVENTS.join(', ')}` })
/** A changed path and what happened to it, as a file watch hands it to its task. */
export const FileChangeSchema = z.object({ path: z.string(), event: FileEventSchema })
export type FileChange = z.infer<typeof FileChangeSchema>

/**
 * Absolute paths or globs ("/src/**\/*.ts"); a glob watches the folder before its first
 * wildcard. A burst of changes within `debounceMs` of each other fires once with all paths.
 */
export const FileWatchSpecSchema = z.object({
  kind: z.literal('fileWatch'),
  paths: z
    .array(absolutePath)
    .min(1, 'name at least one path')
    .max(100),
  /** Which changes start it (chokidar's names): files added, changed, removed (`unlink`), folders added, removed. Default: files only, as before folders could be named. */
  events: z
    .array(FileEventSchema)
    .min(1, 'name at least one event')
    .max(FILE_EVENTS.length)
    .default([...DEFAULT_FILE_EVENTS]),
  debounceMs: z.number().int().min(0).max(3600_000).default(500),
  /** While changes keep coming, fire at least this often anyway (a log file that is always being written). */
  maxWaitMs: z.number().int().min(100).max(24 * 3600_000).default(30_000),
})

/** A webhook secret as given: long enough that guessing it at the rate limit is hopeless. */
export const WebhookSecretSchema = z
  .string()
  .min(16, 'must be at least 16 characters')
  .max(512)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')

/** How a webhook secret is kept: `scrypt$N$r$p$salt$hash` (salt and hash base64url). */
export const WEBHOOK_SECRET_HASH_PATTERN = /^scrypt\$\d{1,8}\$\d{1,3}\$\d{1,3}\$[\w-]{16,64}\$[\w-]{32,128}$/

/**
 * `POST /hooks/:triggerId` with the secret in `X-Taskdeck-Secret` (or `Authorization: Bearer`).
 * The body (JSON or text) is passed to the task. Only a salted hash of the secret is kept:
 * `secret` is input only (given, or generated when neither it nor `secretHash` is given) and
 * is answered once by `trigger.create` / `trigger.update`; stored triggers, events, lists and
 * exports carry `secretHash`, which an import takes as it is.
 */
export const WebhookSpecSchema = z
  .object({
    kind: z.literal('webhook'),
    secret: WebhookSecretSchema.optional(),
    secretHash: z.string().regex(WEBHOOK_SECRET_HASH_PATTERN, 'is not a Taskdeck webhook secret hash (scrypt$N$r$p$salt$hash)').optional(),
    /** Requests allowed per window, counting refused ones, so guessing the secret is slow. */
    rateLimit: z
      .object({ max: z.number().int().min(1).max(10_000), windowMs: z.number().int().min(1000).max(3600_000) })
      .default({ max: 30, windowMs: 60_000 }),
    maxBodyBytes: z
      .number()
      .int()
      .min(1)
      .max(LIMITS.stdinChars / 2)
      .default(256 * 1024),
  })
  .superRefine((spec, ctx) => {
    if (spec.secret !== undefined && spec.secretHash !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['secretHash'], message: 'give secret or secretHash, not both' })
    }
  })

const MODIFIERS: Record<string, string> = {
  commandorcontrol: 'CommandOrControl',
  cmdorctrl: 'CommandOrControl',
  command: 'Command',
  cmd: 'Command',
  control: 'Control',
  ctrl: 'Control',
  alt: 'Alt',
  option: 'Alt',
  altgr: 'AltGr',
  shift: 'Shift',
  super: 'Super',
  meta: 'Super',
}
const MODIFIER_ORDER = ['CommandOrControl', 'Command', 'Control', 'Alt', 'AltGr', 'Shift', 'Super']
const NAMED_KEYS = [
  'Plus', 'Space', 'Tab', 'Capslock', 'Numlock', 'Scrolllock', 'Backspace', 'Delete', 'Insert', 'Return', 'Enter',
  'Up', 'Down', 'Left', 'Right', 'Home', 'End', 'PageUp', 'PageDown', 'Escape', 'Esc', 'PrintScreen',
  'VolumeUp', 'VolumeDown', 'VolumeMute', 'MediaNextTrack', 'MediaPreviousTrack', 'MediaStop', 'MediaPlayPause',
  'num0', 'num1', 'num2', 'num3', 'num4', 'num5', 'num6', 'num7', 'num8', 'num9',
  'numdec', 'numadd', 'numsub', 'nummult', 'numdiv',
]
const KEY_BY_LOWER = new Map(NAMED_KEYS.map((k) => [k.toLowerCase(), k]))
/** Keys no other app is likely to want, allowed without a modifier. */
const STANDALONE_KEY = /^(F(1[3-9]|2[0-4])|Media\w+|Volume\w+)$/

/**
 * The one spelling of an Electron accelerator ("ctrl+shift+k" → "Control+Shift+K"), so two
 * spellings of the same chord are recognised as the same; null when it is not an accelerator.
 */
export function normalizeAccelerator(accelerator: string): string | null {
  const parts = accelerator.split('+').map((p) => p.trim())
  // "Control++" means Control and the plus key.
  if (accelerator.endsWith('++')) parts.splice(parts.length - 2, 2, 'Plus')
  const keyPart = parts.pop()
  if (!keyPart) return null
  const modifiers = new Set<string>()
  for (const part of parts) {
    const modifier = MODIFIERS[part.toLowerCase()]
    if (!modifier || modifiers.has(modifier)) return null
    modifiers.add(modifier)
  }
  let key: string | undefined
  if (/^[a-z0-9]$/i.test(keyPart)) key = keyPart.toUpperCase()
  else if (/^f([1-9]|1[0-9]|2[0-4])$/i.test(keyPart)) key = keyPart.toUpperCase()
  else if (/^[)!@#$%^&*(:;<=>?_~`'",./\\[\]{}|-]$/.test(keyPart)) key = keyPart
  else key = KEY_BY_LOWER.get(keyPart.toLowerCase())
  if (!key) return null
  if (modifiers.size === 0 && !STANDALONE_KEY.test(key)) return null
  return [...MODIFIER_ORDER.filter((m) => modifiers.has(m)), key].join('+')
}

/** A global shortcut; the desktop adapter registers the bindings (see `shortcutBindings`). */
export const ShortcutSpecSchema = z.object({
  kind: z.literal('shortcut'),
  accelerator: z
    .string()
    .min(1)
    .max(64)
    .refine(
      (a) => normalizeAccelerator(a) !== null,
      'is not a usable accelerator: give modifiers and one key, as in "CommandOrControl+Shift+K"',
    )
    .transform((a) => normalizeAccelerator(a) ?? a),
})

export const CompletionOutcomeSchema = z.enum(['succeeded', 'failed', 'finished'])
/**
 * Starts the saved task when a watched task ends: one task (`taskId`), any task with a
 * label (`label`), or any task started from a saved task (`afterSavedTaskId`, for chains).
 * "failed" covers failed, timed out and interrupted; "finished" is any end but cancelled.
 */
export const CompletionSpecSchema = z
  .object({
    kind: z.literal('completion'),
    when: CompletionOutcomeSchema,
    taskId: TaskIdSchema.optional(),
    label: z.string().min(1).max(LIMITS.labelChars).optional(),
    afterSavedTaskId: SavedTaskIdSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    const given = [spec.taskId, spec.label, spec.afterSavedTaskId].filter((v) => v !== undefined).length
    if (given !== 1) ctx.addIssue({ code: 'custom', path: ['taskId'], message: 'give exactly one of taskId, label and afterSavedTaskId' })
  })

/**
 * What happens to the machine that a system trigger can start a task on: it woke from sleep
 * (`wake`) or is about to sleep (`sleep`, best effort: only the desktop app hears it in time),
 * its power source changed (`ac-power`, `battery`), the screen was locked or unlocked, the
 * network became reachable or unreachable (`online`, `offline`), the user went away or came
 * back (`idle`, `active`). Read from what the engine knows of the machine (`machine.report`).
 */
export const SYSTEM_EVENTS = ['wake', 'sleep', 'ac-power', 'battery', 'lock', 'unlock', 'online', 'offline', 'idle', 'active'] as const
export const SystemEventSchema = z.enum(SYSTEM_EVENTS, { error: (issue) => `${JSON.stringify(issue.input)} is not one of ${SYSTEM_EVENTS.join(', ')}` })
export type SystemEvent = z.infer<typeof SystemEventSchema>

/**
 * Starts the saved task when one of `events` happens. A state that flaps (a network
 * dropping and coming back) fires once, after `debounceMs` without another change of it,
 * with the state it settled in; `wake` and `sleep` fire at once, and again only after
 * `debounceMs` (a wake told by two monitors starts one task).
 */
export const SystemSpecSchema = z.object({
  kind: z.literal('system'),
  events: z
    .array(SystemEventSchema)
    .min(1, 'name at least one event')
    .max(SYSTEM_EVENTS.length)
    .refine((events) => new Set(events).size === events.length, 'names an event twice'),
  debounceMs: z.number().int().min(0).max(3600_000).default(5000),
})

export const TriggerSpecSchema = z.discriminatedUnion('kind', [
  ScheduleSpecSchema,
  FileWatchSpecSchema,
  WebhookSpecSchema,
  ShortcutSpecSchema,
  CompletionSpecSchema,
  SystemSpecSchema,
])
export type TriggerSpec = z.infer<typeof TriggerSpecSchema>
export type TriggerSpecInput = z.input<typeof TriggerSpecSchema>
export type TriggerKind = TriggerSpec['kind']
export type ScheduleSpec = z.infer<typeof ScheduleSpecSchema>
export type FileWatchSpec = z.infer<typeof FileWatchSpecSchema>
export type WebhookSpec = z.infer<typeof WebhookSpecSchema>
export type ShortcutSpec = z.infer<typeof ShortcutSpecSchema>
export type CompletionSpec = z.infer<typeof CompletionSpecSchema>
export type SystemSpec = z.infer<typeof SystemSpecSchema>

/** What a user states about a trigger. */
export const TriggerInputSchema = z.object({
  name: name.optional(),
  savedTaskId: SavedTaskIdSchema,
  spec: TriggerSpecSchema,
  paused: z.boolean().default(false),
})
export type TriggerInput = z.input<typeof TriggerInputSchema>

export const TriggerSchema = z.object({
  id: TriggerIdSchema,
  name: z.string(),
  savedTaskId: SavedTaskIdSchema,
  spec: TriggerSpecSchema,
  paused: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
  lastFiredAt: z.number().nullable(),
  /** Schedules only, while not paused: when it fires next. */
  nextRunAt: z.number().nullable(),
})
export type Trigger = z.infer<typeof TriggerSchema>

export const FiringCauseSchema = z.enum(['schedule', 'catch-up', 'file', 'webhook', 'shortcut', 'completion', 'manual', 'system'])
export type FiringCause = z.infer<typeof FiringCauseSchema>

/** One entry of a trigger's history: what fired, why, and the task it created (or why not). */
export const FiringSchema = z.object({
  id: FiringIdSchema,
  /** Null when a saved task was run by hand (`savedTask.run`). */
  triggerId: TriggerIdSchema.nullable(),
  savedTaskId: SavedTaskIdSchema,
  firedAt: z.number(),
  cause: FiringCauseSchema,
  /** The schedule slot this firing stands for (schedules only). */
  scheduledFor: z.number().nullable(),
  outcome: z.enum(['submitted', 'skipped', 'failed']),
  taskId: TaskIdSchema.nullable(),
  error: z.string().nullable(),
  /** Cause-specific facts: missed slots, changed paths, the finished task, the request size. */
  detail: z.record(z.string(), z.json()),
})
export type Firing = z.infer<typeof FiringSchema>

/** The JSON format of `trigger.export` / `trigger.import`; ids are only references inside the document. */
export const TriggersDocumentSchema = z.object({
  format: z.literal('taskdeck-triggers'),
  version: z.literal(1),
  exportedAt: z.number(),
  savedTasks: z.array(z.object({ id: SavedTaskIdSchema, name, definition: TaskDefinitionSchema })).max(10_000),
  triggers: z
    .array(z.object({ id: TriggerIdSchema, name: name.optional(), savedTaskId: SavedTaskIdSchema, spec: TriggerSpecSchema, paused: z.boolean() }))
    .max(10_000),
})
export type TriggersDocument = z.infer<typeof TriggersDocumentSchema>

/** A task a project folder offers: from its `taskdeck.json`, its npm scripts or its Makefile targets. */
export const SavedTaskCandidateSchema = z.object({
  name,
  definition: TaskDefinitionSchema,
  source: z.enum(['taskdeck.json', 'package.json', 'Makefile']),
})
export type SavedTaskCandidate = z.infer<typeof SavedTaskCandidateSchema>

const folder = absolutePath

const savedTaskRef = z.object({ savedTaskId: SavedTaskIdSchema })
const triggerRef = z.object({ triggerId: TriggerIdSchema })
/** An import's ids: the document's (`from`) and this Taskdeck's (`to`); `existed` when it was already here and nothing was added. */
const idMap = z.array(z.object({ from: z.number().int(), to: z.number().int(), existed: z.literal(true).optional() }))

export const TRIGGER_COMMANDS = {
  'savedTask.list': { params: z.object({}), result: z.object({ savedTasks: z.array(SavedTaskSchema) }) },
  'savedTask.create': {
    params: z.object({ name, definition: TaskDefinitionSchema }),
    result: z.object({ savedTask: SavedTaskSchema }),
  },
  'savedTask.update': {
    params: z.object({ savedTaskId: SavedTaskIdSchema, name: name.optional(), definition: TaskDefinitionSchema.optional() }),
    result: z.object({ savedTask: SavedTaskSchema }),
  },
  /** Refused while triggers still start it; remove those first. */
  'savedTask.remove': { params: savedTaskRef, result: z.object({}) },
  /**
   * `payload`: handed to the task as `trigger.fire`'s is (the firing's `payload`, on stdin or as a script's `input`).
   * `idempotencyKey` (API revision 13): as `trigger.fire`'s.
   */
  'savedTask.run': {
    params: savedTaskRef.extend({ payload: z.json().optional(), idempotencyKey: IdempotencyKeySchema.optional() }),
    result: z.object({ task: TaskSchema, firing: FiringSchema, duplicate: z.boolean().optional() }),
  },
  /** What a project folder offers (taskdeck.json, npm scripts, Makefile targets), each running in that folder. Stores nothing. */
  'savedTask.discover': { params: z.object({ folder }), result: z.object({ candidates: z.array(SavedTaskCandidateSchema) }) },
  /** Saves the folder's candidates (all, or those named), validated whole first. */
  'savedTask.importFolder': {
    params: z.object({ folder, names: z.array(name).min(1).max(1000).optional() }),
    result: z.object({ savedTasks: z.array(SavedTaskSchema) }),
  },
  'trigger.list': {
    params: z.object({ savedTaskId: SavedTaskIdSchema.optional() }),
    result: z.object({ triggers: z.array(TriggerSchema) }),
  },
  'trigger.get': {
    params: triggerRef.extend({ historyLimit: z.number().int().min(1).max(1000).default(50) }),
    result: z.object({
      trigger: TriggerSchema,
      /** Newest first. */
      history: z.array(FiringSchema),
      /** Schedules: the next few run times. */
      upcoming: z.array(z.number()),
    }),
  },
  /**
   * `secret`: a webhook's secret (the one given, or a generated one), answered only here: it is never stored.
   * `savedTask` in place of `trigger.savedTaskId` (API revision 5): a new saved task for the trigger, checked
   * with it and saved with it once both are valid, or not at all (no id is used up by a refusal); answered as `savedTask`.
   */
  'trigger.create': {
    params: z
      .object({
        trigger: TriggerInputSchema.extend({ savedTaskId: SavedTaskIdSchema.optional() }),
        savedTask: z.object({ name, definition: TaskDefinitionSchema }).optional(),
      })
      .superRefine((params, ctx) => {
        if ((params.trigger.savedTaskId === undefined) === (params.savedTask === undefined)) {
          ctx.addIssue({ code: 'custom', path: ['trigger', 'savedTaskId'], message: 'give exactly one of trigger.savedTaskId and savedTask' })
        }
      }),
    result: z.object({ trigger: TriggerSchema, secret: z.string().optional(), savedTask: SavedTaskSchema.optional() }),
  },
  /**
   * Replaces saved task and spec (and name and paused when given); history stays. A webhook
   * keeps its secret unless the spec gives a new `secret` (or `secretHash`) or `rotateSecret`
   * asks for a generated one, which is then answered once as `secret`.
   */
  'trigger.update': {
    params: triggerRef.extend({ trigger: TriggerInputSchema.extend({ paused: z.boolean().optional() }), rotateSecret: z.boolean().optional() }),
    result: z.object({ trigger: TriggerSchema, secret: z.string().optional() }),
  },
  'trigger.remove': { params: triggerRef, result: z.object({}) },
  'trigger.pause': { params: triggerRef, result: z.object({ trigger: TriggerSchema }) },
  /** A resumed schedule does not catch up the slots that passed while it was paused. */
  'trigger.resume': { params: triggerRef, result: z.object({ trigger: TriggerSchema }) },
  /**
   * Cronicle's "time machine": a schedule's slots after `from` (and up to now) count as missed
   * and its catch-up policy (once or all) runs them now, as after downtime. For re-running what
   * a broken script or a wrong schedule let pass.
   */
  'trigger.catchUp': {
    params: triggerRef.extend({ from: z.number().int().min(0) }),
    result: z.object({ trigger: TriggerSchema, missed: z.array(z.number()) }),
  },
  /**
   * "Run now": fires even a paused trigger. With `idempotencyKey` (API revision 13), the task carries it as
   * `task.submit`'s would: a call again with the key (a client that got no answer) answers the firing (and task)
   * the first call made with `duplicate: true`, starting nothing, and a key another request's task carries is
   * refused (`conflict`, naming `idempotencyKey`); free again once `task.clean` removes the task. A call that
   * died with Taskdeck after its task was stored is recorded at the restart (`detail.recovered`).
   */
  'trigger.fire': {
    params: triggerRef.extend({ payload: z.json().optional(), idempotencyKey: IdempotencyKeySchema.optional() }),
    result: z.object({ firing: FiringSchema, duplicate: z.boolean().optional() }),
  },
  'trigger.export': { params: z.object({}), result: TriggersDocumentSchema },
  /**
   * Validated whole (schemas, references, paths, shortcut clashes) before anything is stored; new ids are given.
   * A saved task with the same name and definition, or a trigger with the same name, saved task and spec, is
   * already here: answered with `existed: true` and not added again.
   */
  'trigger.import': {
    params: z.object({ document: TriggersDocumentSchema }),
    result: z.object({ savedTasks: idMap, triggers: idMap }),
  },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>

export type TriggerCommandName = keyof typeof TRIGGER_COMMANDS

const durable = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), seq: z.number().int().positive(), at: z.number(), ...shape })

/** A firing, with the trigger as it now is (last fired, next run); `trigger` is null for `savedTask.run`. */
export const TriggerFiredSchema = durable('trigger.fired', { firing: FiringSchema, trigger: TriggerSchema.nullable() })
export const TriggerUpdatedSchema = durable('trigger.updated', { trigger: TriggerSchema })
export const TriggerRemovedSchema = durable('trigger.removed', { triggerId: TriggerIdSchema })
export const SavedTaskUpdatedSchema = durable('savedTask.updated', { savedTask: SavedTaskSchema })
export const SavedTaskRemovedSchema = durable('savedTask.removed', { savedTaskId: SavedTaskIdSchema })

export const TRIGGER_EVENT_SCHEMAS = [
  TriggerFiredSchema,
  TriggerUpdatedSchema,
  TriggerRemovedSchema,
  SavedTaskUpdatedSchema,
  SavedTaskRemovedSchema,
] as const
