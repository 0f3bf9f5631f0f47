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

export function commandText(task: Task): string {
  const spec = task.definition.spec
  switch (spec.kind) {
    case 'shell':
      return typeof spec.command === 'string' ? spec.command : spec.command.join(' ')
    case 'http':
      return `${spec.requests.length} URL${spec.requests.length === 1 ? '' : 's'}: ${spec.requests[0]?.url ?? ''}`
    case 'script':
      return spec.path
  }
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
  const needle = query.text.trim().toLowerCase()
  const statuses = query.statuses.length > 0 ? new Set(query.statuses) : null
  const rows: TaskRow[] = []
  for (const task of tasks.values()) {
    if (statuses && !statuses.has(task.status)) continue
    if (query.group !== null && task.definition.group !== query.group) continue
    if (query.label !== null && !task.definition.labels.includes(query.label)) continue
    if (needle && !matchesText(task, needle)) continue
    const lastRun = task.lastRunId !== null ? (runs.get(task.lastRunId) ?? null) : null
    const taskProgress = progress.get(task.id) ?? task.progress
    const known = previous?.get(task.id)
    rows.push(known && known.task === task && known.lastRun === lastRun && known.progress === taskProgress ? known : { task, lastRun, progress: taskProgress })
  }
  const dir = query.descending ? -1 : 1
  const compare = comparator(query.sort)
  rows.sort((a, b) => dir * compare(a, b) || b.task.id - a.task.id)
  return rows
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
