import { machineOf, nextIdleCheckMs, reportFor, type MachineObservation, type MachineReport, type ReportedMachine } from '../../src-shared/decisions/machine.ts'

/** The power monitor events that can change what is reported. */
type PowerEvent = 'on-ac' | 'on-battery' | 'lock-screen' | 'unlock-screen' | 'resume'

/** The part of Electron's `powerMonitor` the monitor uses. */
export interface PowerMonitorPort {
  isOnBatteryPower(): boolean
  getSystemIdleTime(): number
  on(event: PowerEvent, listener: () => void): unknown
  removeListener(event: PowerEvent, listener: () => void): unknown
}

export interface MachineMonitorPorts {
  powerMonitor: PowerMonitorPort
  /** The engine's `machine.report` handler, called in-process. */
  report: (report: MachineReport) => Promise<unknown>
  setTimer: (run: () => void, ms: number) => { cancel(): void }
  log: (message: string) => void
}

/**
 * Tells the engine whether the machine is on AC power and whether the user is away, from
 * Electron's power monitor: power and lock events as they come, the idle time polled when
 * it can next matter (`nextIdleCheckMs`), everything again after a resume (a laptop may
 * wake on battery, with no event for the change made while asleep). Only changes are sent
 * (`reportFor`). Starts with the first `apply`, which the shell calls with
 * settings.idleAfterMinutes and again whenever it changes.
 */
export class MachineMonitor {
  private readonly ports: MachineMonitorPorts
  private idleAfterMinutes: number | null = null
  private locked = false
  private last: ReportedMachine | null = null
  private timer: { cancel(): void } | null = null
  private disposed = false
  private readonly listeners: Array<[PowerEvent, () => void]>

  constructor(ports: MachineMonitorPorts) {
    this.ports = ports
    this.listeners = [
      ['on-ac', () => this.observe()],
      ['on-battery', () => this.observe()],
      ['resume', () => this.observe()],
      ['lock-screen', () => this.setLocked(true)],
      ['unlock-screen', () => this.setLocked(false)],
    ]
  }

  apply(idleAfterMinutes: number): void {
    if (this.disposed || idleAfterMinutes === this.idleAfterMinutes) return
    if (this.idleAfterMinutes === null) for (const [event, listener] of this.listeners) this.ports.powerMonitor.on(event, listener)
    this.idleAfterMinutes = idleAfterMinutes
    this.observe()
  }

  private setLocked(locked: boolean): void {
    this.locked = locked
    this.observe()
  }

  private observe(): void {
    const idleAfterMinutes = this.idleAfterMinutes
    if (this.disposed || idleAfterMinutes === null) return
    const { powerMonitor } = this.ports
    const observation: MachineObservation = { onBattery: powerMonitor.isOnBatteryPower(), idleSeconds: powerMonitor.getSystemIdleTime(), locked: this.locked }
    const next = machineOf(observation, idleAfterMinutes)
    const report = reportFor(this.last, next)
    this.last = next
    if (report) this.ports.report(report).catch((error: unknown) => this.ports.log(`machine.report failed: ${error instanceof Error ? error.message : String(error)}`))
    this.timer?.cancel()
    this.timer = this.ports.setTimer(() => this.observe(), nextIdleCheckMs(observation, idleAfterMinutes))
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.timer?.cancel()
    this.timer = null
    if (this.idleAfterMinutes !== null) for (const [event, listener] of this.listeners) this.ports.powerMonitor.removeListener(event, listener)
  }
}
