import { LIMITS, type SavedTask, type TriggerSpec } from '../../src-shared/index.ts'
import { savedTaskLabel, triggerLabel } from './input.ts'

/** What loop finding needs of a trigger; `id` may be the one a new trigger is about to get. */
export interface ChainTrigger {
  id: number
  name: string
  savedTaskId: number
  spec: TriggerSpec
}

/** One link of a loop: a task started from `from` finishes, and `trigger` starts `to`. */
export interface ChainLink {
  from: number
  trigger: ChainTrigger
  to: number
}

/** The label a completion trigger watches for; a trigger on one task id cannot loop (started tasks get new ids). */
function watchedLabel(spec: TriggerSpec): string | null {
  if (spec.kind !== 'completion') return null
  if (spec.afterSavedTaskId !== undefined) return savedTaskLabel(spec.afterSavedTaskId)
  return spec.label ?? null
}

/**
 * Completion triggers as a graph over saved tasks: an edge from S to T's saved task when a
 * task started from S carries the label T watches. Tasks started from S carry S's own labels,
 * `saved-task:S`, and `trigger:X` for each trigger X that starts S (see definitionForFiring).
 */
function linksFrom(savedTasks: ReadonlyMap<number, SavedTask>, triggers: readonly ChainTrigger[]): Map<number, ChainLink[]> {
  const runLabels = new Map<number, Set<string>>()
  for (const saved of savedTasks.values()) {
    // Origin labels are added only while there is room (LIMITS.labelCount), as definitionForFiring does.
    const labels = new Set(saved.definition.labels)
    const room = LIMITS.labelCount - saved.definition.labels.length
    if (room > 0) labels.add(savedTaskLabel(saved.id))
    if (room > 1) for (const t of triggers) if (t.savedTaskId === saved.id) labels.add(triggerLabel(t.id))
    runLabels.set(saved.id, labels)
  }
  const links = new Map<number, ChainLink[]>()
  for (const trigger of triggers) {
    const label = watchedLabel(trigger.spec)
    if (label === null) continue
    for (const [from, labels] of runLabels) {
      if (!labels.has(label)) continue
      const list = links.get(from) ?? []
      list.push({ from, trigger, to: trigger.savedTaskId })
      links.set(from, list)
    }
  }
  return links
}

/**
 * The shortest loop of completion triggers that goes through trigger `throughId` (its
 * links, in order, starting with one of the trigger's own), or null. A breadth-first search
 * from the saved task the trigger starts back to a saved task it watches.
 */
export function loopThrough(savedTasks: ReadonlyMap<number, SavedTask>, triggers: readonly ChainTrigger[], throughId: number): ChainLink[] | null {
  const links = linksFrom(savedTasks, triggers)
  const own = [...links.values()].flat().filter((l) => l.trigger.id === throughId)
  let best: ChainLink[] | null = null
  for (const first of own) {
    const back = shortestPath(links, first.to, first.from)
    if (back && (!best || back.length + 1 < best.length)) best = [first, ...back]
  }
  return best
}

function shortestPath(links: Map<number, ChainLink[]>, start: number, goal: number): ChainLink[] | null {
  if (start === goal) return []
  const via = new Map<number, ChainLink>()
  let frontier = [start]
  const seen = new Set(frontier)
  while (frontier.length > 0) {
    const next: number[] = []
    for (const node of frontier) {
      for (const link of links.get(node) ?? []) {
        if (seen.has(link.to)) continue
        seen.add(link.to)
        via.set(link.to, link)
        if (link.to === goal) {
          const path: ChainLink[] = []
          for (let at = goal; at !== start; at = via.get(at)!.from) path.unshift(via.get(at)!)
          return path
        }
        next.push(link.to)
      }
    }
    frontier = next
  }
  return null
}

/** `saved task 1 "build" → trigger 3 "test after build" → saved task 2 "test" → … → saved task 1 "build"` */
export function describeLoop(loop: readonly ChainLink[], savedTasks: ReadonlyMap<number, SavedTask>, newTriggerId: number | null): string {
  const saved = (id: number) => `saved task ${id} "${savedTasks.get(id)?.name ?? '?'}"`
  const trigger = (t: ChainTrigger) => (t.id === newTriggerId ? 'this new trigger' : `trigger ${t.id} "${t.name}"`)
  return [saved(loop[0]!.from), ...loop.flatMap((link) => [trigger(link.trigger), saved(link.to)])].join(' → ')
}
