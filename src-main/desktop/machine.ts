import type { RuntimeOptions } from '../app/runtime.ts'
import {
  machineOf,
  nextCheckMs,
  powerWatchFor,
  reportFor,
  reportForPowerEvent,
  RETURN_CHECK_MS,
  type MachineObservation,
  type MachineReport,
  type NetworkWatch,
  type PowerEvent,
  type PowerWatch,
  type ReportedMachine,
} from '../../src-shared/decisions/machine.ts'

/** The part of Electron's `powerMonitor` the monitor uses. */
export interface PowerMonitorPort {
  isOnBatteryPower(): boolean
  getSystemIdleTime(): number
  on(event: PowerEvent, listener: () => void): unknown
  removeListener(event: PowerEvent, listener: () => void): unknown
}

export interface MachineMonitorPorts {
  powerMonitor: PowerMonitorPort
  /** `process.platform`: it decides where the power source comes from (`powerWatchFor`). */
  platform: string
  /** The engine's `machine.report` handler, called in-process. */
  report: (report: MachineReport) => Promise<unknown>
  setTimer: (run: () => void, ms: number) => { cancel(): void }
  log: (message: string) => void
}

/**
 * How the app opens the runtime for this platform's PowerWatch. 'system': the runtime's
 * system monitor owns the power source (it reads sysfs at start and polls it) and this
 * monitor reports only presence; 'power-monitor': nobody else reads the power, so the
 * runtime's monitor is not started and the engine starts from Electron's reading. Either
 * way the user counts as present until the first report. Whether the network is metered is
 * the runtime's to read on every platform (`network`, from `networkWatchFor`): Electron has
 * no API for it, so the app reports nothing of it.
 */
export function runtimeMachineOptions(
  watch: PowerWatch,
  powerMonitor: Pick<PowerMonitorPort, 'isOnBatteryPower'>,
  network: NetworkWatch,
): Pick<RuntimeOptions, 'machineMonitor' | 'machine' | 'networkWatch' | 'wakeMonitor'> {
  // Electron tells a wake (`resume`) on every platform, so the runtime's clock-based wake monitor is not needed; the screen starts unlocked.
  if (watch.source === 'system') return { machineMonitor: 'system', machine: { userIdle: false, screenLocked: false }, networkWatch: network, wakeMonitor: 'none' }
  return { machineMonitor: 'none', machine: { onAcPower: !powerMonitor.isOnBatteryPower(), userIdle: false, screenLocked: false }, networkWatch: network, wakeMonitor: 'none' }
}

/**
 * Tells the engine whether the user is away and, where Electron can tell (macOS, Windows),
 * whether the machine is on AC power: power and lock events as they come, the power source
 * polled as `powerWatchFor` says (on Linux it is not read here: the runtime's system monitor
 * reads sysfs), the idle time looked at when it can next matter (`nextIdleCheckMs`), and
 * everything again after a resume (a laptop may wake on battery, with no event for the
 * change made while asleep). Only changes are sent (`reportFor`); after a report fails,
 * everything is sent again at the next look (RETURN_CHECK_MS at the latest), so the engine
 * is not left with a stale state. Starts with the first `apply`, which the shell calls with
 * settings.idleAfterMinutes and again whenever it changes.
 */
export class MachineMonitor {
  private readonly ports: MachineMonitorPorts
  private readonly watch: PowerWatch
  private idleAfterMinutes: number | null = null
  private locked = false
  private last: ReportedMachine | null = null
  private timer: { cancel(): void } | null = null
  private scheduledMs = RETURN_CHECK_MS
  private disposed = false
  private readonly listeners: Array<[PowerEvent, () => void]>

  constructor(ports: MachineMonitorPorts) {
    this.ports = ports
    this.watch = powerWatchFor(ports.platform)
    this.listeners = [
      ['on-ac', () => this.observe()],
      ['on-battery', () => this.observe()],
      ['suspend', () => this.tell('suspend')],
      [
        'resume',
        () => {
          this.tell('resume')
          this.observe()
        },
      ],
      [
        'lock-screen',
        () => {
          this.tell('lock-screen')
          this.setLocked(true)
        },
      ],
      [
        'unlock-screen',
        () => {
          this.tell('unlock-screen')
          this.setLocked(false)
        },
      ],
    ]
  }

  apply(idleAfterMinutes: number): void {
    if (this.disposed || idleAfterMinutes === this.idleAfterMinutes) return
    if (this.idleAfterMinutes === null) for (const [event, listener] of this.listeners) this.ports.powerMonitor.on(event, listener)
    this.idleAfterMinutes = idleAfterMinutes
    this.observe()
  }

  /** A power event's own report (`reportForPowerEvent`: a wake, a sleep, the screen), for system triggers; a failure is only logged (it is not a state to send again). */
  private tell(event: PowerEvent): void {
    const report = reportForPowerEvent(event)
    if (this.disposed || report === null) return
    this.ports.report(report).catch((error: unknown) => this.ports.log(`machine.report (${event}) failed: ${error instanceof Error ? error.message : String(error)}`))
  }

  private setLocked(locked: boolean): void {
    this.locked = locked
    this.observe()
  }

  private observe(): void {
    const idleAfterMinutes = this.idleAfterMinutes
    if (this.disposed || idleAfterMinutes === null) return
    const { powerMonitor } = this.ports
    const onBattery = this.watch.source === 'power-monitor' ? powerMonitor.isOnBatteryPower() : null
    const observation: MachineObservation = { onBattery, idleSeconds: powerMonitor.getSystemIdleTime(), locked: this.locked }
    const next = machineOf(observation, idleAfterMinutes)
    const report = reportFor(this.last, next)
    this.last = next
    if (report) this.ports.report(report).catch((error: unknown) => this.reportFailed(error))
    this.schedule(nextCheckMs(observation, idleAfterMinutes, this.watch))
  }

  /**
   * The engine may not hold what was sent: everything is sent again at the next look, within
   * RETURN_CHECK_MS (a look already due sooner keeps its delay: the failure comes moments after it was set).
   */
  private reportFailed(error: unknown): void {
    this.ports.log(`machine.report failed: ${error instanceof Error ? error.message : String(error)}`)
    if (this.disposed) return
    this.last = null
    this.schedule(Math.min(RETURN_CHECK_MS, this.scheduledMs))
  }

  private schedule(ms: number): void {
    this.timer?.cancel()
    this.scheduledMs = ms
    this.timer = this.ports.setTimer(() => this.observe(), ms)
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.timer?.cancel()
    this.timer = null
    if (this.idleAfterMinutes !== null) for (const [event, listener] of this.listeners) this.ports.powerMonitor.removeListener(event, listener)
  }
}
