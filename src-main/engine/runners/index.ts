import { TaskdeckError, type TaskSpec } from '../../../src-shared/index.ts'
import { createHttpRunner, type HttpRunnerOptions } from './http.ts'
import { createScriptRunner, defaultScriptWorkerEntry, type ScriptRunnerOptions } from './script.ts'
import { createShellRunner, type ShellRunnerOptions } from './shell.ts'
import type { Runner } from './types.ts'

/** Which runner executes each kind of task. */
export type RunnerRegistry = { readonly [K in TaskSpec['kind']]?: Runner<K> }

export type RunnerOptions = ShellRunnerOptions & {
  http?: HttpRunnerOptions
  /** The worker entry defaults to script-worker next to the running code (source or bundle). */
  script?: Partial<ScriptRunnerOptions>
}

/** The runners Taskdeck ships with, one line per kind. */
export function defaultRunners(options: RunnerOptions = {}): RunnerRegistry {
  const { http, script, ...shell } = options
  return {
    shell: createShellRunner(shell),
    http: createHttpRunner(http),
    script: createScriptRunner({ workerEntry: defaultScriptWorkerEntry(), ...script }),
  }
}

export function runnerFor<K extends TaskSpec['kind']>(registry: RunnerRegistry, kind: K): Runner<K> {
  const runner = registry[kind]
  if (!runner) {
    const message = `no runner for kind "${kind}" in this Taskdeck`
    throw new TaskdeckError('bad_request', `definition.spec.kind: ${message}`, { issues: [{ path: 'definition.spec.kind', message }] })
  }
  return runner
}
