/**
 * What happened to a watched path, as chokidar names it: a file added, changed or removed
 * (`unlink`), a folder added or removed. Kept without zod, so the CLI can name them without
 * loading the contract.
 */
export const FILE_EVENTS = ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const
export type FileEvent = (typeof FILE_EVENTS)[number]

/** What a file watch reacts to when its spec names nothing (as before folders could be named): files added, changed and removed. */
export const DEFAULT_FILE_EVENTS: readonly FileEvent[] = ['add', 'change', 'unlink']

/** True when a watch reacts to exactly the default events (in any order), so there is nothing to say about them. */
export const isDefaultFileEvents = (events: readonly FileEvent[]): boolean =>
  new Set(events).size === DEFAULT_FILE_EVENTS.length && DEFAULT_FILE_EVENTS.every((event) => events.includes(event))
