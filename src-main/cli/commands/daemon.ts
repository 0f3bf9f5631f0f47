import { join } from 'node:path'
import type { Task } from '../../../src-shared/model.ts'
import type { Context } from '../context.ts'
import { runningServer, startDaemon, stopServer } from '../daemon.ts'
import { parseInteger } from '../format.ts'
import type { ApiClient } from '../client.ts'
import { CliError } from '../exit.ts'
import { remoteBindingsOf } from './groups.ts'

/**
 * `daemon` and `stop`: they only start or signal a server process, so they stay out of
 * serve.ts, which loads the whole engine.
 */

export const portOption = (port: string | undefined): number | undefined => (port === undefined ? undefined : parseInteger(port, '--port', 0, 65535))

/** Starts `serve` in the background and returns once it answers. */
export async function daemon(ctx: Context, options: { port?: string }): Promise<void> {
  const existing = runningServer(ctx.home)
  const info = existing ?? (await startDaemon(ctx.home, portOption(options.port)))
  const browserUrl = `${info.url}#token=${info.token}`
  ctx.print({ url: info.url, browserUrl, port: info.port, pid: info.pid, home: ctx.home, alreadyRunning: existing !== null }, () =>
    existing !== null
      ? `Taskdeck already runs at ${info.url} (process ${info.pid}).`
      : `Taskdeck started in the background (process ${info.pid}; log in ${join(ctx.home, 'daemon.log')}).\nOpen ${browserUrl}`,
  )
}

/** Stops the Taskdeck serving this home (a daemon or a `serve` in another terminal). */
export async function stop(ctx: Context): Promise<void> {
  const info = runningServer(ctx.home)
  if (info === null) {
    ctx.print({ stopped: null }, () => `Taskdeck is not running for ${ctx.home}.`)
    return
  }
  // The pid in api.json could have been reused by another program: signal it only once the server answers with our token.
  const client = await ctx.connect()
  // Its answers also tell the user what the stop does to their tasks, as pueue users ask after a restart. A server
  // that answers but refuses a question (one older than this command) is ours all the same: it is stopped, untold.
  const foreseen = await foreseeStop(client).catch((error: unknown) => {
    if (error instanceof CliError && error.code !== 'unreachable') return error
    throw error
  })
  await stopServer(info, ctx.home)
  if (foreseen instanceof CliError) {
    ctx.print({ stopped: info.pid, interrupted: null }, () =>
      [`Stopped Taskdeck (process ${info.pid}).`, 'It is older than this taskdeck command and could not say which tasks it interrupted; `taskdeck status` shows them once it runs again.'].join('\n'),
    )
    return
  }
  const { interrupted, onWorkers, either, pending } = foreseen
  const requeued = interrupted.filter((task) => task.definition.retryOnInterrupt).map((task) => task.id)
  const ended = interrupted.filter((task) => !task.definition.retryOnInterrupt).map((task) => task.id)
  const waiting = pending + requeued.length
  ctx.print({ stopped: info.pid, interrupted: interrupted.map((task) => task.id) }, () =>
    [
      `Stopped Taskdeck (process ${info.pid}).`,
      ...(ended.length === 0 ? [] : [ended.length === 1 ? `Interrupted (it was running): ${ended[0]}; \`taskdeck retry ${ended[0]}\` runs it again.` : `Interrupted (they were running): ${ended.join(', ')}; \`taskdeck retry ${ended.join(' ')}\` runs them again.`]),
      ...(requeued.length === 0 ? [] : [`Interrupted and queued again (retry on interrupt): ${requeued.join(', ')}.`]),
      ...(onWorkers.length === 0 ? [] : [`Left running on Redis workers: ${onWorkers.join(', ')}; Taskdeck follows them again when it starts.`]),
      ...(either.length === 0 ? [] : [`Running in groups that overflow to Redis: ${either.join(', ')}; those in a local slot end interrupted, the others go on on their workers.`]),
      ...(waiting === 0 ? [] : [`${waiting === 1 ? '1 queued or waiting task waits' : `${waiting} queued or waiting tasks wait`} for Taskdeck to run again (\`taskdeck daemon\`).`]),
    ].join('\n'),
  )
}

/** What stopping the server will do to its tasks: which running ones it interrupts here, which go on on Redis workers, how many wait. */
async function foreseeStop(client: ApiClient): Promise<{ interrupted: Task[]; onWorkers: Task['id'][]; either: Task['id'][]; pending: number }> {
  const [active, { total: pending }, bindings] = await Promise.all([
    client.invoke('task.list', { status: ['running', 'paused'], withLastRuns: true, limit: 100_000 }),
    client.invoke('task.list', { status: ['queued', 'waiting'], limit: 1 }),
    remoteBindingsOf(client),
  ])
  // A paused task that never started has no run to interrupt.
  const running = new Set((active.lastRuns ?? []).filter((run) => run.status === 'running' || run.status === 'paused').map((run) => run.taskId))
  // Runs on Redis workers go on there, and the engine follows them again when it starts; a group that overflows to
  // Redis runs some here (interrupted) and some there, and which is which is not in the task list.
  const binding = new Map(bindings.map((bound) => [bound.group, bound]))
  const where = (task: Task) => (binding.has(task.definition.group) ? (binding.get(task.definition.group)!.localSlots === null ? 'workers' : 'either') : 'here')
  const ids = (place: string) => active.tasks.filter((task) => running.has(task.id) && where(task) === place).map((task) => task.id)
  return { interrupted: active.tasks.filter((task) => running.has(task.id) && where(task) === 'here'), onWorkers: ids('workers'), either: ids('either'), pending }
}
