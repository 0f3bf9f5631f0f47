import { diffArrays } from 'diff'
import type { LogStream } from '../../src-shared/model.ts'

/*
 * The line diff itself, apart from the rest of the comparison so that the worker running it
 * (diff-worker.ts) loads jsdiff and nothing else.
 */

/**
 * Past this many added + removed lines the runs are called too different to compare line by
 * line. The search's cost grows with its square: giving up at 4,000 takes ~1.1 s of CPU.
 */
export const COMPARE_MAX_EDITS = 4_000
/** A diff still searching after this long gives up (jsdiff's own timeout), as for too many edits. */
export const COMPARE_TIMEOUT_MS = 5_000

/** What a line is matched by: its stream and text. */
export interface LineContent {
  stream: LogStream
  text: string
}

/** A line of a run's log as compared: `n` is its 0-based number in the log (as run.readLog numbers it). */
export interface CompareLine extends LineContent {
  n: number
}

export type LineKind = 'same' | 'added' | 'removed'

/** A stretch of the diff: `count` consecutive lines of one kind (jsdiff's change objects, without values). */
export interface ChangeRun {
  kind: LineKind
  count: number
}

/**
 * The text a line is matched by. With `ignoreDigits`, every run of digits counts as the same
 * (times, durations, ids, addresses differ between any two build logs); what is shown is
 * always the real text.
 */
function matchText(text: string, ignoreDigits: boolean): string {
  return ignoreDigits ? text.replace(/\d+/g, '0') : text
}

/**
 * Lines as small integers, equal when they match: the same stream and the same (normalised) text.
 * A line on stderr never matches the same words on stdout. Integers make each comparison in the
 * diff one `===` instead of a string comparison (about three times faster on long logs).
 */
function lineKeys(base: readonly LineContent[], target: readonly LineContent[], ignoreDigits: boolean): { base: number[]; target: number[] } {
  const ids = new Map<string, number>()
  const key = (line: LineContent) => {
    const text = `${line.stream}\u0000${matchText(line.text, ignoreDigits)}`
    let id = ids.get(text)
    if (id === undefined) {
      id = ids.size
      ids.set(text, id)
    }
    return id
  }
  return { base: base.map(key), target: target.map(key) }
}

/** Why two logs were not compared line by line: more differences than COMPARE_MAX_EDITS, or the search ran past COMPARE_TIMEOUT_MS. */
export type GiveUp = 'tooManyEdits' | 'tooSlow'

/** The line diff of two logs, or why it gave up (the logs too different, or the search too slow, to compare line by line). */
export function diffLogs(
  base: readonly LineContent[],
  target: readonly LineContent[],
  ignoreDigits: boolean,
  limits = { maxEdits: COMPARE_MAX_EDITS, timeoutMs: COMPARE_TIMEOUT_MS },
): ChangeRun[] | GiveUp {
  const keys = lineKeys(base, target, ignoreDigits)
  const started = Date.now()
  const changes = diffArrays(keys.base, keys.target, { maxEditLength: limits.maxEdits, timeout: limits.timeoutMs })
  // jsdiff answers undefined for either limit: the time taken says which.
  if (!changes) return Date.now() - started >= limits.timeoutMs ? 'tooSlow' : 'tooManyEdits'
  return changes.filter((c) => c.count > 0).map((c) => ({ kind: c.added ? 'added' : c.removed ? 'removed' : 'same', count: c.count }))
}

/*
 * A log crosses to the worker as one string and one byte per line: copying 40,000 line objects
 * cost the UI thread ~35 ms in Chromium (structured clone), one string a fraction of that.
 */
export interface PackedLog {
  /** The lines' texts joined by "\n" (a log line holds none). */
  texts: string
  streams: Uint8Array
}

const STREAMS: readonly LogStream[] = ['stdout', 'stderr', 'system']

export function packLog(lines: readonly LineContent[]): PackedLog {
  const streams = new Uint8Array(lines.length)
  lines.forEach((line, i) => (streams[i] = STREAMS.indexOf(line.stream)))
  return { texts: lines.map((line) => line.text).join('\n'), streams }
}

export function unpackLog(log: PackedLog): LineContent[] {
  if (log.streams.length === 0) return []
  return log.texts.split('\n').map((text, i) => ({ stream: STREAMS[log.streams[i] ?? 0] ?? 'stdout', text }))
}
