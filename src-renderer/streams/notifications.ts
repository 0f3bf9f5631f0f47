import { asyncScheduler, buffer, defer, filter, map, mergeMap, scan, share, throttleTime, withLatestFrom, type Observable, type SchedulerLike } from 'rxjs'
import type { EngineEvent, Settings } from '../../src-shared/index.ts'
import { foldDesktopEventsInPlace, initialDesktopState, type DesktopState } from '../../src-shared/decisions/desktopState.ts'
import { COALESCE_WINDOW_MS, finishedTasksIn, notifiable, notificationFor, type FinishedTask, type NotificationModel } from '../../src-shared/decisions/notifications.ts'

export interface NotificationOptions {
  /** Finishes before this time are history being replayed, never news. */
  liveSince: number
  isFocused: () => boolean
  scheduler?: SchedulerLike
}

/**
 * Engine batches → the notifications the browser should show, decided by the same pure
 * modules the desktop app uses (policy, do-not-disturb, focus, minimum duration), and
 * coalesced: finishes within COALESCE_WINDOW_MS of the first become one notification.
 */
export function finishNotifications$(batches$: Observable<readonly EngineEvent[]>, settings$: Observable<Settings>, options: NotificationOptions): Observable<NotificationModel> {
  const scheduler = options.scheduler ?? asyncScheduler
  // A finish is news only if its task event is live; a replayed batch has none, and skips the search.
  const hasLiveFinish = (events: readonly EngineEvent[]) => events.some((e) => (e.type === 'task.updated' || e.type === 'task.created') && e.at >= options.liveSince)
  // The desktop state is this subscription's own (defer), so it is folded in place rather than copied per batch.
  const finished$ = defer(() =>
    batches$.pipe(
      scan<readonly EngineEvent[], { state: DesktopState; finished: FinishedTask[] }>(
        ({ state }, events) => {
          const finished = hasLiveFinish(events) ? finishedTasksIn(state, events) : []
          return { state: foldDesktopEventsInPlace(state, events, true), finished }
        },
        { state: initialDesktopState(), finished: [] },
      ),
    ),
  ).pipe(
    map(({ finished }) => finished.filter((f) => f.at >= options.liveSince)),
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
