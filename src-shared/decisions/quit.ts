import type { Language } from './language.ts'
import { desktopStrings } from './strings.ts'

/**
 * Quitting stops the embedded engine, and with it every running task. So with tasks
 * running, quitting asks first: keep them running with the window closed (the tray stays),
 * stop them and quit, or go back. The dialog's buttons by index (Electron's `response`):
 * 0 keep running in the tray, 1 stop tasks and quit, 2 cancel.
 */
export const QUIT_DIALOG = { defaultId: 0, cancelId: 2 } as const

/** The question, in the user's language. */
export interface QuitQuestion {
  title: string
  message: string
  detail: string
  buttons: [keepRunning: string, stopAndQuit: string, cancel: string]
}

export type QuitPlan = { kind: 'quit' } | { kind: 'ask'; question: QuitQuestion }

export type QuitChoice = { kind: 'keep-in-tray' } | { kind: 'stop-and-quit' } | { kind: 'abort' }

export function planQuit(activeTaskCount: number, language: Language): QuitPlan {
  if (activeTaskCount === 0) return { kind: 'quit' }
  const words = desktopStrings(language).quit
  return {
    kind: 'ask',
    question: { title: words.title, message: words.message(activeTaskCount), detail: words.detail, buttons: [words.keepRunning, words.stopAndQuit, words.cancel] },
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
