import { z } from 'zod'
import {
  EndReasonSchema,
  GroupSchema,
  LogStreamSchema,
  MachineConditionSchema,
  MachineStateSchema,
  ProgressSchema,
  RunIdSchema,
  RunSchema,
  RunStatusSchema,
  TaskIdSchema,
  TaskSchema,
  UsageSampleSchema,
  WaitReasonSchema,
} from './model.ts'
import { SettingsSchema } from './settings.ts'
import { TRIGGER_EVENT_SCHEMAS } from './triggers.ts'
import { WorkerHeartbeatSchema } from './workers.ts'

/**
 * Durable events are appended to the engine's SQLite event log, each with the next `seq`,
 * before anyone hears of them. A client that subscribes with `since: n` is sent every
 * durable event with `seq > n`, in order, then the live ones. State is a fold of these.
 */
const durable = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), seq: z.number().int().positive(), at: z.number(), ...shape })

export const TaskCreatedSchema = durable('task.created', { task: TaskSchema })
/** Any change to a task's definition, status, priority, wait reason or progress: the task as it now is. */
export const TaskUpdatedSchema = durable('task.updated', { task: TaskSchema })
export const TaskRemovedSchema = durable('task.removed', { taskIds: z.array(TaskIdSchema) })
export const RunStartedSchema = durable('run.started', { run: RunSchema })
/** A run changed while it runs: its process id once started, paused or resumed. */
export const RunUpdatedSchema = durable('run.updated', { run: RunSchema })
export const RunFinishedSchema = durable('run.finished', { run: RunSchema })
export const GroupUpdatedSchema = durable('group.updated', { group: GroupSchema })
export const GroupRemovedSchema = durable('group.removed', { name: z.string() })
export const EnginePausedSchema = durable('engine.paused', { paused: z.boolean() })
export const SettingsChangedSchema = durable('settings.changed', { settings: SettingsSchema })

export const DurableEventSchema = z.discriminatedUnion('type', [
  TaskCreatedSchema,
  TaskUpdatedSchema,
  TaskRemovedSchema,
  RunStartedSchema,
  RunUpdatedSchema,
  RunFinishedSchema,
  GroupUpdatedSchema,
  GroupRemovedSchema,
  EnginePausedSchema,
  SettingsChangedSchema,
  ...TRIGGER_EVENT_SCHEMAS,
])
export type DurableEvent = z.infer<typeof DurableEventSchema>

/**
 * Transient events are live only: they have no `seq` and are not replayed. Output is
 * durable in the run's log file instead; `line` is the number of the first line in
 * `text`, so a client that missed chunks sees the gap and reads it with `run.readLog`.
 */
export const RunOutputSchema = z.object({
  type: z.literal('run.output'),
  runId: RunIdSchema,
  taskId: TaskIdSchema,
  stream: LogStreamSchema,
  /** 0-based number of the first line this chunk starts or continues. */
  line: z.number().int().nonnegative(),
  text: z.string(),
  /**
   * Only on a `watched` subscription, when the server coalesced a fast run to its tail:
   * lines [skippedFrom, line) were left out (read them with run.readLog), and `text`
   * begins at the start of line `line`.
   */
  skippedFrom: z.number().int().nonnegative().optional(),
})
export type RunOutput = z.infer<typeof RunOutputSchema>
export const RunProgressSchema = z.object({
  type: z.literal('run.progress'),
  runId: RunIdSchema,
  taskId: TaskIdSchema,
  progress: ProgressSchema,
})

/**
 * A running run's CPU and memory, sampled about once a second while runs of this machine go
 * (shell runs: their process group; scripts: their worker thread; HTTP batches and runs on
 * remote workers are not sampled). Live only: what stays is `Run.usage`, the summary in `run.finished`.
 */
export const RunUsageEventSchema = z.object({
  type: z.literal('run.usage'),
  runId: RunIdSchema,
  taskId: TaskIdSchema,
  sample: UsageSampleSchema,
})
export type RunUsageEvent = z.infer<typeof RunUsageEventSchema>

/** Where a task stands in the engine's loop, as data (`LoopEntry.state`); `detail` words it in English. */
export const LoopStateSchema = z.discriminatedUnion('kind', [
  /** Runnable: `position` (1-based) in its group's queue. */
  z.object({ kind: z.literal('ready'), position: z.number().int().positive() }),
  /** Runnable but held: everything is paused. */
  z.object({ kind: z.literal('all-paused') }),
  /** Runnable but held: its group is paused (`reason`: the engine paused it, after a crash). */
  z.object({ kind: z.literal('group-paused'), reason: z.enum(['crash']).optional() }),
  /** Runnable but held: its group's machine conditions `unmet` (on battery, the user present, a metered network). */
  z.object({ kind: z.literal('machine'), unmet: z.array(MachineConditionSchema).min(1) }),
  /** Runnable but its group already runs `running` of its `parallel` slots. */
  z.object({ kind: z.literal('group-full'), running: z.number().int().nonnegative(), parallel: z.number().int().positive() }),
  /** Runnable but its group's rate (`max` starts per `perMs`) is used up: the next start may be at `until`. */
  z.object({ kind: z.literal('rate-limited'), max: z.number().int().positive(), perMs: z.number().int().positive(), until: z.number() }),
  /** Not runnable yet: why (null for a task with no recorded reason). */
  z.object({ kind: z.literal('waiting'), waitingFor: WaitReasonSchema.nullable() }),
  /** Its run is running (or, `paused`, stopped) since `since`, as process `pid` when it has one. */
  z.object({ kind: z.literal('running'), since: z.number(), pid: z.number().int().nullable() }),
  z.object({ kind: z.literal('paused'), since: z.number(), pid: z.number().int().nullable() }),
  /** Its run ended; `delivering` while the end is not yet durable and announced. */
  z.object({ kind: z.literal('finished'), status: RunStatusSchema, endReason: EndReasonSchema.nullable(), delivering: z.boolean() }),
])
export type LoopState = z.infer<typeof LoopStateSchema>

export const LoopEntrySchema = z.object({
  taskId: TaskIdSchema,
  name: z.string(),
  group: z.string(),
  /** `state` in an English sentence. */
  detail: z.string(),
  state: LoopStateSchema,
})
export type LoopEntry = z.infer<typeof LoopEntrySchema>
/** The engine's event loop made visible: who is ready, who waits and why, who just finished. */
export const LoopSnapshotSchema = z.object({
  ready: z.array(LoopEntrySchema),
  waiting: z.array(LoopEntrySchema),
  running: z.array(LoopEntrySchema),
  completion: z.array(LoopEntrySchema),
  paused: z.boolean(),
})
export type LoopSnapshot = z.infer<typeof LoopSnapshotSchema>

export const EngineStatsSchema = z.object({
  type: z.literal('engine.stats'),
  at: z.number(),
  /** Main-thread event-loop delay over the last interval, ms (resolution subtracted). */
  loopDelayMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }),
  /**
   * The Loop's lanes counted (`engine.loop`'s `ready`, `waiting` and `running`): `ready`, queued and
   * able to start now; `waiting`, queued but held back (all paused, group paused or full, machine
   * conditions) or waiting outside the queues (delay, dependency, backoff, paused without a run).
   * (Older servers counted every queued task as `ready` and only the waiting ones as `waiting`.)
   */
  queueDepth: z.object({ ready: z.number(), waiting: z.number(), running: z.number() }),
  /** Runs finished per second over the last interval. */
  throughput: z.number(),
  headSeq: z.number().int().nonnegative(),
})

/** What the engine knows of the machine changed (power source, user presence, a metered network): live only; `machine.get` reads it. */
export const MachineUpdatedSchema = z.object({
  type: z.literal('machine.updated'),
  machine: MachineStateSchema,
})

export const TransientEventSchema = z.discriminatedUnion('type', [
  RunOutputSchema,
  RunProgressSchema,
  RunUsageEventSchema,
  EngineStatsSchema,
  WorkerHeartbeatSchema,
  MachineUpdatedSchema,
])
export type TransientEvent = z.infer<typeof TransientEventSchema>

export const EngineEventSchema = z.union([DurableEventSchema, TransientEventSchema])
export type EngineEvent = DurableEvent | TransientEvent
export type EngineEventType = EngineEvent['type']

export const isDurable = (e: EngineEvent): e is DurableEvent => 'seq' in e

/** Every event type, durable then transient, read from the schemas (so a new event is in it). */
export const ENGINE_EVENT_TYPES = [...DurableEventSchema.options, ...TransientEventSchema.options].map((schema) => schema.shape.type.value) as [EngineEventType, ...EngineEventType[]]
export const EngineEventTypeSchema = z.enum(ENGINE_EVENT_TYPES)

/** The end of a switch that handles every event type (or any other union): a type error when a case is missing, a throw if one comes at run time. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`)
}
