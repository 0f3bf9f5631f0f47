import type { CommandInput, CommandName, CommandResult, EngineEvent, Result } from '../src-shared/index.ts'

/**
 * What the preload exposes to the renderer as `window.taskdeck`: a few named functions
 * derived from the contract, never ipcRenderer. The renderer's WebSocket bridge offers
 * the same two functions, so views cannot tell which transport they run on.
 */
export interface TaskdeckPreloadApi {
  invoke<N extends CommandName>(command: N, params: CommandInput<N>): Promise<Result<CommandResult<N>>>
  /** Replays durable events after `since`, then live ones; returns the disposer. */
  subscribe(since: number, onEvents: (events: EngineEvent[]) => void): () => void
  /** Desktop-only requests from main (open a task, focus the palette), validated there. */
  onDesktopIntent(listener: (intent: DesktopIntent) => void): () => void
}

export type DesktopIntent =
  | { kind: 'open-task'; taskId: number }
  | { kind: 'open-view'; view: 'tasks' | 'loop' | 'dashboard' | 'settings' }
  | { kind: 'quick-add' }

declare global {
  interface Window {
    taskdeck?: TaskdeckPreloadApi
  }
}
