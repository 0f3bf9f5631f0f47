import type { EngineEvent, RunOutput } from '../../src-shared/index.ts'

/** Bytes of one run's output per interval that go to the client chunk by chunk, as written. */
export const STREAM_ALLOWANCE_BYTES = 16 * 1024
/** How often a fast run's newest lines are sent (and allowances renewed). */
export const TAIL_INTERVAL_MS = 50
/** What a coalesced update carries: about this many of the newest lines, ... */
export const TAIL_LINES = 200
/** ... and not much more text than this (whole lines; a single longer line is kept whole). */
export const TAIL_BYTES = 32 * 1024
/** Above this many bytes accepted but not yet delivered, the client is draining too slowly: hold output. */
export const BACKLOG_HIGH_WATER_BYTES = 256 * 1024

interface RunTail {
  /** Output bytes received in the current interval. */
  received: number
  /** Set once the run wrote more than the allowance in an interval; cleared after a calm one. */
  fast: boolean
  /** Output held back for the next tick, oldest first, already trimmed to about the tail. */
  held: RunOutput[]
  heldBytes: number
  /** The first line dropped while holding (sent as `skippedFrom`), or null when nothing was dropped. */
  skippedFrom: number | null
}

/**
 * Live output for a `watched` subscription: output of unwatched runs is dropped, output of
 * a watched run passes through chunk by chunk while it is modest, and a run writing faster
 * than a viewer can read (or than the connection drains) is coalesced to its newest lines
 * every TAIL_INTERVAL_MS, with `skippedFrom` naming the gap so the client can read it with
 * run.readLog. Durable events and other transient events pass untouched and in order.
 * Hand-written because it is a small policy over this contract's line numbering, not a
 * general stream operation.
 */
export class WatchedOutput {
  private watched = new Set<number>()
  private readonly tails = new Map<number, RunTail>()
  private timer: NodeJS.Timeout | null = null
  private readonly backlogBytes: () => number
  private readonly emit: (events: EngineEvent[]) => void

  constructor(backlogBytes: () => number, emit: (events: EngineEvent[]) => void) {
    this.backlogBytes = backlogBytes
    this.emit = emit
  }

  /** Replaces the watched runs; output held for a run no longer watched is dropped. */
  watch(runIds: readonly number[]): number[] {
    this.watched = new Set(runIds)
    for (const runId of this.tails.keys()) if (!this.watched.has(runId)) this.tails.delete(runId)
    return [...this.watched]
  }

  /** What of one engine batch goes to the client now, in order. */
  filter(events: readonly EngineEvent[]): EngineEvent[] {
    const out: EngineEvent[] = []
    for (const event of events) {
      if (event.type === 'run.output') {
        if (this.watched.has(event.runId) && this.admit(event)) out.push(event)
        continue
      }
      if (event.type === 'run.finished') {
        // The tail lands before the run is reported finished, so a finished run's view is complete.
        const tail = this.tails.get(event.run.id)
        if (tail) {
          out.push(...takeTail(tail))
          this.tails.delete(event.run.id)
        }
      }
      out.push(event)
    }
    return out
  }

  /** Forgets held output (a new subscription starts from what the client reads itself). */
  reset(): void {
    this.tails.clear()
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** True when the event goes out now; otherwise it is held for the next tick. */
  private admit(event: RunOutput): boolean {
    let tail = this.tails.get(event.runId)
    if (!tail) this.tails.set(event.runId, (tail = { received: 0, fast: false, held: [], heldBytes: 0, skippedFrom: null }))
    tail.received += event.text.length
    // Unreferenced: a tail waiting to be sent never keeps the process alive on its own.
    this.timer ??= setInterval(() => this.tick(), TAIL_INTERVAL_MS).unref()
    if (tail.held.length === 0 && !tail.fast && tail.received <= STREAM_ALLOWANCE_BYTES && this.backlogBytes() <= BACKLOG_HIGH_WATER_BYTES) return true
    tail.fast ||= tail.received > STREAM_ALLOWANCE_BYTES
    hold(tail, event)
    return false
  }

  private tick(): void {
    const congested = this.backlogBytes() > BACKLOG_HIGH_WATER_BYTES
    const out: EngineEvent[] = []
    for (const [runId, tail] of this.tails) {
      tail.fast = tail.received > STREAM_ALLOWANCE_BYTES
      tail.received = 0
      if (!congested && tail.held.length > 0) out.push(...takeTail(tail))
      if (tail.held.length === 0 && !tail.fast) this.tails.delete(runId)
    }
    if (this.tails.size === 0 && this.timer) {
      clearInterval(this.timer)
      this.timer = null
    }
    if (out.length > 0) this.emit(out)
  }
}

function hold(tail: RunTail, event: RunOutput): void {
  const last = tail.held[tail.held.length - 1]
  if (last && last.stream === event.stream) last.text += event.text
  else tail.held.push({ ...event })
  tail.heldBytes += event.text.length
  if (tail.heldBytes > 2 * TAIL_BYTES) trimToTail(tail)
}

/** The held output, trimmed to the tail, as events to send; the tail is then empty. */
function takeTail(tail: RunTail): RunOutput[] {
  trimToTail(tail)
  const events = tail.held
  const first = events[0]
  if (first && tail.skippedFrom !== null) events[0] = { ...first, skippedFrom: tail.skippedFrom }
  tail.held = []
  tail.heldBytes = 0
  tail.skippedFrom = null
  return events
}

/**
 * Drops held output older than the newest TAIL_LINES lines (or TAIL_BYTES of whole lines),
 * cutting just after a newline so the kept text begins at the start of a line, and
 * remembers the first dropped line.
 */
function trimToTail(tail: RunTail): void {
  let newlines = 0
  let bytes = 0
  for (let index = tail.held.length - 1; index >= 0; index--) {
    const chunk = tail.held[index]!
    // A newline that ends the held text closes the newest line; it does not start another.
    let at = chunk.text.length - (index === tail.held.length - 1 ? 2 : 1)
    for (;;) {
      const newline = chunk.text.lastIndexOf('\n', at)
      if (newline === -1) break
      newlines++
      if (newlines > TAIL_LINES || bytes + (chunk.text.length - newline) > TAIL_BYTES) {
        cutAfter(tail, index, newline)
        return
      }
      at = newline - 1
      if (at < 0) break
    }
    bytes += chunk.text.length
  }
}

/** Keeps held output from just after `newline` in chunk `index`. */
function cutAfter(tail: RunTail, index: number, newline: number): void {
  const chunk = tail.held[index]!
  tail.skippedFrom ??= tail.held[0]!.line
  let linesBefore = 0
  for (let at = chunk.text.indexOf('\n'); at !== -1 && at <= newline; at = chunk.text.indexOf('\n', at + 1)) linesBefore++
  const rest = chunk.text.slice(newline + 1)
  const kept = tail.held.slice(index + 1)
  if (rest.length > 0) kept.unshift({ ...chunk, line: chunk.line + linesBefore, text: rest })
  tail.held = kept
  tail.heldBytes = kept.reduce((sum, event) => sum + event.text.length, 0)
}
