import type { EndReason, LogStream, Progress, TaskSpec } from '../../../src-shared/index.ts'
import type { UsageProbe } from './usage.ts'

/** What a runner gets for one run. The engine owns logging, timing and state. */
export interface RunContext {
  readonly runId: number
  readonly taskId: number
  readonly attempt: number
  /** Aborted on cancel or timeout (the engine knows which); the runner must stop everything it started. */
  readonly signal: AbortSignal
  /** Appends output to the run's log (bytes are kept as bytes on disk) and streams it live. */
  output(stream: LogStream, chunk: Uint8Array | string): void
  progress(progress: Progress): void
}

/** How a run ended, from the runner's point of view; the engine maps it to a status. */
export interface RunOutcome {
  exitCode: number | null
  signal: string | null
  /** Set when the run failed to do its job (executable not found, HTTP requests failed, the script threw), as data. */
  failure: EndReason | null
  result?: unknown
}

export interface StartedRun {
  readonly pid: number | null
  /** The kernel's start time of `pid` (Linux), read when it was spawned, to recognise it again after a crash despite pid reuse. */
  readonly startTicks?: string | null
  /** Settles once everything the run started has ended and its output is flushed. Never rejects. */
  readonly done: Promise<RunOutcome>
  pause?(): void
  resume?(): void
  /** Writes to the run's stdin (shell runs only). */
  send?(text: string): void
  /** Reads the run's CPU and memory (shell runs: their process group; scripts: their worker thread); absent where not measured. */
  readonly usage?: UsageProbe
}

export interface Runner<K extends TaskSpec['kind'] = TaskSpec['kind']> {
  readonly kind: K
  /** Checks what the schema cannot (a script file exists, a cwd exists) at submit time; throws TaskdeckError('bad_request'). */
  check?(spec: Extract<TaskSpec, { kind: K }>): Promise<void>
  start(spec: Extract<TaskSpec, { kind: K }>, context: RunContext): StartedRun
  /**
   * Removes what the runner keeps on disk for a task between its runs: `attempt`, what only a
   * next attempt would continue (an HTTP batch's partial downloads), once the task failed for
   * good; `task`, everything (its journal of saved files too), once the task is removed.
   */
  discard?(spec: Extract<TaskSpec, { kind: K }>, taskId: number, scope: 'attempt' | 'task'): Promise<void>
  /** Lets go of what the runner keeps between runs (the shell runner's reaper) once its owner closes; runs still going stay watched. */
  dispose?(): void
}
