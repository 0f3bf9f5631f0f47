import { constants } from 'node:os'
import type { EngineEvent } from '../../../src-shared/events.ts'
import { TASK_STATUSES, isFinished, type Run, type Task, type TaskStatus } from '../../../src-shared/model.ts'
import type { EventStream } from '../stream.ts'
import type { Context } from '../context.ts'
import { CliError, EXIT, usageError } from '../exit.ts'
import { endedSentence, paint, parseIds, table } from '../format.ts'
import type { ApiClient } from '../client.ts'
import { machineOf } from './machine.ts'
import { heldBy, rateHolds, type RateHold } from './machine.ts'
import { waitNote, writeLine } from './tasks.ts'

/**
 * Wakes a loop when something it watches changed. The loop notes `version` before reading
 * state and then waits for a newer one, so a change that lands while it reads is not lost.
 */
class Wakeup {
  version = 0
  private waiter: (() => void) | null = null
  private error: Error | null = null

  notify(): void {
    this.version++
    this.waiter?.()
    this.waiter = null
  }

  fail(error: Error): void {
    this.error = error
    this.notify()
  }

  async after(seen: number): Promise<void> {
    if (this.version === seen) await new Promise<void>((resolve) => (this.waiter = resolve))
    if (this.error) throw this.error
  }
}

/** Subscribes from the current head so that every change from now on wakes the loop. */
async function watchEvents(stream: EventStream, relevant: (event: EngineEvent) => boolean): Promise<Wakeup> {
  const wake = new Wakeup()
  stream.whenClosed((error) => wake.fail(error))
  const { headSeq } = await stream.invoke('events.read', { since: 0, limit: 1 })
  // An empty batch is the stream's cue that events were dropped (resync): re-read everything.
  await stream.subscribe(headSeq, (events) => {
    if (events.length === 0 || events.some(relevant)) wake.notify()
  })
  return wake
}

const taskIdOf = (event: EngineEvent): number | null => {
  switch (event.type) {
    case 'task.created':
    case 'task.updated':
      return event.task.id
    case 'run.started':
    case 'run.finished':
      return event.run.taskId
    case 'run.output':
    case 'run.progress':
      return event.taskId
    default:
      return null
  }
}

/** The exit code a shell would report for the task's last run. */
export function exitCodeOf(task: Task, run: Run | undefined): number {
  if (task.status === 'succeeded') return EXIT.ok
  if (run?.exitCode !== null && run?.exitCode !== undefined && run.exitCode !== 0) return Math.min(run.exitCode, 255)
  const signal = run?.signal ? (constants.signals as Record<string, number | undefined>)[run.signal] : undefined
  return signal === undefined ? EXIT.failed : 128 + signal
}

const PAGE_LINES = 10_000

/**
 * Prints a run's log exactly once while it is being written. The last line of a live run
 * may still grow (the log cannot tell a finished line from a growing one), so in text
 * mode it is printed as far as it goes and continued later; JSON records are written only
 * for lines known to be complete (a later line exists, or the run has ended).
 */
class LogPrinter {
  private readonly stream: EventStream
  private readonly json: boolean
  /** The first line not yet printed in full. */
  private nextLine = 0
  /** Characters of `nextLine` already printed (text mode). */
  private printedChars = 0

  constructor(stream: EventStream, json: boolean) {
    this.stream = stream
    this.json = json
  }

  reset(): void {
    this.nextLine = 0
    this.printedChars = 0
  }

  /** Prints what is new; true once the run has ended and all of its log is printed. */
  async drain(runId: number): Promise<boolean> {
    for (;;) {
      const page = await this.stream.invoke('run.readLog', { runId, fromLine: this.nextLine, count: PAGE_LINES })
      for (const line of page.lines) {
        const complete = page.done || line.n < page.totalLines - 1
        if (this.json) {
          if (!complete) break
          process.stdout.write(`${JSON.stringify({ type: 'line', runId, ...line })}\n`)
        } else {
          writeLine(line, line.text.slice(this.printedChars), complete)
          this.printedChars = complete ? 0 : line.text.length
        }
        if (complete) this.nextLine = line.n + 1
      }
      if (page.lines.length < PAGE_LINES || this.nextLine >= page.totalLines) return page.done && this.nextLine >= page.totalLines
    }
  }
}

/**
 * Prints a task's output as it is written and returns its exit code. Events only wake the
 * loop; the text always comes from the run's log, so no line is printed twice or skipped,
 * and retries are followed attempt by attempt.
 */
export async function follow(ctx: Context, idText: string | undefined): Promise<number> {
  const client = await ctx.connect()
  const taskId = idText === undefined ? await taskToFollow(client) : parseIds([idText])[0]
  if (taskId === undefined) throw usageError('follow needs a task id.')
  const stream = await client.openStream()
  try {
    const wake = await watchEvents(stream, (event) => taskIdOf(event) === taskId || (event.type === 'task.removed' && event.taskIds.includes(taskId)))
    let runId: number | null = null
    const printer = new LogPrinter(stream, ctx.json)
    let toldStashed = false
    let toldNotStarted = false

    for (;;) {
      const seen = wake.version
      const { task, runs } = await stream.invoke('task.get', { taskId })
      // Nothing starts a stashed task: say so once, or the follow looks hung (as wait does).
      if (task.status === 'stashed' && !toldStashed) {
        toldStashed = true
        process.stderr.write(stashedNote(taskId))
      } else if (task.lastRunId === null && !isFinished(task.status) && task.status !== 'stashed' && !toldNotStarted) {
        // A task held by a pause, a dependency, a delay or its machine conditions prints nothing for a while: say why, once
        // (not for one that only waits its turn, as `add --follow` nearly always sees it).
        toldNotStarted = true
        const note = await notStartedNote(client, task)
        if (note !== null) process.stderr.write(note)
      }
      runId ??= task.lastRunId
      const runDone = runId === null ? true : await printer.drain(runId)
      if (runId !== null && runDone && task.lastRunId !== runId) {
        runId = task.lastRunId
        printer.reset()
        if (!ctx.json) process.stderr.write(paint('dim', `— task ${taskId}: next attempt —\n`, process.stderr))
        continue
      }
      if (isFinished(task.status) && runDone && task.lastRunId === runId) {
        const run = runs.find((r) => r.id === runId)
        const code = exitCodeOf(task, run)
        if (ctx.json) process.stdout.write(`${JSON.stringify({ type: 'end', taskId, status: task.status, exitCode: run?.exitCode ?? null, signal: run?.signal ?? null })}\n`)
        else if (task.status !== 'succeeded') {
          // A task that never ran (a dependency failed, it was cancelled while queued) has its reason on the task.
          const reason = run?.reason ?? task.reason
          process.stderr.write(paint('yellow', `${endedSentence(`Task ${taskId}`, task.status, reason)}\n`, process.stderr))
        }
        return code
      }
      await wake.after(seen)
    }
  } finally {
    stream.close()
  }
}

/**
 * The task a bare `taskdeck follow` means, as pueue's follow and `tsp -t` pick one: the only
 * running task; with none running, the newest queued or waiting one. Several running is
 * ambiguous, so it names them rather than guess.
 */
async function taskToFollow(client: ApiClient): Promise<number> {
  const { tasks: running } = await client.invoke('task.list', { status: ['running'], limit: 100_000 })
  if (running.length === 1) return running[0]!.id
  if (running.length > 1) {
    const listed = running.map((task) => `${task.id} (${task.name})`).join(', ')
    throw usageError(`several tasks are running: ${listed}; give one: taskdeck follow ID`)
  }
  const { tasks: pending } = await client.invoke('task.list', { status: ['queued', 'waiting'], newest: true, limit: 1 })
  const newest = pending[0]
  if (newest === undefined) throw new CliError(EXIT.failed, 'not_found', 'Nothing to follow: no task is running, queued or waiting. Give one: taskdeck follow ID')
  process.stderr.write(`taskdeck: no task is running; following the newest ${newest.status} one, task ${newest.id} (${newest.name}).\n`)
  return newest.id
}

/** "taskdeck: task 9 has not started (queued: group slow is paused); …", or null when it only waits its turn. */
async function notStartedNote(client: ApiClient, task: Task): Promise<string | null> {
  const [{ groups, enginePaused }, machine] = await Promise.all([client.invoke('group.list', {}), machineOf(client)])
  const byRate = task.status === 'queued' ? await rateHolds(client, groups, [task.definition.group]) : new Map<string, RateHold>()
  const note = waitNote(task, heldBy(groups, enginePaused, machine, byRate), Date.now())
  return note === null ? null : `taskdeck: task ${task.id} has not started (${task.status}: ${note}); its output follows once it starts.\n`
}

const stashedNote = (taskId: number): string => `taskdeck: task ${taskId} is stashed: it starts only after \`taskdeck resume ${taskId}\`; waiting.\n`

const OPEN_STATUSES: readonly TaskStatus[] = TASK_STATUSES.filter((status) => !isFinished(status) && status !== 'stashed')

/**
 * Waits until the named tasks (or a group's, or all) have finished; exit 0 only if every
 * one succeeded. Stashed tasks are waited for only when named, since nothing starts them.
 */
export async function wait(ctx: Context, ids: readonly string[], options: { group?: string }): Promise<number> {
  const named = parseIds(ids)
  if (named.length > 0 && options.group !== undefined) throw usageError('wait takes task ids or --group, not both.')
  const client = await ctx.connect()
  const stream = await client.openStream()
  try {
    const wake = await watchEvents(stream, (event) => event.type === 'task.created' || event.type === 'task.updated' || event.type === 'task.removed')
    const tracked = new Set<number>(named)
    // Fail early, naming the id or the group, when a named task or the group does not exist.
    for (const taskId of named) await stream.invoke('task.get', { taskId })
    if (options.group !== undefined) (await import('./groups.ts')).requireGroup((await stream.invoke('group.list', {})).groups, options.group)
    const open = named.length > 0 ? [...OPEN_STATUSES, 'stashed' as const] : OPEN_STATUSES
    // A live count for a person watching; scripts and pipes get only the result.
    const progress = process.stderr.isTTY && !ctx.json
    const toldStashed = new Set<number>()
    for (;;) {
      const seen = wake.version
      const { tasks } = await stream.invoke('task.list', { status: [...open], ...(options.group === undefined ? {} : { group: options.group }), limit: 100_000 })
      const pending = named.length > 0 ? tasks.filter((task) => tracked.has(task.id)) : tasks
      // Nothing starts a stashed task: say so once, or the wait looks hung.
      for (const task of pending) {
        if (task.status !== 'stashed' || toldStashed.has(task.id)) continue
        toldStashed.add(task.id)
        process.stderr.write(`${progress ? '\r\u001b[K' : ''}${stashedNote(task.id)}`)
      }
      if (named.length === 0) for (const task of tasks) tracked.add(task.id)
      if (progress) process.stderr.write(`\r\u001b[K${tracked.size - pending.length} of ${tracked.size} finished…`)
      if (pending.length === 0) break
      await wake.after(seen)
    }
    if (progress) process.stderr.write('\r\u001b[K')
    const { tasks: all } = await stream.invoke('task.list', { ...(options.group === undefined ? {} : { group: options.group }), limit: 100_000 })
    const finished = all.filter((task) => tracked.has(task.id)).map((task) => ({ id: task.id, status: task.status, name: task.name }))
    const failed = finished.filter((task) => task.status !== 'succeeded')
    ctx.print({ tasks: finished, ok: failed.length === 0 }, () => {
      if (finished.length === 0) return 'Nothing to wait for.'
      if (failed.length === 0) return `${finished.length} task${finished.length === 1 ? '' : 's'} succeeded.`
      return `${failed.length} of ${finished.length} tasks did not succeed:\n${table(['ID', 'STATUS', 'NAME'], failed.map((t) => [String(t.id), t.status, t.name]))}`
    })
    return failed.length === 0 ? EXIT.ok : EXIT.failed
  } finally {
    stream.close()
  }
}
