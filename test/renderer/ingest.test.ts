import { Subject, map, share, type SchedulerLike } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src-shared/index.ts'
import { foldAndPublish$, framesOf, meterPerFrame, type FrameSlice } from '../../src-renderer/streams/ingest.ts'
import { INITIAL_STATE, StateBuilder, foldEvents } from '../../src-renderer/streams/state.ts'
import { output, paused, run, task } from './events.ts'

const FRAME = 16
const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)

/** A clock on which every reading costs `step` ms: the downstream's work as the meter measures it. */
function tickingClock(step: number): () => number {
  let t = 0
  return () => (t += step)
}

describe('meterPerFrame', () => {
  it('hands a frame only as many slices as fit its budget and keeps the rest, in order, for the next frames', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      // 1000 items in slices of 100; each reading of the clock advances it 3 ms, so a frame stops after 8 ms of slices.
      const source$ = cold('a', { a: range(0, 1000) })
      const slices$ = source$.pipe(meterPerFrame<number>({ scheduler: ts, frameDelayMs: FRAME, sliceSize: 100, budgetMs: 8, now: tickingClock(3) }))
      expectObservable(slices$.pipe(map((s) => (s.frameEnd ? `end:${s.queued}` : `${s.items[0]}-${s.items.at(-1)}`)))).toBe(
        '16ms (abcd) 10ms (efgh) 10ms (ijkl) 10ms (mn)',
        { a: '0-99', b: '100-199', c: '200-299', d: 'end:700', e: '300-399', f: '400-499', g: '500-599', h: 'end:400', i: '600-699', j: '700-799', k: '800-899', l: 'end:100', m: '900-999', n: 'end:0' },
      )
    })
  })

  it('with time to spare, hands everything that arrived in a frame over in that frame', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      const source$ = cold('a-b 20ms c', { a: [1, 2], b: [3], c: [4] })
      const slices$ = source$.pipe(meterPerFrame<number>({ scheduler: ts, frameDelayMs: FRAME, now: () => 0 }))
      expectObservable(slices$.pipe(framesOf<number>())).toBe('16ms x 22ms y', { x: [1, 2, 3], y: [4] })
    })
  })

  it('always makes progress: a slice that alone exceeds the budget still goes, one per frame', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      const slices$ = cold('a', { a: range(0, 3) }).pipe(meterPerFrame<number>({ scheduler: ts, frameDelayMs: FRAME, sliceSize: 1, budgetMs: 8, now: tickingClock(50) }))
      expectObservable(slices$.pipe(framesOf<number>())).toBe('16ms x 15ms y 15ms z', { x: [0], y: [1], z: [2] })
    })
  })

  it('emits everything still queued when the source completes, so nothing is lost', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      const slices$ = cold('a|', { a: range(0, 5) }).pipe(meterPerFrame<number>({ scheduler: ts, frameDelayMs: FRAME }))
      expectObservable(slices$.pipe(framesOf<number>())).toBe('-(x|)', { x: range(0, 5) })
    })
  })

  it('keeps a hundred thousand items across many frames complete and in order', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      const batches = Object.fromEntries(range(0, 10).map((i) => [String(i), range(i * 10_000, 10_000)]))
      const metered = () => cold('(0123456789)', batches).pipe(meterPerFrame<number>({ scheduler: ts, frameDelayMs: FRAME, sliceSize: 1000, budgetMs: 8, now: tickingClock(1) }))
      const all: number[] = []
      metered().subscribe((s) => all.push(...s.items))
      expectObservable(metered().pipe(framesOf<number>(), map((f) => f.length))).toBe(`16ms ${'a 15ms '.repeat(12)}b`, { a: 8000, b: 4000 })
      ts.flush()
      expect(all).toEqual(range(0, 100_000))
    })
  })
})

describe('foldAndPublish$', () => {
  const slice = (items: EngineEvent[], frameEnd = true, queued = 0): FrameSlice<EngineEvent> => ({ items, frameEnd, queued })

  it('publishes at the end of every ordinary frame, with the events folded into it', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      const slices$ = cold('a 15ms b', { a: slice([paused(1)]), b: slice([paused(2, false)]) })
      const published$ = foldAndPublish$(slices$, new StateBuilder(INITIAL_STATE), { scheduler: ts, frameScheduler: ts })
      expectObservable(published$.pipe(map((p) => `${p.state.lastSeq}:${p.events}:${p.state.enginePaused}`))).toBe('a 15ms b', { a: '1:1:true', b: '2:1:false' })
    })
  })

  it('while events wait in the queue publishes at most every busyPublishMs, marked catchingUp, and live once none is left', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      // Frames every 16 ms with events left queued (a replay) until the last one.
      const frames = Object.fromEntries(range(0, 8).map((i) => [String.fromCharCode(97 + i), slice([paused(i + 1, i % 2 === 0)], true, 8 - i - 1)]))
      const slices$ = cold('a 15ms b 15ms c 15ms d 15ms e 15ms f 15ms g 15ms h', frames)
      const published$ = foldAndPublish$(slices$, new StateBuilder(INITIAL_STATE), { scheduler: ts, frameScheduler: ts, busyPublishMs: 40 })
      // While events are queued, a due publish waits for the next frame's start (counted in its fold budget):
      // the first at 16, then every 40 ms (before the frames at 64 and 112 fold); the last frame (112) leaves nothing
      // queued: it is shown at once, live, not a refresh period later.
      expectObservable(published$.pipe(map((p) => `${p.state.lastSeq}/${p.events}/${p.state.catchingUp ? 'behind' : 'live'}`))).toBe('16ms a 47ms b 47ms (cd)', {
        a: '1/1/behind',
        b: '4/3/behind',
        c: '7/3/behind',
        d: '8/1/live',
      })
    })
  })

  it('says it is catching up as soon as a head beyond what is folded is known, before any of its events, and live in the frame that reaches it', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      const head$ = cold('5ms h', { h: 4 })
      const slices$ = cold('16ms a 47ms b', { a: slice([paused(1), paused(2)]), b: slice([paused(3), paused(4)]) })
      const published$ = foldAndPublish$(slices$, new StateBuilder(INITIAL_STATE), { scheduler: ts, frameScheduler: ts, busyPublishMs: 40, head$ })
      // Told at 5: shown behind at once. The frame at 16 is behind the head (a refresh is due 40 ms after the last
      // publish, to be done by the first frame after that); the frame at 64 reaches it and is shown at once.
      expectObservable(published$.pipe(map((p) => `${p.state.lastSeq} of ${p.state.headSeq}/${p.events}/${p.state.catchingUp ? 'behind' : 'live'}`))).toBe('5ms x 58ms z', {
        x: '0 of 4/0/behind',
        z: '4 of 4/4/live',
      })
    })
  })

  it('says live in the frame that empties the queue when the head came after its events (already folded, more queued)', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      // Events arrive before the head: the first frame folds 2 and leaves 2 queued; the head (2) then names what is folded.
      const head$ = cold('5ms h', { h: 2 })
      const slices$ = cold('a 15ms b 15ms c', { a: slice([paused(1), paused(2)], true, 2), b: slice([paused(3)], true, 1), c: slice([paused(4)], true, 0) })
      const published$ = foldAndPublish$(slices$, new StateBuilder(INITIAL_STATE), { scheduler: ts, frameScheduler: ts, busyPublishMs: 40, head$ })
      // The head is shown at once (events still queued: behind); the frame at 32 leaves nothing queued and is shown live then.
      expectObservable(published$.pipe(map((p) => `${p.state.lastSeq} of ${p.state.headSeq}/${p.state.catchingUp ? 'behind' : 'live'}`))).toBe('5ms x 26ms y', {
        x: '2 of 2/behind',
        y: '4 of 2/live',
      })
    })
  })

  it('stays catching up while a history comes more slowly than it is folded (frames of few events, none queued, far apart), whatever the clock', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      // The history's head is known at once; its events come one per frame, 150 ms apart (a reader slower than the fold).
      const head$ = cold('h', { h: 3 })
      const slices$ = cold('150ms a 149ms b 149ms c', { a: slice([paused(1)]), b: slice([paused(2)]), c: slice([paused(3)]) })
      const published$ = foldAndPublish$(slices$, new StateBuilder(INITIAL_STATE), { scheduler: ts, frameScheduler: ts, busyPublishMs: 500, quietMs: 100, head$ })
      // No frame is busy and none leaves events queued, yet none is said live before the head is reached.
      expectObservable(published$.pipe(map((p) => `${p.state.lastSeq}/${p.events}/${p.state.catchingUp ? 'behind' : 'live'}`))).toBe('x 449ms y', {
        x: '0/0/behind',
        y: '3/3/live',
      })
    })
  })

  it('while catching up with nothing queued, does a due refresh in the next frame that brings events, not between frames', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      // A history slower than its fold: one event per frame, frames 30 ms apart, the head (5) known at once.
      const head$ = cold('h', { h: 5 })
      const slices$ = cold('a 29ms b 29ms c 29ms d 29ms e', { a: slice([paused(1)]), b: slice([paused(2)]), c: slice([paused(3)]), d: slice([paused(4)]), e: slice([paused(5)]) })
      const published$ = foldAndPublish$(slices$, new StateBuilder(INITIAL_STATE), { scheduler: ts, frameScheduler: ts, busyPublishMs: 40, head$ })
      // Due at 40 and 100 ms: shown by the frames at 60 and 120 ms, with what they folded (a timer would have shown them
      // at 40 and 80, each in a task of its own between two frames); the frame at 120 reaches the head and says live.
      expectObservable(published$.pipe(map((p) => `${p.state.lastSeq}/${p.events}/${p.state.catchingUp ? 'behind' : 'live'}`))).toBe('x 59ms y 59ms z', {
        x: '0/0/behind',
        y: '3/3/behind',
        z: '5/2/live',
      })
    })
  })

  it('while catching up, does a due refresh on a timer when no frame comes (the history stalled), a grace period after it was due', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      const head$ = cold('h', { h: 5 })
      const slices$ = cold('a', { a: slice([paused(1)]) })
      const published$ = foldAndPublish$(slices$, new StateBuilder(INITIAL_STATE), { scheduler: ts, frameScheduler: ts, busyPublishMs: 40, catchUpGraceMs: 100, head$ })
      expectObservable(published$.pipe(map((p) => `${p.state.lastSeq}/${p.events}/${p.state.catchingUp ? 'behind' : 'live'}`))).toBe('x 139ms y', {
        x: '0/0/behind',
        y: '1/1/behind',
      })
    })
  })

  it('takes an unknown head (the transport could not learn it) as what is folded, and as no news once a head is known', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      const head$ = cold('20ms u 9ms h 9ms v', { u: null, h: 5, v: null })
      const slices$ = cold('a', { a: slice([paused(1), paused(2)]) })
      const published$ = foldAndPublish$(slices$, new StateBuilder(INITIAL_STATE), { scheduler: ts, frameScheduler: ts, head$ })
      // Unknown at 20: what is folded (2) is the head, so the views stop waiting for a history; the head told at 30 is behind; unknown again changes nothing.
      expectObservable(published$.pipe(map((p) => `${p.state.lastSeq} of ${p.state.headSeq}/${p.state.catchingUp ? 'behind' : 'live'}`))).toBe('a 19ms b 9ms c', {
        a: '2 of null/live',
        b: '2 of 2/live',
        c: '2 of 5/behind',
      })
    })
  })

  it('shows the first head even when it has folded it (the views then know the log holds nothing more), and takes older heads as no news', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      const head$ = cold('20ms h 9ms i 9ms j', { h: 2, i: 1, j: 2 })
      const slices$ = cold('a', { a: slice([paused(1), paused(2)]) })
      const published$ = foldAndPublish$(slices$, new StateBuilder(INITIAL_STATE), { scheduler: ts, frameScheduler: ts, head$ })
      expectObservable(published$.pipe(map((p) => `${p.state.lastSeq} of ${p.state.headSeq}/${p.state.catchingUp ? 'behind' : 'live'}`))).toBe('a 19ms b', {
        a: '2 of null/live',
        b: '2 of 2/live',
      })
    })
  })

  it('does a due refresh at the start of a frame, inside its fold budget: no event lost or reordered, the final state that of one fold', () => {
    const ts = scheduler()
    const events: EngineEvent[] = range(1, 2000).map((seq) =>
      seq % 2 === 1 ? { type: 'task.created', seq, at: seq, task: task((seq + 1) / 2) } : { type: 'task.updated', seq, at: seq, task: task(seq / 2, { status: 'running' }) },
    )
    // Every reading of the meter's clock costs 1 ms; rendering a published state costs 7 ms of a frame's 8.
    let clock = 0
    const frames: { slices: number; published: boolean }[] = []
    const published: { lastSeq: number; events: number; catchingUp: boolean }[] = []
    let finalState = INITIAL_STATE
    ts.run(({ cold }) => {
      const slices$ = cold('a', { a: events }).pipe(meterPerFrame<EngineEvent>({ scheduler: ts, frameDelayMs: FRAME, sliceSize: 20, budgetMs: 8, now: () => ++clock }), share())
      let frame = { slices: 0, published: false }
      slices$.subscribe((s) => {
        if (s.items.length > 0) frame.slices++
        if (!s.frameEnd) return
        frames.push(frame)
        frame = { slices: 0, published: false }
      })
      foldAndPublish$(slices$, new StateBuilder(INITIAL_STATE), { scheduler: ts, frameScheduler: ts, busyEventsPerFrame: 100, busyPublishMs: 40 }).subscribe(({ state, events: count }) => {
        clock += 7
        frame.published = true
        finalState = state
        published.push({ lastSeq: state.lastSeq, events: count, catchingUp: state.catchingUp })
      })
    })
    // A frame that refreshed folded one slice in what the refresh left of its budget; the others folded as many as fit.
    expect(frames.filter((f) => f.published).map((f) => f.slices)).toEqual(frames.filter((f) => f.published).map(() => 1))
    expect(frames.filter((f) => f.published && f.slices > 0).length).toBeGreaterThan(2)
    expect(frames.slice(0, -1).filter((f) => !f.published).map((f) => f.slices)).toEqual(frames.slice(0, -1).filter((f) => !f.published).map(() => 8))
    expect(published.map((p) => p.events).reduce((a, b) => a + b, 0)).toBe(2000)
    expect(published.map((p) => p.lastSeq)).toEqual([...published.map((p) => p.lastSeq)].sort((a, b) => a - b))
    expect(published.at(-1)).toMatchObject({ lastSeq: 2000, catchingUp: false })
    const folded = foldEvents(INITIAL_STATE, events)
    const content = (state: typeof INITIAL_STATE) => ({ tasks: state.tasks, runs: state.runs, groups: state.groups, completions: state.completions, lastSeq: state.lastSeq })
    expect(content(finalState)).toEqual(content(folded))
  })

  it('refreshes a flood the fold keeps up with at most every busyPublishMs, and says it is live: nothing received waits', () => {
    const ts = scheduler()
    ts.run(({ cold, expectObservable }) => {
      const many = range(1, 10).map((seq) => paused(seq))
      const more = range(11, 10).map((seq) => paused(seq))
      const slices$ = cold('a 15ms b', { a: slice(many), b: slice(more) })
      const published$ = foldAndPublish$(slices$, new StateBuilder(INITIAL_STATE), { scheduler: ts, frameScheduler: ts, busyEventsPerFrame: 10, busyPublishMs: 100 })
      expectObservable(published$.pipe(map((p) => `${p.state.lastSeq}/${p.events}/${p.state.catchingUp ? 'behind' : 'live'}`))).toBe('a 99ms b', {
        a: '10/10/live',
        b: '20/10/live',
      })
    })
  })

  it('does not publish a flood frame by frame when its frames come further apart than quietMs (a loaded machine), until a frame is not busy', () => {
    const ts = scheduler()
    // Animation frames every 150 ms, as on a machine too busy to draw more often: work scheduled on them waits for the next.
    const frameGap = 150
    const frames: SchedulerLike = {
      now: () => ts.now(),
      schedule: (work: never, delay = 0, state?: never) => ts.schedule(work, Math.ceil((ts.now() + delay) / frameGap) * frameGap - ts.now(), state),
    }
    ts.run(({ cold, expectObservable }) => {
      const busyFrame = (first: number) => slice(range(first, 10).map((seq) => paused(seq)))
      const slices$ = cold('a 149ms b 149ms c 149ms d', { a: busyFrame(1), b: busyFrame(11), c: busyFrame(21), d: slice([paused(31)]) })
      const published$ = foldAndPublish$(slices$, new StateBuilder(INITIAL_STATE), { scheduler: ts, frameScheduler: frames, busyEventsPerFrame: 10, busyPublishMs: 500, quietMs: 100 })
      // Each end check (100 ms after a busy frame) waits for the next frame, which brings more events and is busy: the
      // flood goes on, its frames are not published one by one, and it ends with the first frame that is not busy.
      expectObservable(published$.pipe(map((p) => `${p.state.lastSeq}/${p.events}/${p.state.catchingUp ? 'behind' : 'live'}`))).toBe('a 449ms b', {
        a: '10/10/live',
        b: '31/21/live',
      })
    })
  })

  it('folds slices of a frame into the same state a single fold of all its events gives', () => {
    const events: EngineEvent[] = [
      { type: 'task.created', seq: 1, at: 1, task: task(1) },
      { type: 'run.started', seq: 2, at: 2, run: run(7, 1) },
      output(7, 0, 'hello\n'),
      { type: 'run.progress', runId: 7, taskId: 1, progress: { done: 3, total: 10 } },
      { type: 'run.finished', seq: 3, at: 3, run: run(7, 1, { status: 'succeeded', exitCode: 0, finishedAt: 30 }) },
      { type: 'task.updated', seq: 4, at: 4, task: task(1, { status: 'succeeded', lastRunId: 7 }) },
      { type: 'task.created', seq: 5, at: 5, task: task(2) },
    ]
    const slices = new Subject<FrameSlice<EngineEvent>>()
    const published: unknown[] = []
    foldAndPublish$(slices, new StateBuilder(INITIAL_STATE)).subscribe((p) => published.push(p.state))
    slices.next(slice(events.slice(0, 2), false))
    slices.next(slice(events.slice(2, 5), false))
    expect(published).toEqual([])
    slices.next(slice(events.slice(5)))
    expect(published).toEqual([{ ...foldEvents(INITIAL_STATE, events), lastBatchSize: events.length }])
  })
})

describe('StateBuilder', () => {
  it('never writes to a state it has built: later slices copy before changing', () => {
    const builder = new StateBuilder(INITIAL_STATE)
    builder.apply([{ type: 'task.created', seq: 1, at: 1, task: task(1) }])
    const first = builder.build()
    builder.apply([{ type: 'task.created', seq: 2, at: 2, task: task(2) }])
    const second = builder.build()
    expect([...first.tasks.keys()]).toEqual([1])
    expect([...second.tasks.keys()]).toEqual([1, 2])
    expect(second.tasksVersion).toBe(first.tasksVersion + 1)
  })

  it('keeps the state identical when only output was applied', () => {
    const builder = new StateBuilder(INITIAL_STATE)
    builder.apply([{ type: 'task.created', seq: 1, at: 1, task: task(1) }])
    const first = builder.build()
    builder.apply([output(7, 0, 'a\n')])
    expect(builder.build()).toBe(first)
  })
})
