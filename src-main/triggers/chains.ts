import { LIMITS, type SavedTask, type TriggerSpec } from '../../src-shared/index.ts'
import { savedTaskLabel, triggerLabel } from './input.ts'

/** What loop finding needs of a trigger; `id` may be the one a new trigger is about to get. */
export interface ChainTrigger {
  id: number
  name: string
  savedTaskId: number
  spec: TriggerSpec
}

/** One link of a loop: a task started from `from` (by the link before) finishes, and `trigger` starts `to`. */
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
 * The labels of the tasks a trigger starts: its saved task's own, `saved-task:S` and
 * `trigger:T`, the last two only while there is room under the label limit (as
 * definitionForFiring adds them).
 */
function labelsOfTasksStartedBy(trigger: ChainTrigger, savedTasks: ReadonlyMap<number, SavedTask>): Set<string> {
  const own = savedTasks.get(trigger.savedTaskId)?.definition.labels ?? []
  const labels = new Set(own)
  if (own.length < LIMITS.labelCount) labels.add(savedTaskLabel(trigger.savedTaskId))
  if (own.length + 1 < LIMITS.labelCount) labels.add(triggerLabel(trigger.id))
  return labels
}

/**
 * Completion triggers as a graph: an edge from T to W when the tasks T starts carry the
 * label W watches, so each of them, finishing, makes W start its saved task. Only completion
 * triggers have edges into them, so only they can be in a loop.
 */
function edges(savedTasks: ReadonlyMap<number, SavedTask>, triggers: readonly ChainTrigger[]): Map<number, ChainTrigger[]> {
  const completions = triggers.filter((t) => watchedLabel(t.spec) !== null)
  const next = new Map<number, ChainTrigger[]>()
  for (const from of completions) {
    const labels = labelsOfTasksStartedBy(from, savedTasks)
    next.set(
      from.id,
      completions.filter((to) => labels.has(watchedLabel(to.spec)!)),
    )
  }
  return next
}

/**
 * The shortest loop of completion triggers through trigger `throughId`, as links starting
 * with that trigger's, or null: a breadth-first search from the trigger back to itself.
 */
export function loopThrough(savedTasks: ReadonlyMap<number, SavedTask>, triggers: readonly ChainTrigger[], throughId: number): ChainLink[] | null {
  const next = edges(savedTasks, triggers)
  const start = triggers.find((t) => t.id === throughId)
  if (!start || !next.has(start.id)) return null
  const via = new Map<number, ChainTrigger>()
  let frontier = [start]
  while (frontier.length > 0) {
    const following: ChainTrigger[] = []
    for (const trigger of frontier) {
      for (const to of next.get(trigger.id) ?? []) {
        if (to.id === start.id) {
          const cycle = [trigger]
          for (let at = trigger; at.id !== start.id; at = via.get(at.id)!) cycle.unshift(via.get(at.id)!)
          // Each trigger starts its saved task when one the previous trigger started finishes.
          return cycle.map((t, i) => ({ from: cycle[(i + cycle.length - 1) % cycle.length]!.savedTaskId, trigger: t, to: t.savedTaskId }))
        }
        if (via.has(to.id)) continue
        via.set(to.id, trigger)
        following.push(to)
      }
    }
    frontier = following
  }
  return null
}

/** `saved task 1 "build" → trigger 3 "test after build" → saved task 2 "test" → … → saved task 1 "build"` */
export function describeLoop(loop: readonly ChainLink[], savedTasks: ReadonlyMap<number, SavedTask>, newTriggerId: number | null): string {
  const saved = (id: number) => `saved task ${id} "${savedTasks.get(id)?.name ?? '?'}"`
  const trigger = (t: ChainTrigger) => (t.id === newTriggerId ? 'this new trigger' : `trigger ${t.id} "${t.name}"`)
  return [saved(loop[0]!.from), ...loop.flatMap((link) => [trigger(link.trigger), saved(link.to)])].join(' → ')
}
