import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { RunSchema, type Run } from '../../src-shared/index.ts'
import { STDERR_TAIL, tailText } from '../../src-main/engine/stderr-tail.ts'
import { useEngine } from '../support/engine.ts'
import { shell } from './helpers.ts'

const t = useEngine()

const lastRun = async (taskId: number): Promise<Run> => (await t.engine.handlers['task.get']({ taskId })).runs.at(-1)!
const finishedEvent = (runId: number): Run | undefined => t.events.flatMap((e) => (e.type === 'run.finished' && e.run.id === runId ? [e.run] : [])).at(-1)

describe('the tail of stderr kept on a run', () => {
  it('keeps the last stderr lines of a run that exits 3, not its stdout, in the run and its run.finished event', async () => {
    const task = await t.submit(shell('echo progress; echo "warming up" >&2; echo; echo "Error: config.toml: no such key \\"port\\"" >&2; echo done; exit 3'))
    const done = await t.until(task.id, ['failed'])
    const run = await lastRun(done.id)
    expect(run).toMatchObject({ exitCode: 3, reason: 'exited with code 3', stderrTail: 'warming up\nError: config.toml: no such key "port"' })
    expect(finishedEvent(run.id)?.stderrTail).toBe(run.stderrTail)
  })

  it('strips ANSI colours and control characters, and keeps what a terminal shows of a line rewritten with \\r', async () => {
    const task = await t.submit(shell(`printf '\\033[1;31merror:\\033[0m \\033]8;;http://x\\007link\\033]8;;\\007 bad\\a\\tthing\\n' >&2; printf 'Downloading 10%%\\rDownloading 99%%\\rfailed at 99%%\\r\\n' >&2; exit 1`))
    await t.until(task.id, ['failed'])
    // "failed at 99%" is two columns shorter than "Downloading 99%": a terminal shows the end of the longer text after it.
    expect((await lastRun(task.id)).stderrTail).toBe('error: link bad thing\nfailed at 99%9%')
  })

  it('agrees with the log viewer on a rewritten line: a shorter rewrite leaves the end of the longer text unless erased', () => {
    const lines = (text: string) => tailText(Buffer.from(text), false)
    expect(lines('Downloading 100%\rfailed\n')).toBe('failedading 100%')
    expect(lines('Downloading 100%\rfailed\u001b[K\n')).toBe('failed')
    expect(lines('Downloading 100%\u001b[2K\rfailed\r\n')).toBe('failed')
    expect(lines(`\u001b[31mDownloading\u001b[0m 100%\r\u001b[1mok\u001b[0m\n`)).toBe('okwnloading 100%')
  })

  it('keeps at most the last lines and bytes of megabytes of stderr', async () => {
    // 4 MB of stderr in lines of 100 bytes, then the two lines that say why, one of them very long.
    const long = 'x'.repeat(5000)
    const task = await t.submit(shell(`head -c 4000000 /dev/zero | tr '\\0' 'e' | fold -w 100 >&2; echo "line before" >&2; echo "fatal: ${long}" >&2; exit 2`))
    await t.until(task.id, ['failed'])
    const tail = (await lastRun(task.id)).stderrTail!
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(STDERR_TAIL.bytes)
    expect(tail.split('\n').length).toBeLessThanOrEqual(STDERR_TAIL.lines)
    // The last line wins the room; too long for it, it keeps its start and says it was cut.
    expect(tail).toMatch(/^fatal: x+…$/)
  })

  it('keeps no more lines than the cap, the newest', async () => {
    const task = await t.submit(shell('for i in 1 2 3 4 5 6 7 8 9; do echo "problem $i" >&2; done; exit 1'))
    await t.until(task.id, ['failed'])
    const tail = (await lastRun(task.id)).stderrTail!
    expect(tail.split('\n')).toEqual(Array.from({ length: STDERR_TAIL.lines }, (_, i) => `problem ${9 - STDERR_TAIL.lines + 1 + i}`))
  })

  it('is absent on a run that succeeded or wrote nothing on stderr', async () => {
    const ok = await t.submit(shell('echo warning >&2; true'))
    const silent = await t.submit(shell('echo out; exit 4'))
    await t.until(ok.id, ['succeeded'])
    await t.until(silent.id, ['failed'])
    expect((await lastRun(ok.id)).stderrTail).toBeUndefined()
    expect((await lastRun(silent.id)).stderrTail).toBeUndefined()
  })

  it('survives a restart', async () => {
    const task = await t.submit(shell('echo "disk full" >&2; exit 1'))
    await t.until(task.id, ['failed'])
    const runId = (await lastRun(task.id)).id
    await t.reopen()
    const { runs } = await t.engine.handlers['task.get']({ taskId: task.id })
    expect(runs.find((r) => r.id === runId)?.stderrTail).toBe('disk full')
    const replayed = await t.engine.handlers['events.read']({ since: 0, limit: 10_000 })
    const stored = replayed.events.flatMap((e) => (e.type === 'run.finished' && e.run.id === runId ? [e.run] : []))
    expect(stored.at(-1)?.stderrTail).toBe('disk full')
  })

  it('an older server\'s run, without the field, still parses', () => {
    const old = { id: 1, taskId: 1, attempt: 1, status: 'failed', startedAt: 1, finishedAt: 2, durationMs: 1, exitCode: 1, signal: null, reason: 'exited with code 1', pid: null, worker: 'local', result: null, logLines: 0, logBytes: 0, droppedBytes: 0 }
    expect(RunSchema.parse(old).stderrTail).toBeUndefined()
    expect(RunSchema.parse({ ...old, stderrTail: 'boom' }).stderrTail).toBe('boom')
  })
})

describe('a program that cannot be started exits as a shell would say', () => {
  it('a missing program exits 127 with its reason, a file that is not executable 126', async () => {
    const missing = await t.submit(shell(['definitely-not-a-program-xyz', '--flag']))
    const script = join(t.home, 'not-executable.sh')
    writeFileSync(script, 'echo hi\n')
    chmodSync(script, 0o644)
    const denied = await t.submit(shell([script]))
    await t.until(missing.id, ['failed'])
    await t.until(denied.id, ['failed'])
    expect(await lastRun(missing.id)).toMatchObject({ status: 'failed', exitCode: 127, reason: 'executable not found: definitely-not-a-program-xyz', endReason: { kind: 'executable-not-found' } })
    expect(await lastRun(denied.id)).toMatchObject({ status: 'failed', exitCode: 126, reason: `permission denied: ${script}`, endReason: { kind: 'permission-denied' } })
  })

  it('a missing program under a shell exits 127 too, and its words are the tail', async () => {
    const task = await t.submit(shell('definitely-not-a-program-xyz'))
    await t.until(task.id, ['failed'])
    const run = await lastRun(task.id)
    expect(run).toMatchObject({ exitCode: 127, endReason: { kind: 'exited', code: 127, commandNotFound: true } })
    expect(run.stderrTail).toMatch(/definitely-not-a-program-xyz.*not found/)
  })
})
