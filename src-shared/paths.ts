/**
 * Where `taskdeck serve` answers, for the server and every client (the CLI, the web UI,
 * tests). No imports, so the CLI can take these without loading the schemas.
 */
export const COMMAND_PATH = '/api/v1/command'
export const WEBSOCKET_PATH = '/api/v1/ws'
/** The event log as NDJSON (`?since=N`), ending at the seq named in HEAD_SEQ_HEADER. */
export const EVENTS_PATH = '/api/v1/events'
export const HEAD_SEQ_HEADER = 'Taskdeck-Head-Seq'
