import { availableParallelism } from 'node:os'
import { createHttpRunner } from '../engine/runners/http.ts'
import { createScriptRunner, defaultScriptWorkerEntry } from '../engine/runners/script.ts'
import { createShellRunner } from '../engine/runners/shell.ts'
import type { RunnerRegistry } from '../engine/backends/types.ts'

/**
 * Most script threads for a worker serving `concurrency` runs at once: no more than the
 * machine has cores, as in the app's own pool. A script is CPU work, so threads beyond the
 * cores only add switching. The pool starts them only as long scripts need them (short ones
 * share one thread: each idle thread a short job lands on must be woken, the dominant cost of
 * a no-op script task). Runs beyond that are shell or HTTP runs, or scripts that wait for a
 * free thread.
 */
export const defaultScriptThreads = (concurrency: number) => Math.max(1, Math.min(concurrency, availableParallelism()))

/**
 * The same runners the app uses locally, so a task behaves alike wherever it runs; the
 * script pool (`scriptThreads`, by default defaultScriptThreads) is closed with them.
 */
export function workerRunners(concurrency: number, scriptThreads = defaultScriptThreads(concurrency)): { runners: RunnerRegistry; close(): Promise<void> } {
  const script = createScriptRunner({ workerEntry: defaultScriptWorkerEntry(), poolSize: scriptThreads })
  const shell = createShellRunner()
  return {
    runners: { shell, http: createHttpRunner(), script },
    close: () => {
      shell.dispose?.()
      return script.close()
    },
  }
}
