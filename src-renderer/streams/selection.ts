import { distinctUntilChanged, map, merge, scan, type Observable } from 'rxjs'
import { isFinished, type Task } from '../../src-shared/index.ts'

/** Where a Shift range began, and what was checked before it (kept when the range changes). */
export interface RangeAnchor {
  taskId: number
  base: ReadonlySet<number>
}

export interface ListSelection {
  cursor: number | null
  checked: ReadonlySet<number>
  /** Set by the first Shift+move or Shift+click, cleared by any plain move, click or toggle. */
  anchor: RangeAnchor | null
}

/**
 * Shift+click or Shift+move to `targetId`: every row between the anchor and the target is
 * checked, on top of what was checked before the range began, and the cursor goes to the
 * target. Moving back towards the anchor shrinks the range, as in file managers. An anchor
 * no longer shown (filtered out) restarts the range at the cursor.
 */
export function selectRange(rowIds: readonly number[], selection: ListSelection, targetId: number): ListSelection {
  const to = rowIds.indexOf(targetId)
  if (to < 0) return selection
  const anchorShown = selection.anchor !== null && rowIds.includes(selection.anchor.taskId)
  const anchor: RangeAnchor = anchorShown
    ? selection.anchor!
    : { taskId: selection.cursor !== null && rowIds.includes(selection.cursor) ? selection.cursor : targetId, base: selection.checked }
  const from = rowIds.indexOf(anchor.taskId)
  const checked = new Set(anchor.base)
  for (let i = Math.min(from, to); i <= Math.max(from, to); i++) checked.add(rowIds[i]!)
  return { cursor: targetId, checked, anchor }
}

/** Shift+j / Shift+k: extends (or shrinks) the range by `delta` rows from the cursor. */
export function extendSelection(rowIds: readonly number[], selection: ListSelection, delta: number): ListSelection {
  if (rowIds.length === 0) return selection
  const index = selection.cursor === null ? -1 : rowIds.indexOf(selection.cursor)
  const target = index < 0 ? 0 : Math.max(0, Math.min(rowIds.length - 1, index + delta))
  return selectRange(rowIds, selection, rowIds[target]!)
}

/** The checked tasks there are (a checked task removed meanwhile is not), and how many of them are finished. */
export interface SelectionCounts {
  present: number
  finished: number
  /** Stashed: Resume enqueues these (task.unstash). */
  stashed: number
}

/** What selectionCounts$ reads of each state: the tasks, and which of them changed since the state before. */
export interface SelectionTasks {
  tasks: ReadonlyMap<number, Task>
  changedTaskIds: ReadonlySet<number>
}

const NO_COUNTS: SelectionCounts = { present: 0, finished: 0, stashed: 0 }

/** What one task adds to the counts if it is checked. */
function countTask(counts: SelectionCounts, task: Task | undefined, sign: 1 | -1): SelectionCounts {
  if (!task) return counts
  return {
    present: counts.present + sign,
    finished: counts.finished + (isFinished(task.status) ? sign : 0),
    stashed: counts.stashed + (task.status === 'stashed' ? sign : 0),
  }
}

function countAll(checked: ReadonlySet<number>, tasks: ReadonlyMap<number, Task> | null): SelectionCounts {
  if (!tasks) return NO_COUNTS
  let counts = NO_COUNTS
  for (const id of checked) counts = countTask(counts, tasks.get(id), 1)
  return counts
}

/**
 * The counts the bulk bar shows ("3 selected", what Remove would remove), kept as the selection and the tasks change.
 * A new selection (a click or a key, which built a new set anyway) is counted once; a new state of the tasks moves the
 * counts only by its changed tasks that are checked, so a frame of events costs its changes, not the selection (100,000
 * checked tasks took milliseconds a frame counted whole: bench/ui-selection.ts). Each state's `changedTaskIds` must name
 * every task changed since the state before, as the fold's do; a state whose tasks changed without naming any is
 * counted whole. Emits only a change.
 */
export function selectionCounts$(checked$: Observable<ReadonlySet<number>>, states$: Observable<SelectionTasks>): Observable<SelectionCounts> {
  interface Counted {
    checked: ReadonlySet<number>
    tasks: ReadonlyMap<number, Task> | null
    counts: SelectionCounts
  }
  const start: Counted = { checked: new Set(), tasks: null, counts: NO_COUNTS }
  return merge(checked$.pipe(map((checked) => ({ checked }))), states$.pipe(map((state) => ({ state })))).pipe(
    scan((counted: Counted, input): Counted => {
      if ('checked' in input) {
        return input.checked === counted.checked ? counted : { ...counted, checked: input.checked, counts: countAll(input.checked, counted.tasks) }
      }
      const { tasks, changedTaskIds } = input.state
      if (tasks === counted.tasks) return counted
      if (counted.tasks === null || changedTaskIds.size === 0) return { ...counted, tasks, counts: countAll(counted.checked, tasks) }
      let counts = counted.counts
      for (const id of changedTaskIds) {
        if (!counted.checked.has(id)) continue
        counts = countTask(countTask(counts, counted.tasks.get(id), -1), tasks.get(id), 1)
      }
      return { ...counted, tasks, counts }
    }, start),
    map((counted) => counted.counts),
    distinctUntilChanged((a, b) => a.present === b.present && a.finished === b.finished && a.stashed === b.stashed),
  )
}
