import type { CommandHandlers, Disposable } from '../engine/api.ts'
import { POWER_POLL_MS } from '../../src-shared/decisions/machine.ts'
import { steadyAcPowerReader, steadyReading } from '../engine/power-supply.ts'

/**
 * How both monitors talk to the engine: a reading is reported only when it differs from what the engine was last
 * told (so a state reported by hand stands until the machine really changes); after a failed report the next
 * reading is told again, even if it is the same.
 */
function reportChanges(initial: boolean | null, send: (reading: boolean | null) => Promise<unknown>): (reading: boolean | null) => void {
  let last: boolean | null | undefined = initial
  return (reading) => {
    if (reading === last) return
    last = reading
    send(reading).catch(() => {
      if (last === reading) last = undefined
    })
  }
}

export interface SystemMonitorOptions {
  /** The sysfs power-supply folder (POWER_SUPPLY_DIR on a real machine). */
  powerSupplyDir: string
  /** What was read before the engine opened (given to it as its starting state). */
  initial: boolean | null
  /** `machine.report`: the monitor reports the way a user's script or the desktop app does. */
  report: CommandHandlers['machine.report']
  intervalMs?: number
}

/**
 * The system machine monitor (`taskdeck serve`, the daemon, and the desktop app on Linux): polls whether the machine
 * is on AC power and reports it through `machine.report` when what it reads changes. Only a
 * change is reported, so a state a user reported by hand (`taskdeck machine report`) stands
 * until the power source really changes. One unreadable poll keeps the last known reading
 * (`steadyAcPowerReader`): a flicker to unknown would start ac-power groups for one poll.
 * User presence is not observed here: it stays what was reported (by the desktop app, or
 * by hand; unknown unless someone reports it).
 */
export function startSystemMonitor(options: SystemMonitorOptions): Disposable {
  const read = steadyAcPowerReader(options.powerSupplyDir, options.initial)
  const tell = reportChanges(options.initial, (onAcPower) => options.report({ onAcPower }))
  const timer = setInterval(() => tell(read()), options.intervalMs ?? POWER_POLL_MS) // sysfs attributes announce no change (no inotify): polled as the desktop polls where it must
  timer.unref()
  return { dispose: () => clearInterval(timer) }
}

export interface NetworkMonitorOptions {
  /** One look at the network (`networkReaderFor`): true metered, false not, null unknown; the signal kills a look under way. */
  read: (signal?: AbortSignal) => Promise<boolean | null>
  /** What the engine was opened with. */
  initial: boolean | null
  /** A first look still under way when the engine opened (it took longer than the runtime waits): its reading is reported when it comes. */
  pending?: Promise<boolean | null>
  report: CommandHandlers['machine.report']
  intervalMs: number
}

/**
 * The network half of the system monitor: polls whether the network is metered and reports
 * a change through `machine.report`, as the power half does (only changes, so a state
 * reported by hand stands; one failed look keeps the last known reading; a failed report is
 * resent at the next look). Looks are chained, never overlapping: each spawns a child that
 * may take up to its timeout.
 */
export function startNetworkMonitor(options: NetworkMonitorOptions): Disposable {
  // One slow D-Bus answer must not start unmetered-network groups on a hotspot for a poll.
  const steady = steadyReading(options.initial)
  const tell = reportChanges(options.initial, (networkMetered) => options.report({ networkMetered }))
  let timer: NodeJS.Timeout | null = null
  const disposed = new AbortController()
  const seen = (reading: boolean | null) => {
    if (disposed.signal.aborted) return
    tell(steady(reading))
    timer = setTimeout(() => void options.read(disposed.signal).then(seen), options.intervalMs)
    timer.unref()
  }
  if (options.pending) void options.pending.then(seen)
  else seen(options.initial)
  return {
    dispose: () => {
      disposed.abort()
      if (timer) clearTimeout(timer)
    },
  }
}
