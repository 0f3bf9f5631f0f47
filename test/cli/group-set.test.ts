import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EngineApi } from '../../src-main/engine/api.ts'
import { Engine } from '../../src-main/engine/engine.ts'
import { createServer, type TaskdeckServer } from '../../src-main/server/server.ts'
import { COMMANDS } from '../../src-shared/index.ts'
import { tempHome } from '../support/engine.ts'
import { runCli } from './helpers.ts'

/**
 * `group set` / `group add` without --parallel against a real server. Its engine's `group.list` is wrapped so that,
 * when a test asks, another client changes a limit right after a listing: the moment a read-then-write would lose it.
 */
describe('taskdeck group set/add without --parallel', () => {
  const dir = tempHome()
  const home = join(dir.home, 'home')
  let engine: Engine
  let server: TaskdeckServer
  let afterNextListing: (() => Promise<unknown>) | null = null
  const cli = (...args: string[]) => runCli(home, args, { cwd: dir.home })
  const setGroup = (params: object) => engine.handlers['group.set'](COMMANDS['group.set'].params.parse(params))
  const limitOf = async (name: string) => (await engine.handlers['group.list']({})).groups.find((group) => group.name === name)?.parallel

  beforeAll(async () => {
    engine = await Engine.open({ home, statsIntervalMs: 0, killGraceMs: 500 })
    const interleaving: EngineApi = {
      handlers: {
        ...engine.handlers,
        'group.list': async (params) => {
          const listed = await engine.handlers['group.list'](params)
          const change = afterNextListing
          afterNextListing = null
          await change?.()
          return listed
        },
      },
      subscribe: (since, listener, options) => engine.subscribe(since, listener, options),
      close: () => engine.close(),
    }
    server = await createServer({ engine: interleaving, home })
  })
  afterAll(async () => {
    await server.close()
    await engine.close()
    dir.cleanup()
  })

  it('changes only the conditions: a limit another client set meanwhile stands', async () => {
    await setGroup({ name: 'nightly', parallel: 2 })
    afterNextListing = () => setGroup({ name: 'nightly', parallel: 7 })
    const set = await cli('group', 'set', 'nightly', '--only-when', 'ac-power')
    expect(set.code).toBe(0)
    // Whether or not the CLI listed the groups first, the limit set by the other client is the group's.
    if (afterNextListing !== null) await afterNextListing()
    afterNextListing = null
    expect(await limitOf('nightly')).toBe(7)
    expect((await engine.handlers['group.list']({})).groups.find((group) => group.name === 'nightly')).toMatchObject({ onlyWhen: ['ac-power'] })
  })

  it('group add keeps an existing group\'s limit, even one changed meanwhile, and gives a new group 1', async () => {
    await setGroup({ name: 'build', parallel: 3 })
    afterNextListing = () => setGroup({ name: 'build', parallel: 5 })
    const added = await cli('group', 'add', 'build', '--when-unmet', 'pause')
    expect(added.code).toBe(0)
    expect(await limitOf('build')).toBe(5)
    expect((await cli('group', 'add', 'fresh')).stdout).toBe('Group fresh: 1 at a time.\n')
  })

  it('for a missing group, suggests the command that creates it with the conditions given', async () => {
    const missing = await cli('group', 'set', 'nope', '--only-when', 'ac-power,user-idle', '--when-unmet', 'pause')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe('taskdeck: There is no group "nope" (create it with `taskdeck group add nope --parallel 1 --only-when ac-power,user-idle --when-unmet pause`).\n')
    expect((await cli('group', 'set', 'nope', '--parallel', '3', '--only-when', 'none')).stderr).toBe(
      'taskdeck: There is no group "nope" (create it with `taskdeck group add nope --parallel 3 --only-when none`).\n',
    )
  })

  it('notes, for user-idle on a server that knows no presence, that unknown counts as met and how to report it', async () => {
    await setGroup({ name: 'away', parallel: 1 })
    const note =
      'Note: this Taskdeck knows no user presence (nothing reports it, as on a headless server), and unknown counts as met: report it with `taskdeck machine report --idle` or `--present`.\n'
    const unknown = await cli('group', 'set', 'away', '--only-when', 'ac-power,user-idle')
    expect(unknown.code).toBe(0)
    expect(unknown.stdout).toBe('Group away: 1 at a time; only when ac-power and user-idle (running tasks go on while unmet).\n')
    expect(unknown.stderr).toBe(note)
    const json = await cli('group', 'set', 'away', '--only-when', 'user-idle', '--json')
    expect(JSON.parse(json.stdout)).toMatchObject({ group: { name: 'away', onlyWhen: ['user-idle'] } })
    expect(json.stderr).toBe(note)
    // Only user-idle asks for presence; once it is reported, nothing to note.
    expect((await cli('group', 'set', 'away', '--only-when', 'ac-power')).stderr).toBe('')
    await engine.handlers['machine.report']({ userIdle: false })
    expect((await cli('group', 'set', 'away', '--only-when', 'user-idle')).stderr).toBe('')
  })

  it('notes, for unmetered-network on a server that cannot tell, that unknown counts as met and how to report it', async () => {
    await setGroup({ name: 'downloads', parallel: 1 })
    const note =
      'Note: this Taskdeck cannot tell whether the network is metered (it asks NetworkManager on Linux and the connection cost on Windows; macOS says nothing), and unknown counts as met: report it with `taskdeck machine report --metered` or `--unmetered`.\n'
    await engine.handlers['machine.report']({ userIdle: false, networkMetered: null })
    const unknown = await cli('group', 'set', 'downloads', '--only-when', 'user-idle,unmetered-network')
    expect([unknown.code, unknown.stderr]).toEqual([0, note])
    await engine.handlers['machine.report']({ networkMetered: false })
    expect((await cli('group', 'set', 'downloads', '--only-when', 'unmetered-network')).stderr).toBe('')
  })
})
