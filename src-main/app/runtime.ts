import { processAlive } from '../cli/daemon.ts'
import type { Disposable, EngineApi } from '../engine/api.ts'
import { RemoteGroups } from '../engine/backends/remote-groups.ts'
import type { SecretBox } from '../engine/backends/secrets.ts'
import { Engine } from '../engine/engine.ts'
import { POWER_SUPPLY_DIR, readAcPower } from '../engine/power-supply.ts'
import { defaultRunners } from '../engine/runners/index.ts'
import { readApiFile } from '../server/api-file.ts'
import { createServer, type TaskdeckServer } from '../server/server.ts'
import { createTriggers, type ShortcutBinding } from '../triggers/index.ts'
import { networkWatchFor, type NetworkWatch } from '../../src-shared/decisions/machine.ts'
import { networkReaderFor } from '../engine/network-cost.ts'
import { startNetworkMonitor, startSystemMonitor } from './machine-monitor.ts'

/**
 * The composition root: everything Taskdeck runs besides a window, on one data directory.
 * The engine, saved tasks and triggers on it, and the local HTTP + WebSocket API (so the
 * CLI, scripts and browsers reach it), with the engine's and the extensions' command
 * handlers joined into one `api`. Plain Node: the desktop app and `taskdeck serve` both
 * start here, so they cannot drift apart.
 */
export interface TaskdeckRuntime {
  /** Engine and extension command handlers together: what IPC and the server serve. */
  readonly api: EngineApi
  readonly server: TaskdeckServer
  /** Shortcut triggers the desktop registers as global shortcuts. */
  shortcutBindings(): ShortcutBinding[]
  onDidChangeShortcuts(listener: (bindings: ShortcutBinding[]) => void): Disposable
  pressShortcut(accelerator: string): boolean
  close(): Promise<void>
}

/** Another live process already serves this data directory (a `taskdeck serve` or daemon). */
export async function otherOwner(home: string): Promise<{ pid: number; url: string } | null> {
  const read = await readApiFile(home)
  if (read.kind !== 'found' || read.info.pid === process.pid || !processAlive(read.info.pid)) return null
  return { pid: read.info.pid, url: read.info.url }
}

export interface RuntimeOptions {
  home: string
  rendererDir: string
  port?: number
  /** Where Redis passwords of remote groups are kept: Electron's safeStorage in the app, a 0600 file otherwise. */
  secrets?: SecretBox
  /**
   * Who tells the engine whether the machine is on AC power (groups' `onlyWhen` conditions):
   * `'system'` (the default) reads the power source itself (Linux: /sys/class/power_supply,
   * polled; elsewhere it stays unknown): `taskdeck serve`, the daemon, and the desktop app on
   * Linux, where Electron cannot tell. `'none'` leaves it to the opener, which reports through
   * `machine.report` (the desktop app on macOS and Windows). Presence (`userIdle`) is never
   * read here, whichever is chosen: only the opener (or a user) reports it.
   */
  machineMonitor?: 'system' | 'none'
  /** What the opener knows of the machine at start, so no run of a gated group starts before its first report. */
  machine?: { onAcPower?: boolean | null; userIdle?: boolean | null }
  /** The power-supply folder the system monitor reads (default POWER_SUPPLY_DIR). */
  powerSupplyDir?: string
  /**
   * Where whether the network is metered is read (`unmetered-network` groups), whoever owns
   * the power source: default `networkWatchFor(process.platform)` (NetworkManager on Linux,
   * the connection cost on Windows, unknown on macOS). `{ source: 'none' }` leaves it unknown
   * unless reported.
   */
  networkWatch?: NetworkWatch
  /** The environment the network reader's child sees (its PATH finds busctl); default process.env. */
  networkReadEnv?: NodeJS.ProcessEnv
  /** How long opening waits for the first network reading (default NETWORK_START_WAIT_MS). */
  networkStartWaitMs?: number
}

/**
 * Opening waits this long for the first look at the network, so that no run of an
 * unmetered-network group starts on a hotspot before it; busctl answers in milliseconds, but
 * Windows' PowerShell can take seconds to start, and the app's window must not wait for it.
 * A later first reading is reported when it comes.
 */
const NETWORK_START_WAIT_MS = 2_000

export async function openRuntime(options: RuntimeOptions): Promise<TaskdeckRuntime> {
  const { home } = options
  const owner = await otherOwner(home)
  if (owner !== null) {
    throw new Error(`Taskdeck already runs for ${home} (process ${owner.pid}, ${owner.url}). Stop it with "taskdeck stop", or start the app with another --home.`)
  }
  // Groups bound to Redis run on remote workers; every other group runs here.
  // The orphan reaper's registry in the data home: no temporary-file cleaner ages it out under a long run.
  const runners = defaultRunners({ reaperDir: home })
  const remote = new RemoteGroups({ home, local: runners, ...(options.secrets ? { secrets: options.secrets } : {}) })
  const powerSupplyDir = options.powerSupplyDir ?? POWER_SUPPLY_DIR
  // Only Linux publishes its power supplies as files; elsewhere the state stays unknown unless reported.
  const monitored = (options.machineMonitor ?? 'system') === 'system' && process.platform === 'linux'
  const networkWatch = options.networkWatch ?? networkWatchFor(process.platform)
  const readNetwork = networkReaderFor(networkWatch, options.networkReadEnv)
  // Killed with the monitors if it outlasts the opening and the runtime is closed first.
  const firstLookUnderWay = new AbortController()
  const firstLook = readNetwork?.(firstLookUnderWay.signal) ?? null
  const early = firstLook ? await settledWithin(firstLook, options.networkStartWaitMs ?? NETWORK_START_WAIT_MS) : { value: null }
  const networkMetered = early?.value ?? null
  const machine = { ...options.machine, ...(monitored ? { onAcPower: readAcPower(powerSupplyDir) } : {}), networkMetered }
  const engine = await Engine.open({ home, runners, backend: remote, machine })
  remote.attach(engine)
  const report = engine.handlers['machine.report']
  const monitors = [
    ...(monitored ? [startSystemMonitor({ powerSupplyDir, initial: machine.onAcPower ?? null, report })] : []),
    ...(readNetwork && firstLook && networkWatch.source !== 'none'
      ? [startNetworkMonitor({ read: readNetwork, initial: networkMetered, ...(early ? {} : { pending: firstLook }), report, intervalMs: networkWatch.pollMs })]
      : []),
  ]
  const triggers = createTriggers(engine.host)
  // Closed together: a remote run's cancel, sent while the engine interrupts it, must not hold the quit.
  const closeEngine = () => {
    firstLookUnderWay.abort()
    for (const monitor of monitors) monitor.dispose()
    return Promise.all([engine.close(), remote.close()]).then(() => undefined)
  }
  const api: EngineApi = {
    handlers: { ...engine.handlers, ...triggers.handlers, ...remote.handlers },
    subscribe: (since, listener, subscribeOptions) => engine.subscribe(since, listener, subscribeOptions),
    close: closeEngine,
  }
  let server: TaskdeckServer
  try {
    server = await createServer({ engine: api, home, staticDir: options.rendererDir, routes: [triggers.webhookRoute], ...(options.port === undefined ? {} : { port: options.port }) })
  } catch (error) {
    await triggers.dispose()
    await closeEngine()
    throw error
  }
  return {
    api,
    server,
    shortcutBindings: () => triggers.shortcutBindings(),
    onDidChangeShortcuts: (listener) => triggers.onDidChangeShortcuts(listener),
    pressShortcut: (accelerator) => triggers.pressShortcut(accelerator),
    async close() {
      await server.close()
      await triggers.dispose()
      await closeEngine()
    },
  }
}

/** The promise's value if it settles within `ms`; null if it is still under way then. */
function settledWithin<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | null> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)))
  return Promise.race([promise.then((value) => ({ value })), late]).finally(() => clearTimeout(timer))
}
