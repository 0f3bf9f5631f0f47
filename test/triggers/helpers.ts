import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { VirtualAction, VirtualTimeScheduler } from 'rxjs'
import { expect } from 'vitest'
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

const DIES_AFTER_SUBMIT = fileURLToPath(new URL('./fixtures/dies-after-submit.ts', import.meta.url))

/** What the child of `runUntilKilled` runs (fixtures/dies-after-submit.ts says each). */
export interface DyingOptions {
  now?: number
  webhook?: { hookId: string; headers: Record<string, string>; body: string }
  remote?: boolean
  shortcut?: string
  touch?: string
  wake?: boolean
  fire?: { triggerId: number; idempotencyKey?: string }
}

/**
 * Runs the engine and its triggers in a child process on `home` (nothing else may have it open)
 * until a firing's task is submitted, and expects it killed right there (SIGKILL), before the
 * firing is recorded.
 */
export async function runUntilKilled(home: string, options: DyingOptions): Promise<void> {
  const child = spawn(process.execPath, [DIES_AFTER_SUBMIT, home, JSON.stringify(options)], { stdio: ['ignore', 'ignore', 'inherit'] })
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null]
  expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' })
}
