import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnWorker, startRedis, until } from '../redis/harness.ts'
import type { RedisServer, WorkerProcess } from '../redis/harness.ts'
import { tempHome } from '../support/engine.ts'
import { runCli, startServe } from './helpers.ts'
import type { ServeProcess } from './helpers.ts'

const PASSWORD = 'cli-s3cret'

/** `taskdeck group bind/unbind/list` as a user types them, against `taskdeck serve` and real redis-servers. */
describe('taskdeck group bind / unbind', () => {
  let dir: ReturnType<typeof tempHome>
  let serve: ServeProcess
  let redis: RedisServer
  let evicting: RedisServer

  beforeAll(async () => {
    dir = tempHome()
    ;[redis, evicting] = await Promise.all([startRedis(['--requirepass', PASSWORD]), startRedis(['--maxmemory-policy', 'allkeys-lru'])])
    serve = await startServe(dir.home)
    expect((await runCli(dir.home, ['group', 'add', 'build', '--parallel', '3'])).code).toBe(0)
  })
  afterAll(async () => {
    await serve.stop()
    await Promise.all([redis.stop(), evicting.stop()])
    dir.cleanup()
  })

  it('binds a group with the password from stdin, lists it as remote, and never shows the password', async () => {
    const bound = await runCli(dir.home, ['group', 'bind', 'build', '--redis', redis.url, '--password-stdin'], { input: `${PASSWORD}\n` })
    expect(bound.stderr).toBe('')
    expect(bound.code).toBe(0)
    expect(bound.stdout).toContain(`Group build runs on ${redis.url} (connected).`)
    expect(bound.stdout).toContain(`taskdeck worker --redis ${redis.url} --group build`)

    const listed = await runCli(dir.home, ['group'])
    expect(listed.code).toBe(0)
    const rows = listed.stdout.trim().split('\n')
    expect(rows[0]).toMatch(/^GROUP\s+PARALLEL\s+STATE\s+RULES\s+ONLY WHEN\s+RUNS ON$/)
    expect(rows.find((r) => r.startsWith('build'))).toMatch(new RegExp(`^build\\s+3\\s+running\\s+-\\s+-\\s+${redis.url.replace(/[.:/]/g, '\\$&')} \\(connected\\)$`))
    expect(rows.find((r) => r.startsWith('default'))).toMatch(/this machine$/)

    const json = (await runCli(dir.home, ['group', '--json'])).json<{ bindings: { group: string; status: string; whenUnreachable: string }[] }>()
    expect(json.bindings).toEqual([expect.objectContaining({ group: 'build', status: 'connected', whenUnreachable: 'wait' })])
    for (const text of [bound.stdout, listed.stdout, JSON.stringify(json), readFileSync(join(dir.home, 'remote-groups.json'), 'utf8')]) {
      expect(text).not.toContain(PASSWORD)
    }

    // Rebinding with --local-slots makes it an overflow group.
    const overflow = await runCli(dir.home, ['group', 'bind', 'build', '--redis', redis.url, '--password-stdin', '--local-slots', '2'], { input: PASSWORD })
    expect(overflow.code).toBe(0)
    expect(overflow.stdout).toContain('Up to 2 of its runs at once run on this machine; the rest overflow to the workers.')
    expect((await runCli(dir.home, ['group'])).stdout).toContain(`this machine ×2, then ${redis.url} (connected)`)

    const unbound = await runCli(dir.home, ['group', 'unbind', 'build'])
    expect(unbound.code).toBe(0)
    expect(unbound.stdout).toContain('Group build runs on this machine again')
    expect((await runCli(dir.home, ['group', '--json'])).json<{ bindings: unknown[] }>().bindings).toEqual([])
    const again = await runCli(dir.home, ['group', 'unbind', 'build'])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('Group "build" is not bound to Redis.')
  })

  it("log and follow print Taskdeck's notes about a run on stderr: stdout holds only what the task wrote", async () => {
    expect((await runCli(dir.home, ['group', 'add', 'notes'])).code).toBe(0)
    const bound = await runCli(dir.home, ['group', 'bind', 'notes', '--redis', redis.url, '--password-stdin', '--local-slots', '1'], { input: PASSWORD })
    expect(bound.code, bound.stderr).toBe(0)
    try {
      await expectNotesOnStderr()
    } finally {
      expect((await runCli(dir.home, ['group', 'unbind', 'notes'])).code).toBe(0)
    }
  })

  async function expectNotesOnStderr(): Promise<void> {
    const added = await runCli(dir.home, ['add', '-q', '--group', 'notes', '--', 'echo', 'out'])
    const id = added.stdout.trim()
    const followed = await runCli(dir.home, ['follow', id])
    expect(followed.code).toBe(0)
    expect(followed.stdout).toBe('out\n')
    expect(followed.stderr).toContain('running in this app (local slot 1 of 1)')
    const log = await runCli(dir.home, ['log', id])
    expect(log.stdout).toBe('out\n')
    expect(log.stderr).toContain('running in this app (local slot 1 of 1)')
    // JSON keeps every line in order, each with its stream.
    const json = (await runCli(dir.home, ['log', id, '--json'])).json<{ lines: { stream: string }[] }>()
    expect(json.lines.map((line) => line.stream)).toEqual(['system', 'stdout'])
  }

  it('stop leaves a run on a Redis worker to it (not "interrupted"), and the next start follows it again', async () => {
    const home = join(dir.home, 'stop-remote')
    const daemon = await runCli(home, ['daemon', '--json'])
    expect(daemon.code, daemon.stderr).toBe(0)
    const pid = daemon.json<{ pid: number }>().pid
    let worker: WorkerProcess | null = null
    try {
      expect((await runCli(home, ['group', 'add', 'far'])).code).toBe(0)
      expect((await runCli(home, ['group', 'bind', 'far', '--redis', redis.url, '--password-stdin'], { input: PASSWORD })).code).toBe(0)
      worker = await spawnWorker(redis.url.replace('redis://', `redis://:${PASSWORD}@`), 'far')
      const marker = join(home, 'remote-started')
      const id = (await runCli(home, ['add', '-q', '--group', 'far', '--', 'sh', '-c', `touch ${marker}; sleep 300`])).stdout.trim()
      await until(() => existsSync(marker), 'the run to start on the worker')
      const stopped = await runCli(home, ['stop'])
      expect(stopped.code, stopped.stderr).toBe(0)
      expect(stopped.stdout).toBe(`Stopped Taskdeck (process ${pid}).\nLeft running on Redis workers: ${id}; Taskdeck follows them again when it starts.\n`)
      const again = await runCli(home, ['daemon', '--json'])
      expect(again.code, again.stderr).toBe(0)
      const status = (await runCli(home, ['status', '--json'])).json<{ tasks: { id: number; status: string }[] }>()
      expect(status.tasks.find((task) => String(task.id) === id)?.status).toBe('running')
      expect((await runCli(home, ['kill', id])).code).toBe(0)
    } finally {
      await worker?.stop()
      await runCli(home, ['stop'])
    }
    // Two daemon starts, a worker and a stop: well over the default 30 s on a loaded machine.
  }, 90_000)

  it('pause --group of a Redis-bound group says what happens there: no more runs go to the workers, and the runs they have go on', async () => {
    expect((await runCli(dir.home, ['group', 'add', 'away'])).code).toBe(0)
    expect((await runCli(dir.home, ['group', 'bind', 'away', '--redis', redis.url, '--password-stdin'], { input: PASSWORD })).code).toBe(0)
    const worker = await spawnWorker(redis.url.replace('redis://', `redis://:${PASSWORD}@`), 'away')
    try {
      const started = join(dir.home, 'away-started')
      const go = join(dir.home, 'away-go')
      const id = (await runCli(dir.home, ['add', '-q', '--group', 'away', '--', 'sh', '-c', `touch ${started}; while [ ! -e ${go} ]; do sleep 0.05; done; echo went on`])).stdout.trim()
      await until(() => existsSync(started), 'the run to start on the worker')

      const paused = await runCli(dir.home, ['pause', '--group', 'away'])
      expect(paused.code, paused.stderr).toBe(0)
      expect(paused.stdout).toBe(
        `Group away paused: no more of its tasks go to its Redis workers (${redis.url}); the runs the workers already have go on to their end (a run on a worker cannot be paused), until \`taskdeck resume --group away\`.\n`,
      )
      const all = await runCli(dir.home, ['pause', '--all'])
      expect(all.stdout).toBe(
        'Paused: no task starts, and running shell tasks on this machine are stopped; in groups bound to Redis (away), the runs the workers already have go on to their end, until `taskdeck resume --all`.\n',
      )
      // As said: the run on the worker was not stopped, and ends by itself.
      writeFileSync(go, '')
      const followed = await runCli(dir.home, ['follow', id])
      expect(followed.code).toBe(0)
      expect(followed.stdout).toBe('went on\n')
    } finally {
      await runCli(dir.home, ['resume', '--all'])
      await runCli(dir.home, ['resume', '--group', 'away'])
      await worker.stop()
      expect((await runCli(dir.home, ['group', 'unbind', 'away'])).code).toBe(0)
    }
  })

  it('refuses a Redis that may evict keys, saying why and how to fix it, and stores nothing', async () => {
    const refused = await runCli(dir.home, ['group', 'bind', 'build', '--redis', evicting.url])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('maxmemory-policy allkeys-lru')
    expect(refused.stderr).toContain('CONFIG SET maxmemory-policy noeviction')
    expect((await runCli(dir.home, ['group', '--json'])).json<{ bindings: unknown[] }>().bindings).toEqual([])
  })

  it('refuses bad input before contacting anything: a non-Redis URL, an unknown --when-unreachable, an unknown group', async () => {
    const http = await runCli(dir.home, ['group', 'bind', 'build', '--redis', 'http://example.com'])
    expect(http.code).toBe(2)
    expect(http.stderr).toContain('--redis: must be a redis:// or rediss:// URL')
    const policy = await runCli(dir.home, ['group', 'bind', 'build', '--redis', redis.url, '--when-unreachable', 'later'])
    expect(policy.code).toBe(2)
    expect(policy.stderr).toContain('--when-unreachable')
    const missing = await runCli(dir.home, ['group', 'bind', 'nope', '--redis', redis.url], { input: PASSWORD })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('There is no group "nope".')
  })
})
