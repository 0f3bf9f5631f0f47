import type { Bridge } from './types.ts'

export type PreloadApi = NonNullable<Window['taskdeck']>

/** Under Electron the preload already offers exactly the Bridge shape. */
export function ipcBridge(api: PreloadApi): Bridge {
  return {
    invoke: (command, params) => api.invoke(command, params),
    subscribe: (since, onEvents) => api.subscribe(since, onEvents),
  }
}
