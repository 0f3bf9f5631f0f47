import type { EndReason, EngineEvent, NotifyPolicy, Run, TaskStatus } from '../index.ts'
import type { Settings } from '../settings.ts'
import type { DesktopState } from './desktopState.ts'
import type { DesktopIntent } from './intents.ts'
import type { Language } from './language.ts'
import { desktopStrings, formatDuration, sayEndReasonIn } from './strings.ts'
import { shortLabel } from './tray.ts'

/**
 * When to tell the user that tasks finished, and what to say. Used by Electron main (OS
 * notifications) and by the browser UI (the web Notification API or in-app toasts), so it
 * decides from plain values: events, settings, whether the window has focus, the time.
 * What to tell (notificationFor) is decided apart from its words (sayNotification), which
 * are said in the user's language when shown.
 */

export type FinishOutcome = 'succeeded' | 'failed'

export interface FinishedTask {
  taskId: number
  name: string
  status: TaskStatus
  outcome: FinishOutcome
  notify: NotifyPolicy
  /** Why it failed, as data; null for a success, or an event stored before reasons were data. */
  endReason: EndReason | null
  /** The engine's English sentence for it: said only when `endReason` is missing. */
  reason: string | null
  exitCode: number | null
  /** What its run said last on stderr (Run.stderrTail); null when nothing, or for a success. */
  stderrTail: string | null
  durationMs: number | null
  at: number
  /** The group its failure paused (a `pause-group` group), when it did. */
  pausedGroup?: string
}

export interface NotificationAction {
  id: 'retry' | 'open-log'
  taskId: number
}

/** What to tell: which finishes, how loudly, and what a click and the buttons do. */
export interface NotificationModel {
  /** The finishes told: one is told by name, more as a count with names. */
  tasks: readonly FinishedTask[]
  urgency: 'normal' | 'critical'
  /** What a click on the notification opens. */
  onClick: DesktopIntent
  actions: NotificationAction[]
}

/** A notification's words in one language; `actions` labels `NotificationModel.actions`, in order. */
export interface NotificationText {
  title: string
  body: string
  actions: string[]
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
  /** Groups paused by a task's failure in this batch, by the task. */
  const pausedBy = new Map<number, string>()
  for (const event of events) {
    if (event.type === 'group.updated' && event.group.paused && event.group.pausedFor?.kind === 'failure') pausedBy.set(event.group.pausedFor.taskId, event.group.name)
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
      endReason: task.endReason ?? run?.endReason ?? null,
      reason: task.reason ?? run?.reason ?? null,
      exitCode: run?.exitCode ?? null,
      stderrTail: run?.stderrTail ?? null,
      durationMs: run ? (run.durationMs ?? Math.max(0, event.at - run.startedAt)) : null,
      at: event.at,
    })
  }
  // A run.finished that arrives after its task.updated in the same batch still lends its details.
  return finished.map((found) => {
    const paused = pausedBy.get(found.taskId)
    const f = paused === undefined ? found : { ...found, pausedGroup: paused }
    const run = runs.get(f.taskId)
    return run?.finishedAt != null ? { ...f, endReason: run.endReason ?? f.endReason, reason: run.reason ?? f.reason, exitCode: run.exitCode, stderrTail: run.stderrTail ?? f.stderrTail, durationMs: run.durationMs ?? f.durationMs } : f
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

/** A task's name as a notification shows it: one line, clipped (no menu mnemonics here). */
const shownName = (task: FinishedTask): string => shortLabel(task.name).replace(/&&/g, '&')

/** What to tell about a burst: the task itself when alone (a failure offers Retry and Open Log), a count otherwise. */
export function notificationFor(tasks: readonly FinishedTask[]): NotificationModel | null {
  const [first] = tasks
  if (first === undefined) return null
  if (tasks.length === 1) {
    const failed = first.outcome === 'failed'
    return {
      tasks,
      urgency: failed ? 'critical' : 'normal',
      onClick: { kind: 'open-task', taskId: first.taskId },
      actions: failed ? [{ id: 'retry', taskId: first.taskId }, { id: 'open-log', taskId: first.taskId }] : [],
    }
  }
  const failed = tasks.filter((t) => t.outcome === 'failed')
  const [onlyFailure] = failed
  return {
    tasks,
    urgency: failed.length > 0 ? 'critical' : 'normal',
    onClick: failed.length === 1 && onlyFailure ? { kind: 'open-task', taskId: onlyFailure.taskId } : { kind: 'open-view', view: 'tasks' },
    actions: [],
  }
}

/**
 * Why a task failed, in `language`: from its structured end reason; an event stored before
 * reasons were data has only the engine's English sentence, said as written.
 */
export function failureDetail(task: FinishedTask, language: Language): string {
  const words = desktopStrings(language).notification
  if (task.endReason) {
    const said = sayEndReasonIn(task.endReason, language)
    // The reasons are clauses ("exited with code 3"); English starts a sentence with a capital.
    return language === 'en' ? said.charAt(0).toUpperCase() + said.slice(1) : said
  }
  if (task.reason) return task.reason
  if (task.status === 'timed_out') return words.timedOut
  if (task.status === 'interrupted') return words.interrupted
  return task.exitCode !== null ? words.exitedWithCode(task.exitCode) : words.unknownFailure
}

/** The most of a stderr line a notification shows (the OS's own cut comes later still on most, and a body is glanced at). */
export const NOTIFICATION_STDERR_CHARS = 160

/** The last line a failed run wrote on stderr, as the second line of its notification; null when none. */
function stderrLine(task: FinishedTask): string | null {
  const line = task.stderrTail?.split('\n').at(-1)
  if (!line) return null
  const chars = [...line]
  return chars.length <= NOTIFICATION_STDERR_CHARS ? line : `${chars.slice(0, NOTIFICATION_STDERR_CHARS - 1).join('')}…`
}

/** A notification's title, body and button labels in `language`. */
export function sayNotification(model: NotificationModel, language: Language): NotificationText {
  const words = desktopStrings(language).notification
  const labels = { retry: words.retry, 'open-log': words.openLog }
  const actions = model.actions.map((a) => labels[a.id])
  const [first] = model.tasks
  if (model.tasks.length === 1 && first) {
    const took = first.durationMs !== null ? formatDuration(first.durationMs, language) : null
    return first.outcome === 'succeeded'
      ? { title: words.finishedTitle(shownName(first)), body: words.succeeded(took), actions }
      : {
          title: words.failedTitle(shownName(first)),
          // A timeout's reason already says how long it ran. What the program said is its own words, in no language of ours.
          body: [
            words.failed(failureDetail(first, language), first.endReason?.kind === 'timed-out' ? null : took),
            stderrLine(first),
            first.pausedGroup === undefined ? null : words.groupPaused(first.pausedGroup),
          ]
            .filter((line) => line !== null)
            .join('\n'),
          actions,
        }
  }
  const listNames = (tasks: readonly FinishedTask[], max: number): string => {
    const names = tasks.slice(0, max).map(shownName).join(words.listSeparator)
    return tasks.length > max ? words.andMore(names, tasks.length - max) : names
  }
  const failed = model.tasks.filter((t) => t.outcome === 'failed')
  const succeeded = model.tasks.filter((t) => t.outcome === 'succeeded')
  const lines: string[] = []
  if (failed.length > 0) lines.push(words.burstFailed(listNames(failed, 3)))
  if (succeeded.length > 0) lines.push(words.burstSucceeded(listNames(succeeded, 3)))
  for (const group of new Set(failed.flatMap((t) => (t.pausedGroup === undefined ? [] : [t.pausedGroup])))) lines.push(words.groupPaused(group))
  return { title: words.burstTitle(model.tasks.length, failed.length), body: lines.join('\n'), actions }
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
