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
