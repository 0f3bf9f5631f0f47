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
 * Runs a spec through this process's runner registry with a hard timeout. Shared by the
 * embedded backend and `taskdeck worker`, so cancel and timeout behave the same locally and
 * remotely: the runner sees one AbortSignal and kills everything it started.
 */
export function executeLocally(
  runners: RunnerRegistry,
  spec: TaskSpec,
  context: RunContext,
  options: LocalExecutionOptions,
): LocalExecution {
  const controller = new AbortController()
  let endedBy: EndedBy | null = null
  const stop = (why: EndedBy, reason: string) => {
    if (controller.signal.aborted) return
    endedBy = why
    controller.abort(new Error(reason))
  }
  const onCancel = () => stop('cancel', 'cancelled')
  if (context.signal.aborted) onCancel()
  else context.signal.addEventListener('abort', onCancel, { once: true })
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => stop('timeout', `timed out after ${options.timeoutMs} ms`), options.timeoutMs)
  const release = () => {
    clearTimeout(timer)
    context.signal.removeEventListener('abort', onCancel)
  }

  const failed = (error: string): LocalExecution => {
    release()
    const done = Promise.resolve<BackendOutcome>({ exitCode: null, signal: null, error, endedBy, worker: options.worker })
    return { run: { pid: null, done }, stop }
  }
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
    (outcome): BackendOutcome => ({ ...outcome, endedBy, worker: options.worker }),
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
    done,
    ...(started.pause && { pause: started.pause.bind(started) }),
    ...(started.resume && { resume: started.resume.bind(started) }),
    ...(started.send && { send: started.send.bind(started) }),
  }
  return { run, stop }
}
