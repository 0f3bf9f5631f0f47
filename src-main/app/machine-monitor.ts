import type { CommandHandlers, Disposable } from '../engine/api.ts'
import { POWER_POLL_MS } from '../../src-shared/decisions/machine.ts'
import { steadyAcPowerReader } from '../engine/power-supply.ts'

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
  // What the engine was last told; undefined after a failed report, so the next poll tells it again.
  let last: boolean | null | undefined = options.initial
  const read = steadyAcPowerReader(options.powerSupplyDir, options.initial)
  const timer = setInterval(() => {
    const onAcPower = read()
    if (onAcPower === last) return
    last = onAcPower
    options.report({ onAcPower }).catch(() => {
      if (last === onAcPower) last = undefined
    })
  }, options.intervalMs ?? POWER_POLL_MS) // sysfs attributes announce no change (no inotify): polled as the desktop polls where it must
  timer.unref()
  return { dispose: () => clearInterval(timer) }
}
