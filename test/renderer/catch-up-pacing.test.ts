import { afterEach, describe, expect, it, vi } from 'vitest'
import { readEventLog } from '../../src-renderer/bridge/event-log.ts'
import type { DurableEvent } from '../../src-shared/index.ts'
import { call, importTasks, startHarness, waitUntil, type Harness } from '../server/helpers.ts'

/** Animation frames that come only when the test draws one. */
function manualFrames() {
  const callbacks = new Map<number, () => void>()
  let next = 1
  const g = globalThis as { requestAnimationFrame?: (callback: () => void) => number; cancelAnimationFrame?: (handle: number) => void }
  g.requestAnimationFrame = (callback) => {
    callbacks.set(next, callback)
    return next++
  }
  g.cancelAnimationFrame = (handle) => callbacks.delete(handle)
  return {
    pending: () => callbacks.size,
    draw() {
      const due = [...callbacks.values()]
      callbacks.clear()
      for (const callback of due) callback()
    },
    remove() {
      delete g.requestAnimationFrame
      delete g.cancelAnimationFrame
    },
  }
}

describe('the catch-up reader on a page that draws frames', () => {
  let h: Harness
  let frames: ReturnType<typeof manualFrames> | null = null
  afterEach(async () => {
    frames?.remove()
    frames = null
    vi.restoreAllMocks()
    await h.close()
  })

  it("parses a frame's share, waits for the next frame, and delivers every event once, in order, to the head", async () => {
    h = await startHarness()
    await importTasks(h, 1, 3000)
    const head = (await call<{ headSeq: number }>(h.server, 'events.read', { since: 0, limit: 1 })).headSeq
    frames = manualFrames()
    // Every piece seems to take 3 ms, so two pieces use up a frame's parse time whatever this machine's speed.
    let clock = 0
    vi.spyOn(performance, 'now').mockImplementation(() => (clock += 1.5))
    const delivered: DurableEvent[] = []
    let result: { headSeq: number; lastSeq: number } | null = null
    void readEventLog(h.server.url.replace(/\/$/, ''), h.server.token, 0, (piece) => delivered.push(...piece.events)).then((r) => (result = r))

    // Without a frame the reader stops part of the way: it waits for the frame instead of parsing on.
    await waitUntil(() => delivered.length > 0 && frames!.pending() > 0, 'the first pieces')
    await new Promise((resolve) => setTimeout(resolve, 100))
    const beforeFrame = delivered.length
    expect(beforeFrame).toBeLessThan(head)
    expect(result).toBeNull()

    // Each frame lets it go on; it reaches the head.
    await waitUntil(() => {
      frames!.draw()
      return result !== null
    }, 'the head, frame by frame')
    expect(delivered.length).toBeGreaterThan(beforeFrame)
    expect(result).toEqual({ headSeq: head, lastSeq: head })
    expect(delivered.map((e) => e.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1))
    // Done reading, it asks for no more frames.
    expect(frames.pending()).toBe(0)
  })

  it('stops at once when cancelled while it waits for a frame', async () => {
    h = await startHarness()
    await importTasks(h, 1, 3000)
    frames = manualFrames()
    let clock = 0
    vi.spyOn(performance, 'now').mockImplementation(() => (clock += 1.5))
    const abort = new AbortController()
    let delivered = 0
    let pieces = 0
    const reading = readEventLog(h.server.url.replace(/\/$/, ''), h.server.token, 0, (piece) => ((delivered += piece.events.length), pieces++), abort.signal)
    const outcome = reading.then(
      () => 'finished',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    )
    // Four pieces (1.5 ms each by this clock) use up a frame's parse time; the reader then waits for a frame (or, on a
    // slow machine, first reads the body's next chunk, and a cancel there ends it with the same reason).
    await waitUntil(() => pieces >= 4, 'the first pieces')
    await new Promise((resolve) => setTimeout(resolve, 50))
    const before = delivered
    abort.abort()
    expect(await outcome).toBe('The catch-up was cancelled.')
    expect(delivered).toBe(before)
    expect(frames.pending()).toBe(0)
  })
})
