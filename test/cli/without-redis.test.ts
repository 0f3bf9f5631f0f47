import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempHome } from '../support/engine.ts'
import { runCli, waitForOutput } from './helpers.ts'

/**
 * The commands that say what a pause or a stop does to runs on Redis workers ask `group.listRemote`.
 * A server that does not serve it (an engine opened without the Redis backend, or a Taskdeck older
 * than remote workers) binds no group to Redis: the commands still work, and `stop` still stops.
 */
describe('CLI against a real server without the Redis backend', () => {
  const dir = tempHome()
  const home = join(dir.home, 'home')
  const cli = (...args: string[]) => runCli(home, args, { cwd: dir.home })
  let server: ChildProcess
  let exited: Promise<number | null>

  beforeAll(async () => {
    server = spawn(process.execPath, [resolve(import.meta.dirname, '../support/serve-without-redis.ts'), home], { stdio: ['ignore', 'pipe', 'inherit'] })
    exited = new Promise((done) => server.on('exit', (code) => done(code)))
    await waitForOutput(server, 'ready')
  })
  afterAll(() => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL')
    dir.cleanup()
  })

  it('group list, pause --group and pause --all answer as for a server with no group on Redis', async () => {
    expect((await cli('group', 'list', '--json')).stdout).toContain('"bindings":[]')
    const paused = await cli('pause', '--group', 'default')
    expect([paused.code, paused.stdout]).toEqual([0, 'Group default paused: none of its tasks start, and its running shell tasks are stopped, until `taskdeck resume --group default`.\n'])
    expect((await cli('resume', '--group', 'default')).code).toBe(0)
    const all = await cli('pause', '--all')
    expect([all.code, all.stdout]).toEqual([0, 'Paused: no task starts, and running shell tasks are stopped, until `taskdeck resume --all`.\n'])
    expect((await cli('resume', '--all')).code).toBe(0)
  })

  it('stop names the task it interrupts and stops the server', async () => {
    expect((await cli('add', '-q', '--', 'sleep', '60')).stdout).toBe('1\n')
    for (let tries = 0; !(await cli('status', '--json')).stdout.includes('"status":"running"'); tries++) {
      if (tries > 200) throw new Error('task 1 never started')
      await new Promise((done) => setTimeout(done, 50))
    }
    const stopped = await cli('stop')
    expect(stopped.code).toBe(0)
    expect(stopped.stdout).toMatch(/^Stopped Taskdeck \(process \d+\)\.\nInterrupted \(it was running\): 1; `taskdeck retry 1` runs it again\.\n$/)
    expect(await exited).toBe(0)
    expect(existsSync(join(home, 'api.json'))).toBe(false)
  })
})
