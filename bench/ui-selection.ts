/**
 * `node bench/ui-selection.ts [selected]`: what the bulk bar's counts ("N selected", how many of them Remove would
 * remove) cost per frame with a big selection, in Node. A state of `selected` tasks (100,000 by default; 60% finished)
 * is built with the renderer's fold, every task is checked, and frames of 20 task.updated events each (a task starting
 * or finishing) are folded one by one, as the page folds them. Per frame it times:
 * - "whole": what the bulk bar did on every state before: the checked tasks that are there and the finished among
 *   them, counted over the whole selection, and the Remove intent's key joined from the finished ids ("whole-count":
 *   the same without the key);
 * - "incremental": selectionCounts$ (streams/selection.ts) given the new state, as the model does now.
 * It prints the median, p95 and max per frame for each (wall time; run it on a quiet machine for steadier figures).
 */
import { Subject } from 'rxjs'
import { isFinished, type EngineEvent, type Task, type TaskStatus } from '../src-shared/index.ts'
import { INITIAL_STATE, StateBuilder, type AppState } from '../src-renderer/streams/state.ts'
import { selectionCounts$ } from '../src-renderer/streams/selection.ts'
import { finishedTask } from '../test/support/history.ts'

const SELECTED = Number(process.argv[2] ?? 100_000)
const FRAMES = 300
const EVENTS_PER_FRAME = 20

const statusOf = (id: number): TaskStatus => (id % 5 < 3 ? 'succeeded' : id % 5 === 3 ? 'queued' : 'running')
const builder = new StateBuilder(INITIAL_STATE)
let seq = 0
const created: EngineEvent[] = []
for (let id = 1; id <= SELECTED; id++) created.push({ type: 'task.created', seq: ++seq, at: seq, task: { ...finishedTask(id, { name: `job ${id}` }), status: statusOf(id) } })
builder.apply(created)
const first = builder.build()
const checked: ReadonlySet<number> = new Set(first.tasks.keys())

/** The next frame: 20 tasks change status (queued → running → succeeded → queued again, as retries do). */
let cursor = 0
function nextFrame(): AppState {
  const events: EngineEvent[] = []
  for (let i = 0; i < EVENTS_PER_FRAME; i++) {
    cursor = (cursor + 7919) % SELECTED
    const previous = builder.folded.tasks.get(cursor + 1)!
    const status: TaskStatus = previous.status === 'queued' ? 'running' : previous.status === 'running' ? 'succeeded' : 'queued'
    events.push({ type: 'task.updated', seq: ++seq, at: seq, task: { ...previous, status } satisfies Task })
  }
  builder.apply(events)
  return builder.build()
}

/** The bulk bar's counting before: over the whole selection, on every state (with the Remove key joined, or not). */
function whole(state: AppState, withKey: boolean): number {
  const present = [...checked].filter((id) => state.tasks.has(id))
  const finished = present.filter((id) => isFinished(state.tasks.get(id)?.status ?? 'queued'))
  const removeKey = withKey ? `task.clean:${finished.join(',')}` : ''
  return present.length + finished.length + removeKey.length
}

const states = new Subject<AppState>()
const checkedNow = new Subject<ReadonlySet<number>>()
let counted = { present: 0, finished: 0 }
selectionCounts$(checkedNow, states).subscribe((counts) => (counted = counts))
checkedNow.next(checked)
states.next(first)

const wholeMs: number[] = []
const countsOnlyMs: number[] = []
const incrementalMs: number[] = []
let sink = 0
for (let frame = 0; frame < FRAMES; frame++) {
  const state = nextFrame()
  // Alternate which goes first, so both see the same conditions.
  const timeWhole = () => {
    let started = performance.now()
    sink += whole(state, true)
    wholeMs.push(performance.now() - started)
    started = performance.now()
    sink += whole(state, false)
    countsOnlyMs.push(performance.now() - started)
  }
  const timeIncremental = () => {
    const started = performance.now()
    states.next(state)
    incrementalMs.push(performance.now() - started)
  }
  if (frame % 2 === 0) {
    timeWhole()
    timeIncremental()
  } else {
    timeIncremental()
    timeWhole()
  }
}

// Both say the same.
const present = [...checked].filter((id) => builder.current.tasks.has(id))
const finished = present.filter((id) => isFinished(builder.current.tasks.get(id)!.status)).length
if (counted.present !== present.length || counted.finished !== finished) throw new Error(`counts differ: ${JSON.stringify(counted)} vs ${present.length}/${finished}`)

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
const at = (xs: number[], q: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? 0
const say = (name: string, xs: number[]) =>
  console.log(`${name.padEnd(12)} ${SELECTED} selected, ${FRAMES} frames of ${EVENTS_PER_FRAME} task updates: per frame median ${at(xs, 0.5).toFixed(3)} ms, p95 ${at(xs, 0.95).toFixed(3)} ms, max ${Math.max(...xs).toFixed(3)} ms`)
say('whole', wholeMs)
say('whole-count', countsOnlyMs)
say('incremental', incrementalMs)
console.log(`(${counted.present} selected, ${counted.finished} finished at the end; ${sink > 0 ? 'checked' : ''})`)
