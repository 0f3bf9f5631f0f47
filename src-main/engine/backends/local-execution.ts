import type { TaskSpec } from '../../../src-shared/index.ts'
import type { RunContext, StartedRun } from '../runners/types.ts'
import type { BackendOutcome, BackendRun, EndedBy, RunnerRegistry } from './types.ts'

/** A run executing in this process, with a way to stop it for a reason the runner cannot know. */
export interface LocalExecution {
  readonly run: BackendRun
  stop(endedBy: EndedBy, reason: string): void
}

export interface LocalExecutionOptions {
  timeoutMs?: number | undefined
  /** Reported as the outcome's `worker`. */
  worker: string
}

/**
 * The context of a run executed here. Without a signal the run is stopped only through
 * LocalExecution.stop (`taskdeck worker` stops runs that way, with their reason), and no
 * listener is added to and removed from a signal that never aborts on every run.
 */
export type LocalRunContext = Omit<RunContext, 'signal'> & { readonly signal?: AbortSignal }

/**
 * Runs a spec through this process's runner registry with a hard timeout. Shared by the
 * embedded backend and `taskdeck worker`, so cancel and timeout behave the same locally and
 * remotely: the runner sees one AbortSignal and kills everything it started.
 */
export function executeLocally(
  runners: RunnerRegistry,
  spec: TaskSpec,
  context: LocalRunContext,
  options: LocalExecutionOptions,
): LocalExecution {
  const controller = new AbortController()
  let endedBy: EndedBy | null = null
  let stopReason: string | null = null
  const stop = (why: EndedBy, reason: string) => {
    if (controller.signal.aborted) return
    endedBy = why
    stopReason = reason
    controller.abort(new Error(reason))
  }
  const onCancel = () => stop('cancel', 'cancelled')
  const cancelSignal = context.signal
  if (cancelSignal?.aborted) onCancel()
  else cancelSignal?.addEventListener('abort', onCancel, { once: true })
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => stop('timeout', `timed out after ${options.timeoutMs} ms`), options.timeoutMs)
  const release = () => {
    clearTimeout(timer)
    cancelSignal?.removeEventListener('abort', onCancel)
  }

  const failed = (error: string): LocalExecution => {
    release()
    const done = Promise.resolve<BackendOutcome>({ exitCode: null, signal: null, error, endedBy, worker: options.worker })
    return { run: { pid: null, done }, stop }
  }
  if (controller.signal.aborted) return failed('cancelled before it started')
  const runner = runners[spec.kind]
  if (!runner) return failed(`this process has no runner for ${spec.kind} tasks`)
  const runnerContext: RunContext = {
    runId: context.runId,
    taskId: context.taskId,
    attempt: context.attempt,
    signal: controller.signal,
    output: (stream, chunk) => context.output(stream, chunk),
    progress: (progress) => context.progress(progress),
  }
  let started: StartedRun
  try {
    // The registry maps each kind to its own runner, so the spec matches the runner's kind.
    started = (runner as { start(spec: TaskSpec, context: RunContext): StartedRun }).start(spec, runnerContext)
  } catch (error) {
    return failed(error instanceof Error ? error.message : String(error))
  }
  const done = started.done.then(
    // When we stopped it, our reason says more than the runner's "stopped before it finished".
    (outcome): BackendOutcome => ({ ...outcome, error: stopReason ?? outcome.error, endedBy, worker: options.worker }),
    (error: unknown): BackendOutcome => ({
      exitCode: null,
      signal: null,
      error: `runner failed: ${error instanceof Error ? error.message : String(error)}`,
      endedBy,
      worker: options.worker,
    }),
  )
  void done.finally(release)
  const run: BackendRun = {
    pid: started.pid,
    startTicks: started.startTicks ?? null,
    done,
    ...(started.pause && { pause: started.pause.bind(started) }),
    ...(started.resume && { resume: started.resume.bind(started) }),
    ...(started.send && { send: started.send.bind(started) }),
  }
  return { run, stop }
}
