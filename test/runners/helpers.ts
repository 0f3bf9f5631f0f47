import type { LogStream, Progress } from '../../src-shared/index.ts'
import type { RunContext } from '../../src-main/engine/runners/types.ts'

/** A RunContext that records what a runner reports, as the engine would receive it. */
export interface RecordingContext extends RunContext {
  readonly controller: AbortController
  readonly progressUpdates: Progress[]
  text(stream?: LogStream): string
  /** Resolves once the recorded output on `stream` matches `pattern`. */
  waitForOutput(pattern: RegExp, stream?: LogStream): Promise<void>
  /** Resolves once a progress update satisfies `predicate`. */
  waitForProgress(predicate: (p: Progress) => boolean): Promise<Progress>
}

export function recordingContext(runId = 1): RecordingContext {
  const controller = new AbortController()
  const chunks: { stream: LogStream; text: string }[] = []
  const progressUpdates: Progress[] = []
  const waiters = new Set<() => void>()
  const notify = (): void => {
    for (const waiter of [...waiters]) waiter()
  }
  const text = (stream?: LogStream): string =>
    chunks
      .filter((c) => stream === undefined || c.stream === stream)
      .map((c) => c.text)
      .join('')
  const waitFor = <T>(probe: () => T | undefined): Promise<T> =>
    new Promise((resolvePromise) => {
      const check = (): void => {
        const found = probe()
        if (found !== undefined) {
          waiters.delete(check)
          resolvePromise(found)
        }
      }
      waiters.add(check)
      check()
    })
  return {
    runId,
    taskId: runId,
    attempt: 1,
    signal: controller.signal,
    controller,
    progressUpdates,
    output(stream, chunk) {
      chunks.push({ stream, text: typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8') })
      notify()
    },
    progress(progress) {
      progressUpdates.push(progress)
      notify()
    },
    text,
    waitForOutput: (pattern, stream) => waitFor(() => (pattern.test(text(stream)) ? true : undefined)).then(() => undefined),
    waitForProgress: (predicate) => waitFor(() => progressUpdates.find(predicate)),
  }
}
