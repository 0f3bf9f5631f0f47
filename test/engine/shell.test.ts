import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { TaskdeckError } from '../../src-shared/index.ts'
import { createShellRunner } from '../../src-main/engine/runners/shell.ts'
import { isAlive, shell, waitFor } from './helpers.ts'
import { useEngine } from '../support/engine.ts'

const t = useEngine()

describe('shell runner', () => {
  it('keeps output order and content, stdout and stderr apart', async () => {
    const task = await t.submit(shell('for i in 1 2 3; do echo out $i; echo err $i >&2; done; printf tail'))
    const done = await t.until(task.id, ['succeeded', 'failed'])
    expect(done.status).toBe('succeeded')
    const lines = await t.lines(done.lastRunId!)
    // The two pipes are read independently, so only the order within each stream is the program's.
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual(['out 1', 'out 2', 'out 3', 'tail'])
    expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.text)).toEqual(['err 1', 'err 2', 'err 3'])
    expect(lines.map((l) => l.n)).toEqual([0, 1, 2, 3, 4, 5, 6])
    const onlyStderr = await t.engine.handlers['run.readLog']({ runId: done.lastRunId!, fromLine: 0, count: 2, stream: 'stderr' })
    expect(onlyStderr.lines.map((l) => l.text)).toEqual(['err 1', 'err 2'])
    const streamed = t.events.filter((e) => e.type === 'run.output').map((e) => (e.type === 'run.output' ? e.text : '')).join('')
    expect(streamed).toContain('out 3\n')
    const { runs } = await t.engine.handlers['task.get']({ taskId: task.id })
    expect(runs[0]).toMatchObject({ status: 'succeeded', exitCode: 0, logLines: 7 })
  })

  it('reports the exit code as the reason', async () => {
    const task = await t.submit(shell('exit 3'))
    const done = await t.until(task.id, ['failed'])
    const { runs } = await t.engine.handlers['task.get']({ taskId: done.id })
    expect(runs[0]).toMatchObject({ status: 'failed', exitCode: 3, reason: 'exited with code 3' })
  })

  it('names a missing executable (argv mode, no shell)', async () => {
    const task = await t.submit(shell(['definitely-not-a-program-xyz', '--flag']))
    await t.until(task.id, ['failed'])
    const { runs } = await t.engine.handlers['task.get']({ taskId: task.id })
    expect(runs[0]!.reason).toBe('executable not found: definitely-not-a-program-xyz')
  })

  it('names a file that is not executable', async () => {
    const script = join(t.home, 'not-executable.sh')
    writeFileSync(script, 'echo hi\n')
    chmodSync(script, 0o644)
    const task = await t.submit(shell([script]))
    await t.until(task.id, ['failed'])
    const { runs } = await t.engine.handlers['task.get']({ taskId: task.id })
    expect(runs[0]!.reason).toBe(`permission denied: ${script}`)
  })

  it.runIf(existsSync('/bin/bash'))("a string command run by bash does not read the user's ~/.bashrc, even with SHLVL unset as a desktop launcher leaves it", async () => {
    const home = join(t.home, 'user-home')
    mkdirSync(home)
    const marker = join(home, 'bashrc-was-read')
    writeFileSync(join(home, '.bashrc'), `touch ${marker}\n`)
    const task = await t.submit({ spec: { kind: 'shell', command: 'echo plain', shell: '/bin/bash', env: { HOME: home, SHLVL: '0' } } })
    await t.until(task.id, ['succeeded'])
    expect(existsSync(marker)).toBe(false)
  })

  it('never interprets argv: no injection', async () => {
    const marker = join(t.home, 'injected')
    const task = await t.submit(shell(['echo', `; touch ${marker}`, '$(touch x)']))
    await t.until(task.id, ['succeeded'])
    expect((await t.lines(task.lastRunId ?? (await t.engine.handlers['task.get']({ taskId: task.id })).task.lastRunId!)).map((l) => l.text)).toEqual([`; touch ${marker} $(touch x)`])
    expect(() => readFileSync(marker)).toThrow()
  })

  it('refuses a cwd that does not exist at submit, and fails the run if it disappears before start', async () => {
    await expect(t.submit(shell('pwd', { spec: { kind: 'shell', command: 'pwd', cwd: '/nope/nowhere' } }))).rejects.toMatchObject({
      code: 'bad_request',
      message: 'definition.spec.cwd: directory /nope/nowhere does not exist',
    })
    const vanishing = join(t.home, 'vanishing')
    mkdirSync(vanishing)
    await t.engine.handlers['engine.pause']({})
    const task = await t.submit({ spec: { kind: 'shell', command: 'pwd', cwd: vanishing } })
    const { rmSync } = await import('node:fs')
    rmSync(vanishing, { recursive: true })
    await t.engine.handlers['engine.resume']({})
    await t.until(task.id, ['failed'])
    const { runs } = await t.engine.handlers['task.get']({ taskId: task.id })
    expect(runs[0]!.reason).toBe(`working directory does not exist: ${vanishing}`)
  })

  it('uses cwd, env and stdin', async () => {
    const task = await t.submit({
      spec: { kind: 'shell', command: 'pwd; echo "$GREETING"; cat', cwd: t.home, env: { GREETING: 'hello there' }, stdin: 'from stdin\n' },
    })
    const done = await t.until(task.id, ['succeeded', 'failed'])
    expect((await t.lines(done.lastRunId!)).map((l) => l.text)).toEqual([t.home, 'hello there', 'from stdin'])
  })

  it('task.send writes to a running task\'s stdin', async () => {
    const task = await t.submit(shell('read line; echo "got $line"'))
    await t.until(task.id, ['running'])
    await t.waitForEvent((e): e is never => e.type === 'run.updated' && e.run.taskId === task.id && e.run.pid !== null)
    await t.engine.handlers['task.send']({ taskId: task.id, text: 'ping\n' })
    const done = await t.until(task.id, ['succeeded'])
    expect((await t.lines(done.lastRunId!)).map((l) => l.text)).toEqual(['got ping'])
    await expect(t.engine.handlers['task.send']({ taskId: task.id, text: 'late\n' })).rejects.toMatchObject({
      code: 'conflict',
      message: `Task ${task.id} is not running (status: succeeded); only a running task takes input.`,
    })
  })

  it('refuses a relative cwd, which would be read from the engine’s directory, and says that ~ is not expanded', async () => {
    // "src-main" exists where the engine runs (the repository), but not where the caller meant.
    await expect(t.submit(shell('pwd', { spec: { kind: 'shell', command: 'pwd', cwd: 'src-main' } }))).rejects.toMatchObject({
      code: 'bad_request',
      message: "definition.spec.cwd: src-main is a relative path; give the full path (it would be read from the engine's working directory, not yours)",
      details: { issues: [{ path: 'definition.spec.cwd' }] },
    })
    await expect(t.submit(shell('pwd', { spec: { kind: 'shell', command: 'pwd', cwd: '~/project' } }))).rejects.toMatchObject({
      code: 'bad_request',
      message: 'definition.spec.cwd: ~/project: ~ is not expanded here; give the full path (/home/you/…)',
    })
  })

  it('cancel kills a process tree three levels deep, leaving no survivors', async () => {
    const pids = join(t.home, 'pids')
    // level 1: sh; level 2: a subshell; level 3: sleep (and a TERM-ignoring one to force SIGKILL)
    const command = `echo $$ >> ${pids}; ( echo $$BASHPID >> ${pids} 2>/dev/null; sh -c 'echo $$ >> ${pids}; trap "" TERM; sleep 300 & echo $! >> ${pids}; sleep 300' ) & wait`
    const task = await t.submit(shell(['sh', '-c', command]))
    await waitFor(() => {
      try {
        return readFileSync(pids, 'utf8').trim().split('\n').length >= 3
      } catch {
        return false
      }
    }, 'the tree to start')
    const tree = readFileSync(pids, 'utf8').trim().split('\n').map(Number).filter((n) => n > 0)
    expect(tree.every(isAlive)).toBe(true)
    await t.engine.handlers['task.cancel']({ taskIds: [task.id] })
    const done = await t.until(task.id, ['cancelled'])
    expect(done.status).toBe('cancelled')
    expect(tree.filter(isAlive)).toEqual([])
    const { runs } = await t.engine.handlers['task.get']({ taskId: task.id })
    expect(runs[0]).toMatchObject({ status: 'cancelled', reason: 'cancelled by user' })
  })

  it('refuses a kind that has no runner', async () => {
    const only = await t.open({ home: t.anotherHome(), runners: { shell: createShellRunner() } })
    const error = await only.submit({ spec: { kind: 'script', path: '/tmp/x.js' } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TaskdeckError)
    expect(error).toMatchObject({ code: 'bad_request' })
    expect((error as Error).message).toBe('definition.spec.kind: no runner for kind "script" in this Taskdeck')
  })
})
