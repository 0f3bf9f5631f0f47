import type { WebhookCall } from './webhook.ts'
import { LIMITS, type FileChange, type FiringCause, type ScriptSpec, type SavedTask, type SystemEvent, type TaskDefinitionInput, type TriggerKind } from '../../src-shared/index.ts'

/** What a firing knows that the started task may want: why it started and with what. */
export interface FiringInput {
  trigger: { id: number; name: string; kind: TriggerKind } | null
  savedTaskId: number
  cause: FiringCause
  firedAt: number
  scheduledFor: number | null
  changedPaths?: string[]
  /** File watch: what happened to each of `changedPaths`, in the same order (add, change, unlink, addDir, unlinkDir). */
  changes?: FileChange[]
  /** Set when `changedPaths` (and `changes`) had to be cut to fit a task's stdin: how many paths changed in all. */
  changedCount?: number
  webhook?: WebhookCall
  /** `key` says which finish it was; it becomes a label of the started task, so a restart can tell it was started. */
  completion?: { taskId: number; name: string; status: string; key: string }
  /** Whatever `trigger.fire` was given. */
  payload?: unknown
  /** System triggers: what happened to the machine, when (engine clock), and for a wake how long it slept when known. */
  system?: { event: SystemEvent; at: number; sleptMs?: number }
}

/** Labels that say where a task came from; completion triggers match `saved-task:<id>` to chain saved tasks. */
export const savedTaskLabel = (savedTaskId: number): string => `saved-task:${savedTaskId}`
export const triggerLabel = (triggerId: number): string => `trigger:${triggerId}`

/** The trigger that started a task, by the label `triggerLabel` gave it. */
export function triggerOfLabels(labels: readonly string[]): number | null {
  for (const label of labels) {
    const id = /^trigger:([1-9]\d*)$/.exec(label)?.[1]
    if (id !== undefined) return Number(id)
  }
  return null
}

/**
 * The task a firing submits: the saved definition, labelled with its origin, with the
 * firing's facts handed over the way each kind of task reads input. Shell tasks get
 * TASKDECK_* environment variables (TASKDECK_CHANGED_PATHS: one path per line) and the
 * whole firing as one JSON line on stdin, unless the saved task has stdin of its own;
 * script tasks get it as `input` unless they have their own. HTTP tasks only get labels.
 */
export function definitionForFiring(saved: SavedTask, input: FiringInput): TaskDefinitionInput {
  const definition = saved.definition
  const labels = [...definition.labels]
  for (const label of [savedTaskLabel(saved.id), input.trigger ? triggerLabel(input.trigger.id) : null, input.completion?.key ?? null]) {
    if (label && !labels.includes(label) && labels.length < LIMITS.labelCount) labels.push(label)
  }
  const base = { ...definition, name: definition.name ?? saved.name, labels }
  const spec = definition.spec
  switch (spec.kind) {
    case 'shell':
      return {
        ...base,
        spec: {
          ...spec,
          env: { ...spec.env, ...environmentFor(input) },
          stdin: spec.stdin ?? `${JSON.stringify(fittingStdin(input))}\n`,
        },
      }
    case 'script':
      return { ...base, spec: { ...spec, input: spec.input ?? (JSON.parse(JSON.stringify(input)) as ScriptSpec['input']) } }
    case 'http':
      return base
  }
}

/**
 * The firing as it fits on a task's stdin (LIMITS.stdinChars): a burst of tens of thousands
 * of changed files (a checkout, an unpacked archive) keeps the paths (and their `changes`)
 * that fit, in order, and says how many changed in all (`changedCount`, as
 * TASKDECK_CHANGED_PATHS_TRUNCATED does for the variable), instead of a task the engine refuses.
 */
function fittingStdin(input: FiringInput): FiringInput {
  const paths = input.changedPaths
  // The newline after the JSON counts too.
  const budget = LIMITS.stdinChars - 1
  if (paths === undefined || JSON.stringify(input).length <= budget) return input
  const changes = input.changes
  const withoutPaths = JSON.stringify({ ...input, changedPaths: [], ...(changes ? { changes: [] } : {}), changedCount: paths.length }).length
  let room = budget - withoutPaths
  let kept = 0
  for (const [index, path] of paths.entries()) {
    // Each kept path adds its JSON string and a comma, and its change (if any) its JSON object and a comma.
    const change = changes?.[index]
    const size = JSON.stringify(path).length + 1 + (change ? JSON.stringify(change).length + 1 : 0)
    if (size > room) break
    kept++
    room -= size
  }
  return { ...input, changedPaths: paths.slice(0, kept), ...(changes ? { changes: changes.slice(0, kept) } : {}), changedCount: paths.length }
}

/** As many of `lines` as fit in one environment variable's value (LIMITS.envValueChars), newline-separated. */
function fittingLines(lines: readonly string[]): { value: string; cut: boolean } {
  const kept: string[] = []
  let chars = 0
  for (const line of lines) {
    if (chars + line.length + 1 > LIMITS.envValueChars) break
    kept.push(line)
    chars += line.length + 1
  }
  return { value: kept.join('\n'), cut: kept.length < lines.length }
}

function environmentFor(input: FiringInput): Record<string, string> {
  const env: Record<string, string> = {
    TASKDECK_SAVED_TASK_ID: String(input.savedTaskId),
    TASKDECK_FIRED_BY: input.cause,
    TASKDECK_FIRED_AT: new Date(input.firedAt).toISOString(),
  }
  if (input.trigger) {
    env.TASKDECK_TRIGGER_ID = String(input.trigger.id)
    env.TASKDECK_TRIGGER_KIND = input.trigger.kind
  }
  if (input.scheduledFor !== null) env.TASKDECK_SCHEDULED_FOR = new Date(input.scheduledFor).toISOString()
  if (input.changedPaths) {
    const paths = fittingLines(input.changedPaths)
    env.TASKDECK_CHANGED_PATHS = paths.value
    // Stdin holds more of the list (all of it unless it passes LIMITS.stdinChars: `changedCount` then says how many); the variable says when it had to be cut.
    if (paths.cut) env.TASKDECK_CHANGED_PATHS_TRUNCATED = '1'
  }
  if (input.changes) {
    // "add<TAB>/path" per line, for `while IFS=$'\t' read -r event path`; cut like TASKDECK_CHANGED_PATHS, and said the same way.
    const changes = fittingLines(input.changes.map(({ event, path }) => `${event}\t${path}`))
    env.TASKDECK_CHANGES = changes.value
    if (changes.cut) env.TASKDECK_CHANGED_PATHS_TRUNCATED = '1'
  }
  if (input.completion) {
    env.TASKDECK_SOURCE_TASK_ID = String(input.completion.taskId)
    env.TASKDECK_SOURCE_STATUS = input.completion.status
  }
  if (input.system) {
    env.TASKDECK_SYSTEM_EVENT = input.system.event
  }
  return env
}
