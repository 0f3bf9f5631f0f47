import { NEVER } from 'rxjs'
import type { Bridge } from './types.ts'

export type PreloadApi = NonNullable<Window['taskdeck']>

/**
 * Under Electron the preload already offers the Bridge's invoke and subscribe. IPC has
 * no `resync` (main never drops a window's events), so nothing is lost on the way.
 */
export function ipcBridge(api: PreloadApi): Bridge {
  return {
    invoke: (command, params) => api.invoke(command, params),
    subscribe: (since, onEvents, options) => api.subscribe(since, onEvents, options),
    resync$: NEVER,
  }
}
