import type { EngineEvent, EngineEventType, Run, Task, TaskStatus } from '../index.ts'
import { assertNever } from '../events.ts'
import { DEFAULT_SETTINGS, type Settings } from '../settings.ts'

/**
 * What the desktop shell needs to know about the engine, folded from its event stream:
 * small, so it can be rebuilt from a full replay. The tray, notifications and shortcuts
 * all decide from this one value.
 */
export interface TaskSummary {
  id: number
  name: string
  status: TaskStatus
  notify: Task['definition']['notify']
}

export interface FailureSummary {
  taskId: number
  name: string
  status: TaskStatus
  reason: string | null
  at: number
}

export interface DesktopState {
  tasks: ReadonlyMap<number, TaskSummary>
  /** Latest run per task (for durations and reasons). */
  lastRuns: ReadonlyMap<number, Run>
  /** Newest first, at most RECENT_FAILURES_KEPT. */
  recentFailures: readonly FailureSummary[]
  /** Failures that happened live (not replayed) since the user last looked at the window. */
  unseenFailures: number
  enginePaused: boolean
  settings: Settings
}

export const RECENT_FAILURES_KEPT = 5
export const FAILED_STATUSES: readonly TaskStatus[] = ['failed', 'timed_out', 'interrupted']
const ACTIVE_STATUSES: readonly TaskStatus[] = ['running', 'paused']

export const initialDesktopState = (settings: Settings = DEFAULT_SETTINGS): DesktopState => ({
  tasks: new Map(),
  lastRuns: new Map(),
  recentFailures: [],
  unseenFailures: 0,
  enginePaused: false,
  settings,
})

export const isFailure = (status: TaskStatus): boolean => FAILED_STATUSES.includes(status)

export function activeTasks(state: DesktopState): TaskSummary[] {
  return [...state.tasks.values()].filter((t) => ACTIVE_STATUSES.includes(t.status)).sort((a, b) => a.id - b.id)
}

function summarise(task: Task): TaskSummary {
  return { id: task.id, name: task.name, status: task.status, notify: task.definition.notify }
}

/**
 * The event types the shell's decisions read (foldDesktopEvents, and finishedTasksIn for a
 * group paused by a failure); the shell subscribes to these alone, so output chunks,
 * progress, usage and stats never cross from the runtime thread to Electron's main thread.
 * A test runs a real engine and checks the other types change no decision.
 */
export const DESKTOP_EVENT_TYPES: readonly EngineEventType[] = [
  'task.created',
  'task.updated',
  'task.removed',
  'run.started',
  'run.updated',
  'run.finished',
  'group.updated',
  'engine.paused',
  'settings.changed',
]

/**
 * Folds one batch of events. `live` is false while replaying history, so old failures
 * fill the "last failures" menu without counting as unseen.
 */
export function foldDesktopEvents(state: DesktopState, events: readonly EngineEvent[], live: boolean): DesktopState {
  let tasks: Map<number, TaskSummary> | null = null
  let lastRuns: Map<number, Run> | null = null
  let { recentFailures, unseenFailures, enginePaused, settings } = state
  const writableTasks = () => (tasks ??= new Map(state.tasks))
  const writableRuns = () => (lastRuns ??= new Map(state.lastRuns))
  for (const event of events) {
    switch (event.type) {
      case 'task.created':
      case 'task.updated': {
        const previous = (tasks ?? state.tasks).get(event.task.id)
        writableTasks().set(event.task.id, summarise(event.task))
        const becameFailed = isFailure(event.task.status) && previous?.status !== event.task.status
        if (becameFailed) {
          const run = (lastRuns ?? state.lastRuns).get(event.task.id)
          const failure = { taskId: event.task.id, name: event.task.name, status: event.task.status, reason: event.task.reason ?? run?.reason ?? null, at: event.at }
          recentFailures = [failure, ...recentFailures.filter((f) => f.taskId !== failure.taskId)].slice(0, RECENT_FAILURES_KEPT)
          if (live) unseenFailures += 1
        }
        break
      }
      case 'task.removed': {
        const removed = new Set(event.taskIds)
        for (const id of removed) {
          writableTasks().delete(id)
          writableRuns().delete(id)
        }
        recentFailures = recentFailures.filter((f) => !removed.has(f.taskId))
        break
      }
      case 'run.started':
      case 'run.updated':
      case 'run.finished':
        writableRuns().set(event.run.taskId, event.run)
        break
      case 'engine.paused':
        enginePaused = event.paused
        break
      case 'settings.changed':
        settings = event.settings
        break
      case 'group.updated':
      case 'group.removed':
      case 'run.output':
      case 'run.progress':
      case 'run.usage':
      case 'engine.stats':
      case 'worker.heartbeat':
      case 'machine.updated':
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
  return { tasks: tasks ?? state.tasks, lastRuns: lastRuns ?? state.lastRuns, recentFailures, unseenFailures, enginePaused, settings }
}

/** The user looked (focused or showed the window): failures are no longer news. */
export const markFailuresSeen = (state: DesktopState): DesktopState => (state.unseenFailures === 0 ? state : { ...state, unseenFailures: 0 })
