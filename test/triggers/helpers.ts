import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VirtualAction, VirtualTimeScheduler } from 'rxjs'
import { COMMANDS, type CommandInput, type CommandResult, type EngineEvent, type Firing } from '../../src-shared/index.ts'
import { Engine } from '../../src-main/engine/engine.ts'
import { createTriggers, type Clock, type TriggerCommandName, type Triggers, type TriggersOptions } from '../../src-main/triggers/index.ts'

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

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `taskdeck-${prefix}-`))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** Every event the engine announces, and a way to wait until they contain what a test expects. */
export class EventLog {
  readonly events: EngineEvent[] = []
  private readonly waiters = new Set<() => void>()

  push(event: EngineEvent): void {
    this.events.push(event)
    for (const waiter of [...this.waiters]) waiter()
  }

  /** Resolves with the first non-undefined value of `probe` over the events seen so far (and as they come). */
  until<T>(probe: (events: readonly EngineEvent[]) => T | undefined): Promise<T> {
    return new Promise((resolve) => {
      const check = (): void => {
        const value = probe(this.events)
        if (value === undefined) return
        this.waiters.delete(check)
        resolve(value)
      }
      this.waiters.add(check)
      check()
    })
  }

  firings(triggerId?: number): Firing[] {
    return this.events.flatMap((e) => (e.type === 'trigger.fired' && (triggerId === undefined || e.firing.triggerId === triggerId) ? [e.firing] : []))
  }

  /** Waits until `count` firings of the trigger (all triggers when omitted) have been recorded. */
  untilFirings(count: number, triggerId?: number): Promise<Firing[]> {
    return this.until(() => {
      const firings = this.firings(triggerId)
      return firings.length >= count ? firings : undefined
    })
  }

  /** Waits until the task has finished and returns its final status. */
  untilFinished(taskId: number): Promise<string> {
    return this.until((events) => {
      for (const e of events) {
        if ((e.type === 'task.updated' || e.type === 'task.created') && e.task.id === taskId && ['succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted'].includes(e.task.status)) {
          return e.task.status
        }
      }
      return undefined
    })
  }
}

export interface World {
  engine: Engine
  triggers: Triggers
  log: EventLog
  /** Calls a trigger command the way a transport does: params validated (defaults filled) by the contract first. */
  call<N extends TriggerCommandName>(name: N, params: CommandInput<N>): Promise<CommandResult<N>>
  close(): Promise<void>
}

export async function openWorld(home: string, options: TriggersOptions = {}): Promise<World> {
  const engine = await Engine.open({ home, statsIntervalMs: 0, killGraceMs: 500 })
  const log = new EventLog()
  const listening = engine.host.onEvent((event) => log.push(event))
  const triggers = createTriggers(engine.host, options)
  return {
    engine,
    triggers,
    log,
    call: (name, params) => {
      const handler = triggers.handlers[name] as (p: unknown) => Promise<CommandResult<typeof name>>
      return handler(COMMANDS[name].params.parse(params))
    },
    close: async () => {
      await triggers.dispose()
      listening.dispose()
      await engine.close()
    },
  }
}

/** A shell saved-task definition that runs without a shell. */
export const argv = (...command: string[]) => ({ spec: { kind: 'shell' as const, command } })
