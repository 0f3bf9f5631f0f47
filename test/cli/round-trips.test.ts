import type { ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EngineApi } from '../../src-main/engine/api.ts'
import { Engine } from '../../src-main/engine/engine.ts'
import { createServer, type TaskdeckServer } from '../../src-main/server/server.ts'
import { COMMANDS, type Run, type Task } from '../../src-shared/index.ts'
import { tempHome } from '../support/engine.ts'
import { collect, runCli, spawnCli } from './helpers.ts'

/** Resolves once the child wrote a whole line on stderr. */
function waitForStderrLine(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    let seen = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8')
      if (seen.includes('\n')) resolve()
    })
  })
}

/**
 * Real `taskdeck` processes against a real engine and server in a temp home, each command
 * counted on its way from the API session to the engine (how many requests a command costs).
 */
describe('CLI against a real server, every request counted', () => {
  const dir = tempHome()
  const home = join(dir.home, 'home')
  const calls: string[] = []
  let engine: Engine
  let server: TaskdeckServer
  const cli = (...args: string[]) => runCli(home, args, { cwd: dir.home })

  beforeAll(async () => {
    engine = await Engine.open({ home, statsIntervalMs: 0, killGraceMs: 500 })
    const counted: EngineApi = {
      handlers: new Proxy(engine.handlers, {
        get(target, name, receiver) {
          if (typeof name === 'string') calls.push(name)
          return Reflect.get(target, name, receiver) as unknown
        },
      }),
      subscribe: (since, listener, options) => engine.subscribe(since, listener, options),
      close: () => engine.close(),
    }
    server = await createServer({ engine: counted, home })
  })
  afterAll(async () => {
    await server.close()
    await engine.close()
    dir.cleanup()
  })
  beforeEach(() => {
    calls.length = 0
  })

  it('status beyond --limit lists the newest tasks in one task.list', async () => {
    // Named apart from every other test's tasks, and listed by that name only.
    for (const name of ['paged-one', 'paged-two', 'paged-three']) expect((await cli('add', '--stash', '--name', name, '--', 'true')).code).toBe(0)
    calls.length = 0
    const page = await cli('status', '--limit', '2', '--text', 'paged-', '--json')
    expect(page.code, page.stderr).toBe(0)
    const { tasks, total } = page.json<{ tasks: (Task & { lastRun: Run | null })[]; total: number }>()
    expect(tasks.map((task) => task.name)).toEqual(['paged-two', 'paged-three'])
    expect(total).toBe(3)
    expect(calls.filter((name) => name === 'task.list')).toHaveLength(1)
    // The page before the newest: offset counts from the newest end too.
    const before = await engine.handlers['task.list'](COMMANDS['task.list'].params.parse({ text: 'paged-', newest: true, limit: 2, offset: 1 }))
    expect(before.tasks.map((task) => task.name)).toEqual(['paged-one', 'paged-two'])
  })

  it('group limit changes an existing group in one group.set, and refuses an unknown one without creating it', async () => {
    expect((await cli('group', 'add', 'build', '--parallel', '2')).code).toBe(0)
    calls.length = 0
    const limited = await cli('group', 'limit', 'build', '3')
    expect(limited.code, limited.stderr).toBe(0)
    expect(limited.stdout).toBe('Group build: 3 at a time.\n')
    expect(calls).toEqual(['group.set'])

    const misspelt = await cli('group', 'limit', 'biuld', '3')
    expect(misspelt.code).toBe(1)
    expect(misspelt.stderr).toBe('taskdeck: There is no group "biuld" (create it with `taskdeck group add biuld --parallel 3`).\n')
    expect(calls).toEqual(['group.set', 'group.set'])
    expect((await engine.handlers['group.list']({})).groups.map((group) => group.name)).not.toContain('biuld')
  })

  it('kill naming a missing task changes none of them, and names every missing id', async () => {
    const kept = Number((await cli('add', '-q', '--stash', '--', 'true')).stdout.trim())
    const refused = await cli('kill', String(kept), '99998', '99999')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toBe('taskdeck: There is no task 99998; there is no task 99999.\n')
    expect((await engine.handlers['task.get']({ taskId: kept })).task.status).toBe('stashed')
    const json = await cli('kill', '99999', '--json')
    expect(JSON.parse(json.stderr)).toEqual({
      error: {
        code: 'not_found',
        message: 'There is no task 99999.',
        details: { reason: 'task-not-found', taskIds: [99999], issues: [{ path: 'taskIds.0', message: 'there is no task 99999' }] },
      },
    })
    expect((await cli('rm', String(kept))).code).toBe(1)
    expect((await cli('kill', String(kept))).code).toBe(0)
    expect((await cli('rm', String(kept))).code).toBe(0)
  })

  it('wait, kill and status refuse a group that does not exist (naming those that do) instead of passing for done or empty', async () => {
    for (const args of [['wait', '--group', 'biuld'], ['kill', '--group', 'biuld'], ['status', '--group', 'biuld']]) {
      const refused = await cli(...args)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(/^taskdeck: There is no group "biuld" \(the groups: default(, [\w-]+)*\)\.\n$/)
    }
    expect((await cli('group', 'add', 'idle')).code).toBe(0)
    expect((await cli('kill', '--group', 'idle')).stdout).toBe('No unfinished tasks in group idle.\n')
  })

  it('status --group of a removed group still lists the finished tasks it ran', async () => {
    // A group is removable once its tasks have finished; their history stays, and so must a way to list it.
    expect((await cli('group', 'add', 'retired')).code).toBe(0)
    const { task } = await engine.handlers['task.submit'](
      COMMANDS['task.submit'].params.parse({ definition: { name: 'retired-group-task', group: 'retired', spec: { kind: 'shell', command: ['true'] } } }),
    )
    expect((await cli('wait', String(task.id))).code).toBe(0)
    expect((await cli('group', 'rm', 'retired')).code).toBe(0)
    const listed = await cli('status', '--group', 'retired', '--json')
    expect(listed.code).toBe(0)
    expect((JSON.parse(listed.stdout) as { tasks: Task[] }).tasks.map((listedTask) => listedTask.id)).toEqual([task.id])
  })

  it('log of a failed attempt before a retry does not say the task failed', async () => {
    const { task } = await engine.handlers['task.submit'](
      COMMANDS['task.submit'].params.parse({ definition: { spec: { kind: 'shell', command: ['sh', '-c', 'exit 5'] }, retry: { maxAttempts: 2, backoffMs: 3_600_000 } } }),
    )
    // Waits, through the event stream, for the first attempt to end and the retry to be scheduled.
    await new Promise<void>((resolve) => {
      const subscription = engine.subscribe(0, (events) => {
        if (events.some((event) => event.type === 'task.updated' && event.task.id === task.id && event.task.waitingFor?.kind === 'backoff')) {
          queueMicrotask(() => subscription.dispose())
          resolve()
        }
      })
    })
    const log = await cli('log', String(task.id))
    expect(log.stderr).toBe(`Attempt 1 of task ${task.id} (now waiting) failed: exited with code 5\n`)
    expect((await cli('kill', String(task.id))).code).toBe(0)
    const final = await cli('log', String(task.id))
    expect(final.stderr).toBe(`Attempt 1 of task ${task.id} (now cancelled) failed: exited with code 5\n`)
    expect((await cli('rm', String(task.id))).code).toBe(0)
  })

  it('follow of a stashed task says that nothing starts it, then follows it once it is resumed', async () => {
    const id = Number((await cli('add', '-q', '--stash', '--', 'echo', 'resumed-output')).stdout.trim())
    const follower = spawnCli(home, ['follow', String(id)], { cwd: dir.home })
    const followed = collect(follower)
    await waitForStderrLine(follower)
    expect((await cli('resume', String(id))).code).toBe(0)
    const result = await followed
    expect(result.code).toBe(0)
    expect(result.stderr).toBe(`taskdeck: task ${id} is stashed: it starts only after \`taskdeck resume ${id}\`; waiting.\n`)
    expect(result.stdout).toBe('resumed-output\n')
    expect((await cli('rm', String(id))).code).toBe(0)
  })

  it('a bare taskdeck reads api.json once: to choose status and to connect', async () => {
    // Counts the CLI's reads of api.json from inside its process.
    const counter = join(dir.home, 'count-api-json-reads.mjs')
    writeFileSync(
      counter,
      [
        "import fs from 'node:fs'",
        "import { syncBuiltinESMExports } from 'node:module'",
        'const readFileSync = fs.readFileSync',
        'let reads = 0',
        "fs.readFileSync = function (path, ...rest) { if (String(path).endsWith('api.json')) reads++; return readFileSync.call(this, path, ...rest) }",
        'syncBuiltinESMExports()',
        "process.on('exit', () => process.stderr.write(`api.json reads: ${reads}\\n`))",
      ].join('\n'),
    )
    expect((await cli('add', '--stash', '--', 'true')).code).toBe(0)
    const { total } = await engine.handlers['task.list'](COMMANDS['task.list'].params.parse({ limit: 1 }))
    expect(total).toBeGreaterThan(0)
    calls.length = 0
    const bare = await runCli(home, ['--json'], { cwd: dir.home, env: { NODE_OPTIONS: `--import=${pathToFileURL(counter).href}` } })
    expect(bare.code, bare.stderr).toBe(0)
    expect(bare.json<{ total: number }>().total).toBe(total)
    expect(bare.stderr).toBe('api.json reads: 1\n')
    expect(calls.filter((name) => name === 'task.list')).toHaveLength(1)
  })
})
