import { join } from 'node:path'
import type { Context } from '../context.ts'
import { runningServer, startDaemon, stopServer } from '../daemon.ts'
import { parseInteger } from '../format.ts'

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
  // Its answers also tell the user what the stop does to their tasks, as pueue users ask after a restart.
  const client = await ctx.connect()
  const [active, { total: pending }] = await Promise.all([
    client.invoke('task.list', { status: ['running', 'paused'], withLastRuns: true, limit: 100_000 }),
    client.invoke('task.list', { status: ['queued', 'waiting'], limit: 1 }),
  ])
  // A paused task that never started has no run to interrupt.
  const running = new Set((active.lastRuns ?? []).filter((run) => run.status === 'running' || run.status === 'paused').map((run) => run.taskId))
  const interrupted = active.tasks.filter((task) => running.has(task.id))
  await stopServer(info, ctx.home)
  const requeued = interrupted.filter((task) => task.definition.retryOnInterrupt).map((task) => task.id)
  const ended = interrupted.filter((task) => !task.definition.retryOnInterrupt).map((task) => task.id)
  const waiting = pending + requeued.length
  ctx.print({ stopped: info.pid, interrupted: interrupted.map((task) => task.id) }, () =>
    [
      `Stopped Taskdeck (process ${info.pid}).`,
      ...(ended.length === 0 ? [] : [`Interrupted (they were running): ${ended.join(', ')}; \`taskdeck retry ${ended.join(' ')}\` runs them again.`]),
      ...(requeued.length === 0 ? [] : [`Interrupted and queued again (retry on interrupt): ${requeued.join(', ')}.`]),
      ...(waiting === 0 ? [] : [`${waiting === 1 ? '1 queued or waiting task waits' : `${waiting} queued or waiting tasks wait`} for Taskdeck to run again (\`taskdeck daemon\`).`]),
    ].join('\n'),
  )
}
