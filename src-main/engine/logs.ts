import { closeSync, existsSync, fstatSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { TextDecoder } from 'node:util'
import type { LogLine, LogStream } from '../../src-shared/index.ts'

/**
 * Per-run logs: `<id>.log` holds the bytes exactly as the run wrote them (binary stays
 * binary); `<id>.idx` holds one fixed-width record per line (byte offset + stream), so
 * any window of lines is found by arithmetic and read without touching the rest.
 *
 * A line ends at "\n", or where the other stream takes over (stdout and stderr
 * interleave in one file). Past the cap, the head (first half) is kept, the middle is
 * dropped and counted, and the tail (the newest half) is kept in rotating segments.
 */
const RECORD_BYTES = 8
const STREAM_CODES: readonly LogStream[] = ['stdout', 'stderr', 'system']
const NEWLINE = 10

export function logPaths(dir: string, runId: number): { log: string; index: string } {
  return { log: join(dir, `${runId}.log`), index: join(dir, `${runId}.idx`) }
}

function encodeRecord(target: Buffer, at: number, offset: number, stream: LogStream): void {
  target.writeUIntLE(offset, at, 6)
  target[at + 6] = STREAM_CODES.indexOf(stream)
  target[at + 7] = 0
}

export class RunLogWriter {
  private readonly paths: { log: string; index: string }
  private logFd: number | null = null
  private indexFd: number | null = null
  private lastStream: LogStream | null = null
  private atLineStart = true
  /** Lines started so far (the last may still be open). */
  lines = 0
  /** Bytes written to the log file. */
  bytes = 0
  droppedBytes = 0

  constructor(dir: string, runId: number) {
    this.paths = logPaths(dir, runId)
  }

  /** Appends a chunk; returns the number of the line it starts or continues. */
  write(stream: LogStream, chunk: Uint8Array): number {
    const continues = !this.atLineStart && stream === this.lastStream
    const firstLine = continues ? this.lines - 1 : this.lines
    if (chunk.length === 0) return firstLine
    let lineStart = !continues
    const records: number[] = []
    for (let i = 0; i < chunk.length; i++) {
      if (lineStart) {
        records.push(this.bytes + i)
        lineStart = false
      }
      if (chunk[i] === NEWLINE) lineStart = true
    }
    this.atLineStart = lineStart
    this.lastStream = stream
    this.open()
    writeSync(this.logFd!, chunk)
    if (records.length > 0) {
      const buffer = Buffer.allocUnsafe(records.length * RECORD_BYTES)
      records.forEach((offset, i) => encodeRecord(buffer, i * RECORD_BYTES, offset, stream))
      writeSync(this.indexFd!, buffer)
    }
    this.bytes += chunk.length
    this.lines += records.length
    return firstLine
  }

  private open(): void {
    if (this.logFd !== null) return
    this.logFd = openSync(this.paths.log, 'a', 0o600)
    this.indexFd = openSync(this.paths.index, 'a', 0o600)
  }

  close(): void {
    if (this.logFd !== null) closeSync(this.logFd)
    if (this.indexFd !== null) closeSync(this.indexFd)
    this.logFd = this.indexFd = null
  }
}

export interface LogWindow {
  lines: LogLine[]
  totalLines: number
}

const decoder = new TextDecoder('utf-8')

/** Reads lines [fromLine, fromLine + count) (of one stream, if given) without reading the rest. */
export function readLogWindow(dir: string, runId: number, fromLine: number, count: number, stream?: LogStream): LogWindow {
  const paths = logPaths(dir, runId)
  if (!existsSync(paths.index)) return { lines: [], totalLines: 0 }
  const indexFd = openSync(paths.index, 'r')
  const logFd = openSync(paths.log, 'r')
  try {
    const logSize = fstatSync(logFd).size
    const totalLines = Math.floor(fstatSync(indexFd).size / RECORD_BYTES)
    const lines: LogLine[] = []
    const blockLines = stream ? Math.max(count, 1024) : count
    let next = fromLine
    while (lines.length < count && next < totalLines) {
      const take = Math.min(blockLines, totalLines - next)
      const records = Buffer.alloc((take + 1) * RECORD_BYTES)
      const got = readSync(indexFd, records, 0, records.length, next * RECORD_BYTES)
      const recordCount = Math.floor(got / RECORD_BYTES)
      const offsetAt = (i: number) => (i < recordCount ? records.readUIntLE(i * RECORD_BYTES, 6) : logSize)
      const start = offsetAt(0)
      const end = offsetAt(take)
      const bytes = Buffer.alloc(end - start)
      readSync(logFd, bytes, 0, bytes.length, start)
      for (let i = 0; i < take && lines.length < count; i++) {
        const lineStream = STREAM_CODES[records[i * RECORD_BYTES + 6]!] ?? 'stdout'
        if (stream && lineStream !== stream) continue
        let from = offsetAt(i) - start
        let to = offsetAt(i + 1) - start
        if (to > from && bytes[to - 1] === NEWLINE) to--
        if (to > from && bytes[to - 1] === 13) to--
        if (from > to) from = to
        lines.push({ n: next + i, stream: lineStream, text: decoder.decode(bytes.subarray(from, to)) })
      }
      next += take
    }
    return { lines, totalLines }
  } finally {
    closeSync(indexFd)
    closeSync(logFd)
  }
}

export function removeLog(dir: string, runId: number): void {
  const paths = logPaths(dir, runId)
  rmSync(paths.log, { force: true })
  rmSync(paths.index, { force: true })
}
