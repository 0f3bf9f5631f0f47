import type { CommandHandlers, Disposable } from '../engine/api.ts'
import { POWER_POLL_MS } from '../../src-shared/decisions/machine.ts'
import { steadyAcPowerReader, steadyReading } from '../engine/power-supply.ts'

/**
 * How both monitors talk to the engine: a reading is reported only when it differs from what the engine was last
 * told (so a state reported by hand stands until the machine really changes); after a failed report the next
 * reading is told again, even if it is the same. `told()`: what this monitor last told (undefined: nothing yet, or
 * its last report failed).
 */
function reportChanges(initial: boolean | null | undefined, send: (reading: boolean | null) => Promise<unknown>) {
  let last: boolean | null | undefined = initial
  return {
    tell(reading: boolean | null): void {
      if (reading === last) return
      last = reading
      send(reading).catch(() => {
        if (last === reading) last = undefined
      })
    },
    told: () => last,
    /** What the engine holds stands for this reading (it was confirmed, not reported). */
    assume(reading: boolean | null): void {
      last = reading
    },
    /** A report failed that was not a change: the next reading is told again. */
    forget(): void {
      last = undefined
    },
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
  const reporter = reportChanges(options.initial, (onAcPower) => options.report({ onAcPower }))
  const timer = setInterval(() => reporter.tell(read()), options.intervalMs ?? POWER_POLL_MS) // sysfs attributes announce no change (no inotify): polled as the desktop polls where it must
  timer.unref()
  return { dispose: () => clearInterval(timer) }
}

export interface NetworkMonitorOptions {
  /** One look at the network (`networkReaderFor`): true metered, false not, null unknown; the signal kills a look under way. */
  read: (signal?: AbortSignal) => Promise<boolean | null>
  report: CommandHandlers['machine.report']
  /** What the engine holds now (`networkMetered`): a first look that reads what this monitor last told confirms it. */
  current: () => boolean | null
  intervalMs: number
}

/** The network half of the system monitor, watching only while told to (`Engine.watchMachine`). */
export interface NetworkMonitor extends Disposable {
  /** true: look now, then every intervalMs; false: stop, killing a look under way. */
  watch(needed: boolean): void
}

/**
 * The network half of the system monitor: while some group needs the network (`watch(true)`),
 * looks whether it is metered and reports a change through `machine.report`, as the power half
 * does (only changes, so a state reported by hand stands; one failed look keeps the last known
 * reading; a failed report is resent at the next look). Looks are chained, never overlapping:
 * each spawns a child that may take up to its timeout. The first look after watching begins
 * always reports (the engine holds the network's groups until it does): what it read if that
 * differs from what this monitor last told, otherwise (or when it cannot tell and nothing was
 * told yet) the engine's own state again, which ends the wait and leaves a state reported by
 * hand as it is.
 */
export function startNetworkMonitor(options: NetworkMonitorOptions): NetworkMonitor {
  // One slow D-Bus answer must not start unmetered-network groups on a hotspot for a poll.
  const steady = steadyReading(null)
  const reporter = reportChanges(undefined, (networkMetered) => options.report({ networkMetered }))
  let watching: AbortController | null = null
  let timer: NodeJS.Timeout | null = null
  let disposed = false
  const look = (signal: AbortSignal, first: boolean) => {
    void options.read(signal).then((reading) => {
      if (signal.aborted) return
      const value = steady(reading)
      // Nothing new (what was last told, or unknown when nothing was): the engine's state stands, confirmed.
      if (first && (value === reporter.told() || (value === null && reporter.told() === undefined))) {
        reporter.assume(value)
        options.report({ networkMetered: options.current() }).catch(() => reporter.forget())
      } else reporter.tell(value)
      timer = setTimeout(() => look(signal, false), options.intervalMs)
      timer.unref()
    })
  }
  const watch = (needed: boolean) => {
    if (disposed || needed === (watching !== null)) return
    if (needed) {
      watching = new AbortController()
      look(watching.signal, true)
      return
    }
    watching?.abort()
    watching = null
    if (timer) clearTimeout(timer)
    timer = null
  }
  return {
    watch,
    dispose: () => {
      watch(false)
      disposed = true
    },
  }
}
