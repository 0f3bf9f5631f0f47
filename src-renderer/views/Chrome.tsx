import { useMemo } from 'react'
import { useTranslation } from 'react-i18next'
import { interval, map, startWith } from 'rxjs'
import { useObservableState } from '../hooks/observable.ts'
import { useModel, useStore } from './context.ts'

const second$ = interval(1000).pipe(
  startWith(0),
  map(() => Date.now()),
)

/** Whole seconds until the next attempt, counting down (never below 1 while still waiting). */
const secondsUntil = (at: number, now: number): number => Math.max(1, Math.ceil((at - now) / 1000))

/** "Offline — retrying in N s", counting down: the only part of the indicator that follows the clock. */
function OfflineCountdown({ retryInMs }: { retryInMs: number }) {
  const { t } = useTranslation()
  // When the next attempt is due, fixed as this offline state arrives (a new state mounts a new countdown).
  const retryAt = useMemo(() => Date.now() + retryInMs, [retryInMs])
  const now = useObservableState(second$, Date.now())
  return (
    <>
      {/* The countdown changes every second: screen readers hear once that the connection is lost. */}
      <span className="sr-only">{t('connection.lost')}</span>
      <span aria-hidden>{t('connection.offline', { seconds: secondsUntil(retryAt, now) })}</span>
    </>
  )
}

/** Unobtrusive while online; says what is happening when the connection is not. */
export function ConnectionIndicator() {
  const { t } = useTranslation()
  const model = useModel()
  const connection = useStore(model.connection)
  const state = useStore(model.state)
  const resyncs = useStore(model.resyncs)
  const catchingUp = state.catchingUp
  const label =
    connection.kind === 'online'
      ? catchingUp
        ? t('connection.catchingUp', { count: state.lastBatchSize })
        : t('connection.online')
      : connection.kind === 'connecting'
        ? t('connection.connecting')
        : connection.kind === 'offline'
          ? t('connection.lost')
          : connection.kind === 'refused'
            ? t('connection.refused')
            : t('connection.unauthorized')
  return (
    <div className={`connection connection-${catchingUp && connection.kind === 'online' ? 'catching-up' : connection.kind}`} data-testid="connection" title={label}>
      <span className="connection-dot" aria-hidden />
      {/* The live region holds the state alone: the event count and the seq change many times a second, and screen readers would read each. */}
      <span className="connection-label" role="status">
        {connection.kind === 'offline' ? (
          <OfflineCountdown key={connection.attempt} retryInMs={connection.retryInMs} />
        ) : catchingUp && connection.kind === 'online' ? (
          <>
            <span className="sr-only">{t('connection.catchingUpStatus')}</span>
            <span aria-hidden>{label}</span>
          </>
        ) : (
          label
        )}
      </span>
      <span className="connection-seq" title={resyncs > 0 ? `${t('connection.seq')} · ${t('connection.resyncs', { count: resyncs })}` : t('connection.seq')}>
        #{state.lastSeq}
      </span>
      {connection.kind === 'offline' && model.reconnectNow && (
        <button type="button" className="btn btn-ghost connection-retry" title={t('connection.retryNow')} onClick={model.reconnectNow}>
          <span aria-hidden>↻</span>
          <span className="btn-label">{t('connection.retryNow')}</span>
        </button>
      )}
    </div>
  )
}

/** When the user must act (the token was refused), say so where it cannot be missed. */
export function ConnectionBanner() {
  const { t } = useTranslation()
  const connection = useStore(useModel().connection)
  if (connection.kind === 'refused') {
    return (
      <div className="banner banner-error" role="alert">
        <strong>{t('connection.refusedTitle')}</strong> {t('connection.refusedBody')} <code>{connection.reason}</code>
      </div>
    )
  }
  if (connection.kind !== 'unauthorized') return null
  return (
    <div className="banner banner-error" role="alert">
      <strong>{t('connection.unauthorizedTitle')}</strong> {t('connection.unauthorizedBody')}
    </div>
  )
}

export function Toasts() {
  const { t } = useTranslation()
  const model = useModel()
  const toasts = useStore(model.toasts)
  return (
    // One polite live region, there from the start (a region added with its first toast is not always read);
    // an error is an alert of its own, read at once. Closing a toast leaves the keyboard on the next one.
    <div className="toasts" role="region" aria-label={t('toast.region')} aria-live="polite" aria-relevant="additions" data-focus-scope="">
      {toasts.map((toast) => (
        <div key={toast.id} className={`toast toast-${toast.kind}`} role={toast.kind === 'error' ? 'alert' : undefined}>
          <div className="toast-text">
            <strong>{toast.title}</strong>
            <span>{toast.message}</span>
          </div>
          <button type="button" className="toast-close" aria-label={t('toast.dismiss')} onClick={() => model.dismissToast(toast.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  )
}
