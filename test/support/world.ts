import { afterEach, beforeEach } from 'vitest'
import { COMMANDS, type CommandInput, type CommandResult, type EngineEvent, type Firing } from '../../src-shared/index.ts'
import { Engine } from '../../src-main/engine/engine.ts'
import type { EngineExtensionHost } from '../../src-main/engine/host.ts'
import { createTriggers, type TriggerCommandName, type Triggers, type TriggersOptions } from '../../src-main/triggers/index.ts'
import { useTempHome } from './engine.ts'

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

/** The engine with its triggers: what the app runs, without a transport. */
export interface World {
  engine: Engine
  triggers: Triggers
  log: EventLog
  /** Calls a trigger command the way a transport does: params validated (defaults filled) by the contract first. */
  call<N extends TriggerCommandName>(name: N, params: CommandInput<N>): Promise<CommandResult<N>>
  close(): Promise<void>
}

/** What the triggers get instead of the engine's own host: the same host, with a test's hold or probe around a call. */
export type HostWrapper = (host: EngineExtensionHost) => EngineExtensionHost

export async function openWorld(home: string, options: TriggersOptions = {}, wrapHost: HostWrapper = (host) => host): Promise<World> {
  const engine = await Engine.open({ home, statsIntervalMs: 0, killGraceMs: 500 })
  const log = new EventLog()
  const listening = engine.host.onEvent((event) => log.push(event))
  const triggers = createTriggers(wrapHost(engine.host), options)
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

/** The current world of a test; `close` closes it (if open), so a test can restart the app with `close` then `open`. */
export interface WorldFixture extends World {
  /** This test's data directory. */
  readonly home: string
  /** Opens the world on this test's home with the file's options, or these instead where given (and the triggers' host wrapped, where given). */
  open(options?: TriggersOptions, wrapHost?: HostWrapper): Promise<void>
  /** Runs `work` on the engine alone in this test's home (no triggers listening, as an older version or a plain `taskdeck serve`); the world must be closed. */
  withEngineOnly<T>(work: (engine: Engine) => Promise<T>): Promise<T>
  /** One more temporary directory, removed after the test. */
  anotherDir(): string
}

/**
 * A world per test in a fresh temp home, opened before the test (unless `openBeforeEach` is
 * false: the test opens it) and closed after it with its directories removed. `options` may be
 * a function, read when the world opens, for values made per test (a TestClock).
 */
export function useWorld(options: TriggersOptions | (() => TriggersOptions) = {}, { openBeforeEach = true } = {}): WorldFixture {
  const dirs = useTempHome()
  const optionsNow = () => (typeof options === 'function' ? options() : options)
  let current: World | null = null
  const world = (): World => {
    if (!current) throw new Error('useWorld: no world is open (open it inside the test)')
    return current
  }
  const open = async (more: TriggersOptions = {}, wrapHost?: HostWrapper) => {
    if (current) throw new Error('useWorld: the world is already open (close it first)')
    current = await openWorld(dirs.home, { ...optionsNow(), ...more }, wrapHost)
  }
  const close = async () => {
    const closing = current
    current = null
    await closing?.close()
  }
  if (openBeforeEach) beforeEach(() => open())
  afterEach(close)
  return {
    get home() {
      return dirs.home
    },
    get engine() {
      return world().engine
    },
    get triggers() {
      return world().triggers
    },
    get log() {
      return world().log
    },
    call: (name, params) => world().call(name, params),
    open,
    close,
    async withEngineOnly(work) {
      if (current) throw new Error('useWorld: close the world before opening its engine alone')
      const engine = await Engine.open({ home: dirs.home, statsIntervalMs: 0, killGraceMs: 500 })
      try {
        return await work(engine)
      } finally {
        await engine.close()
      }
    },
    anotherDir: () => dirs.anotherHome(),
  }
}
