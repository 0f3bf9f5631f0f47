import { describe, expect, it, vi } from 'vitest'
import { TerminalLineState } from '../../src-shared/terminal-line.ts'
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
  it('after a resync forgets what it held and reads the length and the lines in view again', async () => {
    const { readLog, reads } = logOf(2000)
    const log = new LogWindow(1, 0, readLog)
    // Only the first chunk arrived, the second line unfinished; a resync cut the rest.
    log.append(chunk(0, 'line 0\nli'))
    expect(log.totalLines).toBe(2)
    await log.resync()
    expect(log.totalLines).toBe(2000)
    expect(log.line(1)).toBeUndefined()
    log.ensure(1990, 2000)
    await new Promise((r) => setTimeout(r, 0))
    expect(log.line(1999)?.text).toBe('line 1999')
    expect(reads.at(-1)).toEqual({ fromLine: 1500, count: 500 })
  })
})

describe('LogWindow following a fast run coalesced to its tail', () => {
  const tail = (from: number, to: number, skippedFrom: number): RunOutput => ({
    ...chunk(from, Array.from({ length: to - from }, (_, i) => `line ${from + i}\n`).join('')),
    skippedFrom,
  })

  it('counts every line, holds the newest ones, and reads the left-out lines only when they come into view', async () => {
    const { readLog, reads } = logOf(100_000)
    const log = new LogWindow(1, 0, readLog)
    log.append(chunk(0, 'line 0\nline 1\nli'))
    log.append(tail(99_800, 100_000, 2))
    expect(log.totalLines).toBe(100_000)
    expect(log.line(99_999)?.text).toBe('line 99999')
    expect(log.line(1)?.text).toBe('line 1')
    // The line left unfinished before the gap is not shown half-written.
    expect(log.line(2)).toBeUndefined()
    // Following: the lines on screen are all held, so nothing is read.
    log.ensure(99_960, 100_000)
    expect(reads).toEqual([])
    // Scrolling up into the gap reads that window.
    log.ensure(50_000, 50_040)
    await new Promise((r) => setTimeout(r, 0))
    expect(reads).toEqual([{ fromLine: 50_000, count: PAGE_LINES }])
    expect(log.line(50_010)?.text).toBe('line 50010')
  })

  it('takes the first line of a tail as the start of that line, not a continuation of an older copy', () => {
    const log = new LogWindow(1, 0, logOf(0).readLog)
    log.append(chunk(0, 'line 0\nline 1\n'))
    log.append({ ...chunk(2, 'line 2 is long\n'), skippedFrom: 2 })
    log.append({ ...chunk(500, 'line 500\nline 501\n'), skippedFrom: 3 })
    expect([log.line(2)?.text, log.line(500)?.text, log.line(501)?.text, log.totalLines]).toEqual(['line 2 is long', 'line 500', 'line 501', 502])
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

describe('LogWindow shows each line as a terminal shows it', () => {
  it('shows the latest state of a progress line while it is still being written, chunk by chunk', () => {
    const log = new LogWindow(1, 0, logOf(0).readLog)
    const shown: (string | undefined)[] = []
    for (const text of ['dl 10%', '\rdl 50%', '\rdl 1', '00%\r', '\n']) {
      log.append(chunk(0, text))
      shown.push(log.line(0)?.text)
    }
    expect(shown).toEqual(['dl 10%', 'dl 50%', 'dl 10%', 'dl 100%', 'dl 100%'])
    expect(log.totalLines).toBe(1)
  })

  it('feeds a progress line rewritten without end only what each chunk adds, drawn after every chunk', () => {
    const log = new LogWindow(1, 0, logOf(0).readLog)
    let fed = 0
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with each instance as `this` below
    const write = TerminalLineState.prototype.write
    const counting = vi.spyOn(TerminalLineState.prototype, 'write').mockImplementation(function (this: TerminalLineState, text: string) {
      fed += text.length
      return write.call(this, text)
    })
    try {
      let raw = ''
      const shown: string[] = []
      for (let i = 0; i < 2000; i++) {
        const text = `\rdownloading ${i % 100}%`
        raw += text
        log.append(chunk(0, text))
        shown.push(log.line(0)?.text ?? '')
      }
      // A shorter rewrite leaves the end of the longer one, as on a terminal.
      expect(shown.slice(8, 12)).toEqual(['downloading 8%', 'downloading 9%', 'downloading 10%', 'downloading 11%'])
      expect(shown.slice(99, 102)).toEqual(['downloading 99%', 'downloading 0%%', 'downloading 1%%'])
      // Each chunk once (the whole line, 2,000 chunks long, was not fed again on every draw).
      expect(fed).toBe(raw.length)
      expect(log.plainText(0)).toBe(log.line(0)?.text)
    } finally {
      counting.mockRestore()
    }
  })

  it('continues an open line from the cursor, not from the end of what is shown', () => {
    const log = new LogWindow(1, 0, logOf(0).readLog)
    log.append(chunk(0, 'abc\rX'))
    expect(log.line(0)?.text).toBe('Xbc')
    log.append(chunk(0, 'Y'))
    expect(log.line(0)?.text).toBe('XYc')
    // An erase sequence cut in two between chunks still erases.
    log.append(chunk(0, '\u001b['))
    log.append(chunk(0, 'K\n'))
    expect(log.line(0)?.text).toBe('XY')
  })

  it('shows a line read with run.readLog as a terminal shows it, in its colours, and copies it without them', async () => {
    const raw = '\u001b[33mdownloading 10%\u001b[0m\r\u001b[32mdone\u001b[0m\u001b[K'
    const log = new LogWindow(1, 1, logOf(1, () => raw).readLog)
    log.ensure(0, 10)
    await new Promise((r) => setTimeout(r, 0))
    expect(log.line(0)?.text).toBe('\u001b[0;32mdone\u001b[0m')
    expect(log.plainText(0)).toBe('done')
  })

  it('searches the shown text, not the raw bytes', async () => {
    const { readLog } = logOf(3, (n) => (n === 1 ? 'error 1\rfine   ' : n === 2 ? 'abcdef\rXY' : 'start'))
    expect(await findInLog(readLog, 1, 'error', 0, 3, 1)).toBeNull()
    expect(await findInLog(readLog, 1, 'xycdef', 0, 3, 1)).toBe(2)
  })
})
