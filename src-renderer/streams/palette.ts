import { scan, type Observable } from 'rxjs'
import type { Run, Task } from '../../src-shared/index.ts'
import type { Intent } from './intents.ts'

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
