/**
 * `node bench/ui-derive.ts [tasks]`: what a view refresh costs the renderer's JavaScript
 * outside React while a big history is replayed, measured in CPU time in Node (so other work
 * on the machine hardly moves it). The history (a task.created and a run.finished per task,
 * like an imported history) is folded in metered slices of 500 events, and the views' data is
 * refreshed after the first slice and then every `BENCH_PUBLISH_EVENTS` events (a refresh every 500 ms while catching up at
 * ~60,000 events/s is ~30,000 events):
 * - "full": what each refresh cost before the derivations followed the fold: the task list
 *   patched at the refresh (TaskListIndex.update with the changed ids), the filters' facets
 *   counted over every task, and the dashboard's tables counted over every run and sorted
 *   (with the Dashboard open; "full-tasks": on the Tasks view, without them);
 * - "staged": the list, facets and tables staged per slice by a FoldListener, and each refresh
 *   only merging them in (what the app does now), with the Dashboard open (its tables kept up to
 *   date per run); "staged-tasks": the same on the Tasks view (the tables are not kept).
 * It prints, for each, the CPU time per slice and per refresh (median and max); BENCH_MODES
 * (comma-separated) runs only some of them.
 */
import { cpuUsage } from 'node:process'
import type { EngineEvent } from '../src-shared/index.ts'
import { RunLeadersIndex, runLeadersOf } from '../src-renderer/streams/run-leaders.ts'
import { INITIAL_STATE, StateBuilder } from '../src-renderer/streams/state.ts'
import { finishedRun, finishedTask } from '../test/support/history.ts'
import { benchJobShape } from './ui.ts'
import { DEFAULT_QUERY, TaskFacetsIndex, TaskListIndex, taskFacetsOf } from '../src-renderer/streams/tasks-query.ts'

const TASKS = Number(process.argv[2] ?? 20_000)
const SLICE = 500
const PUBLISH_EVENTS = Number(process.env.BENCH_PUBLISH_EVENTS ?? 30_000)

function history(count: number): EngineEvent[] {
  const events: EngineEvent[] = []
  let seq = 0
  for (let id = 1; id <= count; id++) {
    const shape = benchJobShape(id)
    events.push({ type: 'task.created', seq: ++seq, at: seq, task: finishedTask(id, shape) }, { type: 'run.finished', seq: ++seq, at: seq, run: finishedRun(id, shape) })
  }
  return events
}

const cpuMs = () => {
  const u = cpuUsage()
  return (u.user + u.system) / 1000
}

interface Figures {
  sliceMs: number[]
  refreshMs: number[]
}

type Mode = 'full' | 'full-tasks' | 'staged' | 'staged-tasks'

function replay(events: readonly EngineEvent[], mode: Mode): Figures {
  const builder = new StateBuilder(INITIAL_STATE)
  const full = mode === 'full' || mode === 'full-tasks'
  const list = new TaskListIndex(full ? undefined : DEFAULT_QUERY)
  const facets = new TaskFacetsIndex()
  const leaders = new RunLeadersIndex(() => builder.folded.runs)
  // The Dashboard is open (the tables kept up to date per slice).
  if (mode === 'staged') leaders.watch()
  let changed = new Set<number>()
  if (!full) {
    builder.listen({
      applied: (batch, folded) => {
        list.stage(batch.taskIds, folded)
        facets.stage(batch.taskIds, folded.tasks)
        leaders.stage(batch.runIds, folded.runs)
      },
      built: (state) => void list.flush(state, DEFAULT_QUERY),
    })
  }
  const figures: Figures = { sliceMs: [], refreshMs: [] }
  let sinceRefresh = 0
  const refresh = () => {
    const started = cpuMs()
    const state = builder.build(true)
    if (full) {
      list.update(state.tasks, state.runs, state.progress, DEFAULT_QUERY, changed)
      changed = new Set()
      taskFacetsOf(state.tasks)
      if (mode === 'full') {
        runLeadersOf(state.runs, 8)
        // The dashboard sorted every task's figure to take the top eight.
        ;[...state.runs.values()].map((r) => [r.taskId, r.durationMs ?? 0] as const).sort((a, b) => b[1] - a[1])
      }
    } else {
      facets.facets()
      if (mode === 'staged') leaders.leaders(8)
    }
    figures.refreshMs.push(cpuMs() - started)
    if (full) for (const id of state.changedTaskIds) changed.add(id)
    sinceRefresh = 0
  }
  for (let at = 0; at < events.length; at += SLICE) {
    const slice = events.slice(at, at + SLICE)
    const started = cpuMs()
    builder.apply(slice)
    figures.sliceMs.push(cpuMs() - started)
    sinceRefresh += slice.length
    // The first frame's events are shown at once (foldAndPublish$), later ones once per refresh period.
    if (at === 0 || sinceRefresh >= PUBLISH_EVENTS) refresh()
  }
  if (sinceRefresh > 0) refresh()
  return figures
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
const max = (xs: number[]) => Math.max(...xs)
const MODES: Mode[] = (process.env.BENCH_MODES?.split(',') as Mode[] | undefined) ?? ['full', 'staged', 'full-tasks', 'staged-tasks']
const events = history(TASKS)
// Warm up both paths first, then alternate so both see the same conditions.
for (const mode of MODES) replay(events, mode)
for (let round = 0; round < 3; round++) {
  for (const mode of MODES) {
    const f = replay(events, mode)
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
    console.log(
      `${mode.padEnd(12)} ${TASKS} tasks, ${events.length} events: per slice of ${SLICE} median ${median(f.sliceMs).toFixed(2)} ms max ${max(f.sliceMs).toFixed(1)}; ` +
        `per refresh (every ${PUBLISH_EVENTS} events) median ${median(f.refreshMs).toFixed(1)} ms max ${max(f.refreshMs).toFixed(1)}; total ${(sum(f.sliceMs) + sum(f.refreshMs)).toFixed(0)} ms`,
    )
  }
}
