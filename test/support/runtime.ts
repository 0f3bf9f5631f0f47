import { openRuntime, type RuntimeOptions, type TaskdeckRuntime } from '../../src-main/app/runtime.ts'
import { openRuntimeInWorker } from '../../src-main/app/runtime-thread.ts'

/**
 * The two ways to open the runtime, for `describe.each`: in this thread (`taskdeck serve`,
 * the daemon) and in a worker thread (the desktop app). Tests of the runtime's behaviour run
 * on both, so the thread boundary changes nothing a caller can see.
 */
export const RUNTIME_OPENERS: ReadonlyArray<readonly [string, (options: RuntimeOptions) => Promise<TaskdeckRuntime>]> = [
  ['in this thread', openRuntime],
  ['in a worker thread', openRuntimeInWorker],
]
