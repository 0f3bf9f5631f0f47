import { diffLogs, unpackLog, type PackedLog } from './line-diff.ts'

/** A diff of two long logs takes longer than a frame (see COMPARE_MAX_LINES), so it runs here, off the UI thread. */
export interface DiffRequest {
  base: PackedLog
  target: PackedLog
  ignoreDigits: boolean
}

self.addEventListener('message', (event: MessageEvent<DiffRequest>) => {
  const { base, target, ignoreDigits } = event.data
  self.postMessage(diffLogs(unpackLog(base), unpackLog(target), ignoreDigits))
})
