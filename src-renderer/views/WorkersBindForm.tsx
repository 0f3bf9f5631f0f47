import { useState } from 'react'
import { useTranslation } from 'react-i18next'
import { readRefusal, type ApiError } from '../../src-shared/index.ts'
import { WORKER_COMMANDS, type WhenUnreachable } from '../../src-shared/workers.ts'
import { busyButton, useEngineSentences } from '../components/common.tsx'
import { useModel, useStore } from './context.ts'

interface BindForm {
  group: string
  url: string
  password: string
  verifyTls: boolean
  whenUnreachable: WhenUnreachable
  /** Overflow: how many runs execute here before the rest go to workers; empty: all on workers. */
  localSlots: string
}

type Field = 'group' | 'url' | 'password' | 'localSlots' | 'form'
type Errors = Partial<Record<Field, string>>

const BindParamsSchema = WORKER_COMMANDS['group.bindRemote'].params

/** A contract path ("connection.url") → the form field that shows its message. */
function fieldOf(path: readonly PropertyKey[]): Field {
  if (path[0] === 'name') return 'group'
  if (path[0] === 'connection' && path[1] === 'url') return 'url'
  if (path[0] === 'connection' && path[1] === 'password') return 'password'
  if (path[0] === 'localSlots') return 'localSlots'
  return 'form'
}

/** The field a refusal of the app concerns: the group (unknown, or with machine conditions) or the Redis (unreachable, evicting). */
function refusedField(error: ApiError): Field {
  switch (readRefusal(error)?.reason) {
    case 'group-not-found':
    case 'group-has-conditions':
      return 'group'
    case 'redis-unreachable':
    case 'redis-evicts':
      return 'url'
  }
  return error.code === 'not_found' ? 'group' : error.code === 'conflict' ? 'url' : 'form'
}

/**
 * Binds a group to Redis (`group.bindRemote`): checked with the contract's schema before it
 * is sent; the app's refusals (an evicting or unreachable Redis, an unknown group) are shown
 * at the field they concern.
 */
export function BindGroupForm({ boundGroups, onChanged }: { boundGroups: ReadonlySet<string>; onChanged: () => void }) {
  const { t } = useTranslation()
  const { refusal } = useEngineSentences()
  const model = useModel()
  const groups = [...useStore(model.state).groups.keys()].filter((name) => !boundGroups.has(name)).sort()
  const [form, setForm] = useState<BindForm>({ group: '', url: '', password: '', verifyTls: true, whenUnreachable: 'wait', localSlots: '' })
  const [errors, setErrors] = useState<Errors>({})
  const [busy, setBusy] = useState(false)
  const group = form.group || groups[0] || ''

  const set = <K extends keyof BindForm>(key: K, value: BindForm[K], field: Field) => {
    setForm((f) => ({ ...f, [key]: value }))
    setErrors((e) => ({ ...e, [field]: undefined, form: undefined }))
  }

  const submit = async () => {
    if (busy) return
    const checked = BindParamsSchema.safeParse({
      name: group,
      connection: { url: form.url.trim(), ...(form.password ? { password: form.password } : {}), tlsRejectUnauthorized: form.verifyTls },
      whenUnreachable: form.whenUnreachable,
      ...(form.localSlots.trim() === '' ? {} : { localSlots: Number(form.localSlots) }),
    })
    if (!checked.success) {
      const next: Errors = {}
      for (const issue of checked.error.issues) next[fieldOf(issue.path)] ??= issue.message
      setErrors(next)
      return
    }
    setBusy(true)
    const result = await model.bridge.invoke('group.bindRemote', checked.data)
    setBusy(false)
    if (result.ok) {
      setForm((f) => ({ ...f, group: '', url: '', password: '' }))
      setErrors({})
      onChanged()
      return
    }
    setErrors({ [refusedField(result.error)]: refusal(result.error) })
  }

  const error = (field: Field) =>
    errors[field] ? (
      <div className={`field-error ${field === 'url' ? 'form-error' : ''}`} id={`bind-${field}-error`} role="alert">
        {errors[field]}
      </div>
    ) : null

  return (
    <form
      className="form bind-form"
      aria-label={t('workers.bind.title')}
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        void submit()
      }}
    >
      <fieldset>
        <legend>{t('workers.bind.title')}</legend>
        <div className="grid-2">
          <div className={`field ${errors.group ? 'invalid' : ''}`}>
            <label htmlFor="bind-group">{t('workers.group')}</label>
            <select id="bind-group" value={group} onChange={(e) => set('group', e.target.value, 'group')} aria-invalid={errors.group ? true : undefined}>
              {groups.length === 0 && <option value="">{t('workers.bind.noGroups')}</option>}
              {groups.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
            {error('group')}
          </div>
          <div className="field">
            <label htmlFor="bind-unreachable">{t('workers.whenUnreachable')}</label>
            <select id="bind-unreachable" value={form.whenUnreachable} onChange={(e) => set('whenUnreachable', e.target.value as WhenUnreachable, 'form')}>
              <option value="wait">{t('workers.unreachable.wait')}</option>
              <option value="local">{t('workers.unreachable.local')}</option>
            </select>
          </div>
        </div>
        <div className={`field ${errors.url ? 'invalid' : ''}`}>
          <label htmlFor="bind-url">{t('workers.bind.url')}</label>
          <input
            id="bind-url"
            className="mono"
            placeholder="redis://redis.lan:6379"
            autoComplete="off"
            spellCheck={false}
            value={form.url}
            aria-invalid={errors.url ? true : undefined}
            aria-describedby={errors.url ? 'bind-url-error' : 'bind-url-hint'}
            onChange={(e) => set('url', e.target.value, 'url')}
          />
          {error('url') ?? (
            <div className="field-hint" id="bind-url-hint">
              {t('workers.bind.urlHint')}
            </div>
          )}
        </div>
        <div className="grid-2">
          <div className={`field ${errors.password ? 'invalid' : ''}`}>
            <label htmlFor="bind-password">{t('workers.bind.password')}</label>
            <input id="bind-password" type="password" autoComplete="new-password" value={form.password} onChange={(e) => set('password', e.target.value, 'password')} />
            {error('password')}
          </div>
          <label className="check bind-tls">
            <input type="checkbox" checked={form.verifyTls} onChange={(e) => set('verifyTls', e.target.checked, 'form')} />
            {t('workers.bind.verifyTls')}
          </label>
        </div>
        <div className={`field ${errors.localSlots ? 'invalid' : ''}`}>
          <label htmlFor="bind-local-slots">{t('workers.bind.localSlots')}</label>
          <input
            id="bind-local-slots"
            type="number"
            min={1}
            inputMode="numeric"
            placeholder={t('workers.bind.localSlotsPlaceholder')}
            value={form.localSlots}
            aria-invalid={errors.localSlots ? true : undefined}
            onChange={(e) => set('localSlots', e.target.value, 'localSlots')}
          />
          {error('localSlots') ?? <div className="field-hint">{t('workers.bind.localSlotsHint')}</div>}
        </div>
        {error('form')}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={groups.length === 0} {...busyButton(busy)}>
            {busy && <span className="spinner" aria-hidden />}
            <span>{t('workers.bind.submit')}</span>
          </button>
        </div>
      </fieldset>
    </form>
  )
}
