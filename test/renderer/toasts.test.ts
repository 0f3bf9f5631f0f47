import { describe, expect, it } from 'vitest'
import type { Intent, IntentStatus } from '../../src-renderer/streams/intents.ts'
import { toastsAfterIntent, type Toast } from '../../src-renderer/streams/toasts.ts'

const submit: Intent = { command: 'task.submit', params: { definition: { spec: { kind: 'shell', command: 'x' } } }, label: 'Could not submit the task' }
const cancel: Intent = { command: 'task.cancel', params: { taskIds: [3] }, key: 'task.cancel:3', label: 'Cancel' }
const failed = (intent: Intent, message: string): IntentStatus => ({ key: intent.key ?? intent.command, intent, state: 'error', error: { code: 'bad_request', message } })
const ok = (intent: Intent): IntentStatus => ({ key: intent.key ?? intent.command, intent, state: 'ok', value: {} })
const pending = (intent: Intent): IntentStatus => ({ key: intent.key ?? intent.command, intent, state: 'pending' })

/** Folds outcomes as the model does, numbering new toasts. */
function fold(statuses: IntentStatus[], start: readonly Toast[] = []): readonly Toast[] {
  let id = 0
  return statuses.reduce((list, status) => toastsAfterIntent(list, status, ++id), start)
}

describe('toastsAfterIntent', () => {
  it('takes a failure\'s toast away once the same action succeeds (the form was corrected)', () => {
    const shown = fold([failed(submit, 'definition.group: unknown group "build"'), failed(submit, 'definition.spec.cwd: directory /nope does not exist'), pending(submit), ok(submit)])
    expect(shown).toEqual([])
  })

  it('makes no toast for a failure its view still shows in place, and one when that view is gone (never swallowed)', () => {
    let shown = true
    const fire: Intent = { command: 'trigger.fire', params: { triggerId: 4 }, key: 'trigger.fire:4', label: 'nightly', shownInPlace: () => shown }
    // Shown where it was asked (the Triggers view's alert): one place, read once.
    expect(fold([pending(fire), failed(fire, 'trigger 4 is gone')])).toEqual([])
    // An earlier toast of the same action (from when its view was gone) goes: the message in place is the newer.
    const earlier = fold([failed({ ...fire, shownInPlace: () => false }, 'first')])
    expect(earlier.map((t) => t.message)).toEqual(['first'])
    expect(fold([failed(fire, 'second')], earlier)).toEqual([])
    // The user left the view before the answer came: the failure is a toast.
    shown = false
    expect(fold([failed(fire, 'trigger 4 is gone')]).map((t) => [t.title, t.message])).toEqual([['nightly', 'trigger 4 is gone']])
  })

  it('keeps the engine\'s answer with its toast, so the toast says it in the UI\'s language (sayRefusal) and not as the engine\'s English', () => {
    const error = { code: 'conflict' as const, message: 'Only a task that has not started can be edited; task 3 is running.', details: { reason: 'task-not-editable', taskId: 3, status: 'running' } }
    const [toast] = fold([{ key: 'task.cancel:3', intent: cancel, state: 'error', error }])
    expect(toast).toMatchObject({ title: 'Cancel', message: error.message, error })
  })

  it('shows only the latest failure of one action, not a stack of copies', () => {
    const shown = fold([failed(submit, 'first'), failed(submit, 'second')])
    expect(shown.map((t) => t.message)).toEqual(['second'])
  })

  it('keeps the failures of other actions and toasts that came from elsewhere', () => {
    const other: Toast = { id: 100, kind: 'error', title: 'Could not copy', message: 'denied' }
    const shown = fold([failed(cancel, 'task 3 already finished'), failed(submit, 'bad'), ok(submit)], [other])
    expect(shown.map((t) => t.message)).toEqual(['denied', 'task 3 already finished'])
  })

  it('leaves the list as it was when nothing changes (no re-render)', () => {
    const list = fold([failed(cancel, 'no')])
    expect(toastsAfterIntent(list, pending(submit), 9)).toBe(list)
    expect(toastsAfterIntent(list, ok(submit), 9)).toBe(list)
  })

  it('shows at most five toasts, dropping the oldest', () => {
    const intents = Array.from({ length: 7 }, (_, i): Intent => ({ ...cancel, key: `task.cancel:${i}` }))
    const shown = fold(intents.map((intent, i) => failed(intent, `m${i}`)))
    expect(shown.map((t) => t.message)).toEqual(['m2', 'm3', 'm4', 'm5', 'm6'])
  })
})
