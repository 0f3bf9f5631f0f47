import { createHttpRunner } from '../engine/runners/http.ts'
import { createShellRunner } from '../engine/runners/shell.ts'
import { createScriptRunner } from '../engine/runners/script.ts'
import type { RunnerRegistry } from '../engine/backends/types.ts'

/**
 * The same runners the app uses locally, so a task behaves alike wherever it runs. In
 * source the script pool loads script-worker.ts; bundled (out/main) it sits next to us as .js.
 */
export function workerRunners(concurrency: number): { runners: RunnerRegistry; close(): Promise<void> } {
  const fromSource = import.meta.url.endsWith('.ts')
  const workerEntry = new URL(fromSource ? '../engine/runners/script-worker.ts' : './script-worker.js', import.meta.url)
  const script = createScriptRunner({ workerEntry, poolSize: concurrency })
  return {
    runners: { shell: createShellRunner(), http: createHttpRunner(), script },
    close: () => script.close(),
  }
}
