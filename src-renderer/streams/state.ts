import { LayeredMap } from './layered-map.ts'
import type { ConnectionState } from '../bridge/types.ts'
import { assertNever, type EngineEvent, type Group, type MachineState, type Progress, type Run, type Settings, type Task, type TransientEvent, type UsageSample } from '../../src-shared/index.ts'
import type { WorkerInfo } from '../../src-shared/workers.ts'

export type EngineStats = Extract<TransientEvent, { type: 'engine.stats' }>

/** One finished run, kept for the dashboard's timelines. */
export interface Completion {
  at: number
  taskId: number
  /** Succeeded (true), failed or timed out (false), or neither (null: cancelled or interrupted, no verdict on the task). */
  ok: boolean | null
}

/** Finished runs that succeeded and that failed (or timed out): what a success rate is a share of. */
export interface RunOutcomes {
  succeeded: number
  failed: number
}

/**
 * Whether a finished run counts for a success rate as a success (true) or a failure (false). A cancelled run was stopped
 * by someone and an interrupted one by Taskdeck's own stop: neither says whether the task works, so neither counts (null).
 */
export function runVerdict(status: Run['status']): boolean | null {
  return status === 'succeeded' ? true : status === 'failed' || status === 'timed_out' ? false : null
}

/** The share of `outcomes` that succeeded, in percent; null when none counts. */
export function successPercent(outcomes: RunOutcomes): number | null {
  const counted = outcomes.succeeded + outcomes.failed
  return counted === 0 ? null : (outcomes.succeeded / counted) * 100
}

export interface AppState {
  tasks: ReadonlyMap<number, Task>
  runs: ReadonlyMap<number, Run>
  /** Live progress from run.progress (transient) on top of the task's stored progress. */
  progress: ReadonlyMap<number, Progress>
  /** Live CPU and memory samples (run.usage, transient) of running runs by run id, the newest USAGE_HISTORY; dropped when the run finishes (its summary is Run.usage). */
  usage: ReadonlyMap<number, readonly UsageSample[]>
  groups: ReadonlyMap<string, Group>
  enginePaused: boolean
  settings: Settings | null
  /** The seq of the settings.changed event `settings` came from (0 while none was folded). */
  settingsSeq: number
  stats: readonly EngineStats[]
  /** The newest finished runs (COMPLETION_HISTORY at most), for the dashboard's timelines. */
  completions: readonly Completion[]
  /** Every finished run folded, counted as it finishes (not capped like `completions`): the dashboard's all-time success rate. */
  runOutcomes: RunOutcomes
  lastSeq: number
  /** Events folded into this state since the previous one. */
  lastBatchSize: number
  /**
   * Set while the page knows it is behind: `lastSeq` is below `headSeq`, or events it received wait to be
   * folded (see foldAndPublish$ in streams/ingest.ts). Views are then refreshed less often.
   */
  catchingUp: boolean
  /**
   * The newest seq the page was told the event log has (a history reply's or subscribe reply's head, a
   * gap's seq); null until the first is told: until then the page cannot know whether a history is coming.
   */
  headSeq: number | null
  /** Bumped when a task's durable state changes, so views can memoise cheaply. */
  tasksVersion: number
  /**
   * Tasks whose task, runs or live progress this state's events touched (created, updated,
   * removed, a run of theirs, progress): the task list updates just these rows (TaskListIndex).
   */
  changedTaskIds: ReadonlySet<number>
  /** Runs this state's events started, updated or finished (the dashboard's run aggregates update just these). */
  changedRunIds: ReadonlySet<number>
  /** Remote workers by id: seeded from worker.list, kept current by worker.heartbeat. */
  workers: ReadonlyMap<string, WorkerEntry>
  /** What the engine knows of the machine (AC power, user away), for groups' `onlyWhen`: seeded from machine.get, kept current by machine.updated; null until known. */
  machine: MachineState | null
}

/** A worker's last heartbeat and when this client received it (its own clock, not the worker's). */
export interface WorkerEntry {
  info: WorkerInfo
  seenAt: number
}

/** How often workers beat (`taskdeck worker --heartbeat`, 2 s by default). */
export const WORKER_HEARTBEAT_MS = 2000
/** Missing this many beats in a row makes a worker stale (its Redis key expires after 3, too). */
export const WORKER_STALE_BEATS = 3

export type WorkerLiveness = 'running' | 'draining' | 'stale' | 'stopped'

/** What the Workers view shows for a worker at `now`: a stopped or silent worker is gone. */
export function workerLiveness(entry: WorkerEntry, now: number, heartbeatMs = WORKER_HEARTBEAT_MS): WorkerLiveness {
  if (entry.info.state === 'stopped') return 'stopped'
  if (now - entry.seenAt > heartbeatMs * WORKER_STALE_BEATS) return 'stale'
  return entry.info.state
}

/**
 * Replaces the workers with a `worker.list` answer (on connect and after a resync). A
 * heartbeat that arrived while the list was on its way is newer than the list's entry
 * and is kept.
 */
export function seedWorkers(state: AppState, listed: readonly WorkerInfo[], now: number): AppState {
  const workers = new Map<string, WorkerEntry>()
  for (const info of listed) {
    const known = state.workers.get(info.id)
    workers.set(info.id, known && known.info.at > info.at ? known : { info, seenAt: now })
  }
  return { ...state, workers }
}

/**
 * The later of two machine states of one engine: by `revision` (`at` can tie within a millisecond or step back
 * with the clock), by `at` from a server that does not send revisions. A machine.get answer may arrive after a
 * newer machine.updated; a tie keeps what is known.
 */
function newerMachine(known: MachineState | null, incoming: MachineState): MachineState {
  if (!known) return incoming
  if (known.revision !== undefined && incoming.revision !== undefined) return known.revision >= incoming.revision ? known : incoming
  return known.at > incoming.at ? known : incoming
}

/**
 * Sets the machine from a `machine.get` answer (on connect and after a resync: machine.updated is transient, missed
 * ones are never replayed). The answer of a new connection replaces what is known whatever its revision: the engine
 * may have restarted, and its revisions with it.
 */
export function seedMachine(state: AppState, machine: MachineState, newConnection = false): AppState {
  const next = newConnection ? machine : newerMachine(state.machine, machine)
  return next === state.machine ? state : { ...state, machine: next }
}

/**
 * Whether the page is still reading the history, so "no tasks yet" would be wrong: connected or connecting, with no
 * head known yet or behind the one known. Offline, refused or unauthorized, no history is on its way (the connection
 * indicator says why), so the page does not say it is reading forever.
 */
export function readingHistory(state: Pick<AppState, 'headSeq' | 'lastSeq'>, connection: ConnectionState['kind']): boolean {
  return historyMayArrive(connection) && headUnreached(state)
}

/** No head known yet, or behind the one known. */
export const headUnreached = (state: Pick<AppState, 'headSeq' | 'lastSeq'>): boolean => state.headSeq === null || state.headSeq > state.lastSeq

/** Whether events may arrive over a connection in this state: connected or connecting. */
export const historyMayArrive = (connection: ConnectionState['kind']): boolean => connection === 'online' || connection === 'connecting'

const NO_IDS: ReadonlySet<number> = new Set()

export const STATS_HISTORY = 120
/** Live usage samples kept per running run: a minute at one a second. */
export const USAGE_HISTORY = 60
export const COMPLETION_HISTORY = 5000

export const INITIAL_STATE: AppState = {
  tasks: new Map(),
  runs: new Map(),
  progress: new Map(),
  usage: new Map(),
  groups: new Map(),
  enginePaused: false,
  settings: null,
  settingsSeq: 0,
  stats: [],
  completions: [],
  runOutcomes: { succeeded: 0, failed: 0 },
  lastSeq: 0,
  lastBatchSize: 0,
  catchingUp: false,
  headSeq: null,
  tasksVersion: 0,
  changedTaskIds: new Set(),
  changedRunIds: new Set(),
  workers: new Map(),
  machine: null,
}

/** The collections as folded so far (a builder's, written in place until its next build): read them, never keep them. */
export interface FoldedCollections {
  tasks: ReadonlyMap<number, Task>
  runs: ReadonlyMap<number, Run>
  progress: ReadonlyMap<number, Progress>
}

/** What one applied batch touched. */
export interface AppliedBatch {
  events: readonly EngineEvent[]
  taskIds: ReadonlySet<number>
  runIds: ReadonlySet<number>
}

/**
 * Views derived from the state and kept up to date as events are folded (the task list,
 * its facets, the dashboard's run aggregates): their per-event work happens in `applied`,
 * inside the fold's per-frame budget, and `built` only makes them visible with the state.
 */
export interface FoldListener {
  /** Before a batch is folded: `folded` is still the state its events apply to. */
  applying?(events: readonly EngineEvent[], folded: FoldedCollections): void
  applied(batch: AppliedBatch, folded: FoldedCollections): void
  built(state: AppState): void
}

/**
 * Folds one in-order batch into the state. Each collection is copied at most once per
 * batch (not per event), so a frame with thousands of events costs one copy. `now` stamps
 * worker heartbeats with this client's clock (injected so tests control staleness).
 */
export function foldEventsWithClock(now: () => number): (state: AppState, batch: readonly EngineEvent[]) => AppState {
  return (state, batch) => {
    const builder = new StateBuilder(state, now)
    builder.apply(batch)
    return builder.build()
  }
}

/** The fold with the real clock (a reducer: safe for `scan`, which passes an index third). */
export const foldEvents = foldEventsWithClock(() => Date.now())

/**
 * Folds many batches into one next state with mutable builders: a collection is copied
 * the first time a batch changes it after `build`, then written in place until the next
 * `build`, so slices of a long replay folded over several frames share one copy. A state
 * returned by `build` is never written to again.
 */
export class StateBuilder {
  private base: AppState
  private readonly now: () => number
  /** Versions of the two large collections: a copy of their recent changes, not of every entry (LayeredMap). */
  private tasks: LayeredMap<number, Task> | null = null
  private runs: LayeredMap<number, Run> | null = null
  private progress: Map<number, Progress> | null = null
  private groups: Map<string, Group> | null = null
  private stats: EngineStats[] | null = null
  private usage: Map<number, readonly UsageSample[]> | null = null
  private completions: Completion[] | null = null
  private runOutcomes: RunOutcomes | null = null
  private workers: Map<string, WorkerEntry> | null = null
  private machine: MachineState | null
  private enginePaused: boolean
  private settings: Settings | null
  private settingsSeq: number
  private lastSeq: number
  /** Events applied since the last build, and whether any of them was more than output. */
  private applied = 0
  private changed = false
  private changedTaskIds: Set<number> | null = null
  private changedRunIds: Set<number> | null = null
  private readonly listeners: FoldListener[] = []
  /** What the batch being applied touched (collected only while someone listens). */
  private batchTaskIds: Set<number> | null = null
  private batchRunIds: Set<number> | null = null

  constructor(base: AppState, now: () => number = Date.now) {
    this.base = base
    this.now = now
    ;({ enginePaused: this.enginePaused, settings: this.settings, settingsSeq: this.settingsSeq, lastSeq: this.lastSeq, machine: this.machine } = base)
  }

  /** The last state built (or rebased on). */
  get current(): AppState {
    return this.base
  }

  /** Events applied since the last `build`. */
  get pending(): number {
    return this.applied
  }

  /** The seq of the last durable event applied (built or not). */
  get foldedSeq(): number {
    return this.lastSeq
  }

  private writableTasks(): LayeredMap<number, Task> {
    return (this.tasks ??= LayeredMap.draft(this.base.tasks))
  }

  private writableRuns(): LayeredMap<number, Run> {
    return (this.runs ??= LayeredMap.draft(this.base.runs))
  }

  private writableProgress(): Map<number, Progress> {
    return (this.progress ??= new Map(this.base.progress))
  }

  private writableGroups(): Map<string, Group> {
    return (this.groups ??= new Map(this.base.groups))
  }

  private taskChanged(id: number): void {
    ;(this.changedTaskIds ??= new Set()).add(id)
    this.batchTaskIds?.add(id)
  }

  private runChanged(run: Run): void {
    ;(this.changedRunIds ??= new Set()).add(run.id)
    this.batchRunIds?.add(run.id)
    this.taskChanged(run.taskId)
  }

  /** Tells `listener` about every batch applied and every state built from now on; returns the disposer. */
  listen(listener: FoldListener): () => void {
    this.listeners.push(listener)
    return () => {
      const at = this.listeners.indexOf(listener)
      if (at >= 0) this.listeners.splice(at, 1)
    }
  }

  /** The collections with everything applied so far. */
  get folded(): FoldedCollections {
    return { tasks: this.tasks ?? this.base.tasks, runs: this.runs ?? this.base.runs, progress: this.progress ?? this.base.progress }
  }

  apply(batch: readonly EngineEvent[]): void {
    if (this.listeners.length === 0) return this.fold(batch)
    for (const listener of this.listeners) listener.applying?.(batch, this.folded)
    const taskIds = (this.batchTaskIds = new Set())
    const runIds = (this.batchRunIds = new Set())
    try {
      this.fold(batch)
    } finally {
      this.batchTaskIds = this.batchRunIds = null
    }
    const folded = this.folded
    for (const listener of this.listeners) listener.applied({ events: batch, taskIds, runIds }, folded)
  }

  private fold(batch: readonly EngineEvent[]): void {
    this.applied += batch.length
    for (const event of batch) {
      if (event.type === 'run.output') continue // Output lives in the run's log; the log viewer reads it, the state does not keep it.
      this.changed = true
      if ('seq' in event && event.seq > this.lastSeq) this.lastSeq = event.seq
      switch (event.type) {
        case 'task.created':
        case 'task.updated':
          this.writableTasks().set(event.task.id, event.task)
          this.taskChanged(event.task.id)
          if (event.task.status !== 'running' && event.task.status !== 'paused' && (this.progress ?? this.base.progress).has(event.task.id)) {
            this.writableProgress().delete(event.task.id)
          }
          break
        case 'task.removed':
          for (const id of event.taskIds) {
            this.writableTasks().delete(id)
            this.taskChanged(id)
          }
          break
        case 'run.started':
        case 'run.updated':
          this.writableRuns().set(event.run.id, event.run)
          this.runChanged(event.run)
          break
        case 'run.finished': {
          if ((this.usage ?? this.base.usage).has(event.run.id)) (this.usage ??= new Map(this.base.usage)).delete(event.run.id)
          this.writableRuns().set(event.run.id, event.run)
          this.runChanged(event.run)
          const ok = runVerdict(event.run.status)
          ;(this.completions ??= [...this.base.completions]).push({ at: event.run.finishedAt ?? event.at, taskId: event.run.taskId, ok })
          if (ok !== null) {
            const outcomes = (this.runOutcomes ??= { ...this.base.runOutcomes })
            if (ok) outcomes.succeeded++
            else outcomes.failed++
          }
          break
        }
        case 'group.updated':
          this.writableGroups().set(event.group.name, event.group)
          break
        case 'group.removed':
          this.writableGroups().delete(event.name)
          break
        case 'engine.paused':
          this.enginePaused = event.paused
          break
        case 'settings.changed':
          this.settings = event.settings
          this.settingsSeq = event.seq
          break
        case 'run.progress':
          this.writableProgress().set(event.taskId, event.progress)
          this.taskChanged(event.taskId)
          break
        case 'engine.stats':
          ;(this.stats ??= [...this.base.stats]).push(event)
          break
        case 'run.usage': {
          const usage = (this.usage ??= new Map(this.base.usage))
          // A sample after its run's end (they travel apart) is dropped: the run's summary says it all.
          const run = (this.runs ?? this.base.runs).get(event.runId)
          if (run && run.status !== 'running' && run.status !== 'paused') break
          const samples = usage.get(event.runId) ?? []
          usage.set(event.runId, samples.length < USAGE_HISTORY ? [...samples, event.sample] : [...samples.slice(1 - USAGE_HISTORY), event.sample])
          break
        }
        case 'worker.heartbeat':
          ;(this.workers ??= new Map(this.base.workers)).set(event.worker.id, { info: event.worker, seenAt: this.now() })
          break
        case 'machine.updated':
          this.machine = newerMachine(this.machine, event.machine)
          break
        case 'trigger.fired':
        case 'trigger.updated':
        case 'trigger.removed':
        case 'savedTask.updated':
        case 'savedTask.removed':
          break
        default:
          assertNever(event)
      }
    }
  }

  /**
   * The state with everything applied since the last build, marked as caught up or not, with the head
   * seq known (the last state's by default). Output alone changes nothing: the same state object means
   * no view re-renders for it.
   */
  build(catchingUp = false, headSeq: number | null = this.base.headSeq): AppState {
    const state = this.base
    const next: AppState = !this.changed
      ? state.catchingUp === catchingUp && state.headSeq === headSeq
        ? state
        : { ...state, catchingUp, headSeq, changedTaskIds: NO_IDS, changedRunIds: NO_IDS }
      : {
          tasks: this.tasks ?? state.tasks,
          runs: this.runs ?? state.runs,
          progress: this.progress ?? state.progress,
          usage: this.usage ?? state.usage,
          groups: this.groups ?? state.groups,
          enginePaused: this.enginePaused,
          settings: this.settings,
          settingsSeq: this.settingsSeq,
          stats: this.stats ? this.stats.slice(-STATS_HISTORY) : state.stats,
          completions: this.completions ? this.completions.slice(-COMPLETION_HISTORY) : state.completions,
          runOutcomes: this.runOutcomes ?? state.runOutcomes,
          lastSeq: this.lastSeq,
          lastBatchSize: this.applied,
          catchingUp,
          headSeq,
          tasksVersion: this.tasks ? state.tasksVersion + 1 : state.tasksVersion,
          changedTaskIds: this.changedTaskIds ?? NO_IDS,
          changedRunIds: this.changedRunIds ?? NO_IDS,
          workers: this.workers ?? state.workers,
          machine: this.machine,
        }
    this.rebase(next)
    for (const listener of this.listeners) listener.built(next)
    return next
  }

  /** Continues from `state` (a build, or a state changed outside the event stream such as seeded workers). */
  rebase(state: AppState): void {
    this.base = state
    this.tasks = this.runs = this.progress = this.groups = null
    this.workers = null
    this.stats = this.completions = null
    this.usage = null
    this.runOutcomes = null
    ;({ enginePaused: this.enginePaused, settings: this.settings, settingsSeq: this.settingsSeq, lastSeq: this.lastSeq, machine: this.machine } = state)
    this.applied = 0
    this.changed = false
    this.changedTaskIds = this.changedRunIds = null
  }
}

/** Runs of one task, newest attempt first. */
export function runsOfTask(runs: ReadonlyMap<number, Run>, taskId: number): Run[] {
  const out: Run[] = []
  for (const run of runs.values()) if (run.taskId === taskId) out.push(run)
  return out.sort((a, b) => b.attempt - a.attempt || b.id - a.id)
}
