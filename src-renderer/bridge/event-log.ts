import { EVENTS_PATH, HEAD_SEQ_HEADER, checkEventFrames, type DurableEvent } from '../../src-shared/index.ts'

/**
 * Characters of NDJSON checked and handed over at a time: the page parses each piece in
 * one task on its main thread, so pieces stay small enough to leave room for frames.
 */
const PIECE_CHARS = 256 * 1024
/**
 * How long the page parses the pieces of one fetched chunk (Chromium hands over several MB at
 * once) before it lets a frame through.
 */
const PARSE_SLICE_MS = 4
/**
 * Main-thread time per animation frame the reader parses before it waits for the next frame.
 * The events it parses are folded in the frame's rAF within the fold's own budget (8 ms,
 * streams/ingest.ts), so parsing and folding together stay inside a 60 Hz frame instead of
 * several parse tasks landing between two frames on top of a full fold.
 */
const PARSE_MS_PER_FRAME = 5

const CANCELLED = 'The catch-up was cancelled.'

/** Part of the log, its framing checked: `events`, the last with seq `lastSeq`. */
export interface CheckedPiece {
  events: DurableEvent[]
  lastSeq: number
}

/**
 * Reads `GET /api/v1/events?since=…` (NDJSON, one stored event per line, ending at the
 * head seq the response names) and hands it over in pieces of whole lines, each parsed
 * and its framing checked (checkEventFrames: durable event types the contract knows, each
 * seq the next one after `since`; the contents are trusted, see docs/architecture.md
 * "Trust boundaries"). Throws (naming what was wrong) on a refusal, a line that is not
 * JSON, a bad frame or a body cut short; the caller then falls back to the WebSocket's
 * `since` replay. `onHead` is told the head seq as soon as the response names it, before
 * any event is read.
 */
export async function readEventLog(
  origin: string,
  token: string,
  since: number,
  onPiece: (piece: CheckedPiece) => void,
  signal?: AbortSignal,
  onHead?: (headSeq: number) => void,
): Promise<{ headSeq: number; lastSeq: number }> {
  const response = await fetch(`${origin}${EVENTS_PATH}?since=${since}`, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store', signal })
  if (!response.ok || response.body === null) {
    const detail = await response.text().catch(() => '')
    throw new Error(`GET ${EVENTS_PATH} answered ${response.status}: ${detail.slice(0, 300)}`)
  }
  const headSeq = Number(response.headers.get(HEAD_SEQ_HEADER))
  if (!Number.isSafeInteger(headSeq)) throw new Error(`GET ${EVENTS_PATH} did not name its head seq (${HEAD_SEQ_HEADER}).`)
  onHead?.(headSeq)
  let lastSeq = since
  const take = (lines: string) => {
    // Whole NDJSON lines as one JSON array: JSON text never holds a raw newline, so each one separates two events.
    const text = `[${lines.replaceAll('\n', ',')}]`
    let raw: unknown[]
    try {
      raw = JSON.parse(text) as unknown[]
    } catch (error) {
      throw new Error(`GET ${EVENTS_PATH}: the lines after seq ${lastSeq} are not JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error })
    }
    const problem = checkEventFrames(lastSeq, raw, { repeats: false, durableOnly: true })
    if (problem) throw new Error(`GET ${EVENTS_PATH}: ${problem.message}`)
    const events = raw as DurableEvent[]
    lastSeq = events.at(-1)?.seq ?? lastSeq
    onPiece({ events, lastSeq })
  }
  const frames = frameClock(signal)
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let rest = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      const text = rest + value
      const complete = text.lastIndexOf('\n')
      if (complete < 0) {
        rest = text
        continue
      }
      let sliceStart = performance.now()
      for (let start = 0; start < complete; ) {
        // A frame's parse time used up (in this chunk or the ones before): the rest waits for the next frame.
        if (frames.spentThisFrame() >= PARSE_MS_PER_FRAME || performance.now() - sliceStart >= PARSE_SLICE_MS) {
          await (frames.spentThisFrame() >= PARSE_MS_PER_FRAME ? frames.next() : nextTask())
          if (signal?.aborted) throw new Error(CANCELLED)
          sliceStart = performance.now()
        }
        let end = start + PIECE_CHARS >= complete ? complete : text.lastIndexOf('\n', start + PIECE_CHARS)
        // One event longer than a piece goes alone.
        if (end <= start) end = text.indexOf('\n', start)
        const pieceStart = performance.now()
        take(text.slice(start, end))
        frames.spent(performance.now() - pieceStart)
        start = end + 1
      }
      rest = text.slice(complete + 1)
    }
  } catch (error) {
    // Cancelled while the body was being read (the fetch's own AbortError) or while it waited: one reason either way.
    if (signal?.aborted) throw new Error(CANCELLED, { cause: error })
    throw error
  } finally {
    frames.stop()
  }
  if (rest !== '') throw new Error(`GET ${EVENTS_PATH} ended in the middle of an event (after seq ${lastSeq}).`)
  return { headSeq, lastSeq }
}

/**
 * Parse time per animation frame: `spentThisFrame` counts what `spent` added since the last
 * frame began; `next` resolves in the first task after the next frame. Where there are no
 * animation frames (Node, in tests) or none are drawn (a hidden tab) every moment is a new frame.
 * A cancelled catch-up does not wait for a frame.
 */
function frameClock(signal?: AbortSignal) {
  const raf = (globalThis as { requestAnimationFrame?: (callback: () => void) => number }).requestAnimationFrame
  const cancel = (globalThis as { cancelAnimationFrame?: (handle: number) => void }).cancelAnimationFrame
  let frame = 0
  let spentIn = { frame: -1, ms: 0 }
  let handle: number | null = null
  const waiters: (() => void)[] = []
  const tick = () => {
    frame++
    // Resumed in a task after the frame (its rAF callbacks fold, then it is drawn), not inside it.
    for (const resolve of waiters.splice(0)) void nextTask().then(resolve)
    handle = raf!(tick)
  }
  if (raf) handle = raf(tick)
  return {
    spent(ms: number) {
      if (!raf) return
      if (spentIn.frame !== frame) spentIn = { frame, ms: 0 }
      spentIn.ms += ms
    },
    spentThisFrame: () => (spentIn.frame === frame ? spentIn.ms : 0),
    next: (): Promise<void> => {
      if (!raf || (globalThis as { document?: { hidden: boolean } }).document?.hidden) return nextTask()
      return new Promise((resolve) => {
        const go = () => {
          signal?.removeEventListener('abort', go)
          resolve()
        }
        waiters.push(go)
        signal?.addEventListener('abort', go)
      })
    },
    stop() {
      if (handle !== null) cancel?.(handle)
      handle = null
      for (const resolve of waiters.splice(0)) resolve()
    },
  }
}

/** Resolves in a new task (a MessageChannel message, which timers' clamping does not delay), so a frame can be drawn first. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel()
    port1.addEventListener('message', () => {
      port1.close()
      resolve()
    }, { once: true })
    port1.start()
    port2.postMessage(null)
  })
}
