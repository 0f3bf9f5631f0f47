import { spawnSync } from 'node:child_process'
import { closeSync, constants, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { defaultScriptWorkerEntry } from '../../src-main/engine/runners/script.ts'
import { WorkerPool } from '../../src-main/engine/runners/worker-pool.ts'
import type { JobEnd } from '../../src-main/engine/runners/worker-pool.ts'
import { tempHome } from '../support/engine.ts'

const SCRIPTS: Record<string, string> = {
  'thread.mjs': `
    import { threadId } from 'node:worker_threads'
    export default () => threadId`,
  // Marks its cell as started, then spins until cell 3 releases it.
  'held.mjs': `
    export default ({ cells, index }) => {
      Atomics.store(cells, index, 1)
      while (Atomics.load(cells, 3) === 0) {}
      return index
    }`,
  // CPU-bound until `n` copies run at the same time: it ends only if they all run in parallel.
  'barrier.mjs': `
    import { threadId } from 'node:worker_threads'
    export default ({ cells, n }) => {
      Atomics.add(cells, 0, 1)
      while (Atomics.load(cells, 0) < n) {}
      return threadId
    }`,
  // Marks its cell as started, then spins until its own gate cell opens.
  'gated.mjs': `
    export default ({ cells, index, gate }) => {
      Atomics.store(cells, index, 1)
      while (Atomics.load(cells, gate) === 0) {}
      return index
    }`,
  // Marks its cell as started, then blocks in a system call (opening a FIFO) until a writer opens it: terminate() cannot stop it before.
  'fifo.mjs': `
    import { readFileSync } from 'node:fs'
    export default ({ cells, index, fifo }) => {
      Atomics.store(cells, index, 1)
      return readFileSync(fifo, 'utf8')
    }`,
  // Leaves a file behind: a trace that it ran.
  'trace.mjs': `
    import { writeFileSync } from 'node:fs'
    export default ({ file }) => writeFileSync(file, '')`,
  // Spins until its gate cell opens, then ends with a last progress that travels in the same message as its result.
  'gated-last-progress.mjs': `
    export default ({ cells, gate }, api) => {
      while (Atomics.load(cells, gate) === 0) {}
      api.progress(0, 2, 'first')
      api.progress(1, 2, 'last')
      return gate
    }`,
  // Says which thread it runs on, then spins until it is terminated.
  'spin.mjs': `
    import { threadId } from 'node:worker_threads'
    export default () => {
      console.log(threadId)
      for (;;) {}
    }`,
}

let dir: ReturnType<typeof tempHome>
let pool: WorkerPool | undefined
beforeAll(async () => {
  dir = tempHome()
  for (const [name, source] of Object.entries(SCRIPTS)) await writeFile(join(dir.home, name), source)
})
afterEach(async () => {
  await pool?.close()
  pool = undefined
})
afterAll(() => dir.cleanup())

const openPool = (size: number, packWindowMs: number, retireAfterMs?: number, spawnAfterMs?: number) =>
  (pool = new WorkerPool({
    entry: defaultScriptWorkerEntry(),
    size,
    abortGraceMs: 100,
    maxHeapMb: 256,
    packWindowMs,
    ...(retireAfterMs !== undefined ? { retireAfterMs } : {}),
    ...(spawnAfterMs !== undefined ? { spawnAfterMs } : {}),
  }))
const run = (target: WorkerPool, name: string, input: unknown = null): Promise<JobEnd> =>
  target.run({ path: join(dir.home, name), input, onOutput: () => undefined, onProgress: () => undefined }).done
const threadOf = (end: JobEnd): number => {
  if (end.kind !== 'result') throw new Error(`expected a result, got ${JSON.stringify(end)}`)
  return end.value as number
}

describe('worker pool placement', () => {
  it('packs short scripts started together onto the thread that is already running short ones', async () => {
    // Every job counts as short here, so the placement does not depend on this machine's speed.
    const target = openPool(4, 60_000)
    // Two rounds on the first thread: it has ended a short job, so it counts as busy with short jobs.
    const first = threadOf(await run(target, 'thread.mjs'))
    expect(threadOf(await run(target, 'thread.mjs'))).toBe(first)

    const threads = (await Promise.all(Array.from({ length: 4 }, () => run(target, 'thread.mjs')))).map(threadOf)
    expect(threads).toEqual([first, first, first, first])
  })

  it('still runs CPU-bound scripts in parallel, one per thread, when they were packed behind each other', async () => {
    // Jobs count as short for up to 1 s: after quick ones, the CPU-bound scripts are first
    // packed onto one thread, and must move to idle threads once they run longer than that.
    const target = openPool(3, 1000)
    expect(threadOf(await run(target, 'thread.mjs'))).toBe(threadOf(await run(target, 'thread.mjs')))

    const cells = new Int32Array(new SharedArrayBuffer(4))
    const threads = (await Promise.all(Array.from({ length: 3 }, () => run(target, 'barrier.mjs', { cells, n: 3 })))).map(threadOf)
    expect(new Set(threads).size).toBe(3)
  })

  it('moves the oldest of the jobs packed behind a long one first, so they start in the order they came', async () => {
    const target = openPool(2, 1000)
    expect(threadOf(await run(target, 'thread.mjs'))).toBe(threadOf(await run(target, 'thread.mjs')))

    // Three long scripts packed onto one thread; one other thread is free for the second of them.
    const cells = new Int32Array(new SharedArrayBuffer(16))
    const runs = [0, 1, 2].map((index) => run(target, 'held.mjs', { cells, index }))
    while (Atomics.load(cells, 0) === 0 || Atomics.load(cells, 1) === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(Atomics.load(cells, 2)).toBe(0)
    Atomics.store(cells, 3, 1)
    expect((await Promise.all(runs)).map((end) => (end.kind === 'result' ? end.value : end.kind))).toEqual([0, 1, 2])
  })

  it('moves a job packed behind a short-looking job that turns long to a thread that frees up while the pool was full', async () => {
    // Jobs count as short for 1 s; a thread may be added behind a job that has run 1 s.
    const target = openPool(2, 1000, undefined, 1000)
    const cells = new Int32Array(new SharedArrayBuffer(32))
    const started = (index: number) => vi.waitFor(() => expect(Atomics.load(cells, index)).toBe(1), { timeout: 10_000, interval: 5 })
    const gated = (index: number) => run(target, 'gated.mjs', { cells, index, gate: index + 4 })
    const open = (index: number) => Atomics.store(cells, index + 4, 1)
    // Two threads, each running a held job (the second moved to a new thread after the first ran 1 s).
    const first = gated(0)
    await started(0)
    const second = gated(1)
    await started(1)
    expect(target.threads).toBe(2)
    // The first thread ends its job and a short one: it counts as busy with short jobs.
    open(0)
    await first
    await run(target, 'thread.mjs')
    // It takes a job that will turn out long, and a short job is packed behind it: every thread is busy.
    const long = gated(2)
    await started(2)
    const packed = run(target, 'thread.mjs')
    // The other thread frees up while the first still looks busy with short jobs: it does not take the
    // packed job at once, but the packed job must not wait for the long one to end.
    open(1)
    await second
    // The long job cannot end before its gate opens (below): the packed one ends without waiting for it.
    let packedEnd: JobEnd | undefined
    void packed.then((end) => (packedEnd = end))
    await vi.waitFor(() => expect(packedEnd?.kind).toBe('result'), { timeout: 10_000, interval: 10 })
    open(2)
    expect(await long).toEqual({ kind: 'result', value: 2 })
  })
})

describe('worker pool size', () => {
  it('starts one thread for short scripts and adds none while they end quickly', async () => {
    const target = openPool(4, 60_000)
    expect(target.threads).toBe(0)
    // Eight at once: as many as one thread takes, and more than packing puts on a thread that has run nothing yet.
    const threads = (await Promise.all(Array.from({ length: 8 }, () => run(target, 'thread.mjs')))).map(threadOf)
    expect(new Set(threads).size).toBe(1)
    expect(target.threads).toBe(1)
  })

  it('adds threads for CPU-bound scripts waiting behind a long one, up to its size, and retires the idle ones but one', async () => {
    const target = openPool(3, 20, 100)
    const parallel = async (): Promise<number[]> => {
      const cells = new Int32Array(new SharedArrayBuffer(4))
      // Five scripts that end only once three run at the same time: three threads, never a fourth (a fourth would
      // have taken one of the waiting scripts, and its id would be among theirs).
      return (await Promise.all(Array.from({ length: 5 }, () => run(target, 'barrier.mjs', { cells, n: 3 })))).map(threadOf)
    }
    expect(new Set(await parallel()).size).toBe(3)
    // Not exactly 3: on a loaded machine the last scripts can end more than retireAfterMs after the first, and the
    // threads idle meanwhile are already retired.
    expect(target.threads).toBeLessThanOrEqual(3)

    await vi.waitFor(() => expect(target.threads).toBe(1), { timeout: 10_000, interval: 20 })
    const warm = threadOf(await run(target, 'thread.mjs'))
    expect(target.threads).toBe(1)

    // Grows again when the work needs it, and the warm thread is one of the three.
    const threads = await parallel()
    expect(new Set(threads).size).toBe(3)
    expect(threads).toContain(warm)
  })

  it('starts no thread for a job waiting behind one that has run past the pack window but not long enough to pay for a thread', async () => {
    // Jobs are short for 20 ms; a new thread is worth starting only behind a job that has run a minute.
    const target = openPool(2, 20, undefined, 60_000)
    expect(threadOf(await run(target, 'thread.mjs'))).toBe(threadOf(await run(target, 'thread.mjs')))
    const cells = new Int32Array(new SharedArrayBuffer(16))
    const held = run(target, 'held.mjs', { cells, index: 0 })
    while (Atomics.load(cells, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 10))
    // Past the pack window for sure: the job behind it is not packed as behind a short one.
    await new Promise((resolve) => setTimeout(resolve, 40))
    const waiting = run(target, 'thread.mjs')
    expect(target.threads).toBe(1)
    Atomics.store(cells, 3, 1)
    expect(await held).toEqual({ kind: 'result', value: 0 })
    expect((await waiting).kind).toBe('result')
    expect(target.threads).toBe(1)
  })

  it('replaces a thread terminated because its script did not stop, and does not retire the last thread', async () => {
    const target = openPool(2, 20, 50)
    let spinning = ''
    const job = target.run({ path: join(dir.home, 'spin.mjs'), input: null, onOutput: (_stream, text) => (spinning += text), onProgress: () => undefined })
    await vi.waitFor(() => expect(spinning).not.toBe(''), { timeout: 10_000, interval: 10 })
    job.abort()
    expect((await job.done).kind).toBe('aborted')
    expect(target.threads).toBe(1)

    const next = threadOf(await run(target, 'thread.mjs'))
    expect(next).not.toBe(Number(spinning))
    // Longer than retireAfterMs: the only thread stays.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(target.threads).toBe(1)
    expect(threadOf(await run(target, 'thread.mjs'))).toBe(next)
  })
})

describe('worker pool close', () => {
  it('moves and starts nothing once closed: a result arriving as it closes leaves the jobs packed behind a thread that cannot stop at once where they are', async () => {
    // Jobs count as short for 1 s; a thread may be added behind a job that has run 1 s.
    const target = openPool(2, 1000, undefined, 1000)
    const cells = new Int32Array(new SharedArrayBuffer(32))
    const started = (index: number) => vi.waitFor(() => expect(Atomics.load(cells, index)).toBe(1), { timeout: 10_000, interval: 5 })
    const gated = (index: number) => run(target, 'gated.mjs', { cells, index, gate: index + 4 })
    // Two threads: the second held job moved to a new thread after the first ran 1 s.
    const first = gated(0)
    await started(0)
    const second = gated(1)
    await started(1)
    expect(target.threads).toBe(2)
    // The first thread ends its long job and takes one that ends once its gate opens (cell 6).
    Atomics.store(cells, 4, 1)
    await first
    let closed: Promise<void> | undefined
    const closing = target.run({
      path: join(dir.home, 'gated-last-progress.mjs'),
      input: { cells, gate: 6 },
      onOutput: () => undefined,
      onProgress: (_done, _total, message) => {
        if (message === 'last') closed = target.close()
      },
    })
    // The second ends its job quickly: it counts as busy with short jobs, and takes a job that blocks
    // in a system call (terminate() cannot stop it before the FIFO opens), with short jobs packed behind it.
    Atomics.store(cells, 5, 1)
    await second
    const fifo = join(dir.home, 'close-fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const traces = join(dir.home, 'close-traces')
    mkdirSync(traces)
    const blocked = run(target, 'fifo.mjs', { cells, index: 2, fifo })
    // The jobs packed behind the blocked one may move once it has run the pack window (and a thread is idle):
    // by this moment at the latest (its run began as it was handed to the thread, within run()).
    const movableBy = performance.now() + 1000
    let released = false
    const release = () => {
      if (released) return
      released = true
      const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)
      writeSync(writer, 'released')
      closeSync(writer)
    }
    try {
      await started(2)
      const packed = [0, 1, 2].map((index) => run(target, 'trace.mjs', { file: join(traces, String(index)) }))
      // The pool is closed between the gated job's last progress and its result: that thread goes idle after close().
      Atomics.store(cells, 6, 1)
      expect(await closing.done).toEqual({ kind: 'aborted' })
      expect(closed).toBeDefined()
      // Past the moment the packed jobs would have been movable, and one timer more: an unpack timer armed after close()
      // has fired by then (timers fire in the order they are due), and moving a job starts its thread at once.
      while (performance.now() <= movableBy) await new Promise((resolve) => setTimeout(resolve, movableBy - performance.now() + 1))
      await new Promise((resolve) => setTimeout(resolve, 1))
      release()
      await closed
      expect(await Promise.all([blocked, ...packed])).toEqual([{ kind: 'aborted' }, { kind: 'aborted' }, { kind: 'aborted' }, { kind: 'aborted' }])
      // Every thread was terminated by close(): a thread started for a moved job after it would still be there (and run it).
      expect(target.threads).toBe(0)
      expect(readdirSync(traces)).toEqual([])
    } finally {
      release()
    }
  })
})
