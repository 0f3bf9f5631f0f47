import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { TaskDefinitionSchema, type EngineEvent, type Task, type TaskDefinitionInput } from '../../src-shared/index.ts'
import { Engine, type EngineOptions } from '../../src-main/engine/engine.ts'

/** A temporary data directory, removed by `cleanup`. */
export function tempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), 'taskdeck-engine-'))
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) }
}

export type EngineHandle = Awaited<ReturnType<typeof openEngine>>

/** An engine in a temp home with a recorder of every event it announces. */
export async function openEngine(options: Partial<EngineOptions> & { home: string }) {
  const engine = await Engine.open({ statsIntervalMs: 0, killGraceMs: 500, ...options })
  const events: EngineEvent[] = []
  const waiters = new Set<() => void>()
  const subscription = engine.subscribe(0, (batch) => {
    events.push(...batch)
    for (const check of [...waiters]) check()
  })
  /** Resolves with the first recorded event that satisfies `predicate` (already seen or future). */
  const waitForEvent = <E extends EngineEvent>(predicate: (event: EngineEvent) => event is E) =>
    new Promise<E>((resolve) => {
      const check = () => {
        const found = events.find(predicate)
        if (found) {
          waiters.delete(check)
          resolve(found)
        }
      }
      waiters.add(check)
      check()
    })
  const submit = async (definition: TaskDefinitionInput): Promise<Task> =>
    (await engine.handlers['task.submit']({ definition: TaskDefinitionSchema.parse(definition) })).task
  /** Resolves with the task once it reaches one of `statuses`. */
  const until = async (taskId: number, statuses: Task['status'][]): Promise<Task> => {
    const event = await waitForEvent(
      (e): e is Extract<EngineEvent, { type: 'task.updated' }> => (e.type === 'task.updated' || e.type === 'task.created') && e.task.id === taskId && statuses.includes(e.task.status),
    )
    return event.task
  }
  const lines = async (runId: number) => (await engine.handlers['run.readLog']({ runId, fromLine: 0, count: 10_000 })).lines
  const close = async () => {
    subscription.dispose()
    await engine.close()
  }
  return { engine, events, waitForEvent, submit, until, lines, close }
}

export interface TempHomeFixture {
  /** This test's data directory. */
  readonly home: string
  /** Opens an engine (in this test's home unless `options.home` says otherwise); it is closed after the test. */
  open(options?: Partial<EngineOptions>): Promise<EngineHandle>
  /** One more temporary directory, removed after the test. */
  anotherHome(): string
}

/**
 * Gives every test of the file a fresh temp data directory; after the test, every engine
 * opened through the fixture is closed (newest first) and every directory removed.
 */
export function useTempHome(): TempHomeFixture {
  let homes: ReturnType<typeof tempHome>[] = []
  let opened: EngineHandle[] = []
  beforeEach(() => {
    homes = [tempHome()]
  })
  afterEach(async () => {
    for (const handle of opened.reverse()) await handle.close()
    opened = []
    for (const dir of homes) dir.cleanup()
    homes = []
  })
  return {
    get home() {
      return homes[0]!.home
    },
    async open(options = {}) {
      const handle = await openEngine({ home: homes[0]!.home, ...options })
      opened.push(handle)
      return handle
    },
    anotherHome() {
      const dir = tempHome()
      homes.push(dir)
      return dir.home
    },
  }
}

export type EngineFixture = EngineHandle &
  TempHomeFixture & {
    /** Closes the current engine and opens a new one on the same home (a clean restart), with other options if given. */
    reopen(options?: Partial<EngineOptions>): Promise<void>
  }

/**
 * An engine per test, opened before it in a fresh temp home and closed after it. The
 * fixture stands for the current engine, so a test that reopens it keeps using `t`.
 */
export function useEngine(options: Partial<EngineOptions> = {}): EngineFixture {
  const fixture = useTempHome()
  let current: EngineHandle | null = null
  beforeEach(async () => {
    current = await fixture.open(options)
  })
  const handle = () => {
    if (!current) throw new Error('useEngine: the engine is only open inside a test')
    return current
  }
  return {
    get home() {
      return fixture.home
    },
    open: (more) => fixture.open(more),
    anotherHome: () => fixture.anotherHome(),
    async reopen(more = {}) {
      await handle().close()
      current = await fixture.open({ ...options, ...more })
    },
    get engine() {
      return handle().engine
    },
    get events() {
      return handle().events
    },
    waitForEvent: (predicate) => handle().waitForEvent(predicate),
    submit: (definition) => handle().submit(definition),
    until: (taskId, statuses) => handle().until(taskId, statuses),
    lines: (runId) => handle().lines(runId),
    close: () => handle().close(),
  }
}
