import type { EndReason, TaskSpec } from '../../../src-shared/index.ts'
import type { RunContext, StartedRun } from '../runners/types.ts'
import type { BackendOutcome, BackendRun, EndedBy, RunnerRegistry } from './types.ts'
import { describeEndReason } from '../end-reasons.ts'

/** A run executing in this process, with a way to stop it for a reason the runner cannot know. */
export interface LocalExecution {
  readonly run: BackendRun
  stop(endedBy: EndedBy, reason: EndReason): void
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
  let stopReason: EndReason | null = null
  const stop = (why: EndedBy, reason: EndReason) => {
    if (controller.signal.aborted) return
    endedBy = why
    stopReason = reason
    controller.abort(new Error(describeEndReason(reason)))
  }
  const onCancel = () => stop('cancel', { kind: 'cancelled' })
  const cancelSignal = context.signal
  if (cancelSignal?.aborted) onCancel()
  else cancelSignal?.addEventListener('abort', onCancel, { once: true })
  const timeoutMs = options.timeoutMs
  const timer =
    timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout', { kind: 'timed-out', afterMs: timeoutMs }), timeoutMs)
  const release = () => {
    clearTimeout(timer)
    cancelSignal?.removeEventListener('abort', onCancel)
  }

  const failed = (failure: EndReason): LocalExecution => {
    release()
    const done = Promise.resolve<BackendOutcome>({ exitCode: null, signal: null, failure, endedBy, worker: options.worker })
    return { run: { pid: null, done }, stop }
  }
  if (controller.signal.aborted) return failed({ kind: 'cancelled' })
  const runner = runners[spec.kind]
  if (!runner) return failed({ kind: 'no-runner', taskKind: spec.kind })
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
    return failed({ kind: 'runner-failed', message: error instanceof Error ? error.message : String(error) })
  }
  const done = started.done.then(
    // When we stopped it, our reason says more than the runner's "stopped before it finished".
    (outcome): BackendOutcome => ({ ...outcome, failure: stopReason ?? outcome.failure, endedBy, worker: options.worker }),
    (error: unknown): BackendOutcome => ({
      exitCode: null,
      signal: null,
      failure: { kind: 'runner-failed', message: error instanceof Error ? error.message : String(error) },
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
    ...(started.usage && { usage: started.usage }),
  }
  return { run, stop }
}
