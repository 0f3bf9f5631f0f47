import { describe, expect, it } from 'vitest'
import { COMMANDS, DEFAULT_SETTINGS, ExportDocumentSchema, FIELD_BY_FIELD_SETTINGS, TaskdeckError, type EngineEvent, type Settings } from '../../src-shared/index.ts'
import { shell } from './helpers.ts'
import { useEngine } from '../support/engine.ts'

const t = useEngine()

describe('settings', () => {
  it('merges a patch, validates the whole, announces the change and keeps it across a restart', async () => {
    const { settings } = await t.engine.handlers['settings.get']({})
    expect(settings.logCapBytes).toBe(50 * 1024 * 1024)
    const changed = await t.engine.handlers['settings.set']({ patch: { theme: 'dark', notifications: { policy: 'failure' } } })
    expect(changed.settings.theme).toBe('dark')
    expect(changed.settings.notifications).toMatchObject({ policy: 'failure', onlyWhenUnfocused: true })
    expect(t.events.some((e) => e.type === 'settings.changed' && e.settings.theme === 'dark')).toBe(true)
    const error = await t.engine.handlers['settings.set']({ patch: { logCapBytes: 12 } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TaskdeckError)
    expect((error as TaskdeckError).details?.issues?.[0]?.path).toBe('patch.logCapBytes')
    await t.reopen()
    expect((await t.engine.handlers['settings.get']({})).settings.theme).toBe('dark')
  })

  it('says which seq of the event log its answer reflects: every settings.changed up to it, none after', async () => {
    await t.engine.handlers['settings.set']({ patch: { theme: 'light' } })
    const answered = await t.engine.handlers['settings.get']({})
    const changes = t.events.filter((e) => e.type === 'settings.changed')
    expect(answered.seq).toBeGreaterThanOrEqual(changes.at(-1)!.seq)
    await t.engine.handlers['settings.set']({ patch: { theme: 'dark' } })
    const later = t.events.filter((e) => e.type === 'settings.changed').at(-1)!
    expect(later.seq).toBeGreaterThan(answered.seq!)
    expect(answered.settings.theme).toBe('light')
  })

  it('names the fields of a setting patched field by field one by one: a misspelt one is refused', () => {
    for (const key of FIELD_BY_FIELD_SETTINGS) {
      expect(COMMANDS['settings.set'].params.safeParse({ patch: { [key]: { misspelt: true } } }).success).toBe(false)
      const field = Object.keys(DEFAULT_SETTINGS[key])[0]!
      expect(COMMANDS['settings.set'].params.safeParse({ patch: { [key]: { [field]: DEFAULT_SETTINGS[key][field as keyof Settings[typeof key]] } } }).success).toBe(true)
    }
  })
})

describe('export and import', () => {
  it('exports tasks, runs and groups as JSON and imports them as new tasks, remapping dependencies', async () => {
    await t.engine.handlers['group.set']({ name: 'builds', parallel: 2 })
    const a = await t.submit(shell('echo a', { group: 'builds', labels: ['ci'] }))
    const b = await t.submit(shell('echo b', { after: [a.id], stashed: true }))
    await t.until(a.id, ['succeeded'])
    const document = await t.engine.handlers['data.export']({})
    expect(ExportDocumentSchema.parse(JSON.parse(JSON.stringify(document)))).toEqual(document)
    expect(document.tasks.map((task) => task.id)).toEqual([a.id, b.id])
    expect(document.runs).toHaveLength(1)

    const target = await t.open({ home: t.anotherHome() })
    await target.submit(shell('echo already here', { stashed: true }))
    const { imported } = await target.engine.handlers['data.import']({ document })
    expect(imported.map((m) => m.from)).toEqual([a.id, b.id])
    const [newA, newB] = imported.map((m) => m.to)
    expect(newA).not.toBe(a.id)
    const gotA = await target.engine.handlers['task.get']({ taskId: newA! })
    expect(gotA.task).toMatchObject({ status: 'succeeded', definition: { group: 'builds', labels: ['ci'] } })
    expect(gotA.runs).toHaveLength(1)
    expect(gotA.runs[0]).toMatchObject({ status: 'succeeded', taskId: newA, logLines: 0 })
    const gotB = await target.engine.handlers['task.get']({ taskId: newB! })
    expect(gotB.task).toMatchObject({ status: 'stashed', definition: { after: [newA] } })
    expect((await target.engine.handlers['group.list']({})).groups.map((g) => g.name).sort()).toEqual(['builds', 'default'])
  })

  it('refuses a document whose dependencies point outside it, and stores nothing', async () => {
    const a = await t.submit(shell('echo a', { stashed: true }))
    const b = await t.submit(shell('echo b', { after: [a.id], stashed: true }))
    const document = await t.engine.handlers['data.export']({ taskIds: [b.id] })
    const before = (await t.engine.handlers['task.list']({ limit: 100, offset: 0 })).total
    const error = await t.engine.handlers['data.import']({ document }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'bad_request', message: `document.tasks.0.definition.after.0: task ${a.id} is not in the document` })
    expect((await t.engine.handlers['task.list']({ limit: 100, offset: 0 })).total).toBe(before)
  })
})

describe('the visible event loop', () => {
  it('shows ready, waiting (with reasons), running and completed tasks', async () => {
    await t.engine.handlers['group.set']({ name: 'one', parallel: 1 })
    const running = await t.submit(shell('read line', { group: 'one' }))
    await t.waitForEvent((e): e is EngineEvent => e.type === 'run.updated' && e.run.taskId === running.id && e.run.pid !== null)
    const limited = await t.submit(shell('true', { group: 'one' }))
    const delayed = await t.submit(shell('true', { delayMs: 60_000 }))
    const dependant = await t.submit(shell('true', { after: [running.id] }))
    const done = await t.submit(shell('exit 3'))
    await t.until(done.id, ['failed'])
    const loop = await t.engine.handlers['engine.loop']({})
    expect(loop.running.map((e) => e.taskId)).toEqual([running.id])
    expect(loop.running[0]!.detail).toMatch(/^running since .* · pid \d+$/)
    const waiting = Object.fromEntries(loop.waiting.map((e) => [e.taskId, e.detail]))
    expect(waiting[limited.id]).toBe('group limit: one runs 1 of 1')
    expect(waiting[delayed.id]).toMatch(/^delay: until /)
    expect(waiting[dependant.id]).toBe(`dependency: after #${running.id}`)
    expect(loop.completion[0]).toMatchObject({ taskId: done.id, detail: 'failed: exited with code 3' })
    await t.engine.handlers['task.cancel']({ taskIds: [running.id, delayed.id] })
  })

  it('shows a finished run in the completion queue as delivering until its end is durable', async () => {
    let finishRun!: () => void
    const runnerDone = new Promise<void>((resolve) => (finishRun = resolve))
    await t.reopen({
      runners: {
        script: {
          kind: 'script',
          start: () => ({ pid: null, done: runnerDone.then(() => ({ exitCode: 0, signal: null, failure: null, result: 42 })) }),
        },
      },
    })
    const task = await t.submit({ spec: { kind: 'script', path: 'x.js' } })
    await t.until(task.id, ['running'])
    // We look on the next turn of the loop: the engine has taken the end (in microtasks), the commit is not done.
    const seen = runnerDone.then(() => new Promise((resolve) => setImmediate(resolve))).then(() => t.engine.handlers['engine.loop']({}))
    finishRun()
    const during = await seen
    expect(during.completion[0]).toMatchObject({ taskId: task.id, detail: 'delivering · succeeded' })
    await t.until(task.id, ['succeeded'])
    expect((await t.engine.handlers['engine.loop']({})).completion[0]!.detail).toBe('succeeded')
    expect((await t.engine.handlers['task.get']({ taskId: task.id })).runs[0]!.result).toBe(42)
  })

  it('emits engine.stats periodically with loop delay, queue depth, throughput and head seq', async () => {
    await t.reopen({ statsIntervalMs: 50 })
    const task = await t.submit(shell('true'))
    await t.until(task.id, ['succeeded'])
    const mark = t.events.length
    const stats = await t.waitForEvent((e): e is Extract<EngineEvent, { type: 'engine.stats' }> => e.type === 'engine.stats' && t.events.indexOf(e) >= mark)
    expect(stats.headSeq).toBeGreaterThan(0)
    expect(stats.loopDelayMs.p99).toBeGreaterThanOrEqual(0)
    expect(stats.loopDelayMs.max).toBeGreaterThanOrEqual(stats.loopDelayMs.p50)
    expect(stats.queueDepth).toMatchObject({ ready: 0, running: 0 })
    expect(stats.throughput).toBeGreaterThanOrEqual(0)
  })

  it('counts the queue depth as the Loop lists its lanes: a queued task its full group holds back is waiting, not ready', async () => {
    await t.reopen({ statsIntervalMs: 50 })
    await t.engine.handlers['group.set']({ name: 'one', parallel: 1 })
    const running = await t.submit(shell('read line', { group: 'one' }))
    await t.until(running.id, ['running'])
    const held = [await t.submit(shell('true', { group: 'one' })), await t.submit(shell('true', { group: 'one' }))]
    const delayed = await t.submit(shell('true', { delayMs: 60_000 }))
    const loop = await t.engine.handlers['engine.loop']({})
    expect({ ready: loop.ready.length, waiting: loop.waiting.map((e) => e.taskId).sort((a, b) => a - b) }).toEqual({ ready: 0, waiting: [...held.map((h) => h.id), delayed.id] })
    const mark = t.events.length
    const stats = await t.waitForEvent((e): e is Extract<EngineEvent, { type: 'engine.stats' }> => e.type === 'engine.stats' && t.events.indexOf(e) >= mark)
    expect(stats.queueDepth).toEqual({ ready: loop.ready.length, waiting: loop.waiting.length, running: loop.running.length })
    await t.engine.handlers['task.cancel']({ taskIds: [running.id, delayed.id, ...held.map((h) => h.id)] })
  })
})
