import type { EngineEvent, NotifyPolicy, Run, TaskStatus } from '../index.ts'
import type { Settings } from '../settings.ts'
import type { DesktopState } from './desktopState.ts'
import type { DesktopIntent } from './intents.ts'
import { shortLabel } from './tray.ts'

/**
 * When to tell the user that tasks finished, and what to say. Used by Electron main (OS
 * notifications) and by the browser UI (the web Notification API or in-app toasts), so it
 * decides from plain values: events, settings, whether the window has focus, the time.
 */

export type FinishOutcome = 'succeeded' | 'failed'

export interface FinishedTask {
  taskId: number
  name: string
  status: TaskStatus
  outcome: FinishOutcome
  notify: NotifyPolicy
  reason: string | null
  exitCode: number | null
  durationMs: number | null
  at: number
}

export interface NotificationAction {
  id: 'retry' | 'open-log'
  label: string
  taskId: number
}

export interface NotificationModel {
  title: string
  body: string
  urgency: 'normal' | 'critical'
  /** What a click on the notification opens. */
  onClick: DesktopIntent
  actions: NotificationAction[]
}

/** Finishes arriving within this window of the first one are told together. */
export const COALESCE_WINDOW_MS = 1500

const OUTCOMES: Partial<Record<TaskStatus, FinishOutcome>> = {
  succeeded: 'succeeded',
  failed: 'failed',
  timed_out: 'failed',
  interrupted: 'failed',
  // cancelled: the user did it, so it is not news.
}

/**
 * The tasks that reached a final status within this batch, given the state before it.
 * A status repeated by a later update (progress, edits) does not count twice.
 */
export function finishedTasksIn(before: DesktopState, events: readonly EngineEvent[]): FinishedTask[] {
  const statuses = new Map<number, TaskStatus>()
  const runs = new Map<number, Run>()
  const finished: FinishedTask[] = []
  for (const event of events) {
    if (event.type === 'run.started' || event.type === 'run.updated' || event.type === 'run.finished') runs.set(event.run.taskId, event.run)
    if (event.type !== 'task.updated' && event.type !== 'task.created') continue
    const { task } = event
    const previous = statuses.get(task.id) ?? before.tasks.get(task.id)?.status
    statuses.set(task.id, task.status)
    const outcome = OUTCOMES[task.status]
    if (outcome === undefined || previous === task.status) continue
    const run = runs.get(task.id) ?? before.lastRuns.get(task.id)
    finished.push({
      taskId: task.id,
      name: task.name,
      status: task.status,
      outcome,
      notify: task.definition.notify,
      reason: task.reason ?? run?.reason ?? null,
      exitCode: run?.exitCode ?? null,
      durationMs: run ? (run.durationMs ?? Math.max(0, event.at - run.startedAt)) : null,
      at: event.at,
    })
  }
  // A run.finished that arrives after its task.updated in the same batch still lends its details.
  return finished.map((f) => {
    const run = runs.get(f.taskId)
    return run?.finishedAt != null ? { ...f, reason: run.reason ?? f.reason, exitCode: run.exitCode, durationMs: run.durationMs ?? f.durationMs } : f
  })
}

export type SuppressionReason = 'policy' | 'do-not-disturb' | 'focused' | 'too-short'

/** Why a finished task is not worth a notification, or null when it is. */
export function suppressionReason(task: FinishedTask, settings: Settings['notifications'], windowFocused: boolean): SuppressionReason | null {
  const policy = task.notify === 'default' ? settings.policy : task.notify
  if (policy === 'never' || (policy === 'failure' && task.outcome !== 'failed')) return 'policy'
  if (settings.doNotDisturb) return 'do-not-disturb'
  // A task marked "always" is wanted even while you look at the window.
  if (windowFocused && settings.onlyWhenUnfocused && task.notify !== 'always') return 'focused'
  // The long-running threshold is about successes; a fast failure is exactly what you want to hear about.
  if (task.outcome === 'succeeded' && settings.minDurationMs > 0 && (task.durationMs ?? 0) < settings.minDurationMs) return 'too-short'
  return null
}

export function notifiable(tasks: readonly FinishedTask[], settings: Settings['notifications'], windowFocused: boolean): FinishedTask[] {
  return tasks.filter((t) => suppressionReason(t, settings, windowFocused) === null)
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  const totalSeconds = Math.round(ms / 1000)
  if (totalSeconds < 60) return `${totalSeconds} s`
  const totalMinutes = Math.floor(totalSeconds / 60)
  if (totalMinutes < 60) return `${totalMinutes} min ${totalSeconds % 60} s`
  return `${Math.floor(totalMinutes / 60)} h ${totalMinutes % 60} min`
}

function failureDetail(task: FinishedTask): string {
  if (task.reason) return task.reason
  if (task.status === 'timed_out') return 'Timed out'
  if (task.status === 'interrupted') return 'Interrupted'
  return task.exitCode !== null ? `Exited with code ${task.exitCode}` : 'Failed'
}

function single(task: FinishedTask): NotificationModel {
  const name = shortLabel(task.name).replace(/&&/g, '&')
  const took = task.durationMs !== null ? ` after ${formatDuration(task.durationMs)}` : ''
  if (task.outcome === 'succeeded') {
    return { title: `Finished: ${name}`, body: `Succeeded${took}.`, urgency: 'normal', onClick: { kind: 'open-task', taskId: task.taskId }, actions: [] }
  }
  return {
    title: `Failed: ${name}`,
    body: `${failureDetail(task)}${took}.`,
    urgency: 'critical',
    onClick: { kind: 'open-task', taskId: task.taskId },
    actions: [
      { id: 'retry', label: 'Retry', taskId: task.taskId },
      { id: 'open-log', label: 'Open Log', taskId: task.taskId },
    ],
  }
}

function listNames(tasks: readonly FinishedTask[], max: number): string {
  const names = tasks.slice(0, max).map((t) => shortLabel(t.name).replace(/&&/g, '&'))
  return tasks.length > max ? `${names.join(', ')} and ${tasks.length - max} more` : names.join(', ')
}

/** One notification for a burst: the task itself when alone, a count otherwise ("12 tasks finished, 1 failed"). */
export function notificationFor(tasks: readonly FinishedTask[]): NotificationModel | null {
  const [first] = tasks
  if (first === undefined) return null
  if (tasks.length === 1) return single(first)
  const failed = tasks.filter((t) => t.outcome === 'failed')
  const succeeded = tasks.filter((t) => t.outcome === 'succeeded')
  const title = `${tasks.length} tasks finished${failed.length > 0 ? `, ${failed.length} failed` : ''}`
  const lines: string[] = []
  if (failed.length > 0) lines.push(`Failed: ${listNames(failed, 3)}`)
  if (succeeded.length > 0) lines.push(`Succeeded: ${listNames(succeeded, 3)}`)
  const [onlyFailure] = failed
  return {
    title,
    body: lines.join('\n'),
    urgency: failed.length > 0 ? 'critical' : 'normal',
    onClick: failed.length === 1 && onlyFailure ? { kind: 'open-task', taskId: onlyFailure.taskId } : { kind: 'open-view', view: 'tasks' },
    actions: [],
  }
}

/**
 * Collects notifiable finishes and says when to tell them: a burst is held for
 * COALESCE_WINDOW_MS from its first finish, then told as one notification.
 */
export interface NotificationBuffer {
  pending: readonly FinishedTask[]
  /** When the pending burst is due, or null when nothing waits. */
  dueAt: number | null
}

export const emptyNotificationBuffer: NotificationBuffer = { pending: [], dueAt: null }

export function bufferFinishes(buffer: NotificationBuffer, tasks: readonly FinishedTask[], now: number): NotificationBuffer {
  if (tasks.length === 0) return buffer
  return { pending: [...buffer.pending, ...tasks], dueAt: buffer.dueAt ?? now + COALESCE_WINDOW_MS }
}

/** At `now`, the notification to show (if the burst is due) and the buffer that remains. */
export function takeDueNotification(buffer: NotificationBuffer, now: number): { notification: NotificationModel | null; buffer: NotificationBuffer } {
  if (buffer.dueAt === null || now < buffer.dueAt) return { notification: null, buffer }
  return { notification: notificationFor(buffer.pending), buffer: emptyNotificationBuffer }
}
