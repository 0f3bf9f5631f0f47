import type { ApiError } from '../../src-shared/index.ts'
import type { IntentStatus } from './intents.ts'

export interface Toast {
  id: number
  kind: 'error' | 'info' | 'success'
  title: string
  message: string
  /** The engine's answer an error toast reports: shown as the UI says it (sayRefusal), `message` being its English. */
  error?: ApiError
  /** The intent key an error toast reports on: a later outcome of the same key replaces it. */
  intentKey?: string
}

/** At most this many toasts at once; the oldest go first. */
const SHOWN = 5

/** The toasts with one more at the end, the oldest leaving beyond SHOWN. */
export const withToast = (toasts: readonly Toast[], toast: Toast): readonly Toast[] => [...toasts.slice(-(SHOWN - 1)), toast]

/**
 * The toasts after one intent outcome. A failure shows a toast in place of any earlier one for
 * the same key (retrying the same action does not stack copies), unless the view that sent it
 * still shows it in place (`shownInPlace`): then the message there is the one place, and an
 * earlier toast of the same key goes. A success takes the earlier failure's toast away, since
 * what it reported is no longer true (the form it came from was corrected and went through).
 * Pending changes nothing.
 */
export function toastsAfterIntent(toasts: readonly Toast[], status: IntentStatus, nextId: number): readonly Toast[] {
  if (status.state === 'pending') return toasts
  const others = toasts.filter((t) => t.intentKey !== status.key)
  if (status.state === 'ok' || status.intent.shownInPlace?.(status.error) === true) return others.length === toasts.length ? toasts : others
  const toast: Toast = { id: nextId, kind: 'error', title: status.intent.label ?? status.intent.command, message: status.error.message, error: status.error, intentKey: status.key }
  return withToast(others, toast)
}
