import type { PowerSaveBlocker } from 'electron'

/**
 * Holds off system sleep while the shell says so (`keepAwake` in src-shared/decisions):
 * one 'prevent-app-suspension' blocker (the screen may still turn off), started once and
 * stopped once. Stopping is idempotent, so quitting can call `apply(false)` again safely.
 */
export class KeepAwakeController {
  private readonly blocker: Pick<PowerSaveBlocker, 'start' | 'stop'>
  private id: number | null = null

  constructor(blocker: Pick<PowerSaveBlocker, 'start' | 'stop'>) {
    this.blocker = blocker
  }

  apply(on: boolean): void {
    if (on && this.id === null) this.id = this.blocker.start('prevent-app-suspension')
    else if (!on && this.id !== null) {
      this.blocker.stop(this.id)
      this.id = null
    }
  }
}
