import type { DesktopState } from './desktopState.ts'

/**
 * Whether the desktop app keeps the computer from sleeping: while a task is running and
 * `settings.keepAwake` allows it. A suspended machine stalls its local runs, and servers
 * they talk to time out or drop their connections. A run in a group bound to Redis counts
 * too: this app follows it, and its worker may hand it back here (overflow, fallback).
 * Paused tasks are stopped on purpose and queued ones are not running yet, so neither keeps
 * it awake; only sleep is held off, the screen may still turn off.
 */
export function keepAwake(state: DesktopState): boolean {
  if (!state.settings.keepAwake) return false
  for (const task of state.tasks.values()) if (task.status === 'running') return true
  return false
}
