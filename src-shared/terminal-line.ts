/**
 * What a terminal shows of one line of output, as opposed to the bytes that were written.
 *
 * Progress output (curl, wget, pip, rsync --progress, ffmpeg, cargo) rewrites its line in place:
 * a carriage return moves the cursor to column 0 and the next text overwrites from there (a
 * shorter rewrite leaves the end of the longer text, as on a terminal), `ESC[K` erases to the end
 * of the line, `ESC[2K` the whole line. The log keeps the raw bytes (`taskdeck log` prints them for
 * the user's terminal to render); the log viewer, its search and copy, the run comparison and a
 * run's stderr tail show the line as a terminal would.
 *
 * Why hand-written: this is one line at a time, not a screen. The libraries that do it are full
 * terminal emulators (xterm's headless terminal: a fixed-width grid with scrollback and wrapping,
 * written to asynchronously) or do only part of it (escape-carriage is unaware of escape
 * sequences, so a colour code counts as text and ESC[K is not honoured; ansi-tokenize splits
 * colours from characters but knows no cursor). The model here is a row of cells with no right
 * margin: characters (East Asian wide ones take two cells, combining marks join the cell before),
 * each with the colours it was written in; the cursor moves by carriage return, backspace, tab and
 * the line-level cursor sequences (CHA `G`, CUF `C`, CUB `D`, HPA `` ` ``); erase in line (`K`) and
 * erase characters (`X`). Sequences that leave the line (cursor up or down, erase in display),
 * mode changes (hide cursor), window titles and other OSC strings are dropped: there is no screen
 * for them. The colours are kept as SGR codes, written once per run of equally coloured cells, so
 * `anser` draws them.
 *
 * A line with no control character other than tab, and no escape sequence other than colours, is
 * shown as written (the common case costs one scan).
 */

/** The text a terminal shows for one raw line (no newline in it), with its colours as SGR codes. */
export function terminalLine(raw: string): string {
  if (isPlain(raw)) return raw
  return render(raw, true)
}

/** The same line as plain text: what a search matches and a copy takes. */
export function terminalText(raw: string): string {
  if (isPlain(raw)) return raw.includes('\u001b') ? raw.replace(SGR_GLOBAL, '') : raw
  return render(raw, false)
}

// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const NEEDS_TERMINAL = /[\u0000-\u0008\u000a-\u001a\u001c-\u001f\u007f-\u009f]|\u001b(?!\[[0-9;]*m)/
// eslint-disable-next-line no-control-regex -- colour codes are removed for plain text
const SGR_GLOBAL = /\u001b\[[0-9;]*m/g

/** True when the raw text is what a terminal shows: no cursor movement, no erasing, only colours. */
export function isPlain(raw: string): boolean {
  return !NEEDS_TERMINAL.test(raw)
}

const TAB_STOP = 8
/** A cell covered by the wide character or tab before it. */
const COVERED = ''

interface Row {
  /** A cell's text (a character with its combining marks, '\t', or COVERED), or null: blank. */
  cells: (string | null)[]
  /** Each cell's colours as SGR parameters ('' for the default). */
  styles: string[]
  cursor: number
}

function render(raw: string, withStyles: boolean): string {
  return new TerminalLineState().write(raw).shown(withStyles)
}

/**
 * A line's terminal state, fed as the line grows: what `terminalLine` works out from a whole raw
 * line, built chunk by chunk, so a progress line rewritten with `\r` for hours costs each chunk's
 * length rather than the whole line's every time it is drawn. `write(a).write(b)` shows what
 * `write(a + b)` shows: an escape sequence or a surrogate pair cut at a chunk's end waits for the
 * rest (and is not shown until it comes, as a terminal waits for it).
 */
export class TerminalLineState {
  private readonly row: Row = { cells: [], styles: [], cursor: 0 }
  private readonly pen = new Pen()
  private saved = 0
  private joinNext = false
  /** The start of an escape sequence or a character cut at the last chunk's end. */
  private pending = ''

  write(chunk: string): this {
    const raw = this.pending + chunk
    this.pending = ''
    const { row, pen } = this
    for (let i = 0; i < raw.length; ) {
      const code = raw.codePointAt(i)!
      if (code === 0x1b) {
        const end = escapeEnd(raw, i)
        if (end === -1) {
          this.pending = raw.slice(i)
          return this
        }
        const sequence = raw.slice(i, end)
        if (sequence.startsWith('\u001b[')) control(row, pen, sequence)
        else if (sequence === '\u001b7') this.saved = row.cursor
        else if (sequence === '\u001b8') row.cursor = this.saved
        i = end
        this.joinNext = false
        continue
      }
      if (code >= 0xd800 && code <= 0xdbff && i === raw.length - 1) {
        // The first half of a surrogate pair: the second comes with the next chunk.
        this.pending = raw.slice(i)
        return this
      }
      const char = String.fromCodePoint(code)
      i += char.length
      if (code === 0x0d) row.cursor = 0
      else if (code === 0x08) row.cursor = Math.max(0, row.cursor - 1)
      else if (code === 0x09) tab(row)
      else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) continue
      else if (this.joinNext || isJoining(code)) {
        joinToPrevious(row, char)
        this.joinNext = code === 0x200d
      } else write(row, char, isWide(code) ? 2 : 1, pen.style)
    }
    return this
  }

  /** What a terminal shows now: with its colours as SGR codes (`terminalLine`), or plain (`terminalText`). */
  shown(withStyles = true): string {
    return serialise(this.row, withStyles)
  }
}

/**
 * Where the escape sequence starting at `at` ends, or -1 when the text ends before it does (an
 * unfinished sequence: a later chunk may finish it; a whole line's text shows nothing of it).
 */
function escapeEnd(raw: string, at: number): number {
  const kind = raw[at + 1]
  if (kind === undefined) return -1
  if (kind === '[') {
    // CSI: parameter bytes, intermediate bytes, one final byte.
    let i = at + 2
    while (i < raw.length && raw.charCodeAt(i) >= 0x20 && raw.charCodeAt(i) <= 0x3f) i++
    return i < raw.length ? i + 1 : -1
  }
  if (kind === ']' || kind === 'P' || kind === '_' || kind === '^' || kind === 'X') {
    // A string (OSC, DCS, APC, PM, SOS): up to BEL or ST (ESC \).
    for (let i = at + 2; i < raw.length; i++) {
      if (raw[i] === '\u0007') return i + 1
      if (raw[i] === '\u001b' && raw[i + 1] === '\\') return i + 2
    }
    return -1
  }
  // ESC, intermediates, one final character (ESC 7, ESC ( B, …).
  let i = at + 1
  while (i < raw.length && raw.charCodeAt(i) >= 0x20 && raw.charCodeAt(i) <= 0x2f) i++
  return i < raw.length ? i + 1 : -1
}

/** Applies one CSI sequence (`ESC [ … final`) that acts within the line; others are dropped. */
function control(row: Row, pen: Pen, sequence: string): void {
  const final = sequence[sequence.length - 1]
  const body = sequence.slice(2, -1)
  // Private (`ESC[?25l`) and intermediate-byte sequences are modes and such, not text.
  if (!/^[0-9;:]*$/.test(body)) return
  const n = (fallback: number) => {
    const value = Number.parseInt(body.split(';')[0] ?? '', 10)
    return Number.isNaN(value) || value === 0 ? fallback : value
  }
  switch (final) {
    case 'm':
      pen.apply(body)
      return
    case 'K': {
      const mode = n(0)
      if (mode === 0) erase(row, row.cursor, row.cells.length)
      else if (mode === 1) erase(row, 0, row.cursor + 1)
      else if (mode === 2) erase(row, 0, row.cells.length)
      return
    }
    case 'X':
      erase(row, row.cursor, row.cursor + n(1))
      return
    case 'G':
    case '`':
      row.cursor = n(1) - 1
      return
    case 'C':
      row.cursor += n(1)
      return
    case 'D':
      row.cursor = Math.max(0, row.cursor - n(1))
      return
  }
}

/** Blanks cells [from, to); a wide character or tab cut in two is blanked whole. */
function erase(row: Row, from: number, to: number): void {
  const end = Math.min(to, row.cells.length)
  if (from >= end) return
  breakAt(row, from)
  breakAt(row, end)
  for (let i = from; i < end; i++) {
    row.cells[i] = null
    row.styles[i] = ''
  }
  trimBlanks(row)
}

/** If cell `at` is covered by a character starting before it, blanks that character's cells. */
function breakAt(row: Row, at: number): void {
  if (row.cells[at] !== COVERED) return
  let start = at
  while (start > 0 && row.cells[start] === COVERED) start--
  for (let i = start; i < row.cells.length && (i === start || row.cells[i] === COVERED); i++) {
    row.cells[i] = null
    row.styles[i] = ''
  }
}

function trimBlanks(row: Row): void {
  let length = row.cells.length
  while (length > 0 && row.cells[length - 1] === null) length--
  row.cells.length = length
  row.styles.length = length
}

function write(row: Row, char: string, width: 1 | 2, style: string): void {
  const at = row.cursor
  while (row.cells.length < at) {
    row.cells.push(null)
    row.styles.push('')
  }
  // A character written over part of a wide one (or a tab) blanks the rest of it, as a terminal does.
  breakAt(row, at)
  breakAt(row, at + width)
  for (let i = at; i < at + width; i++) {
    row.cells[i] = i === at ? char : COVERED
    row.styles[i] = style
  }
  row.cursor = at + width
}

/** A tab moves to the next stop; past the end of the text it is kept as a tab (a copy keeps the columns of a table). */
function tab(row: Row): void {
  const stop = (Math.floor(row.cursor / TAB_STOP) + 1) * TAB_STOP
  if (row.cursor >= row.cells.length) {
    while (row.cells.length < row.cursor) {
      row.cells.push(null)
      row.styles.push('')
    }
    for (let i = row.cursor; i < stop; i++) {
      row.cells.push(i === row.cursor ? '\t' : COVERED)
      row.styles.push('')
    }
  }
  row.cursor = stop
}

function joinToPrevious(row: Row, char: string): void {
  let at = row.cursor - 1
  while (at > 0 && row.cells[at] === COVERED) at--
  const cell = at >= 0 ? row.cells[at] : undefined
  if (cell) row.cells[at] = cell + char
}

/** Combining marks, zero-width joiner and variation selectors: they belong to the character before. */
function isJoining(code: number): boolean {
  return code >= 0x300 && (code === 0x200d || (code >= 0xfe00 && code <= 0xfe0f) || COMBINING.test(String.fromCodePoint(code)))
}
const COMBINING = /^\p{M}$/u

/** East Asian wide and fullwidth characters and emoji take two columns on a terminal (the main blocks). */
function isWide(code: number): boolean {
  if (code < 0x1100) return false
  for (let i = 0; i < WIDE.length; i += 2) {
    if (code < WIDE[i]!) return false
    if (code <= WIDE[i + 1]!) return true
  }
  return false
}
const WIDE = [
  0x1100, 0x115f, 0x2e80, 0x303e, 0x3041, 0x33ff, 0x3400, 0x4dbf, 0x4e00, 0x9fff, 0xa000, 0xa4cf, 0xa960, 0xa97f, 0xac00, 0xd7a3, 0xf900, 0xfaff, 0xfe10, 0xfe19,
  0xfe30, 0xfe6f, 0xff00, 0xff60, 0xffe0, 0xffe6, 0x1f300, 0x1f64f, 0x1f680, 0x1f6ff, 0x1f900, 0x1f9ff, 0x1fa70, 0x1faff, 0x20000, 0x2fffd, 0x30000, 0x3fffd,
]

function serialise(row: Row, withStyles: boolean): string {
  let out = ''
  let current = ''
  for (let i = 0; i < row.cells.length; i++) {
    const cell = row.cells[i]
    if (cell === COVERED) continue
    const style = cell === null ? '' : row.styles[i]!
    if (withStyles && style !== current) {
      out += style === '' ? '\u001b[0m' : `\u001b[0;${style}m`
      current = style
    }
    out += cell ?? ' '
  }
  if (withStyles && current !== '') out += '\u001b[0m'
  return out
}

/** The current colours and attributes (SGR), kept as state so a cell's style is written once, however many codes set it. */
class Pen {
  private attributes = new Set<number>()
  private foreground: string | null = null
  private background: string | null = null
  /** The state as SGR parameters, '' for the default. */
  style = ''

  apply(body: string): void {
    const params = body === '' ? ['0'] : body.split(';')
    for (let i = 0; i < params.length; i++) {
      // A sub-parameter (4:3, a curly underline) counts as its main code; colours with colons are not understood.
      const param = params[i]!
      const code = Number.parseInt(param === '' ? '0' : param.split(':')[0]!, 10)
      if (param.includes(':') && code !== 4) continue
      if (code === 0) {
        this.attributes.clear()
        this.foreground = this.background = null
      } else if (code >= 1 && code <= 9) this.attributes.add(code === 6 ? 5 : code)
      else if (code === 21) this.attributes.delete(1)
      else if (code === 22) {
        this.attributes.delete(1)
        this.attributes.delete(2)
      } else if (code >= 23 && code <= 29) this.attributes.delete(code - 20)
      else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) this.foreground = String(code)
      else if (code === 39) this.foreground = null
      else if ((code >= 40 && code <= 47) || (code >= 100 && code <= 107)) this.background = String(code)
      else if (code === 49) this.background = null
      else if (code === 38 || code === 48) {
        const mode = params[i + 1]
        const take = mode === '5' ? 2 : mode === '2' ? 4 : 0
        if (take === 0 || i + take >= params.length) {
          i = params.length
          continue
        }
        const colour = [String(code), ...params.slice(i + 1, i + 1 + take)].join(';')
        if (code === 38) this.foreground = colour
        else this.background = colour
        i += take
      }
    }
    this.style = [...[...this.attributes].sort((a, b) => a - b).map(String), ...(this.foreground ? [this.foreground] : []), ...(this.background ? [this.background] : [])].join(';')
  }
}
