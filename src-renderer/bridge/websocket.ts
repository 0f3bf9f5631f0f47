import { BehaviorSubject, Observable, Subject, Subscription, type SchedulerLike } from 'rxjs'
import {
  AUTH_COMMAND,
  PROTOCOL_VERSION,
  ServerMessageFrameSchema,
  checkEventFrames,
  lastSeqAfter,
  describeIssues,
  isDurable,
  issuesOf,
  type ApiError,
  type CommandInput,
  type CommandName,
  type CommandResult,
  type EngineEvent,
  type Result,
  type ServerMessage,
} from '../../src-shared/index.ts'
import { DEFAULT_BACKOFF, retryWithBackoff, type BackoffOptions } from '../streams/reconnect.ts'
import type { CatchUp } from './catch-up.ts'
import type { Bridge, ConnectionState, SubscribeOptions } from './types.ts'

export interface WebSocketBridgeOptions {
  url: string
  /** Read at every connection attempt, so a token given later (a new URL) is used. */
  token: () => string | null
  backoff?: BackoffOptions
  scheduler?: SchedulerLike
  /**
   * How a subscription catches up on history before the WebSocket takes over (the event
   * log over HTTP, which browsers read faster than WebSocket frames); without it, or when
   * it fails, the WebSocket's `since` replay brings the history.
   */
  catchUp?: CatchUp
}

export interface WebSocketBridge extends Bridge {
  connection$: Observable<ConnectionState>
  /** Connects again now (e.g. with a new token), keeping the subscription and its last seq. */
  reconnect(): void
  dispose(): void
}

class UnauthorizedError extends Error {}
/** The server sent a message the app does not understand: shown, and not retried (it would come again). */
class RefusedMessageError extends Error {}

const AUTH_ID = 0

/**
 * The browser's bridge to `taskdeck serve`: one WebSocket carrying the same envelopes as
 * IPC. It authenticates with the first message, reconnects with backoff, and on every
 * reconnect resubscribes from the last seq it delivered, so the UI misses no durable event;
 * live output dropped meanwhile is announced on `resync$` for log views to read again.
 * Requests made while offline wait for the connection; requests in flight when it drops
 * fail as values (the UI shows them), since the server may or may not have run them.
 */
export function webSocketBridge(options: WebSocketBridgeOptions): WebSocketBridge {
  const connection$ = new BehaviorSubject<ConnectionState>({ kind: 'connecting', attempt: 0 })
  const inFlight = new Map<number, (result: Result<unknown>) => void>()
  const outbox: { id: number; text: string }[] = []
  let socket: WebSocket | null = null
  let nextId = 1
  let subscription: { lastSeq: number; onEvents: (events: EngineEvent[]) => void; options: SubscribeOptions } | null = null
  const resync$ = new Subject<void>()
  /**
   * The id of an events.subscribe not yet answered: until then events of the subscription it
   * replaces may still arrive, and those may skip ahead of what was delivered (the catch-up
   * ignored them); they are dropped, since the new subscription replays them from the last seq.
   */
  let pendingSubscribe: number | null = null
  /** Set once a connection was online: the next one may have missed live output. */
  let wasOnline = false

  const sendNow = (id: number, text: string) => {
    if (socket && connection$.value.kind === 'online') socket.send(text)
    else outbox.push({ id, text })
  }

  const request = (command: string, params: unknown): Promise<Result<unknown>> =>
    new Promise((resolve) => {
      const state = connection$.value
      if (state.kind === 'refused') {
        resolve({ ok: false, error: { code: 'internal', message: `Not connected: ${state.reason}` } satisfies ApiError })
        return
      }
      const id = nextId++
      inFlight.set(id, resolve)
      if (command === 'events.subscribe') pendingSubscribe = id
      sendNow(id, JSON.stringify({ v: PROTOCOL_VERSION, id, command, params }))
    })

  const subscribeParams = (since: number, options: SubscribeOptions) => (options.output ? { since, output: options.output } : { since })

  /** The catch-up in progress, if any: a newer (re)subscription or a disconnect cancels it. */
  let catchingUp: { cancel(): void } | null = null
  let missedOutputWhileCatchingUp = false
  const stopCatchingUp = () => {
    catchingUp?.cancel()
    catchingUp = null
  }

  /**
   * Tells log views that live output may have been lost. While a catch-up runs there is no
   * live subscription yet, so a re-read now could miss output written before it starts: the
   * tick waits until the WebSocket subscription that follows the catch-up is made.
   */
  const announceMissedOutput = () => {
    if (catchingUp) missedOutputWhileCatchingUp = true
    else resync$.next()
  }

  /** A head seq the server named (its answers' contents are not schema-checked: a value that is no seq says the head is unknown). */
  const announceHead = (target: NonNullable<typeof subscription>, headSeq: unknown) => {
    target.options.onHead?.(typeof headSeq === 'number' && Number.isSafeInteger(headSeq) && headSeq >= 0 ? headSeq : null)
  }

  const deliver = (target: NonNullable<typeof subscription>, events: EngineEvent[]) => {
    target.lastSeq = lastSeqAfter(target.lastSeq, events)
    target.onEvents(events)
  }

  /**
   * Subscribes over the WebSocket from the last seq delivered, after catching up over HTTP
   * first when a catch-up is configured: the WebSocket then replays only what came after
   * the log's head (and, should the catch-up fail, everything it did not deliver), so no
   * event is lost or delivered twice, and the subscriber's sequence check still sees them in order.
   */
  /**
   * Subscribes from what the page has. A refusal by name (a seq this server's event log never reached: the page
   * folded another log) stops the connection with the server's reason: retrying would be refused again.
   */
  const subscribeFrom = (target: NonNullable<typeof subscription>) =>
    request('events.subscribe', subscribeParams(target.lastSeq, target.options)).then((result) => {
      if (!result.ok && result.error.code === 'bad_request' && subscription === target) refuse(`The server refused to send events: ${result.error.message}`)
      // A subscription that failed learns no head (a new connection subscribes again and learns one).
      if (subscription === target) announceHead(target, result.ok ? (result.value as { headSeq?: unknown } | null)?.headSeq : null)
      return result
    })
  const resubscribe = () => {
    stopCatchingUp()
    const target = subscription
    if (!target) return
    const token = options.token()
    if (!options.catchUp || token === null) {
      void subscribeFrom(target)
      return
    }
    const run = options.catchUp(target.lastSeq, token, (events) => deliver(target, events), (headSeq) => announceHead(target, headSeq))
    const mine = { cancel: () => run.cancel() }
    catchingUp = mine
    const thenSubscribe = () => {
      if (catchingUp !== mine) return
      catchingUp = null
      if (subscription !== target || connection$.value.kind !== 'online') return
      void subscribeFrom(target).then(() => {
        if (!missedOutputWhileCatchingUp) return
        missedOutputWhileCatchingUp = false
        resync$.next()
      })
    }
    run.done.then(thenSubscribe, thenSubscribe)
  }

  const connection = new Observable<ServerMessage>((subscriber) => {
    const ws = new WebSocket(options.url)
    let authed = false
    ws.onopen = () => ws.send(JSON.stringify({ v: PROTOCOL_VERSION, id: AUTH_ID, command: AUTH_COMMAND, params: { token: options.token() ?? '' } }))
    ws.onmessage = (message: MessageEvent) => {
      const parsed = frameOf(String(message.data))
      if (typeof parsed === 'string') {
        subscriber.error(new RefusedMessageError(parsed))
        return
      }
      if (!authed) {
        if (parsed.kind === 'response' && parsed.id === AUTH_ID) {
          if (!parsed.result.ok) {
            subscriber.error(new UnauthorizedError(parsed.result.error.message))
            return
          }
          authed = true
          socket = ws
          connection$.next({ kind: 'online' })
          for (const queued of outbox.splice(0)) ws.send(queued.text)
          resubscribe()
          if (wasOnline) announceMissedOutput()
          wasOnline = true
        }
        return
      }
      subscriber.next(parsed)
    }
    ws.onclose = (event: CloseEvent) => {
      if (socket === ws) socket = null
      pendingSubscribe = null
      // The next connection catches up again from what was delivered.
      stopCatchingUp()
      failInFlight('The connection to Taskdeck was lost before the answer came; check whether it ran.')
      if (event.code === 4401 || event.code === 1008) subscriber.error(new UnauthorizedError(event.reason || 'The token was refused.'))
      else subscriber.error(new Error(event.reason || `connection closed (${event.code})`))
    }
    return () => {
      ws.onclose = null
      ws.onmessage = null
      if (socket === ws) socket = null
      ws.close()
    }
  })

  /** The message if its envelope is one the app understands, else what was wrong (the events' frames are checked on delivery). */
  const frameOf = (text: string): ServerMessage | string => {
    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch (error) {
      return `a message from the server is not JSON (${error instanceof Error ? error.message : String(error)})`
    }
    const frame = ServerMessageFrameSchema.safeParse(raw)
    return frame.success ? (raw as ServerMessage) : describeIssues('a message from the server', issuesOf(frame.error))
  }

  const failInFlight = (message: string) => {
    const queuedIds = new Set(outbox.map((q) => q.id))
    for (const [id, resolve] of inFlight) {
      if (queuedIds.has(id)) continue
      inFlight.delete(id)
      resolve({ ok: false, error: { code: 'internal', message } satisfies ApiError })
    }
  }

  const backoff: BackoffOptions = {
    ...(options.backoff ?? DEFAULT_BACKOFF),
    scheduler: options.scheduler,
    isFatal: (error) => error instanceof UnauthorizedError || error instanceof RefusedMessageError,
    onRetry: (attempt, retryInMs, error) => {
      connection$.next({ kind: 'offline', attempt, retryInMs, reason: error instanceof Error ? error.message : String(error) })
    },
  }

  let current = new Subscription()
  /** Ends the connection without retrying: the same server would send the same message again. */
  const refuse = (reason: string) => {
    current.unsubscribe()
    stopCatchingUp()
    connection$.next({ kind: 'refused', reason })
    failInFlight(`Not connected: ${reason}`)
  }
  const connect = () =>
    connection.pipe(retryWithBackoff(backoff)).subscribe({
      next: (message) => {
        if (message.kind === 'response') {
          if (message.id === pendingSubscribe) pendingSubscribe = null
          const resolve = inFlight.get(message.id)
          inFlight.delete(message.id)
          resolve?.(message.result)
          return
        }
        if (message.kind === 'resync') {
          // The server stopped streaming to us (we fell behind): ask again from what we have.
          resubscribe()
          announceMissedOutput()
          return
        }
        if (!subscription) return
        if (catchingUp) {
          // A subscription made before this catch-up is still streaming: its durable events come again
          // from the WebSocket subscription that follows the catch-up, its live output is announced as missed.
          if (message.events.some((event) => !isDurable(event))) missedOutputWhileCatchingUp = true
          return
        }
        const problem = checkEventFrames(subscription.lastSeq, message.events, { repeats: true, durableOnly: false })
        // A seq that skips ahead is not a message the app fails to understand but a hole: the subscriber's
        // sequence check (streams/sequence.ts) keeps what came before it and subscribes again from there.
        // Only while a subscribe is unanswered is it dropped: it can only be the replaced subscription's.
        if (problem?.gap && pendingSubscribe !== null) return
        if (problem && !problem.gap) {
          refuse(`The server sent events the app does not understand: ${problem.message}.`)
          return
        }
        deliver(subscription, message.events)
      },
      error: (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error)
        if (error instanceof RefusedMessageError) return refuse(reason)
        connection$.next({ kind: 'unauthorized', reason })
        failInFlight('Not connected: the token was refused.')
      },
    })
  current = connect()

  return {
    connection$: connection$.asObservable(),
    invoke<N extends CommandName>(command: N, params: CommandInput<N>): Promise<Result<CommandResult<N>>> {
      return request(command, params) as Promise<Result<CommandResult<N>>>
    },
    resync$: resync$.asObservable(),
    subscribe(since, onEvents, options = {}) {
      const mine = { lastSeq: since, onEvents, options }
      subscription = mine
      // Offline, the subscription is made on connecting (resubscribe), not queued twice.
      if (connection$.value.kind === 'online') resubscribe()
      return () => {
        if (subscription !== mine) return
        subscription = null
        stopCatchingUp()
      }
    },
    reconnect() {
      current.unsubscribe()
      failInFlight('The connection was restarted before the answer came; check whether it ran.')
      pendingSubscribe = null
      connection$.next({ kind: 'connecting', attempt: 0 })
      current = connect()
    },
    dispose() {
      current.unsubscribe()
      connection$.complete()
      resync$.complete()
    },
  }
}

/** Reads the token from `#token=…` once, keeps it for this tab, and strips it from the URL. */
export function takeTokenFromLocation(
  location: { readonly hash: string; readonly pathname: string; readonly search: string },
  history: { replaceState(data: unknown, unused: string, url: string): void },
  storage: { getItem(key: string): string | null; setItem(key: string, value: string): void },
): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash)
  if (match?.[1]) {
    const token = decodeURIComponent(match[1])
    storage.setItem('taskdeck.token', token)
    history.replaceState(null, '', location.pathname + location.search)
    return token
  }
  return storage.getItem('taskdeck.token')
}
