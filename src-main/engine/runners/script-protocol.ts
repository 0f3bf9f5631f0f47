/**
 * Messages between the script runner (main thread) and a script worker. Type-only, so
 * the worker bundle imports nothing from the main side at run time.
 */
export type ToWorker =
  /**
   * `claim` is the job's cell in the worker's shared `claims` (workerData): the pool stores the
   * job id there before posting, and the worker starts the job only if it swaps that id for 0
   * first; the pool takes a job back (to run it elsewhere, or cancel it) by the same swap.
   */
  | { type: 'run'; jobId: number; path: string; input: unknown; claim: number }
  /** Aborts the job's `api.signal`; the pool terminates the worker if the script does not end soon. */
  | { type: 'abort'; jobId: number }

export type WorkerEvent =
  | { type: 'output'; jobId: number; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'progress'; jobId: number; done: number; total: number | null; message?: string }
  | { type: 'result'; jobId: number; value: unknown }
  | { type: 'error'; jobId: number; message: string; stack: string }

/**
 * The worker posts its events in order, a few at once where that delays none of them: a job's
 * last progress travels with its result. Output is posted as it is written, so a script that
 * prints and then loops still shows its output before it is stopped.
 */
export type FromWorker = WorkerEvent[]
