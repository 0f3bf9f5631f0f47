import { asyncScheduler, buffer, filter, map, mergeMap, share, throttleTime, withLatestFrom, type Observable, type SchedulerLike } from 'rxjs'
import type { EngineEvent, Run, Settings } from '../../src-shared/index.ts'
import { initialDesktopState, type TaskSummary } from '../../src-shared/decisions/desktopState.ts'
import { COALESCE_WINDOW_MS, finishedTasksIn, notifiable, notificationFor, type FinishedTask, type NotificationModel } from '../../src-shared/decisions/notifications.ts'
import type { FoldedCollections } from './state.ts'

export interface NotificationOptions {
  isFocused: () => boolean
  scheduler?: SchedulerLike
}

/**
 * The tasks `events` finish live (at or after `liveSince`; replayed history is never news),
 * judged against `before`, the app's state the events apply to (a task already in that
 * status is no news; its last run lends the details). Decided by the same pure module the
 * desktop app uses (finishedTasksIn), on the tasks these events touch: the app's own fold
 * keeps the state, so a replay costs one scan of its events and nothing else.
 */
export function liveFinishesIn(events: readonly EngineEvent[], before: Pick<FoldedCollections, 'tasks' | 'runs'>, liveSince: number): FinishedTask[] {
  if (!events.some((e) => (e.type === 'task.updated' || e.type === 'task.created') && e.at >= liveSince)) return []
  // The tasks these events touch, as they were before them, with their last runs.
  const tasks = new Map<number, TaskSummary>()
  const lastRuns = new Map<number, Run>()
  for (const event of events) {
    if (event.type !== 'task.updated' && event.type !== 'task.created') continue
    const task = before.tasks.get(event.task.id)
    if (!task || tasks.has(task.id)) continue
    tasks.set(task.id, { id: task.id, name: task.name, status: task.status, notify: task.definition.notify })
    const run = task.lastRunId === null ? undefined : before.runs.get(task.lastRunId)
    if (run) lastRuns.set(task.id, run)
  }
  return finishedTasksIn({ ...initialDesktopState(), tasks, lastRuns }, events).filter((f) => f.at >= liveSince)
}

/**
 * Live finishes (liveFinishesIn) → the notifications the browser should show, decided by
 * the same pure modules the desktop app uses (policy, do-not-disturb, focus, minimum
 * duration), and coalesced: finishes within COALESCE_WINDOW_MS of the first become one notification.
 */
export function finishNotifications$(finishes$: Observable<FinishedTask[]>, settings$: Observable<Settings>, options: NotificationOptions): Observable<NotificationModel> {
  const scheduler = options.scheduler ?? asyncScheduler
  const finished$ = finishes$.pipe(
    withLatestFrom(settings$),
    map(([finished, settings]) => notifiable(finished, settings.notifications, options.isFocused())),
    filter((finished) => finished.length > 0),
    share(),
  )
  return finished$.pipe(
    buffer(finished$.pipe(throttleTime(COALESCE_WINDOW_MS, scheduler, { leading: false, trailing: true }))),
    mergeMap((bursts) => {
      const notification = notificationFor(bursts.flat())
      return notification ? [notification] : []
    }),
  )
}
