import type { CommandHandlers, Disposable } from '../engine/api.ts'
import { readAcPower } from '../engine/power-supply.ts'

/** How often the power supplies are read: sysfs attributes announce no change (no inotify), so they are polled. */
export const POWER_POLL_MS = 5000

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
 * The headless machine monitor (`taskdeck serve` and the daemon): polls whether the machine
 * is on AC power and reports it through `machine.report` when what it reads changes. Only a
 * change is reported, so a state a user reported by hand (`taskdeck machine report`) stands
 * until the power source really changes. User presence is not observed headless: it stays
 * what was reported (unknown unless someone reports it).
 */
export function startSystemMonitor(options: SystemMonitorOptions): Disposable {
  let last = options.initial
  const timer = setInterval(() => {
    const onAcPower = readAcPower(options.powerSupplyDir)
    if (onAcPower === last) return
    last = onAcPower
    // A report refused while the engine closes changes nothing worth telling.
    options.report({ onAcPower }).catch(() => undefined)
  }, options.intervalMs ?? POWER_POLL_MS)
  timer.unref()
  return { dispose: () => clearInterval(timer) }
}
