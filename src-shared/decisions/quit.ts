/**
 * Quitting stops the embedded engine, and with it every running task. So with tasks
 * running, quitting asks first: keep them running with the window closed (the tray stays),
 * stop them and quit, or go back.
 */
export const QUIT_DIALOG = {
  title: 'Tasks are still running',
  buttons: ['Keep Running in Tray', 'Stop Tasks and Quit', 'Cancel'],
  defaultId: 0,
  cancelId: 2,
} as const

export type QuitPlan =
  | { kind: 'quit' }
  | { kind: 'ask'; message: string; detail: string }

export type QuitChoice = { kind: 'keep-in-tray' } | { kind: 'stop-and-quit' } | { kind: 'abort' }

export function planQuit(activeTaskCount: number): QuitPlan {
  if (activeTaskCount === 0) return { kind: 'quit' }
  const tasks = activeTaskCount === 1 ? '1 task is' : `${activeTaskCount} tasks are`
  return {
    kind: 'ask',
    message: `${tasks} still running.`,
    detail: 'Quitting stops them. Keep Taskdeck running in the tray to let them finish.',
  }
}

/** Maps the dialog's button index (Electron's `response`) to a choice; anything unexpected aborts. */
export function quitChoice(response: number): QuitChoice {
  if (response === 0) return { kind: 'keep-in-tray' }
  if (response === 1) return { kind: 'stop-and-quit' }
  return { kind: 'abort' }
}

/** The window's close button: hide to the tray, or let the window close. */
export function closeButtonHides(options: { closeToTray: boolean; quitting: boolean; platform: string }): boolean {
  if (options.quitting) return false
  // On macOS closing the last window never quits; keeping it hidden keeps its state.
  return options.closeToTray || options.platform === 'darwin'
}
