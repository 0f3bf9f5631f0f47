import { describe, expect, it } from 'vitest'
import type { Group, Task } from '../../src-shared/index.ts'
import { spawnCli, useServe } from './helpers.ts'

const serve = useServe()
const { cli } = serve

const groupOf = async (name: string) => (await cli('group', '--json')).json<{ groups: Group[] }>().groups.find((g) => g.name === name)
const statusOf = async (id: number) => (await cli('status', '--json')).json<{ tasks: Task[] }>().tasks.find((task) => task.id === id)?.status
const rowOf = (text: string, first: string) => text.split('\n').find((line) => line.startsWith(`${first} `))

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('taskdeck group … --rate / --pause-on-failure', () => {
  it('sets and removes a rate with one parser, and refuses a wrong one by name', async () => {
    const added = await cli('group', 'add', 'api', '--parallel', '2', '--rate', '100/h')
    expect(added.stderr).toBe('')
    expect(added.stdout).toBe('Group api: 2 at a time, at most 100/h starts.\n')
    expect((await groupOf('api'))?.rate).toEqual({ max: 100, perMs: 3_600_000 })
    expect((await cli('group', 'set', 'api', '--rate', '20/15m')).stdout).toBe('Group api: 2 at a time, at most 20/15m starts.\n')
    expect(rowOf((await cli('group')).stdout, 'api')).toMatch(/^api\s+2\s+running\s+20\/15m\s+-\s+this machine$/)

    const wrong = await cli('group', 'set', 'api', '--rate', '10 per minute')
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toBe('taskdeck: --rate: "10 per minute" is not a rate (examples: 10/m, 100/h, 5/s, 20/15m), or none.\n')
    const tooShort = await cli('group', 'set', 'api', '--rate', '0/s')
    expect(tooShort.code).toBe(2)
    expect(tooShort.stderr).toBe('taskdeck: --rate: "0/s": the count must be at least 1, or none.\n')
    expect((await groupOf('api'))?.rate).toEqual({ max: 20, perMs: 900_000 })

    expect((await cli('group', 'set', 'api', '--rate', 'none')).stdout).toBe('Group api: 2 at a time.\n')
    expect(await groupOf('api')).not.toHaveProperty('rate')
    const nothing = await cli('group', 'set', 'api')
    expect(nothing.code).toBe(2)
    expect(nothing.stderr).toContain('--rate or --pause-on-failure')
  })

  it('a failure pauses a --pause-on-failure group; group list and status say why; group resume clears it', async () => {
    expect((await cli('group', 'add', 'deploy', '--pause-on-failure')).stdout).toBe('Group deploy: 1 at a time, pauses when a task fails.\n')
    const failing = (await cli('add', '--group', 'deploy', '--json', '--', 'sh', '-c', 'exit 5')).json<{ task: Task }>().task
    await eventually(async () => (await groupOf('deploy'))?.paused === true, 'deploy to be paused')
    expect((await groupOf('deploy'))?.pausedFor).toMatchObject({ kind: 'failure', taskId: failing.id })
    const next = (await cli('add', '--group', 'deploy', '--json', '--', 'true')).json<{ task: Task }>().task

    const listed = (await cli('group')).stdout
    expect(rowOf(listed, 'deploy')).toMatch(new RegExp(`^deploy\\s+1\\s+paused: task #${failing.id} failed\\s+pause on failure\\s+-\\s+this machine$`))
    const status = await cli('status', '--group', 'deploy', '--wide')
    expect(status.stdout).toContain(`(group deploy is paused: task #${failing.id} failed)`)
    expect(await statusOf(next.id)).toBe('queued')

    const resumed = await cli('group', 'resume', 'deploy')
    expect(resumed.code, resumed.stderr).toBe(0)
    await eventually(async () => (await statusOf(next.id)) === 'succeeded', 'the next task to run once resumed')
    expect(await groupOf('deploy')).not.toHaveProperty('pausedFor')

    // --no-pause-on-failure turns it off: a failure then leaves the group running.
    expect((await cli('group', 'set', 'deploy', '--no-pause-on-failure')).stdout).toBe('Group deploy: 1 at a time.\n')
    const again = (await cli('add', '--group', 'deploy', '--json', '--', 'sh', '-c', 'exit 5')).json<{ task: Task }>().task
    await eventually(async () => (await statusOf(again.id)) === 'failed', 'the second failure')
    expect((await groupOf('deploy'))?.paused).toBe(false)
  })

  it('a task a rate of 1/h holds: status and follow say when its next slot opens, --json carries it', async () => {
    expect((await cli('group', 'add', 'hourly', '--rate', '1/h')).code).toBe(0)
    const first = (await cli('add', '--group', 'hourly', '--json', '--', 'true')).json<{ task: Task }>().task
    await eventually(async () => (await statusOf(first.id)) === 'succeeded', 'the first task of the hour to run')
    const second = (await cli('add', '--group', 'hourly', '--name', 'second of the hour', '--json', '--', 'true')).json<{ task: Task }>().task

    const status = await cli('status', '--group', 'hourly', '--wide')
    expect(status.code, status.stderr).toBe(0)
    // The next slot is an hour after the first start: some 59 minutes from now.
    expect(rowOf(status.stdout, String(second.id))).toMatch(/second of the hour {2}\(group hourly's rate limit \(1\/h\): next slot in \d+m\)$/)
    expect(rowOf(status.stdout, String(first.id))).not.toMatch(/rate limit/)
    const json = (await cli('status', '--group', 'hourly', '--json')).json<{ tasks: (Task & { rateLimited?: { max: number; perMs: number; until: number } })[] }>().tasks
    const held = json.find((task) => task.id === second.id)
    expect(held?.status).toBe('queued')
    expect(held?.rateLimited).toMatchObject({ max: 1, perMs: 3_600_000 })
    // The slot opens an hour after the hour's one start.
    const firstRun = json.find((task) => task.id === first.id) as unknown as { lastRun: { startedAt: number } }
    expect(held!.rateLimited!.until).toBe(firstRun.lastRun.startedAt + 3_600_000)
    expect(json.find((task) => task.id === first.id)).not.toHaveProperty('rateLimited')

    // follow says why nothing follows yet (the task is killed once the note is out).
    const follow = spawnCli(serve.home, ['follow', String(second.id)], { cwd: serve.work })
    let stderr = ''
    follow.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    await eventually(() => Promise.resolve(stderr.includes('has not started')), 'follow to say why the task has not started')
    expect(stderr).toMatch(new RegExp(`taskdeck: task ${second.id} has not started \\(queued: group hourly's rate limit \\(1/h\\): next slot in \\d+m\\)`))
    expect((await cli('kill', String(second.id))).code).toBe(0)
    follow.kill()
  })
})
