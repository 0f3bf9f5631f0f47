import type { DesktopState } from './desktopState.ts'

/**
 * Whether the desktop app keeps the computer from sleeping: while a task is running and
 * `settings.keepAwake` allows it. A suspended machine freezes every run (a download times
 * out, a build's timers stall) and a task's hard timeout keeps counting across the sleep.
 * Paused tasks are stopped on purpose and queued ones are not running yet, so neither keeps
 * it awake; only sleep is held off, the screen may still turn off.
 */
export function keepAwake(state: DesktopState): boolean {
  if (!state.settings.keepAwake) return false
  for (const task of state.tasks.values()) if (task.status === 'running') return true
  return false
}
