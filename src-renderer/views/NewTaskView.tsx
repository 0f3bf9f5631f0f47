import { useMemo, useState, type ReactElement, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { resolveLanguage, type Language } from '../../src-shared/decisions/language.ts'
import { HttpSpecSchema, type TaskStatus } from '../../src-shared/index.ts'
import { Field, FormActions, Segmented, ViewHeading, formatBytes, useEngineSentences } from '../components/common.tsx'
import { dateTimeFieldPattern, formatDateTimeField, parseDateTimeField } from '../streams/date-time-field.ts'
import { EMPTY_FORM, formOf, problemsOfServer, validateForm, type FormMessage, type FormProblem, type TaskForm } from '../streams/task-form.ts'
import { useModel, useSendShownInPlace, useStore } from './context.ts'

/** Only a task that has not started can change; any other becomes the template of a new one. */
export const EDITABLE: readonly TaskStatus[] = ['stashed', 'queued', 'waiting']

type Errors = Partial<Record<keyof TaskForm | 'form', FormMessage>>

/** The first problem of each field. */
function errorsOf(problems: readonly FormProblem[]): Errors {
  const out: Errors = {}
  for (const problem of problems) out[problem.field] ??= problem.message
  return out
}

const UNKNOWN_GROUP = 'form.issue.unknownGroup'
/** What the engine takes when the field is left empty: the contract's default, in the field's unit (bytes). */
const DEFAULT_MAX_BYTES = HttpSpecSchema.shape.maxBytes.parse(undefined)
const TASK_KINDS = ['shell', 'http', 'script'] as const

export function NewTaskView({ editTaskId }: { editTaskId: number | undefined }) {
  const { t, i18n } = useTranslation()
  const model = useModel()
  // Refusals are said by the fields (or under the form), not in a toast besides, while the form is shown.
  const send = useSendShownInPlace()
  const state = useStore(model.state)
  const settings = useStore(model.settings)
  const source = editTaskId !== undefined ? state.tasks.get(editTaskId) : undefined
  const editing = source && EDITABLE.includes(source.status) ? source : undefined
  // The task this form opened to change. If it starts or is removed meanwhile it can no longer change: Save then adds
  // a new task from the form (as "Edit as new" does), and the form says so rather than switching silently.
  const [openedToEdit] = useState(() => editing?.id ?? null)
  const editLost = openedToEdit !== null && editing === undefined ? { id: openedToEdit, removed: source === undefined } : null
  const [form, setForm] = useState<TaskForm>(() => (source ? formOf(source.definition) : { ...EMPTY_FORM, group: settings.defaultGroup }))
  const [errors, setErrors] = useState<Errors>({})
  const [submitting, setSubmitting] = useState(false)
  const [depFilter, setDepFilter] = useState('')
  /** Groups created from this form: known before the engine's event about them arrives. */
  const [createdGroups, setCreatedGroups] = useState<readonly string[]>([])
  const { refusal } = useEngineSentences()
  const say = (message: FormMessage) => ('refusal' in message ? refusal(message.refusal) : 'text' in message ? message.text : t(message.key, message.values ?? {}))

  const set = <K extends keyof TaskForm>(key: K, value: TaskForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }))
    setErrors((e) => ({ ...e, [key]: undefined, form: undefined }))
  }

  const candidates = useMemo(() => {
    const needle = depFilter.toLowerCase()
    const list = [...state.tasks.values()].filter((task) => task.id !== editTaskId && (!needle || `${task.id} ${task.name}`.toLowerCase().includes(needle)))
    return list.sort((a, b) => b.id - a.id).slice(0, 100)
  }, [state.tasks, depFilter, editTaskId])

  const submit = async () => {
    if (submitting) return
    const checked = validateForm(form, new Set([...state.groups.keys(), ...createdGroups]))
    if (!checked.ok) {
      setErrors(errorsOf(checked.problems))
      return
    }
    setSubmitting(true)
    const status = editing
      ? await send({ command: 'task.edit', params: { taskId: editing.id, definition: checked.definition }, label: t('form.saveFailed') })
      : await send({ command: 'task.submit', params: { definition: checked.definition }, label: t('form.submitFailed') })
    setSubmitting(false)
    if (status.state === 'ok') {
      const { task } = status.value as { task: { id: number } }
      model.cursor.set(task.id)
      model.route.set({ view: 'task', taskId: task.id })
    } else if (status.state === 'error') {
      const issues = status.error.details?.issues
      setErrors(issues && issues.length > 0 ? errorsOf(problemsOfServer(issues)) : { form: { refusal: status.error } })
    }
  }

  /** An unknown group is one click from existing, with the default parallel limit from Settings. */
  const createGroup = async () => {
    const name = form.group.trim()
    const status = await send({ command: 'group.set', params: { name, parallel: settings.defaultGroupParallel }, key: `group.set:${name}`, label: t('form.createGroupFailed') })
    if (status.state === 'ok') {
      setCreatedGroups((names) => [...names, name])
      setErrors((e) => ({ ...e, group: undefined }))
      // The button goes away with the problem; the keyboard stays in the form (Ctrl+Enter submits).
      document.getElementById('f-group')?.focus()
    } else if (status.state === 'error') setErrors((e) => ({ ...e, group: { refusal: status.error } }))
  }
  const groupError = errors.group
  const unknownGroup = groupError !== undefined && 'key' in groupError && groupError.key === UNKNOWN_GROUP

  /** A labelled control with its message under it (the problem, else the hint), which the control names as its description. */
  const field = (key: keyof TaskForm, label: string, input: ReactElement<{ 'aria-describedby'?: string }>, hint?: string, action?: ReactNode) => (
    <Field id={`f-${key}`} label={label} error={errors[key] && say(errors[key])} hint={hint} action={action}>
      {input}
    </Field>
  )
  const text = (key: keyof TaskForm, props: { placeholder?: string; type?: string; mono?: boolean; list?: string } = {}) => (
    <input
      id={`f-${key}`}
      type={props.type ?? 'text'}
      list={props.list}
      className={props.mono ? 'mono' : undefined}
      placeholder={props.placeholder}
      aria-invalid={errors[key] ? true : undefined}
      value={form[key] as string}
      onChange={(e) => set(key, e.target.value as never)}
    />
  )
  const area = (key: keyof TaskForm, placeholder: string, rows = 3) => (
    <textarea
      id={`f-${key}`}
      className="mono"
      rows={rows}
      placeholder={placeholder}
      aria-invalid={errors[key] ? true : undefined}
      value={form[key] as string}
      onChange={(e) => set(key, e.target.value as never)}
    />
  )
  const check = (key: 'stashed' | 'retryOnInterrupt' | 'followRedirects', label: string) => (
    <label className="check">
      <input type="checkbox" checked={form[key]} onChange={(e) => set(key, e.target.checked)} />
      {label}
    </label>
  )

  return (
    <div className="page new-task">
      <header className="page-head">
        <ViewHeading>{editing ? t('form.editTitle', { id: editing.id }) : source ? t('form.cloneTitle', { id: source.id }) : t('form.newTitle')}</ViewHeading>
        <p className="muted">{t('form.subtitle')}</p>
      </header>
      {editLost && (
        <p className="held-banner" role="status" data-testid="edit-lost">
          {t(editLost.removed ? 'form.editLostRemoved' : 'form.editLostStarted', { id: editLost.id })}
        </p>
      )}
      <form
        className="form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault()
          void submit()
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault()
            void submit()
          }
        }}
      >
        <Segmented label={t('form.kind')} options={TASK_KINDS} value={form.kind} labelOf={(kind) => t(`form.kinds.${kind}`)} onChange={(kind) => set('kind', kind)} />

        <fieldset>
          <legend>{t(`form.kinds.${form.kind}`)}</legend>
          {form.kind === 'shell' && (
            <>
              {field('command', t('form.command'), area('command', 'for i in 1 2 3; do echo step $i; sleep 1; done', 3))}
              <div className="grid-2">
                {field('cwd', t('form.cwd'), text('cwd', { placeholder: '/home/me/project', mono: true }))}
                {field('shell', t('form.shell'), text('shell', { placeholder: '/bin/bash', mono: true }), t('form.shellHint'))}
              </div>
              {field('env', t('form.env'), area('env', 'NODE_ENV=production', 2), t('form.envHint'))}
              {field('stdin', t('form.stdin'), area('stdin', '', 2))}
              {/* A checkbox with its own line under it: the hint says what a terminal changes, or the server's refusal (no script(1) there). */}
              <div className={`field ${errors.tty ? 'invalid' : ''}`}>
                <label className="check">
                  <input
                    id="f-tty"
                    type="checkbox"
                    checked={form.tty}
                    aria-invalid={errors.tty ? true : undefined}
                    aria-describedby={errors.tty ? 'f-tty-error' : 'f-tty-hint'}
                    onChange={(e) => set('tty', e.target.checked)}
                  />
                  {t('form.tty')}
                </label>
                {errors.tty ? (
                  <div className="field-error" id="f-tty-error" role="alert">
                    {say(errors.tty)}
                  </div>
                ) : (
                  <div className="field-hint" id="f-tty-hint">
                    {t('form.ttyHint')}
                  </div>
                )}
              </div>
            </>
          )}
          {form.kind === 'http' && (
            <>
              {field('urls', t('form.urls'), area('urls', 'https://example.com/a.zip\nhttps://example.com/b.zip', 4), t('form.urlsHint'))}
              <div className="grid-3">
                {field(
                  'method',
                  t('form.method'),
                  <select id="f-method" value={form.method} onChange={(e) => set('method', e.target.value as TaskForm['method'])}>
                    {['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'].map((m) => (
                      <option key={m}>{m}</option>
                    ))}
                  </select>,
                )}
                {field('concurrency', t('form.concurrency'), text('concurrency', { type: 'number' }))}
                {field('requestTimeoutSec', t('form.requestTimeout'), text('requestTimeoutSec', { type: 'number' }))}
                {field('retriesPerRequest', t('form.retriesPerRequest'), text('retriesPerRequest', { type: 'number' }))}
                {field(
                  'maxBytes',
                  t('form.maxBytes'),
                  text('maxBytes', { type: 'number', placeholder: DEFAULT_MAX_BYTES.toLocaleString(i18n.language) }),
                  t('form.maxBytesHint', { size: formatBytes(DEFAULT_MAX_BYTES) }),
                )}
                {field('saveDir', t('form.saveDir'), text('saveDir', { mono: true, placeholder: '/home/me/Downloads' }))}
              </div>
              {field('headers', t('form.headers'), area('headers', 'Authorization: Bearer …', 2))}
              {field('body', t('form.body'), area('body', '', 2))}
              {check('followRedirects', t('form.followRedirects'))}
            </>
          )}
          {form.kind === 'script' && (
            <>
              {field('scriptPath', t('form.scriptPath'), text('scriptPath', { mono: true, placeholder: '/home/me/scripts/crunch.mjs' }), t('form.scriptHint'))}
              {field('scriptInput', t('form.scriptInput'), area('scriptInput', '{ "n": 1000000 }', 4))}
            </>
          )}
        </fieldset>

        <fieldset>
          <legend>{t('form.scheduling')}</legend>
          <div className="grid-3">
            {field('name', t('form.name'), text('name', { placeholder: t('form.namePlaceholder') }))}
            {field(
              'group',
              t('form.group'),
              text('group', { mono: true, list: 'f-group-options' }),
              undefined,
              unknownGroup && (
                <button type="button" className="btn" onClick={() => void createGroup()}>
                  {t('form.createGroup', { group: form.group.trim(), parallel: settings.defaultGroupParallel })}
                </button>
              ),
            )}
            <datalist id="f-group-options">
              {[...state.groups.keys()].map((name) => (
                <option key={name} value={name} />
              ))}
            </datalist>
            {field('priority', t('form.priority'), text('priority', { type: 'number' }), t('form.priorityHint'))}
            {field('labels', t('form.labels'), text('labels', { placeholder: 'build, nightly' }), t('form.labelsHint'))}
            {field('timeoutSec', t('form.timeout'), text('timeoutSec', { type: 'number', placeholder: '∞' }))}
            {form.kind !== 'http' && field('maxMemoryMb', t('form.maxMemory'), text('maxMemoryMb', { type: 'number', placeholder: '∞' }), t('form.limitsHint'))}
            {form.kind !== 'http' && field('maxCpuSec', t('form.maxCpu'), text('maxCpuSec', { type: 'number', placeholder: '∞' }), t('form.limitsHint'))}
            {field('delaySec', t('form.delay'), text('delaySec', { type: 'number', placeholder: '0' }))}
            {field('runAt', t('form.runAt'), <DateTimeField id="f-runAt" value={form.runAt} invalid={errors.runAt !== undefined} onChange={(value) => set('runAt', value)} />)}
            {field(
              'notify',
              t('form.notify'),
              <select id="f-notify" value={form.notify} onChange={(e) => set('notify', e.target.value as TaskForm['notify'])}>
                {(['default', 'always', 'failure', 'never'] as const).map((n) => (
                  <option key={n} value={n}>
                    {t(`form.notifyOptions.${n}`)}
                  </option>
                ))}
              </select>,
            )}
          </div>
          <div className="grid-3">
            {field('retryMax', t('form.retryMax'), text('retryMax', { type: 'number', placeholder: '1' }), t('form.retryHint'))}
            {field('retryBackoffMs', t('form.retryBackoff'), text('retryBackoffMs', { type: 'number' }))}
            {field('retryFactor', t('form.retryFactor'), text('retryFactor', { type: 'number' }))}
          </div>
          <div className="checks">
            {check('stashed', t('form.stashed'))}
            {check('retryOnInterrupt', t('form.retryOnInterrupt'))}
          </div>
        </fieldset>

        <fieldset>
          <legend>{t('form.after')}</legend>
          <input type="search" aria-label={t('form.afterFilter')} placeholder={t('form.afterFilter')} value={depFilter} onChange={(e) => setDepFilter(e.target.value)} />
          <div className="dep-list" role="group" aria-label={t('form.after')}>
            {candidates.length === 0 && <div className="muted">{t('form.noCandidates')}</div>}
            {candidates.map((task) => (
              <label key={task.id} className="check dep">
                <input
                  type="checkbox"
                  checked={form.after.includes(task.id)}
                  onChange={(e) => set('after', e.target.checked ? [...form.after, task.id] : form.after.filter((id) => id !== task.id))}
                />
                <span className="cell-id">#{task.id}</span> {task.name}
              </label>
            ))}
          </div>
          {errors.after && (
            <div className="field-error" role="alert">
              {say(errors.after)}
            </div>
          )}
        </fieldset>

        <FormActions
          error={errors.form && say(errors.form)}
          busy={submitting}
          submitLabel={editing ? t('form.save') : t('form.submit')}
          cancelLabel={t('form.cancel')}
          onCancel={() => model.route.set(source ? { view: 'task', taskId: source.id } : { view: 'tasks' })}
        />
      </form>
    </div>
  )
}

/**
 * "Run at" in the UI's language (streams/date-time-field.ts): text in the order and clock the
 * language writes, kept as typed while it is typed; the form gets the datetime-local value it
 * reads, or the text itself when it reads none (the form then names the field).
 */
function DateTimeField({ id, value, invalid, onChange, ...rest }: { id: string; value: string; invalid: boolean; onChange: (value: string) => void; 'aria-describedby'?: string }) {
  const { t, i18n } = useTranslation()
  const language = resolveLanguage('system', [i18n.language])
  const [typed, setTyped] = useState<{ text: string; value: string; language: Language } | null>(null)
  // What is shown: the text being typed while it still stands for the form's value, else the value written anew (a loaded draft, an edit, another language).
  const shown = typed && typed.value === value && typed.language === language ? typed.text : formatDateTimeField(value, language)
  const pattern = dateTimeFieldPattern(language, t('form.runAtParts', { returnObjects: true }) as Parameters<typeof dateTimeFieldPattern>[1])
  return (
    <input
      id={id}
      type="text"
      inputMode="numeric"
      autoComplete="off"
      placeholder={pattern}
      aria-invalid={invalid ? true : undefined}
      aria-describedby={rest['aria-describedby']}
      value={shown}
      onChange={(e) => {
        const text = e.target.value
        const next = parseDateTimeField(text, language) ?? text
        setTyped({ text, value: next, language })
        onChange(next)
      }}
    />
  )
}
