import type { Run } from '../../src-shared/index.ts'

/**
 * A run's number in its task's history, 1 the first: what the runs table and the comparison call
 * it. Not `attempt`, which a manual retry starts at 1 again. `runs` is the task's runs, newest first.
 */
export function runNumber(runs: readonly Run[], run: Run): number {
  const index = runs.indexOf(run)
  return index < 0 ? 0 : runs.length - index
}
