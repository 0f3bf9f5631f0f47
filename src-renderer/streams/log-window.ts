import { BehaviorSubject, type Observable } from 'rxjs'
import type { ApiError, CommandInput, CommandResult, LogLine, LogStream, Result, RunOutput } from '../../src-shared/index.ts'
import { isPlain, TerminalLineState, terminalText } from '../../src-shared/terminal-line.ts'

export type { RunOutput }
type ReadLog = (params: CommandInput<'run.readLog'>) => Promise<Result<CommandResult<'run.readLog'>>>

export const PAGE_LINES = 500
const MAX_CACHED_PAGES = 200

/** A line as the viewer shows it: `text` is what a terminal shows (carriage returns and erases applied), with its colours as SGR codes. */
export interface LogLineView {
  stream: LogStream
  text: string
}

/**
 * A line as held: its raw text (what run.readLog returns and live chunks add to), and the view
 * worked out from it when first drawn. The raw text is kept, not the view, because a line still
 * being written continues from the terminal's cursor, which the shown text no longer knows
 * ("abc\rX" shows "Xbc" with the cursor at column 1: "Y" next makes "XYc", not "XbcY").
 */
interface HeldLine {
  stream: LogStream
  raw: string
  view?: LogLineView
  /**
   * For a line a terminal has work to do on (a `\r`, an erase), its terminal state fed with
   * `raw` up to `fed`: a line grown by live output carries it over and feeds it only what was
   * added, so a progress line rewritten for hours costs each chunk, not the whole line, when drawn.
   */
  terminal?: { state: TerminalLineState; fed: number }
}

/** The line as a terminal shows it, with colours (`withStyles`) or plain. */
function shown(held: HeldLine, withStyles: boolean): string {
  if (!held.terminal) {
    if (isPlain(held.raw)) return withStyles ? held.raw : terminalText(held.raw)
    held.terminal = { state: new TerminalLineState(), fed: 0 }
  }
  const terminal = held.terminal
  if (terminal.fed < held.raw.length) {
    terminal.state.write(held.raw.slice(terminal.fed))
    terminal.fed = held.raw.length
  }
  return terminal.state.shown(withStyles)
}

/**
 * A window onto one run's log: pages of lines fetched with run.readLog as they scroll into
 * view, plus live output appended as it arrives. It never holds the whole log, so a run
 * with ten million lines costs what the screen shows. `version$` ticks when lines change.
 * Live output of a fast run comes coalesced to its tail (`skippedFrom` marks the lines the
 * server left out); those lines are simply not held, and are read when scrolled into view.
 * Lines are shown as a terminal shows them (src-shared/terminal-line.ts): a progress line rewritten
 * with carriage returns shows its latest state, also while it is still being written.
 */
export class LogWindow {
  private readonly pages = new Map<number, (HeldLine | undefined)[]>()
  private readonly loading = new Set<number>()
  private readonly readLog: ReadLog
  private readonly runId: number
  private total: number
  private readonly versionSubject = new BehaviorSubject(0)
  private failure: ApiError | null = null
  /** The line the last live chunk left unfinished (no newline yet), if any. */
  private openLine: number | null = null
  /** The lines in view (set by ensure), which live output keeps current. */
  private wantedFrom = 0
  private wantedTo = 0
  readonly version$: Observable<number> = this.versionSubject.asObservable()

  constructor(runId: number, knownLines: number, readLog: ReadLog) {
    this.runId = runId
    this.total = knownLines
    this.readLog = readLog
  }

  get totalLines(): number {
    return this.total
  }

  /** The engine's answer when the last read failed (the UI says it with sayRefusal), else null. */
  get error(): ApiError | null {
    return this.failure
  }

  line(n: number): LogLineView | undefined {
    const held = this.pages.get(Math.floor(n / PAGE_LINES))?.[n % PAGE_LINES]
    if (!held) return undefined
    held.view ??= { stream: held.stream, text: shown(held, true) }
    return held.view
  }

  /** A line's shown text without colour codes (what a copy takes), if held. */
  plainText(n: number): string | undefined {
    const held = this.pages.get(Math.floor(n / PAGE_LINES))?.[n % PAGE_LINES]
    return held && shown(held, false)
  }

  /** Makes sure lines [from, to) are loaded or loading. */
  ensure(from: number, to: number): void {
    this.wantedFrom = from
    this.wantedTo = to
    const end = Math.min(to, this.total)
    const first = Math.floor(Math.max(0, from) / PAGE_LINES)
    const last = Math.floor(Math.max(0, end - 1) / PAGE_LINES)
    for (let page = first; page <= last; page++) {
      if (this.loading.has(page)) continue
      // Only the wanted lines count: a followed fast run holds its newest lines, not whole pages.
      const lines = this.pages.get(page)
      let missing = lines === undefined
      for (let n = Math.max(from, page * PAGE_LINES); lines && !missing && n < Math.min(end, (page + 1) * PAGE_LINES); n++) missing = lines[n % PAGE_LINES] === undefined
      if (missing) void this.load(page)
    }
    this.evict(first, last)
  }

  /**
   * Live output may have been lost on the way (a resync or reconnect): forget what is held
   * and read the length and the lines in view again.
   */
  resync(): Promise<void> {
    this.pages.clear()
    this.openLine = null
    this.bump()
    return this.refresh()
  }

  /** Reads the log's current length from the engine (for a run opened after output began). */
  async refresh(): Promise<void> {
    const result = await this.readLog({ runId: this.runId, fromLine: Math.max(0, this.total - 1), count: 1 })
    if (result.ok) this.setTotal(Math.max(this.total, result.value.totalLines))
    else this.fail(result.error)
  }

  /**
   * Applies a live chunk. `line` is the line the chunk starts or continues. A chunk can
   * overlap what run.readLog already returned (the read happened after the bytes were
   * written but before their event arrived); such a repeat is recognised and not doubled.
   */
  append(chunk: RunOutput): void {
    if (chunk.runId !== this.runId) return
    if (chunk.skippedFrom !== undefined) this.skip(chunk.skippedFrom, chunk.line)
    const text = chunk.text
    let newlines = 0
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) newlines++
    const segments = newlines + (text.endsWith('\n') ? 0 : 1)
    const end = chunk.line + segments
    const total = Math.max(this.total, end)
    // Only lines someone can see become objects: the tail (follow) and the window in view.
    // A firehose far from both costs a scan for newlines, not ten million allocations.
    const tailFrom = total - PAGE_LINES
    let from = 0
    for (let i = 0; i < segments; i++) {
      const stop = text.indexOf('\n', from)
      const n = chunk.line + i
      if (n >= tailFrom || (n >= this.wantedFrom && n < this.wantedTo)) {
        const part = stop === -1 ? text.slice(from) : text.slice(from, stop)
        this.writeLive(n, i === 0 ? (chunk.skippedFrom === undefined ? 'continues' : 'starts') : 'whole', part, chunk.stream)
      } else {
        // A held copy of this line is now out of date: leave a hole, so it is read again.
        const page = this.pages.get(Math.floor(n / PAGE_LINES))
        if (page) page[n % PAGE_LINES] = undefined
      }
      from = stop + 1
    }
    this.openLine = text.endsWith('\n') ? null : end - 1
    this.setTotal(total)
  }

  /**
   * Lines [from, to) were left out of the live stream. Complete lines held from earlier
   * reads stay; the one that may have been unfinished (the last known line, or the open
   * live line) becomes a hole, read again when in view.
   */
  private skip(from: number, to: number) {
    const lastKnown = this.openLine ?? this.total - 1
    this.openLine = null
    if (lastKnown >= from && lastKnown < to) {
      const page = this.pages.get(Math.floor(lastKnown / PAGE_LINES))
      if (page) page[lastKnown % PAGE_LINES] = undefined
    }
  }

  /**
   * `continues`: the chunk's first part, which may continue the line; `starts`: a first part
   * known to begin the line (after a gap); `whole`: any later part.
   */
  private writeLive(n: number, position: 'continues' | 'starts' | 'whole', part: string, stream: LogStream) {
    const pageIndex = Math.floor(n / PAGE_LINES)
    let page = this.pages.get(pageIndex)
    if (!page) {
      page = []
      this.pages.set(pageIndex, page)
    }
    const existing = page[n % PAGE_LINES]
    let raw = part
    let grown = false
    if (existing && position === 'starts') {
      // A read of this line made after it grew further is the newer copy.
      if (existing.raw.startsWith(part)) raw = existing.raw
    } else if (existing) {
      const startsChunk = position === 'continues'
      if (startsChunk && this.openLine === n) [raw, grown] = [existing.raw + part, true]
      else if (existing.raw === part || existing.raw.endsWith(part)) raw = existing.raw
      else if (startsChunk) [raw, grown] = [existing.raw + part, true]
    }
    if (existing?.raw === raw && existing.stream === stream) return
    // A line that only grew keeps its terminal state, which is fed just the part added when drawn.
    page[n % PAGE_LINES] = grown && existing?.stream === stream && existing.terminal ? { stream, raw, terminal: existing.terminal } : { stream, raw }
  }

  private setTotal(total: number) {
    this.total = total
    this.bump()
  }

  private async load(page: number) {
    this.loading.add(page)
    try {
      const result = await this.readLog({ runId: this.runId, fromLine: page * PAGE_LINES, count: PAGE_LINES })
      if (!result.ok) return this.fail(result.error)
      const lines = this.pages.get(page) ?? []
      for (const line of result.value.lines) writeLine(lines, page, line)
      this.pages.set(page, lines)
      this.failure = null
      if (result.value.totalLines > this.total) this.total = result.value.totalLines
      this.bump()
    } finally {
      this.loading.delete(page)
    }
  }

  private evict(first: number, last: number) {
    if (this.pages.size <= MAX_CACHED_PAGES) return
    for (const page of this.pages.keys()) {
      if (page < first - 20 || page > last + 20) this.pages.delete(page)
      if (this.pages.size <= MAX_CACHED_PAGES / 2) break
    }
  }

  private fail(error: ApiError) {
    this.failure = error
    this.bump()
  }

  private bump() {
    this.versionSubject.next(this.versionSubject.value + 1)
  }
}

/** Keeps a line already grown further by live output over an older read of it. */
function writeLine(lines: (HeldLine | undefined)[], page: number, line: LogLine) {
  const index = line.n - page * PAGE_LINES
  const existing = lines[index]
  if (existing && existing.raw.length >= line.text.length) return
  lines[index] = { stream: line.stream, raw: line.text }
}

/** Case-insensitive search of the lines' shown text (what a terminal shows, without colour codes), used to find the next match. */
export async function findInLog(
  readLog: ReadLog,
  runId: number,
  needle: string,
  fromLine: number,
  totalLines: number,
  direction: 1 | -1,
  signal?: AbortSignal,
): Promise<number | null> {
  const lower = needle.toLowerCase()
  if (!lower || totalLines === 0) return null
  const chunk = 5000
  let scanned = 0
  let cursor = fromLine
  while (scanned < totalLines) {
    if (signal?.aborted) return null
    const start = direction === 1 ? cursor : Math.max(0, cursor - chunk + 1)
    const count = Math.min(chunk, direction === 1 ? totalLines - start : cursor - start + 1)
    if (count <= 0) {
      cursor = direction === 1 ? 0 : totalLines - 1
      continue
    }
    const result = await readLog({ runId, fromLine: start, count })
    if (!result.ok) return null
    const lines = direction === 1 ? result.value.lines : [...result.value.lines].reverse()
    for (const line of lines) if (terminalText(line.text).toLowerCase().includes(lower)) return line.n
    scanned += count
    cursor = direction === 1 ? start + count : start - 1
    if (cursor >= totalLines) cursor = 0
    if (cursor < 0) cursor = totalLines - 1
  }
  return null
}
