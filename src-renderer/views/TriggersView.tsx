import { useMemo, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Subject, merge, timer } from 'rxjs'
import type { Trigger } from '../../src-shared/triggers.ts'
import { EmptyState, ViewHeading, busyButton, formatClock } from '../components/common.tsx'
import { useObservableState } from '../hooks/observable.ts'
import { snapshotOnActivity$ } from '../streams/loop.ts'
import { formatPeriod } from '../../src-shared/period.ts'
import { isDefaultFileEvents } from '../../src-shared/file-events.ts'
import { describeCron, triggerChanges$ } from '../streams/triggers.ts'
import { useModel, useStore } from './context.ts'

const CRON_EXAMPLE = "taskdeck trigger add --cron '30 9 * * 1-5' --name standup -- ./standup-report.sh"
const EVERY_EXAMPLE = 'taskdeck trigger add --every 15m --name sync -- rsync -a ~/notes/ backup:/notes/'
const WATCH_EXAMPLE = "taskdeck trigger add --path '/home/me/site/**/*.md' -- make site"

/**
 * Saved tasks that start themselves (Cronicle's schedule list): what starts each, when it runs next and last ran,
 * with Run now and Pause/Resume. Triggers are made with the CLI or the API; the list is read again whenever the
 * engine announces a trigger change, and at once after an action here.
 */
export function TriggersView() {
  const { t, i18n } = useTranslation()
  const model = useModel()
  const pending = useStore(model.pending)
  const changed$ = useMemo(() => new Subject<void>(), [])
  const list$ = useMemo(() => snapshotOnActivity$(merge(timer(0), triggerChanges$(model.frames$), changed$), () => model.bridge.invoke('trigger.list', {})), [model, changed$])
  const listed = useObservableState(list$, null)
  const [error, setError] = useState<string | null>(null)
  const triggers = listed?.ok ? [...listed.value.triggers].sort((a, b) => a.id - b.id) : []

  const act = async (command: 'trigger.fire' | 'trigger.pause' | 'trigger.resume', trigger: Trigger) => {
    const key = `${command}:${trigger.id}`
    // A second click while the first is on its way is the same press (a busy button still takes clicks), not an error to show.
    if (model.pending.value.has(key)) return
    const status = await model.send({ command, params: { triggerId: trigger.id }, key, label: trigger.name })
    if (status.state === 'error') setError(status.error.message)
    else {
      setError(null)
      if (command === 'trigger.fire') model.toast('success', trigger.name, t('triggers.fired'))
    }
    changed$.next()
  }

  return (
    <div className="page triggers">
      <header className="page-head">
        <ViewHeading>{t('triggers.title')}</ViewHeading>
        <p className="muted">{t('triggers.subtitle')}</p>
      </header>
      {listed && !listed.ok && (
        <p className="field-error" role="alert">
          {t('triggers.unreadable', { message: listed.error.message })}
        </p>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {listed?.ok && triggers.length === 0 ? (
        <EmptyState title={t('triggers.emptyTitle')}>
          <p>{t('triggers.emptyBody')}</p>
          {[CRON_EXAMPLE, EVERY_EXAMPLE, WATCH_EXAMPLE].map((example) => (
            <p key={example} className="empty-example">
              <code>{example}</code>
            </p>
          ))}
        </EmptyState>
      ) : (
        triggers.length > 0 && (
          <section className="panel" aria-labelledby="triggers-list">
            <h2 id="triggers-list">{t('triggers.listLabel', { count: triggers.length })}</h2>
            <table className="triggers-table" data-testid="triggers-table">
              <thead>
                <tr>
                  <th>{t('triggers.name')}</th>
                  <th>{t('triggers.startsWhen')}</th>
                  <th>{t('triggers.next')}</th>
                  <th>{t('triggers.last')}</th>
                  <th>
                    <span className="sr-only">{t('triggers.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {triggers.map((trigger) => {
                  const busy = (command: string) => pending.has(`${command}:${trigger.id}`)
                  return (
                    <tr key={trigger.id} data-trigger-id={trigger.id} className={trigger.paused ? 'trigger-paused' : undefined}>
                      <td>
                        <span className="cell-id">#{trigger.id}</span> {trigger.name}
                        {trigger.paused && <span className="tag tag-paused">{t('triggers.paused')}</span>}
                      </td>
                      <td>
                        <StartsWhen trigger={trigger} />
                      </td>
                      <td className="trigger-time">{trigger.paused ? '—' : trigger.nextRunAt !== null ? formatClock(trigger.nextRunAt, i18n.language) : trigger.spec.kind === 'schedule' ? '—' : t('triggers.onEvent')}</td>
                      <td className="trigger-time">{trigger.lastFiredAt !== null ? formatClock(trigger.lastFiredAt, i18n.language) : t('triggers.never')}</td>
                      <td className="trigger-actions">
                        <button type="button" className="btn" aria-label={t('triggers.runNowLabel', { name: trigger.name })} {...busyButton(busy('trigger.fire'))} onClick={() => void act('trigger.fire', trigger)}>
                          {t('triggers.runNow')}
                        </button>
                        {trigger.paused ? (
                          <button type="button" className="btn btn-ghost" aria-label={t('triggers.resumeLabel', { name: trigger.name })} {...busyButton(busy('trigger.resume'))} onClick={() => void act('trigger.resume', trigger)}>
                            {t('action.resume')}
                          </button>
                        ) : (
                          <button type="button" className="btn btn-ghost" aria-label={t('triggers.pauseLabel', { name: trigger.name })} {...busyButton(busy('trigger.pause'))} onClick={() => void act('trigger.pause', trigger)}>
                            {t('action.pause')}
                          </button>
                        )}
                      </td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </section>
        )
      )}
    </div>
  )
}

/** What starts a trigger, in words, with its pattern, paths or key as written. */
function StartsWhen({ trigger }: { trigger: Trigger }) {
  const { t, i18n } = useTranslation()
  const spec = trigger.spec
  switch (spec.kind) {
    case 'schedule':
      return spec.cron !== undefined ? (
        <>
          {describeCron(spec.cron, i18n.language) ?? t('triggers.cron')} <code>{spec.cron}</code>
          {spec.timezone && <span className="muted"> ({spec.timezone})</span>}
        </>
      ) : (
        <>{t('triggers.every', { every: formatPeriod(spec.everyMs ?? 0) })}</>
      )
    case 'fileWatch':
      // The kinds of change only when they are not the default (files added, changed, deleted).
      return (
        <>
          {t('triggers.fileWatch')} <code>{spec.paths.join(', ')}</code>
          {!isDefaultFileEvents(spec.events) && <span className="muted"> {t('triggers.fileEventsOnly', { kinds: spec.events.map((event) => t(`triggers.fileEvents.${event}`)).join(', ') })}</span>}
        </>
      )
    case 'webhook':
      return (
        <>
          {t('triggers.webhook')} <code>POST /hooks/{trigger.id}</code>
        </>
      )
    case 'shortcut':
      return (
        <>
          {t('triggers.shortcut')} <code>{spec.accelerator}</code>
        </>
      )
    case 'completion':
      return <>{t(`triggers.completion.${spec.when}`, { what: spec.taskId !== undefined ? `#${spec.taskId}` : spec.label !== undefined ? t('triggers.labelled', { label: spec.label }) : t('triggers.fromSaved', { id: spec.afterSavedTaskId }) })}</>
  }
}
