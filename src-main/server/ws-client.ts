import type { RawData, WebSocket } from 'ws'
import {
  AUTH_COMMAND,
  PROTOCOL_VERSION,
  RequestEnvelopeSchema,
  fail,
  isDurable,
  ok,
  response,
  resyncMessage,
  type ApiError,
  type ServerMessage,
} from '../../src-shared/index.ts'
import { ApiSession } from '../api/session.ts'
import type { EngineApi, StoredEventText } from '../engine/api.ts'
import { tokenMatches } from './security.ts'

/** Close codes in the application range, so clients can tell why they were dropped. */
export const CLOSE_UNAUTHORIZED = 4401
export const CLOSE_AUTH_TIMEOUT = 4408
export const CLOSE_GOING_AWAY = 1001

export interface WsClientOptions {
  engine: EngineApi
  token: string
  /** True when the upgrade request already carried a valid Bearer token. */
  authenticated: boolean
  authTimeoutMs: number
  /** Above this many unsent bytes on the socket, events wait instead of piling up there. */
  highWaterBytes: number
  /** Above this many bytes of events waiting for a slow socket, the subscription ends with `resync`. */
  maxPendingBytes: number
  onClosed(): void
}

/** Events per message: a long replay goes out as several messages of reasonable size. */
export const MAX_EVENTS_PER_MESSAGE = 2000
/**
 * UTF-8 bytes per message: a browser decodes and parses each message in one task on its
 * main thread, so a multi-megabyte backlog of output sent as one message freezes the UI
 * for hundreds of milliseconds; as many small messages it leaves room for frames in between.
 * A single event larger than this still goes alone.
 */
export const MAX_BYTES_PER_MESSAGE = 256 * 1024
/** How long to wait before retrying a flush while the socket is above its high-water mark. */
const CONGESTED_RETRY_MS = 25

/** An event ready for the wire: its JSON text, that text's UTF-8 size, and its seq (0 for transient events). */
export interface WireEvent {
  json: string
  bytes: number
  seq: number
}

/** An events message is this prefix, the events' JSON joined by commas, and the suffix: the ServerMessage `eventsMessage` makes. */
const EVENTS_PREFIX = `{"v":${PROTOCOL_VERSION},"kind":"events","events":[`
const EVENTS_SUFFIX = ']}'
const ENVELOPE_BYTES = Buffer.byteLength(EVENTS_PREFIX) + EVENTS_SUFFIX.length

/**
 * One WebSocket client. It waits for authentication, hands every message to an
 * ApiSession, coalesces the session's events into batches (one message per event-loop
 * turn), and applies backpressure: when the client cannot keep up it is told to `resync`
 * instead of the server buffering without bound.
 */
export class WsClient {
  private readonly socket: WebSocket
  private readonly options: WsClientOptions
  private readonly session: ApiSession
  private authenticated: boolean
  private authTimer: NodeJS.Timeout | null = null
  private pending: WireEvent[] = []
  private pendingBytes = 0
  private flushTimer: NodeJS.Timeout | null = null
  private flushImmediate: NodeJS.Immediate | null = null
  /** The newest durable seq sent to this client, or the `since` it subscribed with. */
  private lastSeqSent = 0
  private closed = false

  constructor(socket: WebSocket, options: WsClientOptions) {
    this.socket = socket
    this.options = options
    this.authenticated = options.authenticated
    const engine = options.engine
    // Replayed history goes out as the log's own JSON text, read no faster than the socket drains.
    const textReplay: EngineApi = {
      handlers: engine.handlers,
      close: () => engine.close(),
      subscribe: (since, listener) =>
        engine.subscribe(since, listener, { onStoredPage: (page) => this.fromStoredPage(page), readyForPage: () => this.readyForPage() }),
    }
    this.session = new ApiSession(textReplay, (message) => this.fromSession(message), {
      backlogBytes: () => this.socket.bufferedAmount + this.pendingBytes,
    })
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary))
    socket.on('close', () => this.dispose())
    socket.on('error', () => this.socket.terminate())
    if (!this.authenticated) {
      this.authTimer = setTimeout(() => this.close(CLOSE_AUTH_TIMEOUT, 'authentication timed out'), options.authTimeoutMs)
    }
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) this.socket.close(code, reason)
    this.dispose()
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return
    if (isBinary) {
      this.respond(response(-1, fail('bad_request', 'Binary frames are not accepted; send each message as a JSON text frame.')))
      return
    }
    let raw: unknown
    try {
      raw = JSON.parse(rawText(data))
    } catch (error) {
      this.respond(response(-1, fail('bad_request', `Message is not valid JSON: ${(error as Error).message}`)))
      return
    }
    if (isAuthMessage(raw)) {
      this.authenticate(raw)
      return
    }
    if (!this.authenticated) {
      const id = idOf(raw)
      this.respond(response(id, fail('unauthorized', `The first message must be ${AUTH_COMMAND} with the API token.`)))
      this.close(CLOSE_UNAUTHORIZED, 'unauthorized')
      return
    }
    if (isSubscribe(raw)) this.lastSeqSent = sinceOf(raw)
    void this.session.handle(raw)
  }

  /**
   * `session.auth`: the first message of a client that cannot send an Authorization header.
   * Refused before authentication, the connection closes (nothing else of it was accepted).
   * Sent again on an authenticated connection, a wrong token (or version) is refused by name
   * and the connection goes on: it proved it holds the token when it opened, a wrong one now
   * grants nothing, and closing would leave the requests it has in flight without answers.
   */
  private authenticate(raw: unknown): void {
    const envelope = RequestEnvelopeSchema.safeParse(raw)
    const id = envelope.success ? envelope.data.id : idOf(raw)
    const params = envelope.success ? envelope.data.params : undefined
    const token = typeof params === 'object' && params !== null ? (params as { token?: unknown }).token : undefined
    const refusal: ApiError | null =
      envelope.success && envelope.data.v !== PROTOCOL_VERSION
        ? { code: 'protocol_mismatch', message: `Protocol version ${envelope.data.v} is not supported; this server speaks version ${PROTOCOL_VERSION}.` }
        : typeof token !== 'string' || !tokenMatches(this.options.token, token)
          ? {
              code: 'unauthorized',
              message: this.authenticated
                ? `${AUTH_COMMAND}: the API token is missing or wrong; this connection stays authenticated with the token it opened with.`
                : 'The API token is missing or wrong.',
            }
          : null
    if (refusal !== null) {
      this.respond(response(id, fail(refusal.code, refusal.message)))
      if (!this.authenticated) this.close(CLOSE_UNAUTHORIZED, refusal.code === 'unauthorized' ? 'unauthorized' : 'protocol mismatch')
      return
    }
    this.authenticated = true
    if (this.authTimer) clearTimeout(this.authTimer)
    this.authTimer = null
    this.respond(response(id, ok({ protocol: PROTOCOL_VERSION })))
  }

  private fromSession(message: ServerMessage): void {
    if (this.closed) return
    if (message.kind !== 'events') {
      this.respond(message)
      return
    }
    for (const event of message.events) {
      const json = JSON.stringify(event)
      this.queue({ json, bytes: Buffer.byteLength(json), seq: isDurable(event) ? event.seq : 0 })
    }
    this.afterQueued()
  }

  private fromStoredPage(page: readonly StoredEventText[]): void {
    if (this.closed) return
    for (const { seq, json } of page) this.queue({ json, bytes: Buffer.byteLength(json), seq })
    this.afterQueued()
  }

  private readyForPage(): boolean {
    return this.socket.bufferedAmount + this.pendingBytes <= this.options.highWaterBytes
  }

  private queue(event: WireEvent): void {
    this.pending.push(event)
    this.pendingBytes += event.bytes
  }

  private afterQueued(): void {
    if (this.pendingBytes > this.options.maxPendingBytes && this.socket.bufferedAmount > this.options.highWaterBytes) {
      this.resync()
      return
    }
    this.flushImmediate ??= setImmediate(() => {
      this.flushImmediate = null
      this.flush()
    })
  }

  /**
   * Every response goes out here. Responses keep their place in the stream: the events
   * queued before one go first, even on a congested socket (the queue holds at most about
   * maxPendingBytes: beyond that the subscription ends in `resync`).
   */
  private respond(message: ServerMessage): void {
    if (this.closed) return
    // A client that keeps asking without reading the answers is cut off, not buffered for.
    if (this.socket.bufferedAmount > this.options.maxPendingBytes * 4) {
      this.socket.terminate()
      return
    }
    this.sendPending()
    this.sendNow(message)
  }

  /** Sends the waiting events unless the socket is congested, in which case it retries shortly. */
  private flush(): void {
    if (this.closed || this.pending.length === 0) return
    if (this.socket.bufferedAmount > this.options.highWaterBytes) {
      if (this.pendingBytes > this.options.maxPendingBytes) {
        this.resync()
        return
      }
      this.flushTimer ??= setTimeout(() => {
        this.flushTimer = null
        this.flush()
      }, CONGESTED_RETRY_MS)
      return
    }
    this.sendPending()
  }

  private sendPending(): void {
    const events = this.pending
    this.pending = []
    this.pendingBytes = 0
    for (const message of eventsMessageRanges(events)) {
      // As UTF-8 written straight from each event's text: sending the joined string made ws measure it and then encode it again.
      if (this.socket.readyState === this.socket.OPEN) this.socket.send(eventsMessageBytes(events, message), { binary: false })
      if (message.lastSeq > 0) this.lastSeqSent = message.lastSeq
    }
  }

  /** Ends the subscription and tells the client where to pick up; nothing is buffered any more. */
  private resync(): void {
    this.session.dispose()
    this.pending = []
    this.pendingBytes = 0
    this.sendNow(
      resyncMessage(
        this.lastSeqSent,
        `The client fell too far behind the event stream; subscribe again with since=${this.lastSeqSent} (re-read output with run.readLog).`,
      ),
    )
  }

  private sendNow(message: ServerMessage): void {
    this.sendText(JSON.stringify(message))
  }

  private sendText(text: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return
    this.socket.send(text)
  }

  private dispose(): void {
    if (this.closed) return
    this.closed = true
    if (this.authTimer) clearTimeout(this.authTimer)
    if (this.flushTimer) clearTimeout(this.flushTimer)
    if (this.flushImmediate) clearImmediate(this.flushImmediate)
    this.pending = []
    this.session.dispose()
    this.options.onClosed()
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8')
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

function idOf(raw: unknown): number {
  return isRecord(raw) && typeof raw.id === 'number' && Number.isSafeInteger(raw.id) ? raw.id : -1
}

const isAuthMessage = (raw: unknown): boolean => isRecord(raw) && raw.command === AUTH_COMMAND
const isSubscribe = (raw: unknown): boolean => isRecord(raw) && raw.command === 'events.subscribe'

function sinceOf(raw: unknown): number {
  const params = isRecord(raw) ? raw.params : undefined
  const since = isRecord(params) ? params.since : undefined
  return typeof since === 'number' && Number.isSafeInteger(since) && since >= 0 ? since : 0
}

/** Events `start` to `end` (exclusive) of a list as one `events` message of `bytes` UTF-8 bytes, whose newest durable seq is `lastSeq` (0 if none). */
export interface EventsMessageRange {
  start: number
  end: number
  bytes: number
  lastSeq: number
}

/**
 * Splits events into `events` messages of at most MAX_EVENTS_PER_MESSAGE events and
 * MAX_BYTES_PER_MESSAGE UTF-8 bytes (an event larger than that goes alone).
 */
export function eventsMessageRanges(events: readonly WireEvent[]): EventsMessageRange[] {
  const messages: EventsMessageRange[] = []
  let start = 0
  let bytes = ENVELOPE_BYTES
  let lastSeq = 0
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!
    // Every event after the first is preceded by a comma.
    if (i > start && (i - start >= MAX_EVENTS_PER_MESSAGE || bytes + 1 + event.bytes > MAX_BYTES_PER_MESSAGE)) {
      messages.push({ start, end: i, bytes, lastSeq })
      start = i
      bytes = ENVELOPE_BYTES
      lastSeq = 0
    }
    bytes += (i > start ? 1 : 0) + event.bytes
    if (event.seq > 0) lastSeq = event.seq
  }
  if (start < events.length) messages.push({ start, end: events.length, bytes, lastSeq })
  return messages
}

const EVENTS_PREFIX_BYTES = Buffer.from(EVENTS_PREFIX)
const COMMA = 0x2c

/** The UTF-8 of one `events` message: the envelope around its events' JSON, joined by commas (the text `eventsMessages` gives). */
export function eventsMessageBytes(events: readonly WireEvent[], message: EventsMessageRange): Buffer {
  const out = Buffer.allocUnsafe(message.bytes)
  let at = EVENTS_PREFIX_BYTES.copy(out, 0)
  for (let i = message.start; i < message.end; i++) {
    if (i > message.start) out[at++] = COMMA
    at += out.write(events[i]!.json, at)
  }
  at += out.write(EVENTS_SUFFIX, at)
  // `bytes` is the sum of Buffer.byteLength of these very strings, so all of `out` is written; never send a byte that was not.
  return at === out.length ? out : out.subarray(0, at)
}

/** The same messages as text (the bench frames a history with it, as the server would). */
export function eventsMessages(events: readonly WireEvent[]): { text: string; bytes: number; lastSeq: number }[] {
  return eventsMessageRanges(events).map(({ start, end, bytes, lastSeq }) => ({
    text: EVENTS_PREFIX + events.slice(start, end).map((event) => event.json).join(',') + EVENTS_SUFFIX,
    bytes,
    lastSeq,
  }))
}
