import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { processAlive } from '../../src-main/cli/daemon.ts'
import { PROTOCOL_VERSION } from '../../src-shared/index.ts'
import { PROTOCOL_VERSION as CLI_PROTOCOL_VERSION } from '../../src-main/cli/client.ts'
import { tempHome } from '../support/engine.ts'
import { BIN, cliEnv, collect, runCli } from './helpers.ts'

interface DaemonInfo {
  url: string
  browserUrl: string
  port: number
  pid: number
  home: string
  alreadyRunning: boolean
}

describe('taskdeck daemon, stop, --auto-start and an absent Taskdeck', () => {
  const dir = tempHome()
  const started: number[] = []
  afterAll(() => dir.cleanup())
  afterEach(() => {
    // Nothing a test started may outlive it.
    for (const pid of started.splice(0)) if (processAlive(pid)) process.kill(pid, 'SIGKILL')
  })

  it('the CLI speaks the contract protocol version', () => {
    expect(CLI_PROTOCOL_VERSION).toBe(PROTOCOL_VERSION)
  })

  it('prints its version and help with examples and exit codes', async () => {
    const home = join(dir.home, 'help')
    const version = await runCli(home, ['--version'])
    expect(version.code).toBe(0)
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version)
    const help = await runCli(home, ['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('taskdeck add -- make -j8 test')
    expect(help.stdout).toContain('Exit codes:')
    // Only the named subcommand is defined on a normal call; help, typos and global options still find theirs.
    const addHelp = await runCli(home, ['help', 'add'])
    expect(addHelp.stdout).toContain('--batch [mode]')
    expect(addHelp.stdout).toContain('--auto-start')
    // Commands that start or stop Taskdeck themselves do not offer to start it first.
    for (const command of ['serve', 'daemon', 'stop']) expect((await runCli(home, [command, '--help'])).stdout).not.toContain('--auto-start')
    const afterHome = await runCli(home, ['--home', home, 'trigger', 'add', '--help'])
    expect(afterHome.stdout).toContain('--cron <expr>')
    const typo = await runCli(home, ['--json', 'stauts'])
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain('(Did you mean status?)')
  })

  it('says Taskdeck is not running (exit 3) and suggests the daemon', async () => {
    const home = join(dir.home, 'absent')
    const plain = await runCli(home, ['status'])
    expect(plain.code).toBe(3)
    expect(plain.stderr).toContain('taskdeck daemon')
    const json = await runCli(home, ['add', '--json', '--', 'true'])
    expect(json.code).toBe(3)
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'unreachable' } })
    expect(json.stdout).toBe('')
  })

  it('a data directory that cannot be one (a file, or under a file) is a usage error naming where it came from', async () => {
    const file = join(dir.home, 'a-file')
    writeFileSync(file, '')
    const flag = await runCli(join(dir.home, 'unused'), ['status', '--home', file])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toBe(`taskdeck: --home: cannot use it as the data directory: EEXIST: file already exists, mkdir '${file}'\n`)
    const env = await runCli(join(file, 'below'), ['serve'])
    expect(env.code).toBe(2)
    expect(env.stderr).toBe(`taskdeck: TASKDECK_HOME: cannot use it as the data directory: ENOTDIR: not a directory, mkdir '${join(file, 'below')}'\n`)
  })

  it('serve and daemon on a Node.js without node:sqlite say what they need (exit 1) instead of a stack trace', async () => {
    const home = join(dir.home, 'no-sqlite')
    for (const command of ['serve', 'daemon']) {
      const refused = await collect(
        spawn(process.execPath, ['--no-experimental-sqlite', BIN, command], { env: cliEnv(home), stdio: ['ignore', 'pipe', 'pipe'] }),
      )
      expect(refused.code).toBe(1)
      expect(refused.stderr).toBe(
        `taskdeck ${command}: the engine needs node:sqlite, which this Node.js (${process.versions.node}, ${process.execPath}) does not offer: use Node.js 22.13 or newer.\n`,
      )
    }
    expect(existsSync(join(home, 'api.json'))).toBe(false)
  })

  it('treats a stale api.json (dead pid) as not running, and a corrupt one as unreachable', async () => {
    const home = join(dir.home, 'stale')
    await runCli(home, ['status'])
    writeFileSync(join(home, 'api.json'), JSON.stringify({ url: 'http://127.0.0.1:1/', port: 1, token: 't', pid: 2 ** 22 + 1, startedAt: 0 }))
    expect((await runCli(home, ['status'])).code).toBe(3)
    writeFileSync(join(home, 'api.json'), '{not json')
    const corrupt = await runCli(home, ['status'])
    expect(corrupt.code).toBe(3)
    expect(corrupt.stderr).toContain('api.json')
  })

  it('stop names the running tasks it interrupts (with the retry command) and says queued ones wait for the next start', async () => {
    const home = join(dir.home, 'stop-report')
    const daemon = await runCli(home, ['daemon', '--json'])
    expect(daemon.code, daemon.stderr).toBe(0)
    started.push(daemon.json<DaemonInfo>().pid)
    expect((await runCli(home, ['group', 'add', 'one', '--parallel', '1'])).code).toBe(0)
    const add = async (...args: string[]) => (await runCli(home, ['add', '-q', '--group', 'one', ...args])).stdout.trim()
    const running = await add('--', 'sleep', '300')
    const queued = await add('--', 'true')
    const heldBack = await add('--', 'true')
    expect((await runCli(home, ['pause', heldBack])).code).toBe(0)
    await vi.waitFor(async () => expect((await runCli(home, ['status'])).stdout).toMatch(new RegExp(`^${running} +running `, 'm')), { timeout: 20_000 })

    const stopped = await runCli(home, ['stop'])
    expect(stopped.code, stopped.stderr).toBe(0)
    expect(stopped.stdout).toBe(
      [
        `Stopped Taskdeck (process ${daemon.json<DaemonInfo>().pid}).`,
        `Interrupted (it was running): ${running}; \`taskdeck retry ${running}\` runs it again.`,
        '1 queued or waiting task waits for Taskdeck to run again (`taskdeck daemon`).',
        '',
      ].join('\n'),
    )
    const again = await runCli(home, ['daemon', '--json'])
    started.push(again.json<DaemonInfo>().pid)
    const rows = (await runCli(home, ['status', '--json'])).json<{ tasks: { id: number; status: string }[] }>().tasks
    expect(rows.find((task) => String(task.id) === running)?.status).toBe('interrupted')
    expect(rows.find((task) => String(task.id) === heldBack)?.status).toBe('paused')
    expect((await runCli(home, ['wait', queued])).code).toBe(0)
    expect((await runCli(home, ['stop', '--json'])).json()).toEqual({ stopped: again.json<DaemonInfo>().pid, interrupted: [] })
  })

  it('daemon starts in the background, answers, is found again, and stop ends it cleanly', async () => {
    const home = join(dir.home, 'daemon')
    const first = await runCli(home, ['daemon', '--json'])
    expect(first.code, first.stderr).toBe(0)
    const info = first.json<DaemonInfo>()
    started.push(info.pid)
    expect(info).toMatchObject({ alreadyRunning: false, home })
    expect(info.browserUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${info.port}/#token=`))
    expect(processAlive(info.pid)).toBe(true)
    expect(statSync(join(home, 'daemon.log')).mode & 0o777).toBe(0o600)

    const again = (await runCli(home, ['daemon', '--json'])).json<DaemonInfo>()
    expect(again).toMatchObject({ alreadyRunning: true, pid: info.pid })

    const added = await runCli(home, ['add', '-q', '--follow', '--', 'echo', 'from the daemon'])
    expect(added.stdout).toMatch(/from the daemon/)

    const serveAgain = await runCli(home, ['serve'])
    expect(serveAgain.code).toBe(1)
    expect(serveAgain.stderr).toContain('already runs')

    const stopped = await runCli(home, ['stop', '--json'])
    expect(stopped.json()).toEqual({ stopped: info.pid, interrupted: [] })
    expect(processAlive(info.pid)).toBe(false)
    expect(existsSync(join(home, 'api.json'))).toBe(false)
    expect(readFileSync(join(home, 'daemon.log'), 'utf8')).toContain('Stopping (SIGTERM)')
    expect((await runCli(home, ['stop'])).stdout).toContain('not running')
  })

  it('--auto-start starts the daemon when none runs', async () => {
    const home = join(dir.home, 'auto')
    const listed = await runCli(home, ['status', '--json', '--auto-start'])
    expect(listed.code, listed.stderr).toBe(0)
    // Noted before anything else is asserted: a failed assertion must not leave the daemon running.
    const info = JSON.parse(readFileSync(join(home, 'api.json'), 'utf8')) as { pid: number }
    started.push(info.pid)
    expect(listed.json()).toEqual({ tasks: [], total: 0, enginePaused: false })
    expect((await runCli(home, ['stop'])).code).toBe(0)
    expect(processAlive(info.pid)).toBe(false)
  })
})
