import Anser from 'anser'
import { catchError, concat, defer, EMPTY, expand, forkJoin, last, map, type Observable, of, shareReplay, startWith, switchMap, timer } from 'rxjs'
import { terminalLine } from '../../src-shared/terminal-line.ts'
import { diffLogs, type ChangeRun, type CompareLine, type GiveUp, type LineKind } from './line-diff.ts'

export { COMPARE_MAX_EDITS, COMPARE_TIMEOUT_MS, diffLogs, type ChangeRun, type CompareLine, type GiveUp } from './line-diff.ts'

/**
 * How many lines of each run are compared. Myers' diff costs (lines × differences): two
 * 20,000-line logs with a thousand scattered changes take ~0.4 s of CPU, so the diff runs in a
 * worker (see diff-worker.ts) and this cap bounds the worker's time and the memory both logs take.
 */
export const COMPARE_MAX_LINES = 20_000
/**
 * Lines per run.readLog while reading for a comparison: the UI thread checks each answer against
 * the contract's schema, which for run.readLog's largest page (10,000 lines) was a ~60 ms task.
 */
export const COMPARE_PAGE_LINES = 2_000
/** Unchanged lines shown around each change; longer unchanged stretches collapse to a count. */
export const CONTEXT_LINES = 3

/** Stands in for a line the change runs name but the log lacks (never, when both come from one diff). */
const MISSING_LINE: CompareLine = { n: -1, stream: 'stdout', text: '' }

/** One run's log as read for a comparison: its first `lines` (at most the cap) of `totalLines`. */
export interface ComparedLog {
  lines: CompareLine[]
  totalLines: number
  /** The log was longer than the cap: only its first lines were compared. */
  truncated: boolean
  /** The run was still running when its last page was read (at `readAt`): its log may have grown since. */
  running: boolean
  readAt: number
}

export interface DiffLine {
  kind: LineKind
  /** 1-based line numbers in each run's log, as the log viewer shows them (null on the side the line is not in). */
  baseN: number | null
  targetN: number | null
  line: CompareLine
  /** Set on the first line of each change: its index among the changes (for next/previous change). */
  changeIndex?: number
}

export type DiffSegment = { kind: 'lines'; lines: DiffLine[] } | { kind: 'gap'; id: number; lines: DiffLine[] }

export interface DiffView {
  segments: DiffSegment[]
  added: number
  removed: number
  /** Changes: stretches of consecutive added and removed lines. */
  changes: number
}

/**
 * A unified diff as segments: changed lines with `context` unchanged lines around each, the
 * unchanged stretches between them collapsed to gaps (which the view expands on request). A gap
 * hides at least two lines: hiding one behind a "1 line" button saves nothing.
 */
export function buildDiffView(base: readonly CompareLine[], target: readonly CompareLine[], runs: readonly ChangeRun[], context = CONTEXT_LINES): DiffView {
  const segments: DiffSegment[] = []
  let open: DiffLine[] = []
  const flush = () => {
    if (open.length > 0) segments.push({ kind: 'lines', lines: open })
    open = []
  }
  let b = 0
  let t = 0
  let added = 0
  let removed = 0
  let changes = 0
  let gaps = 0
  let inChange = false
  runs.forEach((run, index) => {
    if (run.kind === 'same') {
      inChange = false
      const lines: DiffLine[] = []
      for (let i = 0; i < run.count; i++) {
        const baseLine = base[b + i] ?? MISSING_LINE
        const targetLine = target[t + i] ?? MISSING_LINE
        lines.push({ kind: 'same', baseN: baseLine.n + 1, targetN: targetLine.n + 1, line: targetLine === MISSING_LINE ? baseLine : targetLine })
      }
      b += run.count
      t += run.count
      const keepBefore = index === 0 ? 0 : context
      const keepAfter = index === runs.length - 1 ? 0 : context
      if (run.count - keepBefore - keepAfter < 2) open.push(...lines)
      else {
        open.push(...lines.slice(0, keepBefore))
        flush()
        segments.push({ kind: 'gap', id: gaps++, lines: lines.slice(keepBefore, run.count - keepAfter) })
        open.push(...lines.slice(run.count - keepAfter))
      }
      return
    }
    for (let i = 0; i < run.count; i++) {
      const from = run.kind === 'removed' ? (base[b + i] ?? MISSING_LINE) : (target[t + i] ?? MISSING_LINE)
      const line: DiffLine =
        run.kind === 'removed' ? { kind: 'removed', baseN: from.n + 1, targetN: null, line: from } : { kind: 'added', baseN: null, targetN: from.n + 1, line: from }
      if (!inChange) line.changeIndex = changes++
      inChange = true
      open.push(line)
    }
    if (run.kind === 'removed') {
      b += run.count
      removed += run.count
    } else {
      t += run.count
      added += run.count
    }
  })
  flush()
  return { segments, added, removed, changes }
}

/** The first line of change `index` (what a screen reader hears after "Change N of M"). */
export function changeStart(view: DiffView, index: number): DiffLine | undefined {
  for (const segment of view.segments) {
    if (segment.kind === 'gap') continue
    const line = segment.lines.find((l) => l.changeIndex === index)
    if (line) return line
  }
  return undefined
}

/** Height in px of a line of the diff, and of a collapsed gap (a button: 24 px is WCAG 2.2's smallest target). */
export const LINE_HEIGHT = 18
export const GAP_HEIGHT = 24

/** A row of the diff as drawn: a line, or an unchanged stretch still collapsed. */
export type CompareRow = DiffLine | { kind: 'gap'; id: number; count: number }

/**
 * The diff as a list of rows of known heights, so that the view draws only the rows in sight and
 * finds any row's place by arithmetic: expanding a 20,000-line gap or jumping to the last change
 * costs what the screen shows, not what the diff holds.
 */
export interface CompareRows {
  rows: CompareRow[]
  /** `tops[i]` is row i's distance from the top; `tops[rows.length]` the height of them all. */
  tops: Float64Array
  /** The row of each change's first line, by change index. */
  changeRows: number[]
}

export function compareRows(view: DiffView, expanded: ReadonlySet<number>): CompareRows {
  const rows: CompareRow[] = []
  for (const segment of view.segments) {
    if (segment.kind === 'gap' && !expanded.has(segment.id)) rows.push({ kind: 'gap', id: segment.id, count: segment.lines.length })
    // A loop, not push(...lines): spreading a 20,000-line gap as arguments can overflow the stack.
    else for (const line of segment.lines) rows.push(line)
  }
  const tops = new Float64Array(rows.length + 1)
  const changeRows: number[] = []
  rows.forEach((row, i) => {
    tops[i + 1] = (tops[i] ?? 0) + (row.kind === 'gap' ? GAP_HEIGHT : LINE_HEIGHT)
    if (row.kind !== 'gap' && row.changeIndex !== undefined) changeRows[row.changeIndex] = i
  })
  return { rows, tops, changeRows }
}

/** The rows [first, end) at least partly within `height` px from `top`, and `overscan` more on each side. */
export function rowsInView(tops: Float64Array, top: number, height: number, overscan: number): { first: number; end: number } {
  const count = tops.length - 1
  // The last row starting at or above `top` (binary search: rows are sorted by their top).
  let low = 0
  let high = count - 1
  while (low < high) {
    const middle = (low + high + 1) >> 1
    if ((tops[middle] ?? 0) <= top) low = middle
    else high = middle - 1
  }
  let end = low
  while (end < count && (tops[end] ?? 0) < top + height) end++
  return { first: Math.max(0, low - overscan), end: Math.min(count, Math.max(end, low + 1) + overscan) }
}

/** Where to scroll so that row `row` is in the middle of a viewport `height` px tall. */
export function centredScrollTop(rows: CompareRows, row: number, height: number): number {
  const top = rows.tops[row] ?? 0
  const rowHeight = (rows.tops[row + 1] ?? top) - top
  return Math.max(0, top - (height - rowHeight) / 2)
}

/**
 * Where a reader is in a diff, by line rather than by pixels, so that it survives a new diff of the same two runs
 * ("Ignore digits" turned on or off): the line at the viewport's top (its numbers in both runs) and how far it is
 * scrolled past that line's top.
 */
export interface ReadingPlace {
  baseN: number | null
  targetN: number | null
  offset: number
}

/** The lines a collapsed gap stands for, by its id. */
const gapLines = (view: DiffView, id: number): DiffLine[] => view.segments.find((s) => s.kind === 'gap' && s.id === id)?.lines ?? []

/** The reading place of a diff scrolled to `scrollTop` (null for an empty diff). */
export function placeAt(view: DiffView, rows: CompareRows, scrollTop: number): ReadingPlace | null {
  const { first, end } = rowsInView(rows.tops, scrollTop, 0, 0)
  const row = first < end ? rows.rows[first] : undefined
  if (!row) return null
  const line = row.kind === 'gap' ? gapLines(view, row.id)[0] : row
  if (!line) return null
  return { baseN: line.baseN, targetN: line.targetN, offset: row.kind === 'gap' ? 0 : scrollTop - (rows.tops[first] ?? 0) }
}

/** The place's line number, and a line's, in the run the place is read by: the target's when the place's line is in it (lines are in its order), else the base's. */
const placeNumber = (place: ReadingPlace): number | null => place.targetN ?? place.baseN
const lineNumber = (line: Pick<DiffLine, 'baseN' | 'targetN'>, place: ReadingPlace): number | null => (place.targetN !== null ? line.targetN : line.baseN)

/**
 * Whether `line` is the place's line or one past it. A line both diffs hold is found exactly; one the new diff pairs
 * otherwise (a removed line now matched, say) by the number it still has.
 */
function atOrPast(line: Pick<DiffLine, 'baseN' | 'targetN'>, place: ReadingPlace): boolean {
  const [n, p] = [lineNumber(line, place), placeNumber(place)]
  return n !== null && p !== null && n >= p
}

/** The id of the collapsed-by-default gap of `view` that holds the place's line, or null when no gap does. */
export function gapHolding(view: DiffView, place: ReadingPlace): number | null {
  const p = placeNumber(place)
  for (const segment of view.segments) {
    if (segment.kind !== 'gap') continue
    const [first, last] = [segment.lines[0], segment.lines.at(-1)]
    const [from, to] = [first && lineNumber(first, place), last && lineNumber(last, place)]
    if (p !== null && from != null && to != null && from <= p && p <= to) return segment.id
  }
  return null
}

/** The scroll position that puts the place's line (or the first one past it) at the viewport's top, scrolled as far past it as it was. */
export function scrollTopOf(view: DiffView, rows: CompareRows, place: ReadingPlace): number {
  const index = rows.rows.findIndex((row) => {
    const last = row.kind === 'gap' ? gapLines(view, row.id).at(-1) : row
    return last !== undefined && atOrPast(last, place)
  })
  if (index < 0) return rows.tops[rows.rows.length] ?? 0
  const row = rows.rows[index]
  const top = rows.tops[index] ?? 0
  return row && row.kind !== 'gap' && lineNumber(row, place) === placeNumber(place) ? top + place.offset : top
}

/**
 * The text of rows `from` to `to` (both included) as copied: each line's text as shown (ANSI
 * codes are drawn, not copied), one per line; collapsed gaps are not lines and are left out,
 * at the ends too (a selection may start or end on a gap's button). The first and last rows
 * are replaced by the part of them selected (null: the whole line).
 */
export function copiedText(rows: readonly CompareRow[], from: number, to: number, firstPart: string | null, lastPart: string | null): string {
  const texts: string[] = []
  for (let i = from; i <= to; i++) {
    const row = rows[i]
    if (!row || row.kind === 'gap') continue
    const part = i === from ? firstPart : i === to ? lastPart : null
    texts.push(part ?? Anser.ansiToText(row.line.text))
  }
  return texts.join('\n')
}

/** One page of a run's log, as run.readLog answers. */
export interface LogPage {
  lines: CompareLine[]
  totalLines: number
  /** The run had ended when the page was read (run.readLog's `done`). */
  done: boolean
}
export type ReadPage = (runId: number, fromLine: number, count: number) => Observable<LogPage>

/**
 * Reads a run's log for a comparison: pages until the log's end or the cap (on lines compared).
 * A run still writing is read as it stands (its length when each page was read). Each page
 * starts after the last line read (its number `n`, not a count of lines read): where the log's
 * cap dropped its middle, run.readLog skips the dropped lines and says so in one system line,
 * numbered as the first dropped line, which it repeats for any page starting in the gap; a line
 * numbered no later than one already read is that repeat, and is left out. Lines are compared
 * and shown as a terminal shows them (src-shared/terminal-line.ts): two runs whose progress line
 * went 10%, 50%, 100% in different steps both show "100%", and match.
 */
export function readForCompare$(readPage: ReadPage, runId: number, cap = COMPARE_MAX_LINES, pageLines = COMPARE_PAGE_LINES): Observable<ComparedLog> {
  type Read = { lines: CompareLine[]; totalLines: number; running: boolean; done: boolean }
  const next = (read: Read): Observable<Read> => {
    const lastN = read.lines.at(-1)?.n ?? -1
    return readPage(runId, lastN + 1, Math.min(pageLines, cap - read.lines.length)).pipe(
      map((page) => {
        const fresh = page.lines.filter((line) => line.n > lastN).map((line) => ({ ...line, text: terminalLine(line.text) }))
        const lines = read.lines.concat(fresh.slice(0, cap - read.lines.length))
        const end = lines.at(-1)?.n ?? -1
        return {
          lines,
          totalLines: Math.max(read.totalLines, page.totalLines),
          running: !page.done,
          done: fresh.length === 0 || lines.length >= cap || end + 1 >= page.totalLines,
        }
      }),
    )
  }
  return next({ lines: [], totalLines: 0, running: false, done: false }).pipe(
    expand((read) => (read.done ? EMPTY : next(read))),
    last(),
    map(({ lines, totalLines, running }) => ({ lines, totalLines, truncated: (lines.at(-1)?.n ?? -1) + 1 < totalLines, running, readAt: Date.now() })),
  )
}

/**
 * Why the diff ran on the page itself instead of in its worker (the worker's error, untranslated; empty when it gave none), or null
 * when the worker did it: said next to the result, since a long diff may stall the page.
 */
export type DiffedOnPage = string | null

export type CompareState =
  | { phase: 'sameRun' }
  | { phase: 'reading' }
  | { phase: 'comparing'; base: ComparedLog; target: ComparedLog }
  | { phase: 'ready'; base: ComparedLog; target: ComparedLog; view: DiffView; diffedOnPage: DiffedOnPage }
  | { phase: 'tooDifferent'; reason: GiveUp; base: ComparedLog; target: ComparedLog; diffedOnPage: DiffedOnPage }
  | { phase: 'failed'; message: string }

export type DiffFunction = (base: CompareLine[], target: CompareLine[], ignoreDigits: boolean) => Observable<ChangeRun[] | GiveUp>

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))
const failed = (error: unknown): CompareState => ({ phase: 'failed', message: messageOf(error) })

/** The diff on the page's own thread, after the current task (so that "Comparing…" is shown first): what runs when the worker cannot. */
export const diffOnPage: DiffFunction = (base, target, ignoreDigits) => timer(0).pipe(map(() => diffLogs(base, target, ignoreDigits)))

/**
 * Compares two runs' logs: reads both (once), then diffs them for each value of
 * `ignoreDigits$`, dropping a diff still running when the option changes. A diff that fails
 * (its worker could not start, or died) is done again by `fallback`, if given, and the state
 * says why.
 */
export function compareRuns$(
  baseRunId: number,
  targetRunId: number,
  ignoreDigits$: Observable<boolean>,
  deps: { readPage: ReadPage; diff: DiffFunction; fallback?: DiffFunction; cap?: number },
): Observable<CompareState> {
  // A run compared with itself: nothing to read nor diff.
  if (baseRunId === targetRunId) return of<CompareState>({ phase: 'sameRun' })
  const logs$ = defer(() => forkJoin([readForCompare$(deps.readPage, baseRunId, deps.cap), readForCompare$(deps.readPage, targetRunId, deps.cap)])).pipe(shareReplay(1))
  const diff$ = (base: CompareLine[], target: CompareLine[], ignoreDigits: boolean): Observable<{ runs: ChangeRun[] | GiveUp; diffedOnPage: DiffedOnPage }> =>
    deps.diff(base, target, ignoreDigits).pipe(
      map((runs) => ({ runs, diffedOnPage: null })),
      catchError((error: unknown) => {
        if (!deps.fallback) throw error
        const why = messageOf(error)
        return deps.fallback(base, target, ignoreDigits).pipe(map((runs) => ({ runs, diffedOnPage: why })))
      }),
    )
  const compared$ = logs$.pipe(
    switchMap(([base, target]) =>
      ignoreDigits$.pipe(
        switchMap((ignoreDigits) =>
          diff$(base.lines, target.lines, ignoreDigits).pipe(
            map(({ runs, diffedOnPage }): CompareState =>
              typeof runs === 'string'
                ? { phase: 'tooDifferent', reason: runs, base, target, diffedOnPage }
                : { phase: 'ready', base, target, view: buildDiffView(base.lines, target.lines, runs), diffedOnPage },
            ),
            // A failed diff fails this diff only: the option stays live (changing it diffs again).
            catchError((error: unknown) => of<CompareState>(failed(error))),
            startWith<CompareState>({ phase: 'comparing', base, target }),
          ),
        ),
      ),
    ),
  )
  return concat(of<CompareState>({ phase: 'reading' }), compared$).pipe(catchError((error: unknown) => of<CompareState>(failed(error))))
}

/** Where "Ignore digits" is remembered in this browser, as the window remembers its settings (remembered-settings.ts). */
const IGNORE_DIGITS_KEY = 'taskdeck.compare.ignoreDigits'

/** "Ignore digits" as last chosen here; off when never chosen, or storage is unreadable. */
export function rememberedIgnoreDigits(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): boolean {
  try {
    return storage?.getItem(IGNORE_DIGITS_KEY) === 'true'
  } catch {
    return false
  }
}

export function rememberIgnoreDigits(ignoreDigits: boolean, storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(IGNORE_DIGITS_KEY, String(ignoreDigits))
  } catch {
    // Storage full or disabled: the option holds for this comparison only.
  }
}
