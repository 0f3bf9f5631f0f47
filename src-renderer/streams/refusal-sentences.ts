import { readRefusal, type ApiError, type Refusal } from '../../src-shared/index.ts'
import { sayEndReason, sayUnmet, type Clock, type Translate } from './engine-sentences.ts'

/** Ids a refusal lists, at most this many named: the engine's sentence names ten too. */
const NAMED = 10

/** Task ids as the UI writes them, "#12, #13", the rest counted. */
function sayTaskIds(ids: readonly number[], t: Translate): string {
  const named = ids.slice(0, NAMED).map((id) => `#${id}`).join(', ')
  return ids.length > NAMED ? t('refusal.andMore', { tasks: named, count: ids.length - NAMED }) : named
}

/**
 * An engine refusal (a command the engine would not do) as a sentence in the UI's language, from its
 * `details.reason` and values (src-shared/refusals.ts). An error without a reason this UI knows (an older or a
 * newer server, or one no user causes: a transport's, an internal one) is shown as the engine wrote it.
 */
export function sayRefusal(error: ApiError, t: Translate, clock: Clock): string {
  const refusal = readRefusal(error)
  return refusal ? sayKnownRefusal(refusal, t, clock) : error.message
}

function sayKnownRefusal(refusal: Refusal, t: Translate, clock: Clock): string {
  const status = (value: string) => t(`refusal.status.${value}`)
  const kind = (value: string) => t(`refusal.kind.${value}`)
  const key = `refusal.${refusal.reason}`
  switch (refusal.reason) {
    case 'task-not-found':
      return t(key, { ids: sayTaskIds(refusal.values.taskIds, t), count: refusal.values.taskIds.length })
    case 'task-not-editable':
    case 'task-not-queued':
    case 'task-not-running':
      return t(key, { id: refusal.values.taskId, status: status(refusal.values.status) })
    case 'task-not-pausable':
    case 'task-no-stdin':
      return t(key, { id: refusal.values.taskId, kind: kind(refusal.values.kind) })
    case 'task-cannot-run':
      return t(key, { id: refusal.values.taskId, why: sayEndReason(refusal.values.endReason, t, clock) })
    case 'tasks-not-removable': {
      const problems = refusal.values.problems.map((problem) =>
        problem.kind === 'unfinished'
          ? t('refusal.unremovable.unfinished', { id: problem.taskId, status: status(problem.status) })
          : t('refusal.unremovable.dependency', { id: problem.taskId, dependant: problem.dependantId }),
      )
      return t(key, { problems: problems.join(t('refusal.listJoin')) })
    }
    case 'idempotency-key-used':
      return t(key, { key: refusal.values.idempotencyKey, id: refusal.values.taskId })
    case 'run-not-found':
      return t(key, { id: refusal.values.runId })
    case 'engine-closing':
    case 'stdin-closed':
      return t(key)
    case 'group-not-found':
    case 'group-default':
    case 'group-not-bound':
      return t(key, { group: refusal.values.group })
    case 'group-not-empty':
      return t(key, { group: refusal.values.group, ids: sayTaskIds(refusal.values.taskIds, t) })
    case 'group-runs-elsewhere':
      return t(key, { group: refusal.values.group, redis: refusal.values.redis })
    case 'group-has-conditions':
      return t(key, { group: refusal.values.group, conditions: sayUnmet(refusal.values.conditions, t, 'wait') })
    case 'redis-unreachable':
      return t(key, { redis: refusal.values.redis, error: refusal.values.error })
    case 'redis-evicts':
      return t(key, { redis: refusal.values.redis, policy: refusal.values.policy ?? t('refusal.unknownPolicy') })
    case 'settings-changed':
      return t(key, { setting: t(`refusal.setting.${refusal.values.setting}`, { defaultValue: refusal.values.setting }) })
    case 'saved-task-not-found':
      return t(key, { id: refusal.values.savedTaskId })
    case 'saved-task-in-use': {
      const triggers = refusal.values.triggers.map((trigger) => t('refusal.triggerNamed', { id: trigger.id, name: trigger.name })).join(', ')
      return t(key, { id: refusal.values.savedTaskId, triggers, count: refusal.values.triggers.length })
    }
    case 'trigger-not-found':
    case 'catch-up-paused':
    case 'catch-up-skip':
      return t(key, { id: refusal.values.triggerId })
    case 'catch-up-not-schedule':
      return t(key, { id: refusal.values.triggerId, kind: t(`triggerForm.kinds.${refusal.values.kind}`) })
    case 'catch-up-unfinished':
      return t(key, { id: refusal.values.triggerId, ids: sayTaskIds(refusal.values.unfinished, t) })
  }
}
