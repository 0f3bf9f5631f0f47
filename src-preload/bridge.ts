import type { CommandInput, CommandName, CommandResult, EngineEvent, OutputMode, Result } from '../src-shared/index.ts'
import type { DesktopIntent, ShortcutProblem } from '../src-shared/decisions/intents.ts'

/**
 * What the preload exposes to the renderer as `window.taskdeck`: a few named functions
 * derived from the contract, never ipcRenderer. The renderer's WebSocket bridge offers
 * the same invoke/subscribe, so views cannot tell which transport they run on.
 */
export interface TaskdeckPreloadApi {
  invoke<N extends CommandName>(command: N, params: CommandInput<N>): Promise<Result<CommandResult<N>>>
  /**
   * Replays durable events after `since`, then live ones; returns the disposer. `output`
   * is events.subscribe's: `watched` carries live output only of the runs named with output.watch.
   * `onHead` is told the subscribe reply's head seq (the log holds every seq up to it, and the
   * subscription delivers them), or null when the subscription failed and no head will come.
   * `onEventsText` takes replayed history as main forwards it, a JSON array of the stored events'
   * text, for the page to parse and check; without it the preload parses it for `onEvents`.
   */
  subscribe(
    since: number,
    onEvents: (events: EngineEvent[]) => void,
    options?: { output?: OutputMode; onHead?: (headSeq: number | null) => void; onEventsText?: (json: string) => void },
  ): () => void
  /**
   * Desktop-only requests from main (open a task, a view, quick add). Intents sent before
   * the first listener (a deep link at cold start) are held for it.
   */
  onDesktopIntent(listener: (intent: DesktopIntent) => void): () => void
  /**
   * Global shortcuts that are not active (taken by another app, invalid, duplicate), for
   * Settings to show next to each binding. The listener gets the current list at once,
   * then every change; an empty list means all are registered.
   */
  onShortcutStatus(listener: (problems: ShortcutProblem[]) => void): () => void
}

export type { DesktopIntent, ShortcutProblem }
