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
