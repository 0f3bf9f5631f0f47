import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '../../src-main/engine/engine.ts'
import type { CommandHandlers } from '../../src-main/engine/api.ts'
import { createServer, type TaskdeckServer } from '../../src-main/server/server.ts'
import { API_REVISIONS, apiFilePath } from '../../src-main/server/api-file.ts'
import { COMMANDS } from '../../src-shared/index.ts'
import { tempHome } from '../support/engine.ts'
import { runCli } from './helpers.ts'

/**
 * `taskdeck favourite add/rm/move` while another client changes the favourites: a real CLI process against a real
 * server, the other client's change made (through the engine's own settings.set) right after the CLI read the list and
 * before it writes it back, every time or once. Deterministic: the interleaving is the engine answering the CLI's read.
 */
describe('taskdeck favourite while another client changes the favourites', () => {
  const dir = tempHome()
  const home = join(dir.home, 'home')
  let engine: Engine
  let server: TaskdeckServer
  let original: CommandHandlers['settings.get']
  const cli = (...args: string[]) => runCli(home, args, { cwd: dir.home })
  const handlers = () => engine.handlers as Record<string, unknown>
  const ids: number[] = []
  const setFavourites = (favourites: number[]) => engine.handlers['settings.set'](COMMANDS['settings.set'].params.parse({ patch: { favourites } }))
  const favourites = async () => (await engine.handlers['settings.get']({})).settings.favourites

  /** After the engine answers the CLI's read of the settings (the first `times` of them), another client changes the favourites with `change`. */
  const otherClientAfterRead = (times: number, change: (favourites: readonly number[]) => number[]) => {
    let reads = 0
    handlers()['settings.get'] = async (params: Record<string, never>) => {
      const answer = await original(params)
      if (reads++ < times) await setFavourites(change(answer.settings.favourites))
      return answer
    }
  }

  beforeAll(async () => {
    engine = await Engine.open({ home, statsIntervalMs: 0, killGraceMs: 500 })
    server = await createServer({ engine, home })
    original = engine.handlers['settings.get']
    for (const name of ['build', 'test', 'deploy', 'lint']) {
      const { task } = await engine.handlers['task.submit'](COMMANDS['task.submit'].params.parse({ definition: { name, spec: { kind: 'shell', command: ['true'] }, stashed: true } }))
      ids.push(task.id)
    }
  })
  afterEach(async () => {
    handlers()['settings.get'] = original
    await setFavourites([])
  })
  afterAll(async () => {
    await server.close()
    await engine.close()
    dir.cleanup()
  })

  it('add: the other client’s favourite added meanwhile is kept, and this one is added after it', async () => {
    const [build, test] = ids as [number, number]
    otherClientAfterRead(1, (list) => [...list, test])
    const added = await cli('favourite', 'add', String(build), '--json')
    expect(added.code, added.stderr).toBe(0)
    expect(added.json()).toEqual({ favourites: [test, build] })
    expect(await favourites()).toEqual([test, build])
  })

  it('rm and move: applied again to the list as the other client left it', async () => {
    const [build, test, deploy, lint] = ids as [number, number, number, number]
    await setFavourites([build, test, deploy])
    otherClientAfterRead(1, (list) => [...list, lint])
    const removed = await cli('favourite', 'rm', String(test))
    expect(removed.code, removed.stderr).toBe(0)
    expect(await favourites()).toEqual([build, deploy, lint])

    otherClientAfterRead(1, (list) => list.filter((id) => id !== build))
    const moved = await cli('favourite', 'move', String(lint), '1')
    expect(moved.code, moved.stderr).toBe(0)
    expect(moved.stdout).toBe(`Task ${lint} is favourite 1.\n`)
    expect(await favourites()).toEqual([lint, deploy])
  })

  it('a change the list no longer allows after the other client’s (it removed the same task) is refused by name, exit 1', async () => {
    const [build, test] = ids as [number, number]
    await setFavourites([build, test])
    otherClientAfterRead(1, (list) => list.filter((id) => id !== test))
    const removed = await cli('favourite', 'rm', String(test))
    expect([removed.code, removed.stderr]).toEqual([1, `taskdeck: Task ${test} is not a favourite (see \`taskdeck favourite list\`).\n`])
    expect(await favourites()).toEqual([build])
  })

  it('a list changed again while the change is applied once more: refused (exit 1, conflict) saying so, nothing of its own written', async () => {
    const [build, test, deploy] = ids as [number, number, number]
    await setFavourites([build])
    const others = [test, deploy]
    otherClientAfterRead(2, (list) => [...list, others.shift()!])
    const added = await cli('favourite', 'add', String(ids[3]))
    expect(added.code).toBe(1)
    expect(added.stderr).toBe(
      `taskdeck: The favourites changed twice while this change was made (another window or command is changing them now); nothing was changed. They are now: ${build}, ${test}, ${deploy}. Run the command again.\n`,
    )
    expect(await favourites()).toEqual([build, test, deploy])
    otherClientAfterRead(2, (list) => [...list.slice(1), list[0]!])
    const json = await cli('favourite', 'rm', String(build), '--json')
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'conflict' } })
  })

  it('a server before API revision 11 is sent no expectation: the list is written whole, as before (the last writer wins)', async () => {
    const [build, test] = ids as [number, number]
    const written = readFileSync(apiFilePath(home), 'utf8')
    writeFileSync(apiFilePath(home), JSON.stringify({ ...(JSON.parse(written) as Record<string, unknown>), apiRevision: API_REVISIONS.settingsExpect - 1 }), { mode: 0o600 })
    const sent: unknown[] = []
    const set = engine.handlers['settings.set']
    handlers()['settings.set'] = (params: unknown) => (sent.push(params), set(params as never))
    try {
      otherClientAfterRead(1, (list) => [...list, test])
      const added = await cli('favourite', 'add', String(build))
      expect(added.code, added.stderr).toBe(0)
      // The CLI's write is the last one sent; it carried no `expect`, so it replaced the other client's list.
      expect(sent.at(-1)).toEqual({ patch: { favourites: [build] } })
      expect(await favourites()).toEqual([build])
    } finally {
      handlers()['settings.set'] = set
      writeFileSync(apiFilePath(home), written, { mode: 0o600 })
    }
  })
})
