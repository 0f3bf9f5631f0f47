import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { TextDecoder, isDeepStrictEqual } from 'node:util'
import {
  ExportDocumentSchema,
  IdempotencyKeySchema,
  SettingsSchema,
  TaskDefinitionSchema,
  TaskdeckError,
  describeIssues,
  LIMITS,
  dependencyCause,
  isFieldByFieldSetting,
  isFinished,
  isUnsuccessful,
  issuesOf,
  nextRateSlot,
  refusal,
  type CommandParams,
  type CommandResult,
  type EndReason,
  type EngineEvent,
  type ExportDocument,
  type Group,
  type LogStream,
  type LoopEntry,
  type LoopSnapshot,
  type LoopState,
  type FieldIssue,
  type MachineCondition,
  type MachineState,
  type Progress,
  type RefusalValues,
  type Run,
  type RunUsage,
  type RunStatus,
  type Settings,
  type Task,
  type TaskDefinition,
  type TaskDefinitionInput,
  type TaskStatus,
  type TransientEvent,
  type WaitReason,
} from '../../src-shared/index.ts'
import { sinceBeyondHead, type CommandHandlers, type Disposable, type EngineApi, type SubscribeOptions } from './api.ts'
import type { EngineExtensionHost } from './host.ts'
import { sweepStrayTemps } from './atomic-file.ts'
import { DataFolderLease } from './lease.ts'
import { RunLogWriter, logTotals, readLogWindow, readStreamTail, removeLog } from './logs.ts'
import { defaultRunners, runnerFor, type RunnerRegistry } from './runners/index.ts'
import { bootId, killLeftoverGroups } from './runners/process-groups.ts'
import type { RunContext, RunOutcome, Runner, StartedRun } from './runners/types.ts'
import type { BackendOutcome, BackendRun, ExecutionBackend } from './backends/types.ts'
import { describeEndReason, describeLoopState } from './end-reasons.ts'
import { CONDITION_FIELD, knownUnmetConditions, unmetConditions } from '../../src-shared/decisions/machine.ts'
import { STDERR_TAIL, StreamTail, tailText } from './stderr-tail.ts'
import { RunUsageTracker, limitExceeded } from './usage-tracker.ts'
import { shellCommandLine } from '../../src-shared/shell-words.ts'
import { Store, migrate, type AppendedEvent, type DurableEventInput, type ProjectInTransaction, type WriteOp } from './store.ts'

const INTERRUPTED: EndReason = { kind: 'interrupted' }
export const INTERRUPTED_REASON = describeEndReason(INTERRUPTED)
const RECENT_COMPLETIONS = 20
const PROGRESS_SAVE_MS = 1000
const PID_RECORD_DELAY_MS = 50
const MAX_TIMER_MS = 2 ** 31 - 1

export interface EngineOptions {
  /** The data directory (see resolveHome): database and logs live here. */
  home: string
  /** Runners by kind; defaults to the ones Taskdeck ships. */
  runners?: RunnerRegistry
  /**
   * Where runs execute. Without one, runs go straight to `runners` in this process; with
   * one (the embedded or BullMQ backend), the backend places each run and enforces its
   * timeout, and the engine keeps the state machine, retries, the log and the run's output.
   */
  backend?: ExecutionBackend
  /** SIGTERM → SIGKILL grace for the default shell runner. */
  killGraceMs?: number
  /** How often `engine.stats` is emitted; 0 turns it off. */
  statsIntervalMs?: number
  /** How often running runs' CPU and memory are sampled (`run.usage`, `Run.usage`, task limits); default 1000 ms, 0 turns it off. */
  usageIntervalMs?: number
  synchronous?: 'FULL' | 'NORMAL'
  /**
   * What the opener already knows of the machine (a power source read before opening): groups'
   * `onlyWhen` conditions are judged by it from the first scheduling pass, before any report.
   * `pending`: conditions a monitor will read once the engine is open (`watchMachine`): a group
   * with one starts no run until its first reading is reported.
   */
  machine?: { onAcPower?: boolean | null; userIdle?: boolean | null; networkMetered?: boolean | null; screenLocked?: boolean | null; pending?: MachineCondition[] }
  now?: () => number
  random?: () => number
}

type TaskPatch = Partial<Omit<Task, 'id'>>

interface ActiveRun {
  run: Run
  task: Task
  readonly abort: AbortController
  /** Why the run is being stopped: by the user, its timeout, a resource limit (`limitReason`), the engine closing, or (from a backend) a lost worker. */
  stopReason: 'cancel' | 'timeout' | 'limit' | 'shutdown' | 'lost' | null
  /** The limit it went over, when stopped for that. */
  limitReason: EndReason | null
  /** Its CPU and memory so far, when its runner measures them. */
  usage: RunUsageTracker | null
  started: StartedRun | null
  /** Text sent before the process was up, written as soon as it is. */
  readonly unsent: string[]
  readonly log: RunLogWriter
  readonly decoders: Map<LogStream, TextDecoder>
  /** The last bytes written on stderr, for `Run.stderrTail`; made at the first. */
  stderr: StreamTail | null
  timeout: NodeJS.Timeout | null
  /** Pending durable record of the process id (see launch). */
  recordPid: NodeJS.Timeout | null
  progress: Progress | null
  progressSavedAt: number
  readonly finished: Promise<void>
  finish: () => void
}

/** Durable events read from the log per replay step. */
const REPLAY_PAGE_EVENTS = 2000
/** How long a replay waits for a client whose socket is full before asking again. */
const REPLAY_WAIT_MS = 10

interface Subscriber {
  listener: (events: readonly EngineEvent[]) => void
  /** Events held back while the replay catches up; null once live. */
  backlog: EngineEvent[] | null
  disposed: boolean
  /** The types it asked for (SubscribeOptions.types), or null for every type. */
  types: ReadonlySet<string> | null
}

interface Completion {
  taskId: number
  name: string
  group: string
  status: RunStatus
  endReason: EndReason | null
  /** The run's end is delivered (durable and announced) once the log's head reaches this seq. */
  deliveredAtSeq: number
}

/**
 * The engine: a durable task queue. Every state change is an event appended to the
 * store (group-committed per tick) and applied to the in-memory state at once; the
 * scheduler starts a run only after the event that claims it is durable, so a crash
 * never loses a started run from the record (at-least-once).
 */
export class Engine implements EngineApi {
  readonly home: string
  readonly logDir: string
  readonly handlers: CommandHandlers
  readonly host: EngineExtensionHost
  private readonly store: Store
  private readonly lease: DataFolderLease
  private readonly runners: RunnerRegistry
  private readonly backend: ExecutionBackend | null
  private readonly now: () => number
  private readonly random: () => number
  private readonly tasks = new Map<number, Task>()
  /** Task ids by the idempotency key they were submitted with (the tasks table's unique index holds the same). */
  private readonly taskByKey = new Map<string, number>()
  private readonly runs = new Map<number, Run>()
  private readonly runsByTask = new Map<number, number[]>()
  private readonly groups = new Map<string, Group>()
  private settings: Settings
  private paused: boolean
  /** What is known of the machine (power source, user presence): reported by `machine.report`; unknown until then. */
  private machine: MachineState
  private lastTaskId: number
  private lastRunId: number
  /** Queued task ids per group, in the order they will start. */
  private readonly queues = new Map<string, number[]>()
  private readonly runningPerGroup = new Map<string, number>()
  /** Start times of each group's runs within the longest rate window, oldest first: what its `rate` counts (seeded from the runs in the log). */
  private readonly startsPerGroup = new Map<string, number[]>()
  /** Per group held by its rate, the timer that lets the scheduler look again when its next slot opens, and when. */
  private readonly rateTimers = new Map<string, { timer: NodeJS.Timeout; at: number }>()
  /** Per group with `whenUnmet: 'pause'`, the unmet conditions its running runs were last held (or released) for. */
  private readonly heldPerGroup = new Map<string, string>()
  /** Monitors that read a condition only while some group needs it (`watchMachine`), and whether they were last told it is. */
  private readonly machineWatchers = new Map<MachineCondition, { watch: (needed: boolean) => void; needed: boolean }>()
  private readonly active = new Map<number, ActiveRun>()
  private readonly activeByTask = new Map<number, ActiveRun>()
  private readonly timers = new Map<number, NodeJS.Timeout>()
  private readonly dependants = new Map<number, Set<number>>()
  /** Runner checks of specs at submit time, by the spec's JSON, while they are under way. */
  private readonly checksUnderWay = new Map<string, Promise<void>>()
  private readonly completions: Completion[] = []
  private readonly subscribers = new Set<Subscriber>()
  private readonly eventListeners = new Set<(event: EngineEvent) => void>()
  private pendingOutput: TransientEvent[] = []
  private outputScheduled = false
  private pumpScheduled = false
  private closing = false
  /** Finished tasks whose dependants are still to be released, while releaseDependants works (null otherwise). */
  private releasing: number[] | null = null
  private closed: Promise<void> | null = null
  private readonly statsTimer: NodeJS.Timeout | null = null
  private readonly loopDelay: ReturnType<typeof monitorEventLoopDelay> | null = null
  private finishedSinceStats = 0
  private lastStatsAt: number
  private readonly usageIntervalMs: number
  /** Samples running runs' usage while any is measured (see sampleUsage). */
  private usageTimer: NodeJS.Timeout | null = null
  private sampling = false

  private constructor(options: EngineOptions, store: Store, lease: DataFolderLease) {
    this.home = options.home
    this.lease = lease
    this.logDir = join(options.home, 'logs')
    mkdirSync(this.logDir, { recursive: true, mode: 0o700 })
    this.store = store
    // The reaper's registry in the data home: no temporary-file cleaner ages it out under a long run.
    this.runners = options.runners ?? defaultRunners({ killGraceMs: options.killGraceMs, reaperDir: options.home })
    this.backend = options.backend ?? null
    this.now = options.now ?? Date.now
    this.random = options.random ?? Math.random
    const state = store.loadProjection()
    for (const [id, task] of state.tasks) {
      this.tasks.set(id, task)
      if (task.idempotencyKey !== undefined) this.taskByKey.set(task.idempotencyKey, id)
    }
    for (const [id, run] of state.runs) this.addRun(run, id)
    for (const [name, group] of state.groups) this.groups.set(name, group)
    this.seedStarts()
    this.settings = state.settings
    this.paused = state.paused
    this.machine = {
      onAcPower: options.machine?.onAcPower ?? null,
      userIdle: options.machine?.userIdle ?? null,
      networkMetered: options.machine?.networkMetered ?? null,
      ...(options.machine?.screenLocked === undefined ? {} : { screenLocked: options.machine.screenLocked }),
      ...(options.machine?.pending?.length ? { pending: [...new Set(options.machine.pending)] } : {}),
      at: this.now(),
      revision: 0,
    }
    this.machine = { ...this.machine, held: this.heldBy(this.machine) }
    this.lastTaskId = Math.max(store.counter('lastTaskId'), ...this.tasks.keys(), 0)
    this.lastRunId = Math.max(store.counter('lastRunId'), ...this.runs.keys(), 0)
    this.lastStatsAt = this.now()
    this.usageIntervalMs = options.usageIntervalMs ?? 1000
    store.onCommit((events) => this.announce(events))
    this.handlers = rejectingHandlers(this.createHandlers())
    this.host = this.createHost()
    this.recover(lease.previous !== null)
    const statsIntervalMs = options.statsIntervalMs ?? 1000
    if (statsIntervalMs > 0) {
      this.loopDelay = monitorEventLoopDelay({ resolution: 10 })
      this.loopDelay.enable()
      this.statsTimer = setInterval(() => this.emitStats(), statsIntervalMs)
      this.statsTimer.unref()
    }
  }

  /** Opens the database in `home` (checking its integrity), recovers, and starts scheduling. */
  static async open(options: EngineOptions): Promise<Engine> {
    mkdirSync(options.home, { recursive: true, mode: 0o700 })
    // One engine per data folder, whoever opens it (the app, `taskdeck serve`, a test, a benchmark): a second is refused, naming the first.
    const lease = await DataFolderLease.acquire(options.home, options.now)
    let store: Store | null = null
    try {
      // Temp files of atomic writes a crash cut short (ours, by name, of writers gone).
      for (const dir of [options.home, join(options.home, 'logs')]) sweepStrayTemps(dir)
      store = Store.open(join(options.home, 'taskdeck.db'), { synchronous: options.synchronous, now: options.now })
      const engine = new Engine(options, store, lease)
      await store.waitFor(store.lastAppendedSeq)
      return engine
    } catch (error) {
      await store?.close().catch(() => undefined)
      // Not opened: the folder is left as found (a crash before this open still reads as one at the next).
      lease.release(false, true)
      throw error
    }
  }

  // ─── events ────────────────────────────────────────────────────────────────────────

  private emit(input: DurableEventInput, project?: ProjectInTransaction, ops?: readonly WriteOp[], at?: number): AppendedEvent {
    return this.store.append(input, project, ops, at)
  }

  private announce(events: readonly EngineEvent[]): void {
    for (const subscriber of this.subscribers) {
      const { types } = subscriber
      const wanted = types ? events.filter((e) => types.has(e.type)) : events
      if (wanted.length === 0) continue
      if (subscriber.backlog) subscriber.backlog.push(...wanted)
      else subscriber.listener(wanted)
    }
    if (this.eventListeners.size > 0) for (const event of events) for (const listener of this.eventListeners) listener(event)
  }

  subscribe(since: number, listener: (events: readonly EngineEvent[]) => void, options: SubscribeOptions = {}): Disposable & { readonly headSeq: number } {
    const headSeq = this.store.headSeq
    // A seq this log never reached comes from another event log (another home, or one started afresh): replaying
    // "after" it would send nothing and then live events the client takes for repeats, so it is refused by name.
    if (since > headSeq) {
      throw sinceBeyondHead(since, headSeq)
    }
    const { onStoredPage, readyForPage, types } = options
    const subscriber: Subscriber = { listener, backlog: [], disposed: false, types: types ? new Set(types) : null }
    this.subscribers.add(subscriber)
    let cursor = since
    // Replays in pages on later ticks (never inside subscribe), holding live events back until caught up.
    const replayPage = () => {
      if (subscriber.disposed) return
      if (readyForPage && !readyForPage()) {
        setTimeout(replayPage, REPLAY_WAIT_MS)
        return
      }
      let read: number
      if (onStoredPage) {
        const page = this.store.readEventTexts(cursor, REPLAY_PAGE_EVENTS, headSeq, types)
        read = page.length
        if (read > 0) {
          cursor = page[read - 1]!.seq
          onStoredPage(page)
        }
      } else {
        const page = this.store.readEvents(cursor, REPLAY_PAGE_EVENTS, headSeq, types)
        read = page.length
        if (read > 0) {
          cursor = page[read - 1]!.seq
          subscriber.listener(page)
        }
      }
      if (read > 0 && cursor < headSeq) {
        setImmediate(replayPage)
        return
      }
      const backlog = subscriber.backlog ?? []
      subscriber.backlog = null
      if (backlog.length > 0) subscriber.listener(backlog)
    }
    setImmediate(replayPage)
    return {
      headSeq,
      dispose: () => {
        subscriber.disposed = true
        this.subscribers.delete(subscriber)
      },
    }
  }

  private emitTransient(event: TransientEvent): void {
    this.pendingOutput.push(event)
    if (this.outputScheduled) return
    this.outputScheduled = true
    setImmediate(() => this.flushOutput())
  }

  private flushOutput(): void {
    this.outputScheduled = false
    if (this.pendingOutput.length === 0) return
    const events = this.pendingOutput
    this.pendingOutput = []
    this.announce(events)
  }

  /** Output of one run, coalesced per tick: consecutive chunks of the same stream become one event. */
  private output(active: ActiveRun, stream: LogStream, chunk: Uint8Array | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    const line = active.log.write(stream, bytes)
    if (stream === 'stderr') (active.stderr ??= new StreamTail()).push(bytes)
    let decoder = active.decoders.get(stream)
    if (!decoder) active.decoders.set(stream, (decoder = new TextDecoder('utf-8')))
    const text = decoder.decode(bytes, { stream: true })
    const last = this.pendingOutput[this.pendingOutput.length - 1]
    if (last?.type === 'run.output' && last.runId === active.run.id && last.stream === stream) {
      last.text += text
      return
    }
    this.emitTransient({ type: 'run.output', runId: active.run.id, taskId: active.run.taskId, stream, line, text })
  }

  // ─── state ─────────────────────────────────────────────────────────────────────────

  private addRun(run: Run, id = run.id): void {
    this.runs.set(id, run)
    const list = this.runsByTask.get(run.taskId)
    if (list) list.push(id)
    else this.runsByTask.set(run.taskId, [id])
  }

  private taskOrThrow(taskId: number): Task {
    const task = this.tasks.get(taskId)
    if (!task) throw refusal('task-not-found', `There is no task ${taskId}.`, { taskIds: [taskId] }, { taskId })
    return task
  }

  /**
   * The one place a task changes: memory, queues, timers and dependency index follow the
   * new state, then a `task.updated` (or `task.created`) event records it.
   */
  private saveTask(previous: Task | null, patch: TaskPatch & Partial<Pick<Task, 'id'>>): SavedTask {
    const at = this.now()
    const task = { ...(previous ?? {}), ...patch, updatedAt: at } as Task
    this.tasks.set(task.id, task)
    if (previous?.status === 'queued') this.dequeue(previous)
    if (task.status === 'queued') this.enqueue(task)
    this.clearTimer(task.id)
    const wait = task.status === 'waiting' ? task.waitingFor : null
    if (wait && (wait.kind === 'delay' || wait.kind === 'backoff')) this.armTimer(task.id, wait.until)
    if (wait?.kind === 'dependency') for (const dep of wait.taskIds) this.dependantsOf(dep).add(task.id)
    const appended = this.emit({ type: previous ? 'task.updated' : 'task.created', task }, undefined, undefined, at)
    if (isFinished(task.status) && !(previous && isFinished(previous.status))) this.releaseDependants(task.id)
    this.schedulePump()
    return new SavedTask(task, appended)
  }

  private dependantsOf(taskId: number): Set<number> {
    let set = this.dependants.get(taskId)
    if (!set) this.dependants.set(taskId, (set = new Set()))
    return set
  }

  /**
   * Re-evaluates what waited for a task that just finished. A dependant that finishes in turn
   * (failed by this one) is queued here rather than released from within: a chain of thousands
   * of dependants is worked through in a loop, not on the stack.
   */
  private releaseDependants(taskId: number): void {
    if (this.releasing) {
      this.releasing.push(taskId)
      return
    }
    this.releasing = [taskId]
    try {
      for (let next = 0; next < this.releasing.length; next++) {
        const finished = this.releasing[next]!
        const waiting = this.dependants.get(finished)
        if (!waiting) continue
        this.dependants.delete(finished)
        for (const id of waiting) {
          const task = this.tasks.get(id)
          if (task?.status === 'waiting' && task.waitingFor?.kind === 'dependency') this.evaluate(task)
        }
      }
    } finally {
      this.releasing = null
    }
  }

  private compare(a: Task, b: Task): number {
    return b.definition.priority - a.definition.priority || (a.queueOrder ?? a.id) - (b.queueOrder ?? b.id) || a.id - b.id
  }

  private queueOf(group: string): number[] {
    let queue = this.queues.get(group)
    if (!queue) this.queues.set(group, (queue = []))
    return queue
  }

  private enqueue(task: Task): void {
    const queue = this.queueOf(task.definition.group)
    let low = 0
    let high = queue.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (this.compare(this.tasks.get(queue[mid]!)!, task) < 0) low = mid + 1
      else high = mid
    }
    if (queue[low] === task.id) return
    queue.splice(low, 0, task.id)
  }

  private dequeue(task: Task): void {
    const queue = this.queues.get(task.definition.group)
    const index = queue?.indexOf(task.id) ?? -1
    if (index >= 0) queue!.splice(index, 1)
  }

  private clearTimer(taskId: number): void {
    const timer = this.timers.get(taskId)
    if (timer) clearTimeout(timer)
    this.timers.delete(taskId)
  }

  private armTimer(taskId: number, until: number): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(taskId)
        const task = this.tasks.get(taskId)
        // A timer can come a little before `until` by the engine's clock (timers run on a monotonic clock, `now` is the
        // wall clock): still waiting, it is armed again, or the task would wait for good.
        if (task?.status === 'waiting') this.evaluateOrArm(task)
      },
      Math.min(Math.max(0, until - this.now()), MAX_TIMER_MS),
    )
    this.timers.set(taskId, timer)
  }

  /** When a task not running and not held may start: its dependencies, delay and backoff decide. */
  private readiness(task: Task): { status: TaskStatus; waitingFor: WaitReason | null; endReason?: EndReason } {
    const pending: number[] = []
    for (const depId of task.definition.after) {
      const dep = this.tasks.get(depId)
      if (!dep) return { status: 'failed', waitingFor: null, endReason: { kind: 'dependency-missing', taskId: depId } }
      if (dep.status === 'succeeded') continue
      if (isUnsuccessful(dep.status)) {
        return { status: 'failed', waitingFor: null, endReason: { kind: 'dependency-ended', taskId: depId, status: dep.status, cause: dependencyCause(this.endReasonOf(dep)) } }
      }
      pending.push(depId)
    }
    if (pending.length > 0) return { status: 'waiting', waitingFor: { kind: 'dependency', taskIds: pending } }
    const delayUntil = this.delayUntil(task)
    if (delayUntil !== null && delayUntil > this.now()) return { status: 'waiting', waitingFor: { kind: 'delay', until: delayUntil } }
    // A task that waited for its dependencies may owe a retry too (an edit added them while it waited for one).
    const wait = task.waitingFor?.kind === 'dependency' ? this.pendingRetry(task) : task.waitingFor
    if (wait?.kind === 'backoff' && wait.until > this.now()) return { status: 'waiting', waitingFor: wait }
    return { status: 'queued', waitingFor: null }
  }

  /** A delayed start applies to a task's first run only. */
  private delayUntil(task: Task): number | null {
    if (task.lastRunId !== null) return null
    if (task.definition.runAt !== undefined) return task.definition.runAt
    if (task.definition.delayMs !== undefined) return task.createdAt + task.definition.delayMs
    return null
  }

  /** Why a finished task ended: its own reason, or its last run's. */
  private endReasonOf(task: Task): EndReason | null {
    if (task.reason) return storedEndReason(task)
    const run = task.lastRunId !== null ? this.runs.get(task.lastRunId) : undefined
    return run ? storedEndReason(run) : null
  }

  private evaluate(task: Task): Task {
    const next = this.readiness(task)
    if (next.status === task.status && JSON.stringify(next.waitingFor) === JSON.stringify(task.waitingFor)) return task
    return this.saveTask(task, { status: next.status, waitingFor: next.waitingFor, ...endedBecause(next.endReason) }).task
  }

  // ─── scheduling ────────────────────────────────────────────────────────────────────

  private schedulePump(): void {
    if (this.pumpScheduled) return
    this.pumpScheduled = true
    queueMicrotask(() => {
      this.pumpScheduled = false
      this.pump()
    })
  }

  private pump(): void {
    if (this.closing || this.paused) return
    for (const [name, queue] of this.queues) {
      const group = this.groups.get(name)
      if (!group || group.paused || this.unmetConditions(group).length > 0) continue
      while (queue.length > 0 && (this.runningPerGroup.get(name) ?? 0) < group.parallel) {
        const slot = this.nextSlot(group)
        if (slot !== null) {
          this.armRateTimer(name, slot)
          break
        }
        const task = this.tasks.get(queue[0]!)!
        this.startRun(task)
      }
    }
  }

  // ─── rate limits ───────────────────────────────────────────────────────────────────

  /**
   * Every group's starts within the longest window a rate may have, from the runs in the log: a restart grants no
   * fresh burst. (A run whose task was removed with task.clean is no longer in the log, and is not counted.)
   */
  private seedStarts(): void {
    const since = this.now() - LIMITS.groupRateMaxPerMs
    for (const run of this.runs.values()) {
      if (run.startedAt <= since) continue
      const group = this.tasks.get(run.taskId)?.definition.group
      if (group === undefined) continue
      let starts = this.startsPerGroup.get(group)
      if (!starts) this.startsPerGroup.set(group, (starts = []))
      starts.push(run.startedAt)
    }
    for (const starts of this.startsPerGroup.values()) {
      starts.sort((a, b) => a - b)
      if (starts.length > LIMITS.groupRateMax) starts.splice(0, starts.length - LIMITS.groupRateMax)
    }
  }

  private recordStart(group: string, at: number): void {
    let starts = this.startsPerGroup.get(group)
    if (!starts) this.startsPerGroup.set(group, (starts = []))
    starts.push(at)
    const since = at - LIMITS.groupRateMaxPerMs
    let drop = 0
    while (drop < starts.length && (starts[drop]! <= since || starts.length - drop > LIMITS.groupRateMax)) drop++
    if (drop > 0) starts.splice(0, drop)
  }

  /** When the group's rate lets its next run start, if not now (null: now, or it has no rate). */
  private nextSlot(group: Group): number | null {
    if (!group.rate) return null
    const now = this.now()
    const slot = nextRateSlot(group.rate, this.startsPerGroup.get(group.name) ?? [], now)
    return slot > now ? slot : null
  }

  /**
   * Looks at the group's queue again when its next slot opens. The timer may come a little before `at` by the
   * engine's clock (timers run on a monotonic clock, `now` is the wall clock): the pump then finds the slot still
   * closed and arms it again, rather than leaving the queue held for good.
   */
  private armRateTimer(group: string, at: number): void {
    const armed = this.rateTimers.get(group)
    if (armed?.at === at) return
    if (armed) clearTimeout(armed.timer)
    const timer = setTimeout(
      () => {
        this.rateTimers.delete(group)
        this.schedulePump()
      },
      Math.min(Math.max(0, at - this.now()), MAX_TIMER_MS),
    )
    this.rateTimers.set(group, { timer, at })
  }

  private clearRateTimer(group: string): void {
    const armed = this.rateTimers.get(group)
    if (armed) clearTimeout(armed.timer)
    this.rateTimers.delete(group)
  }

  private startRun(previous: Task): void {
    const runId = ++this.lastRunId
    const startedAt = this.now()
    const attempts = previous.attempts + 1
    const run: Run = {
      id: runId,
      taskId: previous.id,
      attempt: attempts,
      status: 'running',
      startedAt,
      finishedAt: null,
      durationMs: null,
      exitCode: null,
      signal: null,
      ...endedBecause(null),
      pid: null,
      worker: 'local',
      result: null,
      logLines: 0,
      logBytes: 0,
      droppedBytes: 0,
    }
    this.addRun(run)
    const group = previous.definition.group
    this.runningPerGroup.set(group, (this.runningPerGroup.get(group) ?? 0) + 1)
    this.recordStart(group, startedAt)
    this.emit({ type: 'run.started', run }, undefined, undefined, startedAt)
    const { task, committed } = this.saveTask(previous, {
      status: 'running',
      waitingFor: null,
      attempts,
      lastRunId: runId,
      progress: null,
      ...endedBecause(null),
    })
    const active = this.activate(run, task, new RunLogWriter(this.logDir, runId, this.settings.logCapBytes))
    // The claim (run.started + task running) is durable before anything runs.
    committed.then(
      () => this.launch(active),
      (error: unknown) => void this.complete(active, { exitCode: null, signal: null, failure: { kind: 'start-not-recorded', message: String(error) } }),
    )
  }

  // ─── machine conditions ─────────────────────────────────────────────────────────────

  /** The group's `onlyWhen` conditions the machine does not meet now, in the group's order. */
  private unmetConditions(group: Group): MachineCondition[] {
    return unmetConditions(group.onlyWhen, this.machine)
  }

  /** What a `whenUnmet: 'pause'` group holds its running runs for now (empty: they may run): only what is known unmet, never a condition not read yet. */
  private holdingFor(group: Group | undefined): MachineCondition[] {
    return group?.whenUnmet === 'pause' ? knownUnmetConditions(group.onlyWhen, this.machine) : []
  }

  /** What the engine knows of the machine now (as `machine.get` answers). */
  machineState(): MachineState {
    return this.machine
  }

  /**
   * Lets a monitor read `condition` only while some group needs it: `watch(true)` when a group
   * starts to need it (at once if one does), `watch(false)` when none does any more. From the
   * moment it is needed until the monitor reports it (`machine.report`), the condition is
   * pending: the groups that need it start no run, so none starts on a stale or absent reading;
   * once none needs it, it is pending again (not watched, its value no longer current).
   */
  watchMachine(condition: MachineCondition, watch: (needed: boolean) => void): Disposable {
    const watcher = { watch, needed: false }
    this.machineWatchers.set(condition, watcher)
    this.reconsiderWatchers()
    return {
      dispose: () => {
        if (this.machineWatchers.get(condition) === watcher) this.machineWatchers.delete(condition)
      },
    }
  }

  /** Tells each watcher whether a group needs its condition now, after groups changed; marks a condition pending when that changed. */
  private reconsiderWatchers(): void {
    if (this.closing) return
    for (const [condition, watcher] of this.machineWatchers) {
      const needed = [...this.groups.values()].some((group) => group.onlyWhen?.includes(condition) === true)
      if (needed === watcher.needed) continue
      watcher.needed = needed
      this.setPending(condition, true)
      watcher.watch(needed)
    }
  }

  /** Marks a condition as not read (or read), announcing the change as a report would. */
  private setPending(condition: MachineCondition, pending: boolean): void {
    const before = this.machine.pending ?? []
    if (before.includes(condition) === pending) return
    const after = pending ? [...before, condition] : before.filter((c) => c !== condition)
    const { pending: _before, ...rest } = this.machine
    this.setMachine({ ...rest, ...(after.length > 0 ? { pending: after } : {}) })
  }

  /** The groups a machine state holds, with what holds each (MachineState `held`). */
  private heldBy(machine: Omit<MachineState, 'at' | 'revision'>): Record<string, MachineCondition[]> {
    const held: Record<string, MachineCondition[]> = {}
    for (const group of this.groups.values()) {
      const unmet = unmetConditions(group.onlyWhen, machine)
      if (unmet.length > 0) held[group.name] = unmet
    }
    return held
  }

  /** After groups changed: a change of which are held, or for what, is announced as a new machine state. */
  private refreshHeld(): void {
    if (JSON.stringify(this.heldBy(this.machine)) !== JSON.stringify(this.machine.held)) this.setMachine(this.machine)
  }

  /** A new machine state: announced, and the groups' holds and the queues judged by it. */
  private setMachine(next: Omit<MachineState, 'at' | 'revision'>): void {
    const { at: _at, revision: _revision, ...state } = next as MachineState
    this.machine = { ...state, held: this.heldBy(state), at: this.now(), revision: (this.machine.revision ?? 0) + 1 }
    this.emitTransient({ type: 'machine.updated', machine: this.machine })
    this.applyHolds(this.groups.keys())
    this.schedulePump()
  }

  /**
   * Holds or releases the running runs of the named groups once what decides it changed (the
   * machine, a group's conditions). It acts only on a change of what a group holds for: a run
   * its user resumed while held keeps running until the group's unmet conditions change again.
   */
  private applyHolds(names: Iterable<string>): void {
    // A closing engine is stopping every run: none is held or resumed any more.
    if (this.closing) return
    for (const name of names) {
      const unmet = this.holdingFor(this.groups.get(name))
      const key = unmet.join(',')
      if ((this.heldPerGroup.get(name) ?? '') === key) continue
      if (key === '') this.heldPerGroup.delete(name)
      else this.heldPerGroup.set(name, key)
      for (const active of [...this.active.values()]) {
        if (active.task.definition.group !== name) continue
        const task = this.tasks.get(active.task.id)!
        if (unmet.length > 0) this.hold(active, task, unmet)
        else this.releaseHold(active, task)
      }
    }
  }

  /**
   * Pauses a running run for its group's unmet conditions exactly as a user's pause does
   * (SIGSTOP to a shell run's process group). A run paused by someone already, or one its
   * runner cannot pause (a script, an HTTP batch), is left as it is.
   */
  private hold(active: ActiveRun, task: Task, unmet: MachineCondition[]): void {
    if (active.run.heldFor) {
      if (active.run.heldFor.join() !== unmet.join()) this.markHeld(active, task, unmet)
      return
    }
    if (task.status !== 'running' || !active.started?.pause) return
    active.started.pause()
    this.markHeld(active, task, unmet)
  }

  private markHeld(active: ActiveRun, task: Task, unmet: MachineCondition[]): void {
    this.updateActive(active, task, { ...active.run, status: 'paused', heldFor: unmet }, { status: 'paused', waitingFor: { kind: 'machine', group: task.definition.group, unmet } })
  }

  /** A running or paused run changed (paused, resumed, held, released): its run is recorded and announced, then its task. */
  private updateActive(active: ActiveRun, task: Task, run: Run, taskChange: TaskPatch): void {
    active.run = run
    this.runs.set(run.id, run)
    this.emit({ type: 'run.updated', run })
    active.task = this.saveTask(task, taskChange).task
  }

  /** Lets a run held for its group's conditions go on: resumed, or left paused on behalf of a paused engine or group. */
  private releaseHold(active: ActiveRun, task: Task): void {
    if (!active.run.heldFor) return
    const pausedBy = this.paused ? 'all' : this.groups.get(task.definition.group)?.paused ? 'group' : null
    if (pausedBy === null) active.started?.resume?.()
    this.updateActive(active, task, { ...withoutHold(active.run), status: pausedBy === null ? 'running' : 'paused' }, pausedBy === null ? { status: 'running', waitingFor: null } : { waitingFor: { kind: 'paused', scope: pausedBy } })
  }

  /**
   * Refuses machine conditions on a group whose runs execute elsewhere (bound to Redis
   * workers): this machine's power source, user and network say nothing about the workers' machines.
   */
  private refuseConditionsElsewhere(group: Group): void {
    if ((group.onlyWhen ?? []).length === 0) return
    const redis = this.backend?.runsElsewhere?.(group.name)
    if (!redis) return
    throw refusal(
      'group-runs-elsewhere',
      `Group "${group.name}" runs on Redis workers (${redis}): its onlyWhen conditions would judge this machine's power, user and network, which say nothing about the workers' machines. Unbind it first (taskdeck group unbind ${group.name}).`,
      { group: group.name, redis },
    )
  }

  private activate(run: Run, task: Task, log: RunLogWriter): ActiveRun {
    let finish!: () => void
    const finished = new Promise<void>((resolve) => (finish = resolve))
    const active: ActiveRun = {
      run,
      task,
      abort: new AbortController(),
      stopReason: null,
      limitReason: null,
      usage: null,
      started: null,
      unsent: [],
      log,
      decoders: new Map(),
      stderr: null,
      timeout: null,
      recordPid: null,
      progress: null,
      progressSavedAt: 0,
      finished,
      finish,
    }
    this.active.set(run.id, active)
    this.activeByTask.set(task.id, active)
    return active
  }

  private contextOf(active: ActiveRun): RunContext {
    return {
      runId: active.run.id,
      taskId: active.task.id,
      attempt: active.run.attempt,
      signal: active.abort.signal,
      output: (stream, chunk) => this.output(active, stream, chunk),
      progress: (progress) => this.progress(active, progress),
    }
  }

  private launch(active: ActiveRun): void {
    if (active.stopReason) {
      void this.complete(active, { exitCode: null, signal: null, failure: null })
      return
    }
    const definition = active.task.definition
    const spec = definition.spec
    const context = this.contextOf(active)
    let started: StartedRun | BackendRun
    try {
      started = this.backend
        ? this.backend.start(spec, { group: definition.group, name: active.task.name, priority: definition.priority, timeoutMs: definition.timeoutMs }, context)
        : runnerFor(this.runners, spec.kind).start(spec, context)
    } catch (error) {
      void this.complete(active, { exitCode: null, signal: null, failure: { kind: 'runner-failed', message: error instanceof Error ? error.message : String(error) } })
      return
    }
    active.started = started
    for (const text of active.unsent.splice(0)) started.send?.(text)
    // The group's conditions may have become unmet while the claim was being committed.
    const unmet = this.holdingFor(this.groups.get(definition.group))
    if (unmet.length > 0) this.hold(active, active.task, unmet)
    if (started.pid !== null) {
      const pid = started.pid
      active.run = { ...active.run, pid }
      this.runs.set(active.run.id, active.run)
      const startTicks = started.startTicks ?? null
      // Recorded a moment later, so a short run ends with one commit on its path instead of two; a crash
      // within that moment can only leave behind a process younger than PID_RECORD_DELAY_MS.
      active.recordPid = setTimeout(() => {
        active.recordPid = null
        this.emit({ type: 'run.updated', run: active.run }, undefined, [['upsertRunProcess', active.run.id, pid, startTicks, bootId()]])
      }, PID_RECORD_DELAY_MS)
    }
    if (started.usage && this.usageIntervalMs > 0) {
      active.usage = new RunUsageTracker(started.usage.scope)
      this.usageTimer ??= setInterval(() => void this.sampleUsage(), this.usageIntervalMs).unref()
    }
    // A backend enforces the timeout itself (time spent waiting for a remote worker does not count).
    const timeoutMs = definition.timeoutMs
    if (timeoutMs !== undefined && !this.backend) active.timeout = setTimeout(() => this.stop(active, 'timeout'), timeoutMs)
    this.completeWhenDone(active, started)
  }

  private completeWhenDone(active: ActiveRun, started: StartedRun | BackendRun): void {
    void (started.done as Promise<RunOutcome | BackendOutcome>)
      .then(
        (outcome) => this.complete(active, outcome),
        (error: unknown) => this.complete(active, { exitCode: null, signal: null, failure: { kind: 'runner-failed', message: String(error) } }),
      )
      // The store refused the run's end (a write failed before: it refuses all until restarted). Nothing more can be
      // recorded; the run is found interrupted at the next open. Whoever waits for the run (close) goes on.
      .catch(() => active.finish())
  }

  /**
   * Progress streams live as transient events; the task records it durably at most once
   * per PROGRESS_SAVE_MS (and at the end of the run), so a chatty runner cannot flood the log.
   */
  private progress(active: ActiveRun, progress: Progress): void {
    this.emitTransient({ type: 'run.progress', runId: active.run.id, taskId: active.task.id, progress })
    active.progress = progress
    const now = this.now()
    if (now - active.progressSavedAt < PROGRESS_SAVE_MS) return
    active.progressSavedAt = now
    const task = this.tasks.get(active.task.id)
    if (task) active.task = this.saveTask(task, { progress }).task
  }

  /**
   * One sample of every measured run (docs/architecture.md, "Usage"): a live `run.usage` each,
   * and a run over its task's limits is stopped as a timeout stops it. The timer runs only while
   * a measured run does; a tick still reading (a script's heap figures) makes the next one skip.
   */
  private async sampleUsage(): Promise<void> {
    if (this.sampling) return
    const measured = [...this.active.values()].filter((active) => active.usage !== null && active.started?.usage && !active.stopReason)
    if (measured.length === 0) {
      if (![...this.active.values()].some((active) => active.usage !== null) && this.usageTimer) {
        clearInterval(this.usageTimer)
        this.usageTimer = null
      }
      return
    }
    this.sampling = true
    try {
      const readings = await Promise.all(measured.map((active) => Promise.resolve(active.started!.usage!.read()).catch(() => null)))
      const at = performance.now()
      const wallAt = this.now()
      measured.forEach((active, index) => {
        const reading = readings[index]
        if (!reading || !this.active.has(active.run.id) || active.stopReason) return
        const sample = active.usage!.add(reading, at, wallAt)
        this.emitTransient({ type: 'run.usage', runId: active.run.id, taskId: active.task.id, sample })
        const over = limitExceeded(active.task.definition.limits, sample)
        if (over) {
          active.limitReason = over
          this.stop(active, 'limit')
        }
      })
    } finally {
      this.sampling = false
    }
  }

  private stop(active: ActiveRun, reason: 'cancel' | 'timeout' | 'limit' | 'shutdown'): void {
    if (active.stopReason) return
    active.stopReason = reason
    active.abort.abort(reason)
  }

  private async complete(active: ActiveRun, outcome: RunOutcome | BackendOutcome): Promise<void> {
    if (!this.active.has(active.run.id)) return
    const endedBy = 'endedBy' in outcome ? outcome.endedBy : null
    if (endedBy === 'detached' && this.closing) return this.detach(active)
    this.active.delete(active.run.id)
    this.activeByTask.delete(active.task.id)
    if (active.timeout) clearTimeout(active.timeout)
    if (active.recordPid) clearTimeout(active.recordPid)
    for (const [stream, decoder] of active.decoders) {
      const rest = decoder.decode()
      if (rest) this.emitTransient({ type: 'run.output', runId: active.run.id, taskId: active.task.id, stream, line: Math.max(0, active.log.lines - 1), text: rest })
    }
    active.log.close()
    // Output is announced before the run's end.
    this.flushOutput()
    // Detached while the engine is not closing: nobody follows the run any more, as if its worker were lost.
    if (endedBy && !active.stopReason) active.stopReason = endedBy === 'worker-lost' || endedBy === 'detached' ? 'lost' : endedBy
    const { status, endReason } = this.outcomeStatus(active, outcome)
    const finishedAt = this.now()
    const run: Run = {
      // A run that ends while held is no longer held by anything.
      ...withoutHold(active.run),
      worker: 'worker' in outcome && outcome.worker ? outcome.worker : active.run.worker,
      status,
      ...endedBecause(endReason),
      finishedAt,
      durationMs: finishedAt - active.run.startedAt,
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      result: outcome.result === undefined ? null : (outcome.result as Run['result']),
      logLines: active.log.lines,
      logBytes: active.log.bytes,
      droppedBytes: active.log.droppedBytes,
      ...stderrTailOf(active, status, endReason),
      ...usageOf(active),
    }
    this.runs.set(run.id, run)
    const group = active.task.definition.group
    this.runningPerGroup.set(group, Math.max(0, (this.runningPerGroup.get(group) ?? 1) - 1))
    this.emit({ type: 'run.finished', run }, undefined, [['deleteRunProcess', run.id]], finishedAt)
    const task = this.tasks.get(active.task.id)!
    const saved = this.saveTask(task, { ...this.afterRun(task, run), ...(active.progress ? { progress: active.progress } : {}) })
    this.pauseOnFailure(saved.task, run)
    // Failed for good (no retry follows): what the runner kept for a next attempt (partial downloads) goes.
    if (saved.task.status === 'failed' || saved.task.status === 'timed_out') this.discardKept(saved.task, 'attempt')
    this.finishedSinceStats++
    this.completions.unshift({ taskId: task.id, name: task.name, group, status, endReason, deliveredAtSeq: this.store.lastAppendedSeq })
    this.completions.length = Math.min(this.completions.length, RECENT_COMPLETIONS)
    active.finish()
    await saved.committed
  }

  /**
   * A task of a `pause-group` group that failed for good (its retries spent, or none; a cancel, an interruption or a
   * lost worker is no failure) pauses its group, naming itself as the cause: nothing more of it starts until a user
   * resumes it. Its running runs go on (as pueue's pause on failure leaves them): the failure is theirs to judge by.
   */
  private pauseOnFailure(task: Task, run: Run): void {
    if (task.status !== 'failed' && task.status !== 'timed_out') return
    const group = this.groups.get(task.definition.group)
    if (group?.onFailure !== 'pause-group' || group.paused) return
    void this.saveGroup({ ...group, paused: true, pausedFor: { kind: 'failure', taskId: task.id, runId: run.id, at: run.finishedAt ?? this.now() } })
  }

  /**
   * The engine is closing and the backend leaves this run going on elsewhere (a remote
   * worker): it stays `running` in the log, for the backend to adopt after the restart.
   */
  private detach(active: ActiveRun): void {
    this.active.delete(active.run.id)
    this.activeByTask.delete(active.task.id)
    if (active.timeout) clearTimeout(active.timeout)
    if (active.recordPid) clearTimeout(active.recordPid)
    active.log.close()
    this.flushOutput()
    active.finish()
  }

  private outcomeStatus(active: ActiveRun, outcome: RunOutcome): { status: RunStatus; endReason: EndReason | null } {
    switch (active.stopReason) {
      case 'cancel':
        return { status: 'cancelled', endReason: { kind: 'cancelled' } }
      case 'timeout':
        return { status: 'timed_out', endReason: { kind: 'timed-out', afterMs: active.task.definition.timeoutMs ?? 0 } }
      case 'limit':
        return { status: 'failed', endReason: active.limitReason ?? { kind: 'killed', signal: outcome.signal ?? 'SIGTERM' } }
      case 'shutdown':
        return { status: 'interrupted', endReason: INTERRUPTED }
      case 'lost':
        return { status: 'interrupted', endReason: outcome.failure ?? { kind: 'worker-lost', worker: null, cause: null } }
      case null:
        break
    }
    if (outcome.failure) return { status: 'failed', endReason: outcome.failure }
    if (outcome.signal) return { status: 'failed', endReason: { kind: 'killed', signal: outcome.signal } }
    if (outcome.exitCode !== null && outcome.exitCode !== 0) {
      return { status: 'failed', endReason: { kind: 'exited', code: outcome.exitCode, commandNotFound: outcome.exitCode === 127 } }
    }
    return { status: 'succeeded', endReason: null }
  }

  /** The task's next state once a run ended: done, retried after a backoff, or re-queued after an interruption. */
  private afterRun(task: Task, run: Run): TaskPatch {
    const retry = task.definition.retry
    if ((run.status === 'failed' || run.status === 'timed_out') && retry && task.attempts < retry.maxAttempts) {
      // Counted from the run's end, as pendingRetry recounts it, so a wait restored later is the same instant.
      const failedAt = run.finishedAt ?? this.now()
      return { status: 'waiting', waitingFor: { kind: 'backoff', until: failedAt + this.backoffDelay(retry, task.attempts), attempt: task.attempts + 1 }, ...endedBecause(null) }
    }
    if (run.status === 'interrupted' && task.definition.retryOnInterrupt) return { status: 'queued', waitingFor: null, ...endedBecause(null) }
    return { status: run.status === 'paused' || run.status === 'running' ? 'failed' : run.status, waitingFor: null, ...endedBecause(null) }
  }

  /** How long to wait after failed attempt number `attempts`: exponential, capped, with jitter. */
  private backoffDelay(retry: NonNullable<TaskDefinition['retry']>, attempts: number): number {
    const base = Math.min(retry.maxBackoffMs, retry.backoffMs * retry.factor ** (attempts - 1))
    return Math.max(0, Math.round(base * (1 + retry.jitter * (2 * this.random() - 1))))
  }

  /**
   * The retry an edited task still waits for. An edit keeps a pending retry's time: editing a
   * failing task (say, fixing its command) must not start it at once. Only an edit of the
   * retry policy's timing (backoffMs, factor, maxBackoffMs, jitter) reschedules it, counted
   * from the end of the last run under the new policy. Removing the policy or lowering
   * maxAttempts does not cancel the attempt already scheduled; it limits the ones after it.
   */
  private pendingRetryAfterEdit(task: Task, definition: TaskDefinition): WaitReason | null {
    const wait = task.waitingFor
    if (task.status !== 'waiting' || wait?.kind !== 'backoff') return null
    const before = task.definition.retry
    const after = definition.retry
    if (!before || !after || retryTimingKey(before) === retryTimingKey(after)) return wait
    const lastRun = task.lastRunId !== null ? this.runs.get(task.lastRunId) : undefined
    const failedAt = lastRun?.finishedAt ?? this.now()
    return { ...wait, until: failedAt + this.backoffDelay(after, task.attempts) }
  }

  // ─── recovery ──────────────────────────────────────────────────────────────────────

  /**
   * After a crash (or a clean close): runs that were running become `interrupted` and
   * leftovers of their process groups are killed; tasks marked `retryOnInterrupt` go
   * back to the queue in their old place; queued, waiting and delayed tasks keep theirs.
   * A run the backend can still follow (a remote worker's job) is adopted instead and ends
   * normally.
   */
  private recover(crashed: boolean): void {
    if (!this.groups.has('default')) void this.saveGroup({ name: 'default', parallel: this.settings.defaultGroupParallel, paused: false })
    const leftovers = this.store.db.prepare('SELECT pid, start_ticks, boot_id FROM run_processes').all() as {
      pid: number
      start_ticks: string | null
      boot_id: string | null
    }[]
    killLeftoverGroups(leftovers.flatMap((row) => (row.start_ticks === null ? [] : [{ pgid: row.pid, startTicks: row.start_ticks, bootId: row.boot_id }])))
    for (const task of this.tasks.values()) if (task.status === 'queued') this.enqueue(task)
    const now = this.now()
    const interrupted = new Set<number>()
    for (const run of [...this.runs.values()]) {
      if (run.status !== 'running' && run.status !== 'paused') continue
      if (run.status === 'running' && this.adopt(run)) continue
      const totals = logTotals(this.logDir, run.id)
      // What it last said on stderr, as a run that ends while the engine runs keeps it (read back from its log).
      const stderr = readStreamTail(this.logDir, run.id, 'stderr', STDERR_TAIL.windowBytes)
      const stderrTail = tailText(stderr.bytes, stderr.cut)
      // A run held for its group's conditions when the engine died is held by nothing once it has ended.
      const ended: Run = {
        ...withoutHold(run),
        status: 'interrupted',
        ...endedBecause(INTERRUPTED),
        finishedAt: now,
        durationMs: now - run.startedAt,
        logLines: totals.lines,
        logBytes: totals.bytes,
        droppedBytes: totals.droppedBytes,
        ...(stderrTail === null ? {} : { stderrTail }),
      }
      this.runs.set(run.id, ended)
      interrupted.add(run.id)
      this.emit({ type: 'run.finished', run: ended }, undefined, [['deleteRunProcess', run.id]], now)
    }
    for (const task of [...this.tasks.values()]) {
      const wasRunning = task.status === 'running' || (task.status === 'paused' && task.lastRunId !== null && interrupted.has(task.lastRunId))
      if (!wasRunning || this.activeByTask.has(task.id)) continue
      if (task.definition.retryOnInterrupt) this.saveTask(task, { status: 'queued', waitingFor: null, ...endedBecause(null) })
      else this.saveTask(task, { status: 'interrupted', waitingFor: null, ...endedBecause(INTERRUPTED) })
    }
    for (const task of [...this.tasks.values()]) {
      if (task.status === 'waiting') {
        if (task.waitingFor?.kind === 'dependency') for (const dep of task.waitingFor.taskIds) this.dependantsOf(dep).add(task.id)
        this.evaluateOrArm(task)
      }
    }
    if (crashed && this.settings.pauseAfterCrash) this.pauseAfterCrash()
    this.schedulePump()
  }

  /**
   * pueue's rule after a crash: a group with pending work (queued or waiting tasks) starts
   * paused, so nothing starts unattended before the user has seen what the crash left (the
   * crash may have come from one of these tasks, or the machine's state changed meanwhile).
   * A group is left going when every pending task in it is marked `retryOnInterrupt`: its
   * submitter said it may run again unattended after a crash. An idempotency key does not
   * count: it makes the submit safe to repeat, not the command's effects (a keyed task caught
   * running is recorded `interrupted` too, not run again).
   */
  private pauseAfterCrash(): void {
    const pending = new Map<string, Task[]>()
    for (const task of this.tasks.values()) {
      if (task.status !== 'queued' && task.status !== 'waiting') continue
      const list = pending.get(task.definition.group)
      if (list) list.push(task)
      else pending.set(task.definition.group, [task])
    }
    for (const [name, tasks] of pending) {
      const group = this.groups.get(name)
      if (!group || group.paused || tasks.every((task) => task.definition.retryOnInterrupt)) continue
      void this.saveGroup({ ...group, paused: true, pausedReason: 'crash' })
    }
  }

  /** Hands a run found running at start back to the backend, if it may still be going on there. */
  private adopt(run: Run): boolean {
    const task = this.tasks.get(run.taskId)
    if (!this.backend?.adopt || !task || task.status !== 'running' || task.lastRunId !== run.id) return false
    const active = this.activate(run, task, RunLogWriter.resume(this.logDir, run.id, this.settings.logCapBytes))
    let adopted: BackendRun | null
    try {
      adopted = this.backend.adopt({ group: task.definition.group, name: task.name, pid: run.pid }, this.contextOf(active))
    } catch {
      adopted = null
    }
    if (!adopted) {
      this.active.delete(run.id)
      this.activeByTask.delete(task.id)
      active.log.close()
      return false
    }
    active.started = adopted
    const group = task.definition.group
    this.runningPerGroup.set(group, (this.runningPerGroup.get(group) ?? 0) + 1)
    this.completeWhenDone(active, adopted)
    return true
  }

  private evaluateOrArm(task: Task): void {
    const next = this.evaluate(task)
    const wait = next.waitingFor
    if (next === task && next.status === 'waiting' && wait && (wait.kind === 'delay' || wait.kind === 'backoff')) this.armTimer(task.id, wait.until)
  }

  // ─── groups and settings ──────────────────────────────────────────────────────────

  private saveGroup(group: Group): Promise<void> {
    this.groups.set(group.name, group)
    const { committed } = this.emit({ type: 'group.updated', group })
    // Before the pump: a group that now needs a condition nobody watched waits for its first reading.
    this.reconsiderWatchers()
    this.refreshHeld()
    this.applyHolds([group.name])
    this.schedulePump()
    return committed
  }

  private groupOrThrow(name: string): Group {
    const group = this.groups.get(name)
    if (!group) throw refusal('group-not-found', `There is no group "${name}".`, { group: name })
    return group
  }

  // ─── submit and edit ───────────────────────────────────────────────────────────────

  /**
   * What a definition refers to: its group, its dependencies, no cycle through the task being
   * edited. Checked before the spec's own check (to refuse early) and again in the same turn
   * as the task is stored, so a `group.remove` or a `task.clean` that ran while the spec's
   * check awaited the file system cannot slip in between. Throws a field error.
   */
  private checkReferences(definition: TaskDefinition, editing: number | null): void {
    if (definition.limits && definition.spec.kind === 'http' && (definition.limits.maxMemoryMb !== undefined || definition.limits.maxCpuSeconds !== undefined)) {
      throw badField('definition.limits', 'memory and CPU limits apply to shell and script tasks: an HTTP batch runs inside the engine, where its own use is not measured')
    }
    if (!this.groups.has(definition.group)) {
      throw badField('definition.group', `unknown group "${definition.group}" (create it first: taskdeck group add ${definition.group})`)
    }
    for (const [i, dep] of definition.after.entries()) {
      if (!this.tasks.has(dep)) throw badField(`definition.after.${i}`, `there is no task ${dep}`)
      if (dep === editing) throw badField(`definition.after.${i}`, 'a task cannot depend on itself')
    }
    if (editing !== null && this.reaches(definition.after, editing)) {
      throw badField('definition.after', `this would make a dependency cycle through task ${editing}`)
    }
  }

  /** The spec's own check by its runner (a script file exists, a URL is allowed): may await I/O. */
  private async checkSpec(definition: TaskDefinition): Promise<void> {
    const runner = runnerFor(this.runners, definition.spec.kind)
    if (!runner.check) return
    // Submits of equal specs under way at once share one check: a batch (or a burst of single
    // submits) of a thousand runs of one script looks at the file once, at that same moment,
    // instead of making two file-system calls per task on the main thread.
    const key = JSON.stringify(definition.spec)
    let check = this.checksUnderWay.get(key)
    if (!check) {
      check = runner.check(definition.spec).finally(() => this.checksUnderWay.delete(key))
      this.checksUnderWay.set(key, check)
    }
    return check
  }

  /** A task that has not started yet: only such a task can be edited. */
  private editableOrThrow(taskId: number): Task {
    const task = this.taskOrThrow(taskId)
    if (this.activeByTask.has(taskId) || isFinished(task.status)) {
      throw refusal('task-not-editable', `Only a task that has not started can be edited; task ${taskId} is ${task.status}.`, { taskId, status: task.status })
    }
    return task
  }

  /** Does following `after` links from `from` reach `target`? */
  private reaches(from: readonly number[], target: number): boolean {
    const seen = new Set<number>()
    const stack = [...from]
    while (stack.length > 0) {
      const id = stack.pop()!
      if (id === target) return true
      if (seen.has(id)) continue
      seen.add(id)
      stack.push(...(this.tasks.get(id)?.definition.after ?? []))
    }
    return false
  }

  private async submit(definition: TaskDefinition, idempotencyKey?: string): Promise<{ task: Task; duplicate?: true }> {
    this.refuseWhileClosing()
    const earlier = this.byIdempotencyKey(definition, idempotencyKey)
    if (earlier) return earlier
    this.checkReferences(definition, null)
    await this.checkSpec(definition)
    this.refuseWhileClosing()
    // Another submit with this key may have stored its task while the spec's check awaited.
    const meanwhile = this.byIdempotencyKey(definition, idempotencyKey)
    if (meanwhile) return meanwhile
    this.checkReferences(definition, null)
    const { task, committed } = this.create(definition, idempotencyKey)
    await committed
    return { task }
  }

  /**
   * The task an earlier submit with this key made, as a duplicate answer; a definition other than
   * that task's is refused by name (Stripe's rule: one key, one request), since answering with a
   * task that is not what was asked for would hide the client's mistake.
   */
  private byIdempotencyKey(definition: TaskDefinition, key: string | undefined): { task: Task; duplicate: true } | null {
    if (key === undefined) return null
    const id = this.taskByKey.get(key)
    const task = id === undefined ? undefined : this.tasks.get(id)
    if (!task) return null
    if (JSON.stringify(task.definition) !== JSON.stringify(definition)) {
      throw refusal(
        'idempotency-key-used',
        `idempotencyKey "${key}" was already used for task ${task.id} with a different definition; use a new key for a different task (or remove task ${task.id} first).`,
        { idempotencyKey: key, taskId: task.id },
        { issues: [{ path: 'idempotencyKey', message: `already used for task ${task.id} with a different definition` }] },
      )
    }
    return { task, duplicate: true }
  }

  /**
   * Checks every definition first (refusing all if one is wrong), then stores all new tasks in one
   * transaction. A definition whose key (`keys`, by index) an earlier submit used is answered with that
   * task (its index in `duplicates`) and not checked or stored again; one with another definition is refused.
   */
  private async submitMany(definitions: readonly TaskDefinition[], keys?: readonly (string | null)[]): Promise<{ tasks: Task[]; duplicates?: number[] }> {
    this.refuseWhileClosing()
    const earlierTasks = (): (Task | null)[] =>
      definitions.map((definition, i) => {
        try {
          return this.byIdempotencyKey(definition, keys?.[i] ?? undefined)?.task ?? null
        } catch (error) {
          // The key's refusal, said of its place in the batch.
          if (!(error instanceof TaskdeckError)) throw error
          const issues = ((error.details as { issues?: FieldIssue[] } | undefined)?.issues ?? []).map((issue) => ({ ...issue, path: `idempotencyKeys.${i}` }))
          throw new TaskdeckError(error.code, `definitions.${i}: ${error.message}`, { ...(error.details as object | undefined), index: i, issues })
        }
      })
    let earlier = earlierTasks()
    const checkAllReferences = () =>
      definitions.forEach((definition, i) => {
        if (earlier[i] !== null) return
        try {
          this.checkReferences(definition, null)
        } catch (error) {
          throw atIndex(error, i)
        }
      })
    checkAllReferences()
    await Promise.all(
      definitions.map(async (definition, i) => {
        if (earlier[i] !== null) return
        try {
          await this.checkSpec(definition)
        } catch (error) {
          throw atIndex(error, i)
        }
      }),
    )
    this.refuseWhileClosing()
    // Another submit with one of these keys may have stored its task while the specs' checks awaited.
    earlier = earlierTasks()
    checkAllReferences()
    const created = this.store.together(() => definitions.map((definition, i) => (earlier[i] === null ? this.create(definition, keys?.[i] ?? undefined) : null)))
    const made = created.filter((c) => c !== null)
    // Stored in one transaction: the last one's commit is everyone's.
    await made[made.length - 1]?.committed
    const tasks = created.map((c, i) => c?.task ?? earlier[i]!)
    return keys === undefined ? { tasks } : { tasks, duplicates: earlier.flatMap((task, i) => (task === null ? [] : [i])) }
  }

  private refuseWhileClosing(): void {
    if (this.closing) throw refusal('engine-closing', 'The engine is shutting down.', {})
  }

  private create(definition: TaskDefinition, idempotencyKey?: string): SavedTask {
    const id = ++this.lastTaskId
    if (idempotencyKey !== undefined) this.taskByKey.set(idempotencyKey, id)
    const now = this.now()
    const draft: Task = {
      id,
      name: definition.name || defaultName(definition),
      definition,
      status: 'stashed',
      waitingFor: null,
      createdAt: now,
      updatedAt: now,
      attempts: 0,
      lastRunId: null,
      progress: null,
      ...endedBecause(null),
      queueOrder: id,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    }
    const initial = definition.stashed ? { status: 'stashed' as const, waitingFor: null } : this.readiness(draft)
    return this.saveTask(null, { ...draft, ...initial, ...endedBecause('endReason' in initial ? initial.endReason : null) })
  }

  // ─── commands ──────────────────────────────────────────────────────────────────────

  /**
   * Applies `change` to each named task, in order, and returns the ids it changed. A refusal
   * changes nothing: every task must exist, and `check` (what the command refuses: a conflict)
   * passes for the whole list before any task is changed.
   */
  private affect(taskIds: readonly number[], change: (task: Task) => boolean, check?: (tasks: readonly Task[]) => void): number[] {
    const missing = taskIds.flatMap((id, index) => (this.tasks.has(id) ? [] : [{ id, index }]))
    if (missing.length > 0) {
      const ids = missing.map(({ id }) => id)
      throw refusal('task-not-found', ids.length === 1 ? `There is no task ${ids[0]}.` : `There are no tasks ${ids.join(', ')}.`, { taskIds: ids }, {
        issues: missing.map(({ id, index }) => ({ path: `taskIds.${index}`, message: `there is no task ${id}` })),
      })
    }
    check?.(taskIds.map((id) => this.tasks.get(id)!))
    return taskIds.filter((id) => change(this.tasks.get(id)!))
  }

  /** A user's pause of a running task its runner cannot pause (a script) is refused. */
  private pauseRefusal(task: Task): TaskdeckError | null {
    const active = this.activeByTask.get(task.id)
    if (!active || task.status === 'paused' || active.started?.pause) return null
    const kind = task.definition.spec.kind
    return refusal('task-not-pausable', `Task ${task.id} (${kind}) cannot be paused while it runs.`, { taskId: task.id, kind })
  }

  /**
   * Refuses a retry of finished tasks of which one would fail at once for a dependency, unless
   * that dependency runs again too: retried in the same list, or revived by a retry of the
   * list (a dependant failed only by a dependency comes back with it, see reviveDependants).
   */
  /** Tasks that failed only because a dependency did (their reason says so), by each of their dependencies. */
  private failedDependants(): Map<number, Task[]> {
    const byDependency = new Map<number, Task[]>()
    for (const task of this.tasks.values()) {
      if (!failedByDependency(task)) continue
      for (const dep of task.definition.after) {
        const list = byDependency.get(dep)
        if (list) list.push(task)
        else byDependency.set(dep, [task])
      }
    }
    return byDependency
  }

  private checkRetries(tasks: readonly Task[]): void {
    const retried = tasks.filter((task) => isFinished(task.status))
    const again = new Set(retried.map((task) => task.id))
    const runsAgain = (depId: number) => {
      const dep = this.tasks.get(depId)
      return dep !== undefined && (again.has(depId) || !isUnsuccessful(dep.status))
    }
    const failedDependants = this.failedDependants()
    const revived = [...again]
    while (revived.length > 0) {
      for (const dependant of failedDependants.get(revived.pop()!) ?? []) {
        if (again.has(dependant.id) || !dependant.definition.after.every(runsAgain)) continue
        again.add(dependant.id)
        revived.push(dependant.id)
      }
    }
    for (const task of retried) {
      const blocking = task.definition.after.find((depId) => !runsAgain(depId))
      if (blocking === undefined) continue
      const dep = this.tasks.get(blocking)
      const reason: EndReason = dep && isUnsuccessful(dep.status)
        ? { kind: 'dependency-ended', taskId: blocking, status: dep.status, cause: dependencyCause(this.endReasonOf(dep)) }
        : { kind: 'dependency-missing', taskId: blocking }
      throw refusal('task-cannot-run', `Task ${task.id} cannot run: ${describeEndReason(reason)}.`, { taskId: task.id, endReason: reason })
    }
  }

  /**
   * Retries the named tasks (checked whole first, see checkRetries). One whose dependency is
   * revived by another of the list waits for that one to go first, whatever the list's order.
   */
  private retryAll(taskIds: readonly number[]): number[] {
    const named = [...new Set(taskIds)]
    let remaining = named
    const affected = new Set<number>()
    // Only the refusals: that every task exists, and checkRetries.
    this.affect(named, () => false, (tasks) => this.checkRetries(tasks))
    while (remaining.length > 0) {
      const deferred: number[] = []
      let refusal: unknown = null
      for (const id of remaining) {
        try {
          if (this.retry(this.tasks.get(id)!)) affected.add(id)
        } catch (error) {
          refusal ??= error
          deferred.push(id)
        }
      }
      if (deferred.length === remaining.length) throw refusal
      remaining = deferred
    }
    return named.filter((id) => affected.has(id))
  }

  private cancel(task: Task): boolean {
    const active = this.activeByTask.get(task.id)
    if (active) {
      this.stop(active, 'cancel')
      return true
    }
    if (isFinished(task.status)) return false
    this.saveTask(task, { status: 'cancelled', waitingFor: null, ...endedBecause({ kind: 'cancelled' }) })
    return true
  }

  /** Pauses a task: a running one is stopped (SIGSTOP for shell), a waiting one is held. `scope` says who asked. */
  private pause(task: Task, scope: 'task' | 'group' | 'all' = 'task'): boolean {
    const active = this.activeByTask.get(task.id)
    if (active) {
      if (task.status === 'paused') {
        // A user's pause of a run held for the machine makes it theirs: it stays paused once the conditions are met.
        if (scope !== 'task' || !active.run.heldFor) return false
        this.updateActive(active, task, withoutHold(active.run), { waitingFor: { kind: 'paused', scope: 'task' } })
        return true
      }
      const refusal = this.pauseRefusal(task)
      if (refusal) {
        if (scope !== 'task') return false
        throw refusal
      }
      // No refusal: its runner can pause it.
      active.started!.pause!()
      this.updateActive(active, task, { ...active.run, status: 'paused' }, { status: 'paused', waitingFor: { kind: 'paused', scope } })
      return true
    }
    if (task.status !== 'queued' && task.status !== 'waiting') return false
    this.saveTask(task, { status: 'paused', waitingFor: { kind: 'paused', scope: 'task' } })
    return true
  }

  /** Resumes a paused task; a group or engine resume (`scope`) leaves tasks the user paused one by one alone. */
  private resume(task: Task, scope: 'task' | 'group' | 'all' = 'task'): boolean {
    if (task.status !== 'paused') return false
    const pausedBy = task.waitingFor?.kind === 'paused' ? task.waitingFor.scope : 'task'
    if (scope !== 'task' && pausedBy !== scope) return false
    const active = this.activeByTask.get(task.id)
    if (active) {
      // A paused engine or group lets go of a run its group's conditions now hold: it stays stopped, held for them.
      // A user's own resume wins over a hold (until the group's unmet conditions change again).
      const unmet = scope === 'task' ? [] : this.holdingFor(this.groups.get(task.definition.group))
      if (unmet.length > 0) {
        this.markHeld(active, task, unmet)
        return true
      }
      active.started?.resume?.()
      this.updateActive(active, task, { ...withoutHold(active.run), status: 'running' }, { status: 'running', waitingFor: null })
      return true
    }
    this.evaluate({ ...task, waitingFor: this.pendingRetry(task) })
    return true
  }

  /**
   * A task paused or stashed while it waited for a retry waits for it again once resumed or
   * unstashed (a pause or a stash replaces the wait, so the time is drawn again: the last
   * run's end plus the policy's backoff for that attempt). It was waiting for one when its
   * last run is its latest attempt, that run failed or timed out, and the policy allows another.
   */
  private pendingRetry(task: Task): WaitReason | null {
    const retry = task.definition.retry
    const lastRun = task.lastRunId !== null ? this.runs.get(task.lastRunId) : undefined
    if (!retry || !lastRun || lastRun.finishedAt === null || lastRun.attempt !== task.attempts || task.attempts >= retry.maxAttempts) return null
    if (lastRun.status !== 'failed' && lastRun.status !== 'timed_out') return null
    return { kind: 'backoff', until: lastRun.finishedAt + this.backoffDelay(retry, task.attempts), attempt: task.attempts + 1 }
  }

  /** A running task paused by one scope stays paused, now on behalf of the other. */
  private handOverPause(task: Task, from: 'group' | 'all', to: 'group' | 'all'): void {
    const active = this.activeByTask.get(task.id)
    if (task.status !== 'paused' || task.waitingFor?.kind !== 'paused' || task.waitingFor.scope !== from || !active) return
    active.task = this.saveTask(task, { waitingFor: { kind: 'paused', scope: to } }).task
  }

  private retry(task: Task): boolean {
    if (!isFinished(task.status)) return false
    // A manual retry starts a fresh round of automatic attempts; earlier runs stay as history.
    const fresh = { ...task, attempts: 0, waitingFor: null, ...endedBecause(null) }
    const next = this.readiness(fresh)
    if (next.status === 'failed') {
      const endReason: EndReason = next.endReason ?? { kind: 'message', text: 'a dependency failed' }
      throw refusal('task-cannot-run', `Task ${task.id} cannot run: ${describeEndReason(endReason)}.`, { taskId: task.id, endReason })
    }
    this.saveTask(task, { attempts: 0, status: next.status, waitingFor: next.waitingFor, ...endedBecause(null) })
    this.reviveDependants(task.id)
    return true
  }

  /**
   * Dependants that failed only because a dependency failed (their reason says so) wait
   * again once that dependency is retried, and so do theirs, transitively: like pueue, a
   * retried link lets the whole chain complete. A dependant that still has another failed
   * dependency stays failed, its reason now naming that one (retrying it revives it).
   */
  private reviveDependants(retriedId: number): void {
    const failedDependants = this.failedDependants()
    const revived = [retriedId]
    while (revived.length > 0) {
      for (const stale of failedDependants.get(revived.pop()!) ?? []) {
        const dependant = this.tasks.get(stale.id)!
        if (!failedByDependency(dependant)) continue
        const next = this.readiness({ ...dependant, attempts: 0, waitingFor: null, ...endedBecause(null) })
        if (next.status === 'failed') {
          const now = endedBecause(next.endReason)
          if (now.reason !== dependant.reason) this.saveTask(dependant, now)
          continue
        }
        this.saveTask(dependant, { attempts: 0, status: next.status, waitingFor: next.waitingFor, ...endedBecause(null) })
        revived.push(dependant.id)
      }
    }
  }

  private move(task: Task, to: 'up' | 'down' | 'top' | 'bottom'): Task {
    if (task.status !== 'queued') throw refusal('task-not-queued', `Only a queued task can be moved; task ${task.id} is ${task.status}.`, { taskId: task.id, status: task.status })
    const queue = this.queueOf(task.definition.group)
    const index = queue.indexOf(task.id)
    const at = (i: number) => this.tasks.get(queue[i]!)!
    const target = to === 'up' ? index - 1 : to === 'down' ? index + 1 : to === 'top' ? 0 : queue.length - 1
    if (target < 0 || target >= queue.length || target === index) return task
    const neighbour = at(target)
    const neighbourOrder = neighbour.queueOrder ?? neighbour.id
    // Taking the neighbour's priority and stepping just past it puts the task exactly there.
    const step = to === 'up' || to === 'top' ? -1 : 1
    const beyond = target + step >= 0 && target + step < queue.length ? at(target + step) : null
    const beyondOrder = beyond && beyond.definition.priority === neighbour.definition.priority ? (beyond.queueOrder ?? beyond.id) : neighbourOrder + step
    const queueOrder = (neighbourOrder + beyondOrder) / 2
    return this.saveTask(task, { definition: { ...task.definition, priority: neighbour.definition.priority }, queueOrder }).task
  }

  private snapshot(): LoopSnapshot {
    const entry = (task: Task, state: LoopState): LoopEntry => {
      const group = task.definition.group
      return { taskId: task.id, name: task.name, group, detail: describeLoopState(state, group), state }
    }
    const ready: LoopEntry[] = []
    const waiting: LoopEntry[] = []
    for (const [name, queue] of this.queues) {
      const held = this.queueHeld(name)
      queue.forEach((id, position) => {
        const task = this.tasks.get(id)!
        if (held) waiting.push(entry(task, held))
        else ready.push(entry(task, { kind: 'ready', position: position + 1 }))
      })
    }
    for (const task of this.tasks.values()) if (this.waitsOutsideQueues(task)) waiting.push(entry(task, { kind: 'waiting', waitingFor: task.waitingFor }))
    const running = [...this.active.values()].map((a) => {
      const task = this.tasks.get(a.task.id)!
      return entry(task, { kind: task.status === 'paused' ? 'paused' : 'running', since: a.run.startedAt, pid: a.run.pid })
    })
    // Newest first; a run whose end is not yet durable is still being delivered.
    const completion = this.completions.map(({ deliveredAtSeq, taskId, name, group, status, endReason }) => {
      const state: LoopState = { kind: 'finished', status, endReason, delivering: deliveredAtSeq > this.store.headSeq }
      return { taskId, name, group, detail: describeLoopState(state, group), state }
    })
    return { ready, waiting, running, completion, paused: this.paused }
  }

  /**
   * Why a group's queued tasks cannot start now (the whole queue alike), or null when they are
   * ready: the Loop's lanes and engine.stats' queue depth both decide by it, so the chart and
   * the lists count the same tasks.
   */
  private queueHeld(name: string): LoopState | null {
    const group = this.groups.get(name)
    if (this.paused) return { kind: 'all-paused' }
    if (group?.paused) return group.pausedReason ? { kind: 'group-paused', reason: group.pausedReason } : { kind: 'group-paused' }
    const unmet = group ? this.unmetConditions(group) : []
    if (unmet.length > 0) return { kind: 'machine', unmet }
    const running = this.runningPerGroup.get(name) ?? 0
    if (group && running >= group.parallel) return { kind: 'group-full', running, parallel: group.parallel }
    const slot = group?.rate ? this.nextSlot(group) : null
    if (group?.rate && slot !== null) return { kind: 'rate-limited', max: group.rate.max, perMs: group.rate.perMs, until: slot }
    return null
  }

  /** A task the Waiting lane lists though it is in no queue: waiting (delay, dependency, backoff) or paused without a run. */
  private waitsOutsideQueues(task: Task): boolean {
    return task.status === 'waiting' || (task.status === 'paused' && !this.activeByTask.has(task.id))
  }

  private emitStats(): void {
    const now = this.now()
    const histogram = this.loopDelay!
    const resolutionMs = 10
    const ms = (ns: number) => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - resolutionMs) : 0)
    const seconds = Math.max(0.001, (now - this.lastStatsAt) / 1000)
    // Counted as the Loop's lanes list them (snapshot): a queued task its group holds back is waiting, not ready.
    let ready = 0
    let waiting = 0
    for (const [name, queue] of this.queues) {
      if (this.queueHeld(name)) waiting += queue.length
      else ready += queue.length
    }
    for (const task of this.tasks.values()) if (this.waitsOutsideQueues(task)) waiting++
    this.announce([
      {
        type: 'engine.stats',
        at: now,
        loopDelayMs: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) },
        queueDepth: { ready, waiting, running: this.active.size },
        throughput: this.finishedSinceStats / seconds,
        headSeq: this.store.headSeq,
      },
    ])
    histogram.reset()
    this.finishedSinceStats = 0
    this.lastStatsAt = now
  }

  private exportDocument(taskIds?: number[]): ExportDocument {
    const tasks = taskIds ? taskIds.map((id) => this.taskOrThrow(id)) : [...this.tasks.values()]
    const runs = tasks.flatMap((t) => (this.runsByTask.get(t.id) ?? []).map((id) => this.runs.get(id)!).filter(Boolean))
    return { format: 'taskdeck-export', version: 1, exportedAt: this.now(), groups: [...this.groups.values()], tasks, runs }
  }

  /**
   * Imports a document as history: every task gets a new id (dependencies are remapped
   * within the document), runs keep their outcome but have no logs, unknown groups are
   * created. Nothing starts by itself: tasks that were not finished arrive stashed, and
   * runs that were running arrive interrupted. Either the whole document is taken or none.
   */
  private async importDocument(document: ExportDocument): Promise<{ from: number; to: number }[]> {
    const ids = new Set(document.tasks.map((t) => t.id))
    if (ids.size !== document.tasks.length) throw badField('document.tasks', 'task ids must be unique')
    document.tasks.forEach((task, i) => {
      task.definition.after.forEach((dep, j) => {
        if (!ids.has(dep)) throw badField(`document.tasks.${i}.definition.after.${j}`, `task ${dep} is not in the document`)
      })
      const groupKnown = this.groups.has(task.definition.group) || document.groups.some((g) => g.name === task.definition.group)
      if (!groupKnown) throw badField(`document.tasks.${i}.definition.group`, `unknown group "${task.definition.group}"`)
      runnerFor(this.runners, task.definition.spec.kind)
    })
    document.runs.forEach((run, i) => {
      if (!ids.has(run.taskId)) throw badField(`document.runs.${i}.taskId`, `task ${run.taskId} is not in the document`)
    })
    for (const group of document.groups) if (!this.groups.has(group.name)) void this.saveGroup(group)
    const mapping = new Map<number, number>()
    for (const task of document.tasks) mapping.set(task.id, ++this.lastTaskId)
    const runIds = new Map<number, number>()
    for (const run of document.runs) runIds.set(run.id, ++this.lastRunId)
    let last: Promise<void> = Promise.resolve()
    for (const run of document.runs) {
      const status: RunStatus = run.status === 'running' || run.status === 'paused' ? 'interrupted' : run.status
      const imported: Run = { ...run, id: runIds.get(run.id)!, taskId: mapping.get(run.taskId)!, status, pid: null, logLines: 0, logBytes: 0, droppedBytes: 0 }
      this.addRun(imported)
      last = this.emit({ type: 'run.finished', run: imported }).committed
    }
    // An imported task is a copy, not the submission its key named: the key stays with the original (and unique).
    for (const { idempotencyKey: _key, ...task } of document.tasks) {
      const id = mapping.get(task.id)!
      const finished = isFinished(task.status)
      const definition = { ...task.definition, after: task.definition.after.map((dep) => mapping.get(dep)!) }
      last = this.saveTask(null, {
        ...task,
        id,
        definition,
        status: finished ? task.status : 'stashed',
        waitingFor: null,
        lastRunId: task.lastRunId !== null ? (runIds.get(task.lastRunId) ?? null) : null,
        queueOrder: id,
      }).committed
    }
    await last
    return document.tasks.map((task) => ({ from: task.id, to: mapping.get(task.id)! }))
  }

  private createHandlers(): CommandHandlers {
    const committed = () => this.store.waitFor(this.store.lastAppendedSeq)
    // A read answers from memory, which may be ahead of the log by one group commit; it is
    // sent only once that commit is durable, so no client ever sees state a crash could undo.
    const durableRead = async <T>(value: T): Promise<T> => {
      await committed()
      return value
    }
    const withTasks = async (params: { taskIds: number[] }, change: (task: Task) => boolean, check?: (tasks: readonly Task[]) => void) => {
      const affected = this.affect(params.taskIds, change, check)
      await committed()
      return { affected }
    }
    return {
      'task.submit': async ({ definition, idempotencyKey }) => this.submit(definition, idempotencyKey),
      'task.submitMany': async ({ definitions, idempotencyKeys }) => this.submitMany(definitions, idempotencyKeys),
      'task.list': (params) => durableRead(this.list(params)),
      'task.get': ({ taskId }) => {
        const task = this.taskOrThrow(taskId)
        return durableRead({ task, runs: (this.runsByTask.get(taskId) ?? []).map((id) => this.runs.get(id)!) })
      },
      'task.cancel': (params) => withTasks(params, (task) => this.cancel(task)),
      'task.pause': (params) =>
        withTasks(
          params,
          (task) => this.pause(task),
          (tasks) => {
            for (const task of tasks) {
              const refusal = this.pauseRefusal(task)
              if (refusal) throw refusal
            }
          },
        ),
      'task.resume': (params) => withTasks(params, (task) => this.resume(task)),
      'task.retry': async (params) => {
        const affected = this.retryAll(params.taskIds)
        await committed()
        return { affected }
      },
      'task.stash': (params) =>
        withTasks(params, (task) => {
          if (task.status !== 'queued' && task.status !== 'waiting' && !(task.status === 'paused' && !this.activeByTask.has(task.id))) return false
          this.saveTask(task, { status: 'stashed', waitingFor: null })
          return true
        }),
      'task.unstash': (params) =>
        withTasks(params, (task) => {
          if (task.status !== 'stashed') return false
          this.evaluate({ ...task, waitingFor: this.pendingRetry(task) })
          return true
        }),
      'task.edit': async ({ taskId, definition }) => {
        this.editableOrThrow(taskId)
        this.checkReferences(definition, taskId)
        await this.checkSpec(definition)
        // The task may have started, ended or gone, what it refers to changed, or the engine begun to close, while the spec was checked.
        this.refuseWhileClosing()
        const current = this.editableOrThrow(taskId)
        this.checkReferences(definition, taskId)
        const edited = { ...current, definition, name: definition.name || defaultName(definition) }
        const next =
          current.status === 'stashed' || current.status === 'paused'
            ? { status: current.status, waitingFor: current.waitingFor }
            : this.readiness({ ...edited, waitingFor: this.pendingRetryAfterEdit(current, definition) })
        const saved = this.saveTask(current, { definition, name: edited.name, status: next.status, waitingFor: next.waitingFor, ...endedBecause('endReason' in next ? next.endReason : null) })
        await saved.committed
        return { task: saved.task }
      },
      'task.move': async ({ taskId, to }) => {
        const task = this.move(this.taskOrThrow(taskId), to)
        await committed()
        return { task }
      },
      'task.send': ({ taskId, text }) => {
        const task = this.taskOrThrow(taskId)
        const active = this.activeByTask.get(taskId)
        if (!active) throw refusal('task-not-running', `Task ${taskId} is not running (status: ${task.status}); only a running task takes input.`, { taskId, status: task.status })
        const kind = task.definition.spec.kind
        if (kind !== 'shell') throw refusal('task-no-stdin', `Task ${taskId} (${kind}) has no stdin.`, { taskId, kind })
        if (active.started?.send) active.started.send(text)
        else active.unsent.push(text)
        return Promise.resolve({})
      },
      'task.clean': async ({ olderThanMs, statuses, taskIds }) => {
        const removed = this.clean(olderThanMs, statuses, taskIds)
        await committed()
        return { removed }
      },
      'group.list': () => durableRead({ groups: [...this.groups.values()], enginePaused: this.paused }),
      'group.set': async ({ name, parallel, create, onlyWhen, whenUnmet, onFailure, rate }) => {
        const existing = (create === false ? this.groupOrThrow(name) : this.groups.get(name)) ?? { name, paused: false }
        const group = withRules(withConditions({ ...existing, parallel: parallel ?? ('parallel' in existing ? existing.parallel : this.settings.defaultGroupParallel) }, onlyWhen, whenUnmet), onFailure, rate)
        this.refuseConditionsElsewhere(group)
        await this.saveGroup(group)
        // Runs held or released by the change are recorded too.
        await committed()
        return { group }
      },
      'group.remove': async ({ name }) => {
        this.groupOrThrow(name)
        if (name === 'default') throw refusal('group-default', 'The default group cannot be removed.', { group: name })
        const inUse = [...this.tasks.values()].filter((t) => t.definition.group === name && !isFinished(t.status)).map((t) => t.id)
        if (inUse.length > 0) throw refusal('group-not-empty', `Group "${name}" still has unfinished tasks: ${inUse.slice(0, 10).join(', ')}.`, { group: name, taskIds: inUse })
        this.groups.delete(name)
        this.queues.delete(name)
        this.heldPerGroup.delete(name)
        this.clearRateTimer(name)
        this.reconsiderWatchers()
        this.refreshHeld()
        await this.emit({ type: 'group.removed', name }).committed
        return {}
      },
      'group.pause': async ({ name }) => {
        // The user's pause now: no longer the engine's (after a crash, or a failure).
        const { pausedReason: _reason, pausedFor: _cause, ...current } = this.groupOrThrow(name)
        const group = { ...current, paused: true }
        for (const active of [...this.active.values()]) if (active.task.definition.group === name) this.pause(this.tasks.get(active.task.id)!, 'group')
        await this.saveGroup(group)
        return { group }
      },
      'group.resume': async ({ name }) => {
        // A resume answers whatever paused it: a failure, or the engine after a crash.
        const { pausedFor: _cause, pausedReason: _reason, ...current } = this.groupOrThrow(name)
        const group = { ...current, paused: false }
        for (const active of [...this.active.values()]) {
          const task = this.tasks.get(active.task.id)!
          if (task.definition.group !== name) continue
          // Still held by a paused engine: it now waits for the engine, not the group.
          if (this.paused) this.handOverPause(task, 'group', 'all')
          else this.resume(task, 'group')
        }
        await this.saveGroup(group)
        return { group }
      },
      'engine.pause': async () => {
        this.paused = true
        for (const active of [...this.active.values()]) this.pause(this.tasks.get(active.task.id)!, 'all')
        await this.emit({ type: 'engine.paused', paused: true }).committed
        return {}
      },
      'engine.resume': async () => {
        this.paused = false
        for (const active of [...this.active.values()]) {
          const task = this.tasks.get(active.task.id)!
          if (this.groups.get(task.definition.group)?.paused) this.handOverPause(task, 'all', 'group')
          else this.resume(task, 'all')
        }
        await this.emit({ type: 'engine.paused', paused: false }).committed
        this.schedulePump()
        return {}
      },
      'engine.loop': () => durableRead(this.snapshot()),
      'machine.get': () => Promise.resolve({ machine: this.machine }),
      'machine.report': (report) => {
        const onAcPower = report.onAcPower === undefined ? this.machine.onAcPower : report.onAcPower
        const userIdle = report.userIdle === undefined ? this.machine.userIdle : report.userIdle
        const networkMetered = report.networkMetered === undefined ? (this.machine.networkMetered ?? null) : report.networkMetered
        // A report of a condition is its reading: it is no longer pending, even when its value is the same.
        const pending = (this.machine.pending ?? []).filter((condition) => report[CONDITION_FIELD[condition]] === undefined)
        const samePending = pending.length === (this.machine.pending ?? []).length
        // Facts for system triggers alone (src-main/triggers): they hold no group, but a change is announced like any.
        const online = report.online === undefined ? this.machine.online : report.online
        const screenLocked = report.screenLocked === undefined ? this.machine.screenLocked : report.screenLocked
        const sameFacts = online === this.machine.online && screenLocked === this.machine.screenLocked && report.event === undefined
        if (sameFacts && samePending && onAcPower === this.machine.onAcPower && userIdle === this.machine.userIdle && networkMetered === this.machine.networkMetered) {
          return Promise.resolve({ machine: this.machine })
        }
        const { pending: _pending, held: _held, at: _at, revision: _revision, ...kept } = this.machine
        this.setMachine({
          ...kept,
          onAcPower,
          userIdle,
          networkMetered,
          ...(online === undefined ? {} : { online }),
          ...(screenLocked === undefined ? {} : { screenLocked }),
          ...(report.event === 'wake' ? { lastWake: { at: this.now(), sleptMs: report.sleptMs ?? null } } : {}),
          ...(report.event === 'sleep' ? { lastSleep: { at: this.now() } } : {}),
          ...(pending.length > 0 ? { pending } : {}),
        })
        const machine = this.machine
        // Answered once the runs it held or released are recorded.
        return committed().then(() => ({ machine }))
      },
      'run.readLog': ({ runId, fromLine, count, stream }) => {
        const run = this.runs.get(runId)
        if (!run) throw refusal('run-not-found', `There is no run ${runId}.`, { runId })
        const window = readLogWindow(this.logDir, runId, fromLine, count, stream)
        return Promise.resolve({ lines: window.lines, totalLines: window.totalLines, droppedBytes: window.droppedBytes, done: !this.active.has(runId) })
      },
      'data.export': ({ taskIds }) => durableRead(this.exportDocument(taskIds)),
      'data.import': async ({ document }) => ({ imported: await this.importDocument(ExportDocumentSchema.parse(document)) }),
      'settings.get': () => durableRead({ settings: this.settings, seq: this.store.lastAppendedSeq }),
      'settings.set': async ({ patch, expect }) => {
        if (expect !== undefined) this.refuseChangedSettings(expect)
        const merged = mergeSettings(this.settings, patch)
        const parsed = SettingsSchema.safeParse(merged)
        if (!parsed.success) {
          const issues = issuesOf(parsed.error).map((i) => ({ ...i, path: `patch.${i.path}` }))
          throw new TaskdeckError('bad_request', describeIssues('settings', issues), { issues })
        }
        this.settings = parsed.data
        await this.emit({ type: 'settings.changed', settings: this.settings }).committed
        return { settings: this.settings }
      },
      'events.read': ({ since, limit }) => Promise.resolve({ events: this.store.readEvents(since, limit), headSeq: this.store.headSeq }),
    }
  }

  /**
   * settings.set's `expect`: a setting it names whose value is not that (another client changed it since this one
   * read it) refuses the change, naming the setting and its value now, so the client can apply its change to that.
   */
  private refuseChangedSettings(expect: CommandParams<'settings.set'>['expect'] & object): void {
    const changed = (Object.keys(expect) as (keyof Settings)[]).filter((key) => expect[key] !== undefined && !isDeepStrictEqual(expect[key], this.settings[key]))
    const first = changed[0]
    if (first === undefined) return
    const now = (key: keyof Settings) => JSON.stringify(this.settings[key])
    throw refusal(
      'settings-changed',
      `settings.${first} changed since it was read: it is now ${now(first)}${changed.length > 1 ? ` (and ${changed.slice(1).map((key) => `settings.${key}`).join(', ')} changed too)` : ''}. Nothing was changed; read the settings again and apply the change to them.`,
      { setting: first, current: this.settings[first] },
      { issues: changed.map((key) => ({ path: `expect.${key}`, message: `is now ${now(key)}` })) },
    )
  }

  private list(params: CommandParams<'task.list'>): CommandResult<'task.list'> {
    const text = params.text?.toLowerCase()
    const statuses = params.status ? new Set(params.status) : null
    const matching: Task[] = []
    for (const task of this.tasks.values()) {
      if (statuses && !statuses.has(task.status)) continue
      if (params.group && task.definition.group !== params.group) continue
      if (params.label && !task.definition.labels.includes(params.label)) continue
      if (text && !task.name.toLowerCase().includes(text)) continue
      matching.push(task)
    }
    const end = params.newest ? Math.max(0, matching.length - params.offset) : params.offset + params.limit
    const tasks = matching.slice(Math.max(0, end - params.limit), end)
    if (!params.withLastRuns) return { tasks, total: matching.length }
    const lastRuns = tasks.flatMap((task) => {
      const run = task.lastRunId === null ? undefined : this.runs.get(task.lastRunId)
      return run === undefined ? [] : [run]
    })
    return { tasks, total: matching.length, lastRuns }
  }

  /** Removes finished tasks (and their runs and logs) older than the cutoff, except dependencies of unfinished tasks. */
  private clean(olderThanMs: number | undefined, statuses: TaskStatus[] | undefined, taskIds: number[] | undefined): number[] {
    const wanted = new Set(statuses ?? ['succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted'])
    const cutoff = olderThanMs === undefined ? Infinity : this.now() - olderThanMs
    const needed = new Map<number, number>()
    for (const task of this.tasks.values()) if (!isFinished(task.status)) for (const dep of task.definition.after) needed.set(dep, task.id)
    // Tasks named one by one are all removed or none, and each one that cannot be is named with why.
    const named = taskIds === undefined ? undefined : [...new Set(taskIds)].map((id) => this.taskOrThrow(id))
    if (named !== undefined) {
      const problems = named.flatMap((task): RefusalValues<'tasks-not-removable'>['problems'] =>
        !isFinished(task.status)
          ? [{ kind: 'unfinished', taskId: task.id, status: task.status }]
          : needed.has(task.id)
            ? [{ kind: 'dependency', taskId: task.id, dependantId: needed.get(task.id)! }]
            : [],
      )
      const said = problems.map((p) => (p.kind === 'unfinished' ? `task ${p.taskId} is ${p.status} (cancel it first)` : `task ${p.taskId} is a dependency of unfinished task ${p.dependantId}`))
      if (problems.length > 0) throw refusal('tasks-not-removable', `Nothing removed: ${said.join('; ')}.`, { problems }, { taskIds: named.map((task) => task.id) })
    }
    const removed: number[] = []
    for (const task of named ?? this.tasks.values()) {
      if (!isFinished(task.status) || !wanted.has(task.status) || needed.has(task.id)) continue
      if (olderThanMs !== undefined && task.updatedAt > cutoff) continue
      removed.push(task.id)
    }
    if (removed.length === 0) return removed
    for (const id of removed) {
      this.discardKept(this.tasks.get(id)!, 'task')
      const key = this.tasks.get(id)?.idempotencyKey
      if (key !== undefined && this.taskByKey.get(key) === id) this.taskByKey.delete(key)
      this.tasks.delete(id)
      for (const runId of this.runsByTask.get(id) ?? []) {
        this.runs.delete(runId)
        removeLog(this.logDir, runId)
      }
      this.runsByTask.delete(id)
    }
    this.emit({ type: 'task.removed', taskIds: removed })
    return removed
  }

  /** Lets the task's runner remove what it kept between runs (see Runner.discard); in the background, a failure only logged. */
  private discardKept(task: Task, scope: 'attempt' | 'task'): void {
    const runner = this.runners[task.definition.spec.kind] as Runner | undefined
    if (!runner?.discard) return
    void runner.discard(task.definition.spec as never, task.id, scope).catch((error: unknown) => console.warn(`Task ${task.id}: could not remove what its runs kept: ${String(error)}`))
  }

  private createHost(): EngineExtensionHost {
    return {
      db: this.store.db,
      migrate: (extension, migrations) => {
        if (extension === 'engine') throw new TaskdeckError('bad_request', 'The "engine" migrations belong to the engine.')
        migrate(this.store.db, extension, migrations)
      },
      append: async (event, project) => {
        const appended = this.emit(event, project)
        await appended.committed
        return appended.event
      },
      place: (event, project) => {
        const appended = this.emit(event, project)
        return { event: appended.event, committed: appended.committed }
      },
      submit: (definition: TaskDefinitionInput, options) => {
        const parsed = TaskDefinitionSchema.safeParse(definition)
        if (!parsed.success) {
          const issues = issuesOf(parsed.error).map((i) => ({ ...i, path: `definition.${i.path}` }))
          return Promise.reject(new TaskdeckError('bad_request', describeIssues('task definition', issues), { issues }))
        }
        const key = options?.idempotencyKey === undefined ? undefined : IdempotencyKeySchema.safeParse(options.idempotencyKey)
        if (key && !key.success) {
          const issues = issuesOf(key.error).map((i) => ({ ...i, path: 'idempotencyKey' }))
          return Promise.reject(new TaskdeckError('bad_request', describeIssues('idempotency key', issues), { issues }))
        }
        return this.submit(parsed.data, key?.data).then(({ task }) => task)
      },
      taskByIdempotencyKey: (key) => {
        const id = this.taskByKey.get(key)
        return (id === undefined ? undefined : this.tasks.get(id)) ?? null
      },
      onEvent: (listener) => {
        this.eventListeners.add(listener)
        return { dispose: () => this.eventListeners.delete(listener) }
      },
      readEvents: (since, limit) => this.store.readEvents(since, limit),
      emitTransient: (event) => this.emitTransient(event),
      now: () => this.now(),
      machine: () => this.machine,
    }
  }

  /**
   * Stops scheduling, interrupts running runs (their tasks are recorded as such), and closes the database.
   * Every step is taken even when one fails (a store that refused a write earlier rejects the last wait):
   * the database, the writer thread and the runners' reapers are always let go, and the first error is
   * reported by the returned promise.
   */
  close(): Promise<void> {
    if (this.closed) return this.closed
    this.closing = true
    this.closed = (async () => {
      const errors: unknown[] = []
      const step = async (work: () => unknown): Promise<void> => {
        try {
          await work()
        } catch (error) {
          errors.push(error)
        }
      }
      if (this.statsTimer) clearInterval(this.statsTimer)
      if (this.usageTimer) clearInterval(this.usageTimer)
      this.loopDelay?.disable()
      for (const timer of this.timers.values()) clearTimeout(timer)
      this.timers.clear()
      for (const group of [...this.rateTimers.keys()]) this.clearRateTimer(group)
      const running = [...this.active.values()]
      for (const active of running) await step(() => this.stop(active, 'shutdown'))
      await step(() => Promise.all(running.map((a) => a.finished)))
      await step(() => this.store.waitFor(this.store.lastAppendedSeq))
      await step(() => this.flushOutput())
      for (const subscriber of this.subscribers) subscriber.disposed = true
      this.subscribers.clear()
      this.eventListeners.clear()
      // Nothing runs any more: idle reapers go now rather than up to a minute later (a runner used again starts a new one).
      for (const runner of Object.values(this.runners)) await step(() => runner.dispose?.())
      await step(() => this.store.close())
      // Last: the next engine may open the folder only once this one has let go of the database. A close
      // that could not write everything leaves the holder file, so the next open takes it for a crash.
      await step(() => this.lease.release(errors.length === 0))
      if (errors.length > 0) throw errors[0]
    })()
    return this.closed
  }
}

/** A task as saved, and (made only when asked for) the promise of its event's commit. */
class SavedTask {
  readonly task: Task
  readonly #appended: AppendedEvent

  constructor(task: Task, appended: AppendedEvent) {
    this.task = task
    this.#appended = appended
  }

  get committed(): Promise<void> {
    return this.#appended.committed
  }
}

/** Handlers that refuse by throwing synchronously still answer with a rejected promise. */
function rejectingHandlers(handlers: CommandHandlers): CommandHandlers {
  const wrapped: Record<string, (params: never) => Promise<unknown>> = {}
  for (const [name, handler] of Object.entries(handlers) as [string, (params: never) => Promise<unknown>][]) {
    wrapped[name] = (params) => {
      try {
        return handler(params)
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)))
      }
    }
  }
  return wrapped as unknown as CommandHandlers
}

/** A refusal of `definition.…` in a batch, renamed to `definitions.<i>.…` so it names the offending entry. */
function atIndex(error: unknown, index: number): unknown {
  if (!(error instanceof TaskdeckError) || error.code !== 'bad_request') return error
  const rename = (path: string) => path.replace(/^definition\b/, `definitions.${index}`)
  const issues = (error.details as { issues?: { path: string; message: string }[] } | undefined)?.issues
  return new TaskdeckError('bad_request', rename(error.message), {
    ...(error.details as object | undefined),
    ...(issues ? { issues: issues.map((issue) => ({ ...issue, path: rename(issue.path) })) } : {}),
  })
}

/** Did the task fail without running, because one of its dependencies ended without success or is gone? */
function failedByDependency(task: Task): boolean {
  if (task.status !== 'failed' || !task.reason) return false
  const kind = storedEndReason(task)?.kind
  return kind === 'dependency-ended' || kind === 'dependency-missing' || (kind === 'message' && failedByDependencyBefore(task, task.reason))
}

/**
 * A task stored before end reasons were data has only its English sentence; the words
 * that began it are known (they were written by readiness), so its revival still works.
 */
function failedByDependencyBefore(task: Task, reason: string): boolean {
  return task.definition.after.some((dep) => reason.startsWith(`dependency #${dep} `))
}

/** A group with `group.set`'s conditions applied: absent leaves them, `onlyWhen: []` clears them. */
function withConditions(group: Group, onlyWhen: MachineCondition[] | undefined, whenUnmet: Group['whenUnmet']): Group {
  const { onlyWhen: _previous, ...rest } = group
  const conditions = onlyWhen ?? group.onlyWhen ?? []
  return { ...rest, ...(conditions.length > 0 ? { onlyWhen: conditions } : {}), ...(whenUnmet ? { whenUnmet } : {}) }
}

/** A group with `group.set`'s rules applied: absent leaves them, `rate: null` removes the limit. */
function withRules(group: Group, onFailure: Group['onFailure'], rate: Group['rate'] | null | undefined): Group {
  const { rate: previous, ...rest } = group
  const kept = rate === undefined ? previous : (rate ?? undefined)
  return { ...rest, ...(onFailure ? { onFailure } : {}), ...(kept ? { rate: kept } : {}) }
}

/** A run no longer held for its group's machine conditions. */
function withoutHold(run: Run): Run {
  const { heldFor: _heldFor, ...rest } = run
  return rest
}

/** A reason and its English sentence, set together so they never disagree. */
/**
 * What a run that did not succeed said last on stderr (Run.stderrTail), from the window of it
 * kept while it ran. Not for a success (a warning is no error), nor where the reason already is
 * the program's own words: a script's thrown message (its stack is what the runner logged on
 * stderr after it) and an HTTP batch's failed request (the runner's stderr lines repeat it).
 */
/** What a measured run used (Run.usage); nothing when it was not measured or ended before its first sample. */
function usageOf(active: ActiveRun): { usage?: RunUsage } {
  const usage = active.usage?.summary() ?? null
  return usage === null ? {} : { usage }
}

function stderrTailOf(active: ActiveRun, status: RunStatus, endReason: EndReason | null): { stderrTail?: string } {
  if (status === 'succeeded' || active.stderr === null) return {}
  if (endReason?.kind === 'script-error' || endReason?.kind === 'http-failed') return {}
  const tail = active.stderr.text()
  return tail === null ? {} : { stderrTail: tail }
}

function endedBecause(endReason: EndReason | null | undefined): { reason: string | null; endReason: EndReason | null } {
  return endReason ? { reason: describeEndReason(endReason), endReason } : { reason: null, endReason: null }
}

/** The end reason of a task or run as stored; one stored before reasons were data has its English sentence only. */
function storedEndReason(ended: { reason?: string | null | undefined; endReason?: EndReason | null | undefined }): EndReason | null {
  // Only a missing field means "stored before reasons were data"; null is "no reason", not an empty sentence.
  if (ended.endReason !== undefined) return ended.endReason
  return ended.reason ? { kind: 'message', text: ended.reason } : null
}

function retryTimingKey(retry: NonNullable<TaskDefinition['retry']>): string {
  return `${retry.backoffMs}/${retry.factor}/${retry.maxBackoffMs}/${retry.jitter}`
}

function badField(path: string, message: string): TaskdeckError {
  return new TaskdeckError('bad_request', `${path}: ${message}`, { issues: [{ path, message }] })
}

function defaultName(definition: TaskDefinition): string {
  const spec = definition.spec
  switch (spec.kind) {
    case 'shell':
      return (Array.isArray(spec.command) ? shellCommandLine(spec.command) : spec.command).slice(0, 200)
    case 'http':
      return spec.requests.length === 1 ? `${spec.requests[0]!.method} ${spec.requests[0]!.url}`.slice(0, 200) : `${spec.requests.length} HTTP requests`
    case 'script':
      return spec.path.slice(0, 200)
  }
}

function mergeSettings(current: Settings, patch: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current }
  for (const [key, value] of Object.entries(patch)) {
    const existing = merged[key]
    const isPlain = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v)
    merged[key] = isPlain(existing) && isPlain(value) && isFieldByFieldSetting(key) ? { ...(existing as object), ...(value as object) } : value
  }
  return merged
}
