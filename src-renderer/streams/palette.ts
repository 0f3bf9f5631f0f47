import { scan, type Observable } from 'rxjs'
import type { Run, Task } from '../../src-shared/index.ts'
import type { Intent } from './intents.ts'
import type { CommandId } from './keymap.ts'

/**
 * The command palette's steps. Most commands run when chosen; a few ask one more thing in a
 * second step of the same palette ("Pause group…" lists the groups), then send their intent.
 */
export type GroupCommand = 'group.pause' | 'group.resume'
export type PaletteStep = { kind: 'closed' } | { kind: 'commands' } | { kind: 'pick-group'; command: GroupCommand }

export type PaletteEvent =
  | { kind: 'open' }
  /** A command that needs a group was chosen (from the palette or its key): the palette asks which. */
  | { kind: 'ask-group'; command: GroupCommand }
  | { kind: 'choose-group'; name: string }
  /** Back from a second step to the commands (Backspace in an empty field). */
  | { kind: 'back' }
  | { kind: 'close' }

export interface PaletteOutcome {
  step: PaletteStep
  /** What the last event asks the engine to do, if anything. */
  intent: Intent | null
}

export const PALETTE_CLOSED: PaletteOutcome = { step: { kind: 'closed' }, intent: null }

export function paletteReduce(current: PaletteOutcome, event: PaletteEvent): PaletteOutcome {
  const step = current.step
  switch (event.kind) {
    case 'open':
      return { step: { kind: 'commands' }, intent: null }
    case 'ask-group':
      return { step: { kind: 'pick-group', command: event.command }, intent: null }
    case 'choose-group':
      if (step.kind !== 'pick-group') return { step, intent: null }
      return { step: { kind: 'closed' }, intent: { command: step.command, params: { name: event.name }, key: `group.pause:${event.name}` } }
    case 'back':
      return { step: step.kind === 'pick-group' ? { kind: 'commands' } : step, intent: null }
    case 'close':
      return PALETTE_CLOSED
  }
}

/** palette events → the palette's step after each, and the intent it sends (a group chosen in the second step). */
export function paletteSteps$(events$: Observable<PaletteEvent>): Observable<PaletteOutcome> {
  return events$.pipe(scan(paletteReduce, PALETTE_CLOSED))
}

const FAILED: ReadonlySet<string> = new Set(['failed', 'timed_out', 'interrupted'])

/** The task that failed last (failed, timed out or interrupted; a cancel is the user's choice, not a failure). */
export function lastFailedTask(tasks: Iterable<Task>): Task | null {
  let found: Task | null = null
  for (const task of tasks) if (FAILED.has(task.status) && (found === null || task.updatedAt >= found.updatedAt)) found = task
  return found
}

/** The running task whose run started last (its live log is the newest). */
export function newestRunningTask(tasks: Iterable<Task>, runs: ReadonlyMap<number, Run>): Task | null {
  let found: Task | null = null
  let startedAt = -Infinity
  for (const task of tasks) {
    if (task.status !== 'running') continue
    const at = (task.lastRunId !== null ? runs.get(task.lastRunId)?.startedAt : undefined) ?? task.updatedAt
    if (at >= startedAt) {
      found = task
      startedAt = at
    }
  }
  return found
}

/** The views the palette can be opened over (the route's view). */
export type PaletteView = 'tasks' | 'task' | 'new' | 'loop' | 'dashboard' | 'workers' | 'triggers' | 'settings'

const TASK_ACTIONS: readonly CommandId[] = ['task.cancel', 'task.retry', 'task.pause', 'task.resume', 'task.edit']

/**
 * The commands that act on what each view shows, in the order the palette lists them there: with an empty
 * field they come first, and while typing they win ties. The task-list commands (next task, select…)
 * belong to the task views only; elsewhere they would move a cursor the user cannot see.
 */
export const VIEW_COMMANDS: Readonly<Record<PaletteView, readonly CommandId[]>> = {
  tasks: ['task.new', 'nav.down', 'nav.up', 'nav.open', 'nav.first', 'nav.last', 'select.toggle', 'select.down', 'select.up', 'select.all', ...TASK_ACTIONS, 'search.focus', 'queue.retryLastFailed', 'queue.followNewest'],
  task: [...TASK_ACTIONS, 'log.follow', 'log.jump', 'compare.next', 'compare.previous', 'nav.back', 'nav.down', 'nav.up'],
  new: ['nav.back'],
  loop: ['queue.followNewest', 'queue.retryLastFailed', 'engine.togglePause', 'group.pause', 'group.resume'],
  dashboard: ['queue.retryLastFailed', 'queue.followNewest', 'engine.togglePause', 'group.pause', 'group.resume'],
  workers: ['engine.togglePause', 'group.pause', 'group.resume'],
  triggers: ['trigger.new', 'nav.back'],
  settings: [],
}

/**
 * Orders the palette's entries: by score (the fuzzy match of what was typed; all equal when nothing was),
 * then the commands of the current view first (in VIEW_COMMANDS' order), then the rest as given.
 */
export function rankPaletteEntries<E extends { id: string }>(scored: readonly { entry: E; score: number }[], view: PaletteView): E[] {
  const relevant = VIEW_COMMANDS[view] as readonly string[]
  const rank = (id: string) => {
    const at = relevant.indexOf(id)
    return at < 0 ? relevant.length : at
  }
  // Array.prototype.sort is stable: entries equal on both keys keep the order given (the keymap's).
  return [...scored].sort((a, b) => b.score - a.score || rank(a.entry.id) - rank(b.entry.id)).map((x) => x.entry)
}
