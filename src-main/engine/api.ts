import { TaskdeckError, type CommandName, type CommandParams, type CommandResult, type EngineEvent, type EngineEventType, type TriggerCommandName, type WorkerCommandName } from '../../src-shared/index.ts'

/** Something that must be released: a subscription, a timer, a child process. */
export interface Disposable {
  dispose(): void
}

/**
 * One handler per command, exhaustive: adding a command to the contract fails the build
 * until the engine handles it. Handlers receive params already validated by the contract
 * and throw `TaskdeckError` for refusals (not found, conflict, bad definition).
 * `events.subscribe` and `output.watch` are handled by the session (src-main/api) through `subscribe` below.
 */
export type CommandHandlers = {
  [N in Exclude<CommandName, SessionCommandName | ExtensionCommandName>]: (params: CommandParams<N>) => Promise<CommandResult<N>>
}

/** Commands about the connection itself, served by ApiSession rather than the engine. */
export type SessionCommandName = 'events.subscribe' | 'output.watch'

/** Commands served by in-process extensions (src-main/triggers), not the engine; the composition root adds their handlers. */
export type ExtensionCommandName = TriggerCommandName | WorkerCommandName
export type ExtensionCommandHandlers = {
  [N in ExtensionCommandName]: (params: CommandParams<N>) => Promise<CommandResult<N>>
}

/** A durable event as its JSON text, exactly as `JSON.stringify` writes the event (see `SubscribeOptions`). */
export interface StoredEventText {
  seq: number
  json: string
}

export interface SubscribeOptions {
  /**
   * Given by transports that send text (the WebSocket): replayed history is handed over
   * as pages of stored JSON text, straight from the event log without parsing and
   * re-serialising each event. Pages and live batches come in seq order between them.
   */
  onStoredPage?: (events: readonly StoredEventText[]) => void
  /**
   * Asked before each replay page: while it says no (the client's socket is full), the
   * replay waits instead of reading the whole history into memory ahead of the client.
   */
  readyForPage?: () => boolean
  /**
   * Only events of these types, replayed and live (every type when absent): a subscriber
   * that folds a few types (the desktop shell's tray and notifications) is not handed the
   * rest, so output chunks, progress and stats never cross to it. The replay reads only
   * these types from the log.
   */
  types?: readonly EngineEventType[]
}

/** What every transport (IPC, WebSocket, CLI, worker) needs from an engine. */
export interface EngineApi {
  /** The engine's handlers, plus the extensions' where the composition root added them. */
  readonly handlers: CommandHandlers & Partial<ExtensionCommandHandlers>
  /**
   * Replays every durable event with `seq > since` in order, then delivers live events
   * (durable and transient) as they happen, with no gap and no duplicate between the two.
   * `listener` receives events in batches, in order.
   */
  subscribe(since: number, listener: (events: readonly EngineEvent[]) => void, options?: SubscribeOptions): Disposable & { readonly headSeq: number }
  close(): Promise<void>
}

/**
 * The refusal of a subscription whose `since` this log never reached: it comes from another
 * event log (another home, or one started afresh), and replaying "after" it would send nothing
 * and then live events the client takes for repeats. One wording wherever it is decided.
 */
export function sinceBeyondHead(since: number, headSeq: number): TaskdeckError {
  return new TaskdeckError('bad_request', `since: ${since} is beyond this event log's newest event (seq ${headSeq}); that seq comes from another event log. Subscribe with a since ≤ ${headSeq} (0 replays everything).`, { since, headSeq })
}
