import type { Progress, Run, Task, TaskStatus } from '../../src-shared/index.ts'

export type SortKey = 'id' | 'name' | 'status' | 'updated' | 'duration' | 'priority'

export interface TaskQuery {
  text: string
  statuses: readonly TaskStatus[]
  group: string | null
  label: string | null
  sort: SortKey
  descending: boolean
}

export const DEFAULT_QUERY: TaskQuery = { text: '', statuses: [], group: null, label: null, sort: 'id', descending: true }

/** One row of the task list: what the list shows, computed once per state change. */
export interface TaskRow {
  task: Task
  lastRun: Run | null
  progress: Progress | null
}

const STATUS_ORDER: Record<TaskStatus, number> = {
  running: 0,
  paused: 1,
  queued: 2,
  waiting: 3,
  stashed: 4,
  failed: 5,
  timed_out: 6,
  interrupted: 7,
  cancelled: 8,
  succeeded: 9,
}

/** How an HTTP batch's command is said: how many URLs, and the first. The views pass the UI's words (tasks.urls). */
export type UrlsWording = (count: number, first: string) => string
const englishUrls: UrlsWording = (count, first) => `${count} URL${count === 1 ? '' : 's'}: ${first}`

/** A task's command as one line: a shell command, an HTTP batch's URLs (said by `urls`), a script's path. */
export function commandText(task: Task, urls: UrlsWording = englishUrls): string {
  const spec = task.definition.spec
  switch (spec.kind) {
    case 'shell':
      return typeof spec.command === 'string' ? spec.command : spec.command.join(' ')
    case 'http':
      return urls(spec.requests.length, spec.requests[0]?.url ?? '')
    case 'script':
      return spec.path
  }
}

/**
 * Whether a task's row shows its command beside its name: only when the command says something the name
 * does not. Not when the name is the command itself (a trigger names its task after its command: "date",
 * not "date date"), nor when the task has no name of its own and the engine took it from the command's start.
 */
export function showsCommand(task: Task): boolean {
  const command = commandText(task)
  if (command.trim() === task.name.trim()) return false
  return Boolean(task.definition.name) || !command.startsWith(task.name)
}

/**
 * Filters and sorts the tasks for the list. Pure: the same query and state give the same
 * rows. Given the previous call's rows by task id, a row whose task, run and progress are
 * unchanged is reused as the same object, so memoised list rows skip re-rendering.
 */
export function queryTasks(
  tasks: ReadonlyMap<number, Task>,
  runs: ReadonlyMap<number, Run>,
  progress: ReadonlyMap<number, Progress>,
  query: TaskQuery,
  previous?: ReadonlyMap<number, TaskRow>,
): TaskRow[] {
  const keep = rowFilter(query)
  const rows: TaskRow[] = []
  for (const task of tasks.values()) {
    if (!keep(task)) continue
    const lastRun = task.lastRunId !== null ? (runs.get(task.lastRunId) ?? null) : null
    const taskProgress = progress.get(task.id) ?? task.progress
    const known = previous?.get(task.id)
    rows.push(known && known.task === task && known.lastRun === lastRun && known.progress === taskProgress ? known : { task, lastRun, progress: taskProgress })
  }
  rows.sort(rowOrder(query))
  return rows
}

/**
 * The task list kept up to date across states: a new state costs a pass of identity checks
 * over the tasks and runs plus work for the rows that changed (binary search and splice for
 * a few, one sort of the changed rows and a merge for many), instead of filtering and sorting
 * every task again. It gives exactly queryTasks' rows (tested against it), given the engine's
 * invariant that a run belongs to one task and a task's lastRunId names one of its runs. Hand-written:
 * no library keeps a filtered, sorted view over Maps of immutable values. A new query, and
 * the duration sort (running rows' durations grow with the clock), are computed in full.
 *
 * The work per changed task can also be done ahead, as events are folded (`stage`, inside the
 * fold's frame budget), so that showing a state (`flush`) only merges the staged rows in.
 */
export class TaskListIndex {
  private rows: TaskRow[] = []
  /** The latest row of each task that passes the query: shown, or staged to be. */
  private readonly byId = new Map<number, TaskRow>()
  private tasks: ReadonlyMap<number, Task> | null = null
  private runs: ReadonlyMap<number, Run> = new Map()
  private progress: ReadonlyMap<number, Progress> = new Map()
  private query: TaskQuery | null = null
  /** Shown rows to take out, and rows to put in, at the next flush. */
  private readonly removed = new Set<TaskRow>()
  private readonly inserted = new Map<number, TaskRow>()

  /** Given the query the first state will be shown with, changes are staged from the very first event (no full pass at the first flush). */
  constructor(initialQuery?: TaskQuery) {
    if (initialQuery) {
      this.tasks = new Map()
      this.query = initialQuery
    }
  }

  /**
   * The rows for this state and query: the previous array when nothing shown changed.
   * `changedIds`, when the caller knows them (AppState.changedTaskIds of every state since the
   * previous update), spares the pass that finds them.
   */
  update(
    tasks: ReadonlyMap<number, Task>,
    runs: ReadonlyMap<number, Run>,
    progress: ReadonlyMap<number, Progress>,
    query: TaskQuery,
    changedIds?: ReadonlySet<number>,
  ): readonly TaskRow[] {
    const previousTasks = this.tasks
    const changed = previousTasks === null || !this.incremental(query) ? null : (changedIds ?? this.changedTaskIds(previousTasks, tasks, runs, progress))
    if (changed !== null) this.stage(changed, { tasks, runs, progress })
    return this.flush({ tasks, runs, progress }, query, changed === null)
  }

  /**
   * Works out the rows of the tasks `changedIds` (from the collections as folded so far), to be
   * shown at the next flush. Nothing to do while a full pass is due anyway.
   */
  stage(changedIds: Iterable<number>, folded: { tasks: ReadonlyMap<number, Task>; runs: ReadonlyMap<number, Run>; progress: ReadonlyMap<number, Progress> }): void {
    const query = this.query
    if (this.tasks === null || query === null || query.sort === 'duration') return
    const keep = rowFilter(query)
    for (const id of changedIds) {
      const before = this.byId.get(id)
      const task = folded.tasks.get(id)
      let after: TaskRow | undefined
      if (task !== undefined && keep(task)) {
        const lastRun = task.lastRunId !== null ? (folded.runs.get(task.lastRunId) ?? null) : null
        const taskProgress = folded.progress.get(id) ?? task.progress
        after = before && before.task === task && before.lastRun === lastRun && before.progress === taskProgress ? before : { task, lastRun, progress: taskProgress }
      }
      if (after === before) continue
      // A staged row was never shown: it is dropped, not removed.
      if (before && this.inserted.get(id) === before) this.inserted.delete(id)
      else if (before) this.removed.add(before)
      if (after) {
        this.inserted.set(id, after)
        this.byId.set(id, after)
      } else this.byId.delete(id)
    }
  }

  /**
   * The rows of a state: the staged changes merged in, or everything computed again for a new
   * query (or `full`). `state` must hold everything staged since the previous flush.
   */
  flush(state: { tasks: ReadonlyMap<number, Task>; runs: ReadonlyMap<number, Run>; progress: ReadonlyMap<number, Progress> }, query: TaskQuery, full = false): readonly TaskRow[] {
    if (full || this.tasks === null || !this.incremental(query)) this.recompute(state.tasks, state.runs, state.progress, query)
    else if (this.removed.size > 0 || this.inserted.size > 0) {
      const removed = [...this.removed]
      const inserted = [...this.inserted.values()]
      const order = rowOrder(query)
      this.rows = removed.length + inserted.length <= FEW_CHANGES ? spliceRows(this.rows, removed, inserted, order) : mergeRows(this.rows, removed, inserted, order)
    }
    this.removed.clear()
    this.inserted.clear()
    this.tasks = state.tasks
    this.runs = state.runs
    this.progress = state.progress
    this.query = query
    return this.rows
  }

  /** Whether rows for `query` can be patched from the current ones. */
  private incremental(query: TaskQuery): boolean {
    return query === this.query && query.sort !== 'duration'
  }

  private recompute(tasks: ReadonlyMap<number, Task>, runs: ReadonlyMap<number, Run>, progress: ReadonlyMap<number, Progress>, query: TaskQuery): void {
    this.rows = queryTasks(tasks, runs, progress, query, this.byId)
    this.byId.clear()
    for (const row of this.rows) this.byId.set(row.task.id, row)
  }

  /** Ids of the tasks whose row may differ (task, last run or progress replaced; added; removed); null when a full pass is simpler. */
  private changedTaskIds(previousTasks: ReadonlyMap<number, Task>, tasks: ReadonlyMap<number, Task>, runs: ReadonlyMap<number, Run>, progress: ReadonlyMap<number, Progress>): Set<number> | null {
    const changed = new Set<number>()
    if (tasks !== previousTasks) {
      let added = 0
      for (const [id, task] of tasks) {
        const before = previousTasks.get(id)
        if (before === task) continue
        changed.add(id)
        if (before === undefined) added++
      }
      if (previousTasks.size + added !== tasks.size) for (const id of previousTasks.keys()) if (!tasks.has(id)) changed.add(id)
    }
    if (runs !== this.runs) {
      // Runs are only ever added or replaced; anything else is rare enough for a full pass.
      if (runs.size < this.runs.size) return null
      for (const [id, run] of runs) if (this.runs.get(id) !== run) changed.add(run.taskId)
    }
    if (progress !== this.progress) {
      for (const [id, value] of progress) if (this.progress.get(id) !== value) changed.add(id)
      for (const id of this.progress.keys()) if (!progress.has(id)) changed.add(id)
    }
    return changed
  }
}

/** Up to this many row changes are spliced in one by one; more are sorted and merged in one pass. */
const FEW_CHANGES = 32

function spliceRows(current: readonly TaskRow[], removed: readonly TaskRow[], inserted: readonly TaskRow[], order: (a: TaskRow, b: TaskRow) => number): TaskRow[] {
  const rows = current.slice()
  // A row's position follows from its own fields, which never change: found by binary search.
  for (const row of removed) rows.splice(lowerBound(rows, row, order), 1)
  for (const row of inserted) rows.splice(lowerBound(rows, row, order), 0, row)
  return rows
}

/**
 * Many changes at once: each removed and inserted row's position is found by binary search,
 * and the rows between them are copied, so the cost is a copy of the array plus a search per
 * change (a replay adds thousands of rows to a list of tens of thousands, mostly in one place).
 */
function mergeRows(current: readonly TaskRow[], removed: readonly TaskRow[], inserted: TaskRow[], order: (a: TaskRow, b: TaskRow) => number): TaskRow[] {
  // Positions in `current`: a removed row sits exactly at its lower bound (the order is total).
  const gone = removed.map((row) => lowerBound(current, row, order)).sort((a, b) => a - b)
  inserted.sort(order)
  const rows = new Array<TaskRow>(current.length - removed.length + inserted.length)
  let out = 0
  let from = 0
  let nextGone = 0
  /** Copies current[from, to) except the removed rows. */
  const copyUntil = (to: number) => {
    while (from < to) {
      const stop = nextGone < gone.length && gone[nextGone]! < to ? gone[nextGone]! : to
      for (; from < stop; from++) rows[out++] = current[from]!
      if (from < to) {
        from++
        nextGone++
      }
    }
  }
  for (const row of inserted) {
    copyUntil(lowerBound(current, row, order, from))
    rows[out++] = row
  }
  copyUntil(current.length)
  return rows
}

function lowerBound(rows: readonly TaskRow[], row: TaskRow, order: (a: TaskRow, b: TaskRow) => number, from = 0): number {
  let low = from
  let high = rows.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (order(rows[mid]!, row) < 0) low = mid + 1
    else high = mid
  }
  return low
}

/** Whether a task passes the query's filters. */
function rowFilter(query: TaskQuery): (task: Task) => boolean {
  const needle = query.text.trim().toLowerCase()
  const statuses = query.statuses.length > 0 ? new Set(query.statuses) : null
  return (task) =>
    (!statuses || statuses.has(task.status)) &&
    (query.group === null || task.definition.group === query.group) &&
    (query.label === null || task.definition.labels.includes(query.label)) &&
    (!needle || matchesText(task, needle))
}

/** The list's total order: the query's sort, then newest first. */
function rowOrder(query: TaskQuery): (a: TaskRow, b: TaskRow) => number {
  // The default order (newest first) on its own: it is the common case, and ids are unique.
  if (query.sort === 'id') return query.descending ? (a, b) => b.task.id - a.task.id : (a, b) => a.task.id - b.task.id
  const dir = query.descending ? -1 : 1
  const compare = comparator(query.sort)
  return (a, b) => dir * compare(a, b) || b.task.id - a.task.id
}

function matchesText(task: Task, needle: string): boolean {
  return (
    String(task.id) === needle ||
    task.name.toLowerCase().includes(needle) ||
    commandText(task).toLowerCase().includes(needle) ||
    task.definition.labels.some((l) => l.toLowerCase().includes(needle)) ||
    task.definition.group.toLowerCase().includes(needle)
  )
}

function comparator(sort: SortKey): (a: TaskRow, b: TaskRow) => number {
  switch (sort) {
    case 'id':
      return (a, b) => a.task.id - b.task.id
    case 'name':
      return (a, b) => a.task.name.localeCompare(b.task.name)
    case 'status':
      return (a, b) => STATUS_ORDER[a.task.status] - STATUS_ORDER[b.task.status]
    case 'updated':
      return (a, b) => a.task.updatedAt - b.task.updatedAt
    case 'priority':
      return (a, b) => a.task.definition.priority - b.task.definition.priority
    case 'duration':
      return (a, b) => runDuration(a.lastRun) - runDuration(b.lastRun)
  }
}

export function runDuration(run: Run | null, now = Date.now()): number {
  if (!run) return 0
  // `now` ticks once a second, so it can trail a run that just started: never below zero.
  return run.durationMs ?? Math.max(0, (run.finishedAt ?? now) - run.startedAt)
}

export interface TaskFacets {
  /** Groups and labels present, for the filter menus. */
  groups: string[]
  labels: string[]
  /** Tasks per status, for the status chips. */
  counts: ReadonlyMap<TaskStatus, number>
  total: number
}

/** What the filters show about all tasks, in one pass over them. */
export function taskFacetsOf(tasks: ReadonlyMap<number, Task>): TaskFacets {
  const groups = new Set<string>()
  const labels = new Set<string>()
  const counts = new Map<TaskStatus, number>()
  for (const task of tasks.values()) {
    groups.add(task.definition.group)
    for (const l of task.definition.labels) labels.add(l)
    counts.set(task.status, (counts.get(task.status) ?? 0) + 1)
  }
  return { groups: [...groups].sort(), labels: [...labels].sort(), counts, total: tasks.size }
}

/**
 * taskFacetsOf kept up to date as tasks change: each changed task moves its counts (status,
 * group, labels) from its old values to its new ones, so a state costs the changed tasks, not
 * all of them. `facets()` gives the same object while nothing changed, and new group and label
 * lists only when one appears or disappears. Tested against taskFacetsOf.
 */
export class TaskFacetsIndex {
  /** The task each count was taken from. */
  private readonly known = new Map<number, Task>()
  private readonly statuses = new Map<TaskStatus, number>()
  private readonly groups = new Map<string, number>()
  private readonly labels = new Map<string, number>()
  private countsChanged = true
  private namesChanged = true
  private last: TaskFacets = { groups: [], labels: [], counts: new Map(), total: 0 }

  /** Counts the tasks `changedIds` as they are in `tasks` now (added, replaced or gone). */
  stage(changedIds: Iterable<number>, tasks: ReadonlyMap<number, Task>): void {
    for (const id of changedIds) {
      const before = this.known.get(id)
      const after = tasks.get(id)
      if (before === after) continue
      if (before) this.count(before, -1)
      if (after) {
        this.count(after, 1)
        this.known.set(id, after)
      } else this.known.delete(id)
    }
  }

  facets(): TaskFacets {
    if (!this.countsChanged && !this.namesChanged) return this.last
    this.last = {
      groups: this.namesChanged ? sameOr(this.last.groups, [...this.groups.keys()].sort()) : this.last.groups,
      labels: this.namesChanged ? sameOr(this.last.labels, [...this.labels.keys()].sort()) : this.last.labels,
      counts: new Map(this.statuses),
      total: this.known.size,
    }
    this.countsChanged = this.namesChanged = false
    return this.last
  }

  private count(task: Task, delta: 1 | -1): void {
    this.countsChanged = true
    bump(this.statuses, task.status, delta)
    if (bump(this.groups, task.definition.group, delta)) this.namesChanged = true
    const labels = task.definition.labels
    // A label listed twice counts once, as in taskFacetsOf.
    for (let i = 0; i < labels.length; i++) if (labels.indexOf(labels[i]!) === i && bump(this.labels, labels[i]!, delta)) this.namesChanged = true
  }
}

/** `before` when `after` has the same items (a task moving between statuses drops and re-adds its group). */
function sameOr(before: string[], after: string[]): string[] {
  return before.length === after.length && before.every((item, i) => item === after[i]) ? before : after
}

/** Adds `delta` to a count, dropping it at zero; true when the key appeared or disappeared. */
function bump<K>(counts: Map<K, number>, key: K, delta: 1 | -1): boolean {
  const next = (counts.get(key) ?? 0) + delta
  if (next === 0) counts.delete(key)
  else counts.set(key, next)
  return next === 0 || next === delta
}

/**
 * Fuzzy subsequence score for the palette: every query character must appear in order;
 * consecutive and word-start matches score higher. null when it does not match.
 */
export function fuzzyScore(query: string, candidate: string): number | null {
  const q = query.toLowerCase()
  const c = candidate.toLowerCase()
  if (!q) return 0
  let score = 0
  let ci = 0
  let previous = -2
  for (const ch of q) {
    const found = c.indexOf(ch, ci)
    if (found < 0) return null
    score += found === previous + 1 ? 3 : 1
    if (found === 0 || c[found - 1] === ' ' || c[found - 1] === '.') score += 2
    previous = found
    ci = found + 1
  }
  return score - c.length * 0.01
}
