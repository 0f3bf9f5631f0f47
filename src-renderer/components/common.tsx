import { cloneElement, useCallback, useMemo, useRef, type ButtonHTMLAttributes, type ReactElement, type ReactNode } from 'react'
import { useTranslation } from 'react-i18next'
import { resolveLanguage, type Language } from '../../src-shared/decisions/language.ts'
import { formatDuration as sayDuration } from '../../src-shared/decisions/strings.ts'
import type { ApiError, LoopEntry, MachineCondition, TaskStatus } from '../../src-shared/index.ts'
import { sayEnded, sayHeld, sayHeldGroups, sayLoopEntry, sayRateSlot, sayUnmet, type Clock, type Ended } from '../streams/engine-sentences.ts'
import { sayRefusal } from '../streams/refusal-sentences.ts'
import type { CommandId } from '../streams/keymap.ts'
import { useShortcut } from '../views/context.ts'

export function Kbd({ children }: { children: ReactNode }) {
  return <kbd className="kbd">{children}</kbd>
}

interface ActionButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  command?: CommandId
  label: string
  icon?: ReactNode
  busy?: boolean
  variant?: 'primary' | 'ghost' | 'danger' | 'default'
}

/**
 * The one rule for a button whose action is under way: it refuses (aria-disabled; its handler
 * does nothing while busy) but keeps the keyboard, where a disabled button would drop focus to
 * <body>; aria-busy says why.
 */
export function busyButton(busy: boolean | undefined): { 'aria-busy': true | undefined; 'aria-disabled': true | undefined } {
  return { 'aria-busy': busy || undefined, 'aria-disabled': busy || undefined }
}

/**
 * A form's labelled control (`id` is the control's) with its message under it: the problem (an alert, `action`
 * beside it), else the hint, which the control names as its description (`id`-error, `id`-hint).
 */
export function Field({ id, label, error, hint, action, children }: { id: string; label: string; error: string | undefined; hint?: string | undefined; action?: ReactNode; children: ReactElement<{ 'aria-describedby'?: string }> }) {
  const messageId = error !== undefined ? `${id}-error` : hint ? `${id}-hint` : undefined
  return (
    <div className={`field ${error !== undefined ? 'invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { 'aria-describedby': messageId })}
      {error !== undefined ? (
        <div className="field-error" id={messageId} role="alert">
          {error}
          {action}
        </div>
      ) : hint ? (
        <div className="field-hint" id={messageId}>
          {hint}
        </div>
      ) : null}
    </div>
  )
}

/** A form's end: its form-wide error (an alert), the submit button (spinner while busy, Ctrl+Enter shown) and Cancel. */
export function FormActions({ error, busy, submitLabel, cancelLabel, onCancel }: { error: string | null | undefined; busy: boolean; submitLabel: string; cancelLabel: string; onCancel: () => void }) {
  return (
    <>
      {error && (
        <div className="field-error form-error" role="alert">
          {error}
        </div>
      )}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" {...busyButton(busy)}>
          {busy && <span className="spinner" aria-hidden />}
          {submitLabel} <Kbd>Ctrl+↵</Kbd>
        </button>
        <ActionButton variant="ghost" label={cancelLabel} onClick={onCancel} />
      </div>
    </>
  )
}

/** A button that names its shortcut next to its label and in its tooltip. */
export function ActionButton({ command, label, icon, busy, variant = 'default', className, onClick, ...rest }: ActionButtonProps) {
  const shortcut = useShortcut(command ?? 'help.shortcuts')
  const shown = command ? shortcut : ''
  return (
    <button
      type="button"
      className={`btn btn-${variant} ${className ?? ''}`}
      title={shown ? `${label} (${shown})` : label}
      aria-keyshortcuts={shown || undefined}
      {...rest}
      {...busyButton(busy)}
      onClick={busy ? undefined : onClick}
    >
      {busy ? <span className="spinner" aria-hidden /> : icon}
      <span className="btn-label">{label}</span>
      {shown && <Kbd>{shown}</Kbd>}
    </button>
  )
}

/**
 * A choice of a few options as one control (task type, theme), with the radio group's keys: one
 * Tab stop (the chosen option), arrows move the choice. Hand-written: it is one small element.
 */
export function Segmented<T extends string>({ label, options, value, labelOf, onChange }: { label: string; options: readonly T[]; value: T; labelOf: (option: T) => string; onChange: (option: T) => void }) {
  const buttons = useRef<(HTMLButtonElement | null)[]>([])
  const choose = (index: number) => {
    const next = (index + options.length) % options.length
    onChange(options[next]!)
    buttons.current[next]?.focus()
  }
  return (
    <div className="segmented" role="radiogroup" aria-label={label}>
      {options.map((option, i) => (
        <button
          key={option}
          ref={(el) => {
            buttons.current[i] = el
          }}
          type="button"
          role="radio"
          aria-checked={value === option}
          tabIndex={value === option ? 0 : -1}
          className={value === option ? 'active' : ''}
          onClick={() => onChange(option)}
          onKeyDown={(e) => {
            const step = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? 1 : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? -1 : 0
            if (step === 0) return
            // The arrows are the group's own, not the list's j/k/↑/↓.
            e.preventDefault()
            e.stopPropagation()
            choose(i + step)
          }}
        >
          {labelOf(option)}
        </button>
      ))}
    </div>
  )
}

/**
 * A view's title, where the keyboard lands when the view opens and when nothing nearer can take
 * it (views/App.tsx, focus-rescue.ts): a screen reader reads the view's name, and Tab goes on into
 * the view. Focusable by script only (tabIndex -1), and without a ring: it is not a control.
 */
export function ViewHeading({ id, className, children }: { id?: string; className?: string; children: ReactNode }) {
  return (
    <h1 id={id} className={className} tabIndex={-1} data-view-heading="">
      {children}
    </h1>
  )
}

/** The shapes a state is drawn with: each state is told apart by its shape as well as its colour (WCAG 1.4.1). */
export type GlyphShape = 'dot' | 'dots' | 'clock' | 'pause' | 'check' | 'cross' | 'slash' | 'hourglass' | 'alert' | 'box' | 'half' | 'stop'

const ring = <circle cx="6" cy="6" r="4.75" fill="none" stroke="currentColor" strokeWidth="1.5" />

/**
 * Drawn on the 12-pixel grid they are shown at (straight edges on whole pixels), so that they
 * stay crisp at 1x as well as 2x. Hand-drawn: a dozen small paths, no icon font to load.
 */
const GLYPHS: Record<GlyphShape, ReactNode> = {
  dot: <circle cx="6" cy="6" r="3.5" />,
  dots: (
    <>
      <circle cx="1.75" cy="6" r="1.5" />
      <circle cx="6" cy="6" r="1.5" />
      <circle cx="10.25" cy="6" r="1.5" />
    </>
  ),
  clock: (
    <>
      {ring}
      <path d="M6 3.5V6l1.75 1.25" fill="none" stroke="currentColor" strokeWidth="1.25" strokeLinecap="round" strokeLinejoin="round" />
    </>
  ),
  pause: (
    <>
      <rect x="3" y="2" width="2" height="8" rx="0.5" />
      <rect x="7" y="2" width="2" height="8" rx="0.5" />
    </>
  ),
  check: <path d="M2 6.5 4.75 9.25 10 3" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />,
  cross: <path d="M2.75 2.75l6.5 6.5m0-6.5-6.5 6.5" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />,
  slash: (
    <>
      {ring}
      <path d="M2.75 9.25 9.25 2.75" stroke="currentColor" strokeWidth="1.5" />
    </>
  ),
  hourglass: <path d="M2 1h8v1.5L7 6l3 3.5V11H2V9.5L5 6 2 2.5z" />,
  alert: <path fillRule="evenodd" d="M6 1l5.5 9.75H.5zM5.25 4.25h1.5V7.5h-1.5zm0 4.25h1.5v1.25h-1.5z" />,
  box: (
    <>
      <rect x="1" y="1.5" width="10" height="3" rx="0.75" />
      <path d="M2.75 4.5v5.75h6.5V4.5M5 6.75h2" fill="none" stroke="currentColor" strokeWidth="1.5" />
    </>
  ),
  half: (
    <>
      {ring}
      <path d="M6 1.25a4.75 4.75 0 0 1 0 9.5z" />
    </>
  ),
  stop: <rect x="2" y="2" width="8" height="8" rx="1.5" />,
}

/** One shape per task status: families share a colour (failed and timed out are red), never a shape. */
const STATUS_SHAPES: Record<TaskStatus, GlyphShape> = {
  stashed: 'box',
  waiting: 'clock',
  queued: 'dots',
  running: 'dot',
  paused: 'pause',
  succeeded: 'check',
  failed: 'cross',
  cancelled: 'slash',
  timed_out: 'hourglass',
  interrupted: 'alert',
}

/** A state's glyph, in the colour of the text around it; decoration only, as the state is always said in words too. */
export function Glyph({ shape }: { shape: GlyphShape }) {
  return (
    <span className={`glyph glyph-${shape}`} aria-hidden>
      <svg viewBox="0 0 12 12" width="12" height="12" fill="currentColor" focusable="false">
        {GLYPHS[shape]}
      </svg>
    </span>
  )
}

export function StatusGlyph({ status }: { status: TaskStatus }) {
  return <Glyph shape={STATUS_SHAPES[status]} />
}

export function StatusBadge({ status }: { status: TaskStatus }) {
  const { t } = useTranslation()
  return (
    <span className={`status status-${status}`}>
      <StatusGlyph status={status} />
      {t(`status.${status}`)}
    </span>
  )
}

/**
 * The UI's one duration format: src-shared's `formatDuration` (the desktop's notifications and
 * the end reasons use it too), "999 ms", "42 s", "5 min 0 s", "2 h 5 min" (ko "42초", "5분 0초"),
 * with "—" for none. Views read it through `useDuration`, which follows the UI's language.
 */
export function formatDuration(ms: number | null | undefined, language: Language): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  return sayDuration(Math.max(0, ms), language)
}

/** `formatDuration` in the UI's language. */
export function useDuration(): (ms: number | null | undefined) => string {
  const { i18n } = useTranslation()
  const language = resolveLanguage('system', [i18n.language])
  return useCallback((ms: number | null | undefined) => formatDuration(ms, language), [language])
}

/** A size in bytes as people read it: "31.3 MB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} ${units[0]}` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

export function formatTime(at: number | null | undefined): string {
  if (!at) return '—'
  return new Date(at).toLocaleString()
}

/** A moment as a clock shows it: the time alone when it is today, else with the date. */
export function formatClock(at: number, locale?: string, now = Date.now()): string {
  const d = new Date(at)
  return d.toDateString() === new Date(now).toDateString() ? d.toLocaleTimeString(locale) : d.toLocaleString(locale)
}

/**
 * Why a run or task ended, a loop lane's detail, and an engine refusal (streams/refusal-sentences.ts), in the UI's language
 * and the user's clock (streams/engine-sentences.ts).
 */
export function useEngineSentences(): {
  ended: (ended: Ended) => string | null
  loopEntry: (entry: LoopEntry) => string
  held: (heldFor: readonly MachineCondition[], group: string) => string
  conditions: (conditions: readonly MachineCondition[], words?: 'engine' | 'wait') => string
  heldGroups: (unmet: readonly MachineCondition[], groups: readonly string[]) => string
  rateSlot: (group: string, hold: { max: number; perMs: number; until: number }, now: number) => string
  /** An error the engine answered, as the UI says it: its reason's sentence, or its message when it has none this UI knows. */
  refusal: (error: ApiError) => string
} {
  const { t, i18n } = useTranslation()
  const locale = i18n.language
  return useMemo(() => {
    const translate = (key: string, values?: Record<string, string | number>) => t(key, values ?? {})
    const language = resolveLanguage('system', [locale])
    const clock: Clock = { time: (at) => formatClock(at, locale), duration: (ms) => formatDuration(ms, language) }
    return {
      ended: (ended) => sayEnded(ended, translate, clock),
      loopEntry: (entry) => sayLoopEntry(entry, translate, clock),
      held: (heldFor, group) => sayHeld(heldFor, group, translate),
      conditions: (conditions, words) => sayUnmet(conditions, translate, words),
      heldGroups: (unmet, groups) => sayHeldGroups(unmet, groups, translate),
      rateSlot: (group, hold, now) => sayRateSlot(group, hold, now, translate, clock),
      refusal: (error) => sayRefusal(error, translate, clock),
    }
  }, [t, locale])
}

/**
 * On a view that fills in as tasks run (Loop, Dashboard), while there has never been a task: what
 * the page will show and the way to the first task, instead of a page of zeros.
 */
export function FirstRunHint({ what, onNewTask }: { what: string; onNewTask: () => void }) {
  const { t } = useTranslation()
  const shortcut = useShortcut('task.new')
  return (
    <div className="first-run" role="status">
      <p>
        <strong>{t('empty.firstRunTitle')}</strong> {what}
      </p>
      <button type="button" className="btn btn-primary" onClick={onNewTask}>
        {t('empty.firstRunAction')} <Kbd>{shortcut}</Kbd>
      </button>
    </div>
  )
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty" role="status">
      <div className="empty-title">{title}</div>
      {children && <div className="empty-body">{children}</div>}
    </div>
  )
}

/** A small SVG line chart: cheap, theme-coloured through CSS, no canvas. */
/** A small line chart named by its caption: the label and a figure (the latest value, unless `figure` says another). */
export function Sparkline({ values, max, label, height = 48, unit = '', figure }: { values: readonly number[]; max?: number; label: string; height?: number; unit?: string; figure?: string }) {
  const width = 240
  const top = Math.max(max ?? 0, ...values, 1)
  const points = values.map((v, i) => `${values.length <= 1 ? width : (i / (values.length - 1)) * width},${height - (v / top) * (height - 4) - 2}`)
  const { t } = useTranslation()
  const last = values.at(-1)
  const shown = (v: number) => `${v >= 100 || Number.isInteger(v) ? Math.round(v) : v.toFixed(1)}${unit}`
  // The figure is named by its caption (the label and the latest value); the line's own name says what it shows: the range.
  const trend = values.length > 1 ? t('chart.trend', { min: shown(Math.min(...values)), max: shown(Math.max(...values)) }) : t('chart.noTrend')
  return (
    <figure className="spark">
      <figcaption>
        <span>{label}</span>
        <strong>{figure ?? (last === undefined ? '—' : shown(last))}</strong>
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={trend}>
        {values.length > 1 ? (
          <>
            <polygon className="spark-area" points={`0,${height} ${points.join(' ')} ${width},${height}`} />
            <polyline className="spark-line" points={points.join(' ')} />
          </>
        ) : (
          <line className="spark-empty" x1={0} x2={width} y1={height - 2} y2={height - 2} />
        )}
      </svg>
    </figure>
  )
}
