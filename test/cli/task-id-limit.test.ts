import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '../../src-main/engine/engine.ts'
import { createServer, type TaskdeckServer } from '../../src-main/server/server.ts'
import { COMMANDS, LIMITS } from '../../src-shared/index.ts'
import { tempHome } from '../support/engine.ts'
import { runCli } from './helpers.ts'

/**
 * One task.cancel (etc.) is applied to all its tasks or, refused, to none. A CLI call naming
 * more tasks than one request takes is refused whole, not split into requests of which the
 * earlier ones would stay applied when a later one is refused.
 */
describe('CLI actions on more tasks than one request takes', () => {
  const dir = tempHome()
  const home = join(dir.home, 'home')
  let engine: Engine
  let server: TaskdeckServer
  let taskIds: number[] = []
  const cli = (...args: string[]) => runCli(home, args, { cwd: dir.home })
  const stashedCount = async () => (await engine.handlers['task.list'](COMMANDS['task.list'].params.parse({ status: ['stashed'], limit: 1 }))).total

  beforeAll(async () => {
    engine = await Engine.open({ home, statsIntervalMs: 0, killGraceMs: 500 })
    server = await createServer({ engine, home })
    await engine.handlers['group.set'](COMMANDS['group.set'].params.parse({ name: 'many', parallel: 1 }))
    const definition = { group: 'many', spec: { kind: 'shell', command: ['true'] }, stashed: true }
    for (let stored = 0; stored <= LIMITS.taskIdsPerCommand; stored += LIMITS.submitManyCount) {
      const count = Math.min(LIMITS.submitManyCount, LIMITS.taskIdsPerCommand + 1 - stored)
      const { tasks } = await engine.handlers['task.submitMany'](COMMANDS['task.submitMany'].params.parse({ definitions: Array.from({ length: count }, () => definition) }))
      taskIds.push(...tasks.map((task) => task.id))
    }
  })
  afterAll(async () => {
    await server.close()
    await engine.close()
    dir.cleanup()
    taskIds = []
  })

  it('kill naming one id more than the limit, the last one missing, cancels none', async () => {
    const named = [...taskIds.slice(0, LIMITS.taskIdsPerCommand), 999_999]
    const refused = await cli('kill', named.join(','))
    expect(refused.code).toBe(2)
    expect(refused.stderr).toBe(
      `taskdeck: ${LIMITS.taskIdsPerCommand + 1} tasks named; one call changes at most ${LIMITS.taskIdsPerCommand}, all or none. Nothing was changed: name at most ${LIMITS.taskIdsPerCommand} per call.\n`,
    )
    expect(await stashedCount()).toBe(LIMITS.taskIdsPerCommand + 1)
  })

  it('kill --group with more unfinished tasks than the limit cancels none, and says how to go on', async () => {
    const refused = await cli('kill', '--group', 'many')
    expect(refused.code).toBe(2)
    expect(refused.stderr).toBe(
      `taskdeck: ${LIMITS.taskIdsPerCommand + 1} unfinished tasks in group many; one kill cancels at most ${LIMITS.taskIdsPerCommand}, all or none. Nothing was cancelled: kill them by id, at most ${LIMITS.taskIdsPerCommand} per call (\`taskdeck status --json\` lists them).\n`,
    )
    expect(await stashedCount()).toBe(LIMITS.taskIdsPerCommand + 1)
    // Exactly the limit goes as one request.
    const killed = await cli('kill', taskIds.slice(0, LIMITS.taskIdsPerCommand).join(','), '--json')
    expect(killed.code, killed.stderr).toBe(0)
    expect(killed.json<{ affected: number[] }>().affected).toHaveLength(LIMITS.taskIdsPerCommand)
    expect(await stashedCount()).toBe(1)
  })
})
