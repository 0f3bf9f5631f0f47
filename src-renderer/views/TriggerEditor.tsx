import { useEffect, useMemo, useState, type ReactElement } from 'react'
import { useTranslation } from 'react-i18next'
import { Subject } from 'rxjs'
import { SYSTEM_EVENTS, type SavedTask, type SystemEvent, type Trigger } from '../../src-shared/index.ts'
import { Field, FormActions, Segmented, formatClock, useEngineSentences } from '../components/common.tsx'
import { describeCron } from '../streams/triggers.ts'
import {
  EMPTY_TRIGGER_FORM,
  EVERY_UNITS,
  TRIGGER_KINDS,
  nextRuns,
  saveTrigger$,
  triggerFormOf,
  type EveryUnit,
  type SaveStatus,
  type TriggerField,
  type TriggerForm,
  type TriggerFormProblem,
  type TriggerSubmit,
} from '../streams/trigger-form.ts'
import type { FormMessage } from '../streams/task-form.ts'
import { useModel } from './context.ts'
import '../styles/trigger-editor.css'

type Errors = Partial<Record<TriggerField, FormMessage>>
const errorsOf = (problems: readonly TriggerFormProblem[]): Errors => {
  const out: Errors = {}
  for (const problem of problems) out[problem.field] ??= problem.message
  return out
}

/**
 * The New / Edit trigger form: every kind the contract has, what it starts (a command, saved as a
 * saved task, or a saved task), its policies, and for a cron pattern its words and next runs.
 * Checked with the contract's schemas before sending; the server's refusals show under their fields.
 */
export function TriggerEditor({ editing, savedTasks, onSaved, onCancel }: { editing: Trigger | null; savedTasks: readonly SavedTask[]; onSaved: (saved: Extract<SaveStatus, { state: 'saved' }>) => void; onCancel: () => void }) {
  const { t, i18n } = useTranslation()
  const model = useModel()
  const [form, setForm] = useState<TriggerForm>(() => (editing ? triggerFormOf(editing) : EMPTY_TRIGGER_FORM))
  const [errors, setErrors] = useState<Errors>({})
  const [saving, setSaving] = useState(false)
  const submits$ = useMemo(() => new Subject<TriggerSubmit>(), [])
  const { refusal } = useEngineSentences()
  const say = (message: FormMessage) => ('refusal' in message ? refusal(message.refusal) : 'text' in message ? message.text : t(message.key, message.values ?? {}))

  useEffect(() => {
    const call = (command: string, params: unknown) => model.bridge.invoke(command as never, params as never)
    const subscription = saveTrigger$(submits$, call as never).subscribe((status) => {
      setSaving(status.state === 'saving')
      if (status.state === 'invalid' || status.state === 'refused') {
        setErrors(errorsOf(status.problems))
        // The keyboard goes to the first field that says what is wrong.
        requestAnimationFrame(() => document.querySelector<HTMLElement>('.trigger-form [aria-invalid="true"]')?.focus())
      } else if (status.state === 'saved') onSaved(status)
    })
    return () => subscription.unsubscribe()
  }, [model, submits$, onSaved])

  const set = <K extends keyof TriggerForm>(key: K, value: TriggerForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }))
    setErrors((e) => ({ ...e, [key]: undefined, form: undefined }))
  }
  const submit = () => submits$.next({ form, editing: editing?.id ?? null })

  const field = (key: TriggerField, label: string, input: ReactElement<{ 'aria-describedby'?: string }>, hint?: string) => (
    <Field id={`tf-${key}`} label={label} error={errors[key] && say(errors[key])} hint={hint}>
      {input}
    </Field>
  )
  type TextKey = 'name' | 'cron' | 'timezone' | 'everyValue' | 'maxCatchUp' | 'debounceMs' | 'settleMs' | 'accelerator' | 'after' | 'cwd'
  const text = (key: TextKey, props: { placeholder?: string; type?: string; mono?: boolean; autoFocus?: boolean } = {}) => (
    <input
      id={`tf-${key}`}
      type={props.type ?? 'text'}
      className={props.mono ? 'mono' : undefined}
      placeholder={props.placeholder}
      autoFocus={props.autoFocus}
      spellCheck={props.mono ? false : undefined}
      aria-invalid={errors[key] ? true : undefined}
      value={form[key]}
      onChange={(e) => set(key, e.target.value)}
    />
  )
  const area = (key: 'paths' | 'command', placeholder: string, rows = 2) => (
    <textarea id={`tf-${key}`} className="mono" rows={rows} placeholder={placeholder} spellCheck={false} aria-invalid={errors[key] ? true : undefined} value={form[key]} onChange={(e) => set(key, e.target.value)} />
  )
  const select = <K extends 'catchUp' | 'overlap' | 'everyUnit' | 'when' | 'afterMode' | 'savedTaskId'>(key: K, options: readonly { value: string; label: string }[]) => (
    <select id={`tf-${key}`} aria-invalid={errors[key] ? true : undefined} value={form[key]} onChange={(e) => set(key, e.target.value as TriggerForm[K])}>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  )
  const check = (key: 'paused' | 'rotateSecret', label: string) => (
    <label className="check">
      <input type="checkbox" checked={form[key]} onChange={(e) => set(key, e.target.checked)} />
      {label}
    </label>
  )
  const toggleEvent = (event: SystemEvent, on: boolean) =>
    set(
      'systemEvents',
      SYSTEM_EVENTS.filter((e) => (e === event ? on : form.systemEvents.includes(e))),
    )
  const savedTaskOptions = savedTasks.map((s) => ({ value: String(s.id), label: `#${s.id} ${s.name}` }))

  const words = form.kind === 'schedule' && form.scheduleMode === 'cron' && form.cron.trim() ? describeCron(form.cron.trim(), i18n.language) : null
  const upcoming = form.kind === 'schedule' && form.scheduleMode === 'cron' ? nextRuns(form.cron, form.timezone, 5) : null

  return (
    <section className="panel trigger-editor" aria-labelledby="trigger-form-title">
      <h2 id="trigger-form-title">{editing ? t('triggerForm.editTitle', { id: editing.id }) : t('triggerForm.newTitle')}</h2>
      <form
        className="form trigger-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault()
          submit()
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault()
            submit()
          }
        }}
      >
        <div className="grid-2">{field('name', t('triggerForm.name'), text('name', { placeholder: t('triggerForm.namePlaceholder'), autoFocus: true }))}</div>
        <Segmented label={t('triggerForm.kind')} options={TRIGGER_KINDS} value={form.kind} labelOf={(kind) => t(`triggerForm.kinds.${kind}`)} onChange={(kind) => set('kind', kind)} />

        <fieldset>
          <legend>{t(`triggerForm.kinds.${form.kind}`)}</legend>
          {form.kind === 'schedule' && (
            <>
              <Segmented label={t('triggerForm.scheduleMode')} options={['cron', 'every'] as const} value={form.scheduleMode} labelOf={(mode) => t(`triggerForm.scheduleModes.${mode}`)} onChange={(mode) => set('scheduleMode', mode)} />
              {form.scheduleMode === 'cron' ? (
                <>
                  <div className="grid-2">
                    {field('cron', t('triggerForm.cron'), text('cron', { placeholder: '30 9 * * 1-5', mono: true }), t('triggerForm.cronHint'))}
                    {field('timezone', t('triggerForm.timezone'), text('timezone', { placeholder: Intl.DateTimeFormat().resolvedOptions().timeZone, mono: true }), t('triggerForm.timezoneHint'))}
                  </div>
                  <div className="cron-preview" role="status" aria-live="polite" aria-label={t('triggerForm.preview')}>
                    {upcoming ? (
                      <>
                        {words && <div className="cron-words">{words}</div>}
                        <div className="muted">{t('triggerForm.preview')}:</div>
                        <ol className="cron-next">
                          {upcoming.map((at) => (
                            <li key={at}>
                              <time dateTime={new Date(at).toISOString()}>{formatClock(at, i18n.language)}</time>
                            </li>
                          ))}
                        </ol>
                      </>
                    ) : (
                      <span className="muted">{t('triggerForm.previewNone')}</span>
                    )}
                  </div>
                </>
              ) : (
                <div className="grid-3">
                  {field('everyValue', t('triggerForm.every'), text('everyValue', { type: 'number' }))}
                  {field(
                    'everyUnit',
                    t('triggerForm.everyUnit'),
                    select(
                      'everyUnit',
                      (Object.keys(EVERY_UNITS) as EveryUnit[]).map((u) => ({ value: u, label: t(`triggerForm.units.${u}`) })),
                    ),
                  )}
                </div>
              )}
              <div className="grid-3">
                {field('catchUp', t('triggerForm.catchUp'), select('catchUp', (['once', 'all', 'skip'] as const).map((v) => ({ value: v, label: t(`triggerForm.catchUpOptions.${v}`) }))))}
                {form.catchUp === 'all' && field('maxCatchUp', t('triggerForm.maxCatchUp'), text('maxCatchUp', { type: 'number' }))}
                {field('overlap', t('triggerForm.overlap'), select('overlap', (['allow', 'skip'] as const).map((v) => ({ value: v, label: t(`triggerForm.overlapOptions.${v}`) }))))}
              </div>
            </>
          )}
          {form.kind === 'fileWatch' && (
            <>
              {field('paths', t('triggerForm.paths'), area('paths', '/home/me/site/**/*.md', 3), t('triggerForm.pathsHint'))}
              <div className="grid-3">{field('debounceMs', t('triggerForm.debounce'), text('debounceMs', { type: 'number' }))}</div>
            </>
          )}
          {form.kind === 'webhook' && (editing ? check('rotateSecret', t('triggerForm.rotateSecret')) : <p className="muted">{t('triggerForm.webhookNew')}</p>)}
          {form.kind === 'shortcut' && field('accelerator', t('triggerForm.accelerator'), text('accelerator', { placeholder: 'CommandOrControl+Alt+B', mono: true }), t('triggerForm.acceleratorHint'))}
          {form.kind === 'completion' && (
            <div className="grid-3">
              {field('afterMode', t('triggerForm.afterMode'), select('afterMode', (['savedTask', 'label', 'task'] as const).map((v) => ({ value: v, label: t(`triggerForm.afterModes.${v}`) }))))}
              {form.afterMode === 'savedTask'
                ? field(
                    'after',
                    t('triggerForm.after.savedTask'),
                    <select id="tf-after" aria-invalid={errors.after ? true : undefined} value={form.after} onChange={(e) => set('after', e.target.value)}>
                      <option value="">{t('triggerForm.pickSavedTask')}</option>
                      {savedTaskOptions.map((o) => (
                        <option key={o.value} value={o.value}>
                          {o.label}
                        </option>
                      ))}
                    </select>,
                  )
                : field('after', t(`triggerForm.after.${form.afterMode}`), text('after', { type: form.afterMode === 'task' ? 'number' : 'text', mono: true }))}
              {field('when', t('triggerForm.when'), select('when', (['succeeded', 'failed', 'finished'] as const).map((v) => ({ value: v, label: t(`triggerForm.whenOptions.${v}`) }))))}
            </div>
          )}
          {form.kind === 'system' && (
            <>
              <div className={`field ${errors.systemEvents ? 'invalid' : ''}`} role="group" aria-labelledby="tf-systemEvents-label" aria-describedby={errors.systemEvents ? 'tf-systemEvents-error' : undefined}>
                <span className="setting-label" id="tf-systemEvents-label">
                  {t('triggerForm.systemEvents')}
                </span>
                <div className="system-events">
                  {SYSTEM_EVENTS.map((event, index) => (
                    <label className="check" key={event}>
                      <input
                        type="checkbox"
                        id={index === 0 ? 'tf-systemEvents' : undefined}
                        aria-invalid={errors.systemEvents && index === 0 ? true : undefined}
                        checked={form.systemEvents.includes(event)}
                        onChange={(e) => toggleEvent(event, e.target.checked)}
                      />
                      {t(`triggerForm.systemEventNames.${event}`)}
                    </label>
                  ))}
                </div>
                {errors.systemEvents && (
                  <div className="field-error" id="tf-systemEvents-error" role="alert">
                    {say(errors.systemEvents)}
                  </div>
                )}
              </div>
              <div className="grid-3">{field('settleMs', t('triggerForm.settle'), text('settleMs', { type: 'number' }), t('triggerForm.systemHint'))}</div>
            </>
          )}
        </fieldset>

        <fieldset>
          <legend>{t('triggerForm.starts')}</legend>
          <Segmented label={t('triggerForm.starts')} options={['command', 'savedTask'] as const} value={form.starts} labelOf={(s) => t(`triggerForm.startsOptions.${s}`)} onChange={(s) => set('starts', s)} />
          {form.starts === 'command' ? (
            <>
              {field('command', t('triggerForm.command'), area('command', './backup.sh --quiet', 2), t('triggerForm.commandHint'))}
              <div className="grid-2">{field('cwd', t('triggerForm.cwd'), text('cwd', { placeholder: '/home/me/project', mono: true }))}</div>
            </>
          ) : (
            <div className="grid-2">{field('savedTaskId', t('triggerForm.savedTask'), select('savedTaskId', [{ value: '', label: t('triggerForm.pickSavedTask') }, ...savedTaskOptions]))}</div>
          )}
          {check('paused', t('triggerForm.paused'))}
        </fieldset>

        <FormActions error={errors.form && say(errors.form)} busy={saving} submitLabel={editing ? t('triggerForm.save') : t('triggerForm.create')} cancelLabel={t('triggerForm.cancel')} onCancel={onCancel} />
      </form>
    </section>
  )
}
