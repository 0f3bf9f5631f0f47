import { readFileSync } from 'node:fs'
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

/** Two clocks: one that counts the time the machine slept, and the timers' own, which does not. */
export interface SleepClocks {
  /** Milliseconds, counting sleep (default: Linux's boot time, else the wall clock). */
  withSleep(): number
  /** Milliseconds on the monotonic clock timers run on, which stands still while the machine sleeps. */
  monotonic(): number
}

/**
 * Linux's CLOCK_BOOTTIME (`/proc/uptime`) counts the time suspended and, unlike the wall
 * clock, does not jump when the clock is set (NTP, a user), so a clock change is not taken
 * for a wake; elsewhere the wall clock. Node's timers and `performance.now()` run on
 * CLOCK_MONOTONIC, which stands still in suspend.
 */
export function systemSleepClocks(): SleepClocks {
  const bootTime = (): number | null => {
    try {
      return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000
    } catch {
      return null
    }
  }
  const withBoot = bootTime() !== null
  return { withSleep: () => (withBoot ? (bootTime() ?? Date.now()) : Date.now()), monotonic: () => performance.now() }
}

/** How often the wake monitor looks, and how much more time must have passed with sleep than without for a wake. */
export const WAKE_POLL_MS = 5_000
export const WAKE_MIN_SLEEP_MS = 10_000

/** A monitor that runs only while something needs it (`watch(true)`), like the network half. */
export interface WatchedMonitor extends Disposable {
  watch(needed: boolean): void
}

export interface WakeMonitorOptions {
  report: CommandHandlers['machine.report']
  clocks: SleepClocks
  intervalMs?: number
  minSleepMs?: number
}

/**
 * Tells the engine when the machine woke from sleep, with no help from the system (`taskdeck
 * serve`; the desktop app has Electron's `resume` instead): a timer set for `intervalMs` fires
 * after that much monotonic time, which stands still while the machine sleeps, so a look that
 * finds much more time passed by a clock that counts sleep (`clocks.withSleep`) than by the
 * monotonic one follows a sleep of the difference. A busy event loop delays both clocks alike.
 * Reported as `machine.report`'s `event: 'wake'` with `sleptMs`; runs only while watched.
 */
export function startWakeMonitor(options: WakeMonitorOptions): WatchedMonitor {
  const { clocks } = options
  const minSleepMs = options.minSleepMs ?? WAKE_MIN_SLEEP_MS
  let timer: NodeJS.Timeout | null = null
  let disposed = false
  let last = { withSleep: 0, monotonic: 0 }
  const look = () => {
    const now = { withSleep: clocks.withSleep(), monotonic: clocks.monotonic() }
    const slept = now.withSleep - last.withSleep - (now.monotonic - last.monotonic)
    last = now
    if (slept >= minSleepMs) options.report({ event: 'wake', sleptMs: Math.round(slept) }).catch(() => undefined)
  }
  const watch = (needed: boolean) => {
    if (disposed || needed === (timer !== null)) return
    if (!needed) {
      if (timer) clearInterval(timer)
      timer = null
      return
    }
    last = { withSleep: clocks.withSleep(), monotonic: clocks.monotonic() }
    timer = setInterval(look, options.intervalMs ?? WAKE_POLL_MS)
    timer.unref()
  }
  return {
    watch,
    dispose: () => {
      watch(false)
      disposed = true
    },
  }
}

/** How often the network's links are read while a trigger waits for `online` or `offline`: a few file reads, no child. */
export const LINK_POLL_MS = 2_000

export interface ReachabilityMonitorOptions {
  /** One reading (`readNetworkOnline`): true reachable, false not, null unknown. */
  read: () => boolean | null
  report: CommandHandlers['machine.report']
  intervalMs?: number
}

/**
 * Tells the engine whether the network is reachable (`online`), by the power half's rules:
 * only a change is reported, one unknown reading keeps the last known one. Runs only while a
 * trigger waits for `online` or `offline`; when none does any more, the state is reported
 * unknown (it is no longer watched, so no longer current).
 */
export function startReachabilityMonitor(options: ReachabilityMonitorOptions): WatchedMonitor {
  let timer: NodeJS.Timeout | null = null
  let disposed = false
  let steady = steadyReading(null)
  let reporter = reportChanges(undefined, (online) => options.report({ online }))
  const watch = (needed: boolean) => {
    if (disposed || needed === (timer !== null)) return
    if (!needed) {
      if (timer) clearInterval(timer)
      timer = null
      options.report({ online: null }).catch(() => undefined)
      return
    }
    steady = steadyReading(null)
    reporter = reportChanges(undefined, (online) => options.report({ online }))
    const look = () => reporter.tell(steady(options.read()))
    look()
    timer = setInterval(look, options.intervalMs ?? LINK_POLL_MS)
    timer.unref()
  }
  return {
    watch,
    dispose: () => {
      if (timer) clearInterval(timer)
      timer = null
      disposed = true
    },
  }
}
