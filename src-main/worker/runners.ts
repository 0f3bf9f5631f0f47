import { createHttpRunner } from '../engine/runners/http.ts'
import { createScriptRunner, defaultScriptWorkerEntry } from '../engine/runners/script.ts'
import { createShellRunner } from '../engine/runners/shell.ts'
import type { RunnerRegistry } from '../engine/backends/types.ts'

/**
 * The same runners the app uses locally, so a task behaves alike wherever it runs; the
 * script pool is sized to the worker's concurrency and closed with it.
 */
export function workerRunners(concurrency: number): { runners: RunnerRegistry; close(): Promise<void> } {
  const script = createScriptRunner({ workerEntry: defaultScriptWorkerEntry(), poolSize: concurrency })
  return {
    runners: { shell: createShellRunner(), http: createHttpRunner(), script },
    close: () => script.close(),
  }
}
