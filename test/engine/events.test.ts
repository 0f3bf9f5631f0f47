import { describe, expect, it } from 'vitest'
import { isDurable, type DurableEvent, type EngineEvent } from '../../src-shared/index.ts'
import { Store } from '../../src-main/engine/store.ts'
import { applyEvent, emptyProjection } from '../../src-main/engine/projection.ts'
import { Engine } from '../../src-main/engine/engine.ts'
import { shell, waitFor } from './helpers.ts'
import { useTempHome } from '../support/engine.ts'
import { join } from 'node:path'

const dir = useTempHome()

const durable = (events: readonly EngineEvent[]) => events.filter(isDurable)

describe('the event log', () => {
  it('stamps an event with the time the change it carries already tells (the clock is read once)', async () => {
    // A clock that moves on every read: two reads for one event would disagree.
    let tick = 1_000_000
    const t = await dir.open({ now: () => (tick += 7) })
    const task = await t.submit(shell('exit 1'))
    await t.until(task.id, ['failed'])
    const events = durable(t.events)
    const tasks = events.filter((e) => e.type === 'task.created' || e.type === 'task.updated')
    expect(tasks.length).toBeGreaterThanOrEqual(3)
    for (const event of tasks) expect(event.at).toBe(event.task.updatedAt)
    const started = events.find((e) => e.type === 'run.started')!
    const finished = events.find((e) => e.type === 'run.finished')!
    expect(started.at).toBe(started.run.startedAt)
    expect(finished.at).toBe(finished.run.finishedAt)
  })

  it('replays exactly the missed events after `since`, in order, then live ones, with no gap or duplicate', async () => {
    const t = await dir.open()
    for (let i = 0; i < 5; i++) await t.submit(shell(`echo ${i}`))
    const all = durable(t.events)
    const since = all[3]!.seq
    const received: EngineEvent[] = []
    const subscription = t.engine.subscribe(since, (batch) => received.push(...batch))
    expect(subscription.headSeq).toBeGreaterThanOrEqual(all[all.length - 1]!.seq)
    // Live events keep coming while the replay is under way.
    const last = await t.submit(shell('echo live'))
    await t.until(last.id, ['succeeded'])
    await new Promise((r) => setImmediate(r))
    subscription.dispose()
    const seqs = durable(received).map((e) => e.seq)
    const expected = durable(t.events).map((e) => e.seq).filter((seq) => seq > since && seq <= seqs[seqs.length - 1]!)
    expect(seqs[0]).toBe(since + 1)
    expect(seqs).toEqual(expected)
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1)
    expect(received.some((e) => e.type === 'task.updated' && e.task.id === last.id && e.task.status === 'succeeded')).toBe(true)
  })

  it('hands a subscription that names types only those, replayed (read from the log by type) and live, in order', async () => {
    const t = await dir.open()
    await t.engine.handlers['group.set']({ name: 'slow', parallel: 1 })
    const old = await t.submit(shell('echo before'))
    await t.until(old.id, ['succeeded'])
    const types = ['task.updated', 'run.finished', 'run.output'] as const
    for (const text of [false, true]) {
      const received: EngineEvent[] = []
      const subscription = t.engine.subscribe(0, (batch) => received.push(...batch), {
        types,
        ...(text ? { onStoredPage: (page: readonly { json: string }[]) => received.push(...page.map((e) => JSON.parse(e.json) as EngineEvent)) } : {}),
      })
      const live = await t.submit(shell('echo during; echo again'))
      await t.until(live.id, ['succeeded'])
      await waitFor(() => received.some((e) => e.type === 'task.updated' && e.task.id === live.id && e.task.status === 'succeeded'), 'the live task to succeed in the subscription')
      subscription.dispose()
      expect(new Set(received.map((e) => e.type))).toEqual(new Set(types))
      // Exactly the log's events of those types, in order, none missing (replay and live joined).
      const expected = durable(t.events).filter((e) => (types as readonly string[]).includes(e.type) && e.seq <= durable(received).at(-1)!.seq)
      expect(durable(received)).toEqual(expected)
      expect(received.some((e) => e.type === 'run.output' && e.taskId === live.id)).toBe(true)
    }
  })

  it('announces an event only once it is committed', async () => {
    const t = await dir.open()
    const seen: number[] = []
    const store = (t.engine as unknown as { store: Store }).store
    t.engine.subscribe(store.headSeq, (batch) => {
      for (const event of durable(batch)) {
        const row = store.db.prepare('SELECT seq FROM events WHERE seq = ?').get(event.seq)
        expect(row).toBeDefined()
        seen.push(event.seq)
      }
    })
    const task = await t.submit(shell('true'))
    await t.until(task.id, ['succeeded'])
    expect(seen.length).toBeGreaterThan(0)
  })

  it('projection tables equal a fold of the whole log', async () => {
    const t = await dir.open()
    const a = await t.submit(shell('echo a'))
    const b = await t.submit(shell('exit 2', { after: [a.id] }))
    await t.submit(shell('echo c', { stashed: true, labels: ['x'] }))
    await t.engine.handlers['group.set']({ name: 'slow', parallel: 1 })
    await t.engine.handlers['settings.set']({ patch: { theme: 'dark' } })
    await t.until(b.id, ['failed'])
    await t.engine.handlers['task.clean']({ statuses: ['failed'] })
    await t.close()

    const store = Store.open(join(dir.home, 'taskdeck.db'))
    try {
      const folded = emptyProjection()
      const events: DurableEvent[] = store.readEvents(0, 1_000_000)
      for (const event of events) applyEvent(folded, event)
      const tables = store.loadProjection()
      expect(folded.tasks).toEqual(tables.tasks)
      expect(folded.runs).toEqual(tables.runs)
      expect(folded.groups).toEqual(tables.groups)
      expect(folded.settings).toEqual(tables.settings)
      expect(folded.paused).toEqual(tables.paused)
      expect(tables.tasks.size).toBe(2)
      expect(tables.settings.theme).toBe('dark')
    } finally {
      await store.close()
    }
  })

  it('keeps everything across a clean restart', async () => {
    const t = await dir.open()
    const task = await t.submit(shell('echo kept'))
    await t.until(task.id, ['succeeded'])
    const before = await t.engine.handlers['task.get']({ taskId: task.id })
    await t.close()
    const engine = await Engine.open({ home: dir.home, statsIntervalMs: 0 })
    try {
      expect(await engine.handlers['task.get']({ taskId: task.id })).toEqual(before)
      const log = await engine.handlers['run.readLog']({ runId: before.runs[0]!.id, fromLine: 0, count: 10 })
      expect(log.lines.map((l) => l.text)).toEqual(['kept'])
      const next = await engine.handlers['task.submit']({ definition: { ...before.task.definition } })
      expect(next.task.id).toBe(task.id + 1)
    } finally {
      await engine.close()
    }
  })
})

describe('replay as stored text', () => {
  it("hands history over as the log's own JSON text, byte for byte what JSON.stringify makes of each event", async () => {
    const t = await dir.open()
    // Names that JSON must escape or that are not ASCII, so a text-building slip would show.
    for (const name of ['quote " backslash \\ tab \t newline \n', '한국어 작업 🚀', 'plain']) {
      const task = await t.submit(shell('true', { name, labels: ['a"b', '라벨'] }))
      await t.until(task.id, ['succeeded'])
    }
    await t.engine.handlers['engine.pause']({})
    const store = (t.engine as unknown as { store: Store }).store
    const expected = store.readEvents(0, 10_000)
    expect(expected.length).toBeGreaterThan(10)

    const pages: string[][] = []
    const objects: EngineEvent[] = []
    let asked = 0
    const subscription = t.engine.subscribe(0, (batch) => objects.push(...batch), {
      onStoredPage: (page) => pages.push(page.map((e) => e.json)),
      // The first two asks find the client's socket full: the replay waits, then goes on.
      readyForPage: () => ++asked > 2,
    })
    await waitFor(() => pages.flat().length >= expected.length, 'the stored replay')
    subscription.dispose()
    expect(asked).toBeGreaterThan(2)
    expect(pages.flat()).toEqual(expected.map((e) => JSON.stringify(e)))
    expect(pages.flat().map((json) => JSON.parse(json) as unknown)).toEqual(expected)
    expect(pages.flat().map((json) => (JSON.parse(json) as DurableEvent).seq)).toEqual(expected.map((_, i) => i + 1))
    // History went only to onStoredPage; the listener hears live events only.
    expect(durable(objects)).toEqual([])
  })
})
