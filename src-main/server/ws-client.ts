import type { RawData, WebSocket } from 'ws'
import {
  AUTH_COMMAND,
  PROTOCOL_VERSION,
  RequestEnvelopeSchema,
  eventsMessage,
  fail,
  isDurable,
  ok,
  response,
  resyncMessage,
  type EngineEvent,
  type ServerMessage,
} from '../../src-shared/index.ts'
import { ApiSession } from '../api/session.ts'
import type { EngineApi } from '../engine/api.ts'
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
const MAX_EVENTS_PER_MESSAGE = 2000
/**
 * Bytes (estimated) per message: a browser decodes and parses each message in one task on
 * its main thread, so a multi-megabyte backlog of output sent as one message freezes the UI
 * for hundreds of milliseconds; as many small messages it leaves room for frames in between.
 * A single event larger than this still goes alone.
 */
const MAX_BYTES_PER_MESSAGE = 256 * 1024
/** How long to wait before retrying a flush while the socket is above its high-water mark. */
const CONGESTED_RETRY_MS = 25

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
  private pending: EngineEvent[] = []
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
    this.session = new ApiSession(options.engine, (message) => this.fromSession(message), {
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
      this.sendNow(response(-1, fail('bad_request', 'Binary frames are not accepted; send each message as a JSON text frame.')))
      return
    }
    let raw: unknown
    try {
      raw = JSON.parse(rawText(data))
    } catch (error) {
      this.sendNow(response(-1, fail('bad_request', `Message is not valid JSON: ${(error as Error).message}`)))
      return
    }
    if (isAuthMessage(raw)) {
      this.authenticate(raw)
      return
    }
    if (!this.authenticated) {
      const id = idOf(raw)
      this.sendNow(response(id, fail('unauthorized', `The first message must be ${AUTH_COMMAND} with the API token.`)))
      this.close(CLOSE_UNAUTHORIZED, 'unauthorized')
      return
    }
    if (isSubscribe(raw)) this.lastSeqSent = sinceOf(raw)
    void this.session.handle(raw)
  }

  private authenticate(raw: unknown): void {
    const envelope = RequestEnvelopeSchema.safeParse(raw)
    const id = envelope.success ? envelope.data.id : idOf(raw)
    const params = envelope.success ? envelope.data.params : undefined
    const token = typeof params === 'object' && params !== null ? (params as { token?: unknown }).token : undefined
    if (envelope.success && envelope.data.v !== PROTOCOL_VERSION) {
      this.sendNow(
        response(
          id,
          fail('protocol_mismatch', `Protocol version ${envelope.data.v} is not supported; this server speaks version ${PROTOCOL_VERSION}.`),
        ),
      )
      this.close(CLOSE_UNAUTHORIZED, 'protocol mismatch')
      return
    }
    if (typeof token !== 'string' || !tokenMatches(this.options.token, token)) {
      this.sendNow(response(id, fail('unauthorized', 'The API token is missing or wrong.')))
      this.close(CLOSE_UNAUTHORIZED, 'unauthorized')
      return
    }
    this.authenticated = true
    if (this.authTimer) clearTimeout(this.authTimer)
    this.authTimer = null
    this.sendNow(response(id, ok({ protocol: PROTOCOL_VERSION })))
  }

  private fromSession(message: ServerMessage): void {
    if (this.closed) return
    if (message.kind !== 'events') {
      // A client that keeps asking without reading the answers is cut off, not buffered for.
      if (this.socket.bufferedAmount > this.options.maxPendingBytes * 4) {
        this.socket.terminate()
        return
      }
      // Responses keep their place in the stream: events produced before them go first.
      this.flush()
      this.sendNow(message)
      return
    }
    for (const event of message.events) {
      this.pending.push(event)
      this.pendingBytes += estimatedBytes(event)
    }
    if (this.pendingBytes > this.options.maxPendingBytes && this.socket.bufferedAmount > this.options.highWaterBytes) {
      this.resync()
      return
    }
    this.flushImmediate ??= setImmediate(() => {
      this.flushImmediate = null
      this.flush()
    })
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
    const events = this.pending
    this.pending = []
    this.pendingBytes = 0
    let batch: typeof events = []
    let batchBytes = 0
    const send = () => {
      this.sendNow(eventsMessage(batch))
      for (const event of batch) if (isDurable(event)) this.lastSeqSent = event.seq
      batch = []
      batchBytes = 0
    }
    for (const event of events) {
      const bytes = estimatedBytes(event)
      if (batch.length > 0 && (batch.length >= MAX_EVENTS_PER_MESSAGE || batchBytes + bytes > MAX_BYTES_PER_MESSAGE)) send()
      batch.push(event)
      batchBytes += bytes
    }
    if (batch.length > 0) send()
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
    if (this.socket.readyState !== this.socket.OPEN) return
    this.socket.send(JSON.stringify(message))
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

/** A cheap estimate of an event's size on the wire (output is all text; others are small). */
const estimatedBytes = (event: EngineEvent): number => (event.type === 'run.output' ? event.text.length + 128 : 512)
