/**
 * bench/ui-worker's page: starts the ingest worker, keeps window.taskdeckBench's counters
 * (bench:ui's shape, so the same harness waits for and times it), and draws one screen of
 * rows per animation frame from the worker's latest summary. `?records=clone|text`: the
 * worker also sends every changed task and run (see StartMessage), which this page keeps in
 * maps as a model on the main thread would, and the rows show them.
 */
import type { Run, Task } from '../../src-shared/index.ts'
import type { StartMessage, Summary } from './protocol.ts'

const counters = { events: 0, batches: 0, lastSeq: 0, firstAt: 0, lastAt: 0, foldedAt: 0, rows: 0, clonedTasks: 0, clonedRuns: 0, receiveMs: 0, error: '' }
Object.assign(window, { taskdeckBench: counters })
const query = new URLSearchParams(window.location.search)
const token = /(?:^#|&)token=([^&]+)/.exec(window.location.hash)?.[1] ?? ''
const tasks = new Map<number, Task>()
const runs = new Map<number, Run>()
const list = document.getElementById('rows')!
const status = document.getElementById('status')!
const cells = Array.from({ length: 25 }, () => list.appendChild(document.createElement('div')))
let latest: Summary | null = null

const draw = () => {
  const summary = latest
  latest = null
  if (summary) {
    status.textContent = `${summary.events} events, seq ${summary.lastSeq} of ${summary.headSeq ?? '?'}, ${summary.changedCount} changed, ${summary.rows} rows`
    summary.changedIds.forEach((id, i) => {
      const task = tasks.get(id)
      cells[i]!.textContent = task ? `#${id} ${task.name} ${task.status}` : `#${id}`
    })
  }
  requestAnimationFrame(draw)
}
requestAnimationFrame(draw)

const worker = new Worker(new URL('./ingest-worker.ts', import.meta.url), { type: 'module' })
worker.onmessage = (message: MessageEvent<Summary>) => {
  // Before `data` is read: Chromium deserialises a message when its data is first read.
  const started = performance.now()
  const data = message.data
  const records = data.recordsText === undefined ? data : (JSON.parse(data.recordsText) as Pick<Summary, 'tasks' | 'runs'>)
  if (records.tasks) for (const task of records.tasks) tasks.set(task.id, task)
  if (records.runs) for (const run of records.runs) runs.set(run.id, run)
  counters.clonedTasks += records.tasks?.length ?? 0
  counters.clonedRuns += records.runs?.length ?? 0
  latest = data
  counters.batches++
  counters.events = data.events
  counters.firstAt = data.firstAt - performance.timeOrigin
  counters.foldedAt = data.foldedAt - performance.timeOrigin
  counters.rows = data.rows
  counters.lastAt = performance.now()
  if (data.error) counters.error = data.error
  // Last: the harness waits for lastSeq.
  if (data.done) counters.lastSeq = data.lastSeq
  counters.receiveMs += performance.now() - started
}
const records = query.get('records')
worker.postMessage({ origin: window.location.origin, token, records: records === 'clone' || records === 'text' ? records : 'ids' } satisfies StartMessage)
