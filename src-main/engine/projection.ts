import { DEFAULT_SETTINGS, type DurableEvent, type Group, type Run, type Settings, type Task } from '../../src-shared/index.ts'

/** Current state as a fold of the event log: what the projection tables hold. */
export interface ProjectionState {
  tasks: Map<number, Task>
  runs: Map<number, Run>
  groups: Map<string, Group>
  settings: Settings
  paused: boolean
}

export const emptyProjection = (): ProjectionState => ({
  tasks: new Map(),
  runs: new Map(),
  groups: new Map(),
  settings: DEFAULT_SETTINGS,
  paused: false,
})

/**
 * Folds one event into the state. Events carry whole objects (the task as it now is), so
 * the fold is a set of replacements; events of extensions are not the engine's and pass.
 */
export function applyEvent(state: ProjectionState, event: DurableEvent): void {
  switch (event.type) {
    case 'task.created':
    case 'task.updated':
      state.tasks.set(event.task.id, event.task)
      return
    case 'task.removed':
      for (const id of event.taskIds) {
        state.tasks.delete(id)
        for (const run of [...state.runs.values()]) if (run.taskId === id) state.runs.delete(run.id)
      }
      return
    case 'run.started':
    case 'run.updated':
    case 'run.finished':
      state.runs.set(event.run.id, event.run)
      return
    case 'group.updated':
      state.groups.set(event.group.name, event.group)
      return
    case 'group.removed':
      state.groups.delete(event.name)
      return
    case 'engine.paused':
      state.paused = event.paused
      return
    case 'settings.changed':
      state.settings = event.settings
      return
    default:
      return
  }
}

/** The rows one batch of events changes, last write wins, so a batch writes each row once. */
export class ProjectionChanges {
  readonly tasks = new Map<number, Task | null>()
  readonly runs = new Map<number, Run | null>()
  readonly removedTaskRuns = new Set<number>()
  readonly groups = new Map<string, Group | null>()
  settings: Settings | null = null
  paused: boolean | null = null
  maxTaskId = 0
  maxRunId = 0

  add(event: DurableEvent): void {
    switch (event.type) {
      case 'task.created':
      case 'task.updated':
        this.tasks.set(event.task.id, event.task)
        this.maxTaskId = Math.max(this.maxTaskId, event.task.id)
        return
      case 'task.removed':
        for (const id of event.taskIds) {
          this.tasks.set(id, null)
          this.removedTaskRuns.add(id)
          for (const [runId, run] of this.runs) if (run?.taskId === id) this.runs.delete(runId)
        }
        return
      case 'run.started':
      case 'run.updated':
      case 'run.finished':
        this.runs.set(event.run.id, event.run)
        this.maxRunId = Math.max(this.maxRunId, event.run.id)
        return
      case 'group.updated':
        this.groups.set(event.group.name, event.group)
        return
      case 'group.removed':
        this.groups.set(event.name, null)
        return
      case 'engine.paused':
        this.paused = event.paused
        return
      case 'settings.changed':
        this.settings = event.settings
        return
      default:
        return
    }
  }
}
