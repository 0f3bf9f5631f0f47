import type { Run, TaskSpec } from './model.ts'

/**
 * How a finished run ended, as data for a word or two beside it. A process has an exit code or a signal;
 * a script or an HTTP batch has none (reporting "exit 0" for them would be made up): a script that
 * succeeded returned, a batch that succeeded did all its requests, and one that failed has its reason.
 * No zod here, so the CLI's bundle can use it without loading the contract's schemas.
 */
export type RunEnd = { kind: 'exit'; code: number } | { kind: 'signal'; signal: string } | { kind: 'returned' } | { kind: 'requests-done' }

/** The end of `run` of a task of `kind`, or null when there is nothing to say (still going, or a non-process run that failed). */
export function runEnd(kind: TaskSpec['kind'], run: Run): RunEnd | null {
  if (run.status === 'running' || run.status === 'paused') return null
  if (kind === 'shell') {
    if (run.exitCode !== null) return { kind: 'exit', code: run.exitCode }
    return run.signal !== null ? { kind: 'signal', signal: run.signal } : null
  }
  if (run.status !== 'succeeded') return null
  return kind === 'script' ? { kind: 'returned' } : { kind: 'requests-done' }
}
