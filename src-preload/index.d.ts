import type { TaskdeckPreloadApi } from './bridge.ts'

export type { DesktopIntent, ShortcutProblem, TaskdeckPreloadApi } from './bridge.ts'

declare global {
  interface Window {
    taskdeck?: TaskdeckPreloadApi
  }
}
