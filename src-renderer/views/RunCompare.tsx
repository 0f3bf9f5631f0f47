import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState, type ClipboardEvent, type KeyboardEvent, type RefObject } from 'react'
import { useScrollWindow } from '../hooks/scroll-window.ts'
import { useTranslation } from 'react-i18next'
import { BehaviorSubject, from, map, Observable } from 'rxjs'
import type { Run } from '../../src-shared/index.ts'
import { terminalText } from '../../src-shared/terminal-line.ts'
import { AnsiText } from '../components/AnsiText.tsx'
import { Kbd, formatClock, useEngineSentences } from '../components/common.tsx'
import { useObservableState, useSubscription } from '../hooks/observable.ts'
import type { DiffRequest } from '../streams/diff-worker.ts'
import { packLog } from '../streams/line-diff.ts'
import {
  COMPARE_MAX_EDITS,
  COMPARE_MAX_LINES,
  COMPARE_TIMEOUT_MS,
  centredScrollTop,
  changeStart,
  compareRows,
  compareRuns$,
  copiedText,
  diffOnPage,
  gapHolding,
  placeAt,
  rememberIgnoreDigits,
  rememberedIgnoreDigits,
  rowsInView,
  scrollTopOf,
  type ChangeRun,
  type CompareRow,
  type CompareRows,
  type CompareState,
  type DiffFunction,
  type DiffLine,
  type DiffView,
  type GiveUp,
  type ReadingPlace,
  type ReadPage,
} from '../streams/run-compare.ts'
import { runNumber } from '../streams/run-number.ts'
import { IS_MAC, useModel, useShortcut } from './context.ts'

export interface ComparePair {
  base: number
  target: number
}

/** No gap opened (a new diff's). */
const NOTHING_OPENED: ReadonlySet<number> = new Set()
/** Rows drawn beyond each edge of the viewport, so a scroll by a few lines finds them drawn. */
const OVERSCAN = 20

/** A line's key: its numbers in the two runs (unique in a diff, and kept when a gap above it opens). */
const rowKey = (row: CompareRow) => (row.kind === 'gap' ? `gap-${row.id}` : `${row.baseN ?? ''}/${row.targetN ?? ''}`)

/**
 * The part of the diff the viewport shows, as scrolled and resized. Kept as the scroll position,
 * but updated only when the rows in view change; on scroll the new rows are drawn in the same
 * frame, never blank (useScrollWindow, shared with the task list's useVisibleRows). Hand-written:
 * every row's height is known, so the window is a binary search over the rows' tops.
 */
function useViewport(bodyRef: RefObject<HTMLDivElement | null>, tops: Float64Array | null): { top: number; height: number } {
  return useScrollWindow(bodyRef, tops !== null, { top: 0, height: 0 }, (body, v) => {
    const next = { top: body.scrollTop, height: body.clientHeight }
    if (!tops) return next
    const [was, is] = [rowsInView(tops, v.top, v.height, OVERSCAN), rowsInView(tops, next.top, next.height, OVERSCAN)]
    return was.first === is.first && was.end === is.end ? v : next
  })
}

/**
 * The diff in a worker of its own, ended (terminated) when the diff is no longer wanted. A failure the
 * worker's error event does not describe (it may have no message) fails with an empty message: the view
 * says "no reason given" in the language shown when it renders, so a change of language reads no log again.
 */
const diffInWorker: DiffFunction = (base, target, ignoreDigits) =>
  new Observable<ChangeRun[] | GiveUp>((subscriber) => {
    const worker = new Worker(new URL('../streams/diff-worker.ts', import.meta.url), { type: 'module' })
    worker.onmessage = (event: MessageEvent<ChangeRun[] | GiveUp>) => {
      subscriber.next(event.data)
      subscriber.complete()
    }
    worker.onerror = (event) => subscriber.error(new Error(event.message))
    worker.onmessageerror = () => subscriber.error(new Error(''))
    const request: DiffRequest = { base: packLog(base), target: packLog(target), ignoreDigits }
    worker.postMessage(request, [request.base.streams.buffer, request.target.streams.buffer])
    return () => worker.terminate()
  })

/**
 * Two runs of a task side by side in one unified diff of their logs: added and removed lines
 * marked with + and − (not by colour alone), unchanged stretches collapsed, next/previous
 * change from the keymap, Esc back to the runs.
 */
export function RunCompare({ runs, pair, onPair, onBack }: { runs: Run[]; pair: ComparePair; onPair: (pair: ComparePair) => void; onBack: () => void }) {
  const { t, i18n } = useTranslation()
  const { refusal } = useEngineSentences()
  // A refusal is said in the language of the moment it comes; a change of language alone must not read the logs again.
  const sayRefusal = useRef(refusal)
  useEffect(() => {
    sayRefusal.current = refusal
  }, [refusal])
  const model = useModel()
  const base = runs.find((r) => r.id === pair.base)
  const target = runs.find((r) => r.id === pair.target)
  // As last chosen in this browser (a preference of the view, not of these two runs).
  const [ignoreDigits] = useState(() => new BehaviorSubject(rememberedIgnoreDigits()))
  const ignoring = useObservableState(ignoreDigits, ignoreDigits.value)
  // Bumped by "Compare again" (a run still writing has grown): a new state$ reads both logs again.
  const [readRequest, setReadRequest] = useState(0)
  const readPage = useMemo<ReadPage>(
    () => (runId, fromLine, count) =>
      from(model.bridge.invoke('run.readLog', { runId, fromLine, count })).pipe(
        map((result) => {
          if (!result.ok) throw new Error(sayRefusal.current(result.error))
          return { lines: result.value.lines, totalLines: result.value.totalLines, done: result.value.done }
        }),
      ),
    [model],
  )
  const state$ = useMemo(
    () => compareRuns$(pair.base, pair.target, ignoreDigits, { readPage, diff: diffInWorker, fallback: diffOnPage }),
    // readRequest is not read inside: it is here so that each "Compare again" makes a new reading.
    [pair.base, pair.target, ignoreDigits, readPage, readRequest],
  )
  const state = useObservableState<CompareState>(state$, { phase: 'reading' })

  const view = state.phase === 'ready' ? state.view : null
  // Which gaps are open and which change is current belong to one diff: a new diff (another
  // option, another run) starts collapsed, with no change chosen, from its first frame.
  const [opened, setOpened] = useState<{ view: DiffView | null; gaps: ReadonlySet<number>; change: number | null }>({ view: null, gaps: new Set(), change: null })
  const expanded = opened.view === view ? opened.gaps : NOTHING_OPENED
  const current = opened.view === view ? opened.change : null
  const words = useMemo<LineWords>(
    () => ({ added: t('compare.addedLine'), removed: t('compare.removedLine'), stderrMark: t('log.stderrMark'), stderrLabel: t('log.stderrLabel'), systemMark: t('compare.systemMark'), systemLabel: t('compare.systemLabel') }),
    [t],
  )
  const rows = useMemo(() => (view ? compareRows(view, expanded) : null), [view, expanded])
  const bodyRef = useRef<HTMLDivElement>(null)
  const viewport = useViewport(bodyRef, rows?.tops ?? null)
  // Where the reader was when "Ignore digits" changed: the new diff (of the same runs) opens there, not at its top.
  const keptPlace = useRef<ReadingPlace | null>(null)
  // The diff whose first scroll position is set (a new one is read from its top, or from the kept place).
  const placed = useRef<DiffView | null>(null)
  useLayoutEffect(() => {
    const body = bodyRef.current
    if (!body || !view || !rows || placed.current === view) return
    const place = keptPlace.current
    if (place) {
      // The place's line in a gap of the new diff: that gap opens first (the rows change, and this runs again).
      const gap = gapHolding(view, place)
      if (gap !== null && !expanded.has(gap)) {
        setOpened({ view, gaps: new Set(expanded).add(gap), change: current })
        return
      }
      body.scrollTop = scrollTopOf(view, rows, place)
    } else body.scrollTop = 0
    keptPlace.current = null
    placed.current = view
  }, [view, rows, expanded, current])
  // The rows' width: the widest line drawn so far (lines are drawn only in sight, and a
  // horizontal scrollbar that shrank back as a long line left the screen would jump).
  const [width, setWidth] = useState<{ view: DiffView | null; px: number }>({ view: null, px: 0 })
  const widest = width.view === view ? width.px : 0
  useLayoutEffect(() => {
    const body = bodyRef.current
    if (body && body.scrollWidth > Math.max(widest, body.clientWidth)) setWidth({ view, px: body.scrollWidth })
  })
  // The rows where a selection in the diff starts and ends stay drawn however far it is scrolled
  // from them: the browser drops a selection whose end leaves the page.
  const [selected, setSelected] = useState<{ view: DiffView | null; lines: readonly CompareRow[] }>({ view: null, lines: [] })
  useEffect(() => {
    const onSelectionChange = () => {
      const selection = document.getSelection()
      const ends = selection && !selection.isCollapsed ? [selection.anchorNode, selection.focusNode] : []
      // A gap's button too: a selection may start or end on its words.
      const lines = ends.flatMap((node) => {
        const row = rows?.rows[rowIndexOf(bodyRef.current, node) ?? -1]
        return row ? [row] : []
      })
      setSelected((was) => (was.view === view && was.lines.length === lines.length && was.lines.every((line, i) => line === lines[i]) ? was : { view, lines }))
    }
    document.addEventListener('selectionchange', onSelectionChange)
    return () => document.removeEventListener('selectionchange', onSelectionChange)
  }, [view, rows])
  const pinned = rows && selected.view === view ? selected.lines.map((line) => rows.rows.indexOf(line)) : []
  /**
   * A selection over more rows than are drawn is copied from the diff itself: the rows between
   * its ends may not be on the page. One covering the whole diff (Ctrl/Cmd+A in it) copies every
   * row. Within one row, or reaching outside the diff, the browser copies.
   */
  const onCopy = (event: ClipboardEvent) => {
    const selection = document.getSelection()
    const body = bodyRef.current
    if (!rows || !body || !selection || selection.isCollapsed || selection.rangeCount === 0) return
    const range = selection.getRangeAt(0)
    if (coversAllOf(range, body)) {
      event.clipboardData.setData('text/plain', copiedText(rows.rows, 0, rows.rows.length - 1, null, null))
      event.preventDefault()
      return
    }
    const [from, to] = [rowIndexOf(body, range.startContainer), rowIndexOf(body, range.endContainer)]
    if (from === null || to === null || from === to) return
    const part = (index: number) => selectedPart(range, body.querySelector(`[data-row="${index}"] .compare-text`))
    event.clipboardData.setData('text/plain', copiedText(rows.rows, from, to, part(from), part(to)))
    event.preventDefault()
  }
  // The button that opened the comparison is gone: the keyboard starts here (Esc leaves).
  const backRef = useRef<HTMLButtonElement>(null)
  useEffect(() => backRef.current?.focus(), [])
  const nextShortcut = useShortcut('compare.next')
  const previousShortcut = useShortcut('compare.previous')
  // Any change is one scroll away: its row's place is known, and only the rows there are drawn.
  const goTo = (step: 1 | -1) => {
    if (!view || !rows || view.changes === 0) return
    const n = current === null ? (step === 1 ? 0 : view.changes - 1) : (current + step + view.changes) % view.changes
    setOpened({ view, gaps: expanded, change: n })
    const body = bodyRef.current
    if (body) body.scrollTop = centredScrollTop(rows, rows.changeRows[n] ?? 0, body.clientHeight)
  }
  useSubscription(model.logCommands$, (command) => {
    if (command === 'nextChange') goTo(1)
    else if (command === 'previousChange') goTo(-1)
  })

  /** Ctrl/Cmd+A in the diff selects the diff (every row when copied), not the whole page with only its drawn rows. */
  const onDiffKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key.toLowerCase() !== 'a' || !(IS_MAC ? e.metaKey : e.ctrlKey) || e.altKey || e.shiftKey) return
    e.preventDefault()
    // Not the task list's select-all as well.
    e.stopPropagation()
    document.getSelection()?.selectAllChildren(e.currentTarget)
  }

  const onKeyDown = (e: KeyboardEvent) => {
    // Esc leaves the comparison (back to the runs), not the task, from anywhere in it (a run picker too:
    // an open picker's list takes its own Esc first).
    if (e.key === 'Escape') {
      e.preventDefault()
      e.stopPropagation()
      onBack()
    }
  }

  const ordinal = (run: Run | undefined) => (run ? runNumber(runs, run) : 0)
  const option = (run: Run) => (
    <option key={run.id} value={run.id}>
      {t('compare.option', { n: ordinal(run), status: t(`status.${run.status}`), time: formatClock(run.startedAt, i18n.language) })}
    </option>
  )
  /** The run picked for one side of the comparison. */
  const picker = (side: keyof ComparePair) => (
    <label className="compare-pick">
      {t(`compare.${side}`)}
      <select value={pair[side]} onChange={(e) => onPair({ ...pair, [side]: Number(e.target.value) })}>
        {runs.map(option)}
      </select>
    </label>
  )
  const positionLine = (line: DiffLine | undefined) => (line ? `: ${line.kind === 'added' ? words.added : words.removed}: ${terminalText(line.line.text)}` : '')
  const notes: string[] = []
  if (state.phase === 'ready' || state.phase === 'tooDifferent' || state.phase === 'comparing') {
    for (const [run, log] of [
      [base, state.base],
      [target, state.target],
    ] as const) {
      if (log.truncated) notes.push(t('compare.truncated', { n: ordinal(run), total: log.totalLines, cap: COMPARE_MAX_LINES }))
    }
    // Whether a run was running when its log was read, not now: a run that ended since was compared unfinished.
    for (const [run, log] of [
      [base, state.base],
      [target, state.target],
    ] as const) {
      if (log.running) notes.push(t('compare.running', { n: ordinal(run), time: formatClock(log.readAt, i18n.language) }))
    }
  }
  if ((state.phase === 'ready' || state.phase === 'tooDifferent') && state.diffedOnPage !== null) notes.push(t('compare.diffedOnPage', { reason: state.diffedOnPage || t('compare.workerFailed') }))

  return (
    // A gap button scrolled out of the page (or opened) hands the keyboard to the diff, not the view's heading.
    <section className="compare" aria-labelledby="compare-title" onKeyDown={onKeyDown} data-focus-scope=".compare-body">
      <div className="compare-head">
        <button ref={backRef} type="button" className="btn btn-ghost" onClick={onBack} title={`${t('compare.back')} (Esc)`} data-testid="compare-back">
          ← {t('compare.back')} <Kbd>Esc</Kbd>
        </button>
        <h3 id="compare-title">{t('compare.title')}</h3>
      </div>
      <div className="compare-toolbar">
        <span className="compare-pair">
          {picker('base')}
          <span aria-hidden>→</span>
          {picker('target')}
        </span>
        <label className="compare-option">
          <input
            type="checkbox"
            checked={ignoring}
            onChange={(e) => {
              const body = bodyRef.current
              if (view && rows && body) keptPlace.current = placeAt(view, rows, body.scrollTop)
              rememberIgnoreDigits(e.target.checked)
              ignoreDigits.next(e.target.checked)
            }}
          />
          {t('compare.ignoreDigits')}
        </label>
        <button type="button" className="btn btn-ghost" title={`${t('compare.previous')} (${previousShortcut})`} aria-keyshortcuts={previousShortcut || undefined} disabled={!view || view.changes === 0} onClick={() => goTo(-1)}>
          ↑ {t('compare.previous')} {previousShortcut && <Kbd>{previousShortcut}</Kbd>}
        </button>
        <button type="button" className="btn btn-ghost" title={`${t('compare.next')} (${nextShortcut})`} aria-keyshortcuts={nextShortcut || undefined} disabled={!view || view.changes === 0} onClick={() => goTo(1)}>
          ↓ {t('compare.next')} {nextShortcut && <Kbd>{nextShortcut}</Kbd>}
        </button>
        <button type="button" className="btn btn-ghost" onClick={() => setReadRequest((n) => n + 1)}>
          {t('compare.again')}
        </button>
      </div>
      <p className="compare-summary" role="status" data-testid="compare-summary">
        {pair.base === pair.target || state.phase === 'sameRun'
          ? t('compare.sameRun')
          : state.phase === 'reading'
            ? t('compare.reading')
            : state.phase === 'comparing'
              ? t('compare.comparing')
              : state.phase === 'failed'
                ? t('compare.failed', { message: state.message })
                : state.phase === 'tooDifferent'
                  ? state.reason === 'tooSlow'
                    ? t('compare.tooSlow', { seconds: COMPARE_TIMEOUT_MS / 1000 })
                    : t('compare.tooDifferent', { count: COMPARE_MAX_EDITS })
                  : state.view.changes === 0
                    ? t('compare.same')
                    : t('compare.summary', {
                        added: t('compare.added', { count: state.view.added }),
                        removed: t('compare.removed', { count: state.view.removed }),
                        changes: t('compare.changes', { count: state.view.changes }),
                      })}
        {view && current !== null && (
          <span className="compare-position">
            {' · '}
            {t('compare.position', { n: current + 1, count: view.changes })}
            {/* Heard with the position: the change's first line (it is what the view scrolled to). */}
            <span className="sr-only">{positionLine(changeStart(view, current))}</span>
          </span>
        )}
      </p>
      {notes.length > 0 && (
        <ul className="compare-notes" data-testid="compare-notes">
          {notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
      {view && rows && pair.base !== pair.target && (
        <div className="compare-body" ref={bodyRef} tabIndex={0} role="region" aria-label={t('compare.diff')} data-testid="compare-diff" onCopy={onCopy} onKeyDown={onDiffKeyDown}>
          <div className="compare-rows" style={{ height: rows.tops[rows.rows.length], width: widest || undefined }}>
            {drawnRows(rows, viewport, pinned).map((i) => {
              const row = rows.rows[i]
              const top = rows.tops[i] ?? 0
              if (!row) return null
              return row.kind === 'gap' ? (
                <button
                  key={rowKey(row)}
                  type="button"
                  className="compare-gap"
                  style={{ transform: `translateY(${top}px)` }}
                  data-row={i}
                  onClick={() => {
                    setOpened({ view, gaps: new Set(expanded).add(row.id), change: current })
                    // The button goes (its lines take its place): the keyboard stays in the diff.
                    bodyRef.current?.focus()
                  }}
                >
                  <span aria-hidden>⋯</span> {t('compare.gap', { count: row.count })} · {t('compare.show')}
                </button>
              ) : (
                <Line key={rowKey(row)} line={row} index={i} top={top} current={row.changeIndex !== undefined && row.changeIndex === current} words={words} />
              )
            })}
          </div>
        </div>
      )}
    </section>
  )
}

/** The indexes of the rows to draw, in order (the page's order is the selection's): those in and near the viewport, and the pinned ones. */
function drawnRows(rows: CompareRows, viewport: { top: number; height: number }, pinned: readonly number[]): number[] {
  const { first, end } = rowsInView(rows.tops, viewport.top, viewport.height, OVERSCAN)
  const inView = Array.from({ length: end - first }, (_, k) => first + k)
  const outside = pinned.filter((i) => i >= 0 && (i < first || i >= end))
  if (outside.length === 0) return inView
  return [...new Set([...outside, ...inView])].sort((a, b) => a - b)
}

/** The index of the diff's row holding `node`, or null when it is not in the diff. */
function rowIndexOf(body: HTMLElement | null, node: Node | null): number | null {
  const element = node instanceof Element ? node : (node?.parentElement ?? null)
  const row = element?.closest<HTMLElement>('[data-row]')
  return row && body?.contains(row) ? Number(row.dataset.row) : null
}

/** Whether `range` starts at or before `element`'s contents and ends at or after them. */
function coversAllOf(range: Range, element: Element): boolean {
  const whole = document.createRange()
  whole.selectNodeContents(element)
  return range.compareBoundaryPoints(Range.START_TO_START, whole) <= 0 && range.compareBoundaryPoints(Range.END_TO_END, whole) >= 0
}

/** What of a line's text (its `.compare-text`) `range` covers: none, part, or all of it. */
function selectedPart(range: Range, text: Element | null): string {
  if (!text) return ''
  const part = document.createRange()
  part.selectNodeContents(text)
  const start = part.comparePoint(range.startContainer, range.startOffset)
  const end = part.comparePoint(range.endContainer, range.endOffset)
  if (start > 0 || end < 0) return ''
  if (start === 0) part.setStart(range.startContainer, range.startOffset)
  if (end === 0) part.setEnd(range.endContainer, range.endOffset)
  return part.toString()
}

/** The words every line may show, translated once for all of them. */
interface LineWords {
  added: string
  removed: string
  stderrMark: string
  stderrLabel: string
  systemMark: string
  systemLabel: string
}

/** One line; memoised, so a scroll draws only the lines that came into view. */
const Line = memo(function Line({ line, index, top, current, words }: { line: DiffLine; index: number; top: number; current: boolean; words: LineWords }) {
  const sign = line.kind === 'added' ? '+' : line.kind === 'removed' ? '−' : ' '
  const stream = line.line.stream
  return (
    <div className={`compare-line compare-${line.kind} compare-${stream}${current ? ' compare-current' : ''}`} style={{ transform: `translateY(${top}px)` }} data-row={index} data-change={line.changeIndex} data-kind={line.kind}>
      <span className="compare-n" aria-hidden>
        {line.baseN ?? ''}
      </span>
      <span className="compare-n" aria-hidden>
        {line.targetN ?? ''}
      </span>
      {/* Seen as + or −, heard as a word; never selected nor copied with the line (the column is unselectable). */}
      <span className="compare-sign">
        <span aria-hidden>{sign}</span>
        {line.kind !== 'same' && <span className="sr-only">{line.kind === 'added' ? words.added : words.removed}: </span>}
      </span>
      {/* As the log viewer marks stderr: a short mark seen, the stream's name heard before the text. */}
      <span className="compare-stream">
        {stream !== 'stdout' && (
          <>
            <span className="compare-mark" aria-hidden>
              {stream === 'stderr' ? words.stderrMark : words.systemMark}
            </span>
            <span className="sr-only">{stream === 'stderr' ? words.stderrLabel : words.systemLabel} </span>
          </>
        )}
      </span>
      <span className="compare-text">
        <AnsiText text={line.line.text} />
      </span>
    </div>
  )
})
