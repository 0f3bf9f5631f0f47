import { isFinished, type Run, type Task } from '../../src-shared/index.ts'

/**
 * Whether the run shown can take input (task.send writes to a running shell task's stdin):
 * `hidden` when there is nothing to say (an older run, or one that has ended), else open, or
 * closed with the reason, so the input line can say why it is disabled.
 */
export type StdinState = { kind: 'hidden' } | { kind: 'open' } | { kind: 'closed'; reason: 'not-shell' | 'stdin-given' | 'not-started' }

export function stdinState(task: Task, run: Run | null, latest: boolean): StdinState {
  if (run === null || !latest || isFinished(task.status) || isFinished(run.status)) return { kind: 'hidden' }
  const spec = task.definition.spec
  if (spec.kind !== 'shell') return { kind: 'closed', reason: 'not-shell' }
  // The engine writes a definition's stdin text and closes the pipe after it (runners/shell.ts).
  if (spec.stdin !== undefined) return { kind: 'closed', reason: 'stdin-given' }
  if (task.status !== 'running' && task.status !== 'paused') return { kind: 'closed', reason: 'not-started' }
  return { kind: 'open' }
}

/** What `taskdeck send` writes for TEXT: the line and a newline, so `read` returns. */
export const lineToSend = (text: string): string => `${text}\n`
