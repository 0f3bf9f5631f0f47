import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { runWorker } from './worker.ts'
import type { RunningWorker } from './worker.ts'
import { workerRunners } from './runners.ts'

const USAGE = `usage: taskdeck worker --redis URL --group NAME [--concurrency N]
  --redis URL          redis:// or rediss:// (or TASKDECK_REDIS_URL); the password may come from TASKDECK_REDIS_PASSWORD
  --group NAME         the remote group to serve
  --concurrency N      runs at once (default: number of CPUs)
  --script-threads N   most threads running script tasks (default: concurrency, at most the number of CPUs);
                       one runs short scripts, more start only for long ones; raise it for scripts that
                       mostly wait (I/O) rather than compute
  --drain-timeout MS   on SIGTERM, how long current runs may finish before they are handed back (default 30000)
  --lock-duration MS   how soon a dead worker's runs are reported lost (default 30000)
  --stalled-interval MS, --heartbeat MS, --tag TEXT, --insecure-tls`

export interface WorkerCliOptions {
  argv: string[]
  env: NodeJS.ProcessEnv
}

/** Parses `taskdeck worker` arguments, runs until SIGTERM/SIGINT, and resolves with the exit code. */
export async function workerCommand({ argv, env }: WorkerCliOptions): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      redis: { type: 'string' },
      group: { type: 'string' },
      concurrency: { type: 'string' },
      'script-threads': { type: 'string' },
      'drain-timeout': { type: 'string' },
      'lock-duration': { type: 'string' },
      'stalled-interval': { type: 'string' },
      heartbeat: { type: 'string' },
      tag: { type: 'string' },
      'insecure-tls': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const url = values.redis ?? env.TASKDECK_REDIS_URL
  if (values.help || !url || !values.group) {
    console.error(USAGE)
    return values.help ? 0 : 2
  }
  const number = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined
    const value = Number(text)
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name}: must be a positive integer, got "${text}"`)
    return value
  }
  const concurrency = number('concurrency', values.concurrency)
  const pool = workerRunners(concurrency ?? availableParallelism(), number('script-threads', values['script-threads']))
  const closeRunners = () => pool.close()
  let worker: RunningWorker
  try {
    worker = await runWorker({
      redis: { url, password: env.TASKDECK_REDIS_PASSWORD, tlsRejectUnauthorized: !values['insecure-tls'] },
      group: values.group,
      runners: pool.runners,
      concurrency,
      lockDurationMs: number('lock-duration', values['lock-duration']),
      stalledIntervalMs: number('stalled-interval', values['stalled-interval']),
      heartbeatMs: number('heartbeat', values.heartbeat),
      tag: values.tag,
      log: (line) => console.log(line),
    })
  } catch (error) {
    await closeRunners()
    console.error(`taskdeck worker: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }
  const drainMs = number('drain-timeout', values['drain-timeout']) ?? 30_000
  return new Promise<number>((resolve) => {
    let signals = 0
    const stop = (signal: NodeJS.Signals) => {
      signals++
      if (signals === 1) console.log(`${signal}: finishing current runs for up to ${drainMs} ms; send again to hand them back now`)
      void worker
        .close(signals === 1 ? drainMs : 0)
        .then(closeRunners)
        .then(() => resolve(0))
    }
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
  })
}

if (import.meta.main) {
  process.exitCode = await workerCommand({ argv: process.argv.slice(2), env: process.env })
}
