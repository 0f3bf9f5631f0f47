import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { RunLogWriter, readLogWindow, readStreamTail } from '../../src-main/engine/logs.ts'
import { StreamTail } from '../../src-main/engine/stderr-tail.ts'
import { seeded } from '../support/seeded.ts'
import { shell } from './helpers.ts'
import { useTempHome } from '../support/engine.ts'

const dir = useTempHome()

describe('run logs', () => {
  it('reads any window of lines from a large log', async () => {
    const t = await dir.open()
    const task = await t.submit(shell('seq 1 100000'))
    const done = await t.until(task.id, ['succeeded'])
    const window = await t.engine.handlers['run.readLog']({ runId: done.lastRunId!, fromLine: 54_321, count: 3 })
    expect(window.lines).toEqual([
      { n: 54_321, stream: 'stdout', text: '54322' },
      { n: 54_322, stream: 'stdout', text: '54323' },
      { n: 54_323, stream: 'stdout', text: '54324' },
    ])
    expect(window).toMatchObject({ totalLines: 100_000, droppedBytes: 0, done: true })
    const end = await t.engine.handlers['run.readLog']({ runId: done.lastRunId!, fromLine: 99_999, count: 10 })
    expect(end.lines.map((l) => l.text)).toEqual(['100000'])
    // Live output: line numbers of the streamed chunks agree with the log.
    const chunks = t.events.filter((e) => e.type === 'run.output')
    const joined = chunks.map((e) => (e.type === 'run.output' ? e.text : '')).join('')
    expect(joined.split('\n').length).toBe(100_001)
    // A chunk's `line` is the line its first character belongs to: the number of newlines streamed before it.
    let newlines = 0
    for (const chunk of chunks) {
      if (chunk.type !== 'run.output') continue
      expect(chunk.line).toBe(newlines)
      newlines += chunk.text.split('\n').length - 1
    }
  })

  it('keeps binary output byte for byte', async () => {
    const t = await dir.open()
    const task = await t.submit(shell(['node', '-e', 'process.stdout.write(Buffer.from(Array.from({ length: 256 }, (_, i) => i)))']))
    const done = await t.until(task.id, ['succeeded'])
    const bytes = readFileSync(join(dir.home, 'logs', `${done.lastRunId}.log`))
    expect([...bytes]).toEqual(Array.from({ length: 256 }, (_, i) => i))
  })

  it('caps a run\'s log keeping the head and the tail, and counts what it dropped', async () => {
    const t = await dir.open()
    await t.engine.handlers['settings.set']({ patch: { logCapBytes: 64 * 1024 } })
    const task = await t.submit(shell('seq 1 200000'))
    const done = await t.until(task.id, ['succeeded'])
    const run = (await t.engine.handlers['task.get']({ taskId: task.id })).runs[0]!
    const totalBytes = Array.from({ length: 200000 }, (_, i) => String(i + 1).length + 1).reduce((a, b) => a + b, 0)
    expect(run.logBytes).toBe(totalBytes)
    expect(run.droppedBytes).toBeGreaterThan(totalBytes - 64 * 1024 - 1)
    const head = await t.engine.handlers['run.readLog']({ runId: done.lastRunId!, fromLine: 0, count: 3 })
    expect(head.lines.map((l) => l.text)).toEqual(['1', '2', '3'])
    expect(head.droppedBytes).toBe(run.droppedBytes)
    const last = await t.engine.handlers['run.readLog']({ runId: done.lastRunId!, fromLine: head.totalLines - 1, count: 1 })
    expect(last.lines.map((l) => l.text)).toEqual(['200000'])
    // Reading across the gap yields one system line naming what is missing.
    const across = await t.engine.handlers['run.readLog']({ runId: done.lastRunId!, fromLine: 0, count: 10_000 })
    const marker = across.lines.find((l) => l.stream === 'system')
    expect(marker?.text).toMatch(/^\[… \d+ bytes \(\d+ lines\) dropped: the log keeps the first and the last 32 KB of each run …\]$/)
    const afterMarker = across.lines[across.lines.indexOf(marker!) + 1]!
    expect(afterMarker.n).toBeGreaterThan(marker!.n)
    expect(Number(afterMarker.text)).toBeGreaterThan(Number(across.lines[across.lines.indexOf(marker!) - 1]!.text) + 1000)
  })

  it('splits lines by stream and keeps numbering stable under the cap', () => {
    const writer = new RunLogWriter(dir.home, 7, 128 * 1024)
    expect(writer.write('stdout', Buffer.from('par'))).toBe(0)
    expect(writer.write('stdout', Buffer.from('tial\nnext'))).toBe(0)
    expect(writer.write('stderr', Buffer.from('err\n'))).toBe(2)
    expect(writer.write('stdout', Buffer.from('x'.repeat(300 * 1024) + '\nend\n'))).toBe(3)
    writer.close()
    const window = readLogWindow(dir.home, 7, 0, 3)
    expect(window.lines).toEqual([
      { n: 0, stream: 'stdout', text: 'partial' },
      { n: 1, stream: 'stdout', text: 'next' },
      { n: 2, stream: 'stderr', text: 'err' },
    ])
    expect(window.droppedBytes).toBeGreaterThan(0)
    const tail = readLogWindow(dir.home, 7, window.totalLines - 1, 1)
    expect(tail.lines[0]).toMatchObject({ stream: 'stdout', text: 'end' })
    expect(window.storedBytes + window.droppedBytes).toBe(writer.bytes)
  })

  it('reads back the last bytes of one stream, as the live tail kept them, across parts and the cap', () => {
    for (const [runId, chunks] of [
      [8, 40],
      [9, 8000],
    ] as const) {
      const random = seeded(runId)
      const writer = new RunLogWriter(dir.home, runId, 256 * 1024)
      const live = new StreamTail(1000)
      for (let i = 0; i < chunks; i++) {
        const stream = random() < 0.5 ? 'stderr' : 'stdout'
        const text = `${stream} ${i} ${'é'.repeat(Math.floor(random() * 40))}${random() < 0.7 ? '\n' : ''}`
        writer.write(stream, Buffer.from(text))
        if (stream === 'stderr') live.push(Buffer.from(text))
      }
      writer.close()
      const stored = readStreamTail(dir.home, runId, 'stderr', 1000)
      const kept = live.bytes()
      expect(stored.cut).toBe(kept.cut)
      expect(stored.bytes.toString('hex')).toBe(Buffer.from(kept.bytes).toString('hex'))
    }
    expect(readStreamTail(dir.home, 404, 'stderr', 1000)).toEqual({ bytes: Buffer.alloc(0), cut: false })
  })
})
