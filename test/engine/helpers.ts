import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TaskDefinitionSchema, type EngineEvent, type Task, type TaskDefinitionInput } from '../../src-shared/index.ts'
import { Engine, type EngineOptions } from '../../src-main/engine/engine.ts'

/** A temporary data directory, removed by `cleanup`. */
export function tempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), 'taskdeck-engine-'))
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) }
}

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

export const shell = (command: string | string[], extra: Partial<TaskDefinitionInput> = {}): TaskDefinitionInput => ({
  spec: { kind: 'shell', command },
  ...extra,
})

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

export async function waitFor(condition: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
