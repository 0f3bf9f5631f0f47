import { useCallback, useMemo, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Subject, merge, timer } from 'rxjs'
import type { Trigger } from '../../src-shared/triggers.ts'
import { ActionButton, EmptyState, ViewHeading, busyButton, formatClock, useEngineSentences } from '../components/common.tsx'
import { useObservableState } from '../hooks/observable.ts'
import { snapshotOnActivity$ } from '../streams/loop.ts'
import { formatPeriod } from '../../src-shared/period.ts'
import { isDefaultFileEvents } from '../../src-shared/file-events.ts'
import { describeCron, triggerChanges$ } from '../streams/triggers.ts'
import { useModel, useSendShownInPlace, useStore } from './context.ts'
import { TriggerDetail } from './TriggerDetail.tsx'
import { TriggerEditor } from './TriggerEditor.tsx'
import type { SaveStatus } from '../streams/trigger-form.ts'

const CRON_EXAMPLE = "taskdeck trigger add --cron '30 9 * * 1-5' --name standup -- ./standup-report.sh"
const EVERY_EXAMPLE = 'taskdeck trigger add --every 15m --name sync -- rsync -a ~/notes/ backup:/notes/'
const WATCH_EXAMPLE = "taskdeck trigger add --path '/home/me/site/**/*.md' -- make site"

/**
 * Saved tasks that start themselves (Cronicle's schedule list): what starts each, when it runs next and last ran,
 * with Run now and Pause/Resume; New trigger, Edit, Remove and the firing history (TriggerEditor, TriggerDetail). The list is read again whenever the
 * engine announces a trigger change, and at once after an action here.
 */
export function TriggersView() {
  const { t, i18n } = useTranslation()
  const { refusal } = useEngineSentences()
  const model = useModel()
  const pending = useStore(model.pending)
  const changed$ = useMemo(() => new Subject<void>(), [])
  const list$ = useMemo(() => snapshotOnActivity$(merge(timer(0), triggerChanges$(model.frames$), changed$), () => model.bridge.invoke('trigger.list', {})), [model, changed$])
  const listed = useObservableState(list$, null)
  const [error, setError] = useState<string | null>(null)
  // A refusal is said here, by the list (no toast besides while this view is shown).
  const send = useSendShownInPlace()
  const triggers = listed?.ok ? [...listed.value.triggers].sort((a, b) => a.id - b.id) : []
  // The saved tasks a trigger can start (New / Edit), read with the list.
  const savedTasks$ = useMemo(() => snapshotOnActivity$(merge(timer(0), triggerChanges$(model.frames$), changed$), () => model.bridge.invoke('savedTask.list', {})), [model, changed$])
  const savedRead = useObservableState(savedTasks$, null)
  const savedTasks = savedRead?.ok ? savedRead.value.savedTasks : []
  const route = useStore(model.route)
  const selectedId = route.view === 'triggers' ? route.triggerId : undefined
  const formOpen = route.view === 'triggers' ? route.form : undefined
  const selected = triggers.find((trigger) => trigger.id === selectedId) ?? null
  // A new webhook's secret, answered once by trigger.create: shown with its trigger until another is chosen.
  const [made, setMade] = useState<{ triggerId: number; secret: string } | null>(null)
  const [focusDetail, setFocusDetail] = useState(false)
  const select = (triggerId: number | undefined) => model.route.set(triggerId === undefined ? { view: 'triggers' } : { view: 'triggers', triggerId })
  const onSaved = useCallback(
    (saved: Extract<SaveStatus, { state: 'saved' }>) => {
      setMade(saved.secret === undefined ? null : { triggerId: saved.trigger.id, secret: saved.secret })
      model.toast('success', saved.trigger.name, t(saved.created ? 'triggerForm.created' : 'triggerForm.saved', { id: saved.trigger.id }))
      setFocusDetail(true)
      model.route.set({ view: 'triggers', triggerId: saved.trigger.id })
      changed$.next()
    },
    [model, t, changed$],
  )

  const act = async (command: 'trigger.fire' | 'trigger.pause' | 'trigger.resume', trigger: Trigger) => {
    const key = `${command}:${trigger.id}`
    // A second click while the first is on its way is the same press (a busy button still takes clicks), not an error to show.
    if (model.pending.value.has(key)) return
    const status = await send({ command, params: { triggerId: trigger.id }, key, label: trigger.name })
    if (status.state === 'error') {
      const action = t(command === 'trigger.fire' ? 'triggers.runNow' : command === 'trigger.pause' ? 'action.pause' : 'action.resume')
      setError(t('triggers.refused', { action, name: trigger.name, message: refusal(status.error) }))
    }
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
        <div className="page-actions">
          <ActionButton command="trigger.new" label={t('triggerForm.newTrigger')} aria-expanded={formOpen === 'new'} onClick={() => model.route.set({ view: 'triggers', ...(selectedId === undefined ? {} : { triggerId: selectedId }), form: 'new' })} />
        </div>
      </header>
      {formOpen && (formOpen === 'new' || selected) && (
        <TriggerEditor
          key={formOpen === 'edit' ? `edit-${selected?.id}` : 'new'}
          editing={formOpen === 'edit' ? selected : null}
          savedTasks={savedTasks}
          onSaved={onSaved}
          onCancel={() => select(selectedId)}
        />
      )}
      {listed && !listed.ok && (
        <p className="field-error" role="alert">
          {t('triggers.unreadable', { message: refusal(listed.error) })}
        </p>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {listed?.ok && triggers.length === 0 && !formOpen ? (
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
                    <tr key={trigger.id} data-trigger-id={trigger.id} className={[trigger.paused ? 'trigger-paused' : '', trigger.id === selectedId ? 'trigger-selected' : ''].join(' ').trim() || undefined}>
                      <td>
                        <button type="button" className="link trigger-select" aria-pressed={trigger.id === selectedId} title={t('triggerForm.select', { name: trigger.name })} onClick={() => select(trigger.id === selectedId ? undefined : trigger.id)}>
                          <span className="cell-id">#{trigger.id}</span> {trigger.name}
                        </button>
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
      {selected && formOpen !== 'edit' && (
        <TriggerDetail
          key={selected.id}
          trigger={selected}
          savedTasks={savedTasks}
          secret={made?.triggerId === selected.id ? made.secret : null}
          focusOnShow={focusDetail}
          onShown={() => setFocusDetail(false)}
          onEdit={() => model.route.set({ view: 'triggers', triggerId: selected.id, form: 'edit' })}
          onRemoved={() => {
            select(undefined)
            changed$.next()
          }}
        />
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
          {describeCron(spec.cron, i18n.language) ?? t('triggers.cron')} <code className="cron">{spec.cron}</code>
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
    case 'system':
      return <>{t('triggers.system', { events: spec.events.map((event) => t(`triggers.systemEvents.${event}`)).join(t('triggers.systemOr')) })}</>
    case 'completion':
      return <>{t(`triggers.completion.${spec.when}`, { what: spec.taskId !== undefined ? `#${spec.taskId}` : spec.label !== undefined ? t('triggers.labelled', { label: spec.label }) : t('triggers.fromSaved', { id: spec.afterSavedTaskId }) })}</>
  }
}
