import { readFileSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isFinished, type Run, type Task } from '../../src-shared/index.ts'
import { Engine } from '../../src-main/engine/engine.ts'
import { useTempHome } from '../support/engine.ts'
import { EngineProcess } from './process.ts'
import { seeded } from '../support/seeded.ts'

/**
 * The Jepsen-style total-queue check: submit unique tasks, SIGKILL the engine at random
 * moments (during submission, then while draining), restart, drain, and classify every
 * task as lost, duplicated or unexpected. At-least-once: a run may repeat after a crash
 * only for tasks marked retryOnInterrupt.
 */
const TASKS = 1000

const dir = useTempHome()

/** Each scenario kills first in its own phase: while submitting, while running, late in the drain. */
const FIRST_KILL_RANGES: Record<number, [number, number]> = { 1: [20, 400], 2: [400, 3000], 3: [3000, 5000] }

async function scenario(seed: number): Promise<void> {
  const random = seeded(seed)
  const effects = join(dir.home, 'effects')
  const token = (i: number) => `task-${seed}-${i}`
  const acknowledged = new Map<string, number>()
  const retryable = new Set<string>()

  // Phase 1: submit everything at once (pipelined) and kill at a random number of committed events.
  let child = new EngineProcess(dir.home)
  await child.until(() => child.ready)
  await child.request('group.set', { name: 'default', parallel: 16 })
  for (let i = 0; i < TASKS; i++) {
    const name = token(i)
    const retryOnInterrupt = i % 2 === 0
    if (retryOnInterrupt) retryable.add(name)
    void child
      .request('task.submit', {
        definition: { name, retryOnInterrupt, spec: { kind: 'shell', command: ['sh', '-c', 'echo "$1" >> "$2"', 'sh', name, effects] } },
      })
      .then((result) => {
        if (result.ok) acknowledged.set(name, (result.value as { task: Task }).task.id)
      })
  }
  const [low, high] = FIRST_KILL_RANGES[seed]!
  const firstKill = low + Math.floor(random() * (high - low))
  await child.until(() => child.events.length >= firstKill)
  await child.kill()

  // Phase 2: restart and kill again while it drains.
  child = new EngineProcess(dir.home)
  await child.until(() => child.ready)
  // After a crash the group starts paused (pending work not all retryOnInterrupt): the user resumes it.
  await child.request('group.resume', { name: 'default' })
  const secondKill = 20 + Math.floor(random() * 300)
  await child.until(() => child.events.length >= secondKill)
  await child.kill()

  // Phase 3: restart in this process and drain.
  const engine = await Engine.open({ home: dir.home, statsIntervalMs: 0 })
  try {
    await engine.handlers['group.resume']({ name: 'default' })
    const unfinished = async () => (await engine.handlers['task.list']({ limit: 100_000, offset: 0 })).tasks.filter((t) => !isFinished(t.status)).length
    let remaining = await unfinished()
    while (remaining > 0) {
      await new Promise((r) => setTimeout(r, 50))
      remaining = await unfinished()
    }
    const tasks = (await engine.handlers['task.list']({ limit: 100_000, offset: 0 })).tasks
    const byName = new Map(tasks.map((t) => [t.name, t]))
    const runsOf = async (task: Task): Promise<Run[]> => (await engine.handlers['task.get']({ taskId: task.id })).runs
    const effectCounts = new Map<string, number>()
    for (const line of readFileSync(effects, 'utf8').split('\n').filter(Boolean)) effectCounts.set(line, (effectCounts.get(line) ?? 0) + 1)

    const lost = [...acknowledged.keys()].filter((name) => !byName.has(name))
    const unexpected = [...effectCounts.keys()].filter((name) => !byName.has(name))
    const duplicated: string[] = []
    const wrong: string[] = []
    for (const task of tasks) {
      const runs = await runsOf(task)
      const done = effectCounts.get(task.name) ?? 0
      const succeeded = runs.filter((r) => r.status === 'succeeded').length
      if (succeeded > 1 || (done > 1 && !retryable.has(task.name)) || done > runs.length) duplicated.push(task.name)
      // Every task ends succeeded, or interrupted (a run caught by a crash, not marked retryOnInterrupt).
      if (task.status === 'succeeded' ? done < 1 : task.status !== 'interrupted' || retryable.has(task.name)) wrong.push(`${task.name}: ${task.status}`)
      if (acknowledged.has(task.name) && acknowledged.get(task.name) !== task.id) wrong.push(`${task.name}: id changed`)
    }
    const context = `seed ${seed}, kills after ${firstKill} and ${secondKill} events, ${acknowledged.size} acknowledged of ${TASKS}`
    expect({ lost, unexpected, duplicated, wrong }, context).toEqual({ lost: [], unexpected: [], duplicated: [], wrong: [] })
    expect(acknowledged.size, context).toBeGreaterThan(0)
    // The log has no gaps: seqs run 1, 2, 3, … up to the head.
    let expected = 1
    for (let page = await engine.handlers['events.read']({ since: 0, limit: 10_000 }); page.events.length > 0; page = await engine.handlers['events.read']({ since: expected - 1, limit: 10_000 })) {
      for (const event of page.events) expect(event.seq, context).toBe(expected++)
    }
    const statuses = tasks.reduce<Record<string, number>>((counts, t) => ({ ...counts, [t.status]: (counts[t.status] ?? 0) + 1 }), {})
    console.info(`${context}: ${JSON.stringify(statuses)}, ${[...effectCounts.values()].filter((n) => n > 1).length} repeated`)
  } finally {
    await engine.close()
  }
  const db = new DatabaseSync(join(dir.home, 'taskdeck.db'))
  try {
    expect(db.prepare('PRAGMA integrity_check').all()).toEqual([{ integrity_check: 'ok' }])
  } finally {
    db.close()
  }
}

describe('crash safety', () => {
  for (const seed of [1, 2, 3]) {
    it(`accounts for every accepted task exactly once after SIGKILLs (kill points from seed ${seed})`, async () => {
      await scenario(seed)
    }, 120_000)
  }
})
