/**
 * Messages between the script runner (main thread) and a script worker. Type-only, so
 * the worker bundle imports nothing from the main side at run time.
 */
export type ToWorker =
  | { type: 'run'; jobId: number; path: string; input: unknown }
  /** Aborts the job's `api.signal`; the pool terminates the worker if the script does not end soon. */
  | { type: 'abort'; jobId: number }

export type FromWorker =
  | { type: 'output'; jobId: number; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'progress'; jobId: number; done: number; total: number | null; message?: string }
  | { type: 'result'; jobId: number; value: unknown }
  | { type: 'error'; jobId: number; message: string; stack: string }
