import { memo, useDeferredValue, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import { useTranslation } from 'react-i18next'
import { BehaviorSubject, from, map, Observable } from 'rxjs'
import type { Run } from '../../src-shared/index.ts'
import { AnsiText } from '../components/AnsiText.tsx'
import { Kbd, formatClock } from '../components/common.tsx'
import { useObservableState, useSubscription } from '../hooks/observable.ts'
import type { DiffRequest } from '../streams/diff-worker.ts'
import { packLog } from '../streams/line-diff.ts'
import { COMPARE_MAX_EDITS, COMPARE_MAX_LINES, COMPARE_TIMEOUT_MS, changeStart, type GiveUp, compareRuns$, type ChangeRun, type CompareState, type DiffFunction, type DiffLine, type DiffSegment, type ReadPage } from '../streams/run-compare.ts'
import { runNumber } from '../streams/run-number.ts'
import { useModel, useShortcut } from './context.ts'

export interface ComparePair {
  base: number
  target: number
}

/** Lines drawn per block: the browser skips laying out blocks out of view (content-visibility). */
const BLOCK_LINES = 200
/**
 * Blocks added to the page per frame. Adding DOM nodes cannot be interrupted: 3,500 lines at once
 * held Chromium's UI thread for ~240 ms; three blocks (600 lines) a frame keep each under ~25 ms.
 */
const BLOCKS_PER_FRAME = 3

/** A block knows the changes that start in it, so moving to another change redraws only the blocks concerned. */
type Piece = { kind: 'gap'; key: string; id: number; count: number } | { kind: 'block'; key: string; lines: DiffLine[]; changes: number[] }

/** Each segment's blocks, made once: the same arrays each time the pieces are listed, so memo(Block) skips them. */
const blocksBySegment = new WeakMap<DiffSegment, Piece[]>()

function blocksOf(segment: DiffSegment, name: string): Piece[] {
  let blocks = blocksBySegment.get(segment)
  if (!blocks) {
    blocks = []
    for (let at = 0; at < segment.lines.length; at += BLOCK_LINES) {
      const lines = segment.lines.slice(at, at + BLOCK_LINES)
      blocks.push({ kind: 'block', key: `${name}-${at}`, lines, changes: lines.flatMap((line) => (line.changeIndex === undefined ? [] : [line.changeIndex])) })
    }
    blocksBySegment.set(segment, blocks)
  }
  return blocks
}

/** The diff as the page draws it: collapsed gaps as buttons, lines in blocks. */
function piecesOf(segments: readonly DiffSegment[], expanded: ReadonlySet<number>): Piece[] {
  const pieces: Piece[] = []
  segments.forEach((segment, i) => {
    const name = segment.kind === 'gap' ? `gap-${segment.id}` : `lines-${i}`
    if (segment.kind === 'gap' && !expanded.has(segment.id)) pieces.push({ kind: 'gap', key: name, id: segment.id, count: segment.lines.length })
    else pieces.push(...blocksOf(segment, name))
  })
  return pieces
}

/**
 * The diff in a worker of its own, ended (terminated) when the diff is no longer wanted.
 * `failedMessage` names a failure the worker's error event does not describe (it may have no message).
 */
function diffInWorker(failedMessage: string): DiffFunction {
  return (base, target, ignoreDigits) =>
    new Observable<ChangeRun[] | GiveUp>((subscriber) => {
      const worker = new Worker(new URL('../streams/diff-worker.ts', import.meta.url), { type: 'module' })
      worker.onmessage = (event: MessageEvent<ChangeRun[] | GiveUp>) => {
        subscriber.next(event.data)
        subscriber.complete()
      }
      worker.onerror = (event) => subscriber.error(new Error(event.message || failedMessage))
      worker.onmessageerror = () => subscriber.error(new Error(failedMessage))
      const request: DiffRequest = { base: packLog(base), target: packLog(target), ignoreDigits }
      worker.postMessage(request, [request.base.streams.buffer, request.target.streams.buffer])
      return () => worker.terminate()
    })
}

/**
 * Two runs of a task side by side in one unified diff of their logs: added and removed lines
 * marked with + and − (not by colour alone), unchanged stretches collapsed, next/previous
 * change from the keymap, Esc back to the runs.
 */
export function RunCompare({ runs, pair, onPair, onBack }: { runs: Run[]; pair: ComparePair; onPair: (pair: ComparePair) => void; onBack: () => void }) {
  const { t, i18n } = useTranslation()
  const model = useModel()
  const base = runs.find((r) => r.id === pair.base)
  const target = runs.find((r) => r.id === pair.target)
  const [ignoreDigits] = useState(() => new BehaviorSubject(false))
  const ignoring = useObservableState(ignoreDigits, ignoreDigits.value)
  // Bumped by "Compare again" (a run still writing has grown): a new state$ reads both logs again.
  const [readRequest, setReadRequest] = useState(0)
  const readPage = useMemo<ReadPage>(
    () => (runId, fromLine, count) =>
      from(model.bridge.invoke('run.readLog', { runId, fromLine, count })).pipe(
        map((result) => {
          if (!result.ok) throw new Error(result.error.message)
          return { lines: result.value.lines, totalLines: result.value.totalLines, done: result.value.done }
        }),
      ),
    [model],
  )
  const workerFailed = t('compare.workerFailed')
  const state$ = useMemo(
    () => compareRuns$(pair.base, pair.target, ignoreDigits, { readPage, diff: diffInWorker(workerFailed) }),
    // readRequest is not read inside: it is here so that each "Compare again" makes a new reading.
    [pair.base, pair.target, ignoreDigits, readPage, workerFailed, readRequest],
  )
  const state = useObservableState<CompareState>(state$, { phase: 'reading' })

  const [expanded, setExpanded] = useState<ReadonlySet<number>>(new Set())
  const [current, setCurrent] = useState<number | null>(null)
  const view = state.phase === 'ready' ? state.view : null
  // Thousands of lines are drawn in a transition, which React interrupts to let input and paint through.
  const shownView = useDeferredValue(view)
  const words = useMemo<LineWords>(
    () => ({ added: t('compare.addedLine'), removed: t('compare.removedLine'), stderrMark: t('log.stderrMark'), stderrLabel: t('log.stderrLabel'), systemMark: t('compare.systemMark'), systemLabel: t('compare.systemLabel') }),
    [t],
  )
  // A change to scroll to not yet drawn (see goTo): a new diff's changes are others.
  const scrollTo = useRef<number | null>(null)
  useEffect(() => {
    setExpanded(new Set())
    setCurrent(null)
    scrollTo.current = null
  }, [view])
  const pieces = useMemo(() => (shownView ? piecesOf(shownView.segments, expanded) : []), [shownView, expanded])
  const [drawn, setDrawn] = useState(BLOCKS_PER_FRAME)
  useEffect(() => setDrawn(BLOCKS_PER_FRAME), [shownView])
  useEffect(() => {
    if (drawn >= pieces.length) return
    const frame = requestAnimationFrame(() => setDrawn((n) => n + BLOCKS_PER_FRAME))
    return () => cancelAnimationFrame(frame)
  }, [drawn, pieces.length])

  const bodyRef = useRef<HTMLDivElement>(null)
  // The button that opened the comparison is gone: the keyboard starts here (Esc leaves).
  const backRef = useRef<HTMLButtonElement>(null)
  useEffect(() => backRef.current?.focus(), [])
  const nextShortcut = useShortcut('compare.next')
  const previousShortcut = useShortcut('compare.previous')
  // A change not drawn yet is scrolled to once the frame-by-frame drawing reaches it (drawing all
  // blocks up to it at once, e.g. the last change on "[", held the UI thread for hundreds of ms).
  const goTo = (step: 1 | -1) => {
    if (!view || view.changes === 0) return
    const n = current === null ? (step === 1 ? 0 : view.changes - 1) : (current + step + view.changes) % view.changes
    setCurrent(n)
    scrollTo.current = n
  }
  useLayoutEffect(() => {
    const target = scrollTo.current === null ? null : bodyRef.current?.querySelector(`[data-change="${scrollTo.current}"]`)
    if (!target) return
    scrollTo.current = null
    target.scrollIntoView({ block: 'center' })
  })
  useSubscription(model.logCommands$, (command) => {
    if (command === 'nextChange') goTo(1)
    else if (command === 'previousChange') goTo(-1)
  })

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
  const positionLine = (line: DiffLine | undefined) => (line ? `: ${line.kind === 'added' ? words.added : words.removed}: ${line.line.text}` : '')
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

  return (
    <section className="compare" aria-labelledby="compare-title" onKeyDown={onKeyDown}>
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
          <input type="checkbox" checked={ignoring} onChange={(e) => ignoreDigits.next(e.target.checked)} />
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
      {shownView && pair.base !== pair.target && (
        <div className="compare-body" ref={bodyRef} tabIndex={0} role="region" aria-label={t('compare.diff')} data-testid="compare-diff">
          {pieces.slice(0, drawn).map((piece) =>
            piece.kind === 'gap' ? (
              <button
                key={piece.key}
                type="button"
                className="compare-gap"
                onClick={() => {
                  setExpanded(new Set(expanded).add(piece.id))
                  // The gap's one piece becomes its blocks: as many more are drawn, so no line below it goes undrawn.
                  setDrawn((n) => n + Math.ceil(piece.count / BLOCK_LINES) - 1)
                  bodyRef.current?.focus()
                }}
              >
                <span aria-hidden>⋯</span> {t('compare.gap', { count: piece.count })} · {t('compare.show')}
              </button>
            ) : (
              <Block key={piece.key} lines={piece.lines} current={current !== null && piece.changes.includes(current) ? current : null} words={words} />
            ),
          )}
        </div>
      )}
    </section>
  )
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

const Block = memo(function Block({ lines, current, words }: { lines: DiffLine[]; current: number | null; words: LineWords }) {
  return (
    <div className="compare-block" style={{ containIntrinsicBlockSize: `auto ${lines.length * 18}px` }}>
      {lines.map((line, j) => (
        <Line key={j} line={line} current={line.changeIndex !== undefined && line.changeIndex === current} words={words} />
      ))}
    </div>
  )
})

function Line({ line, current, words }: { line: DiffLine; current: boolean; words: LineWords }) {
  const sign = line.kind === 'added' ? '+' : line.kind === 'removed' ? '−' : ' '
  const stream = line.line.stream
  return (
    <div className={`compare-line compare-${line.kind} compare-${stream}${current ? ' compare-current' : ''}`} data-change={line.changeIndex} data-kind={line.kind}>
      <span className="compare-n" aria-hidden>
        {line.baseN ?? ''}
      </span>
      <span className="compare-n" aria-hidden>
        {line.targetN ?? ''}
      </span>
      <span className="compare-sign" aria-hidden>
        {sign}
      </span>
      {line.kind !== 'same' && <span className="sr-only">{line.kind === 'added' ? words.added : words.removed}: </span>}
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
}

