import type { ChildProcess } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import type { SavedTask, Task } from '../../src-shared/index.ts'
import { collect, spawnCli, useServe, waitForOutput } from './helpers.ts'

/** Resolves once the child has written `text` on stderr. */
function waitForStderr(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8')
      if (seen.includes(text)) resolve()
    })
    child.once('exit', () => reject(new Error(`exited before writing ${JSON.stringify(text)} on stderr; wrote: ${seen}`)))
  })
}

/** A bare `taskdeck follow` (pueue's follow, `tsp -t`) and task names made from argv, against a real `taskdeck serve`. */
describe('taskdeck follow without an id; names shown as a shell user types them', () => {
  const serve = useServe()
  const { home, cli } = serve
  const addQuiet = async (...args: string[]): Promise<number> => {
    const result = await cli('add', '-q', ...args)
    expect(result.code, result.stderr).toBe(0)
    return Number(result.stdout.trim())
  }
  const tasks = async (): Promise<Task[]> => (await cli('status', '--json')).json<{ tasks: Task[] }>().tasks
  /** Polls the task list (each poll a real `status`) until all these tasks run. */
  const untilRunning = async (...ids: number[]): Promise<void> => {
    for (;;) {
      const listed = await tasks()
      if (ids.every((id) => listed.find((task) => task.id === id)?.status === 'running')) return
    }
  }

  // First: a fresh home has nothing to follow.
  it('with no task running, queued or waiting, says there is nothing to follow (exit 1)', async () => {
    const followed = await cli('follow')
    expect(followed.code).toBe(1)
    expect(followed.stderr).toContain('Nothing to follow')
    expect(followed.stdout).toBe('')
  })

  it('follows the only running task', async () => {
    const id = await addQuiet('--', 'sh', '-c', 'echo ready; read line; echo "got $line"; exit 4')
    await untilRunning(id)
    const follower = spawnCli(home, ['follow'])
    const done = collect(follower)
    await waitForOutput(follower, 'ready')
    expect((await cli('send', String(id), 'hello')).code).toBe(0)
    const followed = await done
    expect(followed.stdout).toBe('ready\ngot hello\n')
    expect(followed.code).toBe(4)
  })

  it('with several running, lists them (id and name) and exits 2', async () => {
    const first = await addQuiet('--', 'sh', '-c', 'read line')
    const second = await addQuiet('--', 'sh', '-c', 'read line # second')
    try {
      await untilRunning(first, second)
      const followed = await cli('follow')
      expect(followed.code).toBe(2)
      expect(followed.stdout).toBe('')
      expect(followed.stderr).toContain(`several tasks are running: ${first} (sh -c 'read line'), ${second} (sh -c 'read line # second'); give one: taskdeck follow ID`)
    } finally {
      await cli('send', String(first), 'x')
      await cli('send', String(second), 'x')
      expect((await cli('wait', String(first), String(second))).code).toBe(0)
    }
  })

  it('with none running, follows the newest queued or waiting task and says which, once', async () => {
    await addQuiet('--delay', '1h', '--', 'echo', 'older')
    const newest = await addQuiet('--delay', '1h', '--', 'echo', 'newest one')
    const follower = spawnCli(home, ['follow'])
    const done = collect(follower)
    await waitForStderr(follower, `task ${newest}`)
    expect((await cli('kill', String(newest))).code).toBe(0)
    const followed = await done
    const note = `taskdeck: no task is running; following the newest waiting one, task ${newest} (echo 'newest one').\n`
    expect(followed.stderr.startsWith(note), followed.stderr).toBe(true)
    expect(followed.stderr.split(note)).toHaveLength(2)
    expect(followed.code).toBe(1)
    await cli('kill', '--all')
  })

  it("names an argv task as a shell user would type it back; a --shell task's name stays its text", async () => {
    const argv = await addQuiet('--stash', '--', 'echo', 'a | b', "it's", '', '안녕')
    const plain = await addQuiet('--stash', '--', 'make', 'test')
    const shell = await addQuiet('--stash', '--shell', 'echo a | b')
    const byId = new Map((await tasks()).map((task) => [task.id, task.name]))
    expect(byId.get(argv)).toBe("echo 'a | b' 'it'\\''s' '' 안녕")
    expect(byId.get(plain)).toBe('make test')
    expect(byId.get(shell)).toBe('echo a | b')
    const table = await cli('status', '--wide')
    expect(table.stdout).toContain("echo 'a | b' 'it'\\''s' '' 안녕")
    await cli('rm', String(argv), String(plain), String(shell))
  })

  it('a trigger made from a command names its saved task the same way', async () => {
    const added = await cli('trigger', 'add', '--every', '1h', '--paused', '--', 'echo', 'a | b')
    expect(added.code, added.stderr).toBe(0)
    const { savedTasks } = (await cli('saved', 'list', '--json')).json<{ savedTasks: SavedTask[] }>()
    expect(savedTasks.map((savedTask) => savedTask.name)).toContain("echo 'a | b'")
    expect((await cli('saved', 'list')).stdout).toContain("echo 'a | b'  (in ")
  })
})
