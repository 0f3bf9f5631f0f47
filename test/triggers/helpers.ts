import { VirtualAction, VirtualTimeScheduler } from 'rxjs'
import type { Clock } from '../../src-main/triggers/index.ts'

/**
 * Wall clock and timers under the test's control. `advance` moves both and fires the
 * timers that fall due, in order; `sleep` moves only the wall clock, as a suspended
 * machine does (monotonic timers do not run while it sleeps).
 */
export class TestClock implements Clock {
  readonly scheduler = new VirtualTimeScheduler(VirtualAction, Infinity)
  private jumped = 0

  constructor(start: number) {
    this.scheduler.frame = start
  }

  now = (): number => this.scheduler.frame + this.jumped

  advance(ms: number): void {
    const target = this.scheduler.frame + ms
    this.scheduler.maxFrames = target
    this.scheduler.flush()
    this.scheduler.frame = target
  }

  sleep(ms: number): void {
    this.jumped += ms
  }
}

/** A shell saved-task definition that runs without a shell. */
export const argv = (...command: string[]) => ({ spec: { kind: 'shell' as const, command } })
