import { Observable, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs'

/** What the list could show: its rows, and how many tasks the state they come from holds (arrivals raise it). */
export interface ListInput<R> {
  rows: R
  tasks: number
}

/** What the list shows, whether newer rows wait to be shown (a burst's refresh period), and whether a burst is on. */
export interface ListShown<R> {
  rows: R
  behind: boolean
  /**
   * The rows came in a burst (more than `maxNew` arrivals since the rows before), and more may follow: the list leaves
   * out what only decorates its rows (a running task's pulse, a composited animation started and stopped with every
   * refresh). Over once a state brings few arrivals, or when no state came for a period after the last rows.
   */
  burst: boolean
}

export interface ListRefreshOptions {
  /** Up to this many tasks arriving since the rows shown are drawn at once; more are a burst. */
  maxNew?: number
  /** During a burst the rows are shown at most this often. */
  periodMs?: number
  /** Rows still waiting this long after the period (no state came to show them) are shown then. */
  lateMs?: number
  scheduler?: SchedulerLike
}

/**
 * More tasks than this arriving between two refreshes of the list is a burst: the same threshold beyond which the
 * list rewrites its rows in place rather than creating rows for the new tasks (`ROW_KEYS_MAX_NEW`).
 */
export const LIST_REFRESH_MAX_NEW = 3
/** A burst's refresh period: ten refreshes a second instead of one per frame (docs/benchmarks.md, UI "Session 15"). */
export const LIST_REFRESH_PERIOD_MS = 100
/** A burst's last rows wait this much longer for a state to show them in its frame (two frames), then are shown anyway. */
export const LIST_REFRESH_LATE_MS = 34

/**
 * The rows a task list draws, following its rows for every published state (`input$`).
 *
 * While few tasks arrive (at most `maxNew` since the rows shown) each state's rows are shown at
 * once. When more arrive, newest first, every row of the list's window shows another task, which
 * costs a committing frame the rewriting, relayout and repaint of every row: then the rows are
 * shown at most every `periodMs`, in the frame of the first state that arrives once the period is
 * over (the list's refresh shares that frame with the rest of the views instead of taking a
 * timer's task of its own), and the last rows waiting are shown `lateMs` after the period if no
 * state came (so every task appears, at most `periodMs + lateMs` late, and the list settles on
 * the newest rows). A change that brings no
 * new tasks (a filter, a task finishing) is shown at once, unless a burst's rows wait (it then
 * holds those arrivals too).
 * `behind` says newer rows are waiting (the list says it is busy meanwhile); `burst`, that a burst
 * is on (the list leaves its rows' decorations out meanwhile).
 *
 * Everything else the views show (counts, the open task) follows every state; only the list's
 * rows are paced.
 */
export function listRefresh$<R>(input$: Observable<ListInput<R>>, options: ListRefreshOptions = {}): Observable<ListShown<R>> {
  const maxNew = options.maxNew ?? LIST_REFRESH_MAX_NEW
  const periodMs = options.periodMs ?? LIST_REFRESH_PERIOD_MS
  const lateMs = options.lateMs ?? LIST_REFRESH_LATE_MS
  const scheduler = options.scheduler ?? asyncScheduler
  return new Observable<ListShown<R>>((subscriber) => {
    /** Tasks in the state whose rows were shown last (null before the first). */
    let shownTasks: number | null = null
    let shownRows: R | undefined
    let shownAt = -Infinity
    let waiting: ListInput<R> | null = null
    let timer: Subscription | null = null
    /** Past the period and its grace: the waiting rows are shown, or (none waiting) the burst is over. */
    const late = () => {
      timer = null
      if (waiting) show(waiting, false)
      else subscriber.next({ rows: shownRows as R, behind: false, burst: false })
    }
    const show = (input: ListInput<R>, burst: boolean) => {
      timer?.unsubscribe()
      timer = null
      waiting = null
      shownTasks = input.tasks
      shownRows = input.rows
      shownAt = scheduler.now()
      subscriber.next({ rows: input.rows, behind: false, burst })
      // A burst is over when no state comes for a period.
      if (burst) timer = scheduler.schedule(late, periodMs + lateMs)
    }
    const subscription = input$.subscribe({
      next: (input) => {
        const arrived = shownTasks === null ? 0 : input.tasks - shownTasks
        // Few arrivals since the rows shown: shown now (while a burst's rows wait, a later state has at least as many). A burst's rows once its period is over.
        if (arrived <= maxNew || scheduler.now() >= shownAt + periodMs) return show(input, arrived > maxNew)
        const wasWaiting = waiting !== null
        waiting = input
        // The rows shown before any waited (a first state is always shown at once).
        if (!wasWaiting) subscriber.next({ rows: shownRows as R, behind: true, burst: true })
        // Shown by the first state after the period, in its frame; by a timer if none comes.
        timer ??= scheduler.schedule(late, shownAt + periodMs + lateMs - scheduler.now())
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        if (waiting) show(waiting, false)
        timer?.unsubscribe()
        subscriber.complete()
      },
    })
    return () => {
      subscription.unsubscribe()
      timer?.unsubscribe()
    }
  })
}
