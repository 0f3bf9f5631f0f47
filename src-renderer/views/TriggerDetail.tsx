import { useMemo, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { BehaviorSubject } from 'rxjs'
import type { SavedTask, Trigger } from '../../src-shared/index.ts'
import { ActionButton, busyButton, formatClock, useEngineSentences } from '../components/common.tsx'
import { useObservableState } from '../hooks/observable.ts'
import { firingWhy, triggerDetail$ } from '../streams/trigger-form.ts'
import { triggerChanges$ } from '../streams/triggers.ts'
import { useModel, useStore } from './context.ts'

/** Where a webhook is called: this page's server when it is served over http (taskdeck serve), else the server's address to fill in. */
export function hookUrl(triggerId: number): string {
  const origin = typeof location !== 'undefined' && location.protocol.startsWith('http') ? location.origin : 'http://127.0.0.1:PORT'
  return `${origin}/hooks/${triggerId}`
}

/**
 * The selected trigger: what it starts, Edit and Remove (asked once), a new webhook's secret
 * (shown only after it was made), its next runs and its firing history: when, why, the task it
 * started (a link to it) and the outcome.
 */
export function TriggerDetail({
  trigger,
  savedTasks,
  secret,
  focusOnShow,
  onShown,
  onEdit,
  onRemoved,
}: {
  trigger: Trigger
  savedTasks: readonly SavedTask[]
  secret: string | null
  /** Just made or saved: the keyboard goes to its heading, so Tab reaches Edit next. */
  focusOnShow: boolean
  onShown: () => void
  onEdit: () => void
  onRemoved: () => void
}) {
  const { t, i18n } = useTranslation()
  const { refusal } = useEngineSentences()
  const model = useModel()
  const pending = useStore(model.pending)
  const selected = useMemo(() => new BehaviorSubject<number | null>(trigger.id), [trigger.id])
  const detail$ = useMemo(
    () => triggerDetail$(selected, triggerChanges$(model.frames$), (triggerId) => model.bridge.invoke('trigger.get', { triggerId, historyLimit: 50 })),
    [model, selected],
  )
  const detail = useObservableState(detail$, null)
  const [confirming, setConfirming] = useState(false)
  const refocusRemove = useRef(false)
  const savedTask = savedTasks.find((s) => s.id === trigger.savedTaskId)
  const removeKey = `trigger.remove:${trigger.id}`

  const keep = () => {
    refocusRemove.current = true
    setConfirming(false)
  }
  const remove = async () => {
    if (model.pending.value.has(removeKey)) return
    const status = await model.send({ command: 'trigger.remove', params: { triggerId: trigger.id }, key: removeKey, label: t('triggerForm.removeLabel', { name: trigger.name }) })
    setConfirming(false)
    if (status.state === 'ok') {
      model.toast('success', trigger.name, t('triggerForm.removed', { id: trigger.id }))
      onRemoved()
    }
  }
  const read = detail?.triggerId === trigger.id ? detail.result : null
  const url = hookUrl(trigger.id)

  return (
    <section className="panel trigger-detail" aria-labelledby="trigger-detail-title" data-testid="trigger-detail">
      <div className="trigger-detail-head">
        <h2
          id="trigger-detail-title"
          tabIndex={-1}
          ref={(heading) => {
            if (heading && focusOnShow) {
              heading.focus()
              onShown()
            }
          }}
        >{t('triggerForm.selected', { id: trigger.id, name: trigger.name })}</h2>
        <div
          className="trigger-detail-actions"
          role="group"
          aria-label={t('triggers.actions')}
          onKeyDown={(e) => {
            // Esc answers the question no, as Keep does, instead of leaving the trigger (the page's Esc).
            if (confirming && e.key === 'Escape') {
              e.preventDefault()
              e.stopPropagation()
              keep()
            }
          }}
        >
          {confirming ? (
            <>
              <span className="bulk-confirm" id="trigger-remove-question">
                {t('triggerForm.removeQuestion', { name: trigger.name })}
              </span>
              <button type="button" className="btn btn-danger" autoFocus aria-describedby="trigger-remove-question" {...busyButton(pending.has(removeKey))} onClick={() => void remove()}>
                {t('triggerForm.removeConfirm')}
              </button>
              <button type="button" className="btn btn-ghost" onClick={keep}>
                {t('triggerForm.keep')}
              </button>
            </>
          ) : (
            <>
              <ActionButton label={t('triggerForm.edit')} aria-label={t('triggerForm.editLabel', { name: trigger.name })} onClick={onEdit} />
              <button
                type="button"
                className="btn btn-ghost"
                aria-label={`${t('triggerForm.removeLabel', { name: trigger.name })}…`}
                ref={(button) => {
                  if (button && refocusRemove.current) {
                    refocusRemove.current = false
                    button.focus()
                  }
                }}
                onClick={() => setConfirming(true)}
              >
                {t('triggerForm.remove')}…
              </button>
            </>
          )}
        </div>
      </div>
      <p className="muted">{t('triggerForm.starts_savedTask', { id: trigger.savedTaskId, name: savedTask?.name ?? '' })}</p>
      {trigger.spec.kind === 'webhook' && (
        <div className="hook-info">
          <p>{t('triggerForm.webhookUrl', { url })}</p>
          {secret && (
            <div role="status">
              <p>{t('triggerForm.secretOnce')}</p>
              <p>
                {t('triggerForm.secretLabel')}: <code className="hook-secret">{secret}</code>
              </p>
              <p>{t('triggerForm.curlLabel')}:</p>
              <pre className="hook-curl">
                <code>{`curl -X POST -H 'X-Taskdeck-Secret: ${secret}' -H 'Content-Type: application/json' --data '{}' ${url}`}</code>
              </pre>
            </div>
          )}
        </div>
      )}
      {read?.ok && read.value.upcoming.length > 0 && (
        <div className="trigger-upcoming">
          <h3>{t('triggerForm.upcoming')}</h3>
          <ol className="cron-next">
            {read.value.upcoming.slice(0, 5).map((at) => (
              <li key={at}>
                <time dateTime={new Date(at).toISOString()}>{formatClock(at, i18n.language)}</time>
              </li>
            ))}
          </ol>
        </div>
      )}
      <h3 id="trigger-history-title">{t('triggerForm.history')}</h3>
      {read && !read.ok && (
        <p className="field-error" role="alert">
          {t('triggerForm.historyUnreadable', { message: refusal(read.error) })}
        </p>
      )}
      {read?.ok &&
        (read.value.history.length === 0 ? (
          <p className="muted">{t('triggerForm.historyEmpty')}</p>
        ) : (
          <table className="triggers-table firing-history" aria-labelledby="trigger-history-title" data-testid="trigger-history">
            <thead>
              <tr>
                <th>{t('triggerForm.firedAt')}</th>
                <th>{t('triggerForm.cause')}</th>
                <th>{t('triggerForm.task')}</th>
                <th>{t('triggerForm.outcome')}</th>
              </tr>
            </thead>
            <tbody>
              {read.value.history.map((firing) => {
                const why = firingWhy(firing)
                return (
                  <tr key={firing.id} data-firing-id={firing.id}>
                    <td className="trigger-time">
                      <time dateTime={new Date(firing.firedAt).toISOString()}>{formatClock(firing.firedAt, i18n.language)}</time>
                    </td>
                    <td>
                      {t(`triggerForm.causes.${firing.cause}`)}
                      {why && <span className="muted"> · {t(why.key, { ...why.values, ...Object.fromEntries(Object.entries(why.translated ?? {}).map(([name, key]) => [name, t(key)])) })}</span>}
                    </td>
                    <td>
                      {firing.taskId !== null ? (
                        <button type="button" className="link task-link" onClick={() => model.route.set({ view: 'task', taskId: firing.taskId ?? 0 })}>
                          {t('triggerForm.taskLink', { id: firing.taskId })}
                        </button>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td className={`firing-${firing.outcome}`}>
                      {t(`triggerForm.outcomes.${firing.outcome}`)}
                      {firing.detail.recovered === true && (
                        // Recorded by a restart that found the firing's task (or found none): the hint is the tooltip, and read out after the badge.
                        <span className="pill info firing-recovered" title={t('triggerForm.recoveredHint')} data-testid="firing-recovered">
                          {t('triggerForm.recovered')}
                          <span className="sr-only">: {t('triggerForm.recoveredHint')}</span>
                        </span>
                      )}
                      {firing.error && <span className="firing-error"> · {firing.error}</span>}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        ))}
    </section>
  )
}
