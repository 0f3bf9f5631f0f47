import i18next from 'i18next'
import { flushSync } from 'react-dom'
import { BehaviorSubject, Subject, asyncScheduler, combineLatest, connectable, distinctUntilChanged, filter, map, merge, mergeMap, scan, share, skip, tap, throttleTime, type Observable } from 'rxjs'
import { DEFAULT_SETTINGS, type ApiError, type EngineEvent, type Settings } from '../src-shared/index.ts'
import type { Bridge, ConnectionState } from './bridge/types.ts'
import { foldAndPublish$, framesOf, meterPerFrame } from './streams/ingest.ts'
import { pendingKeys, runIntents$, type Intent, type IntentStatus } from './streams/intents.ts'
import type { RunOutput } from './streams/log-window.ts'
import { finishNotifications$, liveFinishesIn } from './streams/notifications.ts'
import { foldedSettings$ } from './streams/settings.ts'
import { rememberSettings, rememberedSettings } from './remembered-settings.ts'
import type { FinishedTask } from '../src-shared/decisions/notifications.ts'
import { listRefresh$, type ListShown } from './streams/list-refresh.ts'
import { selectionCounts$, type RangeAnchor, type SelectionCounts } from './streams/selection.ts'
import { sequencedEvents$ } from './streams/sequence.ts'
import { INITIAL_STATE, StateBuilder, foldEvents, seedMachine, seedWorkers, type AppState, type FoldedCollections } from './streams/state.ts'
import { RunLeadersIndex } from './streams/run-leaders.ts'
import { DEFAULT_QUERY, TaskFacetsIndex, TaskListIndex, taskFacetsOf, type TaskFacets, type TaskQuery, type TaskRow } from './streams/tasks-query.ts'
import { addWatch, removeWatch, watchRequests$, type WatchCounts } from './streams/watch.ts'
import { toastsAfterIntent, withToast, type Toast } from './streams/toasts.ts'
import { historyReading, historyReading$, type HistoryReading } from './streams/history.ts'
import { paletteSteps$, type PaletteEvent, type PaletteStep } from './streams/palette.ts'
import { machineSeeds$, workerListTriggers$, workerSeeds$ } from './streams/workers.ts'


/** Where the user is. Views switch on it; Esc and g-chords change it. */
export type Route =
  | { view: 'tasks' }
  | { view: 'task'; taskId: number; runId?: number }
  | { view: 'new'; editTaskId?: number }
  | { view: 'loop' }
  | { view: 'dashboard' }
  | { view: 'workers' }
  /** The selected trigger (its history), and the New or Edit form when open. */
  | { view: 'triggers'; triggerId?: number; form?: 'new' | 'edit' }
  | { view: 'settings' }

/** A hot store: a current value plus change notifications, read by components through hooks. */
export class Store<T> {
  private readonly subject: BehaviorSubject<T>
  readonly value$: Observable<T>
  constructor(initial: T) {
    this.subject = new BehaviorSubject(initial)
    this.value$ = this.subject.asObservable()
  }
  get value(): T {
    return this.subject.value
  }
  set(value: T): void {
    this.subject.next(value)
  }
  update(change: (value: T) => T): void {
    this.subject.next(change(this.subject.value))
  }
}

/**
 * Everything the views share, wired once at start: engine events (in order, metered into
 * frames, folded into state), live output, intents and their statuses, toasts and the route.
 */
export interface ModelOptions {
  /**
   * The baseline the benchmark compares against: every event folded and stored on its own
   * (one state update per event), without per-frame batching. Never used by the product.
   */
  naive?: boolean
  /** Counts what was ingested, for `npm run bench:ui` (exposed as window.taskdeckBench): events folded into each state the views get. */
  onApplied?: (events: number, state: AppState) => void
  /**
   * For `npm run bench:ui`: events as they reach the page's pipeline (checked, before they are metered and folded), so
   * an ingest rate is timed from the first event received, however long the views wait for their first state.
   */
  onReceived?: (events: number) => void
  /** Tuning for `npm run bench:ui` (BENCH_UI_FOLD_BUDGET_MS, BENCH_UI_PUBLISH_MS): the fold budget per frame and the refresh period while catching up. */
  foldBudgetMs?: number
  busyPublishMs?: number
  /** Connects again at once instead of waiting out the backoff ("Retry now"); absent where the transport cannot drop (IPC). */
  reconnectNow?: () => void
}

export function createAppModel(bridge: Bridge, connection$: Observable<ConnectionState>, options: ModelOptions = {}) {
  const resyncs = new Store(0)
  // Live output comes only for the runs a view shows (watchRun below), coalesced to the tail when a run is fast.
  /**
   * Seqs the event log is known to have reached (history and subscribe replies, gaps): the page is catching up until it has
   * folded them. null: a subscription could not learn its head, and what is folded counts as the head.
   */
  const heads$ = new Subject<number | null>()
  const events$: Observable<EngineEvent[]> = sequencedEvents$((since, onEvents, onHead) => bridge.subscribe(since, onEvents, { output: 'watched', onHead }), {
    onResync: () => resyncs.update((n) => n + 1),
    onHead: (seq) => heads$.next(seq),
  }).pipe(
    tap((batch) => options.onReceived?.(batch.length)),
    share(),
  )
  const state = new Store<AppState>(INITIAL_STATE)
  /** Folds events as they are metered into frames; the views get its states (see foldAndPublish$). */
  const builder = new StateBuilder(INITIAL_STATE)
  /** A change to the state from outside the event stream, on top of what is folded but not yet published. */
  const updateState = (change: (current: AppState) => AppState) => {
    const events = builder.pending
    const next = change(builder.build(builder.current.catchingUp))
    builder.rebase(next)
    state.set(next)
    if (events > 0) options.onApplied?.(events, next)
  }
  let frames$: Observable<EngineEvent[]>
  /** Finishes are news only from now on: what came before is history being replayed. */
  const liveSince = Date.now()
  /** Tasks finished by live events, found as each batch is folded, against the state it applies to (for the browser's notifications). */
  const liveFinishes = new Subject<FinishedTask[]>()
  const noteFinishes = (events: readonly EngineEvent[], before: AppState | FoldedCollections) => {
    const finished = liveFinishesIn(events, before, liveSince)
    if (finished.length > 0) liveFinishes.next(finished)
  }
  if (options.naive) {
    frames$ = events$.pipe(
      mergeMap((batch) => batch.map((event) => [event])),
      share(),
    )
    // The baseline folds every event at once: its head is only noted, for the views to know the history is read.
    heads$.subscribe((seq) => state.update((s) => (seq === null ? (s.headSeq === null ? { ...s, headSeq: s.lastSeq } : s) : seq > (s.headSeq ?? -1) ? { ...s, headSeq: seq } : s)))
    frames$.subscribe((batch) => {
      noteFinishes(batch, state.value)
      const next = foldEvents(state.value, batch)
      state.set(next)
      options.onApplied?.(batch.length, next)
    })
  } else {
    const slices$ = events$.pipe(meterPerFrame<EngineEvent>({ budgetMs: options.foldBudgetMs }), share())
    frames$ = slices$.pipe(framesOf<EngineEvent>(), share())
    builder.listen({ applying: noteFinishes, applied: () => undefined, built: () => undefined })
    foldAndPublish$(slices$, builder, { busyPublishMs: options.busyPublishMs, head$: heads$ }).subscribe(({ state: next, events }) => {
      // Rendered now, not in a later task: a publish at a frame's start is counted in that frame's fold budget (foldAndPublish$).
      flushSync(() => state.set(next))
      if (events > 0) options.onApplied?.(events, next)
    })
  }

  /** The runs whose live output views show; the server is told (output.watch) on every change and reconnect. */
  const watched = new Store<WatchCounts>(new Map())
  watchRequests$(watched.value$, connection$.pipe(map((c) => c.kind === 'online'))).subscribe((runIds) => {
    void bridge.invoke('output.watch', { runIds }).then((result) => {
      if (!result.ok) console.warn(`Taskdeck: output.watch failed: ${result.error.message}`)
    })
  })
  /** Receive a run's live output while a view shows it; returns the disposer. */
  const watchRun = (runId: number): (() => void) => {
    watched.update((counts) => addWatch(counts, runId))
    return () => watched.update((counts) => removeWatch(counts, runId))
  }
  /** Ticks when live output may have been missed (server resync, reconnect, a seq gap): log views read their window again. */
  const outputResync$: Observable<void> = merge(bridge.resync$, resyncs.value$.pipe(skip(1))).pipe(map(() => undefined), share())

  /** Live output, per frame, for whichever log viewer is open; never folded into the state. */
  const output$: Observable<RunOutput[]> = frames$.pipe(
    map((batch) => batch.filter((e): e is RunOutput => e.type === 'run.output')),
    filter((batch) => batch.length > 0),
    share(),
  )

  const toasts = new Store<readonly Toast[]>([])
  let toastId = 0
  /** Toasts that are not errors leave after this long, unless the pointer or the keyboard is on the toasts. */
  const TOAST_SHOWN_MS = 4000
  let toastsHeld = false
  /** Toasts whose time ran out while held: each gets its full time again once released. */
  const overdue = new Set<number>()
  const expire = (id: number) => {
    if (toastsHeld) overdue.add(id)
    else dismissToast(id)
  }
  const toast = (kind: Toast['kind'], title: string, message: string) => {
    const id = ++toastId
    toasts.update((list) => withToast(list, { id, kind, title, message }))
    if (kind !== 'error') setTimeout(() => expire(id), TOAST_SHOWN_MS)
  }
  const dismissToast = (id: number) => toasts.update((list) => list.filter((t) => t.id !== id))
  /** While the user points at or is in the toasts, none leaves by itself (WCAG 2.2.1: time to read and act). */
  const holdToasts = (held: boolean) => {
    toastsHeld = held
    if (held) return
    for (const id of overdue) setTimeout(() => expire(id), TOAST_SHOWN_MS)
    overdue.clear()
  }

  const intents = new Subject<Intent>()
  const statuses$: Observable<IntentStatus> = runIntents$(intents, (command, params) => bridge.invoke(command, params)).pipe(share())
  const pending = new Store<ReadonlySet<string>>(new Set())
  statuses$.pipe(scan(pendingKeys, new Set<string>() as ReadonlySet<string>)).subscribe((next) => pending.set(next))
  statuses$.subscribe((status) => {
    // Ids need only be unique: one is taken for every outcome, used or not.
    const next = toastsAfterIntent(toasts.value, status, ++toastId)
    if (next !== toasts.value) toasts.set(next)
  })

  const settings = new Store<Settings>(rememberedSettings() ?? DEFAULT_SETTINGS)
  settings.value$.pipe(skip(1)).subscribe((s) => rememberSettings(s))
  /** The event log's seq the settings shown reflect: folded settings.changed events up to it are not news. */
  let settingsKnownAt = Infinity
  void bridge.invoke('settings.get', {}).then((result) => {
    if (!result.ok) {
      // Unanswered: the folded settings are all there is (caught-up states only, as before).
      settingsKnownAt = 0
      return
    }
    settingsKnownAt = result.value.seq ?? 0
    settings.set(result.value.settings)
  })
  foldedSettings$(state.value$, () => settings.value, () => settingsKnownAt).subscribe((s) => settings.set(s))

  const route = new Store<Route>({ view: 'tasks' })
  const connection = new Store<ConnectionState>({ kind: 'online' })
  connection$.subscribe((c) => connection.set(c))
  /** Whether the history is still being read, and how much is left: derived here once for every view that says so. */
  const history = new Store<HistoryReading>(historyReading(state.value, connection.value.kind))
  historyReading$(state.value$, connection.value$).subscribe((h) => history.set(h))

  // Workers and the machine state are transient: both are read again on every connection and resync, on one trigger stream.
  const transientSeedTriggers$ = connectable(workerListTriggers$(connection.value$.pipe(map((c) => c.kind === 'online')), resyncs.value$), { connector: () => new Subject<unknown>() })
  const seedState = (change: (current: AppState) => AppState) => (options.naive ? state.update(change) : updateState(change))
  workerSeeds$(transientSeedTriggers$, () => bridge.invoke('worker.list', {})).subscribe((workers) => seedState((s) => seedWorkers(s, workers, Date.now())))
  machineSeeds$(transientSeedTriggers$, () => bridge.invoke('machine.get', {})).subscribe(({ machine, newConnection }) => seedState((s) => seedMachine(s, machine, newConnection)))
  transientSeedTriggers$.connect()

  /** Sends an intent and resolves with its final status (for forms that show errors in place). */
  const send = (intent: Intent): Promise<IntentStatus> =>
    new Promise((resolve) => {
      const key = intent.key ?? intent.command
      const subscription = statuses$.pipe(filter((s) => s.key === key && s.intent === intent && s.state !== 'pending')).subscribe((s) => {
        subscription.unsubscribe()
        resolve(s)
      })
      if (pending.value.has(key)) {
        subscription.unsubscribe()
        resolve({ key, intent, state: 'error', error: { code: 'conflict', message: i18next.t('action.alreadyInProgress') } satisfies ApiError })
        return
      }
      intents.next(intent)
    })

  /** The task list's own state: cursor, checked rows, and the query. */
  const cursor = new Store<number | null>(null)
  const checked = new Store<ReadonlySet<number>>(new Set())
  /** Where the current Shift range began (see streams/selection.ts). */
  const anchor = new Store<RangeAnchor | null>(null)
  /** The checked tasks there are and how many are finished (the bulk bar's), kept as the selection and the tasks change. */
  const selectionCounts = new Store<SelectionCounts>({ present: 0, finished: 0, stashed: 0 })
  selectionCounts$(checked.value$, state.value$).subscribe((counts) => selectionCounts.set(counts))
  const query = new Store<TaskQuery>(DEFAULT_QUERY)
  const rows = new Store<readonly TaskRow[]>([])
  /**
   * The rows the task list draws: `rows`, but while a burst of tasks arrives at most ten times a second (each refresh
   * then rewrites every row of its window); `behind` while newer rows wait (streams/list-refresh.ts). The counts follow `rows`.
   */
  const listRows = new Store<ListShown<readonly TaskRow[]>>({ rows: [], behind: false, burst: false })
  listRefresh$(rows.value$.pipe(map((next) => ({ rows: next, tasks: state.value.tasks.size })))).subscribe((shown) => listRows.set(shown))
  /** Groups, labels and counts per status for the filters. */
  const taskFacets = new Store<TaskFacets>(taskFacetsOf(new Map()))
  /** The dashboard's slowest and most-failing tasks. */
  const runLeaders = new RunLeadersIndex(() => (options.naive ? state.value.runs : builder.folded.runs))
  /** Updated with the tasks that changed, not refiltered and resorted in full. */
  const taskList = new TaskListIndex(query.value)
  const facets = new TaskFacetsIndex()
  if (options.naive) {
    // The bench's baseline folds without the builder: the list follows its states, at most ten times a second.
    /** Tasks changed by the states since the list's last refresh. */
    let changedSinceRefresh = new Set<number>()
    state.value$.subscribe((s) => {
      for (const id of s.changedTaskIds) changedSinceRefresh.add(id)
      facets.stage(s.changedTaskIds, s.tasks)
      runLeaders.stage(s.changedRunIds, s.runs)
    })
    combineLatest([
      state.value$.pipe(distinctUntilChanged((a, b) => a.tasks === b.tasks && a.runs === b.runs && a.progress === b.progress)),
      query.value$,
    ])
      .pipe(
        throttleTime(100, asyncScheduler, { leading: true, trailing: true }),
        map(([s, q]) => {
          const changed = changedSinceRefresh
          changedSinceRefresh = new Set()
          return taskList.update(s.tasks, s.runs, s.progress, q, changed)
        }),
        distinctUntilChanged(),
      )
      .subscribe((next) => rows.set(next))
    state.value$.pipe(throttleTime(100, asyncScheduler, { leading: true, trailing: true })).subscribe(() => taskFacets.set(facets.facets()))
  } else {
    /**
     * The list, facets and dashboard tables follow the fold: each applied slice's tasks and runs
     * are worked out within the fold's frame budget, and a built state only merges them in, so
     * showing a state costs about the same with 50,000 tasks as with 50.
     */
    let built: { state: AppState; rows: readonly TaskRow[]; facets: TaskFacets } | null = null
    builder.listen({
      applied: (batch, folded) => {
        taskList.stage(batch.taskIds, folded)
        facets.stage(batch.taskIds, folded.tasks)
        runLeaders.stage(batch.runIds, folded.runs)
      },
      built: (next) => {
        built = { state: next, rows: taskList.flush(next, query.value), facets: facets.facets() }
      },
    })
    state.value$.subscribe((s) => {
      // Rows built for the state's own collections (a rebased state, such as seeded workers, shares them).
      if (!built || built.state.tasks !== s.tasks || built.state.runs !== s.runs || built.state.progress !== s.progress) return
      if (rows.value !== built.rows) rows.set(built.rows)
      if (taskFacets.value !== built.facets) taskFacets.set(built.facets)
    })
    // A new query is shown at once, with whatever is folded so far; typing refilters at most ten times a second.
    query.value$.pipe(skip(1), throttleTime(100, asyncScheduler, { leading: true, trailing: true })).subscribe(() => updateState((s) => s))
  }

  /**
   * What the browser should announce about finished tasks (Electron's main process does its own), from the
   * finishes found as each slice is folded, inside the fold's frame budget.
   */
  const notifications$ = finishNotifications$(liveFinishes, settings.value$, { isFocused: () => document.hasFocus() }).pipe(share())

  const paletteOpen = new Store(false)
  /** The palette's step (the commands, or a second step such as "which group?"), driven by its events (streams/palette.ts). */
  const paletteStep = new Store<PaletteStep>({ kind: 'closed' })
  const paletteEvents = new Subject<PaletteEvent>()
  paletteSteps$(paletteEvents).subscribe(({ step, intent }) => {
    paletteStep.set(step)
    if (paletteOpen.value !== (step.kind !== 'closed')) paletteOpen.set(step.kind !== 'closed')
    if (intent) intents.next({ ...intent, label: i18next.t(intent.command === 'group.pause' ? 'command.group.pause' : 'command.group.resume') })
  })
  /** Commands for whichever log viewer or run comparison is open (it subscribes while mounted). */
  const logCommands$ = new Subject<'follow' | 'jump' | 'nextChange' | 'previousChange'>()

  return {
    bridge,
    reconnectNow: options.reconnectNow,
    notifications$,
    paletteOpen,
    paletteStep,
    paletteEvents,
    logCommands$,
    cursor,
    checked,
    anchor,
    selectionCounts,
    query,
    rows,
    listRows,
    taskFacets,
    runLeaders,
    state,
    output$,
    watchRun,
    outputResync$,
    frames$,
    statuses$,
    pending,
    intents,
    send,
    toasts,
    toast,
    dismissToast,
    holdToasts,
    settings,
    route,
    connection,
    history,
    resyncs,
  }
}

export type AppModel = ReturnType<typeof createAppModel>
