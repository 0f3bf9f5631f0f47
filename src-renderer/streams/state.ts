import type { EngineEvent, Group, Progress, Run, Settings, Task, TransientEvent } from '../../src-shared/index.ts'
import type { WorkerInfo } from '../../src-shared/workers.ts'

export type EngineStats = Extract<TransientEvent, { type: 'engine.stats' }>

/** One finished run, kept for the dashboard's timelines. */
export interface Completion {
  at: number
  taskId: number
  ok: boolean
}

export interface AppState {
  tasks: ReadonlyMap<number, Task>
  runs: ReadonlyMap<number, Run>
  /** Live progress from run.progress (transient) on top of the task's stored progress. */
  progress: ReadonlyMap<number, Progress>
  groups: ReadonlyMap<string, Group>
  enginePaused: boolean
  settings: Settings | null
  stats: readonly EngineStats[]
  completions: readonly Completion[]
  lastSeq: number
  /** Size of the last applied batch: big batches mean the UI is catching up. */
  lastBatchSize: number
  /** Bumped when a task's durable state changes, so views can memoise cheaply. */
  tasksVersion: number
  /** Remote workers by id: seeded from worker.list, kept current by worker.heartbeat. */
  workers: ReadonlyMap<string, WorkerEntry>
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

export const STATS_HISTORY = 120
export const COMPLETION_HISTORY = 5000

export const INITIAL_STATE: AppState = {
  tasks: new Map(),
  runs: new Map(),
  progress: new Map(),
  groups: new Map(),
  enginePaused: false,
  settings: null,
  stats: [],
  completions: [],
  lastSeq: 0,
  lastBatchSize: 0,
  tasksVersion: 0,
  workers: new Map(),
}

/**
 * Folds one in-order batch into the state. Each collection is copied at most once per
 * batch (not per event), so a frame with thousands of events costs one copy. `now` stamps
 * worker heartbeats with this client's clock (injected so tests control staleness).
 */
export function foldEventsWithClock(now: () => number): (state: AppState, batch: readonly EngineEvent[]) => AppState {
  return (state, batch) => fold(state, batch, now)
}

/** The fold with the real clock (a reducer: safe for `scan`, which passes an index third). */
export const foldEvents = foldEventsWithClock(() => Date.now())

function fold(state: AppState, batch: readonly EngineEvent[], now: () => number): AppState {
  let tasks: Map<number, Task> | null = null
  let runs: Map<number, Run> | null = null
  let progress: Map<number, Progress> | null = null
  let groups: Map<string, Group> | null = null
  let stats: EngineStats[] | null = null
  let completions: Completion[] | null = null
  let workers: Map<string, WorkerEntry> | null = null
  let { enginePaused, settings, lastSeq } = state
  let onlyOutput = true
  const writableTasks = () => (tasks ??= new Map(state.tasks))
  const writableRuns = () => (runs ??= new Map(state.runs))
  const writableProgress = () => (progress ??= new Map(state.progress))
  const writableGroups = () => (groups ??= new Map(state.groups))

  for (const event of batch) {
    if (event.type !== 'run.output') onlyOutput = false
    if ('seq' in event) lastSeq = Math.max(lastSeq, event.seq)
    switch (event.type) {
      case 'task.created':
      case 'task.updated':
        writableTasks().set(event.task.id, event.task)
        if (event.task.status !== 'running' && event.task.status !== 'paused' && (progress ?? state.progress).has(event.task.id)) {
          writableProgress().delete(event.task.id)
        }
        break
      case 'task.removed':
        for (const id of event.taskIds) writableTasks().delete(id)
        break
      case 'run.started':
      case 'run.updated':
        writableRuns().set(event.run.id, event.run)
        break
      case 'run.finished':
        writableRuns().set(event.run.id, event.run)
        ;(completions ??= [...state.completions]).push({
          at: event.run.finishedAt ?? event.at,
          taskId: event.run.taskId,
          ok: event.run.status === 'succeeded',
        })
        break
      case 'group.updated':
        writableGroups().set(event.group.name, event.group)
        break
      case 'group.removed':
        writableGroups().delete(event.name)
        break
      case 'engine.paused':
        enginePaused = event.paused
        break
      case 'settings.changed':
        settings = event.settings
        break
      case 'run.progress':
        writableProgress().set(event.taskId, event.progress)
        break
      case 'engine.stats':
        ;(stats ??= [...state.stats]).push(event)
        break
      case 'worker.heartbeat':
        ;(workers ??= new Map(state.workers)).set(event.worker.id, { info: event.worker, seenAt: now() })
        break
      case 'trigger.fired':
      case 'trigger.updated':
      case 'trigger.removed':
      case 'savedTask.updated':
      case 'savedTask.removed':
      case 'run.output':
        // Output lives in the run's log; the log viewer reads it, the state does not keep it.
        break
      default:
        assertNever(event)
    }
  }
  // Output alone changes nothing here: the same state object means no view re-renders for it.
  if (onlyOutput) return state
  return {
    tasks: tasks ?? state.tasks,
    runs: runs ?? state.runs,
    progress: progress ?? state.progress,
    groups: groups ?? state.groups,
    enginePaused,
    settings,
    stats: stats ? stats.slice(-STATS_HISTORY) : state.stats,
    completions: completions ? completions.slice(-COMPLETION_HISTORY) : state.completions,
    lastSeq,
    lastBatchSize: batch.length,
    tasksVersion: tasks ? state.tasksVersion + 1 : state.tasksVersion,
    workers: workers ?? state.workers,
  }
}

export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`)
}

/** Runs of one task, newest attempt first. */
export function runsOfTask(runs: ReadonlyMap<number, Run>, taskId: number): Run[] {
  const out: Run[] = []
  for (const run of runs.values()) if (run.taskId === taskId) out.push(run)
  return out.sort((a, b) => b.attempt - a.attempt || b.id - a.id)
}
