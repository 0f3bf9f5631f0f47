import { map, of, throwError, type Observable } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import {
  buildDiffView,
  centredScrollTop,
  changeStart,
  compareRows,
  compareRuns$,
  copiedText,
  diffLogs,
  diffOnPage,
  gapHolding,
  GAP_HEIGHT,
  LINE_HEIGHT,
  placeAt,
  readForCompare$,
  rememberedIgnoreDigits,
  rememberIgnoreDigits,
  rowsInView,
  scrollTopOf,
  type ChangeRun,
  type GiveUp,
  type CompareLine,
  type CompareState,
  type DiffLine,
  type DiffView,
  type LogPage,
} from '../../src-renderer/streams/run-compare.ts'
import { packLog, unpackLog, type LineContent } from '../../src-renderer/streams/line-diff.ts'

const out = (text: string): LineContent => ({ stream: 'stdout', text })
const err = (text: string): LineContent => ({ stream: 'stderr', text })
/** Lines as a log holds them, numbered from 0. */
const logOf = (contents: LineContent[]): CompareLine[] => contents.map((line, n) => ({ ...line, n }))
const lines = (...texts: string[]) => logOf(texts.map(out))
const numbered = (count: number, text = (n: number) => `line ${n}`) => logOf(Array.from({ length: count }, (_, n) => out(text(n))))

/** The diff as a unified listing: "+ text", "- text", "  text", and "… N" for a collapsed gap. */
function listing(view: DiffView): string[] {
  const mark = (l: DiffLine) => `${l.kind === 'added' ? '+' : l.kind === 'removed' ? '-' : ' '} ${l.line.text}`
  return view.segments.flatMap((s) => (s.kind === 'gap' ? [`… ${s.lines.length}`] : s.lines.map(mark)))
}

function diffView(baseContents: LineContent[], targetContents: LineContent[], ignoreDigits = false, context?: number): DiffView {
  const base = logOf(baseContents)
  const target = logOf(targetContents)
  const runs = diffLogs(base, target, ignoreDigits)
  if (typeof runs === 'string') throw new Error(runs)
  return buildDiffView(base, target, runs, context)
}

describe('diffLogs and buildDiffView', () => {
  it('marks added and removed lines and counts them', () => {
    const view = diffView(lines('a', 'b', 'c'), lines('a', 'B', 'c', 'd'))
    expect(listing(view)).toEqual(['  a', '- b', '+ B', '  c', '+ d'])
    expect({ added: view.added, removed: view.removed, changes: view.changes }).toEqual({ added: 2, removed: 1, changes: 2 })
  })

  it('numbers each line in the run it comes from', () => {
    const view = diffView(lines('a', 'b', 'c'), lines('a', 'x', 'c'))
    const all = view.segments.flatMap((s) => s.lines)
    expect(all.map((l) => [l.baseN, l.targetN])).toEqual([
      [1, 1],
      [2, null],
      [null, 2],
      [3, 3],
    ])
  })

  it('collapses unchanged stretches to a gap with their count, keeping context around each change', () => {
    const base = numbered(30)
    const target = numbered(30, (n) => (n === 10 || n === 25 ? `changed ${n}` : `line ${n}`))
    const view = diffView(base, target, false, 2)
    expect(listing(view)).toEqual([
      '… 8',
      '  line 8',
      '  line 9',
      '- line 10',
      '+ changed 10',
      '  line 11',
      '  line 12',
      '… 10',
      '  line 23',
      '  line 24',
      '- line 25',
      '+ changed 25',
      '  line 26',
      '  line 27',
      '… 2',
    ])
    // The gaps hold their lines, so the view can show them on request.
    const gaps = view.segments.filter((s) => s.kind === 'gap')
    expect(gaps.map((g) => g.id)).toEqual([0, 1, 2])
    expect(gaps[1]?.lines.map((l) => l.line.text)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${13 + i}`))
  })

  it('does not hide a single line behind a gap', () => {
    const base = numbered(9)
    const target = numbered(9, (n) => (n === 1 || n === 7 ? `changed ${n}` : `line ${n}`))
    // Between the changes: lines 2..6, five lines, two of context each side: one would be hidden.
    expect(listing(diffView(base, target, false, 2)).some((l) => l.startsWith('…'))).toBe(false)
  })

  it('collapses identical logs to one gap and reports no changes', () => {
    const view = diffView(numbered(50), numbered(50))
    expect(listing(view)).toEqual(['… 50'])
    expect({ added: view.added, removed: view.removed, changes: view.changes }).toEqual({ added: 0, removed: 0, changes: 0 })
  })

  it('keeps stdout and stderr apart: the same text on the other stream is a change', () => {
    const view = diffView([out('warning: x'), out('done')], [err('warning: x'), out('done')])
    const changed = view.segments.flatMap((s) => s.lines).filter((l) => l.kind !== 'same')
    expect(changed.map((l) => [l.kind, l.line.stream, l.line.text])).toEqual([
      ['removed', 'stdout', 'warning: x'],
      ['added', 'stderr', 'warning: x'],
    ])
  })

  it('with ignoreDigits matches lines that differ only in numbers, and shows the target run’s text', () => {
    const base = lines('[12:00:01] build started', 'took 31 ms', 'error: missing file')
    const target = lines('[12:05:44] build started', 'took 29 ms', 'ok')
    expect(diffView(base, target).changes).toBe(1)
    expect(diffView(base, target).removed).toBe(3)
    const ignoring = diffView(base, target, true)
    expect(listing(ignoring)).toEqual(['  [12:05:44] build started', '  took 29 ms', '- error: missing file', '+ ok'])
  })

  it('numbers the changes in order, once per stretch of consecutive added and removed lines', () => {
    const base = numbered(40)
    const target = numbered(40, (n) => (n === 5 || n === 6 || n === 30 ? `changed ${n}` : `line ${n}`))
    const starts = diffView(base, target)
      .segments.flatMap((s) => s.lines)
      .filter((l) => l.changeIndex !== undefined)
    expect(starts.map((l) => [l.changeIndex, l.line.text])).toEqual([
      [0, 'line 5'],
      [1, 'line 30'],
    ])
  })

  it('finds the first line of each change (what the position announces)', () => {
    const view = diffView(lines('a', 'b', 'c', 'd'), lines('a', 'B', 'c', 'd', 'e'))
    expect([0, 1, 2].map((n) => changeStart(view, n)?.line.text)).toEqual(['b', 'e', undefined])
    expect(changeStart(view, 0)?.kind).toBe('removed')
  })

  it('gives up, rather than freezing, on logs too different to compare line by line', () => {
    const limits = { maxEdits: 100, timeoutMs: 60_000 }
    expect(diffLogs(numbered(40, (n) => `a ${n}`), numbered(40, (n) => `b ${n}`), false, limits)).toHaveLength(2)
    expect(diffLogs(numbered(200, (n) => `a ${n}`), numbered(200, (n) => `b ${n}`), false, limits)).toBe('tooManyEdits')
  })

  it('says when it gave up for time rather than for too many differences', () => {
    // 3,000 lines all different with no edit limit: a search of millions of steps, far past 1 ms.
    expect(diffLogs(numbered(3000, (n) => `a ${n}`), numbered(3000, (n) => `b ${n}`), false, { maxEdits: Infinity, timeoutMs: 1 })).toBe('tooSlow')
  })
})

describe('compareRows: the diff as rows of known heights', () => {
  // Changes at lines 10 and 19,990 of 20,000: a 19,973-line gap between them.
  const base = numbered(20_000)
  const target = numbered(20_000, (n) => (n === 10 || n === 19_990 ? `changed ${n}` : `line ${n}`))
  const view = diffView(base, target)
  const gapOf = (rows: ReturnType<typeof compareRows>) => rows.rows.flatMap((row) => (row.kind === 'gap' ? [row] : []))

  it('draws a collapsed gap as one row and an expanded one as its lines, each row where the ones above end', () => {
    const collapsed = compareRows(view, new Set())
    expect(gapOf(collapsed).map((g) => g.count)).toEqual([7, 19_973, 6])
    const big = collapsed.rows.findIndex((row) => row.kind === 'gap' && row.count === 19_973)
    expect(collapsed.tops[big]).toBe(GAP_HEIGHT + (3 + 2 + 3) * LINE_HEIGHT)
    expect(collapsed.tops[collapsed.rows.length]).toBe(3 * GAP_HEIGHT + (collapsed.rows.length - 3) * LINE_HEIGHT)

    const bigGap = gapOf(collapsed)[1]!
    const expanded = compareRows(view, new Set([bigGap.id]))
    expect(expanded.rows).toHaveLength(collapsed.rows.length - 1 + 19_973)
    // The gap's first line takes the gap's place; the last row moved down by the lines less the button.
    expect(expanded.rows[big]).toMatchObject({ kind: 'same', line: { text: 'line 14' } })
    expect(expanded.tops[big]).toBe(collapsed.tops[big])
    expect(expanded.tops[expanded.rows.length]).toBe(collapsed.tops[collapsed.rows.length]! - GAP_HEIGHT + 19_973 * LINE_HEIGHT)
  })

  it('knows the row of each change’s first line, gaps open or not', () => {
    for (const opened of [new Set<number>(), new Set([0, 1, 2])]) {
      const rows = compareRows(view, opened)
      expect(rows.changeRows.map((i) => rows.rows[i])).toMatchObject([
        { kind: 'removed', changeIndex: 0, line: { text: 'line 10' } },
        { kind: 'removed', changeIndex: 1, line: { text: 'line 19990' } },
      ])
    }
  })

  it('finds the rows in a viewport anywhere in 20,000 lines, with overscan, never past either end', () => {
    const rows = compareRows(view, new Set([0, 1, 2]))
    // 18 px lines, no gaps left: a viewport of 10 lines at line 10,000.
    expect(rowsInView(rows.tops, 10_000 * LINE_HEIGHT, 10 * LINE_HEIGHT, 0)).toEqual({ first: 10_000, end: 10_010 })
    // Half a line scrolled: the half-shown line at each edge counts.
    expect(rowsInView(rows.tops, 10_000 * LINE_HEIGHT + 9, 10 * LINE_HEIGHT, 0)).toEqual({ first: 10_000, end: 10_011 })
    expect(rowsInView(rows.tops, 10_000 * LINE_HEIGHT, 10 * LINE_HEIGHT, 5)).toEqual({ first: 9_995, end: 10_015 })
    expect(rowsInView(rows.tops, 0, 10 * LINE_HEIGHT, 5)).toEqual({ first: 0, end: 15 })
    const count = rows.rows.length
    expect(rowsInView(rows.tops, rows.tops[count]! - 5 * LINE_HEIGHT, 10 * LINE_HEIGHT, 5)).toEqual({ first: count - 10, end: count })
    // Not yet measured (no height): the row at the top and the overscan.
    expect(rowsInView(rows.tops, 0, 0, 3)).toEqual({ first: 0, end: 4 })
    expect(rowsInView(compareRows(diffView([], []), new Set()).tops, 0, 500, 3)).toEqual({ first: 0, end: 0 })
  })

  it('finds rows among gaps of another height', () => {
    const rows = compareRows(view, new Set())
    const bigGap = rows.rows.findIndex((row) => row.kind === 'gap' && row.count > 1000)
    const top = rows.tops[bigGap]!
    expect(rowsInView(rows.tops, top + GAP_HEIGHT - 1, LINE_HEIGHT, 0)).toEqual({ first: bigGap, end: bigGap + 2 })
    expect(rowsInView(rows.tops, top + GAP_HEIGHT, LINE_HEIGHT, 0)).toEqual({ first: bigGap + 1, end: bigGap + 2 })
  })

  it('copies the rows between a selection’s ends as their texts, without ANSI codes or collapsed gaps', () => {
    const red = '\u001b[31mred\u001b[0m b'
    const changedEnds = diffView(lines('a', red, 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'), lines('A', red, 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'J'), false, 1)
    const collapsed = compareRows(changedEnds, new Set())
    expect(collapsed.rows.map((r) => (r.kind === 'gap' ? `… ${r.count}` : r.line.text))).toEqual(['a', 'A', red, '… 6', 'i', 'j', 'J'])
    // Selected from within "a" to within "J": the ends as selected, the rows between from the diff.
    expect(copiedText(collapsed.rows, 0, 6, 'a (part)', 'J (part)').split('\n')).toEqual(['a (part)', 'A', 'red b', 'i', 'j', 'J (part)'])
    const opened = compareRows(changedEnds, new Set([0]))
    expect(copiedText(opened.rows, 1, 4, 'A', 'd').split('\n')).toEqual(['A', 'red b', 'c', 'd'])
    // Starting or ending on a gap's button adds no empty line; null takes the whole line (a select-all of the diff).
    expect(copiedText(collapsed.rows, 3, 5, '', 'j')).toBe('i\nj')
    expect(copiedText(collapsed.rows, 1, 3, 'A', '')).toBe('A\nred b')
    expect(copiedText(collapsed.rows, 0, 6, null, null).split('\n')).toEqual(['a', 'A', 'red b', 'i', 'j', 'J'])
  })

  it('scrolls a row to the middle of the viewport, or as near as the top allows', () => {
    const rows = compareRows(view, new Set([0, 1, 2]))
    const last = rows.changeRows[1]!
    expect(centredScrollTop(rows, last, 10 * LINE_HEIGHT)).toBe(last * LINE_HEIGHT - 4.5 * LINE_HEIGHT)
    expect(centredScrollTop(rows, 1, 10 * LINE_HEIGHT)).toBe(0)
  })
})

describe('the reader’s place across a new diff of the same runs ("Ignore digits" turned on or off)', () => {
  // Every line holds its number: with digits ignored they all match, without they all differ past line 3.
  const base = numbered(200, (n) => (n < 3 ? `head ${n}` : `took ${n} ms`))
  const target = numbered(200, (n) => (n < 3 ? `head ${n}` : `took ${n + 1000} ms`))
  const strict = diffView(base, target)
  const ignoring = diffView(base, target, true)

  it('keeps the line at the top and how far past its top the view was scrolled', () => {
    const rows = compareRows(strict, new Set())
    // Row 150 of the strict diff is a removed line ("took 150 ms", line 151 of the base run), scrolled 5 px into.
    const scrollTop = rows.tops[150]! + 5
    const place = placeAt(strict, rows, scrollTop)
    expect(place).toEqual({ baseN: 151, targetN: null, offset: 5 })
    // Digits ignored, that line is matched (the same in both runs) and lies in the one gap: it opens there, and the view scrolls to it.
    const gap = gapHolding(ignoring, place!)
    expect(gap).not.toBeNull()
    const opened = compareRows(ignoring, new Set([gap!]))
    const top = scrollTopOf(ignoring, opened, place!)
    const row = placeAt(ignoring, opened, top)
    expect(row).toEqual({ baseN: 151, targetN: 151, offset: 5 })
    // Closed, the gap is where the view goes (its line is in it).
    const closed = compareRows(ignoring, new Set())
    expect(scrollTopOf(ignoring, closed, place!)).toBe(closed.tops[closed.rows.findIndex((r) => r.kind === 'gap')])
  })

  it('finds a matched line of the target run again by its number there, changed or not in the new diff', () => {
    const opened = compareRows(ignoring, new Set([0]))
    const place = placeAt(ignoring, opened, opened.tops[120]!)
    expect(place).toMatchObject({ baseN: 121, targetN: 121 })
    expect(gapHolding(strict, place!)).toBeNull()
    const rows = compareRows(strict, new Set())
    // In the strict diff, line 121 of the target run is an added line: the view's top is it.
    const row = rows.rows.findIndex((r) => r.kind === 'added' && r.targetN === 121)
    expect(scrollTopOf(strict, rows, place!)).toBe(rows.tops[row])
  })

  it('reads a place on a collapsed gap as the gap’s first line, and past the end as the end', () => {
    const rows = compareRows(ignoring, new Set())
    const gapRow = rows.rows.findIndex((r) => r.kind === 'gap')
    const place = placeAt(ignoring, rows, rows.tops[gapRow]! + 3)
    expect(place).toEqual({ baseN: 1, targetN: 1, offset: 0 })
    expect(placeAt(ignoring, compareRows(diffView([], []), new Set()), 0)).toBeNull()
    expect(scrollTopOf(strict, compareRows(strict, new Set()), { baseN: null, targetN: 999, offset: 0 })).toBe(compareRows(strict, new Set()).tops.at(-1))
  })
})

/** A log held in memory, read in pages the way run.readLog answers; `reads` records each read. */
function pagedLog(log: CompareLine[], runEndsAfterReads = 0) {
  const reads: [number, number][] = []
  const readPage = (_runId: number, fromLine: number, count: number): Observable<LogPage> => {
    reads.push([fromLine, count])
    return of({ lines: log.slice(fromLine, fromLine + count), totalLines: log.length, done: reads.length > runEndsAfterReads })
  }
  return { readPage, reads }
}

/**
 * A log whose cap dropped lines [keptHead, keptHead + dropped) of `total`, read as run.readLog
 * reads it (readLogWindow in src-main/engine/logs.ts): a page starting before the kept tail
 * skips the dropped lines and has one system line, numbered as the first dropped line, in their place.
 */
function pagedLogWithGap(total: number, keptHead: number, dropped: number) {
  const reads: [number, number][] = []
  const tailStart = keptHead + dropped
  const lineAt = (n: number): CompareLine => ({ n, stream: 'stdout', text: `line ${n}` })
  const readPage = (_runId: number, fromLine: number, count: number): Observable<LogPage> => {
    reads.push([fromLine, count])
    const page: CompareLine[] = []
    let next = fromLine
    for (; next < keptHead && page.length < count; next++) page.push(lineAt(next))
    if (page.length < count && next < tailStart) {
      page.push({ n: keptHead, stream: 'system', text: `[… ${dropped} lines dropped …]` })
      next = tailStart
    }
    for (; next < total && page.length < count; next++) page.push(lineAt(next))
    return of({ lines: page, totalLines: total, done: true })
  }
  return { readPage, reads }
}

describe('readForCompare$', () => {
  it('reads a log in pages up to its end', async () => {
    const { readPage, reads } = pagedLog(numbered(25))
    const log = await lastOf(readForCompare$(readPage, 1, 100, 10))
    expect(reads).toEqual([
      [0, 10],
      [10, 10],
      [20, 10],
    ])
    expect(log.lines.map((l) => l.text)).toEqual(numbered(25).map((l) => l.text))
    expect(log).toMatchObject({ totalLines: 25, truncated: false })
  })

  it('stops at the cap and says the log was longer', async () => {
    const { readPage, reads } = pagedLog(numbered(1000))
    const log = await lastOf(readForCompare$(readPage, 1, 25, 10))
    expect(reads).toEqual([
      [0, 10],
      [10, 10],
      [20, 5],
    ])
    expect(log.lines).toHaveLength(25)
    expect(log).toMatchObject({ totalLines: 1000, truncated: true })
  })

  it('reads past lines the log cap dropped once, numbering lines as the log does', async () => {
    // Lines 0-5 kept, 6-13 dropped, 14-19 kept: the first page ends on the "dropped" line.
    const { readPage, reads } = pagedLogWithGap(20, 6, 8)
    const log = await lastOf(readForCompare$(readPage, 1, 100, 7))
    expect(log.lines.map((l) => [l.n, l.stream])).toEqual([
      [0, 'stdout'],
      [1, 'stdout'],
      [2, 'stdout'],
      [3, 'stdout'],
      [4, 'stdout'],
      [5, 'stdout'],
      [6, 'system'],
      [14, 'stdout'],
      [15, 'stdout'],
      [16, 'stdout'],
      [17, 'stdout'],
      [18, 'stdout'],
      [19, 'stdout'],
    ])
    expect(reads[1]).toEqual([7, 7])
    expect(log).toMatchObject({ totalLines: 20, truncated: false })
    const view = buildDiffView(log.lines, log.lines, [{ kind: 'same', count: log.lines.length }], 0)
    expect(view.segments.flatMap((s) => s.lines).at(-1)).toMatchObject({ baseN: 20, targetN: 20 })
  })

  it('says whether the run was still running when its log was read (its last page), not before', async () => {
    const before = Date.now()
    expect(await lastOf(readForCompare$(pagedLog(numbered(25), 1).readPage, 1, 100, 10))).toMatchObject({ running: false })
    const stillRunning = await lastOf(readForCompare$(pagedLog(numbered(25), 3).readPage, 1, 100, 10))
    expect(stillRunning.running).toBe(true)
    expect(stillRunning.readAt).toBeGreaterThanOrEqual(before)
  })

  it('reads each line as a terminal shows it, so runs whose progress went by different steps match (marble)', () => {
    const ts = new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted))
    ts.run(({ cold, expectObservable }) => {
      const raw: Record<number, CompareLine[]> = {
        1: lines('fetch', 'dl 10%\rdl 50%\rdl 100%', '\u001b[32mok\u001b[0m'),
        2: lines('fetch', 'dl 30%\rdl 100%', 'partial 99%\rdone\u001b[K', '\u001b[32mok\u001b[0m'),
      }
      const readPage = (runId: number, from: number, count: number) => cold<LogPage>('-(p|)', { p: { lines: raw[runId]!.slice(from, from + count), totalLines: raw[runId]!.length, done: true } })
      const diff = (base: CompareLine[], target: CompareLine[], ignoreDigits: boolean) => of(diffLogs(base, target, ignoreDigits))
      const states = compareRuns$(1, 2, of(false), { readPage, diff }).pipe(map((state) => (state.phase === 'ready' ? listing(state.view).join(' | ') : state.phase)))
      expectObservable(states).toBe('r(cv|)', { r: 'reading', c: 'comparing', v: '  fetch |   dl 100% | + done |   \u001b[32mok\u001b[0m' })
    })
  })

  it('reads an empty log with one read', async () => {
    const { readPage, reads } = pagedLog([])
    expect(await lastOf(readForCompare$(readPage, 1, 25, 10))).toMatchObject({ lines: [], totalLines: 0, truncated: false, running: false })
    expect(reads).toHaveLength(1)
  })
})

function lastOf<T>(source: Observable<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    let value: T | undefined
    let seen = false
    source.subscribe({
      next: (v) => {
        value = v
        seen = true
      },
      error: reject,
      complete: () => (seen ? resolve(value as T) : reject(new Error('no value'))),
    })
  })
}

describe('compareRuns$', () => {
  const logs: Record<number, CompareLine[]> = { 1: lines('a', 'build 1', 'c'), 2: lines('a', 'build 2', 'c', 'd') }
  const phaseOf = (state: CompareState) => (state.phase === 'ready' ? `ready +${state.view.added} -${state.view.removed}` : state.phase)

  it('reads both logs, then diffs them again (without reading again) each time ignoreDigits changes, dropping a diff overtaken', () => {
    const ts = new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted))
    ts.run(({ cold, expectObservable }) => {
      let reads = 0
      const readPage = (runId: number, from: number, count: number) => {
        reads++
        const log = logs[runId] ?? []
        return cold<LogPage>('--(p|)', { p: { lines: log.slice(from, from + count), totalLines: log.length, done: true } })
      }
      // Each diff takes 3 frames (as a worker would). The option (a checkbox, replaying its value)
      // is subscribed once the logs are read, at 2; the diff started at 11 is overtaken at 12.
      const diff = (base: CompareLine[], target: CompareLine[], ignoreDigits: boolean) => cold('---(r|)', { r: diffLogs(base, target, ignoreDigits) })
      const ignoreDigits$ = cold('f----t---ft', { f: false, t: true })
      const states = compareRuns$(1, 2, ignoreDigits$, { readPage, diff }).pipe(map(phaseOf))
      expectObservable(states).toBe('r-c--a-c--bcc--b', { r: 'reading', c: 'comparing', a: 'ready +2 -1', b: 'ready +1 -0' })
      ts.flush()
      expect(reads).toBe(2)
    })
  })

  it('fails with the engine’s message when a read fails', () => {
    const ts = new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted))
    ts.run(({ cold, expectObservable }) => {
      const readPage = (runId: number) => (runId === 2 ? cold<LogPage>('-#', undefined, new Error('run 2 not found')) : cold<LogPage>('--(p|)', { p: { lines: [], totalLines: 0, done: true } }))
      const diff = () => of('tooManyEdits' as const)
      expectObservable(compareRuns$(1, 2, of(false), { readPage, diff })).toBe('r(f|)', { r: { phase: 'reading' }, f: { phase: 'failed', message: 'run 2 not found' } })
    })
  })

  it('a failed diff fails that diff only: changing ignoreDigits diffs again', () => {
    const ts = new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted))
    ts.run(({ cold, expectObservable }) => {
      const readPage = (runId: number) => cold<LogPage>('-(p|)', { p: { lines: logs[runId] ?? [], totalLines: logs[runId]?.length ?? 0, done: true } })
      let diffs = 0
      const diff = (base: CompareLine[], target: CompareLine[], ignoreDigits: boolean) =>
        diffs++ === 0 ? cold<ChangeRun[] | GiveUp>('-#', undefined, new Error('the diff worker failed')) : cold('-(r|)', { r: diffLogs(base, target, ignoreDigits) })
      const states = compareRuns$(1, 2, cold('f---t', { f: false, t: true }), { readPage, diff }).pipe(map((s) => (s.phase === 'failed' ? `failed: ${s.message}` : phaseOf(s))))
      expectObservable(states).toBe('rcf--ca', { r: 'reading', c: 'comparing', f: 'failed: the diff worker failed', a: 'ready +1 -0' })
    })
  })

  it('compares a run with itself without reading its log nor diffing', async () => {
    const { readPage, reads } = pagedLog(numbered(5))
    let diffs = 0
    const diff = () => {
      diffs++
      return of('tooManyEdits' as const)
    }
    expect(await lastOf(compareRuns$(3, 3, of(false), { readPage, diff }))).toEqual({ phase: 'sameRun' })
    expect({ reads: reads.length, diffs }).toEqual({ reads: 0, diffs: 0 })
  })

  it('says when the runs are too different to compare', () => {
    const ts = new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted))
    ts.run(({ cold, expectObservable }) => {
      const readPage = () => cold<LogPage>('(p|)', { p: { lines: [], totalLines: 0, done: true } })
      expectObservable(compareRuns$(1, 2, of(false), { readPage, diff: () => cold<ChangeRun[] | GiveUp>('----(n|)', { n: 'tooManyEdits' }) }).pipe(map((s) => s.phase))).toBe('(rc)(t|)', {
        r: 'reading',
        c: 'comparing',
        t: 'tooDifferent',
      })
    })
  })
})

describe('compareRuns$ when the diff worker cannot be used', () => {
  const logs: Record<number, CompareLine[]> = { 1: lines('a', 'build 1', 'c'), 2: lines('a', 'build 2', 'c', 'd') }
  const readPage = (runId: number) => of<LogPage>({ lines: logs[runId] ?? [], totalLines: logs[runId]?.length ?? 0, done: true })

  it('diffs on the page instead, and says why, for each diff the worker fails', () => {
    const ts = new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted))
    ts.run(({ cold, expectObservable }) => {
      const worker = () => cold<ChangeRun[] | GiveUp>('-#', undefined, new Error('Refused to create a worker'))
      // The worker fails 1 frame in; the page takes 4 more. The option changes at 7.
      const fallback = (base: CompareLine[], target: CompareLine[], ignoreDigits: boolean) => cold('----(r|)', { r: diffLogs(base, target, ignoreDigits) })
      const states = compareRuns$(1, 2, cold('f------t', { f: false, t: true }), { readPage, diff: worker, fallback }).pipe(
        map((s) => (s.phase === 'ready' ? `+${s.view.added} -${s.view.removed} on page: ${s.diffedOnPage}` : s.phase)),
      )
      expectObservable(states).toBe('(rc)-a-c----b', {
        r: 'reading',
        c: 'comparing',
        a: '+2 -1 on page: Refused to create a worker',
        b: '+1 -0 on page: Refused to create a worker',
      })
    })
  })

  it('says nothing of the page when the worker answered', async () => {
    const diff = (base: CompareLine[], target: CompareLine[]) => of(diffLogs(base, target, false))
    expect(await lastOf(compareRuns$(1, 2, of(false), { readPage, diff, fallback: diffOnPage }))).toMatchObject({ phase: 'ready', diffedOnPage: null })
  })

  it('gives the page’s answer, a diff or too different, with the worker’s error', async () => {
    const worker = () => throwError(() => new Error('no worker'))
    const onPage = await lastOf(compareRuns$(1, 2, of(false), { readPage, diff: worker, fallback: diffOnPage }))
    expect(onPage).toMatchObject({ phase: 'ready', diffedOnPage: 'no worker', view: { added: 2, removed: 1, changes: 2 } })
    const giveUp = () => of<GiveUp>('tooManyEdits')
    expect(await lastOf(compareRuns$(1, 2, of(false), { readPage, diff: worker, fallback: giveUp }))).toMatchObject({ phase: 'tooDifferent', reason: 'tooManyEdits', diffedOnPage: 'no worker' })
  })

  it('fails with the page’s own error when the page cannot diff either', async () => {
    const worker = () => throwError(() => new Error('no worker'))
    const fallback = () => throwError(() => new Error('out of memory'))
    expect(await lastOf(compareRuns$(1, 2, of(false), { readPage, diff: worker, fallback }))).toEqual({ phase: 'failed', message: 'out of memory' })
  })
})

describe('"Ignore digits" remembered', () => {
  const memory = () => {
    const items = new Map<string, string>()
    return { getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => void items.set(key, value) }
  }

  it('is off until chosen, then as last chosen', () => {
    const storage = memory()
    expect(rememberedIgnoreDigits(storage)).toBe(false)
    rememberIgnoreDigits(true, storage)
    expect(rememberedIgnoreDigits(storage)).toBe(true)
    rememberIgnoreDigits(false, storage)
    expect(rememberedIgnoreDigits(storage)).toBe(false)
  })

  it('is off when storage holds something else, cannot be read, or is missing; a failed write is no error', () => {
    const storage = memory()
    storage.setItem('taskdeck.compare.ignoreDigits', '{"yes":1}')
    expect(rememberedIgnoreDigits(storage)).toBe(false)
    const broken = {
      getItem: (): string | null => {
        throw new Error('SecurityError: storage is disabled')
      },
      setItem: () => {
        throw new Error('QuotaExceededError')
      },
    }
    expect(rememberedIgnoreDigits(broken)).toBe(false)
    expect(() => rememberIgnoreDigits(true, broken)).not.toThrow()
    expect(rememberedIgnoreDigits(undefined)).toBe(false)
  })
})

describe('the diff worker’s packing', () => {
  it('carries lines (empty ones, every stream, no lines at all) to the worker unchanged', () => {
    const log = [out('first'), out(''), err('boom'), { stream: 'system', text: 'exited' } as CompareLine, out('')]
    expect(unpackLog(packLog(log))).toEqual(log)
    expect(unpackLog(packLog([]))).toEqual([])
    expect(unpackLog(packLog([out('')]))).toEqual([out('')])
  })
})
