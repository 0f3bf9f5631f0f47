import { createHash } from 'node:crypto'
import { IDEMPOTENCY_KEY_PATTERN } from '../../src-shared/index.ts'
import type { TriggerRecord } from './store.ts'

/** The longest idempotency key the engine takes (IdempotencyKeySchema). */
const MAX_KEY = 255

/**
 * What names one firing across a restart, where the firing has a name of its own: the task
 * it submits carries it as its idempotency key, so the same firing served again (the app
 * died after the submit and before the firing's record, and the restart meets it once more)
 * finds that task instead of starting a second one.
 *
 * `taskdeck-trigger:<id>.<createdAt>:` names the trigger (ids are never given twice; its
 * creation time also tells apart a trigger whose id a database restored or edited by hand
 * gave again), so keys of two triggers never meet. After it, by kind:
 *
 * - webhook: `delivery:<id>`, the sender's delivery id as given when it is printable ASCII
 *   without spaces and fits, else `delivery-sha256:<hash>` (base64url) of it. Without a
 *   delivery id a call has no name: none.
 * - schedule: `slot:<generation>.<scheduledFor>`. The generation is the seq of the event that
 *   last created, changed, resumed or caught up the trigger (`fromSeq`), so `trigger.catchUp`
 *   running past slots again is a new firing of them, and a slot replayed after a restart
 *   is the same one. A slot that only records skipped ones starts nothing: none.
 * - completion: the finish it follows (`after-run:<run id>`, `after-task:<task id>`).
 *
 * File watches, shortcuts and system events fire for what is not seen again after a restart (a
 * burst of file changes, a press, a change of the machine: watchers start without an initial
 * scan, the machine's state is read afresh), so nothing fires for it twice; what could be lost
 * is the firing's record. Each of their firings is named by a fresh `nonce` (`firing:<nonce>`),
 * kept as an intent with the firing's cause and detail before its task is submitted
 * (`TriggerStore.addIntent`), so a restart finds the task by that key and records the firing.
 * Without a nonce: none. "Run now" is named by the caller's own `idempotencyKey`, if given,
 * which the task carries as it is (not here).
 */
export function firingKey(
  record: Pick<TriggerRecord, 'id' | 'createdAt' | 'fromSeq' | 'spec'>,
  request: { scheduledFor: number | null; skipped?: boolean; deliveryId?: string; completionKey?: string; nonce?: string },
): string | null {
  const trigger = `taskdeck-trigger:${record.id}.${record.createdAt}:`
  switch (record.spec.kind) {
    case 'webhook': {
      const id = request.deliveryId
      if (id === undefined || id === '') return null
      const plain = `${trigger}delivery:${id}`
      if (plain.length <= MAX_KEY && IDEMPOTENCY_KEY_PATTERN.test(id)) return plain
      return `${trigger}delivery-sha256:${createHash('sha256').update(id, 'utf8').digest('base64url')}`
    }
    case 'schedule':
      return request.scheduledFor === null || request.skipped === true ? null : `${trigger}slot:${record.fromSeq}.${request.scheduledFor}`
    case 'completion':
      return request.completionKey === undefined ? null : `${trigger}${request.completionKey}`
    case 'fileWatch':
    case 'shortcut':
    case 'system':
      return request.nonce === undefined ? null : `${trigger}firing:${request.nonce}`
  }
}
