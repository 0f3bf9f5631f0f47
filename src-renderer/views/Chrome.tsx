import { useEffect, useMemo, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { interval, map, startWith } from 'rxjs'
import { useEngineSentences } from '../components/common.tsx'
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
  const history = useStore(model.history)
  const catchingUp = state.catchingUp
  // Translated once, not on every state: the indicator re-renders on every published state (its seq), and its i18next
  // lookups cost more than the rest of it (docs/benchmarks.md, UI "Session 15").
  const words = useMemo(
    () => ({
      online: t('connection.online'),
      connecting: t('connection.connecting'),
      lost: t('connection.lost'),
      refused: t('connection.refused'),
      unauthorized: t('connection.unauthorized'),
      seq: t('connection.seq'),
      retryNow: t('connection.retryNow'),
    }),
    [t],
  )
  // Online but no head known yet (the history's first answer is on its way): still connecting, not "Live #0" then
  // "Catching up" then "Live".
  const kind = connection.kind === 'online' && history.reading && history.left === null ? 'connecting' : connection.kind
  const label =
    kind === 'online'
      ? catchingUp
        ? // How far behind the head the page knows of, or (events waiting to be folded, no head known) how many the last state took.
          history.reading && history.left !== null
          ? t('connection.catchingUpLeft', { count: history.left })
          : t('connection.catchingUp', { count: state.lastBatchSize })
        : words.online
      : kind === 'connecting'
        ? words.connecting
        : connection.kind === 'offline'
          ? words.lost
          : connection.kind === 'refused'
            ? words.refused
            : words.unauthorized
  return (
    <div className={`connection connection-${catchingUp && kind === 'online' ? 'catching-up' : kind}`} data-testid="connection" title={label}>
      <span className="connection-dot" aria-hidden />
      {/* The live region says the connection's kind alone. Catching up comes and goes with every burst of events,
          and the event count, the countdown and the seq change many times a second: screen readers would read each. */}
      <span className="connection-label" role="status">
        {connection.kind === 'offline' ? (
          <OfflineCountdown key={connection.attempt} retryInMs={connection.retryInMs} />
        ) : catchingUp && kind === 'online' ? (
          <>
            <span className="sr-only">{words.online}</span>
            <span aria-hidden>{label}</span>
          </>
        ) : (
          label
        )}
      </span>
      <span className="connection-seq" title={resyncs > 0 ? `${words.seq} · ${t('connection.resyncs', { count: resyncs })}` : words.seq}>
        #{state.lastSeq}
      </span>
      {connection.kind === 'offline' && model.reconnectNow && (
        <button type="button" className="btn btn-ghost connection-retry" title={words.retryNow} onClick={model.reconnectNow}>
          <span aria-hidden>↻</span>
          <span className="btn-label">{words.retryNow}</span>
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
  const { refusal } = useEngineSentences()
  const model = useModel()
  const toasts = useStore(model.toasts)
  const [focused, setFocused] = useState(false)
  const [pointed, setPointed] = useState(false)
  const held = focused || pointed
  useEffect(() => model.holdToasts(held), [model, held])
  const toast = (item: (typeof toasts)[number]) => (
    <div key={item.id} className={`toast toast-${item.kind}`}>
      <div className="toast-text">
        <strong>{item.title}</strong>
        <span>{item.error ? refusal(item.error) : item.message}</span>
      </div>
      <button type="button" className="toast-close" aria-label={t('toast.dismiss')} onClick={() => model.dismissToast(item.id)}>
        ×
      </button>
    </div>
  )
  return (
    // Two live regions, there from the start (a region added with its first toast is not always read): errors are
    // read at once, the rest politely; each toast is read once (an alert inside a polite region would be read
    // twice). Errors stack above. Closing a toast leaves the keyboard on another one.
    <div
      className="toasts"
      role="region"
      aria-label={t('toast.region')}
      data-focus-scope=""
      onFocus={() => setFocused(true)}
      onBlur={(event) => setFocused(event.currentTarget.contains(event.relatedTarget))}
      onPointerEnter={() => setPointed(true)}
      onPointerLeave={() => setPointed(false)}
    >
      <div className="toast-stack" aria-live="assertive" aria-relevant="additions">
        {toasts.filter((item) => item.kind === 'error').map(toast)}
      </div>
      <div className="toast-stack" aria-live="polite" aria-relevant="additions">
        {toasts.filter((item) => item.kind !== 'error').map(toast)}
      </div>
    </div>
  )
}
