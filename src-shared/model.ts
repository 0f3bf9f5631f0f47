import { z } from 'zod'

/** Limits applied at the boundary so hostile input is refused before it costs anything. */
export const LIMITS = {
  nameChars: 200,
  commandChars: 64 * 1024,
  argCount: 4096,
  envEntries: 512,
  envValueChars: 32 * 1024,
  pathChars: 4096,
  labelCount: 32,
  labelChars: 64,
  stdinChars: 1024 * 1024,
  urlCount: 100_000,
  urlChars: 8192,
  dependencyCount: 1000,
  readLogMaxLines: 10_000,
  /** Definitions in one task.submitMany. */
  submitManyCount: 10_000,
  /** Task ids in one task.cancel / pause / resume / retry / stash / unstash (applied all or none). */
  taskIdsPerCommand: 10_000,
  messageBytes: 4 * 1024 * 1024,
  /** Runs one connection can watch the live output of (output.watch). */
  watchedRuns: 100,
  /** A group's parallel limit (and the settings' default for new groups). */
  groupParallel: 1024,
  /** A group's rate limit: at most this many starts per window, and the window's range (1 s to 1 day). */
  groupRateMax: 100_000,
  groupRateMinPerMs: 1000,
  groupRateMaxPerMs: 86_400_000,
  /** The per-run log cap's range (settings.logCapBytes). */
  logCapMinBytes: 64 * 1024,
  logCapMaxBytes: 10 * 1024 ** 3,
  /** A task's `limits.maxMemoryMb` at most: 1 TB. */
  maxMemoryMb: 1024 * 1024,
  /** A task's `limits.maxCpuSeconds` at most: a year. */
  maxCpuSeconds: 366 * 24 * 3600,
} as const

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`)
const nonEmpty = (max: number) => text(max).min(1, 'must not be empty')
const positiveMs = z.number().int().positive('must be a positive number of milliseconds')

export const EnvSchema = z
  .record(
    z.string().min(1).max(256).regex(/^[^=\0]+$/, 'environment variable names may not contain = or NUL'),
    text(LIMITS.envValueChars),
  )
  .refine((env) => Object.keys(env).length <= LIMITS.envEntries, `at most ${LIMITS.envEntries} variables`)

/**
 * A shell task. `command` as a string runs through the user's shell (explicitly, `shell`
 * or $SHELL or /bin/sh); as an argv array it runs without any shell, so nothing in it is
 * ever interpreted.
 */
export const ShellSpecSchema = z.object({
  kind: z.literal('shell'),
  command: z.union([
    nonEmpty(LIMITS.commandChars),
    z
      .array(text(LIMITS.commandChars))
      .min(1, 'argv needs at least the program')
      .max(LIMITS.argCount)
      .refine((argv) => argv[0] !== '', { message: 'the program must not be empty', path: [0] }),
  ]),
  shell: nonEmpty(LIMITS.pathChars).optional(),
  cwd: nonEmpty(LIMITS.pathChars).optional(),
  env: EnvSchema.optional(),
  stdin: text(LIMITS.stdinChars).optional(),
  /**
   * Run the command on a terminal (a pseudo-terminal, through script(1)), so that programs that
   * colour or draw progress only on a terminal do so (API revision 12). Its output is one stream:
   * a terminal merges stdout and stderr, and the log has it all as stdout. Not on Windows.
   */
  tty: z.boolean().optional(),
})

export const HttpRequestSchema = z.object({
  url: z
    .string()
    .max(LIMITS.urlChars)
    .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL'),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH']).default('GET'),
  headers: z.record(z.string().max(256), z.string().max(8192)).optional(),
  body: z.string().max(LIMITS.stdinChars).optional(),
})

/** A batch of HTTP requests fetched concurrently with a bound, like an async gather. */
export const HttpSpecSchema = z.object({
  kind: z.literal('http'),
  requests: z.array(HttpRequestSchema).min(1, 'needs at least one URL').max(LIMITS.urlCount),
  concurrency: z.number().int().min(1).max(256).default(8),
  requestTimeoutMs: positiveMs.default(30_000),
  maxBytes: z.number().int().positive().default(100 * 1024 * 1024),
  followRedirects: z.boolean().default(true),
  retriesPerRequest: z.number().int().min(0).max(20).default(0),
  saveDir: nonEmpty(LIMITS.pathChars).optional(),
})

/** A JavaScript module run in a worker thread; it exports a default (async) function. */
export const ScriptSpecSchema = z.object({
  kind: z.literal('script'),
  path: nonEmpty(LIMITS.pathChars),
  input: z.json().optional(),
})

export const TaskSpecSchema = z.discriminatedUnion('kind', [ShellSpecSchema, HttpSpecSchema, ScriptSpecSchema])

export const RetryPolicySchema = z.object({
  maxAttempts: z.number().int().min(1).max(100),
  backoffMs: positiveMs.default(1000),
  factor: z.number().min(1).max(10).default(2),
  maxBackoffMs: positiveMs.default(10 * 60_000),
  jitter: z.number().min(0).max(1).default(0.2),
})

export const NotifyPolicySchema = z.enum(['default', 'always', 'failure', 'never'])

export const GroupNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" or "-"')

export const TaskIdSchema = z.number().int().positive('task ids are positive integers')

/**
 * A client's name for one submission (`task.submit`'s `idempotencyKey`): a second submit with
 * the same key returns the task the first one made instead of making another, for as long as
 * that task exists. 1–255 printable ASCII characters without spaces (a UUID, a delivery id,
 * "deploy-2026-11-22"), like the `Idempotency-Key` header's usual values.
 */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]+$/
export const IdempotencyKeySchema = z
  .string()
  .min(1, 'an idempotency key is 1 to 255 characters')
  .max(255, 'an idempotency key is 1 to 255 characters')
  .regex(IDEMPOTENCY_KEY_PATTERN, 'an idempotency key is printable ASCII without spaces (letters, digits, punctuation)')
export const RunIdSchema = z.number().int().positive('run ids are positive integers')

/** The most a run may use (`TaskDefinition.limits`): memory in MB, CPU time in seconds. Kept with a task of any kind, enforced where usage is measured (shell and script runs on this machine). */
export const ResourceLimitsSchema = z.object({
  /** The run's memory at most, in MB (1 MB = 2^20 bytes): a shell run's process group (resident set, summed), a script's worker-thread heap. */
  maxMemoryMb: z
    .number({ error: 'maxMemoryMb must be a number of MB' })
    .int('maxMemoryMb must be a whole number of MB')
    .min(1, 'maxMemoryMb must be at least 1 MB')
    .max(LIMITS.maxMemoryMb, `maxMemoryMb must be at most ${LIMITS.maxMemoryMb} MB (1 TB)`)
    .optional(),
  /** The run's CPU time at most, in seconds (user + system, every process of the run). */
  maxCpuSeconds: z
    .number({ error: 'maxCpuSeconds must be a number of seconds' })
    .positive('maxCpuSeconds must be more than 0 seconds')
    .max(LIMITS.maxCpuSeconds, `maxCpuSeconds must be at most ${LIMITS.maxCpuSeconds} seconds (a year)`)
    .optional(),
})
export type ResourceLimits = z.infer<typeof ResourceLimitsSchema>

/** Everything a user states about a task. Defaults are filled in at the boundary. */
export const TaskDefinitionSchema = z.object({
  name: text(LIMITS.nameChars).optional(),
  spec: TaskSpecSchema,
  group: GroupNameSchema.default('default'),
  priority: z.number().int().min(-1000).max(1000).default(0),
  labels: z.array(nonEmpty(LIMITS.labelChars)).max(LIMITS.labelCount).default([]),
  after: z.array(TaskIdSchema).max(LIMITS.dependencyCount).default([]),
  timeoutMs: positiveMs.optional(),
  retry: RetryPolicySchema.optional(),
  delayMs: positiveMs.optional(),
  runAt: z.number().int().positive().optional(),
  stashed: z.boolean().default(false),
  retryOnInterrupt: z.boolean().default(false),
  notify: NotifyPolicySchema.default('default'),
  /** Memory and CPU time a run may use before it is stopped (see ResourceLimitsSchema); absent: no limit. */
  limits: ResourceLimitsSchema.optional(),
})

export type ShellSpec = z.infer<typeof ShellSpecSchema>
export type HttpSpec = z.infer<typeof HttpSpecSchema>
export type ScriptSpec = z.infer<typeof ScriptSpecSchema>
export type TaskSpec = z.infer<typeof TaskSpecSchema>
export type RetryPolicy = z.infer<typeof RetryPolicySchema>
export type NotifyPolicy = z.infer<typeof NotifyPolicySchema>
/** A definition as stored: defaults applied. */
export type TaskDefinition = z.infer<typeof TaskDefinitionSchema>
/** A definition as a client may send it: defaults optional. */
export type TaskDefinitionInput = z.input<typeof TaskDefinitionSchema>

export const TASK_STATUSES = [
  'stashed', // kept, not scheduled until unstashed
  'waiting', // blocked: dependency, delay, backoff, pause (see `waitingFor`)
  'queued', // runnable, waiting for a slot in its group
  'running',
  'paused', // running process stopped (SIGSTOP) or held
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'interrupted', // was running when the engine died
] as const
export const TaskStatusSchema = z.enum(TASK_STATUSES)
export type TaskStatus = z.infer<typeof TaskStatusSchema>

/** How a task can end without success. */
export const UNSUCCESSFUL_STATUSES = ['failed', 'cancelled', 'timed_out', 'interrupted'] as const
export type UnsuccessfulStatus = (typeof UNSUCCESSFUL_STATUSES)[number]
export const isUnsuccessful = (s: TaskStatus): s is UnsuccessfulStatus => (UNSUCCESSFUL_STATUSES as readonly TaskStatus[]).includes(s)
export const FINISHED_STATUSES: readonly TaskStatus[] = ['succeeded', ...UNSUCCESSFUL_STATUSES]
export const isFinished = (s: TaskStatus): boolean => FINISHED_STATUSES.includes(s)

export const RunStatusSchema = z.enum(['running', 'paused', 'succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted'])
export type RunStatus = z.infer<typeof RunStatusSchema>

/**
 * A state of the machine a group can make its runs wait for (power- and presence-aware
 * scheduling): `ac-power`, on mains power rather than battery; `user-idle`, the user away
 * (no input for `settings.idleAfterMinutes`, or the screen locked); `unmetered-network`, the
 * machine's network not metered (not a phone hotspot or a capped mobile plan).
 */
export const MachineConditionSchema = z.enum(['ac-power', 'user-idle', 'unmetered-network'])
export type MachineCondition = z.infer<typeof MachineConditionSchema>

/** What a machine monitor reports as having happened, not as a state: the machine woke from sleep, or is about to sleep. */
export const MachineEventSchema = z.enum(['wake', 'sleep'])
export type MachineEvent = z.infer<typeof MachineEventSchema>

/** While a group's condition is unmet: `wait` starts no new run; `pause` also pauses its running runs (resumed when met again). */
export const WhenUnmetSchema = z.enum(['wait', 'pause'])
export type WhenUnmet = z.infer<typeof WhenUnmetSchema>

/**
 * What the engine knows of the machine. `null` where it cannot tell (a headless server
 * knows no user presence; a machine without power-supply information): a condition on an
 * unknown state counts as met, so nothing waits forever for what nobody can report.
 */
export const MachineStateSchema = z.object({
  /** true on mains power, false on battery. */
  onAcPower: z.boolean().nullable(),
  /** true while the user is away. */
  userIdle: z.boolean().nullable(),
  /** true on a metered network (a phone hotspot, a capped plan), false on an unmetered one; absent from servers before it was added (unknown). */
  networkMetered: z.boolean().nullable().optional(),
  /**
   * Conditions whose reading is not in (absent: none): a system monitor reads them only while some group
   * needs them, so one is pending from the engine's start, or from the moment a group needs it again, until
   * its first look answers (or fails), and again once no group needs it (not watched; its value is not
   * current). A group with a pending condition starts no new run until it is read (it pauses none); a
   * report of it (`machine.report`) ends it. Absent from servers before it was added.
   */
  pending: z.array(MachineConditionSchema).optional(),
  /**
   * The groups whose new runs the engine holds now for their `onlyWhen` conditions, each with the conditions
   * that hold it (unmet or pending), in the group's order; a group not named runs. The engine's own judgement,
   * announced with every change of it (a report, or a group's conditions changed), so clients need not
   * judge. Absent from servers before it was added: judge with `unmetConditions` then (`heldConditions`).
   */
  held: z.record(z.string(), z.array(MachineConditionSchema).min(1)).optional(),
  /** true while the network is reachable (a non-virtual interface up), false when none is; absent from servers before it was added (unknown). */
  online: z.boolean().nullable().optional(),
  /** true while the screen is locked (the desktop app's power monitor says so); absent: unknown. */
  screenLocked: z.boolean().nullable().optional(),
  /** The machine's last resume from sleep, as a monitor reported it (`sleptMs`: how long it slept, when known). Absent: none since the engine opened. */
  lastWake: z.object({ at: z.number(), sleptMs: z.number().nullable() }).optional(),
  /** The machine's last announced suspend (best effort: only the desktop app hears it in time). Absent: none since the engine opened. */
  lastSleep: z.object({ at: z.number() }).optional(),
  /** When it last changed (engine clock, ms). */
  at: z.number(),
  /**
   * How many times it changed since the engine opened: of two states from one engine, the one
   * with the higher revision is newer (`at` can tie within a millisecond or step back with the
   * clock). Restarts at 0 with the engine; absent from servers before it was added.
   */
  revision: z.number().int().nonnegative().optional(),
})
export type MachineState = z.infer<typeof MachineStateSchema>

export const WaitReasonSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dependency'), taskIds: z.array(TaskIdSchema) }),
  z.object({ kind: z.literal('delay'), until: z.number() }),
  z.object({ kind: z.literal('backoff'), until: z.number(), attempt: z.number().int() }),
  z.object({ kind: z.literal('group-limit'), group: z.string() }),
  z.object({ kind: z.literal('paused'), scope: z.enum(['task', 'group', 'all']) }),
  /** Its group's machine conditions are not met (`unmet`, in the group's order). */
  z.object({ kind: z.literal('machine'), group: z.string(), unmet: z.array(MachineConditionSchema).min(1) }),
])
export type WaitReason = z.infer<typeof WaitReasonSchema>

/** Why a remote worker lost a run, when it said (see EndReason `worker-lost`). */
export const WorkerLossSchema = z.discriminatedUnion('kind', [
  /** The job's lock expired: its worker was killed, lost its connection, or blocked longer than the lock duration. */
  z.object({ kind: z.literal('lock-expired'), noticedBy: z.string() }),
  /** The job's lock expired and no live worker of `group` reported it (the app noticed). */
  z.object({ kind: z.literal('lock-expired-unreported'), group: z.string() }),
  /** The job is gone from Redis (removed by someone else, or Redis lost data). */
  z.object({ kind: z.literal('job-gone') }),
  /** BullMQ failed the job as stalled: its message. */
  z.object({ kind: z.literal('stalled'), message: z.string() }),
  /** The worker shut down (its drain time ran out) before the run finished. */
  z.object({ kind: z.literal('shut-down') }),
  /** Taskdeck stopped following the run on `queue`; it may still be running on its worker. */
  z.object({ kind: z.literal('unwatched'), queue: z.string() }),
  /** The app closed before Redis could be reached again; nobody follows the run any more. */
  z.object({ kind: z.literal('redis-unreachable') }),
])
export type WorkerLoss = z.infer<typeof WorkerLossSchema>

/** The end reasons of a run or task itself (see EndReasonSchema), each with its own kind. */
const OWN_END_REASONS = [
  /** The process exited with a non-zero code; 127 from a shell means its command was not found. */
  z.object({ kind: z.literal('exited'), code: z.number().int(), commandNotFound: z.boolean() }),
  z.object({ kind: z.literal('killed'), signal: z.string() }),
  /** Cancelled by a user (or a client acting for one). */
  z.object({ kind: z.literal('cancelled') }),
  z.object({ kind: z.literal('timed-out'), afterMs: z.number().nonnegative() }),
  /** Stopped for using more memory than its task's `limits.maxMemoryMb`: `usedBytes` when it was measured over `limitBytes`. */
  z.object({ kind: z.literal('memory-limit'), usedBytes: z.number().nonnegative(), limitBytes: z.number().nonnegative() }),
  /** Stopped for using more CPU time than its task's `limits.maxCpuSeconds`: `cpuSeconds` when it was measured over `limitSeconds`. */
  z.object({ kind: z.literal('cpu-limit'), cpuSeconds: z.number().nonnegative(), limitSeconds: z.number().nonnegative() }),
  /** Taskdeck stopped (or crashed) while the run was running. */
  z.object({ kind: z.literal('interrupted') }),
  /** The remote worker running it was lost; `worker` and `cause` when known. */
  z.object({ kind: z.literal('worker-lost'), worker: z.string().nullable(), cause: WorkerLossSchema.nullable() }),
  z.object({ kind: z.literal('dependency-missing'), taskId: TaskIdSchema }),
  /** A shell run's working directory does not exist. */
  z.object({ kind: z.literal('cwd-missing'), cwd: z.string() }),
  z.object({ kind: z.literal('executable-not-found'), file: z.string() }),
  z.object({ kind: z.literal('permission-denied'), file: z.string() }),
  /** Any other failure to start a process; `message` is the OS's. */
  z.object({ kind: z.literal('spawn-failed'), file: z.string(), message: z.string() }),
  /**
   * Requests of an HTTP batch failed; `first` is the first failed one: its HTTP status when the
   * server answered, and its error (as in the run's result) unless the status alone says it (null).
   */
  z.object({
    kind: z.literal('http-failed'),
    failed: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    first: z.union([
      /** The server answered: its status, and the error when the status alone does not say it. */
      z.object({ method: z.string(), url: z.string(), status: z.number().int(), error: z.string().nullable() }),
      /** No answer: the error says why. */
      z.object({ method: z.string(), url: z.string(), status: z.null(), error: z.string() }),
    ]),
  }),
  /** An HTTP batch was stopped with `notRun` of its `total` requests not run. */
  z.object({ kind: z.literal('http-stopped'), notRun: z.number().int().nonnegative(), total: z.number().int().nonnegative() }),
  /** An HTTP batch could not run at all (its save directory could not be made, …). */
  z.object({ kind: z.literal('http-batch-error'), message: z.string() }),
  /** The script threw or rejected: its own message, as it wrote it. */
  z.object({ kind: z.literal('script-error'), message: z.string() }),
  z.object({ kind: z.literal('script-stopped') }),
  /** The script crashed the worker thread it ran in. */
  z.object({ kind: z.literal('script-crashed'), message: z.string() }),
  /** The script made the worker thread it ran in exit. */
  z.object({ kind: z.literal('script-worker-exited'), exitCode: z.number().int() }),
  z.object({ kind: z.literal('script-runner-closed') }),
  /** The process that was to run it has no runner for this kind of task. */
  z.object({ kind: z.literal('no-runner'), taskKind: z.string() }),
  z.object({ kind: z.literal('enqueue-failed'), queue: z.string(), message: z.string() }),
  /** A remote worker finished the job but its outcome was lost. */
  z.object({ kind: z.literal('outcome-lost') }),
  /** The event claiming the run could not be stored, so it never started. */
  z.object({ kind: z.literal('start-not-recorded'), message: z.string() }),
  /** The runner itself failed (a bug): its message. */
  z.object({ kind: z.literal('runner-failed'), message: z.string() }),
  /** A sentence from a sender that gives no structured reason: a remote worker of an older version, BullMQ's reason for a failed job. */
  z.object({ kind: z.literal('message'), text: z.string() }),
] as const

/** Every end reason but a dependency's: what a run or task ended of by itself. */
export const OwnEndReasonSchema = z.discriminatedUnion('kind', [...OWN_END_REASONS])

/** The dependency a chain of failed dependencies started from, with its own reason. */
const RootDependencyEndedSchema = z.object({
  kind: z.literal('dependency-ended'),
  taskId: TaskIdSchema,
  status: z.enum(UNSUCCESSFUL_STATUSES),
  cause: OwnEndReasonSchema.nullable(),
})

/**
 * A dependency ended without success. `cause` is that task's own end reason; when the
 * dependency itself failed because of one of its own, `cause` names the dependency the chain
 * started from and its reason (see dependencyCause): nesting is at most two deep, however long
 * the chain, so a reason stays small and every parser's recursion shallow.
 */
const DependencyEndedSchema = z.object({
  kind: z.literal('dependency-ended'),
  taskId: TaskIdSchema,
  status: z.enum(UNSUCCESSFUL_STATUSES),
  cause: z.discriminatedUnion('kind', [...OWN_END_REASONS, RootDependencyEndedSchema]).nullable(),
})

/**
 * Why a run ended without success, or why a task ended without a run of its own, as data
 * (`Run.endReason`, `Task.endReason`). The English sentence next to it (`reason`) is worded
 * from it by one function (src-main/engine/end-reasons.ts) for the CLI and older clients;
 * a UI says it in its own language from this. Free text appears only where the words are
 * not ours: a script's error, an OS or network error message.
 */
export const EndReasonSchema = z.discriminatedUnion('kind', [...OWN_END_REASONS, DependencyEndedSchema])
export type EndReason = z.infer<typeof EndReasonSchema>
export type EndReasonKind = EndReason['kind']

/**
 * What a task failed by a dependency that ended with `reason` keeps as its cause: the reason
 * itself, unless it is a dependency's too, then the root of that chain (one step: the
 * dependency's reason was made by this rule already).
 */
export function dependencyCause(reason: EndReason | null): z.infer<typeof DependencyEndedSchema>['cause'] {
  if (reason?.kind !== 'dependency-ended') return reason
  const { cause } = reason
  return cause?.kind === 'dependency-ended' ? cause : { ...reason, cause }
}

export const ProgressSchema = z.object({
  done: z.number().nonnegative(),
  total: z.number().nonnegative().nullable(),
  message: z.string().max(1000).optional(),
})
export type Progress = z.infer<typeof ProgressSchema>

export const TaskSchema = z.object({
  id: TaskIdSchema,
  name: z.string(),
  definition: TaskDefinitionSchema,
  status: TaskStatusSchema,
  waitingFor: WaitReasonSchema.nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
  attempts: z.number().int().nonnegative(),
  lastRunId: RunIdSchema.nullable(),
  progress: ProgressSchema.nullable(),
  /** Why the task ended without a run of its own (a dependency failed, cancelled while queued), in English. */
  reason: z.string().nullable().optional(),
  /** `reason` as data; absent in events stored before it existed. */
  endReason: EndReasonSchema.nullable().optional(),
  /** Position among tasks of equal priority in its group's queue (smaller runs first); `task.move` changes it. */
  queueOrder: z.number().optional(),
  /** The key it was submitted with (`task.submit`'s `idempotencyKey`); absent when none was given. */
  idempotencyKey: z.string().optional(),
})
export type Task = z.infer<typeof TaskSchema>

/**
 * What is measured of a run: `process-group` — a shell run's process group (every process in
 * it, CPU time of processes that ended included, memory as resident set summed over them, so
 * pages shared between them count once per process); `worker-thread` — a script's worker thread
 * (CPU time of the thread, memory as its V8 heap in use plus external memory).
 */
export const UsageScopeSchema = z.enum(['process-group', 'worker-thread'])
export type UsageScope = z.infer<typeof UsageScopeSchema>

/** What a run used (`Run.usage`), from the samples taken while it ran (about one a second). */
export const RunUsageSchema = z.object({
  scope: UsageScopeSchema,
  /** The highest memory seen in a sample, bytes. */
  peakMemoryBytes: z.number().nonnegative(),
  /** CPU time used, seconds (user + system), as of the last sample. */
  cpuSeconds: z.number().nonnegative(),
  /** `cpuSeconds` over the time sampled, in percent of one core (200 = two cores busy). */
  avgCpuPercent: z.number().nonnegative(),
  /** How many samples were taken. */
  samples: z.number().int().nonnegative(),
})
export type RunUsage = z.infer<typeof RunUsageSchema>

/** One live sample of a running run (`run.usage`, never stored). */
export const UsageSampleSchema = z.object({
  scope: UsageScopeSchema,
  /** When it was taken (ms since the epoch). */
  at: z.number(),
  /** CPU since the previous sample, percent of one core; null on the first sample (nothing to compare with). */
  cpuPercent: z.number().nonnegative().nullable(),
  /** CPU time used so far, seconds. */
  cpuSeconds: z.number().nonnegative(),
  /** Memory now, bytes; null when it could not be read this time (a script busy without yielding has not answered). */
  memoryBytes: z.number().nonnegative().nullable(),
  /** Processes in the group now (process-group only). */
  processes: z.number().int().nonnegative().optional(),
})
export type UsageSample = z.infer<typeof UsageSampleSchema>

export const RunSchema = z.object({
  id: RunIdSchema,
  taskId: TaskIdSchema,
  attempt: z.number().int().positive(),
  status: RunStatusSchema,
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  durationMs: z.number().nullable(),
  /**
   * The process's exit code; null while it runs and for a run killed by a signal (a script or an
   * HTTP batch, no process, reports 0 when it succeeded, else null). A program that could not be started has the code a
   * shell gives it: 127 not found, 126 found but not executable (its `endReason` says which).
   */
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  /** Why it ended, in an English sentence, when it did not simply succeed. */
  reason: z.string().nullable(),
  /** `reason` as data; absent in events stored before it existed. */
  endReason: EndReasonSchema.nullable().optional(),
  pid: z.number().int().nullable(),
  /** Where it ran: "local" or a remote worker's id. */
  worker: z.string(),
  result: z.json().nullable(),
  logLines: z.number().int().nonnegative(),
  logBytes: z.number().int().nonnegative(),
  droppedBytes: z.number().int().nonnegative(),
  /**
   * What the run said last on stderr, when it did not succeed: its last non-empty stderr lines
   * (at most 5 and 1 KiB, the newest kept; a line longer than that keeps its start and ends in "…"),
   * ANSI escape sequences and control characters removed, a line rewritten with \r as a terminal
   * shows it. Absent when it wrote nothing there, when it succeeded, when its reason already is
   * the program's own words (a script's thrown error, an HTTP batch's failed request), and on
   * runs of servers before it existed. See src-main/engine/stderr-tail.ts.
   */
  stderrTail: z.string().optional(),
  /** What the run used, as sampled about once a second while it ran (see RunUsageSchema); absent when it was not measured. */
  usage: RunUsageSchema.optional(),
  /** On a run the engine paused because its group's machine conditions became unmet (`whenUnmet: 'pause'`): which; it resumes it when they are met again. Absent when a user paused it. */
  heldFor: z.array(MachineConditionSchema).min(1).optional(),
})
export type Run = z.infer<typeof RunSchema>

export const LogStreamSchema = z.enum(['stdout', 'stderr', 'system'])
export type LogStream = z.infer<typeof LogStreamSchema>

export const LogLineSchema = z.object({
  /** 0-based line number within the run's log. */
  n: z.number().int().nonnegative(),
  stream: LogStreamSchema,
  text: z.string(),
})
export type LogLine = z.infer<typeof LogLineSchema>

/** What a failure of one of a group's tasks does (after its retries; a cancel is no failure): nothing more, or pause the group. */
export const OnFailureSchema = z.enum(['continue', 'pause-group'])
export type OnFailure = z.infer<typeof OnFailureSchema>

/** At most `max` of a group's runs start within any `perMs` (a sliding window over the starts in the log). */
export const GroupRateSchema = z.object({
  max: z.number().int().min(1, 'must be at least 1').max(LIMITS.groupRateMax),
  perMs: z.number().int().multipleOf(1000, 'must be whole seconds').min(LIMITS.groupRateMinPerMs, 'must be at least 1 second').max(LIMITS.groupRateMaxPerMs, 'must be at most 1 day'),
})
export type GroupRate = z.infer<typeof GroupRateSchema>

/** Why a paused group is paused, when not by a user: a task of a `pause-group` group failed. */
export const GroupPauseCauseSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('failure'), taskId: TaskIdSchema, runId: RunIdSchema.nullable(), at: z.number() }),
])
export type GroupPauseCause = z.infer<typeof GroupPauseCauseSchema>

export const GroupSchema = z.object({
  name: GroupNameSchema,
  parallel: z.number().int().min(1).max(LIMITS.groupParallel),
  paused: z.boolean(),
  /**
   * Why the engine paused the group itself (absent when a user did, or it runs): `crash`, it
   * had pending work when the engine opened after a crash (the `pauseAfterCrash` setting). A
   * resume or a user's pause clears it.
   */
  pausedReason: z.enum(['crash']).optional(),
  /** Machine conditions the group's runs need (absent or empty: none); new runs wait while one is unmet. */
  onlyWhen: z.array(MachineConditionSchema).max(MachineConditionSchema.options.length).optional(),
  /** What an unmet condition does to the group's running runs (absent: `wait`). */
  whenUnmet: WhenUnmetSchema.optional(),
  /** What a task's failure does (absent: `continue`). */
  onFailure: OnFailureSchema.optional(),
  /** How often its runs may start (absent: no limit). */
  rate: GroupRateSchema.optional(),
  /** On a paused group the engine paused (absent: a user paused it, or it is not paused); cleared by a resume. */
  pausedFor: GroupPauseCauseSchema.optional(),
})
export type Group = z.infer<typeof GroupSchema>
