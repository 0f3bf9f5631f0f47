import { terminalText } from '../../src-shared/terminal-line.ts'

/**
 * The caps of `Run.stderrTail`: the last `lines` non-empty lines, at most `bytes` of UTF-8,
 * read from the last `windowBytes` the run wrote on stderr (room for colour codes and a
 * partial first line). A run that writes gigabytes of stderr costs one copy of at most
 * `windowBytes` per chunk and `windowBytes` of memory.
 */
export const STDERR_TAIL = { lines: 5, bytes: 1024, windowBytes: 8 * 1024 } as const

const ELLIPSIS = '…'

/** The last bytes a run wrote on one stream, in a fixed ring: nothing is kept beyond the window, however much is written. */
export class StreamTail {
  private readonly ring: Buffer
  /** Bytes written in all; the ring holds the last min(written, size). */
  private written = 0

  constructor(windowBytes: number = STDERR_TAIL.windowBytes) {
    this.ring = Buffer.allocUnsafe(windowBytes)
  }

  push(chunk: Uint8Array): void {
    const size = this.ring.length
    const part = chunk.length > size ? chunk.subarray(chunk.length - size) : chunk
    const at = (this.written + chunk.length - part.length) % size
    const first = Math.min(part.length, size - at)
    this.ring.set(part.subarray(0, first), at)
    if (first < part.length) this.ring.set(part.subarray(first), 0)
    this.written += chunk.length
  }

  /** The window's bytes in order, and whether earlier bytes were let go. */
  bytes(): { bytes: Buffer; cut: boolean } {
    const size = this.ring.length
    if (this.written <= size) return { bytes: this.ring.subarray(0, this.written), cut: false }
    const at = this.written % size
    return { bytes: Buffer.concat([this.ring.subarray(at), this.ring.subarray(0, at)]), cut: true }
  }

  /** The tail as `Run.stderrTail` keeps it; null when nothing worth showing was written. */
  text(): string | null {
    const { bytes, cut } = this.bytes()
    return tailText(bytes, cut)
  }
}

/**
 * The last non-empty lines of `bytes` as one clean text: each line as a terminal shows it, as the
 * log viewer shows it (src-shared/terminal-line.ts: a line rewritten with \r or erased with ESC[K
 * is what was left on it; colours, OSC links and other control characters gone), tabs made spaces. `cut`: bytes before these were let go, so the
 * first line may be partial and is dropped (unless it is the only one).
 */
export function tailText(bytes: Uint8Array, cut: boolean, caps: { lines: number; bytes: number } = STDERR_TAIL): string | null {
  let text = new TextDecoder('utf-8').decode(bytes)
  if (cut) {
    const newline = text.indexOf('\n')
    // A window without a newline is part of one long line: keep it, marked as cut at its start.
    text = newline >= 0 && newline < text.length - 1 ? text.slice(newline + 1) : `${ELLIPSIS}${text.replace(/^\uFFFD+/, '')}`
  }
  const lines: string[] = []
  const raw = text.split('\n')
  for (let i = raw.length - 1; i >= 0 && lines.length < caps.lines; i--) {
    const line = cleanLine(raw[i]!)
    if (line !== '') lines.unshift(line)
  }
  return lines.length === 0 ? null : fitBytes(lines, caps.bytes)
}

function cleanLine(line: string): string {
  return terminalText(line).replace(/\t/g, ' ').trimEnd()
}

/** The newest lines that fit in `max` bytes; the last line alone too long keeps its start, cut at a character and marked. */
function fitBytes(lines: readonly string[], max: number): string {
  const kept: string[] = []
  let used = 0
  for (let i = lines.length - 1; i >= 0; i--) {
    const size = Buffer.byteLength(lines[i]!) + (kept.length > 0 ? 1 : 0)
    if (used + size > max) break
    kept.unshift(lines[i]!)
    used += size
  }
  if (kept.length > 0) return kept.join('\n')
  return cutToBytes(lines.at(-1)!, max - Buffer.byteLength(ELLIPSIS)) + ELLIPSIS
}

/** The longest start of `text` of at most `max` UTF-8 bytes, whole code points only. */
function cutToBytes(text: string, max: number): string {
  let used = 0
  let end = 0
  for (const char of text) {
    const size = Buffer.byteLength(char)
    if (used + size > max) break
    used += size
    end += char.length
  }
  return text.slice(0, end)
}
