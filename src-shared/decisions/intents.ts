import { z } from 'zod'
import { TaskIdSchema } from '../model.ts'

export const DESKTOP_VIEWS = ['tasks', 'loop', 'dashboard', 'settings'] as const

/** A global shortcut that is not active, and why; Settings shows these next to the binding. */
export const ShortcutProblemSchema = z.object({
  id: z.string().max(64),
  accelerator: z.string().max(128),
  problem: z.enum(['taken', 'invalid', 'duplicate', 'unknown-id']),
  message: z.string().max(500),
})
export type ShortcutProblem = z.infer<typeof ShortcutProblemSchema>

/**
 * Requests main sends to the window (`window.taskdeck.onDesktopIntent`), from the tray,
 * notifications, global shortcuts, the application menu and deep links.
 */
export const DesktopIntentSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('open-task'), taskId: TaskIdSchema }),
  z.object({ kind: z.literal('open-view'), view: z.enum(DESKTOP_VIEWS) }),
  z.object({ kind: z.literal('quick-add') }),
])
export type DesktopIntent = z.infer<typeof DesktopIntentSchema>
