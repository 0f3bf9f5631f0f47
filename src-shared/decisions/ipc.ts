import type { EngineEvent } from '../events.ts'

/**
 * The Electron IPC channels between the preload and main: one request channel and three
 * pushes (events, desktop intents, global shortcut status). The
 * request and response on `invoke` are the contract's envelope and Result, exactly as on
 * the WebSocket; `events` carries batches tagged with the id of the `events.subscribe`
 * request that started them, so a re-subscription never sees the previous one's events.
 */
export const IPC_CHANNELS = {
  invoke: 'taskdeck:invoke',
  events: 'taskdeck:events',
  intents: 'taskdeck:intent',
  shortcutStatus: 'taskdeck:shortcut-status',
} as const

/**
 * One batch for one subscription: `events` as objects (live batches), or `json`, replayed
 * history as the event log stores it, a JSON array of the stored events' text that main
 * forwards unparsed (the page parses it and checks its framing, as it does the HTTP
 * catch-up's; docs/benchmarks.md "Runtime thread"). A push has one or the other.
 */
export type EventPush = { subscription: number; events: EngineEvent[]; json?: undefined } | { subscription: number; json: string; events?: undefined }

/** Large replays are cut into messages of at most this many events, so one IPC message stays small. */
export const MAX_EVENTS_PER_PUSH = 1000

/** Splits queued events (or their texts) into pushes in order, none larger than MAX_EVENTS_PER_PUSH. */
export function chunkEvents<T>(events: readonly T[], max = MAX_EVENTS_PER_PUSH): T[][] {
  const chunks: T[][] = []
  for (let i = 0; i < events.length; i += max) chunks.push(events.slice(i, i + max))
  return chunks
}
