import { afterAll, describe, expect, it } from 'vitest'
import type { Run, Task } from '../../src-shared/index.ts'
import { tempHome } from '../support/engine.ts'
import { collect, processesWithArgument, runCli, spawnCli, startServe, waitForOutput, type ServeProcess } from './helpers.ts'

type TaskRow = Task & { lastRun: Run | null }

/**
 * Durability as a user sees it: `kill -9` of `taskdeck serve` while a task runs and another
 * waits, then `taskdeck serve` again on the same home.
 */
describe('taskdeck serve killed with SIGKILL, then started again', () => {
  const dir = tempHome()
  const servers: ServeProcess[] = []
  afterAll(async () => {
    for (const serve of servers) await serve.stop()
    // Only if the test failed before the restarted engine killed it.
    for (const pid of processesWithArgument('987655')) process.kill(pid, 'SIGKILL')
    dir.cleanup()
  })
  const cli = (...args: string[]) => runCli(dir.home, args)
  const start = async () => {
    const serve = await startServe(dir.home)
    servers.push(serve)
    return serve
  }

  it('keeps the history, shows the interrupted run honestly, kills its leftovers, and runs what was queued once its group, paused after the crash, is resumed', async () => {
    const first = await start()
    expect((await cli('group', 'add', 'one', '--parallel', '1')).code).toBe(0)
    // A distinctive argument, so the test can tell whether this very process survived.
    const running = Number((await cli('add', '-q', '-g', 'one', '--', 'sh', '-c', 'echo started; exec sleep 987655')).stdout)
    const queued = Number((await cli('add', '-q', '-g', 'one', '--', 'echo', 'after the crash')).stdout)
    const follower = spawnCli(dir.home, ['follow', String(running)])
    const followed = collect(follower)
    await waitForOutput(follower, 'started')

    first.child.kill('SIGKILL')
    const lost = await followed
    expect(lost.code).toBe(3)
    expect(lost.stderr).toBe('taskdeck: Lost the connection to Taskdeck: it stopped or crashed. Its tasks are in `taskdeck status` once it runs again.\n')
    const down = await cli('status')
    expect(down.code).toBe(3)
    expect(down.stderr).toContain('Taskdeck is not running')

    await start()
    const rows = (await cli('status', '--json')).json<{ tasks: TaskRow[] }>().tasks
    expect(rows.find((row) => row.id === running)).toMatchObject({
      status: 'interrupted',
      lastRun: { status: 'interrupted', reason: 'Taskdeck stopped while this run was running' },
    })
    expect(processesWithArgument('987655')).toEqual([])
    expect((await cli('log', String(running))).stdout).toBe('started\n')
    // Its group had pending work: it starts paused after the crash, says so, and goes on once resumed.
    const status = await cli('status')
    expect(status.stdout).toContain('group one was paused after a crash')
    expect(status.stdout).toContain('Paused after a crash (they had pending work): group one. `taskdeck group resume one` lets it go on.')
    expect((await cli('group', 'list')).stdout).toMatch(/one\s+1\s+paused after a crash/)
    expect((await cli('group', 'resume', 'one')).code).toBe(0)
    const after = await cli('follow', String(queued))
    expect(after.code).toBe(0)
    expect(after.stdout).toBe('after the crash\n')
    const wait = await cli('wait', String(running))
    expect(wait.code).toBe(1)
    expect(wait.stdout).toContain('interrupted')
  })

  it('takes many CLI invocations at once: each task added once, with its own id', async () => {
    const added = await Promise.all(Array.from({ length: 12 }, (_, i) => cli('add', '-q', '--stash', '--name', `parallel-${i}`, '--', 'true')))
    expect(added.map((result) => result.code)).toEqual(added.map(() => 0))
    const ids = added.map((result) => Number(result.stdout))
    expect(new Set(ids).size).toBe(12)
    const names = (await cli('status', '--json', '--status', 'stashed')).json<{ tasks: TaskRow[] }>().tasks.map((task) => task.name)
    expect(names.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `parallel-${i}`).sort())
  })
})
