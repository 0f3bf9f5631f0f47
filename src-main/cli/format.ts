import { styleText } from 'node:util'
import type { Run, TaskSpec } from '../../src-shared/model.ts'
import { runEnd } from '../../src-shared/run-end.ts'
import { usageError } from './exit.ts'

type Style = Parameters<typeof styleText>[0]

/**
 * Colour only for a terminal that wants it: styleText checks the stream is a TTY and
 * honours NO_COLOR, NODE_DISABLE_COLORS and FORCE_COLOR.
 */
export const paint = (style: Style, text: string, stream: NodeJS.WriteStream = process.stdout): string =>
  styleText(style, text, { stream, validateStream: true })

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** "1500ms", "30s", "5m", "2h", "1d", "1h30m"; a bare number means seconds. */
export function parseDuration(text: string, what: string): number {
  const trimmed = text.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000)
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw usageError(`${what}: "${text}" is not a duration (examples: 30s, 5m, 1h30m, 1500ms).`)
  }
  const total = parts.reduce((sum, [, value, unit]) => sum + Number(value) * (UNITS[unit ?? 's'] ?? 0), 0)
  if (total <= 0) throw usageError(`${what}: the duration must be positive.`)
  return Math.round(total)
}

/**
 * A memory size for --max-memory, in whole MB (2^20 bytes): "512M", "512MB", "2G", "1.5G",
 * "800K" rounded up, or a bare number of MB.
 */
export function parseMegabytes(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim())
  if (!match) throw usageError(`${what}: "${text}" is not a memory size (examples: 512M, 2G, 1.5G; a bare number is MB).`)
  const scale: Record<string, number> = { k: 1 / 1024, m: 1, '': 1, g: 1024, t: 1024 * 1024 }
  const mb = Math.ceil(Number(match[1]) * scale[match[2]!.toLowerCase()]!)
  if (mb <= 0) throw usageError(`${what}: the size must be positive.`)
  return mb
}

/** A memory figure in binary units, as ps and top print it: "900K", "612M", "1.5G". */
export function formatMemory(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return ''
  const units = ['K', 'M', 'G', 'T']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)}${units[unit]}`
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return ''
  if (ms < 1000) return `${Math.round(ms)}ms`
  const seconds = ms / 1000
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`
}

/** "in 5s", "in 1h 20m", "3m ago": how far a time is from now. */
export function formatRelative(ms: number): string {
  const future = ms >= 0
  const abs = Math.abs(ms)
  const parts =
    abs < 60_000
      ? [`${Math.round(abs / 1000)}s`]
      : abs < 3_600_000
        ? [`${Math.floor(abs / 60_000)}m`]
        : abs < 86_400_000
          ? [`${Math.floor(abs / 3_600_000)}h`, `${Math.floor((abs % 3_600_000) / 60_000)}m`]
          : [`${Math.floor(abs / 86_400_000)}d`, `${Math.floor((abs % 86_400_000) / 3_600_000)}h`]
  return future ? `in ${parts.join(' ')}` : `${parts.join(' ')} ago`
}

export function parseInteger(text: string, what: string, min: number, max: number): number {
  const value = Number(text)
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    // An id or a count has no upper bound a user could reach: 9007199254740991 would only puzzle.
    const range = max === Number.MAX_SAFE_INTEGER ? `of ${min} or more` : `from ${min} to ${max}`
    throw usageError(`${what}: "${text}" is not a whole number ${range}.`)
  }
  return value
}

/** Task ids from arguments like "3", "4,5", "7 8". */
export function parseIds(values: readonly string[], what = 'task id'): number[] {
  return values.flatMap((value) =>
    value
      .split(',')
      .filter((part) => part.trim() !== '')
      .map((part) => parseInteger(part, what, 1, Number.MAX_SAFE_INTEGER)),
  )
}

/** `KEY=VALUE` pairs from repeated --env flags. */
export function parseEnv(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw usageError(`--env: "${pair}" must look like KEY=VALUE.`)
    env[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return env
}

/**
 * How a task's last run ended, for the status table's EXIT column, by the desktop window's rule
 * (its run history): a shell run's exit code or signal; a script or an HTTP batch has no process
 * exit code, so a succeeded one "returned" or has "all requests done", and any other ended one
 * shows "—". Blank while there is no run or it goes on.
 */
export function runEndCell(kind: TaskSpec['kind'], run: Run | null): string {
  if (run === null || run.status === 'running' || run.status === 'paused') return ''
  const end = runEnd(kind, run)
  if (end === null) return '—'
  if (end.kind === 'exit') return String(end.code)
  if (end.kind === 'signal') return end.signal
  return end.kind === 'returned' ? 'returned' : 'all requests done'
}

/**
 * How a task or run ended, as a sentence: "Task 3 failed: exited with code 1", "Task 9 timed out
 * after 2 s" (the status in words, not said twice when the reason begins with it).
 */
export function endedSentence(who: string, status: string, reason: string | null | undefined): string {
  const words = status.replaceAll('_', ' ')
  if (!reason) return `${who} ${words}`
  return reason.startsWith(`${words} `) ? `${who} ${reason}` : `${who} ${words}: ${reason}`
}

/** A plain text table: columns padded to their widest cell; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = columnWidths(header, rows)
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - visibleLength(cell))))
      .join('  ')
      .trimEnd()
  return [line(header.map((title) => paint('bold', title))), ...rows.map(line)].join('\n')
}

const columnWidths = (header: readonly string[], rows: readonly (readonly string[])[]): number[] =>
  header.map((title, column) => Math.max(title.length, ...rows.map((row) => visibleLength(row[column] ?? ''))))

/** How wide `table` draws these columns, with the gaps after each: what a further last column starts after. */
export function tableWidth(header: readonly string[], rows: readonly (readonly string[])[]): number {
  return columnWidths(header, rows).reduce((sum, width) => sum + width + 2, 0) - 2
}

/** The terminal's width when stdout is one (a pipe or a file gets every line whole). */
export function terminalColumns(): number | undefined {
  return process.stdout.isTTY ? process.stdout.columns : undefined
}

// eslint-disable-next-line no-control-regex -- matching ANSI escape sequences is the point
const ANSI = /\u001b\[[0-9;]*m/g
const visibleLength = (text: string): number => displayWidth(text.replace(ANSI, ''))

/**
 * East Asian wide and fullwidth characters (Hangul, CJK, kana, fullwidth forms), which a
 * terminal draws two columns wide. Hand-written: one range test is all a table needs.
 */
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u

/** The columns a terminal needs for `text` (no escape sequences in it). */
export function displayWidth(text: string): number {
  let width = 0
  for (const char of text) width += WIDE.test(char) ? 2 : 1
  return width
}

/** `text` cut to at most `width` columns, ending in "…" when cut (Infinity: whole). */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text
  let cut = ''
  let used = 0
  for (const char of text) {
    const next = WIDE.test(char) ? 2 : 1
    if (used + next > width - 1) break
    cut += char
    used += next
  }
  return `${cut}…`
}

/** Collects a repeatable option's values (commander's reducer signature). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value]
