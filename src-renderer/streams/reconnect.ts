import { asyncScheduler, retry, throwError, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs'

export interface BackoffOptions {
  initialMs: number
  maxMs: number
  factor: number
  scheduler?: SchedulerLike
  /** Told before each wait, so the UI can show "reconnecting in …". */
  onRetry?: (attempt: number, delayMs: number, error: unknown) => void
  /** Errors that retrying cannot fix (a refused token) end the stream instead. */
  isFatal?: (error: unknown) => boolean
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000, factor: 2 }

/** Delay before the n-th consecutive retry (1-based): exponential, capped. */
export const backoffDelay = (attempt: number, o: Pick<BackoffOptions, 'initialMs' | 'maxMs' | 'factor'>): number =>
  Math.min(o.maxMs, Math.round(o.initialMs * o.factor ** (attempt - 1)))

/**
 * Resubscribes to a failed source after a growing delay; once the source emits again the
 * attempt count starts over, so a connection that lived a while reconnects quickly.
 */
export function retryWithBackoff<T>(o: BackoffOptions): MonoTypeOperatorFunction<T> {
  return retry({
    resetOnSuccess: true,
    delay: (error: unknown, attempt: number) => {
      if (o.isFatal?.(error)) return throwError(() => error)
      const ms = backoffDelay(attempt, o)
      o.onRetry?.(attempt, ms, error)
      return timer(ms, o.scheduler ?? asyncScheduler)
    },
  })
}
