import { describe, expect, it } from 'vitest'
import type { CommandInput, CommandResult, LogLine, Result } from '../../src-shared/index.ts'
import { LogWindow, findInLog, PAGE_LINES, type RunOutput } from '../../src-renderer/streams/log-window.ts'

/** A run log held in memory and read in windows, the way run.readLog answers. */
function logOf(count: number, text = (n: number) => `line ${n}`) {
  const reads: { fromLine: number; count: number }[] = []
  const readLog = (params: CommandInput<'run.readLog'>): Promise<Result<CommandResult<'run.readLog'>>> => {
    const from = params.fromLine ?? 0
    const n = Math.min(params.count ?? 1000, Math.max(0, count - from))
    reads.push({ fromLine: from, count: n })
    const lines: LogLine[] = Array.from({ length: n }, (_, i) => ({ n: from + i, stream: 'stdout', text: text(from + i) }))
    return Promise.resolve({ ok: true, value: { lines, totalLines: count, droppedBytes: 0, done: true } })
  }
  return { readLog, reads }
}

const chunk = (line: number, text: string, stream: 'stdout' | 'stderr' = 'stdout'): RunOutput => ({ type: 'run.output', runId: 1, taskId: 1, stream, line, text })

describe('LogWindow', () => {
  it('fetches only the pages in view of a ten-million-line log', async () => {
    const { readLog, reads } = logOf(10_000_000)
    const log = new LogWindow(1, 10_000_000, readLog)
    log.ensure(5_000_000, 5_000_040)
    await new Promise((r) => setTimeout(r, 0))
    expect(reads).toEqual([{ fromLine: Math.floor(5_000_000 / PAGE_LINES) * PAGE_LINES, count: PAGE_LINES }])
    expect(log.line(5_000_010)?.text).toBe('line 5000010')
    expect(log.line(10)).toBeUndefined()
  })

  it('appends live chunks, continuing a partial line and keeping streams apart', () => {
    const log = new LogWindow(1, 0, logOf(0).readLog)
    log.append(chunk(0, 'step 1\nstep'))
    log.append(chunk(1, ' 2\n'))
    log.append(chunk(2, 'boom\n', 'stderr'))
    expect(log.totalLines).toBe(3)
    expect([0, 1, 2].map((n) => log.line(n))).toEqual([
      { stream: 'stdout', text: 'step 1' },
      { stream: 'stdout', text: 'step 2' },
      { stream: 'stderr', text: 'boom' },
    ])
  })

  it('finds the next and previous line containing a text, wrapping around', async () => {
    const { readLog } = logOf(20_000, (n) => (n === 12_345 ? 'needle here' : `line ${n}`))
    expect(await findInLog(readLog, 1, 'NEEDLE', 0, 20_000, 1)).toBe(12_345)
    expect(await findInLog(readLog, 1, 'needle', 12_346, 20_000, 1)).toBe(12_345)
    expect(await findInLog(readLog, 1, 'needle', 19_999, 20_000, -1)).toBe(12_345)
    expect(await findInLog(readLog, 1, 'absent', 0, 20_000, 1)).toBeNull()
  })
})

describe('LogWindow overlap of reads and live output', () => {
  it('does not double a line that was read before its chunk arrived', async () => {
    const { readLog } = logOf(1, () => 'step 1')
    const log = new LogWindow(1, 0, readLog)
    log.ensure(0, 10)
    await new Promise((r) => setTimeout(r, 0))
    log.append(chunk(0, 'step 1\n'))
    log.append(chunk(1, 'step 2\n'))
    expect([log.line(0)?.text, log.line(1)?.text]).toEqual(['step 1', 'step 2'])
  })

  it('keeps the live version when an older read of a line arrives late', async () => {
    const { readLog } = logOf(1, () => 'ste')
    const log = new LogWindow(1, 0, readLog)
    log.append(chunk(0, 'step 1\n'))
    log.ensure(0, 10)
    await new Promise((r) => setTimeout(r, 0))
    expect(log.line(0)?.text).toBe('step 1')
  })
})

describe('LogWindow when live output was dropped', () => {
  it('reaches the end a finished run reports, and reads the lines it never saw live', async () => {
    const { readLog } = logOf(2000)
    const log = new LogWindow(1, 0, readLog)
    // Only the first chunk arrived; a resync cut the rest of the live output.
    log.append(chunk(0, 'line 0\nline 1\n'))
    expect(log.totalLines).toBe(2)
    log.growTo(2000)
    log.growTo(5) // an older, smaller count never shrinks the log
    expect(log.totalLines).toBe(2000)
    log.ensure(1990, 2000)
    await new Promise((r) => setTimeout(r, 0))
    expect(log.line(1999)?.text).toBe('line 1999')
  })
})

describe('LogWindow under a firehose', () => {
  it('keeps only the tail and the window in view as objects, and counts the rest', () => {
    const log = new LogWindow(1, 0, logOf(0).readLog)
    log.ensure(0, 40)
    const lines = Array.from({ length: 5000 }, (_, i) => `n${i}`)
    log.append(chunk(0, `${lines.join('\n')}\n`))
    expect(log.totalLines).toBe(5000)
    expect(log.line(10)?.text).toBe('n10')
    expect(log.line(4999)?.text).toBe('n4999')
    expect(log.line(5000 - PAGE_LINES)?.text).toBe(`n${5000 - PAGE_LINES}`)
    expect(log.line(4999 - PAGE_LINES)).toBeUndefined()
    expect(log.line(2000)).toBeUndefined()
  })
})
