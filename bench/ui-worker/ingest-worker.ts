/**
 * The app's catch-up moved into a dedicated worker, for measuring (bench/ui-worker.ts): the
 * app's own reader (readEventLog: fetch, split, JSON.parse, framing check) and fold
 * (StateBuilder with the model's listeners: the task list's and facets' staging, the run
 * leaders, the notifications' scan), publishing a state every 500 ms while catching up as the
 * model does, and posting the page a small summary at most every 16 ms.
 */
import '../../src-renderer/zod-config.ts'
import { readEventLog } from '../../src-renderer/bridge/event-log.ts'
import { liveFinishesIn } from '../../src-renderer/streams/notifications.ts'
import { RunLeadersIndex } from '../../src-renderer/streams/run-leaders.ts'
import { INITIAL_STATE, StateBuilder } from '../../src-renderer/streams/state.ts'
import { DEFAULT_QUERY, TaskFacetsIndex, TaskListIndex } from '../../src-renderer/streams/tasks-query.ts'
import type { StartMessage, Summary } from './protocol.ts'

const SCREEN_ROWS = 25
const SUMMARY_MS = 16
const PUBLISH_MS = 500

const scope = globalThis as unknown as {
  requestAnimationFrame?: unknown
  onmessage: ((message: { data: StartMessage }) => void) | null
  postMessage(message: Summary): void
}
// Nothing is drawn in this thread: the reader's frame pacing (for the page's main thread) must not apply.
scope.requestAnimationFrame = undefined

const epoch = () => performance.timeOrigin + performance.now()

scope.onmessage = ({ data: { origin, token, records } }) => {
  const builder = new StateBuilder(INITIAL_STATE)
  const taskList = new TaskListIndex(DEFAULT_QUERY)
  const facets = new TaskFacetsIndex()
  const runLeaders = new RunLeadersIndex(() => builder.folded.runs)
  let rows = 0
  const liveSince = Date.now()
  builder.listen({
    applying: (events, folded) => void liveFinishesIn(events, folded, liveSince),
    applied: (batch, folded) => {
      taskList.stage(batch.taskIds, folded)
      facets.stage(batch.taskIds, folded.tasks)
      runLeaders.stage(batch.runIds, folded.runs)
      for (const id of batch.taskIds) changedTasks.add(id)
      if (records !== 'ids') for (const id of batch.runIds) changedRuns.add(id)
    },
    built: (state) => {
      rows = taskList.flush(state, DEFAULT_QUERY).length
      facets.facets()
    },
  })
  let changedTasks = new Set<number>()
  let changedRuns = new Set<number>()
  let events = 0
  let headSeq: number | null = null
  let firstAt = 0
  let lastSummaryAt = 0
  let lastPublishAt = 0
  const summary = (done: boolean, error?: string): Summary => {
    const folded = builder.folded
    const changedIds: number[] = []
    for (const id of changedTasks) {
      if (changedIds.length >= SCREEN_ROWS) break
      changedIds.push(id)
    }
    const out: Summary = { events, lastSeq: builder.foldedSeq, headSeq, firstAt, foldedAt: epoch(), changedIds, changedCount: changedTasks.size, rows, done, ...(error ? { error } : {}) }
    if (records !== 'ids') {
      const tasks = [...changedTasks].flatMap((id) => folded.tasks.get(id) ?? [])
      const runs = [...changedRuns].flatMap((id) => folded.runs.get(id) ?? [])
      if (records === 'clone') Object.assign(out, { tasks, runs })
      else out.recordsText = JSON.stringify({ tasks, runs })
    }
    changedTasks = new Set()
    changedRuns = new Set()
    return out
  }
  readEventLog(
    origin,
    token,
    0,
    (piece) => {
      if (firstAt === 0) firstAt = epoch()
      builder.apply(piece.events)
      events += piece.events.length
      const now = performance.now()
      if (now - lastPublishAt >= PUBLISH_MS) {
        lastPublishAt = now
        builder.build(true, headSeq)
      }
      if (now - lastSummaryAt >= SUMMARY_MS) {
        lastSummaryAt = now
        scope.postMessage(summary(false))
      }
    },
    undefined,
    (head) => {
      headSeq = head
    },
  ).then(
    () => {
      builder.build(false, headSeq)
      scope.postMessage(summary(true))
    },
    (error: unknown) => scope.postMessage(summary(true, error instanceof Error ? error.message : String(error))),
  )
}
