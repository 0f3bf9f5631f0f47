import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '../../src-main/engine/engine.ts'
import { createServer, type TaskdeckServer } from '../../src-main/server/server.ts'
import { API_REVISION, API_REVISIONS, apiFilePath } from '../../src-main/server/api-file.ts'
import { COMMANDS } from '../../src-shared/index.ts'
import { tempHome } from '../support/engine.ts'
import { runCli } from './helpers.ts'

/** A real server whose engine runs without the triggers extension (as a bare engine does). */
describe('CLI against a server that lacks what it sends', () => {
  const dir = tempHome()
  const home = join(dir.home, 'home')
  let engine: Engine
  let server: TaskdeckServer
  const cli = (...args: string[]) => runCli(home, args, { cwd: dir.home })

  beforeAll(async () => {
    engine = await Engine.open({ home, statsIntervalMs: 0, killGraceMs: 500 })
    server = await createServer({ engine, home })
    await engine.handlers['group.set'](COMMANDS['group.set'].params.parse({ name: 'build', parallel: 2 }))
  })
  afterAll(async () => {
    await server.close()
    await engine.close()
    dir.cleanup()
  })

  it('a command the server knows but does not serve fails (exit 1) without asking for a restart', async () => {
    const refused = await cli('trigger', 'list')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toBe(
      'taskdeck: Command "trigger.list" is not served by this process. The running Taskdeck was started without the part that serves it; restarting it will not change that.\n',
    )
    const json = await cli('trigger', 'list', '--json')
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'unknown_command', details: { reason: 'not_served' } } })
  })

  it('status and group limit refuse (exit 3) a server whose api.json names no revision, before sending a field it would ignore', async () => {
    const written = readFileSync(apiFilePath(home), 'utf8')
    expect(JSON.parse(written)).toMatchObject({ apiRevision: API_REVISION })
    const { apiRevision: _dropped, ...older } = JSON.parse(written) as Record<string, unknown>
    writeFileSync(apiFilePath(home), JSON.stringify(older), { mode: 0o600 })
    try {
      const status = await cli('status')
      expect(status.code).toBe(3)
      expect(status.stderr).toBe(
        'taskdeck: status (the newest tasks first) needs API revision 2; the running Taskdeck has 1. The running Taskdeck is older than this taskdeck command: restart it (`taskdeck stop`, then `taskdeck daemon`, or quit and reopen the app).\n',
      )
      const limit = await cli('group', 'limit', 'build', '5')
      expect(limit.code).toBe(3)
      expect(limit.stderr).toContain('taskdeck: group limit (an existing group only) needs API revision 2; the running Taskdeck has 1.')
      expect((await engine.handlers['group.list']({})).groups.find((group) => group.name === 'build')?.parallel).toBe(2)
      const machine = await cli('machine')
      expect(machine.code).toBe(3)
      expect(machine.stderr).toContain('taskdeck: machine needs API revision 3; the running Taskdeck has 1.')
      // Commands that send nothing an older server would ignore go on as before.
      expect((await cli('add', '-q', '--stash', '--', 'true')).code).toBe(0)
    } finally {
      writeFileSync(apiFilePath(home), written, { mode: 0o600 })
    }
    expect((await cli('status')).code).toBe(0)
    expect((await cli('group', 'limit', 'build', '5')).code).toBe(0)
  })
  it('a server of revision 3 (machine conditions, no network) is not sent unmetered-network or a network report (exit 3), and keeps the other conditions', async () => {
    const written = readFileSync(apiFilePath(home), 'utf8')
    writeFileSync(apiFilePath(home), JSON.stringify({ ...(JSON.parse(written) as Record<string, unknown>), apiRevision: API_REVISIONS.machineConditions }), { mode: 0o600 })
    try {
      const set = await cli('group', 'set', 'build', '--only-when', 'ac-power,unmetered-network')
      expect([set.code, set.stderr]).toEqual([
        3,
        'taskdeck: --only-when unmetered-network needs API revision 4; the running Taskdeck has 3. The running Taskdeck is older than this taskdeck command: restart it (`taskdeck stop`, then `taskdeck daemon`, or quit and reopen the app).\n',
      ])
      const report = await cli('machine', 'report', '--ac', '--metered')
      expect(report.code).toBe(3)
      expect(report.stderr).toContain('taskdeck: --metered, --unmetered and --unknown-network needs API revision 4; the running Taskdeck has 3.')
      // Nothing was sent: neither the condition nor the power source of the refused report.
      expect((await engine.handlers['group.list']({})).groups.find((group) => group.name === 'build')?.onlyWhen).toBeUndefined()
      expect((await engine.handlers['machine.get']({})).machine.onAcPower).toBeNull()
      expect((await cli('group', 'set', 'build', '--only-when', 'ac-power')).code).toBe(0)
      expect((await cli('group', 'set', 'build', '--only-when', 'none')).code).toBe(0)
    } finally {
      writeFileSync(apiFilePath(home), written, { mode: 0o600 })
    }
  })

  it('a server of revision 6 (before group rules) is not sent --rate or --pause-on-failure (exit 3), and nothing changes', async () => {
    const written = readFileSync(apiFilePath(home), 'utf8')
    writeFileSync(apiFilePath(home), JSON.stringify({ ...(JSON.parse(written) as Record<string, unknown>), apiRevision: API_REVISIONS.idempotencyKeys }), { mode: 0o600 })
    try {
      for (const option of [['--rate', '10/m'], ['--pause-on-failure']]) {
        const set = await cli('group', 'set', 'build', ...option)
        expect([set.code, set.stderr]).toEqual([
          3,
          'taskdeck: --rate and --pause-on-failure needs API revision 7; the running Taskdeck has 6. The running Taskdeck is older than this taskdeck command: restart it (`taskdeck stop`, then `taskdeck daemon`, or quit and reopen the app).\n',
        ])
      }
      const build = (await engine.handlers['group.list']({})).groups.find((group) => group.name === 'build')
      expect(build).not.toHaveProperty('rate')
      expect(build).not.toHaveProperty('onFailure')
    } finally {
      writeFileSync(apiFilePath(home), written, { mode: 0o600 })
    }
  })
  it('a server of revision 11 (before tty) is not sent add --tty or edit --tty (exit 3); the current one adds a task on a terminal', async () => {
    const written = readFileSync(apiFilePath(home), 'utf8')
    const before = (await engine.handlers['task.list']({ limit: 1000, offset: 0 })).tasks.length
    writeFileSync(apiFilePath(home), JSON.stringify({ ...(JSON.parse(written) as Record<string, unknown>), apiRevision: API_REVISIONS.settingsExpect }), { mode: 0o600 })
    try {
      for (const args of [['add', '--tty', '--', 'ls'], ['add', '--batch', '--tty']]) {
        const add = await runCli(home, args, { cwd: dir.home, input: 'ls\n' })
        expect([add.code, add.stderr]).toEqual([
          3,
          'taskdeck: --tty needs API revision 12; the running Taskdeck has 11. The running Taskdeck is older than this taskdeck command: restart it (`taskdeck stop`, then `taskdeck daemon`, or quit and reopen the app).\n',
        ])
      }
      expect((await engine.handlers['task.list']({ limit: 1000, offset: 0 })).tasks.length).toBe(before)
    } finally {
      writeFileSync(apiFilePath(home), written, { mode: 0o600 })
    }
    const added = await cli('add', '-q', '--stash', '--tty', '--', 'ls', '--color=auto')
    expect(added.code).toBe(0)
    const { task } = await engine.handlers['task.get']({ taskId: Number(added.stdout.trim()) })
    expect(task.definition.spec).toMatchObject({ kind: 'shell', command: ['ls', '--color=auto'], tty: true })
    const untty = await cli('edit', String(task.id), '--no-tty')
    expect(untty.code).toBe(0)
    expect((await engine.handlers['task.get']({ taskId: task.id })).task.definition.spec).toMatchObject({ tty: false })
  })
})
