import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { DurableEvent, Task } from '../../src-shared/index.ts'
import { TERMINAL_SIZE } from '../../src-main/engine/runners/shell.ts'
import { eventually, killLeftovers, stillAlive, type ProcessIdentity } from '../runners/process-tree.ts'
import { useEngine, useTempHome } from '../support/engine.ts'
import { EngineProcess } from './process.ts'

const t = useEngine()
const started: ProcessIdentity[] = []
afterEach(() => killLeftovers(started.splice(0)))

const tty = (command: string | string[], extra: Record<string, unknown> = {}) => ({ spec: { kind: 'shell' as const, command, tty: true, ...extra } })
const texts = async (taskId: number) => {
  const { task } = await t.engine.handlers['task.get']({ taskId })
  return (await t.lines(task.lastRunId!)).map((line) => `${line.stream}: ${line.text}`)
}
const runOf = async (taskId: number) => (await t.engine.handlers['task.get']({ taskId })).runs.at(-1)!

/** `pid` with its kernel start time (to recognise it later despite pid reuse). */
function identity(pid: number): ProcessIdentity {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return { pid, startTicks: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]! }
}

/** The session of `pid` (field 6 of /proc/PID/stat). */
function sessionOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3])
}

/** A command whose grandchild ignores the terminal's hangup (SIGHUP), prints its pid and sleeps: only a signal sent to it kills it. */
const STUBBORN = `trap '' HUP; (sleep 1000 & echo "grandchild $!"; wait) & wait`

async function grandchildOf(taskId: number): Promise<ProcessIdentity> {
  let pid: number | undefined
  await eventually(() => {
    const line = t.events.flatMap((e) => (e.type === 'run.output' && e.taskId === taskId ? [e.text] : [])).join('')
    pid = Number(/grandchild (\d+)/.exec(line)?.[1]) || undefined
    return pid !== undefined
  }, 'the grandchild to say its pid')
  const grandchild = identity(pid!)
  started.push(grandchild)
  return grandchild
}

describe('a shell task on a terminal (tty: true)', () => {
  it('runs on a terminal of a known size and type; programs that colour only on a terminal do so; one stream', async () => {
    const dir = join(t.home, 'listing')
    mkdirSync(join(dir, 'subdir'), { recursive: true })
    const command = 'test -t 0 && echo stdin-tty; test -t 1 && echo stdout-tty; stty size; echo "$TERM"; echo to-stderr >&2; ls --color=auto'
    const onTty = await t.submit(tty(command, { cwd: dir }))
    const plain = await t.submit({ spec: { kind: 'shell', command, cwd: dir } })
    await t.until(onTty.id, ['succeeded'])
    await t.until(plain.id, ['succeeded'])
    const lines = await texts(onTty.id)
    expect(lines.slice(0, 5)).toEqual(['stdout: stdin-tty', 'stdout: stdout-tty', `stdout: ${TERMINAL_SIZE.rows} ${TERMINAL_SIZE.columns}`, 'stdout: xterm-256color', 'stdout: to-stderr'])
    // ls colours a directory on a terminal only.
    expect(lines[5]).toContain('subdir')
    expect(lines[5]).toContain('\u001b[')
    const plainLines = await texts(plain.id)
    expect(plainLines).toContain('stdout: subdir')
    expect(plainLines).toContain('stderr: to-stderr')
    expect(plainLines.filter((line) => line.endsWith('-tty') || line.includes('\u001b'))).toEqual([])
  })

  it('propagates the exit code, and honours env, cwd, argv and the size the environment names', async () => {
    const failing = await t.submit(tty('echo about to fail; exit 3'))
    await t.until(failing.id, ['failed'])
    expect(await runOf(failing.id)).toMatchObject({ exitCode: 3, reason: 'exited with code 3' })

    const dir = join(t.home, 'work dir')
    mkdirSync(dir)
    const shaped = await t.submit(tty('pwd; echo "$GREETING"; stty size', { cwd: dir, env: { GREETING: "it's $HOME", COLUMNS: '90', LINES: '30' } }))
    await t.until(shaped.id, ['succeeded'])
    expect(await texts(shaped.id)).toEqual([`stdout: ${dir}`, "stdout: it's $HOME", 'stdout: 30 90'])

    const argv = await t.submit(tty(['printf', '%s|', 'a b', '$(no)', "'q'"]))
    await t.until(argv.id, ['succeeded'])
    expect(await texts(argv.id)).toEqual(["stdout: a b|$(no)|'q'|"])
  })

  it('delivers stdin through the terminal, ending it so that a reader sees its end; no echo', async () => {
    const task = await t.submit(tty('while read -r line; do echo "got $line"; done; echo end', { stdin: 'one\ntwo\n' }))
    await t.until(task.id, ['succeeded'])
    expect(await texts(task.id)).toEqual(['stdout: got one', 'stdout: got two', 'stdout: end'])
  })

  it('takes lines sent to a running task (task.send) through the terminal', async () => {
    const task = await t.submit(tty('echo ready; read -r line; echo "got $line"'))
    await eventually(() => t.events.some((e) => e.type === 'run.output' && e.taskId === task.id && e.text.includes('ready')), 'the task to be ready')
    await t.engine.handlers['task.send']({ taskId: task.id, text: 'hello there\n' })
    await t.until(task.id, ['succeeded'])
    expect(await texts(task.id)).toEqual(['stdout: ready', 'stdout: got hello there'])
  })

  it('cancel kills the whole tree, a grandchild that ignores the hangup included (it is in the terminal\'s session, not our group)', async () => {
    const task = await t.submit(tty(STUBBORN))
    const grandchild = await grandchildOf(task.id)
    const run = await runOf(task.id)
    expect(sessionOf(grandchild.pid)).not.toBe(run.pid)
    await t.engine.handlers['task.cancel']({ taskIds: [task.id] })
    await t.until(task.id, ['cancelled'])
    expect(stillAlive(grandchild)).toBe(false)
  })

  it('a timeout kills the whole tree too', async () => {
    const task = await t.submit({ ...tty(STUBBORN), timeoutMs: 1500 })
    const grandchild = await grandchildOf(task.id)
    await t.until(task.id, ['timed_out'])
    expect(stillAlive(grandchild)).toBe(false)
  })

  it('is refused, naming the field, where script(1) is not to be found', async () => {
    const path = process.env.PATH
    process.env.PATH = join(t.home, 'no-such-bin')
    try {
      await expect(t.submit(tty('echo hi'))).rejects.toMatchObject({
        code: 'bad_request',
        message: 'definition.spec.tty: a terminal (tty: true) needs script(1) (util-linux on Linux), which is not on PATH here',
      })
    } finally {
      process.env.PATH = path
    }
  })
})

const dir = useTempHome()

describe('a tty run of an engine that dies hard', () => {
  it('dies with it: the reaper kills the terminal session\'s group, not only script(1)', async () => {
    const engine = new EngineProcess(dir.home)
    await engine.until(() => engine.ready)
    const result = (await engine.request('task.submit', { definition: tty(STUBBORN) })) as { ok: true; value: { task: Task } }
    expect(result.ok).toBe(true)
    const taskId = result.value.task.id
    let pid: number | undefined
    const outputs = () => engine.events.filter((e): e is Extract<DurableEvent, { type: 'run.updated' }> => e.type === 'run.updated' && e.run.taskId === taskId)
    await engine.until(() => outputs().some((e) => e.run.pid !== null))
    const scriptPid = outputs().find((e) => e.run.pid !== null)!.run.pid!
    // The grandchild is found in /proc: a process of another session whose ancestry leads to script.
    const parentOf = (p: number) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      } catch {
        return 0
      }
    }
    const descends = (p: number) => {
      for (let at = p, depth = 0; at > 1 && depth < 10; at = parentOf(at), depth++) if (at === scriptPid) return true
      return false
    }
    await eventually(() => {
      pid = readdirSync('/proc')
        .filter((entry) => /^\d+$/.test(entry))
        .map(Number)
        .find((p) => p !== scriptPid && descends(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('sleep'))
      return pid !== undefined
    }, 'the sleeping grandchild')
    const grandchild = identity(pid!)
    started.push(grandchild)
    expect(sessionOf(grandchild.pid)).not.toBe(scriptPid)
    await engine.kill()
    await eventually(() => !stillAlive(grandchild), 'the grandchild to be gone')
  })
})
