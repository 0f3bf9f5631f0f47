import { map } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import type { Firing, Result, Trigger } from '../../src-shared/index.ts'
import {
  problemsOfRefusal,
  EMPTY_TRIGGER_FORM,
  firingWhy,
  nextRuns,
  saveTrigger$,
  specOf,
  triggerDetail$,
  triggerFormOf,
  validateTriggerForm,
  type TriggerDetail,
  type TriggerForm,
} from '../../src-renderer/streams/trigger-form.ts'

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
const form = (patch: Partial<TriggerForm>): TriggerForm => ({ ...EMPTY_TRIGGER_FORM, ...patch })
const trigger = (id: number, patch: Partial<Trigger> = {}): Trigger => ({
  id,
  name: `t${id}`,
  savedTaskId: 7,
  spec: { kind: 'schedule', cron: '0 3 * * *', catchUp: 'once', maxCatchUp: 100 },
  paused: false,
  createdAt: 0,
  updatedAt: 0,
  lastFiredAt: null,
  nextRunAt: null,
  ...patch,
})

describe('the trigger form, checked with the contract’s schemas', () => {
  it('names each field that is wrong, in the UI’s terms, before anything is sent', () => {
    const bad = validateTriggerForm(form({ cron: '61 * * * *', command: '' }))
    expect(bad.ok).toBe(false)
    if (bad.ok) return
    const byField = Object.fromEntries(bad.problems.map((p) => [p.field, p.message]))
    expect(byField.cron).toEqual({ key: 'triggerForm.issue.cron', values: { problem: expect.stringContaining('minute') as unknown } })
    expect(byField.command).toEqual({ key: 'form.issue.required' })
    // An interval below a second, said in the unit typed (seconds), not in milliseconds.
    const every = validateTriggerForm(form({ scheduleMode: 'every', everyValue: '0.5', everyUnit: 's', command: 'echo hi' }))
    expect(every.ok ? [] : every.problems).toEqual([{ field: 'everyValue', message: { key: 'form.issue.min', values: { min: 1 } } }])
    // A relative path, a bad accelerator, a completion without what it follows, a saved task not chosen.
    const watch = validateTriggerForm(form({ kind: 'fileWatch', paths: 'src/*.md', starts: 'savedTask' }))
    expect(watch.ok ? [] : watch.problems.map((p) => p.field).sort()).toEqual(['paths', 'savedTaskId'])
    const key = validateTriggerForm(form({ kind: 'shortcut', accelerator: 'K', command: 'echo' }))
    expect(key.ok ? [] : key.problems.map((p) => p.field)).toEqual(['accelerator'])
    const after = validateTriggerForm(form({ kind: 'completion', command: 'echo' }))
    expect(after.ok ? [] : after.problems).toEqual([{ field: 'after', message: { key: 'form.issue.required' } }])
  })

  it('sends the spec the form describes, and a command as the saved task it starts', () => {
    const ok = validateTriggerForm(form({ name: 'standup', cron: '30 9 * * 1-5', timezone: 'Asia/Seoul', overlap: 'skip', command: './standup.sh' }))
    expect(ok).toEqual({
      ok: true,
      input: { name: 'standup', savedTaskId: 1, paused: false, spec: { kind: 'schedule', cron: '30 9 * * 1-5', timezone: 'Asia/Seoul', catchUp: 'once', maxCatchUp: 100, overlap: 'skip' } },
      savedTask: { name: 'standup', definition: { name: 'standup', spec: { kind: 'shell', command: './standup.sh', cwd: undefined } } },
    })
    expect(specOf(form({ scheduleMode: 'every', everyValue: '15', everyUnit: 'm' }))).toMatchObject({ everyMs: 900_000 })
    expect(specOf(form({ kind: 'completion', afterMode: 'label', after: 'nightly', when: 'failed' }))).toEqual({ kind: 'completion', when: 'failed', label: 'nightly' })
  })

  it('reads a trigger back into the form (Edit), keeping what the form does not show, never a webhook’s secret hash', () => {
    const every = triggerFormOf(trigger(2, { spec: { kind: 'schedule', everyMs: 7_200_000, catchUp: 'all', maxCatchUp: 5, overlap: 'skip' } }))
    expect(every).toMatchObject({ starts: 'savedTask', savedTaskId: '7', scheduleMode: 'every', everyValue: '2', everyUnit: 'h', catchUp: 'all', maxCatchUp: '5', overlap: 'skip' })
    const hook = triggerFormOf(trigger(3, { spec: { kind: 'webhook', secretHash: 'scrypt$16384$8$1$abcdefghijklmnop$abcdefghijklmnopabcdefghijklmnopab', rateLimit: { max: 5, windowMs: 1000 }, maxBodyBytes: 10 } }))
    expect(specOf(hook)).toEqual({ kind: 'webhook', rateLimit: { max: 5, windowMs: 1000 }, maxBodyBytes: 10 })
    const watch = triggerFormOf(trigger(4, { spec: { kind: 'fileWatch', paths: ['/a', '/b/**'], events: ['add'], debounceMs: 50, maxWaitMs: 1000 } }))
    expect(specOf({ ...watch, debounceMs: '60' })).toEqual({ kind: 'fileWatch', paths: ['/a', '/b/**'], events: ['add'], debounceMs: 60, maxWaitMs: 1000 })
  })

  it('previews a cron pattern’s next runs as the engine (croner) reads them, and none for a bad one', () => {
    const from = new Date('2026-11-23T08:00:00Z')
    expect(nextRuns('30 9 * * 1-5', 'UTC', 3, from)).toEqual([Date.parse('2026-11-23T09:30:00Z'), Date.parse('2026-11-24T09:30:00Z'), Date.parse('2026-11-25T09:30:00Z')])
    expect(nextRuns('0 9 * * *', 'Asia/Seoul', 1, from)).toEqual([Date.parse('2026-11-24T00:00:00Z')])
    expect(nextRuns('61 * * * *', '', 3, from)).toBeNull()
    expect(nextRuns('', '', 3, from)).toBeNull()
    expect(nextRuns('0 9 * * *', 'Mars/Olympus', 3, from)).toBeNull()
  })

  it('tells why a firing happened from its detail', () => {
    const firing = (patch: Partial<Firing>): Firing => ({ id: 1, triggerId: 1, savedTaskId: 1, firedAt: 0, cause: 'schedule', scheduledFor: null, outcome: 'submitted', taskId: 5, error: null, detail: {}, ...patch })
    expect(firingWhy(firing({ cause: 'manual' }))).toBeNull()
    expect(firingWhy(firing({ cause: 'completion', detail: { sourceTaskId: 57, sourceStatus: 'failed' } }))).toEqual({ key: 'triggerForm.why.after', values: { task: 57, status: 'failed' } })
    expect(firingWhy(firing({ outcome: 'skipped', taskId: null, detail: { stillActive: [4, 6] } }))).toEqual({ key: 'triggerForm.why.stillActive', values: { tasks: '#4, #6' } })
  })
})

describe('saveTrigger$', () => {
  const ok = <T>(value: T): Result<T> => ({ ok: true, value })
  const good = form({ name: 'nightly', cron: '0 3 * * *', command: './backup.sh' })

  it('saves a new command as a saved task, then the trigger on it; a submit while saving is dropped', () => {
    const ts = scheduler()
    ts.run(({ hot, cold, expectObservable, flush }) => {
      const calls: string[] = []
      const call = (command: string, params: unknown) => {
        calls.push(`${command} ${JSON.stringify(params)}`)
        return command === 'savedTask.create' ? cold('--r|', { r: ok({ savedTask: { id: 9 } }) }) : cold('--r|', { r: ok({ trigger: trigger(4, { savedTaskId: 9 }) }) })
      }
      const submits = hot('-a-a-----a', { a: { form: good, editing: null } })
      expectObservable(saveTrigger$(submits, call as never).pipe(map((s) => s.state))).toBe('-s---o---s---o', { s: 'saving', o: 'saved' })
      flush()
      expect(calls.filter((c) => c.startsWith('savedTask.create'))).toHaveLength(2)
      expect(calls[1]).toBe('trigger.create {"trigger":{"name":"nightly","savedTaskId":9,"spec":{"kind":"schedule","cron":"0 3 * * *","catchUp":"once","maxCatchUp":100,"overlap":"allow"},"paused":false}}')
    })
  })

  it('sends nothing for an invalid form, and after a refusal removes the saved task it made, with the server’s words under the field', () => {
    const ts = scheduler()
    ts.run(({ hot, cold, expectObservable, flush }) => {
      const calls: string[] = []
      const refusal: Result<never> = { ok: false, error: { code: 'bad_request', message: 'Invalid trigger', details: { issues: [{ path: 'trigger.spec.timezone', message: 'is not a known IANA time zone' }] } } }
      const call = (command: string) => {
        calls.push(command)
        return command === 'savedTask.create' ? cold('-r|', { r: ok({ savedTask: { id: 9 } }) }) : command === 'trigger.create' ? cold('-r|', { r: refusal }) : cold('-r|', { r: ok({}) })
      }
      const submits = hot('-b-a', { a: { form: good, editing: null }, b: { form: form({ cron: '' }), editing: null } })
      expectObservable(saveTrigger$(submits, call as never)).toBe('-i-s--r', {
        i: { state: 'invalid', problems: expect.arrayContaining([expect.objectContaining({ field: 'cron' })]) as unknown },
        s: { state: 'saving' },
        r: { state: 'refused', problems: [{ field: 'timezone', message: { text: 'is not a known IANA time zone' } }] },
      })
      flush()
      expect(calls).toEqual(['savedTask.create', 'trigger.create', 'savedTask.remove'])
    })
  })

  it('says a refusal it knows (a reason) at the field it names, in the UI\'s words; one without a reason in the server\'s', () => {
    // The saved task was removed while the form was open: not_found, naming the field and the saved task.
    const gone = { code: 'not_found' as const, message: 'trigger.savedTaskId: saved task 3 does not exist', details: { reason: 'saved-task-not-found', savedTaskId: 3, issues: [{ path: 'trigger.savedTaskId', message: 'saved task 3 does not exist' }] } }
    expect(problemsOfRefusal(gone)).toEqual([{ field: 'savedTaskId', message: { refusal: gone } }])
    const older = { ...gone, details: { issues: gone.details.issues } }
    expect(problemsOfRefusal(older)).toEqual([{ field: 'savedTaskId', message: { text: 'saved task 3 does not exist' } }])
    // No field named: the form's message, said as a refusal (or its message, when it has no reason).
    const paused = { code: 'conflict' as const, message: 'Trigger 5 is paused; resume it first.', details: { reason: 'catch-up-paused', triggerId: 5 } }
    expect(problemsOfRefusal(paused)).toEqual([{ field: 'form', message: { refusal: paused } }])
  })

  it('updates the trigger being edited, with a saved task picked from the list', () => {
    const ts = scheduler()
    ts.run(({ hot, cold, expectObservable, flush }) => {
      const calls: [string, unknown][] = []
      const call = (command: string, params: unknown) => {
        calls.push([command, params])
        return cold('-r|', { r: ok({ trigger: trigger(4) }) })
      }
      const edited = { ...triggerFormOf(trigger(4)), cron: '0 4 * * *' }
      expectObservable(saveTrigger$(hot('-a', { a: { form: edited, editing: 4 } }), call as never).pipe(map((s) => s.state))).toBe('-so', { s: 'saving', o: 'saved' })
      flush()
      expect(calls).toEqual([['trigger.update', { triggerId: 4, trigger: { name: 't4', savedTaskId: 7, paused: false, spec: { kind: 'schedule', cron: '0 4 * * *', timezone: undefined, catchUp: 'once', maxCatchUp: 100, overlap: 'allow' } } }]])
    })
  })
})

describe('triggerDetail$', () => {
  it('reads the selected trigger, again on each trigger change, drops an answer for a trigger no longer selected, and reads nothing without one', () => {
    const ts = scheduler()
    ts.run(({ hot, cold, expectObservable }) => {
      const detail = (id: number): Result<TriggerDetail> => ({ ok: true, value: { trigger: trigger(id), history: [], upcoming: [] } })
      const reads: string[] = []
      const read = (id: number) => {
        reads.push(`${id}@${ts.now()}`)
        return cold('--r|', { r: detail(id) })
      }
      const selected = hot('a---b-c--------n', { a: 1, b: 2, c: 3, n: null })
      const changes = hot('----------x-----')
      // 2's answer (due at 6) is dropped for 3, selected meanwhile; a change reads 3 again.
      expectObservable(triggerDetail$(selected, changes, read, 0, ts).pipe(map((d) => (d === null ? 'none' : d.triggerId)))).toBe('--1-----3---3--n', { 1: 1, 3: 3, n: 'none' })
    })
  })
})

describe('the trigger form: system events', () => {
  it('sends the events in the contract order with the settle time, and reads a stored spec back', () => {
    const f = form({ kind: 'system', systemEvents: ['offline', 'wake'], settleMs: '8000', command: './sync.sh' })
    expect(specOf(f)).toEqual({ kind: 'system', events: ['wake', 'offline'], debounceMs: 8000 })
    const checked = validateTriggerForm(f)
    expect(checked.ok).toBe(true)
    const back = triggerFormOf(trigger(3, { spec: { kind: 'system', events: ['lock', 'online'], debounceMs: 2000 } }))
    expect(back).toMatchObject({ kind: 'system', systemEvents: ['lock', 'online'], settleMs: '2000' })
  })

  it('says under the events and the settle field what is wrong with them', () => {
    const checked = validateTriggerForm(form({ kind: 'system', systemEvents: [], settleMs: '-1', command: './sync.sh' }))
    expect(checked.ok).toBe(false)
    if (checked.ok) return
    expect(checked.problems.map((p) => p.field).sort()).toEqual(['settleMs', 'systemEvents'])
    expect(checked.problems.find((p) => p.field === 'systemEvents')?.message).toEqual({ key: 'triggerForm.issue.pickEvent' })
  })

  it('says what a system firing stood for, the event in the UI language', () => {
    const firing = (patch: Partial<Firing>): Firing => ({ id: 1, triggerId: 1, savedTaskId: 1, firedAt: 0, cause: 'schedule', scheduledFor: null, outcome: 'submitted', taskId: 5, error: null, detail: {}, ...patch })
    expect(firingWhy(firing({ cause: 'system', detail: { event: 'wake', at: 1, sleptMs: 3_600_000 } }))).toEqual({ key: 'triggerForm.why.woke', values: { minutes: 60 }, translated: { event: 'triggerForm.systemEventNames.wake' } })
    expect(firingWhy(firing({ cause: 'system', detail: { event: 'offline', at: 1, changes: 3 } }))).toEqual({ key: 'triggerForm.why.settled', values: { count: 3 }, translated: { event: 'triggerForm.systemEventNames.offline' } })
  })
})
