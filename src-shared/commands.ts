import { z } from 'zod'
import { DurableEventSchema, LoopSnapshotSchema } from './events.ts'
import {
  GroupNameSchema,
  GroupRateSchema,
  GroupSchema,
  IdempotencyKeySchema,
  LIMITS,
  LogLineSchema,
  LogStreamSchema,
  MachineConditionSchema,
  MachineEventSchema,
  MachineStateSchema,
  OnFailureSchema,
  RunIdSchema,
  RunSchema,
  TaskDefinitionSchema,
  TaskIdSchema,
  TaskSchema,
  TaskStatusSchema,
  WhenUnmetSchema,
} from './model.ts'
import { FIELD_BY_FIELD_SETTINGS, SettingsSchema, type FieldByFieldSetting } from './settings.ts'
import { TRIGGER_COMMANDS } from './triggers.ts'
import { WORKER_COMMANDS } from './workers.ts'

/** Which runs' live output an event subscription carries (see `events.subscribe`). */
export const OutputModeSchema = z.enum(['all', 'watched'])
export type OutputMode = z.infer<typeof OutputModeSchema>

/** The JSON format of `data.export` / `data.import`, versioned on its own. */
export const ExportDocumentSchema = z.object({
  format: z.literal('taskdeck-export'),
  version: z.literal(1),
  exportedAt: z.number(),
  groups: z.array(GroupSchema),
  tasks: z.array(TaskSchema),
  runs: z.array(RunSchema),
})
export type ExportDocument = z.infer<typeof ExportDocumentSchema>

/** An object naming the same fields as `shape`, each optional and of any value: checked later, as a whole. */
const sameKeys = (shape: Readonly<Record<string, z.ZodType>>) => z.object(Object.fromEntries(Object.keys(shape).map((key) => [key, z.unknown().optional()])))

/**
 * settings.set's patch names fields of the settings (those of FIELD_BY_FIELD_SETTINGS one by
 * one), so a misspelt one is refused instead of ignored; the values are checked on the merged settings.
 */
const SettingsPatchSchema = sameKeys(SettingsSchema.shape).extend(
  Object.fromEntries(FIELD_BY_FIELD_SETTINGS.map((key) => [key, sameKeys(SettingsSchema.shape[key].unwrap().shape).optional()])) as {
    [K in FieldByFieldSetting]: z.ZodOptional<ReturnType<typeof sameKeys>>
  },
)

/**
 * settings.set's `expect` (API revision 11): settings as the client read them, each compared by value with the
 * engine's; a field given here with another value refuses the change (`conflict`), so two clients that change one
 * setting from what they read (the favourites' list) cannot lose each other's change.
 */
export const SettingsExpectSchema = z.object(
  Object.fromEntries(Object.entries(SettingsSchema.shape).map(([key, field]) => [key, field.unwrap().optional()])) as {
    [K in keyof typeof SettingsSchema.shape]: z.ZodOptional<ReturnType<(typeof SettingsSchema.shape)[K]['unwrap']>>
  },
)
export type SettingsExpect = z.infer<typeof SettingsExpectSchema>

const taskIds = z.object({ taskIds: z.array(TaskIdSchema).min(1, 'name at least one task').max(LIMITS.taskIdsPerCommand) })
const affected = z.object({ affected: z.array(TaskIdSchema) })
const empty = z.object({})

/**
 * Every command, declared once: name → params and result schemas. Electron IPC, the
 * WebSocket and the CLI all carry exactly these. Params are validated at the boundary
 * (main side) before anything runs; results are typed for the client.
 */
const DECLARED = {
  /**
   * With `idempotencyKey`: a key already used by an existing task returns that task with
   * `duplicate: true` (nothing is added), or is refused (`conflict`) when this definition differs
   * from that task's; the key is free again once `task.clean` removes the task.
   */
  'task.submit': {
    params: z.object({ definition: TaskDefinitionSchema, idempotencyKey: IdempotencyKeySchema.optional() }),
    result: z.object({ task: TaskSchema, duplicate: z.boolean().optional() }),
  },
  /**
   * Adds many tasks in one group commit: all are stored or none (a refusal names the offending index).
   * `idempotencyKeys` (API revision 10), one per definition (`null`: none), does for each what task.submit's
   * `idempotencyKey` does: a key already used answers its task (its index listed in `duplicates`), with
   * another definition it is refused, naming the index; the new ones are stored together.
   */
  'task.submitMany': {
    params: z
      .object({
        definitions: z.array(TaskDefinitionSchema).min(1).max(LIMITS.submitManyCount),
        idempotencyKeys: z.array(IdempotencyKeySchema.nullable()).max(LIMITS.submitManyCount).optional(),
      })
      .superRefine((params, ctx) => {
        const keys = params.idempotencyKeys
        if (keys === undefined) return
        if (keys.length !== params.definitions.length) {
          ctx.addIssue({ code: 'custom', path: ['idempotencyKeys'], message: `gives ${keys.length} keys for ${params.definitions.length} definitions: give one per definition (null for none)` })
          return
        }
        const first = new Map<string, number>()
        keys.forEach((key, index) => {
          if (key === null) return
          const earlier = first.get(key)
          if (earlier !== undefined) ctx.addIssue({ code: 'custom', path: ['idempotencyKeys', index], message: `is the key of definition ${earlier} too: one key, one task` })
          else first.set(key, index)
        })
      }),
    result: z.object({
      tasks: z.array(TaskSchema),
      /** With `idempotencyKeys`: the indexes answered with the task an earlier submit made (none stored for them). */
      duplicates: z.array(z.number().int().nonnegative()).optional(),
    }),
  },
  'task.list': {
    params: z.object({
      status: z.array(TaskStatusSchema).optional(),
      group: GroupNameSchema.optional(),
      label: z.string().max(LIMITS.labelChars).optional(),
      text: z.string().max(500).optional(),
      limit: z.number().int().min(1).max(100_000).default(1000),
      offset: z.number().int().min(0).default(0),
      /** Count `offset` and `limit` from the newest end: the `limit` newest matching tasks (still oldest first), e.g. a status view's last page. */
      newest: z.boolean().optional(),
      /** Also return the last run of each listed task (a table's exit code and duration, in one request). */
      withLastRuns: z.boolean().optional(),
    }),
    result: z.object({
      tasks: z.array(TaskSchema),
      total: z.number().int(),
      /** With `withLastRuns`: the run named by each listed task's lastRunId (tasks that have not run have none). */
      lastRuns: z.array(RunSchema).optional(),
    }),
  },
  'task.get': {
    params: z.object({ taskId: TaskIdSchema }),
    result: z.object({ task: TaskSchema, runs: z.array(RunSchema) }),
  },
  'task.cancel': { params: taskIds, result: affected },
  'task.pause': { params: taskIds, result: affected },
  'task.resume': { params: taskIds, result: affected },
  /** A finished task runs again from the same definition; earlier runs stay as history. */
  'task.retry': { params: taskIds, result: affected },
  'task.stash': { params: taskIds, result: affected },
  'task.unstash': { params: taskIds, result: affected },
  'task.edit': {
    params: z.object({ taskId: TaskIdSchema, definition: TaskDefinitionSchema }),
    result: z.object({ task: TaskSchema }),
  },
  'task.move': {
    params: z.object({ taskId: TaskIdSchema, to: z.enum(['up', 'down', 'top', 'bottom']) }),
    result: z.object({ task: TaskSchema }),
  },
  'task.send': {
    params: z.object({ taskId: TaskIdSchema, text: z.string().max(LIMITS.stdinChars) }),
    result: empty,
  },
  'task.clean': {
    params: z.object({
      olderThanMs: z.number().int().min(0).optional(),
      statuses: z.array(TaskStatusSchema).optional(),
      /** Only these tasks (like pueue's remove): each must exist and be finished, and no unfinished task may run after it. */
      taskIds: z.array(TaskIdSchema).min(1).max(10_000).optional(),
    }),
    result: z.object({ removed: z.array(TaskIdSchema) }),
  },
  'group.list': {
    params: empty,
    result: z.object({
      groups: z.array(GroupSchema),
      /** The whole engine is paused (engine.pause): no group starts a task. Absent from servers before it was added. */
      enginePaused: z.boolean().optional(),
    }),
  },
  'group.set': {
    params: z.object({
      name: GroupNameSchema,
      /** Absent: unchanged (a new group gets settings.defaultGroupParallel), so a change of conditions never undoes someone else's limit. */
      parallel: z.number().int().min(1, 'must be at least 1').max(LIMITS.groupParallel).optional(),
      /** false: only change an existing group; an unknown name is refused (not_found) instead of becoming a new group. */
      create: z.boolean().optional(),
      /** Machine conditions its runs need (`[]`: none); absent: unchanged (none for a new group). */
      onlyWhen: z.array(MachineConditionSchema).max(MachineConditionSchema.options.length).refine((list) => new Set(list).size === list.length, 'names a condition twice').optional(),
      /** What an unmet condition does to running runs; absent: unchanged (`wait` for a new group). */
      whenUnmet: WhenUnmetSchema.optional(),
      /** What a task's failure does; absent: unchanged (`continue` for a new group). */
      onFailure: OnFailureSchema.optional(),
      /** How often its runs may start; null: no limit; absent: unchanged (none for a new group). */
      rate: GroupRateSchema.nullable().optional(),
    }),
    result: z.object({ group: GroupSchema }),
  },
  'group.remove': { params: z.object({ name: GroupNameSchema }), result: empty },
  'group.pause': { params: z.object({ name: GroupNameSchema }), result: z.object({ group: GroupSchema }) },
  'group.resume': { params: z.object({ name: GroupNameSchema }), result: z.object({ group: GroupSchema }) },
  'engine.pause': { params: empty, result: empty },
  'engine.resume': { params: empty, result: empty },
  'engine.loop': { params: empty, result: LoopSnapshotSchema },
  /** What the engine knows of the machine (power source, user presence, whether the network is metered), which groups' `onlyWhen` conditions are judged by. */
  'machine.get': { params: empty, result: z.object({ machine: MachineStateSchema }) },
  /**
   * Tells the engine what a monitor observed: the desktop app's power monitor, or a user's
   * own script on a headless machine (`taskdeck machine`). Only the fields given change;
   * `null` makes one unknown again (counts as met).
   */
  'machine.report': {
    params: z
      .object({
        onAcPower: z.boolean().nullable().optional(),
        userIdle: z.boolean().nullable().optional(),
        networkMetered: z.boolean().nullable().optional(),
        /** Whether the network is reachable (API revision 9); system triggers fire `online` / `offline` on a change of it. */
        online: z.boolean().nullable().optional(),
        /** Whether the screen is locked (API revision 9); system triggers fire `lock` / `unlock` on a change of it. */
        screenLocked: z.boolean().nullable().optional(),
        /** Something that happened rather than a state (API revision 9): the machine woke from sleep, or is about to sleep. */
        event: MachineEventSchema.optional(),
        /** With `event: 'wake'`: how long the machine slept, when the monitor knows. */
        sleptMs: z.number().int().min(0).optional(),
      })
      .superRefine((report, ctx) => {
        if (report.sleptMs !== undefined && report.event !== 'wake') ctx.addIssue({ code: 'custom', path: ['sleptMs'], message: 'applies to event "wake" only' })
      }),
    result: z.object({ machine: MachineStateSchema }),
  },
  'run.readLog': {
    params: z.object({
      runId: RunIdSchema,
      fromLine: z.number().int().min(0).default(0),
      count: z.number().int().min(1).max(LIMITS.readLogMaxLines).default(1000),
      stream: LogStreamSchema.optional(),
    }),
    result: z.object({
      lines: z.array(LogLineSchema),
      totalLines: z.number().int(),
      droppedBytes: z.number().int(),
      done: z.boolean(),
    }),
  },
  /** Tasks, their runs and the groups, as a JSON document (no logs): a backup or a move to another machine. */
  'data.export': {
    params: z.object({ taskIds: z.array(TaskIdSchema).optional() }),
    result: ExportDocumentSchema,
  },
  /** Validated whole before anything is stored; imported tasks get new ids. */
  'data.import': {
    params: z.object({ document: ExportDocumentSchema }),
    result: z.object({ imported: z.array(z.object({ from: TaskIdSchema, to: TaskIdSchema })) }),
  },
  'settings.get': {
    params: empty,
    result: z.object({
      settings: SettingsSchema,
      /**
       * The event log's seq these settings reflect (every settings.changed up to it): a client folding the log
       * knows that a settings.changed at or below it is not newer. Absent from servers before it was added.
       */
      seq: z.number().int().nonnegative().optional(),
    }),
  },
  /**
   * Merges a partial change into the settings; the whole result is validated. With `expect` (API revision 11):
   * only when every setting it names has that value still; else refused (`conflict`, `details.setting` naming
   * the first that differs and `details.current` its value now, `details.issues` one per setting that differs),
   * changing nothing. A client re-reads, applies its change again and sends it with the new expectation.
   */
  'settings.set': {
    params: z.object({ patch: SettingsPatchSchema, expect: SettingsExpectSchema.optional() }),
    result: z.object({ settings: SettingsSchema }),
  },
  /**
   * Starts the event stream on this connection: every durable event after `since` is
   * replayed in order, then live events follow. `headSeq` is the newest seq at the moment
   * of subscribing. `output` chooses which runs' live output (run.output) is sent: `all`
   * (every run, every chunk), or `watched`: only the runs named with `output.watch`, and for
   * a run writing faster than the connection drains, its newest lines with a `skippedFrom`
   * gap marker instead of every chunk. Durable events and run.progress are never filtered.
   */
  'events.subscribe': {
    params: z.object({ since: z.number().int().min(0).default(0), output: OutputModeSchema.default('all') }),
    result: z.object({ headSeq: z.number().int() }),
  },
  /**
   * Sets the runs whose live output this connection receives when it subscribed with
   * `output: 'watched'` (replacing the previous set; `[]` watches none). Lasts for the
   * connection, across re-subscriptions.
   */
  'output.watch': {
    params: z.object({ runIds: z.array(RunIdSchema).max(LIMITS.watchedRuns) }),
    result: z.object({ runIds: z.array(RunIdSchema) }),
  },
  /** Durable events in a seq range, for clients that page through history. */
  'events.read': {
    params: z.object({ since: z.number().int().min(0), limit: z.number().int().min(1).max(10_000).default(1000) }),
    result: z.object({ events: z.array(DurableEventSchema), headSeq: z.number().int() }),
  },
  ...TRIGGER_COMMANDS,
  ...WORKER_COMMANDS,
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>

/**
 * The request side of a schema: a copy in which every object refuses keys it does not name
 * (zod's `unrecognized_keys`, with the path), so a misspelt field is an error instead of
 * silently absent: task.clean given list's `status` instead of `statuses` would otherwise
 * clean every finished task. Only params are strict: the same schemas read stored rows,
 * events and results, where a field from an older or newer version must not make history
 * unreadable. Free-form JSON (`z.json()`, a lazy schema) is left as it is. Hand-written
 * because zod 4 has no deep strict mode.
 */
export function strictRequest<T extends z.ZodType>(schema: T): T {
  // One copy per schema, so a shared type (TaskDefinition) stays one type on the request side too.
  const done = strictCopies.get(schema)
  if (done !== undefined) return done as T
  // A schema that contains itself (a recursion through a getter) refers to its copy lazily, as zod does.
  if (copying.has(schema)) return z.lazy(() => strictCopies.get(schema)!) as unknown as T
  copying.add(schema)
  try {
    const copy = strictCopyOf(schema)
    strictCopies.set(schema, copy)
    return copy
  } finally {
    copying.delete(schema)
  }
}

const strictCopies = new WeakMap<z.ZodType, z.ZodType>()
const copying = new Set<z.ZodType>()

function strictCopyOf<T extends z.ZodType>(schema: T): T {
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>
  const inner = (key: string) => strictRequest(def[key] as z.ZodType)
  const copy = (changes: Record<string, unknown>) => schema.clone({ ...def, ...changes }, { parent: true })
  switch (def.type) {
    case 'object': {
      const shape = Object.fromEntries(Object.entries(def.shape as Record<string, z.ZodType>).map(([key, value]) => [key, strictRequest(value)]))
      return copy({ shape, catchall: z.never() })
    }
    case 'array':
      return copy({ element: inner('element') })
    case 'tuple':
      return copy({ items: (def.items as z.ZodType[]).map((item) => strictRequest(item)), rest: def.rest ? inner('rest') : null })
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return copy({ innerType: inner('innerType') })
    case 'union':
      return copy({ options: (def.options as z.ZodType[]).map((option) => strictRequest(option)) })
    case 'intersection':
      return copy({ left: inner('left'), right: inner('right') })
    case 'record':
      return copy({ valueType: inner('valueType') })
    case 'pipe':
      return copy({ in: inner('in'), out: inner('out') })
    default:
      return schema
  }
}

export const COMMANDS = Object.fromEntries(
  Object.entries(DECLARED).map(([name, command]) => [name, { ...command, params: strictRequest(command.params) }]),
) as unknown as typeof DECLARED

export type CommandName = keyof typeof COMMANDS
export type CommandParams<N extends CommandName> = z.infer<(typeof COMMANDS)[N]['params']>
export type CommandInput<N extends CommandName> = z.input<(typeof COMMANDS)[N]['params']>
export type CommandResult<N extends CommandName> = z.infer<(typeof COMMANDS)[N]['result']>
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[]
export const isCommandName = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name)
