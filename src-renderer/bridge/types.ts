import type { Observable } from 'rxjs'
import type { CommandInput, CommandName, CommandResult, EngineEvent, OutputMode, Result } from '../../src-shared/index.ts'

export interface SubscribeOptions {
  /** `watched`: live output only of the runs named with output.watch (see events.subscribe). */
  output?: OutputMode
  /**
   * Told each head seq the transport learns for this subscription (the history reply's, the
   * subscribe reply's): the event log holds every seq up to it, and the subscription will
   * deliver them. The UI shows it is catching up until it has folded them. `null`: the transport
   * could not learn the head (the subscription was refused or failed, an answer named no seq):
   * what the page has folded counts as the head, so it does not say it is reading forever.
   */
  onHead?: (headSeq: number | null) => void
}

/**
 * The renderer's only door to the engine. Same shape as `window.taskdeck` (the preload's
 * TaskdeckPreloadApi), so the IPC and WebSocket implementations are interchangeable.
 */
export interface Bridge {
  invoke<N extends CommandName>(command: N, params: CommandInput<N>): Promise<Result<CommandResult<N>>>
  /** Replays durable events after `since`, then live ones; returns the disposer. */
  subscribe(since: number, onEvents: (events: EngineEvent[]) => void, options?: SubscribeOptions): () => void
  /**
   * Ticks when live output may have been lost on the way (the server sent `resync`, or the
   * connection was re-established): open log views read what they show again.
   */
  resync$: Observable<void>
}

/** How the transport is doing; the WebSocket bridge reconnects, IPC is always `online`. */
export type ConnectionState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'online' }
  | { kind: 'offline'; attempt: number; retryInMs: number; reason: string }
  | { kind: 'unauthorized'; reason: string }
  /** The server sent a message the app does not understand (reason names it); not retried. */
  | { kind: 'refused'; reason: string }
