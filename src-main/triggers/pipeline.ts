import { EMPTY, catchError, defer, filter, from, groupBy, map, merge, mergeMap, of, repeat, scan, share, switchMap, throttleTime, timer, type Observable, type SchedulerLike } from 'rxjs'
import {
  isFinished,
  type CompletionSpec,
  type EngineEvent,
  type FileWatchSpec,
  type Firing,
  type FiringCause,
  type ScheduleSpec,
  type ShortcutSpec,
  type SystemSpec,
  type Task,
  type TaskdeckError,
  type TaskStatus,
} from '../../src-shared/index.ts'
import { batchBursts } from './bursts.ts'
import { fileChanges$, netChanges } from './files.ts'
import { savedTaskLabel, type FiringInput } from './input.ts'
import { nextSlotAfter, planDueSlots, type SchedulePlan } from './schedule.ts'
import type { TriggerRecord } from './store.ts'
import { settledSystemEvents, type SystemOccurrence } from './system.ts'

export { batchBursts } from './bursts.ts'

/**
 * Wall-clock time and the scheduler timers run on. They are separate on purpose: after a
 * machine sleeps, the wall clock has jumped but monotonic timers have not fired, and tests
 * simulate exactly that with a virtual scheduler and a clock they move by hand.
 */
export interface Clock {
  now(): number
  readonly scheduler: SchedulerLike
}

type Json = Firing['detail'][string]

/** One request to start a saved task; every trigger kind produces these, `fire` serves them in order. */
export interface FireRequest {
  triggerId: number | null
  savedTaskId: number
  cause: FiringCause
  scheduledFor: number | null
  /** Only record the missed slots in the history; start nothing. */
  skipped?: boolean
  /** The trigger's source failed (a watcher error): record why in the history; start nothing. */
  failure?: string
  /** Schedules: the newest slot this request accounts for. */
  cursorAt?: number
  /** Completions: the event in which the watched task finished, and which finish it was (`after-run:<id>`, `after-task:<id>`). */
  source?: { seq: number; key: string }
  /** Webhooks: the sender's delivery id, recorded with the firing when it starts a task. */
  deliveryId?: string
  /**
   * "Run now": the caller's idempotency key. The task carries it as given; a call again with it answers the
   * task (and firing) the first made, and a key some other request's task carries is refused.
   */
  idempotencyKey?: string
  /**
   * A firing the app stopped in while submitting its task (its intent, kept under `key`): recorded now with the task
   * found by that key (`detail.recovered`), as failed when there is none; never submitted again.
   */
  recover?: { key: string; firedAt: number }
  input: Pick<FiringInput, 'changedPaths' | 'changes' | 'webhook' | 'completion' | 'payload' | 'system'>
  detail: Record<string, Json>
  reply?: (outcome: FireOutcome) => void
}

/**
 * How a request was served: its firing, the task it started (null when none was started now) and why
 * not. `duplicate`: a repeat of a firing already recorded (`firing` is that one), nothing recorded now.
 */
export interface FireOutcome {
  firing: Firing
  task: Task | null
  error: unknown
  duplicate?: true
  /** Refused before anything was recorded (a "Run now" key another request's task carries): the caller's answer. */
  refused?: TaskdeckError
}

const CAUSE_OF_KIND = {
  schedule: 'schedule',
  fileWatch: 'file',
  webhook: 'webhook',
  shortcut: 'shortcut',
  completion: 'completion',
  system: 'system',
} as const satisfies Record<TriggerRecord['spec']['kind'], FiringCause>

/** A trigger as it now is, or gone. */
export type TriggerChange = { record: TriggerRecord } | { removed: number }

export interface PipelineInputs {
  /** Every trigger at start, then each create, update, pause, resume and removal. */
  triggerChanges$: Observable<TriggerChange>
  engineEvents$: Observable<EngineEvent>
  /** Accelerators pressed, normalised. */
  shortcutPresses$: Observable<string>
  /** What happens to the machine (`systemEvents$` in system.ts), for system triggers. */
  systemEvents$: Observable<SystemOccurrence>
  /** Requests answered individually: run now, saved task runs, webhook calls. */
  direct$: Observable<FireRequest>
  clock: Clock
  /** A schedule slot at most this old when its timer fires is on time; older ones were missed. */
  lateToleranceMs: number
  /** Longest single timer, so a wall-clock jump (sleep, clock change) is noticed within it. */
  maxTimerMs: number
  /** Key repeat and double presses within this window start one task. */
  shortcutThrottleMs: number
  watcher: { onReady(triggerId: number): void; onClosed(triggerId: number, closing: Promise<void>): void }
}

/**
 * Every trigger, composed in one place. Each trigger's source is chosen by its kind and
 * restarted whenever the trigger changes (switchMap per trigger id), and is EMPTY while it
 * is paused; all sources merge into one stream of requests for `fire`:
 *
 *   schedule   look now, then again at the next slot (at most `maxTimerMs` later) → plan
 *   file       chokidar paths → buffer until `debounceMs` of quiet → distinct paths
 *   shortcut   presses of its accelerator → throttle
 *   completion finished transitions of engine tasks (deduplicated) → match task/label/saved task
 *   system     changes of the machine state (wake, power, screen, network, presence) → settle per family
 *   direct     run now, saved task runs and webhook calls (checked by their handlers)
 */
export function firingRequests$(inputs: PipelineInputs): Observable<FireRequest> {
  const finished$ = finishedTasks$(inputs.engineEvents$).pipe(share())
  const triggered$ = inputs.triggerChanges$.pipe(
    groupBy((change) => ('removed' in change ? change.removed : change.record.id), {
      duration: (group$) => group$.pipe(filter((change) => 'removed' in change)),
    }),
    mergeMap((changes$) =>
      changes$.pipe(
        switchMap((change) => {
          if ('removed' in change || change.record.paused) return EMPTY
          const record = change.record
          // One trigger's failure stops that trigger, recorded in its history, never the others.
          return sourceFor(record, inputs, finished$).pipe(
            catchError((error: unknown) =>
              of<FireRequest>({
                triggerId: record.id,
                savedTaskId: record.savedTaskId,
                cause: CAUSE_OF_KIND[record.spec.kind],
                scheduledFor: null,
                failure: `This trigger stopped: ${error instanceof Error ? error.message : JSON.stringify(error)}. Pause and resume it to restart.`,
                input: {},
                detail: {},
              }),
            ),
          )
        }),
      ),
    ),
  )
  return merge(triggered$, inputs.direct$)
}

function sourceFor(record: TriggerRecord, inputs: PipelineInputs, finished$: Observable<FinishedTask>): Observable<FireRequest> {
  const spec = record.spec
  switch (spec.kind) {
    case 'schedule':
      return scheduleRequests$(record, spec, inputs)
    case 'fileWatch':
      return fileRequests$(record, spec, inputs)
    case 'shortcut':
      return shortcutRequests$(record, spec, inputs)
    case 'completion':
      return completionRequests$(record, spec, finished$)
    case 'system':
      return systemRequests$(record, spec, inputs)
    case 'webhook':
      return EMPTY
  }
}

function scheduleRequests$(record: TriggerRecord, spec: ScheduleSpec, inputs: PipelineInputs): Observable<FireRequest> {
  const { clock } = inputs
  let cursorAt = record.cursorAt
  const look$ = defer(() => {
    const plan = planDueSlots(spec, record.anchorAt, cursorAt, clock.now(), inputs.lateToleranceMs)
    if (!plan) return EMPTY
    cursorAt = plan.cursorAt
    return from(requestsOfPlan(record, plan))
  })
  const untilNextLook = (): number => {
    const next = nextSlotAfter(spec, record.anchorAt, cursorAt)
    const wait = next === null ? inputs.maxTimerMs : next - clock.now()
    // At least 1 ms: a slot due "now" is looked at on the next turn, never in a busy loop.
    return Math.min(Math.max(wait, 1), inputs.maxTimerMs)
  }
  return look$.pipe(repeat({ delay: () => timer(untilNextLook(), clock.scheduler) }))
}

function requestsOfPlan(record: TriggerRecord, plan: SchedulePlan): FireRequest[] {
  const base = { triggerId: record.id, savedTaskId: record.savedTaskId, input: {} }
  const requests: FireRequest[] = []
  if (plan.skipped) {
    const { count, countIsLowerBound, lastSlot } = plan.skipped
    requests.push({
      ...base,
      cause: 'catch-up',
      scheduledFor: lastSlot,
      skipped: true,
      cursorAt: lastSlot,
      detail: { missed: count, missedAtLeast: countIsLowerBound },
    })
  }
  for (const slot of plan.fire) {
    requests.push({
      ...base,
      cause: slot.catchUp ? 'catch-up' : 'schedule',
      scheduledFor: slot.scheduledFor,
      cursorAt: slot.scheduledFor,
      detail: slot.catchUp ? { missed: slot.missed } : {},
    })
  }
  return requests
}

function fileRequests$(record: TriggerRecord, spec: FileWatchSpec, inputs: PipelineInputs): Observable<FireRequest> {
  const changes$ = fileChanges$(spec, {
    onReady: () => inputs.watcher.onReady(record.id),
    onClosed: (closing) => inputs.watcher.onClosed(record.id, closing),
  })
  return changes$.pipe(
    batchBursts(spec.debounceMs, spec.maxWaitMs, inputs.clock.scheduler),
    map((burst) => {
      const changes = netChanges(burst)
      const changedPaths = changes.map((change) => change.path)
      // How many paths of each kind, for the history ("2 add, 1 unlink").
      const events: Record<string, number> = {}
      for (const { event } of changes) events[event] = (events[event] ?? 0) + 1
      return {
        triggerId: record.id,
        savedTaskId: record.savedTaskId,
        cause: 'file' as const,
        scheduledFor: null,
        input: { changedPaths, changes },
        detail: { changedPaths: changedPaths.slice(0, 100), changedCount: changedPaths.length, events },
      }
    }),
  )
}

function shortcutRequests$(record: TriggerRecord, spec: ShortcutSpec, inputs: PipelineInputs): Observable<FireRequest> {
  return inputs.shortcutPresses$.pipe(
    filter((accelerator) => accelerator === spec.accelerator),
    throttleTime(inputs.shortcutThrottleMs, inputs.clock.scheduler),
    map(() => ({
      triggerId: record.id,
      savedTaskId: record.savedTaskId,
      cause: 'shortcut' as const,
      scheduledFor: null,
      input: {},
      detail: { accelerator: spec.accelerator },
    })),
  )
}

function systemRequests$(record: TriggerRecord, spec: SystemSpec, inputs: PipelineInputs): Observable<FireRequest> {
  return inputs.systemEvents$.pipe(
    settledSystemEvents(spec, inputs.clock.scheduler),
    map(({ changes, ...occurrence }) => ({
      triggerId: record.id,
      savedTaskId: record.savedTaskId,
      cause: 'system' as const,
      scheduledFor: null,
      input: { system: occurrence },
      // `changes`: how many changes of its state settled into this one (a flapping network).
      detail: { ...occurrence, ...(changes > 1 ? { changes } : {}) },
    })),
  )
}

const FAILED: readonly TaskStatus[] = ['failed', 'timed_out', 'interrupted']

export function completionMatches(spec: CompletionSpec, task: Task): boolean {
  const outcomeMatches =
    spec.when === 'succeeded' ? task.status === 'succeeded' : spec.when === 'failed' ? FAILED.includes(task.status) : task.status !== 'cancelled'
  if (!outcomeMatches) return false
  if (spec.taskId !== undefined) return task.id === spec.taskId
  if (spec.label !== undefined) return task.definition.labels.includes(spec.label)
  return spec.afterSavedTaskId !== undefined && task.definition.labels.includes(savedTaskLabel(spec.afterSavedTaskId))
}

/** A task that has just reached a finished status, and the event that said so. */
export interface FinishedTask {
  task: Task
  seq: number
}

/** Which finish of a task this was: runs are never reused, and a task that ends without a run ends once. */
export const finishKey = (task: Task): string => (task.lastRunId === null ? `after-task:${task.id}` : `after-run:${task.lastRunId}`)

function completionRequests$(record: TriggerRecord, spec: CompletionSpec, finished$: Observable<FinishedTask>): Observable<FireRequest> {
  return finished$.pipe(
    // Finishes before the trigger was created (changed, resumed) are not its business, even when replayed.
    filter(({ task, seq }) => seq > record.fromSeq && completionMatches(spec, task)),
    map(({ task, seq }) => ({
      triggerId: record.id,
      savedTaskId: record.savedTaskId,
      cause: 'completion' as const,
      scheduledFor: null,
      source: { seq, key: finishKey(task) },
      input: { completion: { taskId: task.id, name: task.name, status: task.status, key: finishKey(task) } },
      detail: { sourceTaskId: task.id, sourceStatus: task.status, sourceKey: finishKey(task) },
    })),
  )
}

/**
 * Each time a task reaches a finished status, once: the engine may announce a finished task
 * again (a label edit, a clean-up), and a retried task finishes again with a new run, so
 * the key is the status and the last run. Only durable events count (they have a `seq`).
 */
export function finishedTasks$(events$: Observable<EngineEvent>): Observable<FinishedTask> {
  return events$.pipe(
    scan(
      (state, event) => {
        state.emit = null
        if (event.type === 'task.removed') {
          for (const id of event.taskIds) state.seen.delete(id)
        } else if ((event.type === 'task.updated' || event.type === 'task.created') && isFinished(event.task.status)) {
          const key = `${event.task.status}:${event.task.lastRunId ?? 0}`
          if (state.seen.get(event.task.id) !== key) {
            state.seen.set(event.task.id, key)
            state.emit = { task: event.task, seq: event.seq }
          }
        }
        return state
      },
      { seen: new Map<number, string>(), emit: null as FinishedTask | null },
    ),
    map((state) => state.emit),
    filter((finished): finished is FinishedTask => finished !== null),
  )
}
