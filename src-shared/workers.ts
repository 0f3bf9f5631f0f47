import { z } from 'zod'
import { GroupNameSchema, RunIdSchema, TaskIdSchema } from './model.ts'

/**
 * Remote workers and remote groups: a group bound to a Redis connection runs its tasks on
 * `taskdeck worker` processes (BullMQ). Workers announce themselves with heartbeats; every
 * connected app lists them and streams `worker.heartbeat` events to its clients.
 */

/** One run a worker is executing right now. */
export const WorkerRunSchema = z.object({
  /** The BullMQ job id: `run.<source>.<runId>`. */
  jobId: z.string(),
  /** The app (engine) that submitted it; run and task ids are that app's. */
  source: z.string(),
  runId: RunIdSchema,
  taskId: TaskIdSchema,
  attempt: z.number().int().positive(),
  name: z.string(),
  startedAt: z.number(),
})
export type WorkerRun = z.infer<typeof WorkerRunSchema>

export const WorkerStateSchema = z.enum(['running', 'draining', 'stopped'])
export type WorkerState = z.infer<typeof WorkerStateSchema>

export const WorkerInfoSchema = z.object({
  /** `<host>:<pid>:<random>`; the `worker` field of a run that ran on it. */
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  group: GroupNameSchema,
  concurrency: z.number().int().positive(),
  state: WorkerStateSchema,
  /** os.loadavg(): 1, 5 and 15 minute load averages. */
  load: z.tuple([z.number(), z.number(), z.number()]),
  cpus: z.number().int().nonnegative(),
  memory: z.object({ rssBytes: z.number(), freeBytes: z.number(), totalBytes: z.number() }),
  running: z.array(WorkerRunSchema),
  /** Runs finished by this worker since it started. */
  finished: z.number().int().nonnegative(),
  startedAt: z.number(),
  /** When this heartbeat was sent (the worker's clock). */
  at: z.number(),
  version: z.string(),
})
export type WorkerInfo = z.infer<typeof WorkerInfoSchema>

/** A Redis connection as the user enters it. The password may also sit in the URL. */
export const RedisConnectionInputSchema = z.object({
  url: z
    .string()
    .max(2048)
    .refine((u) => URL.canParse(u) && /^rediss?:$/.test(new URL(u).protocol), 'must be a redis:// or rediss:// URL'),
  password: z.string().max(1024).optional(),
  /** Verify the server certificate (rediss:// only). */
  tlsRejectUnauthorized: z.boolean().default(true),
})
export type RedisConnectionInput = z.input<typeof RedisConnectionInputSchema>

export const RemoteStatusSchema = z.enum(['connecting', 'connected', 'unreachable', 'refused'])
export type RemoteStatus = z.infer<typeof RemoteStatusSchema>

export const WhenUnreachableSchema = z.enum(['wait', 'local'])
export type WhenUnreachable = z.infer<typeof WhenUnreachableSchema>

/** A group bound to Redis, as every client may see it: the password is never included. */
export const RemoteBindingSchema = z.object({
  group: GroupNameSchema,
  /** The URL without credentials: "redis://redis.lan:6379/0". */
  redis: z.string(),
  status: RemoteStatusSchema,
  /** Why the connection is not usable, in a sentence ("maxmemory-policy is allkeys-lru; …"). */
  reason: z.string().nullable(),
  /** How the secret is kept on this machine: "safeStorage (keychain)", "file (0600)". */
  secretStorage: z.string(),
  whenUnreachable: WhenUnreachableSchema,
  /** Overflow placement: this many of the group's runs execute in this app, the rest on workers; null: every run on workers. */
  localSlots: z.number().int().positive().nullable().default(null),
})
export type RemoteBinding = z.infer<typeof RemoteBindingSchema>

export const WORKER_COMMANDS = {
  /** Workers seen through every bound Redis in the last few heartbeats. */
  'worker.list': {
    params: z.object({ group: GroupNameSchema.optional() }),
    result: z.object({ workers: z.array(WorkerInfoSchema) }),
  },
  /**
   * Binds a group to a Redis connection: its tasks then run on `taskdeck worker` processes.
   * Refused when Redis is unreachable or its maxmemory-policy is not noeviction.
   */
  'group.bindRemote': {
    params: z.object({
      name: GroupNameSchema,
      connection: RedisConnectionInputSchema,
      /** While Redis is unreachable: keep runs waiting for it, or run them in this app instead. */
      whenUnreachable: WhenUnreachableSchema.default('wait'),
      /**
       * Overflow placement: run up to this many of the group's runs in this app and hand only
       * the rest to Redis workers (the group's `parallel` still bounds them all). Omitted: every run on workers.
       */
      localSlots: z.number().int().min(1).max(1024).optional(),
    }),
    result: z.object({ binding: RemoteBindingSchema }),
  },
  /** Runs of the group that are not yet finished keep running remotely and still report back. */
  'group.unbindRemote': { params: z.object({ name: GroupNameSchema }), result: z.object({}) },
  'group.listRemote': { params: z.object({}), result: z.object({ bindings: z.array(RemoteBindingSchema) }) },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>

/** Transient: a worker's heartbeat (every few seconds), or its last one with state "stopped". */
export const WorkerHeartbeatSchema = z.object({ type: z.literal('worker.heartbeat'), worker: WorkerInfoSchema })
export type WorkerHeartbeat = z.infer<typeof WorkerHeartbeatSchema>
export type WorkerCommandName = keyof typeof WORKER_COMMANDS
