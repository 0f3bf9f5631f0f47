import { join } from 'node:path'
import { openRuntime } from '../../app/runtime.ts'
import type { Context } from '../context.ts'
import { runningServer, startDaemon, stopServer } from '../daemon.ts'
import { CliError, EXIT } from '../exit.ts'
import { parseInteger } from '../format.ts'
import { packageRoot } from '../package.ts'

const portOption = (port: string | undefined): number | undefined => (port === undefined ? undefined : parseInteger(port, '--port', 0, 65535))

/** The headless engine and the local API in this process, until SIGINT or SIGTERM. */
export async function serve(ctx: Context, options: { port?: string }): Promise<void> {
  const port = portOption(options.port)
  const existing = await runningServer(ctx.home)
  if (existing !== null && existing.pid !== process.pid) {
    throw new CliError(EXIT.failed, 'conflict', `Taskdeck already runs for ${ctx.home} at ${existing.url} (process ${existing.pid}).`)
  }
  // The shared composition root (engine, triggers, local API), as in the desktop app.
  let runtime
  try {
    runtime = await openRuntime({ home: ctx.home, rendererDir: join(packageRoot(), 'out', 'renderer'), ...(port === undefined ? {} : { port }) })
  } catch (error) {
    throw new CliError(EXIT.failed, 'serve', (error as Error).message)
  }
  const { server } = runtime
  const info = { url: server.url, browserUrl: server.browserUrl, port: server.port, pid: process.pid, home: ctx.home }
  ctx.print(info, () =>
    [
      `Taskdeck is running (data in ${ctx.home}).`,
      `Open ${server.browserUrl}`,
      `The token is also in ${join(ctx.home, 'api.json')}. Press Ctrl+C to stop.`,
    ].join('\n'),
  )
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    // SIGHUP too: a closed terminal should stop the engine cleanly, not leave a stale api.json.
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(name, resolve)
  })
  process.stderr.write(`Stopping (${signal})…\n`)
  await runtime.close()
}

/** Starts `serve` in the background and returns once it answers. */
export async function daemon(ctx: Context, options: { port?: string }): Promise<void> {
  const existing = await runningServer(ctx.home)
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
  const info = await runningServer(ctx.home)
  if (info === null) {
    ctx.print({ stopped: null }, () => `Taskdeck is not running for ${ctx.home}.`)
    return
  }
  // The pid in api.json could have been reused by another program: signal it only once the server answers with our token.
  await (await ctx.connect()).invoke('group.list', {})
  await stopServer(info, ctx.home)
  ctx.print({ stopped: info.pid }, () => `Stopped Taskdeck (process ${info.pid}).`)
}
