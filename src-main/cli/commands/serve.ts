import { join } from 'node:path'
import { openRuntime } from '../../app/runtime.ts'
import type { Context } from '../context.ts'
import { runningServer } from '../daemon.ts'
import { CliError, EXIT } from '../exit.ts'
import { portOption } from './daemon.ts'
import { packageRoot } from '../package.ts'

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
