import type { TaskSpec } from '../../../src-shared/index.ts'
import type { RunContext, RunOutcome, StartedRun } from '../runners/types.ts'

/** What a backend needs to know about a ready run besides its spec. */
export interface PlacedRun {
  readonly group: string
  readonly name: string
  /** Taskdeck priority, -1000..1000, higher runs first. */
  readonly priority: number
  /** Hard limit on the run's execution time, counted from the moment it starts executing (not from enqueue). */
  readonly timeoutMs?: number | undefined
}

/**
 * Why a run ended when the backend, not the task, decided it. The engine maps these to run
 * statuses: timeout → timed_out, cancel → cancelled, worker-lost → interrupted (so
 * `retryOnInterrupt` and retry policies apply to a lost remote attempt like to a local crash).
 * `detached`: the app is closing and the run goes on elsewhere (a remote worker); a closing
 * engine leaves it `running` in its log for `adopt` after the restart (any other time it
 * counts as worker-lost).
 */
export type EndedBy = 'timeout' | 'cancel' | 'worker-lost' | 'detached'

export interface BackendOutcome extends RunOutcome {
  endedBy: EndedBy | null
  /** Where the attempt ran: "local" or a remote worker id ("host:pid:tag"); null if it never started. */
  worker: string | null
}

export interface BackendRun extends Omit<StartedRun, 'done'> {
  readonly done: Promise<BackendOutcome>
}

/**
 * Decides where a ready run executes and carries it out. The engine still owns the task
 * state machine, retries (each attempt is a new run), the event log and the run's log
 * file; a backend only executes one run and reports its output, progress and outcome
 * through the `RunContext`. Aborting `context.signal` cancels the run wherever it is
 * (queued or executing); the backend enforces `timeoutMs` itself so that time spent
 * waiting for a remote worker does not count and the limit holds while the app is away.
 */
export interface ExecutionBackend {
  /** "embedded", or "redis://host:port/db" (no credentials). */
  readonly name: string
  start(spec: TaskSpec, placed: PlacedRun, context: RunContext): BackendRun
  /**
   * At engine start, for each run the log says was running: takes it back if it may still be
   * going on elsewhere (a remote group's job), reporting its further output and its outcome
   * through `context` as if it had never been left; an attempt whose job is gone ends
   * `worker-lost`. Null when this backend cannot have left it running (a local run): the
   * engine then marks it interrupted.
   */
  adopt?(run: AdoptedRun, context: RunContext): BackendRun | null
  /**
   * The Redis (its address without a password) whose workers run a group's runs when not in
   * this process, or null when they run here. A group that runs elsewhere takes no machine conditions
   * (`onlyWhen`): this machine's power, user and network say nothing about the workers'.
   */
  runsElsewhere?(group: string): string | null
  close(): Promise<void>
}

/** A run the engine found running at start. */
export interface AdoptedRun {
  readonly group: string
  readonly name: string
  /** The process id recorded for it: it ran in this app's previous process, so nothing is left to follow. */
  readonly pid: number | null
}

/** The runners of one process, by task kind (the engine's registry type). */
export type { RunnerRegistry } from '../runners/index.ts'
