import { catchError, defer, exhaustMap, groupBy, map, mergeMap, of, startWith, type Observable } from 'rxjs'
import type { ApiError, CommandInput, CommandName, CommandResult, Result } from '../../src-shared/index.ts'

/** A request to change something, whether it came from a click, a key or the palette. */
export interface Intent<N extends CommandName = CommandName> {
  command: N
  params: CommandInput<N>
  /**
   * Intents with the same key are exclusive: while one is in flight, repeats are ignored
   * (a double click or a held key cannot submit twice). Defaults to the command name.
   */
  key?: string
  /** Shown in the toast when it fails ("Cancel 3 tasks"). */
  label?: string
  /**
   * Asked when it fails: whether the view that sent it still shows the failure in place (a form's or a list's
   * message by what was pressed), so a toast would say it twice (and a screen reader read it twice). A failure no view
   * shows, because it had none or was left before the answer came, is a toast: never swallowed. See useSendShownInPlace.
   * Given the error, so a sender that answers one kind itself (a conflict it retries) can say so for that kind alone.
   */
  shownInPlace?: (error: ApiError) => boolean
}

export type IntentStatus =
  | { key: string; intent: Intent; state: 'pending' }
  | { key: string; intent: Intent; state: 'ok'; value: unknown }
  | { key: string; intent: Intent; state: 'error'; error: ApiError }

export type Invoke = <N extends CommandName>(command: N, params: CommandInput<N>) => Observable<Result<CommandResult<N>>> | Promise<Result<CommandResult<N>>>

export const intentKey = (intent: Intent): string => intent.key ?? intent.command

/**
 * intents$ → the status of each accepted intent: `pending`, then `ok` or `error`.
 * Per key, an intent arriving while one is pending is dropped (exhaustMap); different
 * keys run concurrently. A transport failure becomes an `error` status, never silence.
 */
export function runIntents$(intents$: Observable<Intent>, invoke: Invoke): Observable<IntentStatus> {
  return intents$.pipe(
    groupBy(intentKey),
    mergeMap((byKey$) =>
      byKey$.pipe(
        exhaustMap((intent) =>
          defer(() => invoke(intent.command, intent.params)).pipe(
            map((result): IntentStatus => {
              const key = intentKey(intent)
              return result.ok ? { key, intent, state: 'ok', value: result.value } : { key, intent, state: 'error', error: result.error }
            }),
            catchError((error: unknown) =>
              of<IntentStatus>({
                key: intentKey(intent),
                intent,
                state: 'error',
                error: { code: 'internal', message: error instanceof Error ? error.message : String(error) },
              }),
            ),
            startWith<IntentStatus>({ key: intentKey(intent), intent, state: 'pending' }),
          ),
        ),
      ),
    ),
  )
}

/** Keys with an intent in flight, folded from the statuses: buttons show a spinner and disable. */
export function pendingKeys(pending: ReadonlySet<string>, status: IntentStatus): ReadonlySet<string> {
  const next = new Set(pending)
  if (status.state === 'pending') next.add(status.key)
  else next.delete(status.key)
  return next
}
