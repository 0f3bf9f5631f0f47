import { useEffect, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import {
  COMMANDS,
  LIMITS,
  MachineConditionSchema,
  OnFailureSchema,
  SettingsSchema,
  WhenUnmetSchema,
  formatRate,
  parseRate,
  type Group,
  type MachineCondition,
  type Settings,
  type WhenUnmet,
} from '../../src-shared/index.ts'
import { resolveLanguage } from '../../src-shared/decisions/language.ts'
import { DEFAULT_GLOBAL_SHORTCUTS, FAVOURITE_SHORTCUT_IDS, GLOBAL_SHORTCUT_IDS, SHORTCUT_TITLES, acceleratorProblem } from '../../src-shared/decisions/shortcuts.ts'
import { Kbd, Segmented, ViewHeading, useEngineSentences } from '../components/common.tsx'
import { DataPanel } from './DataPanel.tsx'
import { Subject } from 'rxjs'
import { bindingConflicts, recordBinding$, type BindingConflict } from '../streams/binding-recorder.ts'
import { groupConditionsIntent, groupParallelIntent, groupRulesIntent } from '../streams/settings.ts'
import type { Intent } from '../streams/intents.ts'
import { COMMAND_IDS, DEFAULT_KEYMAP, displayBinding, type CommandId, type KeyPress, type KeymapEntry } from '../streams/keymap.ts'
import { IS_MAC, useKeymap, useModel, useSendShownInPlace, useStore } from './context.ts'
import { addFavourite, displayAccelerator, favouriteAccelerator, moveFavourite, removeFavourite, MAX_FAVOURITES, type FavouriteChange } from '../streams/favourites.ts'
import { favouritesProblem, useChangeFavourites } from './favourites-change.ts'

const THEMES = ['system', 'light', 'dark'] as const

export function SettingsView() {
  const { t } = useTranslation()
  const model = useModel()
  const settings = useStore(model.settings)
  const state = useStore(model.state)
  const keymap = useKeymap()

  // A refused setting is a toast, which is in view wherever the control is (this page scrolls; a message at its top may
  // not be), and the control keeps showing the saved value.
  const save = async (patch: Partial<Settings>) => {
    const status = await model.send({ command: 'settings.set', params: { patch }, key: `settings.set:${Object.keys(patch).join(',')}`, label: t('settings.saveFailed') })
    if (status.state === 'ok') model.settings.set((status.value as { settings: Settings }).settings)
  }

  return (
    <div className="page settings">
      <header className="page-head">
        <ViewHeading>{t('settings.title')}</ViewHeading>
      </header>
      <section className="panel">
        <h2>{t('settings.appearance')}</h2>
        <Row label={t('settings.theme')}>
          <Segmented label={t('settings.theme')} options={THEMES} value={settings.theme} labelOf={(theme) => t(`settings.themes.${theme}`)} onChange={(theme) => void save({ theme })} />
        </Row>
        <Row label={t('settings.language')}>
          <select aria-label={t('settings.language')} value={settings.language} onChange={(e) => void save({ language: e.target.value as Settings['language'] })}>
            <option value="system">{t('settings.languages.system')}</option>
            <option value="en">English</option>
            <option value="ko">한국어</option>
          </select>
        </Row>
      </section>

      <section className="panel">
        <h2>{t('settings.queue')}</h2>
        <Row label={t('settings.defaultGroup')} hint={t('settings.defaultGroupHint')}>
          {/* One of the groups the engine has: a name it does not know would make every quick task fail. */}
          <select aria-label={t('settings.defaultGroup')} value={settings.defaultGroup} onChange={(e) => void save({ defaultGroup: e.target.value })}>
            {[...new Set([settings.defaultGroup, ...state.groups.keys()])].map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </Row>
        <Row label={t('settings.defaultParallel')}>
          <CommitInput
            type="number"
            value={String(settings.defaultGroupParallel)}
            label={t('settings.defaultParallel')}
            check={wholeBetween(1, LIMITS.groupParallel)}
            onCommit={(v) => void save({ defaultGroupParallel: Number(v) })}
          />
        </Row>
        <Row label={t('settings.logCap')} hint={t('settings.logCapHint')}>
          <CommitInput
            type="number"
            value={String(Math.round(settings.logCapBytes / 1024 / 1024))}
            label={t('settings.logCap')}
            check={between(LOG_CAP_MB.min, LOG_CAP_MB.max)}
            onCommit={(v) => void save({ logCapBytes: Math.round(Number(v) * 1024 * 1024) })}
          />
        </Row>
        <h3>{t('settings.groups')}</h3>
        {state.groups.size === 0 && <p className="muted">{t('settings.noGroups')}</p>}
        {state.groups.size > 0 && <p className="field-hint" id="group-conditions-hint">{t('settings.conditionsHint')}</p>}
        {state.groups.size > 0 && (
          <p className="field-hint" id="group-rate-hint">
            {t('settings.rateHint')}
          </p>
        )}
        {[...state.groups.values()].map((group) => (
          <Row
            key={group.name}
            label={group.name}
            below={
              <>
                <GroupPauseCause group={group} />
                <GroupConditions group={group} />
                <GroupRules group={group} />
              </>
            }
          >
            <CommitInput
              type="number"
              value={String(group.parallel)}
              label={t('settings.groupParallel', { name: group.name })}
              check={wholeBetween(1, LIMITS.groupParallel)}
              onCommit={(v) => model.intents.next(groupParallelIntent(group.name, Number(v), t('settings.groupFailed')))}
            />
            <button
              type="button"
              className="btn btn-ghost"
              onClick={() => model.intents.next({ command: group.paused ? 'group.resume' : 'group.pause', params: { name: group.name }, key: `group.pause:${group.name}` })}
            >
              {group.paused ? t('action.resume') : t('action.pause')}
            </button>
            {group.pausedReason === 'crash' && <span className="tag tag-paused">{t('settings.pausedAfterCrash')}</span>}
          </Row>
        ))}
        <AddGroupRow defaultParallel={settings.defaultGroupParallel} known={state.groups} />
      </section>

      <section className="panel">
        <h2>{t('settings.notifications')}</h2>
        {!window.taskdeck && <BrowserNotificationsRow />}
        <Row label={t('settings.notifyPolicy')}>
          <select
            aria-label={t('settings.notifyPolicy')}
            value={settings.notifications.policy}
            onChange={(e) => void save({ notifications: { ...settings.notifications, policy: e.target.value as Settings['notifications']['policy'] } })}
          >
            {(['always', 'failure', 'never'] as const).map((p) => (
              <option key={p} value={p}>
                {t(`settings.policies.${p}`)}
              </option>
            ))}
          </select>
        </Row>
        <Row label={t('settings.onlyUnfocused')}>
          <Toggle checked={settings.notifications.onlyWhenUnfocused} label={t('settings.onlyUnfocused')} onChange={(v) => void save({ notifications: { ...settings.notifications, onlyWhenUnfocused: v } })} />
        </Row>
        <Row label={t('settings.dnd')}>
          <Toggle checked={settings.notifications.doNotDisturb} label={t('settings.dnd')} onChange={(v) => void save({ notifications: { ...settings.notifications, doNotDisturb: v } })} />
        </Row>
        <Row label={t('settings.minDuration')}>
          <CommitInput
            type="number"
            value={String(settings.notifications.minDurationMs / 1000)}
            label={t('settings.minDuration')}
            check={atLeast(0)}
            onCommit={(v) => void save({ notifications: { ...settings.notifications, minDurationMs: Math.round(Number(v) * 1000) } })}
          />
        </Row>
      </section>

      <section className="panel">
        <h2>{t('settings.desktop')}</h2>
        <Row label={t('settings.closeToTray')}>
          <Toggle checked={settings.closeToTray} label={t('settings.closeToTray')} onChange={(v) => void save({ closeToTray: v })} />
        </Row>
        <Row label={t('settings.startAtLogin')}>
          <Toggle checked={settings.startAtLogin} label={t('settings.startAtLogin')} onChange={(v) => void save({ startAtLogin: v })} />
        </Row>
        <Row label={t('settings.keepAwake')} hint={t('settings.keepAwakeHint')} hintId="keep-awake-hint">
          <Toggle checked={settings.keepAwake} label={t('settings.keepAwake')} describedBy="keep-awake-hint" onChange={(v) => void save({ keepAwake: v })} />
        </Row>
        <Row label={t('settings.pauseAfterCrash')} hint={t('settings.pauseAfterCrashHint')} hintId="pause-after-crash-hint">
          <Toggle checked={settings.pauseAfterCrash} label={t('settings.pauseAfterCrash')} describedBy="pause-after-crash-hint" onChange={(v) => void save({ pauseAfterCrash: v })} />
        </Row>
        <Row label={t('settings.idleAfter')} hint={t('settings.idleAfterHint')} hintId="idle-after-hint">
          <CommitInput
            type="number"
            value={String(settings.idleAfterMinutes)}
            label={t('settings.idleAfter')}
            describedBy="idle-after-hint"
            check={wholeBetween(IDLE_AFTER_MINUTES.min, IDLE_AFTER_MINUTES.max)}
            onCommit={(v) => void save({ idleAfterMinutes: Number(v) })}
          />
        </Row>
      </section>

      <Favourites favourites={settings.favourites} overrides={settings.globalShortcuts} />

      <GlobalShortcuts overrides={settings.globalShortcuts} onSave={(globalShortcuts) => void save({ globalShortcuts })} />

      <DataPanel />

      <section className="panel">
        <h2>{t('settings.keymap')}</h2>
        <p className="muted">{t('settings.keymapHint')}</p>
        <table className="keymap">
          <tbody>
            {COMMAND_IDS.map((command) => (
              <KeymapRow key={command} command={command} override={settings.keymap[command]} keymap={keymap} onSave={(binding) => {
                const keymap = { ...settings.keymap }
                if (binding === null) delete keymap[command]
                else keymap[command] = binding
                void save({ keymap })
              }} />
            ))}
          </tbody>
        </table>
      </section>
    </div>
  )
}

/**
 * Favourites 1–9: tasks whose definition the tray's Run Favourite and the global shortcuts run
 * again as a fresh copy. Added by task number or from the task selected in the list (or with
 * the star in a task's detail), reordered, removed; each says which global shortcut runs it.
 */
function Favourites({ favourites, overrides }: { favourites: readonly number[]; overrides: Readonly<Record<string, string>> }) {
  const { t } = useTranslation()
  const model = useModel()
  const tasks = useStore(model.state).tasks
  const cursor = useStore(model.cursor)
  const changeFavourites = useChangeFavourites()
  const [draft, setDraft] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  /** Each change is made to the list as it is when it is written (another window may have changed it): by task, not by row. */
  const change = async (taskId: number, make: (list: readonly number[]) => FavouriteChange): Promise<boolean> => {
    const outcome = await changeFavourites(make)
    setProblem(favouritesProblem(outcome, t, taskId))
    return outcome.kind === 'saved'
  }
  const add = async (taskId: number) => {
    if (await change(taskId, (list) => addFavourite(list, taskId, (id) => tasks.has(id)))) setDraft('')
  }
  const remove = (taskId: number) => change(taskId, (list) => (list.includes(taskId) ? { ok: true, favourites: removeFavourite(list, taskId) } : { ok: false, problem: 'absent' }))
  /** After a move, the keyboard stays on the same button of the favourite that moved (or its other arrow at an end). */
  const move = async (index: number, delta: -1 | 1) => {
    const id = favourites[index]
    if (id === undefined) return
    await change(id, (list) => (list.includes(id) ? { ok: true, favourites: moveFavourite(list, list.indexOf(id), delta) } : { ok: false, problem: 'absent' }))
    requestAnimationFrame(() => {
      const same = document.getElementById(`favourite-${delta < 0 ? 'up' : 'down'}-${id}`)
      const target = same instanceof HTMLButtonElement && !same.disabled ? same : document.getElementById(`favourite-${delta < 0 ? 'down' : 'up'}-${id}`)
      target?.focus()
    })
  }
  const selected = cursor !== null && tasks.has(cursor) && !favourites.includes(cursor) ? cursor : null
  return (
    <section className="panel favourites" aria-labelledby="favourites-heading">
      <h2 id="favourites-heading">{t('favourites.title')}</h2>
      <p className="muted">{t('favourites.hint')}</p>
      {favourites.length === 0 ? (
        <p className="muted panel-empty" data-testid="favourites-empty">
          {t('favourites.none')}
        </p>
      ) : (
        <ol className="favourite-list" aria-labelledby="favourites-heading">
          {favourites.map((id, index) => {
            const task = tasks.get(id)
            const name = task ? `#${id} ${task.name}` : t('favourites.removed', { id })
            const accelerator = favouriteAccelerator(index, overrides)
            return (
              <li key={id} className="favourite-row" data-favourite={id}>
                <span className="favourite-n" aria-hidden>
                  {index + 1}
                </span>
                <span className={`favourite-name${task ? '' : ' muted'}`}>{name}</span>
                <span className="favourite-shortcut">
                  {accelerator ? (
                    <>
                      <span className="sr-only">{t('favourites.runsWith')} </span>
                      <Kbd>{displayAccelerator(accelerator, IS_MAC)}</Kbd>
                    </>
                  ) : (
                    <span className="muted">{t('favourites.noShortcut')}</span>
                  )}
                </span>
                <span className="favourite-actions">
                  <button type="button" id={`favourite-up-${id}`} className="btn btn-ghost icon" aria-label={t('favourites.moveUp', { name })} title={t('favourites.moveUp', { name })} disabled={index === 0} onClick={() => void move(index, -1)}>
                    ↑
                  </button>
                  <button type="button" id={`favourite-down-${id}`} className="btn btn-ghost icon" aria-label={t('favourites.moveDown', { name })} title={t('favourites.moveDown', { name })} disabled={index === favourites.length - 1} onClick={() => void move(index, 1)}>
                    ↓
                  </button>
                  <button type="button" className="btn btn-ghost" aria-label={t('favourites.removeLabel', { name })} onClick={() => void remove(id)}>
                    {t('favourites.remove')}
                  </button>
                </span>
              </li>
            )
          })}
        </ol>
      )}
      <form
        className="setting-row add-favourite"
        onSubmit={(e) => {
          e.preventDefault()
          void add(Number(draft.trim().replace(/^#/, '')))
        }}
      >
        <div>
          <div className="setting-label" id="add-favourite-label">
            {t('favourites.add')}
          </div>
          {problem ? (
            <div className="field-error" role="alert" id="add-favourite-problem">
              {problem}
            </div>
          ) : (
            <div className="field-hint" id="add-favourite-problem">
              {t('favourites.addHint', { max: MAX_FAVOURITES })}
            </div>
          )}
        </div>
        <div className="setting-control">
          <input
            className="mono narrow"
            inputMode="numeric"
            aria-label={t('favourites.taskNumber')}
            aria-describedby="add-favourite-problem"
            aria-invalid={problem ? true : undefined}
            placeholder="#42"
            value={draft}
            onChange={(e) => {
              setDraft(e.target.value)
              setProblem(null)
            }}
          />
          {/* Named apart from the groups' Add above it (its name keeps the word it shows). */}
          <button type="submit" className="btn" aria-label={t('favourites.addButton')} disabled={draft.trim() === '' || favourites.length >= MAX_FAVOURITES}>
            {t('settings.add')}
          </button>
          {selected !== null && (
            <button type="button" className="btn btn-ghost" disabled={favourites.length >= MAX_FAVOURITES} onClick={() => void add(selected)}>
              {t('favourites.addSelected', { id: selected })}
            </button>
          )}
        </div>
      </form>
    </section>
  )
}

interface ShortcutProblemView {
  id: string
  message: string
}
/** The desktop preload's optional status hook (only the Electron app registers global shortcuts). */
type ShortcutStatusSource = { onShortcutStatus?: (listener: (problems: ShortcutProblemView[]) => void) => () => void }

/**
 * Global (system-wide) shortcuts of the desktop app: checked with the same pure rules main
 * applies (decisions/shortcuts), with the app's report of keys another program holds.
 */
function GlobalShortcuts({ overrides, onSave }: { overrides: Readonly<Record<string, string>>; onSave: (next: Record<string, string>) => void }) {
  const { t, i18n } = useTranslation()
  // The window's language (App resolved it from the settings and the system's languages).
  const language = resolveLanguage('system', [i18n.language])
  const [problems, setProblems] = useState<ShortcutProblemView[]>([])
  const [drafts, setDrafts] = useState<Record<string, string>>({})
  useEffect(() => (window.taskdeck as ShortcutStatusSource | undefined)?.onShortcutStatus?.(setProblems), [])
  const ids = GLOBAL_SHORTCUT_IDS.slice(0, 3).concat(FAVOURITE_SHORTCUT_IDS.slice(0, 3))
  return (
    <section className="panel">
      <h2>{t('settings.globalShortcuts')}</h2>
      <p className="muted">{t(window.taskdeck ? 'settings.globalShortcutsHint' : 'settings.globalShortcutsBrowser')}</p>
      {ids.map((id) => {
        const value = drafts[id] ?? overrides[id] ?? DEFAULT_GLOBAL_SHORTCUTS[id] ?? ''
        const syntax = value === '' ? null : acceleratorProblem(value, language)
        const reported = problems.find((p) => p.id === id)?.message
        const favourite = FAVOURITE_SHORTCUT_IDS.indexOf(id)
        const title = favourite >= 0 ? t('settings.shortcutTitles.favourite', { n: favourite + 1 }) : t(`settings.shortcutTitles.${id}`, { defaultValue: SHORTCUT_TITLES[id] ?? id })
        return (
          <Row key={id} label={title} hint={syntax ?? reported ?? (value === '' ? t('settings.shortcutOff') : undefined)}>
            <input
              className="mono accelerator"
              aria-label={title}
              aria-invalid={syntax ? true : undefined}
              value={value}
              placeholder={t('settings.shortcutOff')}
              onChange={(e) => setDrafts((d) => ({ ...d, [id]: e.target.value }))}
              onBlur={() => {
                const draft = drafts[id]
                if (draft === undefined || (draft !== '' && acceleratorProblem(draft, language))) return
                setDrafts(({ [id]: _, ...rest }) => rest)
                onSave({ ...overrides, [id]: draft })
              }}
            />
          </Row>
        )
      })}
    </section>
  )
}

/**
 * A new group (tasks name one; the engine refuses a group it does not have), checked with the
 * command's own schema before it is sent; a problem shows in place.
 */
function AddGroupRow({ defaultParallel, known }: { defaultParallel: number; known: ReadonlyMap<string, Group> }) {
  const { t } = useTranslation()
  const { refusal } = useEngineSentences()
  const [name, setName] = useState('')
  const [parallel, setParallel] = useState('')
  const [error, setError] = useState<string | null>(null)
  // Said under the row's label, not in a toast besides, while it is shown.
  const send = useSendShownInPlace()
  const add = async () => {
    const params = { name: name.trim(), parallel: parallel.trim() === '' ? defaultParallel : Number(parallel) }
    const checked = COMMANDS['group.set'].params.safeParse(params)
    if (!checked.success) return setError(checked.error.issues[0]?.path[0] === 'name' ? t('form.issue.groupName') : t('settings.groupParallelRange'))
    if (known.has(params.name)) return setError(t('settings.groupExists', { name: params.name }))
    const status = await send({ command: 'group.set', params: checked.data, key: `group.set:${params.name}`, label: t('settings.groupFailed') })
    if (status.state === 'ok') {
      setName('')
      setParallel('')
      setError(null)
    } else if (status.state === 'error') setError(refusal(status.error))
  }
  return (
    <form
      className="setting-row add-group"
      onSubmit={(e) => {
        e.preventDefault()
        void add()
      }}
    >
      <div>
        <div className="setting-label">{t('settings.addGroup')}</div>
        {error ? (
          <div className="field-error" role="alert">
            {error}
          </div>
        ) : (
          <div className="field-hint">{t('settings.addGroupHint')}</div>
        )}
      </div>
      <div className="setting-control">
        <input
          className="mono"
          aria-label={t('settings.newGroupName')}
          aria-invalid={error ? true : undefined}
          placeholder={t('settings.newGroupName')}
          value={name}
          onChange={(e) => {
            setName(e.target.value)
            setError(null)
          }}
        />
        <input
          type="number"
          className="narrow"
          aria-label={t('settings.newGroupParallel')}
          title={t('settings.newGroupParallel')}
          placeholder={String(defaultParallel)}
          value={parallel}
          onChange={(e) => {
            setParallel(e.target.value)
            setError(null)
          }}
        />
        <button type="submit" className="btn" disabled={!name.trim()}>
          {t('settings.add')}
        </button>
      </div>
    </form>
  )
}

/** In a browser, notifications need the page's permission; elsewhere they become toasts. */
function BrowserNotificationsRow() {
  const { t } = useTranslation()
  const supported = 'Notification' in window
  const [permission, setPermission] = useState<NotificationPermission | 'unsupported'>(supported ? Notification.permission : 'unsupported')
  return (
    <Row label={t('settings.browserNotifications')} hint={t(`settings.browserPermission.${permission}`)}>
      {permission === 'default' && (
        <button type="button" className="btn" onClick={() => void Notification.requestPermission().then(setPermission)}>
          {t('settings.allowNotifications')}
        </button>
      )}
    </Row>
  )
}

/** `hintId` names the hint, for the control beside it to be described by (aria-describedby); `below` spans the row under both. */
function Row({ label, hint, hintId, below, children }: { label: string; hint?: string; hintId?: string; below?: ReactNode; children: ReactNode }) {
  return (
    <div className={`setting-row${below ? ' has-below' : ''}`}>
      <div>
        <div className="setting-label">{label}</div>
        {hint && (
          <div className="field-hint" id={hintId}>
            {hint}
          </div>
        )}
      </div>
      <div className="setting-control">{children}</div>
      {below && <div className="setting-below">{below}</div>}
    </div>
  )
}

/**
 * A change of one of a group's settings (its conditions, its rules), sent at once: what was just asked for (`asked`,
 * when the change says it) shows at once, until the group's next update or a refusal replaces it; a problem, the
 * intent's own check or the engine's refusal, is said in place (`error`), not in a toast besides, while it is shown.
 */
function useGroupChange<Asked>(group: Group) {
  const { refusal } = useEngineSentences()
  const [error, setError] = useState<string | null>(null)
  const sendShownInPlace = useSendShownInPlace()
  const [asked, setAsked] = useState<Asked | null>(null)
  useEffect(() => setAsked(null), [group])
  const send = async (built: { intent: Intent } | { problem: string }, ask?: Asked) => {
    if ('problem' in built) return setError(built.problem)
    if (ask !== undefined) setAsked(ask)
    const status = await sendShownInPlace(built.intent)
    if (status.state === 'error') {
      setAsked(null)
      setError(refusal(status.error))
    } else if (status.state === 'ok') setError(null)
  }
  return { asked, error, send }
}

const CONDITIONS = MachineConditionSchema.options
const WHEN_UNMET = WhenUnmetSchema.options

/**
 * A group's machine conditions (power-, presence- and network-aware scheduling): run only on AC
 * power, while the user is away and/or on an unmetered network, and whether unmet conditions also pause running tasks.
 * Each change is checked and sent at once (groupConditionsIntent: its own intent key, no `parallel`).
 */
function GroupConditions({ group }: { group: Group }) {
  const { t } = useTranslation()
  const { asked, error, send } = useGroupChange<{ onlyWhen: MachineCondition[]; whenUnmet: WhenUnmet }>(group)
  const onlyWhen = asked?.onlyWhen ?? group.onlyWhen ?? []
  const whenUnmet = asked?.whenUnmet ?? group.whenUnmet ?? 'wait'
  const change = (next: { onlyWhen?: MachineCondition[]; whenUnmet?: WhenUnmet }) => {
    const wanted = { onlyWhen, whenUnmet, ...next }
    return send(groupConditionsIntent(group, wanted, t('settings.groupFailed')), wanted)
  }
  const errorId = `group-conditions-error-${group.name}`
  return (
    <div className="group-conditions">
      <fieldset>
        <legend className="sr-only">{t('settings.onlyWhenFor', { name: group.name })}</legend>
        <span className="group-conditions-label" aria-hidden>
          {t('settings.onlyWhen')}
        </span>
        {CONDITIONS.map((condition) => (
          <label key={condition} className="check">
            <input
              type="checkbox"
              checked={onlyWhen.includes(condition)}
              aria-describedby={error ? errorId : 'group-conditions-hint'}
              onChange={(e) => void change({ onlyWhen: e.target.checked ? CONDITIONS.filter((c) => c === condition || onlyWhen.includes(c)) : onlyWhen.filter((c) => c !== condition) })}
            />
            {t(`settings.conditions.${condition}`)}
          </label>
        ))}
      </fieldset>
      <label className="group-conditions-unmet">
        <span className="group-conditions-label">{t('settings.whenUnmet')}</span>
        <select aria-label={t('settings.whenUnmetFor', { name: group.name })} value={whenUnmet} disabled={onlyWhen.length === 0} onChange={(e) => void change({ whenUnmet: WhenUnmetSchema.parse(e.target.value) })}>
          {WHEN_UNMET.map((option) => (
            <option key={option} value={option}>
              {t(`settings.whenUnmetOptions.${option}`)}
            </option>
          ))}
        </select>
      </label>
      {error && (
        <div className="field-error" role="alert" id={errorId}>
          {error}
        </div>
      )}
    </div>
  )
}

/** Why the engine paused a group (a task of it failed), with the task one click away; nothing for a user's pause. */
function GroupPauseCause({ group }: { group: Group }) {
  const { t } = useTranslation()
  const model = useModel()
  if (!group.paused || !group.pausedFor) return null
  const { taskId } = group.pausedFor
  return (
    <p className="held-banner group-pause-cause" role="status">
      {t('settings.pausedByFailure', { group: group.name })}{' '}
      <button type="button" className="link" onClick={() => model.route.set({ view: 'task', taskId })}>
        #{taskId}
      </button>
      {t('settings.pausedByFailureEnd')}
    </p>
  )
}

/**
 * A group's rules: whether a task's failure pauses it (pueue's pause on failure) and how often its tasks may start
 * (a rate, "10/m"; empty: no limit). Each change is checked and sent at once, with its own intent key.
 */
function GroupRules({ group }: { group: Group }) {
  const { t } = useTranslation()
  // Only the failure rule shows as asked; the rate's field shows the group's rate.
  const { asked: askedOnFailure, error, send } = useGroupChange<NonNullable<Group['onFailure']>>(group)
  const onFailure = askedOnFailure ?? group.onFailure ?? 'continue'
  const change = (rules: { onFailure: NonNullable<Group['onFailure']> } | { rate: Group['rate'] | null }) =>
    send(groupRulesIntent(group, rules, t('settings.groupFailed')), 'onFailure' in rules ? rules.onFailure : undefined)
  const errorId = `group-rules-error-${group.name}`
  return (
    <div className="group-conditions group-rules">
      <label className="group-conditions-unmet">
        <span className="group-conditions-label">{t('settings.onFailure')}</span>
        <select aria-label={t('settings.onFailureFor', { name: group.name })} value={onFailure} onChange={(e) => void change({ onFailure: OnFailureSchema.parse(e.target.value) })}>
          {OnFailureSchema.options.map((option) => (
            <option key={option} value={option}>
              {t(`settings.onFailureOptions.${option}`)}
            </option>
          ))}
        </select>
      </label>
      <div className="group-conditions-unmet">
        <span className="group-conditions-label" aria-hidden>
          {t('settings.rate')}
        </span>
        <CommitInput
          value={group.rate ? formatRate(group.rate) : ''}
          label={t('settings.rateFor', { name: group.name })}
          describedBy={error ? errorId : 'group-rate-hint'}
          check={rateCheck}
          onCommit={(v) => {
            const parsed = v.trim() === '' ? null : parseRate(v)
            if (parsed === null || 'rate' in parsed) void change({ rate: parsed?.rate ?? null })
          }}
        />
      </div>
      {error && (
        <div className="field-error" role="alert" id={errorId}>
          {error}
        </div>
      )}
    </div>
  )
}

/** A rate as typed in a group's settings: empty (no limit) or what parseRate reads. */
const rateCheck: Check = (draft) => (draft.trim() === '' || 'rate' in parseRate(draft) ? null : { key: 'settings.rateInvalid' })

function Toggle({ checked, label, describedBy, onChange }: { checked: boolean; label: string; describedBy?: string; onChange: (v: boolean) => void }) {
  return (
    <button type="button" role="switch" aria-checked={checked} aria-label={label} aria-describedby={describedBy} className={`switch ${checked ? 'on' : ''}`} onClick={() => onChange(!checked)}>
      <span className="switch-knob" />
    </button>
  )
}

/** A problem with what was typed, as an i18n key and its values; null when it can be saved. */
type Check = (draft: string) => { key: string; values?: Record<string, number> } | null

/** The contract's bounds of settings.idleAfterMinutes. */
const IDLE_AFTER_SCHEMA = SettingsSchema.shape.idleAfterMinutes.unwrap()
const IDLE_AFTER_MINUTES = { min: IDLE_AFTER_SCHEMA.minValue ?? 1, max: IDLE_AFTER_SCHEMA.maxValue ?? 240 }
/** The log cap's range in the field's unit (MB), from the contract's bytes. */
const LOG_CAP_MB = { min: LIMITS.logCapMinBytes / 1024 ** 2, max: LIMITS.logCapMaxBytes / 1024 ** 2 }

const between =
  (min: number, max: number): Check =>
  (draft) => {
    const n = Number(draft)
    return draft.trim() === '' || !Number.isFinite(n) || n < min || n > max ? { key: 'settings.between', values: { min, max } } : null
  }
const atLeast =
  (min: number): Check =>
  (draft) => {
    const n = Number(draft)
    return draft.trim() === '' || !Number.isFinite(n) || n < min ? { key: 'form.issue.min', values: { min } } : null
  }
const wholeBetween =
  (min: number, max: number): Check =>
  (draft) =>
    between(min, max)(draft) || !Number.isInteger(Number(draft)) ? { key: 'settings.wholeBetween', values: { min, max } } : null

/**
 * An input that saves on Enter or blur, not on every keystroke. What cannot be saved stays as
 * typed with the problem under it (not silently put back with a toast elsewhere on the page).
 */
function CommitInput({ value, label, type = 'text', describedBy, check, onCommit }: { value: string; label: string; type?: string; describedBy?: string; check?: Check; onCommit: (v: string) => void }) {
  const { t } = useTranslation()
  const [draft, setDraft] = useState<string | null>(null)
  /** Set by Esc: the blur that follows it must not save what Esc threw away. */
  const discarded = useRef(false)
  const problem = draft === null ? null : (check?.(draft) ?? null)
  const commit = () => {
    if (discarded.current) {
      discarded.current = false
      return setDraft(null)
    }
    if (problem) return
    if (draft !== null && draft !== value) onCommit(draft)
    setDraft(null)
  }
  return (
    <div className="commit-input">
      <input
        type={type}
        aria-label={label}
        aria-invalid={problem ? true : undefined}
        aria-describedby={describedBy}
        value={draft ?? value}
        onChange={(e) => {
          discarded.current = false
          setDraft(e.target.value)
        }}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit()
          // Esc puts back the saved value (and, as everywhere, leaves the field).
          if (e.key === 'Escape') {
            discarded.current = true
            setDraft(null)
          }
        }}
      />
      {problem && (
        <div className="field-error" role="alert">
          {t(problem.key, problem.values ?? {})}
        </div>
      )}
    </div>
  )
}

/** A key press in the recorder, as the key stream sees it. */
const pressOf = (e: ReactKeyboardEvent): KeyPress => ({ key: e.key, ctrl: e.ctrlKey, meta: e.metaKey, alt: e.altKey, shift: e.shiftKey, repeat: e.repeat, inEditable: false })

/**
 * One command's binding: Change records a key or a chord ("g" then "x") through
 * recordBinding$, checks it against the other bindings, and saves it or shows the clash;
 * Clear leaves the command without a key; Reset returns to the default.
 */
function KeymapRow({ command, override, keymap, onSave }: { command: CommandId; override: string | undefined; keymap: readonly KeymapEntry[]; onSave: (binding: string | null) => void }) {
  const { t } = useTranslation()
  const [recording, setRecording] = useState(false)
  const [partial, setPartial] = useState<string[]>([])
  const [clash, setClash] = useState<{ binding: string; conflicts: BindingConflict[] } | null>(null)
  const presses = useMemo(() => new Subject<KeyPress>(), [])
  const latest = useRef({ keymap, onSave })
  latest.current = { keymap, onSave }
  const defaults = DEFAULT_KEYMAP.filter((k) => k.command === command).map((k) => k.binding)
  const current = override !== undefined ? (override === '' ? [] : [override]) : defaults

  useEffect(() => {
    if (!recording) return
    setPartial([])
    const subscription = recordBinding$(presses, { isMac: IS_MAC }).subscribe((step) => {
      if (step.kind === 'partial') return setPartial(step.strokes)
      setRecording(false)
      if (step.kind === 'cancelled') return
      const conflicts = bindingConflicts(latest.current.keymap, command, step.binding)
      if (conflicts.length === 0) latest.current.onSave(step.binding)
      else setClash({ binding: step.binding, conflicts })
    })
    return () => subscription.unsubscribe()
  }, [recording, presses, command])

  const keysOf = (binding: string) => displayBinding(binding, IS_MAC)
  const named = (c: BindingConflict) => `${keysOf(c.binding)} (${t(`command.${c.command}`)})`
  /** One sentence per clash, except that all the chords a key would start are named in one. */
  const clashMessages = (conflicts: readonly BindingConflict[], binding: string) => {
    const chords = conflicts.filter((c) => c.kind === 'shadows')
    return [
      ...conflicts.filter((c) => c.kind !== 'shadows').map((c) => t(`settings.conflict.${c.kind}`, { keys: keysOf(binding), other: keysOf(c.binding), command: t(`command.${c.command}`) })),
      ...(chords.length > 0 ? [t('settings.conflict.shadows', { keys: keysOf(binding), chords: chords.map(named).join(', '), count: chords.length })] : []),
    ]
  }

  return (
    // Clear, Reset and the clash's buttons remove themselves: the keyboard stays in the row (on Change).
    <tr className={clash ? 'has-clash' : undefined} data-focus-scope="">
      <td>{t(`command.${command}`)}</td>
      <td>
        {recording ? (
          <span className="keymap-recording" aria-live="polite">
            {partial.length > 0 ? t('settings.pressSecond', { keys: keysOf(partial.join(' ')) }) : t('settings.pressKey')}
          </span>
        ) : current.length === 0 ? (
          <span className="muted">{t('settings.noKey')}</span>
        ) : (
          current.map((b) => <Kbd key={b}>{keysOf(b)}</Kbd>)
        )}
        {clash && (
          <div className="keymap-clash" role="alert">
            {clashMessages(clash.conflicts, clash.binding).map((message) => (
              <p key={message}>{message}</p>
            ))}
            <div className="keymap-clash-actions">
              <button
                type="button"
                className="btn btn-primary"
                onClick={() => {
                  onSave(clash.binding)
                  setClash(null)
                }}
              >
                {t('settings.useAnyway', { keys: keysOf(clash.binding) })}
              </button>
              <button type="button" className="btn btn-ghost" onClick={() => setClash(null)}>
                {t('settings.keepCurrent')}
              </button>
            </div>
          </div>
        )}
      </td>
      <td className="keymap-actions">
        <button
          type="button"
          className={`btn btn-ghost ${recording ? 'recording' : ''}`}
          aria-label={t('settings.rebind', { command: t(`command.${command}`) })}
          aria-pressed={recording}
          onClick={() => {
            setClash(null)
            setRecording(true)
          }}
          onBlur={() => setRecording(false)}
          onKeyDown={(e) => {
            if (!recording || e.key === 'Tab') return
            // The keys being recorded must not also run their current commands.
            e.preventDefault()
            e.stopPropagation()
            presses.next(pressOf(e))
          }}
        >
          {/* Its name must hold the words it shows ("Change"): the pressed state and "Press a key…" beside it say it is recording. */}
          {t('settings.change')}
        </button>
        {current.length > 0 && (
          <button type="button" className="btn btn-ghost" aria-label={t('settings.clearFor', { command: t(`command.${command}`) })} onClick={() => onSave('')}>
            {t('settings.clear')}
          </button>
        )}
        {override !== undefined && (
          <button type="button" className="btn btn-ghost" aria-label={t('settings.resetFor', { command: t(`command.${command}`) })} onClick={() => onSave(null)}>
            {t('settings.reset')}
          </button>
        )}
      </td>
    </tr>
  )
}
