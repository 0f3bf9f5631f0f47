import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Group, LogLine, Run, Task } from '../../src-shared/index.ts'
import { collect, processesWithArgument, runCli, spawnCli, startServe, useServe, waitForOutput } from './helpers.ts'

type TaskRow = Task & { lastRun: Run | null }

/** The CLI end to end: real `taskdeck` processes against a real `taskdeck serve` in a temp home. */
describe('taskdeck CLI against taskdeck serve', () => {
  const serve = useServe()
  const { home, work, cli } = serve
  const addQuiet = async (...args: string[]): Promise<number> => {
    const result = await cli('add', '-q', ...args)
    expect(result.code, result.stderr).toBe(0)
    return Number(result.stdout.trim())
  }
  const getTask = async (id: number): Promise<TaskRow> => {
    const rows = (await cli('status', '--json')).json<{ tasks: TaskRow[] }>().tasks
    const task = rows.find((row) => row.id === id)
    if (!task) throw new Error(`task ${id} is not listed`)
    return task
  }

  it('serve prints its URL with the token in the fragment, and writes api.json', () => {
    expect(serve.info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const api = JSON.parse(readFileSync(join(home, 'api.json'), 'utf8')) as { token: string; pid: number }
    expect(serve.info.browserUrl).toBe(`${serve.info.url}#token=${api.token}`)
    expect(api.pid).toBe(serve.child.pid)
  })

  it('serve composes the triggers extension: its commands over the API, its webhooks on the server', async () => {
    const api = JSON.parse(readFileSync(join(home, 'api.json'), 'utf8')) as { url: string; token: string }
    const call = async (command: string, params: unknown) => {
      const response = await fetch(`${api.url}api/v1/command`, {
        method: 'POST',
        headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ v: 1, id: 1, command, params }),
      })
      const message = (await response.json()) as { result: { ok: boolean; value: Record<string, { id: number }> } }
      expect(message.result.ok).toBe(true)
      return message.result.value
    }
    const { savedTask } = await call('savedTask.create', { name: 'hooked', definition: { spec: { kind: 'shell', command: ['echo', 'hooked'] } } })
    const secret = 'a-long-enough-webhook-secret'
    const { trigger } = await call('trigger.create', { trigger: { savedTaskId: savedTask?.id, spec: { kind: 'webhook', secret } } })
    const refused = await fetch(`${api.url}hooks/${trigger?.id}`, { method: 'POST', body: '{}' })
    expect(refused.status).toBeGreaterThanOrEqual(400)
    const fired = await fetch(`${api.url}hooks/${trigger?.id}`, { method: 'POST', headers: { 'x-taskdeck-secret': secret }, body: '{}' })
    expect(fired.status).toBe(202)
    const { taskId } = (await fired.json()) as { taskId: number }
    const followed = await cli('follow', String(taskId))
    expect(followed.stdout).toBe('hooked\n')
    expect(followed.code).toBe(0)
  })

  it('uses HTTP when the socket named in api.json cannot be reached', async () => {
    const api = JSON.parse(readFileSync(join(home, 'api.json'), 'utf8')) as Record<string, unknown>
    expect(api.socket).toBe(join(home, 'api.sock'))
    const elsewhere = join(work, 'socket-gone')
    mkdirSync(elsewhere)
    writeFileSync(join(elsewhere, 'api.json'), JSON.stringify({ ...api, socket: join(elsewhere, 'no.sock') }), { mode: 0o600 })
    const added = await runCli(elsewhere, ['add', '-q', '--', 'true'], { cwd: work })
    expect(added.code, added.stderr).toBe(0)
    expect((await cli('wait', added.stdout.trim())).code).toBe(0)
  })

  it('add (argv, no shell) returns the task as JSON and runs it in the current directory', async () => {
    const added = await cli('add', '--json', '--name', 'argv task', '--label', 'x', '--priority', '5', '--', 'sh', '-c', 'pwd; echo "$0"', 'literal $HOME')
    expect(added.code, added.stderr).toBe(0)
    const { task } = added.json<{ task: Task }>()
    expect(task).toMatchObject({
      name: 'argv task',
      definition: { spec: { kind: 'shell', command: ['sh', '-c', 'pwd; echo "$0"', 'literal $HOME'], cwd: work }, labels: ['x'], priority: 5 },
    })
    const followed = await cli('follow', String(task.id))
    expect(followed.code).toBe(0)
    expect(followed.stdout).toBe(`${work}\nliteral $HOME\n`)
  })

  it('add --batch adds one task per stdin line (JSON argv, shell words, or --batch shell) with the options given', async () => {
    const input = ['["printf", "%s|", "a b"]', "printf '%s|' 'c d' e\\ f", '', '# a comment line', 'printf "%s|" g  # trailing comment'].join('\n')
    expect((await cli('group', 'add', 'batch', '--parallel', '2')).code).toBe(0)
    const added = await runCli(home, ['add', '--batch', '--json', '--group', 'batch', '--label', 'b'], { cwd: work, input })
    expect(added.code, added.stderr).toBe(0)
    const { tasks } = added.json<{ tasks: Task[] }>()
    expect(tasks.map((task) => task.definition.spec)).toEqual([
      { kind: 'shell', command: ['printf', '%s|', 'a b'], cwd: work },
      { kind: 'shell', command: ['printf', '%s|', 'c d', 'e f'], cwd: work },
      { kind: 'shell', command: ['printf', '%s|', 'g'], cwd: work },
    ])
    expect(tasks.every((task) => task.definition.group === 'batch' && task.definition.labels.includes('b'))).toBe(true)
    expect((await cli('wait', '--group', 'batch')).code).toBe(0)
    expect((await cli('log', String(tasks[1]?.id))).stdout).toBe('c d|e f|\n')

    const shell = await runCli(home, ['add', '--batch', 'shell', '-q'], { cwd: work, input: 'echo "$((6 * 7))" | tr 4 x\n' })
    expect(shell.code, shell.stderr).toBe(0)
    const [id] = shell.stdout.trim().split('\n')
    expect((await cli('follow', String(id))).stdout).toBe('x2\n')
  })

  it('add --batch and --stdin - read all of a stdin pipe written in pieces, more than it holds (readFileSync(0) threw EAGAIN when it was empty for a moment)', async () => {
    const child = spawnCli(home, ['add', '--batch', '--stash', '-q'], { cwd: work })
    const lines = Array.from({ length: 800 }, (_, i) => JSON.stringify(['echo', `piece-${i + 1}`, 'z'.repeat(1000)]))
    for (const line of lines) child.stdin?.write(`${line}\n`)
    const added = await collect(child)
    expect(added.code, added.stderr).toBe(0)
    const ids = added.stdout.trim().split('\n')
    expect(ids).toHaveLength(lines.length)
    // Stashed, then cancelled and removed: nothing of it runs or stays for the other tests.
    expect((await cli('kill', ids.join(','))).code).toBe(0)
    expect((await cli('rm', ...ids)).code).toBe(0)

    // `--stdin -` reads such a pipe whole too, as the task's stdin.
    const withStdin = spawnCli(home, ['add', '--stash', '-q', '--stdin', '-', '--', 'cat'], { cwd: work })
    for (const line of lines) withStdin.stdin?.write(`${line}\n`)
    const stdinAdded = await collect(withStdin)
    expect(stdinAdded.code, stdinAdded.stderr).toBe(0)
    const stdinTask = await getTask(Number(stdinAdded.stdout.trim()))
    expect(stdinTask.definition.spec.kind === 'shell' && stdinTask.definition.spec.stdin).toBe(lines.map((line) => `${line}\n`).join(''))
    expect((await cli('kill', String(stdinTask.id))).code).toBe(0)
    expect((await cli('rm', String(stdinTask.id))).code).toBe(0)
  })

  it('add --batch refuses a line a shell would be needed for, naming the line, and adds nothing', async () => {
    const before = (await cli('status', '--json')).json<{ total: number }>().total
    for (const [line, problem] of [
      ['ls *.txt', '*.txt: globs are not expanded'],
      ['echo $HOME', '$HOME: variables are not expanded'],
      ['make | tee log', '|: shell operators need a shell'],
      ['["not", 1]', 'a JSON line must be a non-empty array of strings'],
    ] as const) {
      const refused = await runCli(home, ['add', '--batch'], { cwd: work, input: `true\n${line}\n` })
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain(`--batch line 2: ${problem}`)
      expect(refused.stderr).toMatch(/ Nothing was added\.\n$/)
    }
    const withCommand = await runCli(home, ['add', '--batch', '--', 'true'], { cwd: work, input: 'true\n' })
    expect(withCommand.code).toBe(2)
    expect(withCommand.stderr).toContain('--batch reads the commands from stdin')
    expect((await cli('status', '--json')).json<{ total: number }>().total).toBe(before)
  })

  it('add --shell runs through the shell with --env and --cwd', async () => {
    const id = await addQuiet('--shell', 'echo "$GREETING from $(pwd)" | tr a-z A-Z', '--env', 'GREETING=hi', '--cwd', '/')
    const followed = await cli('follow', String(id))
    expect(followed.stdout).toBe('HI FROM /\n')
    expect(followed.code).toBe(0)
  })

  it('add --inherit-env gives the task this shell\'s environment; without it the task does not get it', async () => {
    const env = { TASKDECK_TEST_MARK: 'from-the-cli-shell' }
    const inherited = await runCli(home, ['add', '-q', '--follow', '--inherit-env', '--shell', 'echo "mark=$TASKDECK_TEST_MARK"'], { cwd: work, env })
    expect(inherited.stdout).toMatch(/^\d+\nmark=from-the-cli-shell\n$/)
    const plain = await runCli(home, ['add', '-q', '--follow', '--shell', 'echo "mark=$TASKDECK_TEST_MARK"'], { cwd: work, env })
    expect(plain.stdout).toMatch(/^\d+\nmark=\n$/)
  })

  it('follow exits with the task exit code; add --follow too', async () => {
    const id = await addQuiet('--', 'sh', '-c', 'echo out; echo err >&2; exit 7')
    const followed = await cli('follow', String(id))
    expect(followed.code).toBe(7)
    expect(followed.stdout).toBe('out\nerr\n')
    expect(followed.stderr).toContain(`Task ${id} failed`)
    const direct = await cli('add', '-q', '--follow', '--', 'sh', '-c', 'echo direct; exit 3')
    expect(direct.code).toBe(3)
    expect(direct.stdout).toMatch(/^\d+\ndirect\n$/)
  })

  it('follow streams a live task as it writes; send feeds its stdin', async () => {
    const id = await addQuiet('--', 'sh', '-c', 'echo ready; read line; echo "got $line"; exit 4')
    const follower = spawnCli(home, ['follow', String(id)])
    const done = collect(follower)
    await waitForOutput(follower, 'ready')
    const sent = await cli('send', String(id), 'hello')
    expect(sent.code, sent.stderr).toBe(0)
    const followed = await done
    expect(followed.stdout).toBe('ready\ngot hello\n')
    expect(followed.code).toBe(4)
  })

  it('follow --json prints NDJSON lines and an end record', async () => {
    const id = await addQuiet('--', 'sh', '-c', 'echo one; echo two >&2')
    const followed = await cli('follow', '--json', String(id))
    const records = followed.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(records).toEqual([
      expect.objectContaining({ type: 'line', n: 0, stream: 'stdout', text: 'one' }),
      expect.objectContaining({ type: 'line', n: 1, stream: 'stderr', text: 'two' }),
      { type: 'end', taskId: id, status: 'succeeded', exitCode: 0, signal: null },
    ])
  })

  it('log prints a finished run (all, --lines, --stderr, --json)', async () => {
    const id = await addQuiet('--shell', 'for i in 1 2 3 4 5; do echo out$i; done')
    expect((await cli('wait', String(id))).code).toBe(0)
    expect((await cli('log', String(id))).stdout).toBe('out1\nout2\nout3\nout4\nout5\n')
    expect((await cli('log', String(id), '--lines', '2')).stdout).toBe('out4\nout5\n')
    const json = (await cli('log', String(id), '--json', '--lines', '1')).json<{ runId: number; lines: LogLine[]; droppedBytes: number }>()
    expect(json).toMatchObject({ runId: expect.any(Number) as unknown, lines: [{ n: 4, stream: 'stdout', text: 'out5' }], droppedBytes: 0 })
    // stdout and stderr are separate pipes, so only each stream's own order is fixed.
    const mixed = await addQuiet('--shell', 'echo a1; echo e1 >&2; echo a2; echo e2 >&2')
    await cli('wait', String(mixed))
    expect((await cli('log', String(mixed), '--stderr')).stdout).toBe('e1\ne2\n')
    expect((await cli('log', String(mixed))).stdout.split('\n').filter((l) => l.startsWith('a'))).toEqual(['a1', 'a2'])
  })

  it('log of a run that never started says why on stderr', async () => {
    const id = await addQuiet('--', 'definitely-not-a-program-taskdeck')
    expect((await cli('wait', String(id))).code).toBe(1)
    const log = await cli('log', String(id))
    expect(log.stdout).toBe('')
    expect(log.stderr).toContain(`Task ${id} failed: executable not found: definitely-not-a-program-taskdeck`)
  })

  it('stops quietly when its reader goes away (taskdeck --help | head -1)', async () => {
    const piped = await collect(spawn('sh', ['-c', `node ${JSON.stringify(join(import.meta.dirname, '../../bin/taskdeck.js'))} --help | head -1`], { env: { ...process.env, TASKDECK_HOME: home, TASKDECK_CLI_FROM_SOURCE: '1' } }))
    expect(piped.stdout).toMatch(/^Usage: taskdeck/)
    expect(piped.stderr).not.toContain('EPIPE')
  })

  it('status shows a table, filters, and a stable JSON shape', async () => {
    const failing = await addQuiet('--name', 'will-fail', '--', 'sh', '-c', 'exit 9')
    await cli('wait', String(failing))
    const table = await cli('status')
    expect(table.code).toBe(0)
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+GROUP\s+EXIT\s+TIME\s+PEAK MEM\s+CPU\s+NAME$/)
    expect(table.stdout).toMatch(new RegExp(`\\n${failing}\\s+failed\\s+default\\s+9\\s+\\S+\\s+(\\S+\\s+\\S+\\s+)?will-fail`))
    // Why it failed is on the same line: the first thing a user asks of a failure.
    expect(table.stdout).toMatch(new RegExp(`\\n${failing}\\s.*will-fail\\s+\\(exited with code 9\\)`))
    const json = (await cli('status', '--json', '--status', 'failed')).json<{ tasks: TaskRow[]; total: number }>()
    expect(json.tasks.every((task) => task.status === 'failed')).toBe(true)
    expect(json.tasks.find((task) => task.id === failing)).toMatchObject({ name: 'will-fail', lastRun: { exitCode: 9, status: 'failed' } })
    expect(json.total).toBe(json.tasks.length)
    const stashed = await addQuiet('--stash', '--', 'true')
    expect((await getTask(stashed)).lastRun).toBeNull()
    const bad = await cli('status', '--status', 'bogus')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('status')
  })

  it('status says what a task that has not run waits for, and beyond --limit shows the newest tasks', async () => {
    expect((await cli('group', 'add', 'held')).code).toBe(0)
    expect((await cli('group', 'pause', 'held')).code).toBe(0)
    const inPausedGroup = await addQuiet('-g', 'held', '--', 'true')
    const first = await addQuiet('--stash', '--', 'true')
    const delayed = await addQuiet('--delay', '1h', '--', 'true')
    const dependent = await addQuiet('--after', String(first), '--', 'true')
    const table = (await cli('status')).stdout
    expect(table).toMatch(new RegExp(`\\n${inPausedGroup}\\s+queued\\s+held\\s+true  \\(group held is paused\\)\\n`))
    expect(table).toMatch(new RegExp(`\\n${delayed}\\s+waiting\\s+default\\s+true  \\(starts in \\d+m\\)\\n`))
    expect(table).toMatch(new RegExp(`\\n${dependent}\\s+waiting\\s+default\\s+true  \\(after ${first}\\)\\n`))
    const page = await cli('status', '--limit', '2', '--json')
    const { tasks, total } = page.json<{ tasks: TaskRow[]; total: number }>()
    expect(tasks.map((task) => task.id)).toEqual([delayed, dependent])
    expect(total).toBeGreaterThanOrEqual(4)
    expect((await cli('status', '--limit', '2')).stdout).toContain(`The newest 2 of ${total} shown; use --limit or filters.`)
    for (const id of [dependent, delayed, first, inPausedGroup]) expect((await cli('kill', String(id))).code).toBe(0)
    expect((await cli('group', 'resume', 'held')).code).toBe(0)
  })

  it('wait exits 0 when all succeeded, 1 when one did not, and names unknown ids', async () => {
    const good = await addQuiet('--', 'true')
    const bad = await addQuiet('--', 'false')
    const ok = await cli('wait', String(good), '--json')
    expect(ok.code).toBe(0)
    expect(ok.json()).toEqual({ tasks: [{ id: good, status: 'succeeded', name: expect.any(String) as unknown }], ok: true })
    const mixed = await cli('wait', String(good), String(bad))
    expect(mixed.code).toBe(1)
    expect(mixed.stdout).toContain('1 of 2 tasks did not succeed')
    const missing = await cli('wait', '99999')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('99999')
  })

  it('wait for a stashed task says that nothing starts it, and ends once it is resumed and done', async () => {
    const id = await addQuiet('--stash', '--', 'true')
    const waiter = spawnCli(home, ['wait', String(id)])
    const waited = collect(waiter)
    await new Promise<void>((resolve) => {
      let seen = ''
      waiter.stderr?.on('data', (chunk: Buffer) => {
        seen += chunk.toString('utf8')
        if (seen.includes('\n')) resolve()
      })
    })
    expect((await cli('resume', String(id))).code).toBe(0)
    const result = await waited
    expect(result.code).toBe(0)
    expect(result.stderr).toBe(`taskdeck: task ${id} is stashed: it starts only after \`taskdeck resume ${id}\`; waiting.\n`)
    expect(result.stdout).toBe('1 task succeeded.\n')
  })

  it('kill stops a running task', async () => {
    // A distinctive argument, so the test can tell that this very process is gone afterwards.
    const id = await addQuiet('--', 'sh', '-c', 'echo started; exec sleep 987654')
    const follower = spawnCli(home, ['follow', String(id)])
    const followed = collect(follower)
    await waitForOutput(follower, 'started')
    const killed = await cli('kill', '--json', String(id))
    expect(killed.code).toBe(0)
    expect(killed.json()).toEqual({ affected: [id] })
    expect((await followed).code).not.toBe(0)
    expect((await getTask(id)).status).toBe('cancelled')
    expect(processesWithArgument('987654')).toEqual([])
    const again = await cli('kill', String(id))
    expect(again.code).toBe(1)
    expect(again.stdout).toBe('')
    expect(again.stderr).toContain('No task changed')
  })

  it('kill --group cancels every unfinished task of a group (running ones with their processes), and only those', async () => {
    expect((await cli('group', 'add', 'doomed', '--parallel', '1')).code).toBe(0)
    const running = await addQuiet('-g', 'doomed', '--', 'sh', '-c', 'echo started; exec sleep 987653')
    const queued = await addQuiet('-g', 'doomed', '--', 'true')
    const stashed = await addQuiet('-g', 'doomed', '--stash', '--', 'true')
    const elsewhere = await addQuiet('--stash', '--', 'true')
    const follower = spawnCli(home, ['follow', String(running)])
    const followed = collect(follower)
    await waitForOutput(follower, 'started')
    const killed = await cli('kill', '--group', 'doomed', '--json')
    expect(killed.code, killed.stderr).toBe(0)
    expect(killed.json<{ affected: number[] }>().affected.sort((a, b) => a - b)).toEqual([running, queued, stashed])
    expect((await followed).code).not.toBe(0)
    for (const id of [running, queued, stashed]) expect((await getTask(id)).status).toBe('cancelled')
    expect(processesWithArgument('987653')).toEqual([])
    expect((await getTask(elsewhere)).status).toBe('stashed')
    expect((await cli('kill', '--group', 'doomed')).stdout).toBe('No unfinished tasks in group doomed.\n')
    const both = await cli('kill', String(elsewhere), '--all')
    expect(both.code).toBe(2)
    expect(both.stderr).toContain('kill needs exactly one of: task ids, --group NAME, --all.')
    expect((await cli('kill', String(elsewhere))).code).toBe(0)
  })

  it('group add/limit/pause/resume/rm, and a paused group holds its tasks', async () => {
    expect((await cli('group', 'add', 'g1', '--parallel', '2')).code).toBe(0)
    expect((await cli('group', 'limit', 'g1', '3', '--json')).json<{ group: Group }>().group).toEqual({ name: 'g1', parallel: 3, paused: false })
    expect((await cli('group', 'pause', 'g1')).code).toBe(0)
    const held = await addQuiet('--group', 'g1', '--', 'echo', 'held')
    const groups = (await cli('group', '--json')).json<{ groups: Group[] }>().groups
    expect(groups.find((g) => g.name === 'g1')).toMatchObject({ paused: true })
    expect(['queued', 'waiting']).toContain((await getTask(held)).status)
    expect((await cli('resume', '--group', 'g1')).code).toBe(0)
    expect((await cli('wait', String(held))).code).toBe(0)
    expect((await cli('group', 'add', 'empty')).code).toBe(0)
    expect((await cli('group', 'rm', 'empty')).code).toBe(0)
    expect((await cli('group', '--json')).json<{ groups: Group[] }>().groups.map((g) => g.name)).not.toContain('empty')
  })

  it('group add without --parallel keeps an existing group\'s limit (a new group gets 1); bad values name the option', async () => {
    expect((await cli('group', 'add', 'kept', '--parallel', '3')).code).toBe(0)
    const again = await cli('group', 'add', 'kept', '--json')
    expect(again.code, again.stderr).toBe(0)
    expect(again.json<{ group: Group }>().group).toEqual({ name: 'kept', parallel: 3, paused: false })
    expect((await cli('group', 'add', 'fresh', '--json')).json<{ group: Group }>().group).toEqual({ name: 'fresh', parallel: 1, paused: false })
    const misspelt = await cli('group', 'limit', 'kpet', '5')
    expect(misspelt.code).toBe(1)
    expect(misspelt.stderr).toBe('taskdeck: There is no group "kpet" (create it with `taskdeck group add kpet --parallel 5`).\n')
    expect((await cli('group', '--json')).json<{ groups: Group[] }>().groups.map((g) => g.name)).not.toContain('kpet')
    const zero = await cli('group', 'add', 'kept', '--parallel', '0')
    expect(zero.code).toBe(2)
    expect(zero.stderr).toContain('taskdeck: --parallel: "0" is not a whole number from 1 to 1024.')
    // `group list` (and `ls`) as for triggers and saved tasks: the same as a bare `group`.
    const listed = await cli('group', 'list', '--json')
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.json()).toEqual((await cli('group', '--json')).json())
    expect((await cli('group', 'ls')).stdout).toMatch(/^GROUP\s+PARALLEL\s+STATE\s+RULES\s+ONLY WHEN\s+RUNS ON\n/)
    const badName = await cli('group', 'add', 'no spaces')
    expect(badName.code).toBe(2)
    expect(badName.stderr).toMatch(/^taskdeck: group name "no spaces": use letters/)
  })

  it('move reorders a group\'s queue (top, down), and refuses a bad place or a task that is not queued', async () => {
    expect((await cli('group', 'add', 'ordered', '--parallel', '1')).code).toBe(0)
    expect((await cli('group', 'pause', 'ordered')).code).toBe(0)
    const [a, b, c] = [await addQuiet('-g', 'ordered', '--', 'true'), await addQuiet('-g', 'ordered', '--', 'true'), await addQuiet('-g', 'ordered', '--', 'true')]
    const top = await cli('move', String(c), 'top')
    expect(top.code, top.stderr).toBe(0)
    expect(top.stdout).toBe(`Task ${c} moved to the top of group ordered's queue (priority 0).\n`)
    expect((await cli('move', '--json', String(a), 'down')).json<{ task: Task }>().task.id).toBe(a)
    const sideways = await cli('move', String(a), 'sideways')
    expect(sideways.code).toBe(2)
    expect(sideways.stderr).toContain("'sideways' is invalid for argument 'where'. Allowed choices are top, bottom, up, down.")
    expect((await cli('group', 'resume', 'ordered')).code).toBe(0)
    expect((await cli('wait', '--group', 'ordered')).code).toBe(0)
    // Run ids are given as runs start.
    const started = await Promise.all([a, b, c].map(async (id) => ({ id, run: (await getTask(id)).lastRun?.id ?? 0 })))
    expect(started.sort((x, y) => x.run - y.run).map((row) => row.id)).toEqual([c, b, a])
    const finished = await cli('move', String(a), 'top')
    expect(finished.code).toBe(1)
    expect(finished.stderr).toContain(`Only a queued task can be moved; task ${a} is succeeded.`)
  })

  it('pause and resume a running task, and the whole engine with --all', async () => {
    const id = await addQuiet('--', 'sh', '-c', 'echo go; read line; echo "done $line"')
    const follower = spawnCli(home, ['follow', String(id)])
    const followed = collect(follower)
    await waitForOutput(follower, 'go')
    expect((await cli('pause', '--json', String(id))).json()).toEqual({ affected: [id] })
    expect((await getTask(id)).status).toBe('paused')
    expect((await cli('resume', String(id))).code).toBe(0)
    expect((await getTask(id)).status).toBe('running')
    await cli('send', String(id), 'now')
    expect((await followed).stdout).toBe('go\ndone now\n')

    expect((await cli('pause', '--all')).code).toBe(0)
    const held = await addQuiet('--', 'echo', 'after the pause')
    expect(['queued', 'waiting']).toContain((await getTask(held)).status)
    expect((await cli('resume', '--all')).code).toBe(0)
    expect((await cli('follow', String(held))).stdout).toBe('after the pause\n')
  })

  it('retry runs a failed task again', async () => {
    const id = await addQuiet('--', 'sh', '-c', 'echo attempt; exit 1')
    expect((await cli('wait', String(id))).code).toBe(1)
    const firstRun = (await getTask(id)).lastRun
    const retried = await cli('retry', '--json', String(id))
    expect(retried.json()).toEqual({ affected: [id] })
    expect((await cli('wait', String(id))).code).toBe(1)
    const after = await getTask(id)
    expect(after.lastRun?.id).toBeGreaterThan(firstRun?.id ?? Number.POSITIVE_INFINITY)
    expect((await cli('log', String(id), '--attempt', '1', '--json')).json<{ runId: number }>().runId).toBe(firstRun?.id)
    expect((await cli('log', String(id), '--attempt', '3')).code).toBe(1)
  })

  it('edit changes a stashed task; unstash runs the new command', async () => {
    const id = await addQuiet('--stash', '--', 'echo', 'before')
    expect((await getTask(id)).status).toBe('stashed')
    const edited = await cli('edit', String(id), '--json', '--name', 'renamed', '--', 'echo', 'after')
    expect(edited.code, edited.stderr).toBe(0)
    expect(edited.json<{ task: Task }>().task).toMatchObject({ name: 'renamed', definition: { spec: { command: ['echo', 'after'] } } })
    expect((await cli('unstash', String(id))).code).toBe(0)
    const followed = await cli('follow', String(id))
    expect(followed.stdout).toBe('after\n')
  })

  it('resume IDS schedules a stashed task (as `add --stash` promises) and says so when nothing applies', async () => {
    const id = await addQuiet('--stash', '--', 'echo', 'was stashed')
    const resumed = await cli('resume', '--json', String(id))
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.json()).toEqual({ affected: [id] })
    expect((await cli('follow', String(id))).stdout).toBe('was stashed\n')
    const again = await cli('resume', String(id))
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('resume applies to paused and stashed tasks')
  })

  it('a bare taskdeck shows the queue like status (as pueue and tsp do); with nothing running, the help', async () => {
    const id = await addQuiet('--stash', '--name', 'bare-invocation', '--', 'true')
    const bare = await cli('--json')
    expect(bare.code).toBe(0)
    expect(bare.json<{ tasks: TaskRow[] }>().tasks.map((t) => t.id)).toContain(id)
    const elsewhere = mkdtempSync(join(tmpdir(), 'taskdeck-bare-'))
    try {
      const help = await cli('--home', elsewhere)
      expect(help.code).toBe(2)
      expect(help.stderr).toContain('Usage: taskdeck [options] [command]')
    } finally {
      rmSync(elsewhere, { recursive: true, force: true })
    }
  })

  it('clean removes finished tasks', async () => {
    const id = await addQuiet('--', 'true')
    await cli('wait', String(id))
    const cleaned = await cli('clean', '--json', '--status', 'succeeded')
    expect(cleaned.code).toBe(0)
    expect(cleaned.json<{ removed: number[] }>().removed).toContain(id)
    expect((await cli('status', '--json')).json<{ tasks: TaskRow[] }>().tasks.map((t) => t.id)).not.toContain(id)
    // An unfinished status would match nothing: a usage error, not "Removed 0", and nothing goes.
    const queued = await addQuiet('--stash', '--', 'true')
    const refused = await cli('clean', '--status', 'failed,stashed')
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('--status: clean removes only finished tasks (succeeded, failed, cancelled, timed_out, interrupted); stashed is not finished')
    expect((await getTask(queued)).status).toBe('stashed')
    // By id, like pueue's remove: an unfinished one is named and nothing goes.
    const done = await addQuiet('--', 'true')
    await cli('wait', String(done))
    const notFinished = await cli('rm', String(done), String(queued))
    expect(notFinished.code).not.toBe(0)
    expect(notFinished.stderr).toContain(`task ${queued} is stashed`)
    expect((await getTask(done)).status).toBe('succeeded')
    const removed = await cli('rm', '--json', String(done))
    expect(removed.code).toBe(0)
    expect(removed.json<{ removed: number[] }>().removed).toEqual([done])
  })

  it('export and import round-trip tasks into another home; bad files change nothing', async () => {
    const id = await addQuiet('--name', 'exported', '--label', 'keep', '--', 'echo', 'portable')
    await cli('wait', String(id))
    const file = join(work, 'backup.json')
    const exported = await cli('export', file, '--json')
    expect(exported.code).toBe(0)
    const document = JSON.parse(readFileSync(file, 'utf8')) as { format: string; tasks: Task[] }
    expect(document.format).toBe('taskdeck-export')
    expect(document.tasks.map((t) => t.name)).toContain('exported')
    expect((await cli('export')).json<{ format: string }>().format).toBe('taskdeck-export')
    const unwritable = await cli('export', join(work, 'no-such-dir', 'backup.json'))
    expect(unwritable.code).toBe(2)
    expect(unwritable.stderr).toBe(`taskdeck: Cannot write ${join(work, 'no-such-dir', 'backup.json')}: ENOENT: no such file or directory, open '${join(work, 'no-such-dir', 'backup.json')}'\n`)

    const otherHome = join(work, 'other')
    const other = await startServe(otherHome)
    try {
      const imported = await runCli(otherHome, ['import', file, '--json'])
      expect(imported.code, imported.stderr).toBe(0)
      const mapping = imported.json<{ imported: { from: number; to: number }[] }>().imported
      expect(mapping.map((m) => m.from)).toContain(id)
      const tasks = (await runCli(otherHome, ['status', '--json'])).json<{ tasks: TaskRow[] }>().tasks
      expect(tasks.find((t) => t.name === 'exported')).toMatchObject({ definition: { labels: ['keep'], spec: { command: ['echo', 'portable'] } } })

      const before = tasks.length
      writeFileSync(join(work, 'broken.json'), '{"format": "taskdeck-export", ')
      const broken = await runCli(otherHome, ['import', join(work, 'broken.json')])
      expect(broken.code).toBe(2)
      expect(broken.stderr).toContain('is not valid JSON')
      writeFileSync(join(work, 'wrong.json'), JSON.stringify({ ...document, tasks: [{ id: 'x' }] }))
      const wrong = await runCli(otherHome, ['import', join(work, 'wrong.json')])
      expect(wrong.code).toBe(2)
      expect(wrong.stderr).toContain('document.tasks.0')
      expect((await runCli(otherHome, ['status', '--json'])).json<{ total: number }>().total).toBe(before)

      // "-" reads the document from stdin, here a pipe written in pieces, more than it holds (JSON may end in spaces).
      const fromStdin = spawnCli(otherHome, ['import', '-', '--json'])
      const text = `${readFileSync(file, 'utf8')}${' '.repeat(1024 * 1024)}`
      for (let start = 0; start < text.length; start += 4096) fromStdin.stdin?.write(text.slice(start, start + 4096))
      const importedFromStdin = await collect(fromStdin)
      expect(importedFromStdin.code, importedFromStdin.stderr).toBe(0)
      expect(importedFromStdin.json<{ imported: { from: number }[] }>().imported.map((m) => m.from)).toContain(id)
    } finally {
      expect(await other.stop()).toBe(0)
    }
  })

  it('bad input: usage errors exit 2, refusals exit 1, each naming the problem on stderr', async () => {
    const noCommand = await cli('add', '--name', 'x')
    expect(noCommand.code).toBe(2)
    expect(noCommand.stderr).toContain('add needs a command')
    const unknownOption = await cli('status', '--frobnicate')
    expect(unknownOption.code).toBe(2)
    expect(unknownOption.stderr).toContain("taskdeck: unknown option '--frobnicate'")
    // With --json every error has one shape, commander's usage errors included.
    const unknownJson = await cli('status', '--frobnicate', '--json')
    expect(unknownJson.code).toBe(2)
    expect(JSON.parse(unknownJson.stderr)).toEqual({ error: { code: 'usage', message: "unknown option '--frobnicate'" } })
    // A missing required argument: `log` needs its id (a bare `follow` picks the running task).
    const missingJson = await cli('--json', 'log')
    expect(JSON.parse(missingJson.stderr)).toEqual({ error: { code: 'usage', message: "missing required argument 'id'" } })
    // A --json after -- is the task's.
    const taskJson = await cli('add', '--frobnicate', '--', 'jq', '--json')
    expect(taskJson.stderr).toContain("taskdeck: unknown option '--frobnicate'\n(run with --help for usage)")
    const badStatus = await cli('status', '--status', 'running,sleeping')
    expect(badStatus.code).toBe(2)
    expect(badStatus.stderr).toMatch(/^taskdeck: --status "sleeping": Invalid option: expected one of "stashed"\|/)
    const unknownGroup = await cli('add', '--group', 'nowhere', '--', 'true')
    expect(unknownGroup.code).toBe(2)
    expect(unknownGroup.stderr).toContain('unknown group "nowhere" (create it first: taskdeck group add nowhere)')
    const badDuration = await cli('add', '--timeout', 'soon', '--', 'true')
    expect(badDuration.code).toBe(2)
    expect(badDuration.stderr).toContain('--timeout')
    const badGroup = await cli('add', '--json', '--group', 'no spaces!', '--', 'true')
    expect(badGroup.code).toBe(2)
    expect(JSON.parse(badGroup.stderr)).toMatchObject({ error: { code: 'bad_request', details: { issues: [{ path: 'definition.group' }] } } })
    const missingCwd = await cli('add', '--cwd', '/does/not/exist', '--', 'true')
    expect(missingCwd.code).toBe(2)
    expect(missingCwd.stderr).toBe('taskdeck: --cwd "/does/not/exist": directory /does/not/exist does not exist.\n')
    // The server's refusals name the option the user typed, not the API's params path.
    const missingAfter = await cli('add', '--after', '424242', '--', 'true')
    expect(missingAfter.code).toBe(2)
    expect(missingAfter.stderr).toBe('taskdeck: --after: there is no task 424242.\n')
    const badName = await cli('add', '--group', 'no spaces!', '--', 'true')
    expect(badName.stderr).toMatch(/^taskdeck: --group "no spaces!": use letters/)
    const emptyLabel = await cli('add', '--label', '', '--', 'true')
    expect(emptyLabel.stderr).toBe('taskdeck: --label: must not be empty.\n')
    const stashed = await addQuiet('--stash', '--', 'true')
    const badEdit = await cli('edit', String(stashed), '--cwd', '/does/not/exist')
    expect(badEdit.code).toBe(2)
    expect(badEdit.stderr).toContain('taskdeck: --cwd "/does/not/exist"')
    const badSaved = await cli('saved', 'add', 'x', '--group', 'no spaces!', '--', 'true')
    expect(badSaved.code).toBe(2)
    expect(badSaved.stderr).toMatch(/^taskdeck: --group "no spaces!": use letters/)
    writeFileSync(join(work, 'huge.json'), JSON.stringify({ format: 'taskdeck-export', padding: 'x'.repeat(5 * 1024 * 1024) }))
    const huge = await cli('import', join(work, 'huge.json'))
    expect(huge.code).toBe(2)
    expect(huge.stderr).toContain('at most 4194304 bytes')
    const pauseNothing = await cli('pause')
    expect(pauseNothing.code).toBe(2)
    const notFound = await cli('follow', '424242')
    expect(notFound.code).toBe(1)
    expect(notFound.stderr).toContain('424242')
  })
})
