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
import { NET_CLASS_DIR, readNetworkOnline } from '../engine/network-link.ts'
import { startNetworkMonitor, startReachabilityMonitor, startSystemMonitor, startWakeMonitor, systemSleepClocks, type SleepClocks } from './machine-monitor.ts'

/**
 * The composition root: everything Taskdeck runs besides a window, on one data directory.
 * The engine, saved tasks and triggers on it, and the local HTTP + WebSocket API (so the
 * CLI, scripts and browsers reach it), with the engine's and the extensions' command
 * handlers joined into one `api`. Plain Node: the desktop app and `taskdeck serve` both
 * start here, so they cannot drift apart (the app through `openRuntimeInWorker`, which runs
 * this in a worker thread, off Electron's main thread; `taskdeck serve` in its own thread).
 */
export interface TaskdeckRuntime {
  /** Engine and extension command handlers together: what IPC and the server serve. */
  readonly api: EngineApi
  /** Where the local API listens (closed by `close`); the same fields whichever thread the runtime runs on. */
  readonly server: RuntimeServer
  /** Shortcut triggers the desktop registers as global shortcuts. */
  shortcutBindings(): ShortcutBinding[]
  onDidChangeShortcuts(listener: (bindings: ShortcutBinding[]) => void): Disposable
  pressShortcut(accelerator: string): boolean
  close(): Promise<void>
}

/** What the opener learns of the local API: enough for the CLI's `serve` output and a browser link. */
export type RuntimeServer = Pick<TaskdeckServer, 'url' | 'port' | 'token' | 'browserUrl'>

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
  machine?: { onAcPower?: boolean | null; userIdle?: boolean | null; screenLocked?: boolean | null }
  /** The power-supply folder the system monitor reads (default POWER_SUPPLY_DIR). */
  powerSupplyDir?: string
  /** How often the system monitor reads it (default POWER_POLL_MS). */
  powerPollMs?: number
  /**
   * Where whether the network is metered is read (`unmetered-network` groups), whoever owns
   * the power source: default `networkWatchFor(process.platform)` (NetworkManager on Linux,
   * the connection cost on Windows, unknown on macOS). `{ source: 'none' }` leaves it unknown
   * unless reported.
   */
  networkWatch?: NetworkWatch
  /** The environment the network reader's child sees (its PATH finds busctl); default process.env. */
  networkReadEnv?: NodeJS.ProcessEnv
  /**
   * Who tells system triggers that the machine woke: `'clock'` (the default) looks for a jump of a
   * clock that counts sleep against the timers' monotonic clock (`startWakeMonitor`), while a trigger
   * waits for `wake`; `'none'` leaves it to the opener (the desktop app reports Electron's `resume`).
   */
  wakeMonitor?: 'clock' | 'none'
  /** The clocks the wake monitor compares (tests move them by hand); default `systemSleepClocks()`. */
  sleepClocks?: SleepClocks
  /** How often the wake monitor looks (default WAKE_POLL_MS). */
  wakePollMs?: number
  /** The sysfs net-class folder read for `online` / `offline` triggers on Linux (default NET_CLASS_DIR). */
  netClassDir?: string
  /** How often that folder is read while such a trigger runs (default LINK_POLL_MS). */
  linkPollMs?: number
}

/**
 * The pollers system triggers need and nobody else reports, each running only while a trigger
 * waits for its events: the wake monitor (unless the opener reports wakes) and, on Linux, the
 * network's links.
 */
function systemEventMonitors(options: RuntimeOptions, report: EngineApi['handlers']['machine.report'], triggers: ReturnType<typeof createTriggers>): Disposable[] {
  const wake = (options.wakeMonitor ?? 'clock') === 'clock' ? startWakeMonitor({ report, clocks: options.sleepClocks ?? systemSleepClocks(), ...(options.wakePollMs ? { intervalMs: options.wakePollMs } : {}) }) : null
  const netClassDir = options.netClassDir ?? NET_CLASS_DIR
  const links =
    process.platform === 'linux' ? startReachabilityMonitor({ read: () => readNetworkOnline(netClassDir), report, ...(options.linkPollMs ? { intervalMs: options.linkPollMs } : {}) }) : null
  const listening = triggers.onDidChangeSystemEvents((events) => {
    wake?.watch(events.has('wake'))
    links?.watch(events.has('online') || events.has('offline'))
  })
  return [listening, ...(wake ? [wake] : []), ...(links ? [links] : [])]
}

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
  const readNetwork = networkWatch.source === 'none' ? null : networkReaderFor(networkWatch, options.networkReadEnv)
  // Nothing waits for the network: the engine opens with it not read yet (pending), which holds
  // only the groups that need it until the monitor's first look, started once the engine is open
  // and only if some group needs it (`watchMachine`).
  const machine = {
    ...options.machine,
    ...(monitored ? { onAcPower: readAcPower(powerSupplyDir) } : {}),
    ...(readNetwork ? { pending: ['unmetered-network' as const] } : {}),
  }
  const engine = await Engine.open({ home, runners, backend: remote, machine })
  remote.attach(engine)
  const report = engine.handlers['machine.report']
  const monitors: Disposable[] = monitored ? [startSystemMonitor({ powerSupplyDir, initial: machine.onAcPower ?? null, report, ...(options.powerPollMs ? { intervalMs: options.powerPollMs } : {}) })] : []
  if (readNetwork && networkWatch.source !== 'none') {
    const current = () => engine.machineState().networkMetered ?? null
    const network = startNetworkMonitor({ read: readNetwork, report, current, intervalMs: networkWatch.pollMs })
    monitors.push(network, engine.watchMachine('unmetered-network', (needed) => network.watch(needed)))
  }
  const triggers = createTriggers(engine.host)
  monitors.push(...systemEventMonitors(options, report, triggers))
  // Closed together: a remote run's cancel, sent while the engine interrupts it, must not hold the quit.
  const closeEngine = () => {
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
