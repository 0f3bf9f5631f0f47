import { CrashPauseNotice } from '../components/CrashPauseNotice.tsx'
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react'
import { useScrollWindow } from '../hooks/scroll-window.ts'
import { useTranslation } from 'react-i18next'
import { interval, map } from 'rxjs'
import { TASK_STATUSES, isFinished, type TaskStatus } from '../../src-shared/index.ts'
import { NEW_TASK_INPUT_ID, SEARCH_INPUT_ID, TASK_LIST_ID, applySelection, resumeLabelFor } from '../actions.ts'
import { ActionButton, EmptyState, Kbd, StatusGlyph, ViewHeading, busyButton, useDuration, useEngineSentences } from '../components/common.tsx'
import { useFittingText } from '../hooks/fitting-text.ts'
import { useObservableState } from '../hooks/observable.ts'
import type { Ended } from '../streams/engine-sentences.ts'
import type { CommandId } from '../streams/keymap.ts'
import { assignRowKeys } from '../streams/row-keys.ts'
import { selectRange } from '../streams/selection.ts'
import { commandText, showsCommand, runDuration, type SortKey, type TaskRow, type UrlsWording } from '../streams/tasks-query.ts'
import { TaskDetail } from './TaskDetail.tsx'
import { useModel, useSendShownInPlace, useShortcut, useStore, useStoreSelect } from './context.ts'

const ROW_HEIGHT = 36
/** The list's element id (focus returns to it), and its rows' ids (its active descendant is the cursor's row). */
const rowId = (taskId: number) => `task-row-${taskId}`
/** Rows rendered above and below the visible ones. */
const OVERSCAN = 6
const clock$ = interval(1000).pipe(map(() => Date.now()))

export function TasksView({ run }: { run: (id: CommandId) => void }) {
  const model = useModel()
  const route = useStore(model.route)
  const { t } = useTranslation()
  const openTaskId = route.view === 'task' ? route.taskId : null
  return (
    // When what had the keyboard goes away (the bulk bar, the open task), the list takes it.
    <div className={`tasks-view ${openTaskId !== null ? 'with-detail' : ''}`} data-focus-scope={`#${TASK_LIST_ID}`}>
      <section className="tasks-pane" aria-labelledby="tasks-heading">
        {/* The view's title for screen readers and the headings list; the sidebar shows it to the eye. */}
        <ViewHeading id="tasks-heading" className="sr-only">
          {t('nav.tasks')}
        </ViewHeading>
        <QuickAdd />
        <CrashPauseNotice />
        <Filters />
        <BulkBar run={run} />
        <TaskList />
      </section>
      {openTaskId !== null && <TaskDetail key={openTaskId} taskId={openTaskId} runId={route.view === 'task' ? route.runId : undefined} run={run} />}
    </div>
  )
}

/** The new-task input: type a shell command, press Enter, it runs. */
function QuickAdd() {
  const { t } = useTranslation()
  const { refusal } = useEngineSentences()
  const model = useModel()
  const settings = useStore(model.settings)
  const pending = useStore(model.pending)
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  // A refusal is said under the input, not in a toast besides, while it is shown.
  const send = useSendShownInPlace()
  const shortcut = useShortcut('task.new')
  const busy = pending.has('task.submit')
  const input = useRef<HTMLInputElement>(null)
  const placeholders = useMemo(() => [t('quickAdd.placeholder', { shortcut }), t('quickAdd.placeholderNoShortcut'), t('quickAdd.placeholderShort')], [t, shortcut])
  const placeholder = useFittingText(input, placeholders)

  const submit = async () => {
    const command = text.trim()
    if (!command || busy) return
    const status = await send({
      command: 'task.submit',
      params: { definition: { spec: { kind: 'shell', command }, group: settings.defaultGroup } },
      label: t('quickAdd.failed'),
    })
    if (status.state === 'ok') {
      const { task } = status.value as { task: { id: number } }
      setText('')
      setError(null)
      model.cursor.set(task.id)
      model.route.set({ view: 'task', taskId: task.id })
    } else if (status.state === 'error') setError(refusal(status.error))
  }

  return (
    <form
      className="quick-add"
      onSubmit={(e) => {
        e.preventDefault()
        void submit()
      }}
    >
      <span className="quick-add-prompt" aria-hidden>
        $
      </span>
      <input
        id={NEW_TASK_INPUT_ID}
        className="quick-add-input"
        aria-label={t('quickAdd.label')}
        aria-invalid={error !== null}
        aria-describedby={error ? 'quick-add-error' : undefined}
        ref={input}
        placeholder={placeholder}
        autoComplete="off"
        spellCheck={false}
        value={text}
        onChange={(e) => {
          setText(e.target.value)
          setError(null)
        }}
      />
      <button type="submit" className="btn btn-primary" disabled={!text.trim()} {...busyButton(busy)} title={`${t('quickAdd.run')} (↵)`}>
        {busy && <span className="spinner" aria-hidden />}
        {t('quickAdd.run')} <Kbd>↵</Kbd>
      </button>
      <button type="button" className="btn btn-ghost" onClick={() => model.route.set({ view: 'new' })}>
        {t('quickAdd.more')}
      </button>
      {error && (
        <div className="field-error quick-add-error" id="quick-add-error" role="alert">
          {error}
        </div>
      )}
    </form>
  )
}

const SORTS: SortKey[] = ['id', 'status', 'name', 'updated', 'duration', 'priority']

function Filters() {
  const { t } = useTranslation()
  const model = useModel()
  const query = useStore(model.query)
  const rows = useStore(model.rows)
  const { groups, labels, counts, total } = useStore(model.taskFacets)
  const shortcut = useShortcut('search.focus')
  const announcement = useFilterAnnouncement(query, rows, total)
  // Translated once, not on every render: the filters re-render on every state a live queue publishes (for the counts),
  // and their two dozen i18next lookups were the largest part of a frame's script after the list (docs/benchmarks.md, UI "Session 14").
  const words = useMemo(
    () => ({
      search: t('filters.search'),
      searchPlaceholder: t('filters.searchPlaceholder', { shortcut }),
      group: t('filters.group'),
      allGroups: t('filters.allGroups'),
      label: t('filters.label'),
      allLabels: t('filters.allLabels'),
      sort: t('filters.sort'),
      sorts: Object.fromEntries(SORTS.map((s) => [s, t(`sort.${s}`)])) as Record<SortKey, string>,
      descending: t('filters.descending'),
      ascending: t('filters.ascending'),
      status: t('filters.status'),
      statuses: Object.fromEntries(TASK_STATUSES.map((s) => [s, t(`status.${s}`)])) as Record<TaskStatus, string>,
    }),
    [t, shortcut],
  )
  const toggleStatus = (status: TaskStatus) =>
    model.query.update((q) => ({ ...q, statuses: q.statuses.includes(status) ? q.statuses.filter((s) => s !== status) : [...q.statuses, status] }))

  return (
    <div className="filters">
      <div className="filters-row">
        <input
          id={SEARCH_INPUT_ID}
          type="search"
          className="search"
          aria-label={words.search}
          placeholder={words.searchPlaceholder}
          value={query.text}
          onChange={(e) => model.query.update((q) => ({ ...q, text: e.target.value }))}
        />
        <select aria-label={words.group} value={query.group ?? ''} onChange={(e) => model.query.update((q) => ({ ...q, group: e.target.value || null }))}>
          <option value="">{words.allGroups}</option>
          {groups.map((g) => (
            <option key={g} value={g}>
              {g}
            </option>
          ))}
        </select>
        <select aria-label={words.label} value={query.label ?? ''} onChange={(e) => model.query.update((q) => ({ ...q, label: e.target.value || null }))}>
          <option value="">{words.allLabels}</option>
          {labels.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
        <select aria-label={words.sort} value={query.sort} onChange={(e) => model.query.update((q) => ({ ...q, sort: e.target.value as SortKey }))}>
          {SORTS.map((s) => (
            <option key={s} value={s}>
              {words.sorts[s]}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="btn btn-ghost icon"
          aria-label={query.descending ? words.descending : words.ascending}
          title={query.descending ? words.descending : words.ascending}
          onClick={() => model.query.update((q) => ({ ...q, descending: !q.descending }))}
        >
          {query.descending ? '↓' : '↑'}
        </button>
        <span className="count">{t('filters.count', { shown: rows.length, total })}</span>
        <span className="sr-only" role="status">
          {announcement}
        </span>
      </div>
      <div className="chips" role="group" aria-label={words.status}>
        {TASK_STATUSES.map((status) => (
          <button key={status} type="button" className={`chip chip-${status}`} aria-pressed={query.statuses.includes(status)} onClick={() => toggleStatus(status)}>
            <StatusGlyph status={status} />
            {words.statuses[status]}
            <span className="chip-count">{counts.get(status) ?? 0}</span>
          </button>
        ))}
      </div>
    </div>
  )
}

/** How long the filters stay still before their count is said: typing a word is one change, not one per key. */
const FILTER_SETTLE_MS = 500

/**
 * "3 of 120" for screen readers once the filters have settled (each keystroke's refilter would
 * otherwise be read, or cut off the last); not on every task that arrives (the visible count
 * follows those too, and a live region there would talk through a busy queue). By then the
 * list, refiltered at most ten times a second, shows the settled filter's rows.
 */
function useFilterAnnouncement(query: unknown, rows: readonly TaskRow[], total: number): string {
  const { t } = useTranslation()
  const [announcement, setAnnouncement] = useState('')
  const [settledQuery, setSettledQuery] = useState(query)
  const announcedQuery = useRef(query)
  useEffect(() => {
    const timer = setTimeout(() => setSettledQuery(query), FILTER_SETTLE_MS)
    return () => clearTimeout(timer)
  }, [query])
  useEffect(() => {
    if (settledQuery === announcedQuery.current) return
    announcedQuery.current = settledQuery
    setAnnouncement(t('filters.count', { shown: rows.length, total }))
  }, [settledQuery, rows, total, t])
  return announcement
}

/** One key for the bulk bar's Remove: its second press while the first is on its way is the same press. */
const BULK_REMOVE_KEY = 'task.clean:selected'

function BulkBar({ run }: { run: (id: CommandId) => void }) {
  const { t } = useTranslation()
  const model = useModel()
  // Kept as the selection and the tasks change (model.selectionCounts), not counted over the whole selection each frame.
  const { present, finished, stashed } = useStore(model.selectionCounts)
  const pending = useStore(model.pending)
  // Asked once before removing: tasks and their logs go for good (bull-board's "Clean" asks too).
  const [confirming, setConfirming] = useState(false)
  // Answered no (Keep or Esc): "Remove…", back in the question's place, takes the keyboard again.
  const refocusRemove = useRef(false)
  const keep = () => {
    refocusRemove.current = true
    setConfirming(false)
  }
  // Every task the question was about removed meanwhile (elsewhere): the question is over, not asked again unbidden
  // (with the keyboard taken) when another selected task finishes.
  if (confirming && finished === 0) setConfirming(false)
  if (present === 0) return null
  const remove = async () => {
    // A second Enter or click while the first is on its way is not a second answer.
    if (model.pending.value.has(BULK_REMOVE_KEY)) return
    // The finished tasks among those checked now (tasks removed meanwhile, here or by another client, are not sent).
    const { tasks } = model.state.value
    const taskIds = [...model.checked.value].filter((id) => isFinished(tasks.get(id)?.status ?? 'queued'))
    const status = await model.send({ command: 'task.clean', params: { taskIds }, key: BULK_REMOVE_KEY, label: t('bulk.remove') })
    setConfirming(false)
    if (status.state !== 'ok') return
    const removed = new Set((status.value as { removed: number[] }).removed)
    model.checked.set(new Set([...model.checked.value].filter((id) => !removed.has(id))))
  }
  return (
    <div
      className="bulk-bar"
      role="toolbar"
      aria-label={t('bulk.label')}
      onKeyDown={(e) => {
        // Esc answers the question no, as Keep does, instead of clearing the whole selection (the page's Esc).
        if (confirming && e.key === 'Escape') {
          e.preventDefault()
          e.stopPropagation()
          keep()
        }
      }}
    >
      <strong>{t('bulk.selected', { count: present })}</strong>
      {confirming ? (
        <>
          <span className="bulk-confirm" id="bulk-remove-question">
            {t('bulk.removeQuestion', { count: finished })}
            {finished < present && ` ${t('bulk.removeUnfinishedStay', { count: present - finished })}`}
          </span>
          {/* The question is what the button answers: it takes the keyboard, and reads the question with its name. */}
          <button type="button" className="btn btn-danger" autoFocus aria-describedby="bulk-remove-question" {...busyButton(pending.has(BULK_REMOVE_KEY))} onClick={() => void remove()}>
            {t('bulk.removeConfirm', { count: finished })}
          </button>
          <button type="button" className="btn btn-ghost" onClick={keep}>
            {t('bulk.keep')}
          </button>
        </>
      ) : (
        <>
          <ActionButton command="task.cancel" label={t('action.cancel')} variant="danger" onClick={() => run('task.cancel')} />
          <ActionButton command="task.retry" label={t('action.retry')} onClick={() => run('task.retry')} />
          <ActionButton command="task.pause" label={t('action.pause')} onClick={() => run('task.pause')} />
          <ActionButton command="task.resume" label={resumeLabelFor(present, stashed, t)} onClick={() => run('task.resume')} />
          <button
            type="button"
            className="btn btn-ghost"
            ref={(button) => {
              if (button && refocusRemove.current) {
                refocusRemove.current = false
                button.focus()
              }
            }}
            disabled={finished === 0}
            title={finished === 0 ? t('bulk.removeNone') : undefined}
            onClick={() => setConfirming(true)}
          >
            {t('bulk.remove')}…
          </button>
          <button type="button" className="btn btn-ghost" onClick={() => model.checked.set(new Set())}>
            {t('bulk.clear')} <Kbd>Esc</Kbd>
          </button>
        </>
      )}
    </div>
  )
}

function TaskList() {
  const { t } = useTranslation()
  const model = useModel()
  // Paced while a burst of tasks arrives (model.listRows); the counts above follow every state.
  const { rows, behind, burst } = useStore(model.listRows)
  const cursor = useStore(model.cursor)
  const checked = useStore(model.checked)
  const { total } = useStore(model.taskFacets)
  const route = useStore(model.route)
  // Tasks may be on their way, so "no tasks yet" would be wrong.
  const reading = useStoreSelect(model.history, (h) => h.reading)
  const now = useObservableState(clock$, Date.now())
  const scrollRef = useRef<HTMLDivElement>(null)
  const visible = useVisibleRows(scrollRef, rows.length > 0)
  // The key of each row of the window as last committed (assignRowKeys).
  const rowKeys = useRef<ReadonlyMap<number, number>>(new Map())
  const cursorIndex = cursor === null ? -1 : rows.findIndex((r) => r.task.id === cursor)
  // Translated once per render of the list, not once per row (i18next lookups add up when scrolling).
  const statusLabels = useMemo(() => Object.fromEntries(TASK_STATUSES.map((s) => [s, t(`status.${s}`)])) as Record<TaskStatus, string>, [t])
  const { selectLabel, progressLabel, listLabel } = useMemo(() => ({ selectLabel: t('tasks.selectRow'), progressLabel: t('tasks.progress'), listLabel: t('tasks.list') }), [t])
  const sentence = useEngineSentences().ended
  const duration = useDuration()
  const stderr = useMemo(() => ({ mark: t('log.stderrMark'), title: (text: string) => t('tasks.stderrTitle', { text }) }), [t])
  const urls = useCallback((count: number, url: string) => t('tasks.urls', { count, url }), [t])
  const toggleChecked = useCallback(
    (id: number) => {
      const next = new Set(model.checked.value)
      if (next.has(id)) next.delete(id)
      else next.add(id)
      model.anchor.set(null)
      model.checked.set(next)
    },
    [model],
  )
  /** Click opens; Shift+click checks the range from the cursor (or from where the range began); Ctrl/Cmd+click toggles one. */
  const openTask = useCallback(
    (id: number, how: { shift: boolean; toggle: boolean }) => {
      if (how.toggle) return toggleChecked(id)
      if (how.shift) {
        const selection = { cursor: model.cursor.value, checked: model.checked.value, anchor: model.anchor.value }
        return applySelection(model, selectRange(model.listRows.value.rows.map((r) => r.task.id), selection, id))
      }
      model.anchor.set(null)
      model.cursor.set(id)
      model.route.set({ view: 'task', taskId: id })
    },
    [model, toggleChecked],
  )

  const first = Math.max(0, visible.first - OVERSCAN)
  const end = Math.min(rows.length, visible.end + OVERSCAN)
  const shown: TaskRow[] = rows.slice(first, end)
  const keyOf = assignRowKeys(rowKeys.current, shown.map((row) => row.task.id))
  useLayoutEffect(() => {
    rowKeys.current = keyOf
  }, [keyOf])

  useEffect(() => {
    const list = scrollRef.current
    if (cursorIndex < 0 || !list) return
    // Just enough scrolling to show the cursor's row.
    const top = cursorIndex * ROW_HEIGHT
    if (top < list.scrollTop) list.scrollTop = top
    else if (top + ROW_HEIGHT > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW_HEIGHT - list.clientHeight
  }, [cursorIndex])

  if (total === 0 && reading) return <EmptyState title={t('empty.readingTitle')}>{t('empty.readingBody')}</EmptyState>
  if (total === 0) {
    return (
      <EmptyState title={t('empty.tasksTitle')}>
        <p>{t('empty.tasksBody')}</p>
        <p className="empty-example">
          <code>for i in 1 2 3; do echo step $i; sleep 1; done</code>
        </p>
      </EmptyState>
    )
  }
  if (rows.length === 0) return <EmptyState title={t('empty.noMatchTitle')}>{t('empty.noMatchBody')}</EmptyState>

  const toggle = toggleChecked
  const open = openTask
  const openTaskId = route.view === 'task' ? route.taskId : null

  return (
    <div
      id={TASK_LIST_ID}
      ref={scrollRef}
      role="grid"
      aria-label={listLabel}
      // Only a window of rows is in the DOM: the count and each row's index say where it is in the whole list.
      aria-rowcount={rows.length}
      aria-multiselectable="true"
      // Newer rows wait for the burst's next refresh (at most a tenth of a second): assistive technology waits with them.
      aria-busy={behind}
      // While a burst refreshes the rows ten times a second, running rows do without their pulse (see .task-list.burst).
      className={burst ? 'task-list burst' : 'task-list'}
      // One Tab stop for the list; j/k and the arrows move the cursor, which screen readers follow as the active row.
      tabIndex={0}
      aria-activedescendant={cursor !== null && cursorIndex >= first && cursorIndex < end ? rowId(cursor) : undefined}
    >
      <div className="task-list-inner" style={{ height: rows.length * ROW_HEIGHT }}>
        {shown.map((row, offset) => {
          const index = first + offset
          return (
            <TaskListRow
              // A row keeps its element while it stays in the window (so the cursor's row, the list's active descendant,
              // keeps its id on one element); rows entering it reuse, where they stand, the elements of rows that left.
              key={keyOf.get(row.task.id)}
              row={row}
              index={index}
              top={index * ROW_HEIGHT}
              now={row.task.status === 'running' || row.task.status === 'paused' ? now : 0}
              statusLabel={statusLabels[row.task.status]}
              selectLabel={selectLabel}
              progressLabel={progressLabel}
              sentence={sentence}
              duration={duration}
              stderr={stderr}
              urls={urls}
              isCursor={row.task.id === cursor}
              isOpen={row.task.id === openTaskId}
              isChecked={checked.has(row.task.id)}
              onToggle={toggle}
              onOpen={open}
            />
          )
        })}
      </div>
    </div>
  )
}

/**
 * Which rows the list's viewport shows, [first, end). Every row has the same height, so the
 * window follows from the scroll position by division: hand-written because
 * @tanstack/react-virtual keeps a measurement object per row and rebuilt all of them (20,000
 * with a big history) whenever the row count changed, which it does on every refresh while
 * tasks stream in. Re-renders only when the window moves by a row. Its rows' keys: assignRowKeys.
 */
function useVisibleRows(scrollRef: RefObject<HTMLDivElement | null>, mounted: boolean): { first: number; end: number } {
  // Until the list's size is known, only the overscan rows: a first mount that also laid out a
  // screenful of rows took two frames' time; the rest follow in the next frame.
  return useScrollWindow(scrollRef, mounted, { first: 0, end: 0 }, (list, v) => {
    const first = Math.floor(list.scrollTop / ROW_HEIGHT)
    const end = Math.ceil((list.scrollTop + list.clientHeight) / ROW_HEIGHT)
    return v.first === first && v.end === end ? v : { first, end }
  })
}

/** What a row shows besides where it stands (TaskRowCells). */
interface TaskRowContent {
  row: TaskRow
  /** The clock, for running rows only (0 otherwise, so finished rows never re-render on ticks). */
  now: number
  statusLabel: string
  selectLabel: string
  progressLabel: string
  sentence: (ended: Ended) => string | null
  /** The UI's duration format (useDuration). */
  duration: (ms: number | null) => string
  /** The stderr mark's text and the tooltip of a failed run's stderr line. */
  stderr: { mark: string; title: (text: string) => string }
  /** An HTTP batch's command in the UI's words. */
  urls: UrlsWording
  isChecked: boolean
  onToggle: (id: number) => void
}

/**
 * One row; memoised, so scrolling and ticks re-render only rows whose data changed. A row that
 * only moves (tasks arriving on top shift every row down) re-renders this element alone: its
 * cells are memoised on their content (TaskRowCells).
 */
const TaskListRow = memo(function TaskListRow({ index, top, isCursor, isOpen, onOpen, ...content }: TaskRowContent & {
  index: number
  top: number
  isCursor: boolean
  isOpen: boolean
  onOpen: (id: number, how: { shift: boolean; toggle: boolean }) => void
}) {
  const { task } = content.row
  return (
    <div
      role="row"
      id={rowId(task.id)}
      aria-rowindex={index + 1}
      aria-selected={content.isChecked}
      data-task-id={task.id}
      className={`task-row ${isCursor ? 'cursor' : ''} ${isOpen ? 'open' : ''} ${content.isChecked ? 'checked' : ''}`}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
      onClick={(e) => onOpen(task.id, { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey })}
    >
      <TaskRowCells {...content} />
    </div>
  )
})

/** A row's cells, which depend on its task and not on where the row stands. */
const TaskRowCells = memo(function TaskRowCells(props: TaskRowContent) {
  const { task, lastRun, progress } = props.row
  const duration = lastRun ? runDuration(lastRun, props.now || Date.now()) : null
  const pct = progress && progress.total ? Math.min(100, (progress.done / progress.total) * 100) : null
  const failedReason = isFinished(task.status) && task.status !== 'succeeded' ? ((lastRun ? props.sentence(lastRun) : null) ?? props.sentence(task)) : null
  // What its run wrote last on stderr: the last line here, every kept line in the tooltip.
  const stderrTail = failedReason !== null ? (lastRun?.stderrTail ?? null) : null
  return (
    <>
      <span role="gridcell" className="cell-check">
        <input
          type="checkbox"
          aria-label={`${props.selectLabel} #${task.id}`}
          checked={props.isChecked}
          onClick={(e) => e.stopPropagation()}
          onChange={() => props.onToggle(task.id)}
        />
      </span>
      <span role="gridcell" className="cell-status">
        <span className={`status status-${task.status}`} title={props.statusLabel}>
          <StatusGlyph status={task.status} />
          <span className="status-label">{props.statusLabel}</span>
        </span>
      </span>
      <span role="gridcell" className="cell-id">
        #{task.id}
      </span>
      <span role="gridcell" className="cell-name">
        <span className="task-name">{task.name}</span>
        {failedReason ? (
          <>
            <span className={`task-reason${stderrTail ? ' with-stderr' : ''}${task.status === 'cancelled' ? ' by-user' : ''}`}>{failedReason}</span>
            {stderrTail && (
              <span className="task-stderr" title={props.stderr.title(stderrTail)}>
                <span className="stderr-mark" data-mark={props.stderr.mark} />
                <span className="task-stderr-text">{stderrTail.slice(stderrTail.lastIndexOf('\n') + 1)}</span>
              </span>
            )}
          </>
        ) : (
          showsCommand(task) && <span className="task-command">{commandText(task, props.urls)}</span>
        )}
      </span>
      <span role="gridcell" className="cell-meta">
        <span className="group-tag">{task.definition.group}</span>
        {task.definition.labels.slice(0, 3).map((l) => (
          <span key={l} className="label-tag">
            {l}
          </span>
        ))}
      </span>
      <span role="gridcell" className="cell-progress">
        {pct !== null ? (
          <span className="progress" role="progressbar" aria-label={props.progressLabel} aria-valuenow={Math.round(pct)} aria-valuemin={0} aria-valuemax={100}>
            <span className="progress-fill" style={{ width: `${pct}%` }} />
          </span>
        ) : progress ? (
          <span className="progress-text">{progress.done}</span>
        ) : null}
      </span>
      <span role="gridcell" className="cell-duration">
        {props.duration(duration)}
      </span>
    </>
  )
})
