import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import type { Task } from '../../src-shared/index.ts'
import { BIN, cliEnv, collect, runCli, spawnCli, useServe } from './helpers.ts'

/**
 * What users of pueue, task-spooler and nq do by habit, against a real `taskdeck serve`:
 * each case is a place where Taskdeck once answered in a way that tripped them up.
 */
describe('taskdeck used the way pueue, tsp and nq users do', () => {
  const serve = useServe()
  const { work, cli } = serve
  const addQuiet = async (...args: string[]): Promise<number> => {
    const result = await cli('add', '-q', ...args)
    expect(result.code, result.stderr).toBe(0)
    return Number(result.stdout.trim())
  }
  const statusOf = async (id: number): Promise<Task['status'] | undefined> =>
    (await cli('status', '--json')).json<{ tasks: Task[] }>().tasks.find((task) => task.id === id)?.status
  const row = (text: string, first: string) => text.split('\n').find((line) => line.startsWith(`${first} `))

  it('add refuses a whole command line in one quoted word (pueue and a shell split it; argv would not) and says to use --shell', async () => {
    for (const args of [['add', 'make && make test'], ['add', '--', "echo 'a b' | tr a b"]]) {
      const refused = await cli(...args)
      expect(refused.code).toBe(2)
      expect(refused.stdout).toBe('')
      const word = args.at(-1)!
      const quoted = `'${word.replaceAll("'", "'\\''")}'`
      expect(refused.stderr).toBe(
        `taskdeck: the command ${quoted} is one word with spaces, so no shell would split it: run it through the shell with \`--shell ${quoted}\`, or give the program and its arguments as separate words after --.\n`,
      )
    }
    expect((await cli('status', '--json')).json<{ tasks: unknown[] }>().tasks).toEqual([])
    // The suggested command works as it is printed.
    const viaShell = await addQuiet('--shell', "echo 'a b' | tr a b")
    expect((await cli('follow', String(viaShell))).stdout).toBe('b b\n')
    // A program whose path has spaces is still a program.
    mkdirSync(join(work, 'my tools'))
    writeFileSync(join(work, 'my tools', 'hello'), '#!/bin/sh\necho hello from a spaced path\n')
    chmodSync(join(work, 'my tools', 'hello'), 0o755)
    const spaced = await addQuiet('--', './my tools/hello')
    expect((await cli('follow', String(spaced))).stdout).toBe('hello from a spaced path\n')
  })

  it('an action that changes nothing names the tasks and what they are now (not "its current state")', async () => {
    const done = await addQuiet('--', 'true')
    expect((await cli('wait', String(done))).code).toBe(0)
    const kill = await cli('kill', String(done))
    expect(kill.code).toBe(1)
    expect(kill.stderr).toBe(`taskdeck: No task changed: kill applies to unfinished tasks, and task ${done} (succeeded) is not (see \`taskdeck status\`).\n`)
    const stashed = await addQuiet('--stash', '--', 'true')
    const retry = await cli('retry', String(stashed), String(done + 1000))
    expect(retry.code).toBe(1)
    expect(retry.stderr).toContain(String(done + 1000))
    const retryStashed = await cli('retry', String(stashed))
    expect(retryStashed.stderr).toBe(`taskdeck: No task changed: retry applies to finished tasks, and task ${stashed} (stashed) is not (see \`taskdeck status\`).\n`)
    const resume = await cli('resume', String(done), String(done))
    expect(resume.stderr).toBe(`taskdeck: No task changed: resume applies to paused and stashed tasks, and task ${done} (succeeded) is neither (see \`taskdeck status\`).\n`)
    const unstash = await cli('unstash', String(done), String(stashed))
    expect(unstash.code).toBe(0)
    expect((await cli('wait', String(stashed))).code).toBe(0)
    const both = await cli('pause', String(done), String(stashed))
    expect(both.stderr).toBe(
      `taskdeck: No task changed: pause applies to running, queued or waiting tasks, and tasks ${done} (succeeded), ${stashed} (succeeded) are not (see \`taskdeck status\`).\n`,
    )
  })

  it('pause --all and group pause say that running tasks stop too; a paused engine is shown by status and group list', async () => {
    expect((await cli('group', 'add', 'held')).code).toBe(0)
    const running = await addQuiet('--group', 'held', '--', 'sleep', '300')
    await vi.waitFor(async () => expect(await statusOf(running)).toBe('running'), { timeout: 20_000 })
    const groupPause = await cli('group', 'pause', 'held')
    expect(groupPause.stdout).toBe('Group held paused: none of its tasks start, and its running shell tasks are stopped, until `taskdeck resume --group held`.\n')
    expect(await statusOf(running)).toBe('paused')
    expect((await cli('group', 'resume', 'held')).stdout).toBe('Group held resumed.\n')
    expect(await statusOf(running)).toBe('running')

    const pauseAll = await cli('pause', '--all')
    expect(pauseAll.stdout).toBe('Paused: no task starts, and running shell tasks are stopped, until `taskdeck resume --all`.\n')
    expect(await statusOf(running)).toBe('paused')
    const queued = await addQuiet('--', 'true')
    const status = await cli('status')
    expect(row(status.stdout, String(queued))).toMatch(/ queued +default .*true +\(everything is paused\)$/)
    expect(status.stdout.endsWith('\nTaskdeck is paused (pause --all): no task starts until `taskdeck resume --all`.\n')).toBe(true)
    expect((await cli('status', '--json')).json<{ enginePaused?: boolean }>().enginePaused).toBe(true)
    const groups = await cli('group')
    expect(groups.stdout.endsWith('\nTaskdeck is paused (pause --all): no task starts until `taskdeck resume --all`.\n')).toBe(true)
    expect((await cli('group', '--json')).json<{ enginePaused?: boolean }>().enginePaused).toBe(true)

    expect((await cli('resume', '--all')).stdout).toBe('Resumed.\n')
    expect((await cli('wait', String(queued))).code).toBe(0)
    const after = await cli('status')
    expect(after.stdout).not.toContain('paused')
    expect((await cli('group', '--json')).json<{ enginePaused?: boolean }>().enginePaused).toBe(false)
    expect((await cli('kill', String(running))).code).toBe(0)
  })

  it('follow of a task that has not started says once what it waits for (pueue and tsp -t just sit there), then follows it', async () => {
    expect((await cli('group', 'add', 'later')).code).toBe(0)
    expect((await cli('group', 'pause', 'later')).code).toBe(0)
    const id = await addQuiet('--group', 'later', '--', 'echo', 'ran at last')
    const follower = spawnCli(serve.home, ['follow', String(id)], { cwd: work })
    const followed = collect(follower)
    const note = `taskdeck: task ${id} has not started (queued: group later is paused); its output follows once it starts.\n`
    await new Promise<void>((resolve) => {
      let seen = ''
      follower.stderr!.on('data', (chunk: Buffer) => {
        seen += chunk.toString('utf8')
        if (seen.includes(note)) resolve()
      })
    })
    expect((await cli('group', 'resume', 'later')).code).toBe(0)
    const result = await followed
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('ran at last\n')
    expect(result.stderr).toBe(note)
    // A task that ran prints no such note.
    expect((await cli('follow', String(id))).stderr).toBe('')
  })

  it('import of the other kind of export, or of any JSON, says what the file is and which command reads it', async () => {
    const tasksFile = join(work, 'tasks.json')
    const triggersFile = join(work, 'triggers.json')
    expect((await cli('export', tasksFile)).code).toBe(0)
    expect((await cli('trigger', 'export', triggersFile)).code).toBe(0)
    const swapped = await cli('import', triggersFile)
    expect(swapped.code).toBe(2)
    expect(swapped.stderr).toBe(
      `taskdeck: ${triggersFile} is a triggers export (\`taskdeck trigger export\`), not a tasks export (\`taskdeck export\`): read it with \`taskdeck trigger import ${triggersFile}\`.\n`,
    )
    const swappedBack = await cli('trigger', 'import', tasksFile)
    expect(swappedBack.stderr).toBe(
      `taskdeck: ${tasksFile} is a tasks export (\`taskdeck export\`), not a triggers export (\`taskdeck trigger export\`): read it with \`taskdeck import ${tasksFile}\`.\n`,
    )
    const other = await runCli(serve.home, ['import', '-', '--json'], { cwd: work, input: '{"tasks": []}' })
    expect(other.code).toBe(2)
    expect(JSON.parse(other.stderr)).toEqual({ error: { code: 'bad_request', message: 'stdin is not a tasks export (`taskdeck export`): it has no "format": "taskdeck-export".' } })
  })

  it('status fits a terminal: a long name is cut with "…" and its reason kept; --wide, and a pipe, show everything', async () => {
    const long = `echo ${'x'.repeat(120)}; exit 3`
    const id = await addQuiet('--shell', long)
    expect((await cli('wait', String(id))).code).toBe(1)
    // A real terminal 100 columns wide (script gives the CLI a pseudo-terminal).
    const inTerminal = async (...args: string[]) => {
      const command = `stty cols 100; exec '${process.execPath}' '${BIN}' ${args.join(' ')}`
      const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: work, env: cliEnv(serve.home), stdio: ['pipe', 'pipe', 'pipe'] })
      const result = await collect(child)
      expect(result.code, result.stderr).toBe(0)
      return result.stdout.replaceAll('\r', '')
    }
    const fitted = row(await inTerminal('status'), String(id))!
    expect(fitted).toMatch(/ failed +default +3 +\S+ +echo x+… {2}\(exited with code 3\)$/)
    expect(fitted.length).toBe(99)
    expect(row(await inTerminal('status', '--wide'), String(id))).toMatch(new RegExp(`echo x{120}; exit 3  \\(exited with code 3\\)$`))
    expect(row((await cli('status')).stdout, String(id))).toMatch(new RegExp(`echo x{120}; exit 3  \\(exited with code 3\\)$`))
  })

  it('status says what a failed run wrote last on stderr (colours stripped): its last line fitted to a terminal, every kept line with --wide', async () => {
    const id = await addQuiet('--name', 'deploy', '--shell', `echo "connecting" >&2; printf '\\033[31merror:\\033[0m host db.internal unreachable ${'y'.repeat(80)}\\n' >&2; exit 3`)
    expect((await cli('wait', String(id))).code).toBe(1)
    const inTerminal = async (...args: string[]) => {
      const command = `stty cols 100; exec '${process.execPath}' '${BIN}' ${args.join(' ')}`
      const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: work, env: cliEnv(serve.home), stdio: ['pipe', 'pipe', 'pipe'] })
      const result = await collect(child)
      expect(result.code, result.stderr).toBe(0)
      return result.stdout.replaceAll('\r', '')
    }
    const fitted = row(await inTerminal('status'), String(id))!
    // On a terminal the row keeps its width; the stderr line is cut, never wrapped.
    // (How much of it fits depends on the other columns, a duration's width among them.)
    expect(fitted).toMatch(/ deploy {2}\(exited with code 3: [^)]*…\)$/)
    expect(fitted.length).toBeLessThanOrEqual(99)
    expect(row(await inTerminal('status', '--wide'), String(id))).toMatch(new RegExp(` deploy  \\(exited with code 3: connecting ⏎ error: host db\\.internal unreachable y{80}\\)$`))
    // A pipe is not cut, and shows the last line only, as the terminal does.
    expect(row((await cli('status')).stdout, String(id))).toMatch(new RegExp(` deploy  \\(exited with code 3: error: host db\\.internal unreachable y{80}\\)$`))
    const json = (await cli('status', '--json')).json<{ tasks: (Task & { lastRun: { stderrTail?: string } })[] }>()
    expect(json.tasks.find((task) => task.id === id)?.lastRun.stderrTail).toBe(`connecting\nerror: host db.internal unreachable ${'y'.repeat(80)}`)
  })

  it('a program that is not there exits 127 under follow, as a shell says, with the reason kept', async () => {
    const id = await addQuiet('--', 'definitely-not-a-program-taskdeck')
    const followed = await cli('follow', String(id))
    expect(followed.code).toBe(127)
    expect(followed.stderr).toContain(`Task ${id} failed: executable not found: definitely-not-a-program-taskdeck`)
    expect(row((await cli('status')).stdout, String(id))).toMatch(/ failed +default +127 +\S+ +definitely-not-a-program-taskdeck {2}\(executable not found: definitely-not-a-program-taskdeck\)$/)
    // wait says whether all succeeded, not a task's code.
    expect((await cli('wait', String(id))).code).toBe(1)
  })

  it('follow and log say how a task that timed out ended in words, not as the status field with its reason repeated', async () => {
    const id = await addQuiet('--timeout', '1s', '--', 'sleep', '30')
    const followed = await cli('follow', String(id))
    expect(followed.code).toBe(143)
    expect(followed.stderr).toContain(`Task ${id} timed out after 1 s\n`)
    expect((await cli('log', String(id))).stderr).toContain(`Task ${id} timed out after 1 s\n`)
  })

  it("pueue's command names that Taskdeck calls otherwise are answered with the Taskdeck command, not commander's nearest name", async () => {
    const start = await cli('start', '3')
    expect(start.code).toBe(2)
    // Commander's nearest name was `stash`: the opposite of what a pueue user means.
    expect(start.stderr).toBe(
      "taskdeck: unknown command 'start': pueue's start is `taskdeck resume IDS` here (paused tasks go on and stashed ones are scheduled; --group NAME or --all for more).\n",
    )
    expect((await cli('restart', '3')).stderr).toContain("pueue's restart is `taskdeck retry IDS` here")
    const parallel = await cli('--json', 'parallel', '3')
    expect(parallel.code).toBe(2)
    expect(JSON.parse(parallel.stderr)).toEqual({ error: { code: 'usage', message: "unknown command 'parallel': pueue's parallel is `taskdeck group limit NAME N` here." } })
    // Other unknown names still get commander's suggestion.
    expect((await cli('stauts')).stderr).toContain('(Did you mean status?)')
    // A name every object answers to is no pueue command either.
    for (const name of ['constructor', 'toString', '__proto__']) {
      const unknown = await cli(name)
      expect(unknown.code).toBe(2)
      expect(unknown.stderr).toMatch(new RegExp(`^taskdeck: unknown command '${name}'\n`))
    }
  })

  it('cancel, the word of the UI\'s button and of the status, cancels as kill does', async () => {
    const id = await addQuiet('--', 'sleep', '30')
    const cancelled = await cli('cancel', String(id))
    expect(cancelled.code).toBe(0)
    expect(cancelled.stdout).toBe(`Cancelled: ${id}\n`)
    expect(await statusOf(id)).toBe('cancelled')
  })

  it('edit --env sets the variables named and keeps the task\'s others (as pueue env set does)', async () => {
    const id = await addQuiet('--stash', '--env', 'KEEP=kept', '--env', 'CHANGE=old', '--', 'sh', '-c', 'echo "$KEEP $CHANGE $ADDED"')
    expect((await cli('edit', String(id), '--env', 'CHANGE=new', '-e', 'ADDED=added')).code).toBe(0)
    expect((await cli('resume', String(id))).code).toBe(0)
    expect((await cli('follow', String(id))).stdout).toBe('kept new added\n')
  })

  it('edit --unset-env removes variables (as pueue env unset does), refusing one also set or one the task has not', async () => {
    const id = await addQuiet('--stash', '--env', 'KEEP=kept', '--env', 'DROP=dropped', '--env', 'ALSO=also', '--', 'sh', '-c', 'echo "${KEEP-unset} ${DROP-unset} ${ALSO-unset}"')
    const envOf = async (): Promise<unknown> =>
      (await cli('status', '--json')).json<{ tasks: Task[] }>().tasks.find((task) => task.id === id)?.definition.spec
    const before = await envOf()

    const both = await cli('edit', String(id), '--env', 'DROP=again', '--unset-env', 'DROP')
    expect(both.code).toBe(2)
    expect(both.stderr).toBe('taskdeck: --unset-env DROP: the same command sets it with --env DROP=…; give one or the other.\n')
    const missing = await cli('edit', String(id), '--unset-env', 'DORP')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toBe('taskdeck: --unset-env DORP: the task has no variable DORP (it has KEEP, DROP, ALSO).\n')
    // Refused as a whole: nothing of either command reached the task.
    expect(await envOf()).toEqual(before)

    expect((await cli('edit', String(id), '--unset-env', 'DROP', '--unset-env', 'ALSO')).code).toBe(0)
    expect((await cli('resume', String(id))).code).toBe(0)
    expect((await cli('follow', String(id))).stdout).toBe('kept unset unset\n')
  })

  it('follow and log of a task that never ran (its dependency failed) say why it ended, as status does', async () => {
    const first = await addQuiet('--', 'false')
    const dependant = await addQuiet('--after', String(first), '--', 'echo', 'never')
    const followed = await cli('follow', String(dependant))
    expect(followed.code).toBe(1)
    expect(followed.stdout).toBe('')
    expect(followed.stderr).toMatch(new RegExp(`Task ${dependant} failed: dependency #${first} failed: exited with code 1\\n$`))
    const log = await cli('log', String(dependant))
    expect(log.code).toBe(1)
    expect(log.stderr).toBe(`taskdeck: Task ${dependant} never ran (failed: dependency #${first} failed: exited with code 1).\n`)
    const queued = await addQuiet('--stash', '--', 'true')
    expect((await cli('log', String(queued))).stderr).toBe(`taskdeck: Task ${queued} has not run yet (stashed).\n`)
  })
})
