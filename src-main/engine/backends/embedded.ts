import type { TaskSpec } from '../../../src-shared/index.ts'
import type { RunContext } from '../runners/types.ts'
import { executeLocally } from './local-execution.ts'
import type { BackendRun, ExecutionBackend, PlacedRun, RunnerRegistry } from './types.ts'

/** Runs every ready run in this process through its runners: Taskdeck's default. */
export class EmbeddedBackend implements ExecutionBackend {
  readonly name = 'embedded'
  readonly #runners: RunnerRegistry

  constructor(runners: RunnerRegistry) {
    this.#runners = runners
  }

  start(spec: TaskSpec, placed: PlacedRun, context: RunContext): BackendRun {
    return executeLocally(this.#runners, spec, context, { timeoutMs: placed.timeoutMs, worker: 'local' }).run
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}
