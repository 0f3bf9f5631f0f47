import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BACKLOG_HIGH_WATER_BYTES, TAIL_BYTES, TAIL_LINES, WatchedOutput } from '../../src-main/api/watched-output.ts'
import { isFinished, type EngineEvent, type RunOutput, type Task } from '../../src-shared/index.ts'
import { call, startHarness, TestSocket, waitUntil, type Harness } from './helpers.ts'

/** A shell task that starts, then waits for `go` in its folder before running `body`, so a client can watch its run first. */
async function gatedTask(h: Harness, name: string, body: string): Promise<{ task: Task; go: () => void }> {
  const gate = join(h.root, `go-${name}`)
  const command = `while [ ! -f '${gate}' ]; do sleep 0.01; done; ${body}`
  const { task } = await call<{ task: Task }>(h.server, 'task.submit', { definition: { spec: { kind: 'shell', command }, name } })
  return { task, go: () => writeFileSync(gate, '') }
}

async function runIdOf(h: Harness, taskId: number): Promise<number> {
  let runId = 0
  await waitUntil(async () => {
    const { runs } = await call<{ runs: { id: number }[] }>(h.server, 'task.get', { taskId })
    runId = runs[0]?.id ?? 0
    return runId > 0
  }, `task ${taskId} to start`)
  return runId
}

async function untilFinished(h: Harness, taskId: number): Promise<void> {
  await waitUntil(async () => isFinished((await call<{ task: Task }>(h.server, 'task.get', { taskId })).task.status), `task ${taskId} to finish`)
}

const outputOf = (socket: TestSocket, runId: number): RunOutput[] => socket.events().filter((e): e is RunOutput => e.type === 'run.output' && e.runId === runId)

describe('watched output over a real WebSocket', () => {
  let h: Harness
  afterEach(async () => {
    await h.close()
  })

  it('sends no output of an unwatched run to a watched subscription, while an `all` subscription gets every chunk', async () => {
    h = await startHarness()
    const auth = { headers: { authorization: `Bearer ${h.server.token}` } }
    const watching = await TestSocket.open(h.server.port, auth)
    const everything = await TestSocket.open(h.server.port, auth)
    expect(await watching.request('events.subscribe', { since: 0, output: 'watched' })).toMatchObject({ ok: true })
    expect(await everything.request('events.subscribe', { since: 0 })).toMatchObject({ ok: true })

    const shown = await gatedTask(h, 'shown', 'echo shown-line; echo shown-error >&2')
    const hidden = await gatedTask(h, 'hidden', 'echo hidden-line')
    const shownRun = await runIdOf(h, shown.task.id)
    const hiddenRun = await runIdOf(h, hidden.task.id)
    expect(await watching.request('output.watch', { runIds: [shownRun] })).toEqual({ ok: true, value: { runIds: [shownRun] } })
    shown.go()
    hidden.go()
    await untilFinished(h, shown.task.id)
    await untilFinished(h, hidden.task.id)
    for (const socket of [watching, everything]) {
      await socket.waitFor((m) => m.kind === 'events' && m.events.some((e) => e.type === 'run.finished' && e.run.id === hiddenRun))
      await socket.waitFor((m) => m.kind === 'events' && m.events.some((e) => e.type === 'run.finished' && e.run.id === shownRun))
    }

    expect(outputOf(watching, hiddenRun)).toEqual([])
    expect(outputOf(everything, hiddenRun).map((e) => e.text).join('')).toBe('hidden-line\n')
    // A modest run passes through chunk by chunk, each stream as written, without gap markers.
    const shownOutput = outputOf(watching, shownRun)
    expect(shownOutput.map((e) => `${e.stream}:${e.text}`).sort()).toEqual(['stderr:shown-error\n', 'stdout:shown-line\n'])
    expect(shownOutput.some((e) => e.skippedFrom !== undefined)).toBe(false)
    // Durable events are never filtered: both subscriptions saw the same ones.
    const durableTypes = (socket: TestSocket) => socket.events().flatMap((e) => ('seq' in e ? [e.seq] : []))
    expect(durableTypes(watching)).toEqual(durableTypes(everything))
    await watching.close()
    await everything.close()
  })

  it('coalesces a fast watched run to its newest lines, declaring every gap, and ends on the last line before run.finished', async () => {
    h = await startHarness()
    const lines = 300_000
    const socket = await TestSocket.open(h.server.port, { headers: { authorization: `Bearer ${h.server.token}` } })
    await socket.request('events.subscribe', { since: 0, output: 'watched' })
    const fast = await gatedTask(h, 'fast', `seq 1 ${lines}`)
    const runId = await runIdOf(h, fast.task.id)
    await socket.request('output.watch', { runIds: [runId] })
    fast.go()
    const finished = await socket.waitFor((m) => m.kind === 'events' && m.events.some((e) => e.type === 'run.finished' && e.run.id === runId))

    const output = outputOf(socket, runId)
    const finishedAt = socket.events().findIndex((e) => e.type === 'run.finished' && e.run.id === runId)
    expect(socket.events().slice(finishedAt).some((e) => e.type === 'run.output')).toBe(false)
    expect(finished.kind).toBe('events')

    // Coalesced: gaps were declared and far less than the log was sent.
    expect(output.some((e) => e.skippedFrom !== undefined)).toBe(true)
    const sentBytes = output.reduce((sum, e) => sum + e.text.length, 0)
    const logBytes = Array.from({ length: lines }, (_, i) => String(i + 1).length + 1).reduce((a, b) => a + b, 0)
    expect(sentBytes).toBeLessThan(logBytes / 4)

    // Every line the client did not get lies in a declared gap, and every line it got is right.
    let next = 0
    let openLine: number | null = null
    for (const event of output) {
      if (event.skippedFrom === undefined) {
        expect(event.line).toBe(openLine ?? next)
      } else {
        expect(event.skippedFrom).toBeLessThanOrEqual(openLine ?? next)
        expect(event.line).toBeGreaterThanOrEqual(event.skippedFrom)
      }
      const parts = event.text.split('\n')
      const complete = parts.slice(0, -1)
      complete.forEach((text, i) => {
        const n = event.line + i
        // A chunk may finish a line begun in the previous one; a line a gap marker starts is whole.
        if (i > 0 || event.skippedFrom !== undefined || openLine === null) expect(text).toBe(String(n + 1))
      })
      next = event.line + complete.length
      openLine = parts.at(-1) === '' ? null : next
    }
    // The count the client ends with is the log's: the last line arrived, whole.
    expect(next).toBe(lines)
    expect(openLine).toBeNull()
    expect(output.at(-1)?.text.endsWith(`${lines - 1}\n${lines}\n`)).toBe(true)
    await socket.close()
  })

  it('validates output.watch like every command', async () => {
    h = await startHarness()
    const socket = await TestSocket.open(h.server.port, { headers: { authorization: `Bearer ${h.server.token}` } })
    expect(await socket.request('output.watch', { runIds: [0] })).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    expect(await socket.request('output.watch', {})).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    expect(await socket.request('events.subscribe', { output: 'some' })).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    await socket.close()
  })
})

describe('WatchedOutput (the policy on its own)', () => {
  const output = (line: number, text: string, stream: 'stdout' | 'stderr' = 'stdout'): RunOutput => ({ type: 'run.output', runId: 1, taskId: 1, stream, line, text })
  const linesText = (from: number, to: number, prefix = 'l') => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}\n`).join('')
  const nextEmit = (emitted: EngineEvent[][]) => waitUntil(() => emitted.length > 0, 'a coalesced tail')

  it('holds a fast run and sends its newest lines, keeping each stream and the line numbers', async () => {
    const emitted: EngineEvent[][] = []
    const watched = new WatchedOutput(() => 0, (events) => emitted.push(events))
    watched.watch([1])
    expect(watched.filter([output(0, linesText(0, 5000))])).toEqual([])
    expect(watched.filter([output(5000, linesText(5000, 5001, 'err'), 'stderr'), output(5001, 'open')])).toEqual([])
    await nextEmit(emitted)
    watched.reset()
    const sent = emitted[0] as RunOutput[]
    expect(sent.map((e) => [e.stream, e.line, e.skippedFrom])).toEqual([
      ['stdout', 5001 - TAIL_LINES, 0],
      ['stderr', 5000, undefined],
      ['stdout', 5001, undefined],
    ])
    expect(sent[0]!.text).toBe(linesText(5001 - TAIL_LINES, 5000))
    expect(sent[1]!.text).toBe('err5000\n')
    expect(sent[2]!.text).toBe('open')
  })

  it('keeps a single line longer than the byte budget whole', async () => {
    const emitted: EngineEvent[][] = []
    const watched = new WatchedOutput(() => 0, (events) => emitted.push(events))
    watched.watch([1])
    const long = 'x'.repeat(TAIL_BYTES * 3)
    watched.filter([output(0, `${linesText(0, 10)}${long}\n`)])
    await nextEmit(emitted)
    watched.reset()
    expect(emitted[0]).toEqual([{ ...output(10, `${long}\n`), skippedFrom: 0 }])
  })

  it('holds even modest output while the connection is congested, and sends a held tail before its run is reported finished', () => {
    const emitted: EngineEvent[][] = []
    let backlog = BACKLOG_HIGH_WATER_BYTES + 1
    const watched = new WatchedOutput(() => backlog, (events) => emitted.push(events))
    watched.watch([1])
    expect(watched.filter([output(0, 'a\n')])).toEqual([])
    backlog = 0
    const finished = { type: 'run.finished', seq: 9, at: 0, run: { id: 1 } } as unknown as EngineEvent
    const progress: EngineEvent = { type: 'run.progress', runId: 2, taskId: 2, progress: { done: 1, total: 2 } }
    expect(watched.filter([progress, finished])).toEqual([progress, output(0, 'a\n'), finished])
    watched.reset()
    expect(emitted).toEqual([])
  })
})
