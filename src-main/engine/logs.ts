import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { TextDecoder } from 'node:util'
import { writeFileAtomicSync } from './atomic-file.ts'
import type { LogLine, LogStream } from '../../src-shared/index.ts'

/**
 * Per-run logs. A log is made of parts; each part is a pair of files: `.log` holds the
 * bytes exactly as the run wrote them (binary stays binary) and `.idx` holds one
 * fixed-width record per line (byte offset + stream), so any window of lines is found by
 * arithmetic and read without touching the rest.
 *
 * A line ends at "\n", or where the other stream takes over (stdout and stderr
 * interleave in one file). Line numbers never change once given.
 *
 * Under the cap there is one part, `<run>.log` / `<run>.idx`. Past half the cap the head
 * part is full and the output goes to tail segments (`<run>.seg<k>.log/.idx`); when the
 * tail exceeds the other half, its oldest segment is deleted and its bytes and lines are
 * counted as dropped. `<run>.parts.json` then lists the parts. Parts end at line ends
 * where they can; only a line longer than a part's slack is split in two.
 */
const RECORD_BYTES = 8
const STREAM_CODES: readonly LogStream[] = ['stdout', 'stderr', 'system']
const NEWLINE = 10
const MIN_SEGMENT_BYTES = 64 * 1024

interface Part {
  name: string
  firstLine: number
  lines: number
  bytes: number
}

interface Manifest {
  head: Part
  segments: Part[]
  droppedBytes: number
  droppedLines: number
  capBytes: number
}

const partPaths = (dir: string, name: string) => ({ log: join(dir, `${name}.log`), index: join(dir, `${name}.idx`) })
const manifestPath = (dir: string, runId: number) => join(dir, `${runId}.parts.json`)

/** The files of a run's head part (all of its log when under the cap). */
export function logPaths(dir: string, runId: number): { log: string; index: string } {
  return partPaths(dir, String(runId))
}

function encodeRecord(target: Buffer, at: number, offset: number, stream: LogStream): void {
  target.writeUIntLE(offset, at, 6)
  target[at + 6] = STREAM_CODES.indexOf(stream)
  target[at + 7] = 0
}

class PartWriter {
  readonly part: Part
  private readonly paths: { log: string; index: string }
  private logFd: number | null = null
  private indexFd: number | null = null

  constructor(dir: string, part: Part) {
    this.part = part
    this.paths = partPaths(dir, part.name)
  }

  /** Writes bytes and the offsets (within this part) of the lines they start. */
  write(chunk: Uint8Array, lineStarts: readonly number[], stream: LogStream): void {
    if (this.logFd === null) {
      this.logFd = openSync(this.paths.log, 'a', 0o600)
      this.indexFd = openSync(this.paths.index, 'a', 0o600)
    }
    writeSync(this.logFd, chunk)
    if (lineStarts.length > 0) {
      const buffer = Buffer.allocUnsafe(lineStarts.length * RECORD_BYTES)
      lineStarts.forEach((offset, i) => encodeRecord(buffer, i * RECORD_BYTES, offset, stream))
      writeSync(this.indexFd!, buffer)
    }
    this.part.bytes += chunk.length
    this.part.lines += lineStarts.length
  }

  close(): void {
    if (this.logFd !== null) closeSync(this.logFd)
    if (this.indexFd !== null) closeSync(this.indexFd)
    this.logFd = this.indexFd = null
  }

  remove(): void {
    this.close()
    rmSync(this.paths.log, { force: true })
    rmSync(this.paths.index, { force: true })
  }
}

export class RunLogWriter {
  private readonly dir: string
  private readonly runId: number
  private readonly headLimit: number
  private readonly tailLimit: number
  private readonly segmentLimit: number
  private readonly head: PartWriter
  private readonly segments: PartWriter[] = []
  private nextSegment = 0
  private lastStream: LogStream | null = null
  private atLineStart = true
  /** Lines started so far (the last may still be open), dropped ones included. */
  lines = 0
  /** Bytes the run wrote, dropped ones included. */
  bytes = 0
  droppedBytes = 0
  private droppedLines = 0

  constructor(dir: string, runId: number, capBytes = Number.MAX_SAFE_INTEGER) {
    this.dir = dir
    this.runId = runId
    this.headLimit = Math.floor(capBytes / 2)
    this.tailLimit = capBytes - this.headLimit
    this.segmentLimit = Math.max(MIN_SEGMENT_BYTES, Math.floor(this.tailLimit / 4))
    this.head = new PartWriter(dir, { name: String(runId), firstLine: 0, lines: 0, bytes: 0 })
  }

  /**
   * A writer that continues a run's existing log (a run adopted after a restart): line
   * numbers, sizes, tail segments and the open last line carry on where they stopped.
   */
  static resume(dir: string, runId: number, capBytes = Number.MAX_SAFE_INTEGER): RunLogWriter {
    const writer = new RunLogWriter(dir, runId, capBytes)
    const { parts, droppedBytes, droppedLines } = readParts(dir, runId)
    const [head, ...segments] = parts
    if (!head) return writer
    writer.head.part.lines = head.lines
    writer.head.part.bytes = head.bytes
    for (const segment of segments) writer.segments.push(new PartWriter(dir, { ...segment }))
    const last = parts[parts.length - 1]!
    writer.nextSegment = segments.length === 0 ? 0 : Number(last.name.slice(last.name.lastIndexOf('seg') + 3)) + 1
    writer.lines = last.firstLine + last.lines
    writer.bytes = parts.reduce((sum, p) => sum + p.bytes, 0) + droppedBytes
    writer.droppedBytes = droppedBytes
    writer.droppedLines = droppedLines
    const tail = lastLineState(dir, last)
    writer.lastStream = tail.stream
    writer.atLineStart = tail.atLineStart
    return writer
  }

  private get capBytes(): number {
    return this.headLimit + this.tailLimit
  }

  /** Appends a chunk; returns the number of the line it starts or continues. */
  write(stream: LogStream, chunk: Uint8Array): number {
    const continues = !this.atLineStart && stream === this.lastStream
    const firstLine = continues ? this.lines - 1 : this.lines
    if (chunk.length === 0) return firstLine
    let lineStart = !continues
    let from = 0
    while (from < chunk.length) {
      const { writer, room, untilNewline, fresh } = this.target(lineStart)
      if (fresh) lineStart = true
      let end = Math.min(chunk.length, from + room)
      if (untilNewline) {
        const newline = chunk.indexOf(NEWLINE, from)
        if (newline >= 0 && newline < end) end = newline + 1
      }
      const piece = chunk.subarray(from, end)
      const starts: number[] = []
      for (let i = 0; i < piece.length; i++) {
        if (lineStart) {
          starts.push(writer.part.bytes + i)
          lineStart = false
        }
        if (piece[i] === NEWLINE) lineStart = true
      }
      writer.write(piece, starts, stream)
      this.lines += starts.length
      from = end
    }
    this.atLineStart = lineStart
    this.lastStream = stream
    this.bytes += chunk.length
    return firstLine
  }

  /**
   * Where the next bytes go and how many fit. A full part still takes the rest of an open
   * line (up to a slack), so parts end at line ends and lines are rarely split.
   */
  private target(lineStart: boolean): { writer: PartWriter; room: number; untilNewline: boolean; fresh: boolean } {
    const fits = (writer: PartWriter, limit: number) => {
      if (writer.part.bytes < limit) return { writer, room: limit - writer.part.bytes, untilNewline: false, fresh: false }
      const slack = Math.floor(limit / 4)
      if (!lineStart && writer.part.bytes < limit + slack) return { writer, room: limit + slack - writer.part.bytes, untilNewline: true, fresh: false }
      return null
    }
    const inHead = this.segments.length === 0 ? fits(this.head, this.headLimit) : null
    if (inHead) return inHead
    const current = this.segments[this.segments.length - 1]
    const inCurrent = current ? fits(current, this.segmentLimit) : null
    if (inCurrent) return inCurrent
    const segment = new PartWriter(this.dir, { name: `${this.runId}.seg${this.nextSegment++}`, firstLine: this.lines, lines: 0, bytes: 0 })
    this.segments.push(segment)
    let tailBytes = this.segments.reduce((sum, s) => sum + s.part.bytes, 0)
    while (this.segments.length > 1 && tailBytes + this.segmentLimit > this.tailLimit) {
      const oldest = this.segments.shift()!
      tailBytes -= oldest.part.bytes
      this.droppedBytes += oldest.part.bytes
      this.droppedLines += oldest.part.lines
      oldest.remove()
    }
    this.writeManifest()
    return { writer: segment, room: this.segmentLimit, untilNewline: false, fresh: true }
  }

  private writeManifest(): void {
    const manifest: Manifest = {
      head: { ...this.head.part },
      segments: this.segments.map((s) => ({ ...s.part })),
      droppedBytes: this.droppedBytes,
      droppedLines: this.droppedLines,
      capBytes: this.capBytes,
    }
    const path = manifestPath(this.dir, this.runId)
    writeFileAtomicSync(path, JSON.stringify(manifest), { mode: 0o600 })
  }

  close(): void {
    if (this.segments.length > 0) this.writeManifest()
    this.head.close()
    for (const segment of this.segments) segment.close()
  }
}

export interface LogWindow {
  lines: LogLine[]
  totalLines: number
  /** Bytes that were dropped from the middle by the cap. */
  droppedBytes: number
  /** Bytes on disk (head and tail). */
  storedBytes: number
}

const decoder = new TextDecoder('utf-8')

/** The parts of a run's log as they are on disk (segment sizes read from the files, which may be ahead of the manifest). */
function readParts(dir: string, runId: number): { parts: Part[]; droppedBytes: number; droppedLines: number; capBytes: number } {
  const headPaths = logPaths(dir, runId)
  const sized = (part: Part): Part => {
    const paths = partPaths(dir, part.name)
    return { ...part, lines: Math.floor(sizeOf(paths.index) / RECORD_BYTES), bytes: sizeOf(paths.log) }
  }
  if (!existsSync(manifestPath(dir, runId))) {
    if (!existsSync(headPaths.index)) return { parts: [], droppedBytes: 0, droppedLines: 0, capBytes: 0 }
    return { parts: [sized({ name: String(runId), firstLine: 0, lines: 0, bytes: 0 })], droppedBytes: 0, droppedLines: 0, capBytes: 0 }
  }
  const manifest = JSON.parse(readFileSync(manifestPath(dir, runId), 'utf8')) as Manifest
  return {
    parts: [sized(manifest.head), ...manifest.segments.map(sized)],
    droppedBytes: manifest.droppedBytes,
    droppedLines: manifest.droppedLines,
    capBytes: manifest.capBytes,
  }
}

function sizeOf(path: string): number {
  try {
    const fd = openSync(path, 'r')
    try {
      return fstatSync(fd).size
    } finally {
      closeSync(fd)
    }
  } catch {
    return 0
  }
}

/** The stream of a part's last line and whether that line is complete (ends with a newline). */
function lastLineState(dir: string, part: Part): { stream: LogStream | null; atLineStart: boolean } {
  if (part.lines === 0 || part.bytes === 0) return { stream: null, atLineStart: true }
  const paths = partPaths(dir, part.name)
  const byte = Buffer.alloc(RECORD_BYTES)
  const indexFd = openSync(paths.index, 'r')
  try {
    readSync(indexFd, byte, 0, RECORD_BYTES, (part.lines - 1) * RECORD_BYTES)
  } finally {
    closeSync(indexFd)
  }
  const stream = STREAM_CODES[byte[6]!] ?? null
  const logFd = openSync(paths.log, 'r')
  try {
    readSync(logFd, byte, 0, 1, part.bytes - 1)
  } finally {
    closeSync(logFd)
  }
  return { stream, atLineStart: byte[0] === NEWLINE }
}

/** Lines and bytes a run's log holds, for a run whose writer is gone (recovery). */
export function logTotals(dir: string, runId: number): { lines: number; bytes: number; droppedBytes: number } {
  const { parts, droppedBytes } = readParts(dir, runId)
  const last = parts[parts.length - 1]
  return {
    lines: last ? last.firstLine + last.lines : 0,
    bytes: parts.reduce((sum, p) => sum + p.bytes, 0) + droppedBytes,
    droppedBytes,
  }
}

/**
 * The last `windowBytes` bytes a run wrote on one stream, read back from its stored log, for a
 * run whose writer (and its in-memory tail) is gone: recovery gives a run a crash interrupted
 * the `stderrTail` it would have had. The index is read backwards in blocks, so a long log costs
 * only its end. `cut`: earlier bytes of the log were left out (the first line may be partial).
 */
export function readStreamTail(dir: string, runId: number, stream: LogStream, windowBytes: number): { bytes: Buffer; cut: boolean } {
  const { parts, droppedLines } = readParts(dir, runId)
  const chunks: Buffer[] = []
  let have = 0
  let cut = droppedLines > 0
  const code = STREAM_CODES.indexOf(stream)
  for (let p = parts.length - 1; p >= 0 && have < windowBytes; p--) {
    const part = parts[p]!
    if (part.lines === 0) continue
    const paths = partPaths(dir, part.name)
    const indexFd = openSync(paths.index, 'r')
    const logFd = openSync(paths.log, 'r')
    try {
      // The offset where the line after the one looked at starts: the part's end for its last line.
      let nextOffset = part.bytes
      let end = part.lines
      while (end > 0 && have < windowBytes) {
        const start = Math.max(0, end - TAIL_BLOCK_LINES)
        const records = Buffer.alloc((end - start) * RECORD_BYTES)
        readSync(indexFd, records, 0, records.length, start * RECORD_BYTES)
        for (let i = end - 1; i >= start && have < windowBytes; i--) {
          const at = (i - start) * RECORD_BYTES
          const from = records.readUIntLE(at, 6)
          const to = nextOffset
          nextOffset = from
          if (records[at + 6] !== code || to <= from) continue
          const take = Math.min(to - from, windowBytes - have)
          const bytes = Buffer.alloc(take)
          readSync(logFd, bytes, 0, take, to - take)
          chunks.unshift(bytes)
          have += take
          if (take < to - from) cut = true
        }
        end = start
      }
      if (have >= windowBytes && (end > 0 || p > 0)) cut = true
    } finally {
      closeSync(indexFd)
      closeSync(logFd)
    }
  }
  return { bytes: Buffer.concat(chunks), cut }
}

/** Index records read at once when reading a log backwards. */
const TAIL_BLOCK_LINES = 1024

/**
 * Reads lines [fromLine, fromLine + count) (of one stream, if given) without reading the
 * rest. Where the cap dropped lines, one `system` line (numbered as the first dropped
 * line) says how much is missing.
 */
export function readLogWindow(dir: string, runId: number, fromLine: number, count: number, stream?: LogStream): LogWindow {
  const { parts, droppedBytes, droppedLines, capBytes } = readParts(dir, runId)
  const lines: LogLine[] = []
  const last = parts[parts.length - 1]
  const totalLines = last ? last.firstLine + last.lines : 0
  let next = fromLine
  for (const [i, part] of parts.entries()) {
    if (lines.length >= count) break
    const gapStart = i === 1 && droppedLines > 0 ? parts[0]!.lines : null
    if (gapStart !== null && next < part.firstLine && (!stream || stream === 'system')) {
      const half = Math.floor(capBytes / 2)
      lines.push({
        n: gapStart,
        stream: 'system',
        text: `[… ${droppedBytes} bytes (${droppedLines} lines) dropped: the log keeps the first and the last ${formatBytes(half)} of each run …]`,
      })
      next = part.firstLine
    }
    const end = part.firstLine + part.lines
    if (next >= end) continue
    next = Math.max(next, part.firstLine)
    lines.push(...readPart(dir, part, next - part.firstLine, count - lines.length, stream))
    next = end
  }
  return { lines, totalLines, droppedBytes, storedBytes: parts.reduce((sum, p) => sum + p.bytes, 0) }
}

function readPart(dir: string, part: Part, from: number, count: number, stream?: LogStream): LogLine[] {
  const paths = partPaths(dir, part.name)
  const indexFd = openSync(paths.index, 'r')
  const logFd = openSync(paths.log, 'r')
  try {
    const lines: LogLine[] = []
    const blockLines = stream ? Math.max(count, 1024) : count
    let next = from
    while (lines.length < count && next < part.lines) {
      const take = Math.min(blockLines, part.lines - next)
      const records = Buffer.alloc((take + 1) * RECORD_BYTES)
      const got = readSync(indexFd, records, 0, records.length, next * RECORD_BYTES)
      const recordCount = Math.floor(got / RECORD_BYTES)
      const offsetAt = (i: number) => (i < recordCount ? records.readUIntLE(i * RECORD_BYTES, 6) : part.bytes)
      const start = offsetAt(0)
      const bytes = Buffer.alloc(offsetAt(take) - start)
      readSync(logFd, bytes, 0, bytes.length, start)
      for (let i = 0; i < take && lines.length < count; i++) {
        const lineStream = STREAM_CODES[records[i * RECORD_BYTES + 6]!] ?? 'stdout'
        if (stream && lineStream !== stream) continue
        const from = offsetAt(i) - start
        let to = offsetAt(i + 1) - start
        if (to > from && bytes[to - 1] === NEWLINE) to--
        if (to > from && bytes[to - 1] === 13) to--
        lines.push({ n: part.firstLine + next + i, stream: lineStream, text: decoder.decode(bytes.subarray(from, Math.max(from, to))) })
      }
      next += take
    }
    return lines
  } finally {
    closeSync(indexFd)
    closeSync(logFd)
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round(bytes / 1024 / 1024)} MB`
  return `${Math.round(bytes / 1024)} KB`
}

/** Deletes every file of a run's log. */
export function removeLog(dir: string, runId: number): void {
  const { parts } = readParts(dir, runId)
  for (const part of parts) {
    const paths = partPaths(dir, part.name)
    rmSync(paths.log, { force: true })
    rmSync(paths.index, { force: true })
  }
  const head = logPaths(dir, runId)
  rmSync(head.log, { force: true })
  rmSync(head.index, { force: true })
  rmSync(manifestPath(dir, runId), { force: true })
}
