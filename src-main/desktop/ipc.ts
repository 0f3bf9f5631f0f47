import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import { fail, type EngineEvent, type Result, type ServerMessage } from '../../src-shared/index.ts'
import { chunkEvents, IPC_CHANNELS, type EventPush } from '../../src-shared/decisions/ipc.ts'
import { isTrustedSender, type TrustOptions } from '../../src-shared/decisions/trust.ts'
import { ApiSession, toFailure } from '../api/session.ts'
import type { Disposable, EngineApi, StoredEventText } from '../engine/api.ts'

/** Runs a callback soon, after the current batch of work (setImmediate in main; tests drive it by hand). */
export type Scheduler = (run: () => void) => void

export interface IpcOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>
  engine: EngineApi
  trust: TrustOptions
  schedule: Scheduler
}

/**
 * Electron IPC for the contract: one `invoke` channel carrying request envelopes to an
 * ApiSession per window (the same validation and dispatch as the WebSocket), and one
 * `events` channel pushing that window's subscription in batches. Every message is
 * refused unless it comes from our own top-level frame showing our own UI.
 */
export function registerIpc(options: IpcOptions): Disposable {
  const connections = new Map<number, IpcConnection>()

  const connectionFor = (contents: WebContents): IpcConnection => {
    let connection = connections.get(contents.id)
    if (!connection) {
      const created = new IpcConnection(contents, options.engine, options.schedule)
      connections.set(contents.id, created)
      contents.once('destroyed', () => {
        created.dispose()
        connections.delete(contents.id)
      })
      // A reload or navigation starts a new page that will subscribe again; stop feeding the old one.
      contents.on('did-start-navigation', (details) => {
        if (details.isMainFrame && !details.isSameDocument) created.stopEvents()
      })
      connection = created
    }
    return connection
  }

  options.ipcMain.handle(IPC_CHANNELS.invoke, (event: IpcMainInvokeEvent, raw: unknown): Promise<Result<unknown>> | Result<unknown> => {
    const frame = event.senderFrame
    const facts = { url: frame?.url, isTopLevel: frame !== null && frame.parent === null }
    if (!isTrustedSender(facts, options.trust)) {
      return fail('unauthorized', 'Refused: IPC is accepted only from the Taskdeck window itself.')
    }
    return connectionFor(event.sender).request(raw)
  })

  return {
    dispose() {
      options.ipcMain.removeHandler(IPC_CHANNELS.invoke)
      for (const connection of connections.values()) connection.dispose()
      connections.clear()
    },
  }
}

const requestKey = (raw: unknown): number =>
  typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'number' ? (raw as { id: number }).id : -1

const isSubscribe = (raw: unknown): boolean => typeof raw === 'object' && raw !== null && (raw as { command?: unknown }).command === 'events.subscribe'

/**
 * One window's connection. ApiSession speaks in messages (a response by id, event
 * batches); this turns responses back into the invoke's return value and tags event
 * batches with the subscription that produced them.
 */
class IpcConnection implements Disposable {
  private readonly contents: WebContents
  private readonly schedule: Scheduler
  private readonly session: ApiSession
  private readonly pending = new Map<number, (result: Result<unknown>) => void>()
  /** The id of the `events.subscribe` request being handled or last handled. */
  private subscribingAs = 0
  /** The subscription whose events are being delivered right now (set around the session's listener). */
  private deliveringFor = 0
  private currentSubscription = 0
  /** Batches waiting for the next flush, in order: live events as objects, or replayed history as its stored texts. */
  private queue: ({ subscription: number; events: EngineEvent[]; texts?: undefined } | { subscription: number; texts: string[]; events?: undefined })[] = []
  private flushScheduled = false

  constructor(contents: WebContents, engine: EngineApi, schedule: Scheduler) {
    this.contents = contents
    this.schedule = schedule
    // The session owns the subscription's lifetime; this wrapper only learns which request started it.
    // Replayed history goes to the page as the log's own JSON text (as the WebSocket sends it): this
    // thread neither parses nor copies each event, the page parses and checks it. Live batches
    // stay objects, through the session's watched-output policy.
    const tagging: EngineApi = {
      handlers: engine.handlers,
      close: () => engine.close(),
      subscribe: (since, listener) => {
        const tag = this.subscribingAs
        this.currentSubscription = tag
        return engine.subscribe(
          since,
          (events) => {
            this.deliveringFor = tag
            listener(events)
          },
          { onStoredPage: (page) => this.enqueueText(tag, page) },
        )
      },
    }
    this.session = new ApiSession(tagging, (message) => this.receive(message))
  }

  request(raw: unknown): Promise<Result<unknown>> {
    const key = requestKey(raw)
    if (this.pending.has(key)) return Promise.resolve(fail('bad_request', `Request id ${key} is already in flight.`))
    return new Promise((resolve) => {
      this.pending.set(key, resolve)
      if (isSubscribe(raw)) this.subscribingAs = key
      this.session.handle(raw).catch((error: unknown) => this.resolve(key, toFailure(error)))
    })
  }

  private resolve(id: number, result: Result<unknown>): void {
    const resolve = this.pending.get(id)
    this.pending.delete(id)
    resolve?.(result)
  }

  private receive(message: ServerMessage): void {
    if (message.kind === 'response') this.resolve(message.id, message.result)
    else if (message.kind === 'events') this.enqueue(this.deliveringFor, message.events)
  }

  private enqueue(subscription: number, events: EngineEvent[]): void {
    const last = this.queue[this.queue.length - 1]
    if (last && last.subscription === subscription && last.events) last.events.push(...events)
    else this.queue.push({ subscription, events: [...events] })
    this.scheduleFlush()
  }

  private enqueueText(subscription: number, page: readonly StoredEventText[]): void {
    if (page.length === 0) return
    const last = this.queue[this.queue.length - 1]
    if (last && last.subscription === subscription && last.texts) last.texts.push(...page.map((e) => e.json))
    else this.queue.push({ subscription, texts: page.map((e) => e.json) })
    this.scheduleFlush()
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true
      this.schedule(() => this.flush())
    }
  }

  /** Sends everything queued since the last flush, in order: few large messages instead of one per event. */
  private flush(): void {
    this.flushScheduled = false
    const queue = this.queue
    this.queue = []
    if (this.contents.isDestroyed()) return
    for (const push of queue) {
      if (push.subscription !== this.currentSubscription) continue
      if (push.texts) {
        for (const texts of chunkEvents(push.texts)) {
          this.contents.send(IPC_CHANNELS.events, { subscription: push.subscription, json: `[${texts.join(',')}]` } satisfies EventPush)
        }
        continue
      }
      for (const events of chunkEvents(push.events)) {
        this.contents.send(IPC_CHANNELS.events, { subscription: push.subscription, events } satisfies EventPush)
      }
    }
  }

  stopEvents(): void {
    this.session.dispose()
    this.currentSubscription = 0
    this.queue = []
  }

  dispose(): void {
    this.stopEvents()
    for (const resolve of this.pending.values()) resolve(fail('internal', 'The window closed before the answer arrived.'))
    this.pending.clear()
  }
}
