import { z } from 'zod'
import { TaskdeckError, type ApiError, type ErrorCode } from './errors.ts'
import { EndReasonSchema, MachineConditionSchema, RunIdSchema, TaskIdSchema, TaskStatusSchema } from './model.ts'
import { SavedTaskIdSchema, TriggerIdSchema } from './triggers.ts'

/**
 * What a refusal is, said as data: `details.reason` names it (a stable key) and `details` carries the
 * values its sentence needs, so a client says it in its user's language (the renderer's sayRefusal)
 * instead of showing the engine's English `message`, which stays as it was for the CLI and older
 * clients. One table for the server (which builds refusals with `refusal()`) and the clients (which
 * read them with `readRefusal()`): each reason's code, the values it carries (a zod schema, checked
 * where a client reads them), an example of them, and what it means (docs/api.md lists them).
 *
 * Additive: a reason is never renamed or given other values; a new refusal gets a new reason. A
 * client meeting a reason it does not know (a newer server) shows `message`.
 */

const kind = z.enum(['shell', 'http', 'script'])
const triggerKind = z.enum(['schedule', 'fileWatch', 'webhook', 'shortcut', 'completion', 'system'])
const group = z.string()
const unremovable = z.discriminatedUnion('kind', [
  /** Not finished: cancel it first. */
  z.object({ kind: z.literal('unfinished'), taskId: TaskIdSchema, status: TaskStatusSchema }),
  /** A dependency of a task that has not finished. */
  z.object({ kind: z.literal('dependency'), taskId: TaskIdSchema, dependantId: TaskIdSchema }),
])

interface RefusalEntry<S extends z.ZodObject> {
  code: ErrorCode
  values: S
  example: z.input<S>
  about: string
}
const entry = <S extends z.ZodObject>(code: ErrorCode, values: S, example: z.input<S>, about: string): RefusalEntry<S> => ({ code, values, example, about })

export const REFUSALS = {
  // ─── tasks ───
  'task-not-found': entry('not_found', z.object({ taskIds: z.array(TaskIdSchema).min(1) }), { taskIds: [12] }, 'A task named does not exist (or was removed); `taskIds` lists the missing ones.'),
  'task-not-editable': entry('conflict', z.object({ taskId: TaskIdSchema, status: TaskStatusSchema }), { taskId: 12, status: 'running' }, 'task.edit of a task that has started or ended.'),
  'task-not-pausable': entry('conflict', z.object({ taskId: TaskIdSchema, kind }), { taskId: 12, kind: 'script' }, 'task.pause of a running task whose runner cannot pause it (a script, an HTTP batch).'),
  'task-cannot-run': entry('conflict', z.object({ taskId: TaskIdSchema, endReason: EndReasonSchema }), { taskId: 12, endReason: { kind: 'dependency-ended', taskId: 11, status: 'failed', cause: null } }, 'task.retry of a task that would fail at once: `endReason` says why (a dependency that failed or is gone).'),
  'task-not-queued': entry('conflict', z.object({ taskId: TaskIdSchema, status: TaskStatusSchema }), { taskId: 12, status: 'running' }, 'task.move of a task that is not queued.'),
  'task-not-running': entry('conflict', z.object({ taskId: TaskIdSchema, status: TaskStatusSchema }), { taskId: 12, status: 'succeeded' }, 'task.send to a task that is not running.'),
  'task-no-stdin': entry('conflict', z.object({ taskId: TaskIdSchema, kind }), { taskId: 12, kind: 'http' }, 'task.send to a task that is not a shell command.'),
  'stdin-closed': entry('conflict', z.object({}), {}, 'task.send to a run whose input is closed (its definition’s stdin text was written, or it has ended).'),
  'tasks-not-removable': entry('conflict', z.object({ problems: z.array(unremovable).min(1) }), { problems: [{ kind: 'unfinished', taskId: 12, status: 'running' }, { kind: 'dependency', taskId: 9, dependantId: 13 }] }, 'task.clean with `taskIds` of which some cannot be removed: each is in `problems`, as `unfinished` (with its status) or a `dependency` of an unfinished task.'),
  'idempotency-key-used': entry('conflict', z.object({ idempotencyKey: z.string(), taskId: TaskIdSchema }), { idempotencyKey: 'nightly-2026-11-23', taskId: 12 }, 'An idempotency key already used for a task with another definition.'),
  'run-not-found': entry('not_found', z.object({ runId: RunIdSchema }), { runId: 40 }, 'A run named does not exist.'),
  'engine-closing': entry('conflict', z.object({}), {}, 'The engine is shutting down.'),
  // ─── groups ───
  'group-not-found': entry('not_found', z.object({ group }), { group: 'builds' }, 'A group named does not exist.'),
  'group-default': entry('conflict', z.object({ group }), { group: 'default' }, 'group.remove of the default group.'),
  'group-not-empty': entry('conflict', z.object({ group, taskIds: z.array(TaskIdSchema) }), { group: 'builds', taskIds: [12, 13] }, 'group.remove of a group with unfinished tasks (`taskIds`).'),
  'group-runs-elsewhere': entry('conflict', z.object({ group, redis: z.string() }), { group: 'builds', redis: 'redis://127.0.0.1:6379' }, 'group.set with machine conditions on a group bound to Redis workers (`redis`, its address without a password).'),
  'group-has-conditions': entry('conflict', z.object({ group, conditions: z.array(MachineConditionSchema) }), { group: 'builds', conditions: ['ac-power'] }, 'group.bindRemote of a group with machine conditions (`conditions`).'),
  'group-not-bound': entry('not_found', z.object({ group }), { group: 'builds' }, 'group.unbindRemote of a group not bound to Redis.'),
  'redis-unreachable': entry('conflict', z.object({ redis: z.string(), error: z.string() }), { redis: 'redis://127.0.0.1:6379', error: 'connect ECONNREFUSED 127.0.0.1:6379' }, 'group.bindRemote: Redis could not be reached (`error` is the connection’s own message).'),
  'redis-evicts': entry('conflict', z.object({ redis: z.string(), policy: z.string().nullable() }), { redis: 'redis://127.0.0.1:6379', policy: 'allkeys-lru' }, 'group.bindRemote: Redis may evict keys (`policy`, its maxmemory-policy; Taskdeck needs noeviction).'),
  // ─── settings ───
  'settings-changed': entry('conflict', z.object({ setting: z.string(), current: z.unknown() }), { setting: 'favourites', current: [4, 7, 2] }, 'settings.set whose `expect` no longer holds: `setting` changed since it was read, `current` is its value now.'),
  // ─── saved tasks and triggers ───
  'saved-task-not-found': entry('not_found', z.object({ savedTaskId: SavedTaskIdSchema }), { savedTaskId: 3 }, 'A saved task named does not exist.'),
  'saved-task-in-use': entry('conflict', z.object({ savedTaskId: SavedTaskIdSchema, triggers: z.array(z.object({ id: TriggerIdSchema, name: z.string() })).min(1) }), { savedTaskId: 3, triggers: [{ id: 5, name: 'nightly' }] }, 'savedTask.remove of a saved task that triggers start (`triggers`).'),
  'trigger-not-found': entry('not_found', z.object({ triggerId: TriggerIdSchema }), { triggerId: 5 }, 'A trigger named does not exist.'),
  'catch-up-not-schedule': entry('conflict', z.object({ triggerId: TriggerIdSchema, kind: triggerKind }), { triggerId: 5, kind: 'webhook' }, 'trigger.catchUp of a trigger that is not a schedule.'),
  'catch-up-paused': entry('conflict', z.object({ triggerId: TriggerIdSchema }), { triggerId: 5 }, 'trigger.catchUp of a paused trigger.'),
  'catch-up-skip': entry('conflict', z.object({ triggerId: TriggerIdSchema }), { triggerId: 5 }, 'trigger.catchUp of a schedule whose catch-up is skip.'),
  'catch-up-unfinished': entry('conflict', z.object({ triggerId: TriggerIdSchema, unfinished: z.array(TaskIdSchema).min(1) }), { triggerId: 5, unfinished: [12] }, 'trigger.catchUp of a one-at-a-time schedule (overlap skip) whose task has not finished (`unfinished`).'),
} as const satisfies Record<string, RefusalEntry<z.ZodObject>>

export type RefusalReason = keyof typeof REFUSALS
export const REFUSAL_REASONS = Object.keys(REFUSALS) as RefusalReason[]

/** The values a refusal of this reason carries in `details`. */
export type RefusalValues<R extends RefusalReason> = z.infer<(typeof REFUSALS)[R]['values']>

/** A refusal as a client reads it: its reason and its values, checked. */
export type Refusal = { [R in RefusalReason]: { reason: R; values: RefusalValues<R> } }[RefusalReason]

/**
 * A refusal the engine throws: `message` for people who read English (the CLI, older clients), `details.reason`
 * and the values for clients that say it themselves. `extra` is whatever else details carried before reasons
 * (`issues`, older keys), kept so the contract only grows.
 */
export function refusal<R extends RefusalReason>(reason: R, message: string, values: z.input<(typeof REFUSALS)[R]['values']>, extra?: Record<string, unknown>): TaskdeckError {
  return new TaskdeckError(REFUSALS[reason].code, message, { ...extra, ...values, reason })
}

const isReason = (value: unknown): value is RefusalReason => typeof value === 'string' && Object.hasOwn(REFUSALS, value)

/**
 * The refusal an error says, or null: no reason (an older server, or an error no user can cause), a reason this
 * client does not know (a newer server), or values not of the reason's shape. The caller then shows `message`.
 */
export function readRefusal(error: ApiError): Refusal | null {
  const reason = error.details?.reason
  if (!isReason(reason)) return null
  const values = REFUSALS[reason].values.safeParse(error.details)
  return values.success ? ({ reason, values: values.data } as Refusal) : null
}
