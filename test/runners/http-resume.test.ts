import { randomBytes } from 'node:crypto'
import { readdir, readFile, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HttpSpecSchema } from '../../src-shared/index.ts'
import type { HttpSpec } from '../../src-shared/index.ts'
import { createHttpRunner, parseContentRange } from '../../src-main/engine/runners/http.ts'
import type { HttpRunResult } from '../../src-main/engine/runners/http.ts'
import { useTempHome } from '../support/engine.ts'
import { failureSentence } from '../support/end-reasons.ts'
import { recordingContext } from './helpers.ts'
import type { RecordingContext } from './helpers.ts'

const runner = createHttpRunner({ retryBaseDelayMs: 1 })
const temp = useTempHome()

/** One file the server serves, and how it misbehaves. */
interface Served {
  body: Buffer
  etag: string
  /** The first request sends this many bytes of a 200 and then destroys the socket. */
  cutAt?: number
  /** Answer 200 with the whole file whatever the Range says. */
  ignoreRange?: boolean
  /** A ranged answer writes this many bytes and then holds the response open. */
  holdAfter?: number
  /** 404 while set. */
  missing?: boolean
}

interface Seen {
  path: string
  range: string | undefined
  ifRange: string | undefined
  status: number
  /** Body bytes the server wrote. */
  sent: number
}

let server: Server
let base: string
const files = new Map<string, Served>()
const seen: Seen[] = []
const held = new Set<() => void>()

beforeEach(async () => {
  files.clear()
  seen.length = 0
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const file = files.get(path)
    const record: Seen = { path, range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined, status: 0, sent: 0 }
    seen.push(record)
    if (file === undefined || file.missing === true) {
      record.status = 404
      res.writeHead(404).end()
      return
    }
    const first = seen.filter((s) => s.path === path).length === 1
    const size = file.body.length
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
    const honour = match !== null && file.ignoreRange !== true && (record.ifRange === undefined || record.ifRange === file.etag)
    if (honour) {
      const start = Number(match[1])
      if (start >= size) {
        record.status = 416
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end()
        return
      }
      const rest = file.body.subarray(start)
      record.status = 206
      // A held answer is chunked, so it does not end when all the bytes are there.
      const length: Record<string, string> = file.holdAfter === undefined ? { 'content-length': String(rest.length) } : {}
      res.writeHead(206, { etag: file.etag, ...length, 'content-range': `bytes ${start}-${size - 1}/${size}` })
      if (file.holdAfter !== undefined) {
        record.sent = file.holdAfter
        res.write(rest.subarray(0, file.holdAfter))
        held.add(() => res.destroy())
        return
      }
      record.sent = rest.length
      res.end(rest)
      return
    }
    record.status = 200
    res.writeHead(200, { etag: file.etag, 'content-length': String(size), 'accept-ranges': 'bytes' })
    if (first && file.cutAt !== undefined) {
      record.sent = file.cutAt
      // Cut once the runner has written what was sent: bytes still queued in the body stream when it errors are dropped.
      const cutAt = file.cutAt
      res.write(file.body.subarray(0, cutAt), () => void until(async () => (await partSize()) >= cutAt).then(() => req.socket.destroy()))
      return
    }
    record.sent = size
    res.end(file.body)
  })
  await new Promise<void>((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterEach(async () => {
  for (const release of held) release()
  held.clear()
  server.closeAllConnections()
  await new Promise((resolvePromise) => server.close(resolvePromise))
})

const spec = (paths: string[], extra: Partial<HttpSpec> = {}): HttpSpec =>
  HttpSpecSchema.parse({ kind: 'http', requests: paths.map((p) => ({ url: `${base}${p}` })), saveDir: temp.home, concurrency: 1, retriesPerRequest: 2, ...extra })

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 10))
}
const requestsFor = (path: string): Seen[] => seen.filter((s) => s.path === path)
/** The size of the one partial file in the folder, 0 when there is none. */
const partSize = async (): Promise<number> => {
  const names = (await readdir(temp.home)).filter((n) => n.endsWith('.part'))
  return names.length === 1 ? (await stat(join(temp.home, names[0]!))).size : 0
}
const visible = async (): Promise<string[]> => (await readdir(temp.home)).filter((name) => !name.startsWith('.')).sort()

/** Runs the batch as run `attempt` of task 7: the same task, so a retry finds what the last run left. */
async function run(
  paths: string[],
  attempt = 1,
  context: RecordingContext = recordingContext(attempt),
  extra: Partial<HttpSpec> = {},
): Promise<{ context: RecordingContext; outcome: Awaited<ReturnType<typeof runner.start>['done']> }> {
  const withTask = Object.assign(context, { taskId: 7, attempt })
  const outcome = await runner.start(spec(paths, extra), withTask).done
  return { context: withTask, outcome }
}

describe('http runner: resume and keep', () => {
  it('resumes a file cut off mid-transfer with a Range request; the server sends only the rest', async () => {
    const body = randomBytes(300_000)
    files.set('/big.bin', { body, etag: '"v1"', cutAt: 120_000 })
    const { outcome, context } = await run(['/big.bin'])
    expect(failureSentence(outcome)).toBeNull()
    expect(requestsFor('/big.bin').map(({ range, ifRange, status, sent }) => ({ range, ifRange, status, sent }))).toEqual([
      { range: undefined, ifRange: undefined, status: 200, sent: 120_000 },
      { range: 'bytes=120000-', ifRange: '"v1"', status: 206, sent: 180_000 },
    ])
    expect((await readFile(join(temp.home, 'big.bin'))).equals(body)).toBe(true)
    const summary = (outcome.result as HttpRunResult).requests[0]!
    expect(summary).toMatchObject({ status: 206, bytes: 300_000, resumedFrom: 120_000, attempts: 2, file: join(temp.home, 'big.bin') })
    expect(context.text('stdout')).toContain('(resumed at 120.0 kB)')
    // A batch that succeeded leaves its files and nothing else.
    expect(await readdir(temp.home)).toEqual(['big.bin'])
  })

  it('starts over with a whole file when the server ignores the Range', async () => {
    const body = randomBytes(200_000)
    files.set('/plain.bin', { body, etag: '"p"', cutAt: 50_000, ignoreRange: true })
    const { outcome, context } = await run(['/plain.bin'])
    expect(failureSentence(outcome)).toBeNull()
    expect(requestsFor('/plain.bin').map(({ range, status, sent }) => ({ range, status, sent }))).toEqual([
      { range: undefined, status: 200, sent: 50_000 },
      { range: 'bytes=50000-', status: 200, sent: 200_000 },
    ])
    expect((await readFile(join(temp.home, 'plain.bin'))).equals(body)).toBe(true)
    expect(context.text('stderr')).toContain('the server sent the whole file (200), not the rest')
    expect(await readdir(temp.home)).toEqual(['plain.bin'])
  })

  it('starts over when the file changed (If-Range no longer matches)', async () => {
    const before = randomBytes(100_000)
    const after = randomBytes(150_000)
    const served: Served = { body: before, etag: '"old"', cutAt: 40_000 }
    files.set('/doc.bin', served)
    server.prependListener('request', (req) => {
      // Changes once the first, cut-off answer has gone.
      if (requestsFor('/doc.bin').length === 1 && new URL(req.url ?? '/', 'http://x').pathname === '/doc.bin') Object.assign(served, { body: after, etag: '"new"' })
    })
    const { outcome } = await run(['/doc.bin'])
    expect(failureSentence(outcome)).toBeNull()
    expect(requestsFor('/doc.bin').map(({ range, ifRange, status }) => ({ range, ifRange, status }))).toEqual([
      { range: undefined, ifRange: undefined, status: 200 },
      { range: 'bytes=40000-', ifRange: '"old"', status: 200 },
    ])
    expect((await readFile(join(temp.home, 'doc.bin'))).equals(after)).toBe(true)
  })

  it('keeps a file an earlier run of the task completed, without asking the server again; a new batch after success fetches again', async () => {
    const a = randomBytes(10_000)
    files.set('/a.bin', { body: a, etag: '"a"' })
    files.set('/b.bin', { body: randomBytes(5_000), etag: '"b"', missing: true })
    const first = await run(['/a.bin', '/b.bin'])
    expect(failureSentence(first.outcome)).toMatch(/1 of 2/)

    files.get('/b.bin')!.missing = false
    const second = await run(['/a.bin', '/b.bin'], 2)
    expect(failureSentence(second.outcome)).toBeNull()
    expect(requestsFor('/a.bin')).toHaveLength(1)
    const [kept, fetched] = (second.outcome.result as HttpRunResult).requests
    expect(kept).toMatchObject({ kept: true, attempts: 0, bytes: 10_000, file: join(temp.home, 'a.bin') })
    expect(fetched).toMatchObject({ status: 200, file: join(temp.home, 'b.bin') })
    expect(second.context.text('stdout')).toMatch(/kept GET .*\/a\.bin 10\.0 kB → .*a\.bin \(already complete\)/)
    expect(await readdir(temp.home)).toEqual(['a.bin', 'b.bin'])

    // The batch succeeded: running the task again is a new batch, saved beside the old files as before.
    const third = await run(['/a.bin', '/b.bin'], 3)
    expect(failureSentence(third.outcome)).toBeNull()
    expect(requestsFor('/a.bin')).toHaveLength(2)
    expect(await visible()).toEqual(['a (1).bin', 'a.bin', 'b (1).bin', 'b.bin'])
  })

  it('fetches again a kept file that was changed on disk since', async () => {
    files.set('/a.bin', { body: randomBytes(10_000), etag: '"a"' })
    files.set('/b.bin', { body: randomBytes(5_000), etag: '"b"', missing: true })
    await run(['/a.bin', '/b.bin'])
    await import('node:fs/promises').then((fs) => fs.appendFile(join(temp.home, 'a.bin'), 'x'))
    files.get('/b.bin')!.missing = false
    await run(['/a.bin', '/b.bin'], 2)
    expect(requestsFor('/a.bin')).toHaveLength(2)
  })

  it('leaves a resumable partial file when a resumed download is cancelled, and the next run continues it', async () => {
    const body = randomBytes(400_000)
    const served: Served = { body, etag: '"c"', cutAt: 100_000, holdAfter: 50_000 }
    files.set('/c.bin', served)
    const context = recordingContext(1)
    const started = run(['/c.bin'], 1, context)
    // The retry resumes at 100 kB and gets 50 kB more before the server holds the answer.
    const part = partSize
    await until(async () => (await part()) >= 150_000)
    context.controller.abort()
    const { outcome } = await started
    expect(outcome.failure?.kind).toBe('http-stopped')
    expect(requestsFor('/c.bin').map((s) => s.range)).toEqual([undefined, 'bytes=100000-'])
    expect(await part()).toBe(150_000)
    expect(await visible()).toEqual([])

    served.holdAfter = undefined
    const again = await run(['/c.bin'], 1)
    expect(failureSentence(again.outcome)).toBeNull()
    expect(requestsFor('/c.bin').map((s) => s.range)).toEqual([undefined, 'bytes=100000-', 'bytes=150000-'])
    expect(requestsFor('/c.bin')[2]!.sent).toBe(250_000)
    expect((await readFile(join(temp.home, 'c.bin'))).equals(body)).toBe(true)
    expect(await readdir(temp.home)).toEqual(['c.bin'])
  })

  it('treats 416 as complete only when the partial file has the whole size, else starts over', async () => {
    const body = randomBytes(60_000)
    // The resumed answer sends every byte but never ends; the run is cancelled with the whole file on disk.
    const served: Served = { body, etag: '"w"', cutAt: 20_000, holdAfter: 40_000 }
    files.set('/whole.bin', served)
    const context = recordingContext(1)
    const started = run(['/whole.bin'], 1, context)
    await until(async () => (await partSize()) >= 60_000)
    context.controller.abort()
    await started
    served.holdAfter = undefined
    const { outcome } = await run(['/whole.bin'])
    expect(failureSentence(outcome)).toBeNull()
    expect(requestsFor('/whole.bin').map((s) => [s.range, s.status])).toEqual([[undefined, 200], ['bytes=20000-', 206], ['bytes=60000-', 416]])
    expect((await readFile(join(temp.home, 'whole.bin'))).equals(body)).toBe(true)

    // A partial file of 30 kB, then the server's file shrinks to 20 kB: 416 with another size is a restart.
    const shorter = randomBytes(20_000)
    const changing: Served = { body: randomBytes(100_000), etag: '"s"', cutAt: 30_000 }
    files.set('/short.bin', changing)
    await run(['/short.bin'], 1, recordingContext(1), { retriesPerRequest: 0 })
    expect(await partSize()).toBe(30_000)
    changing.body = shorter
    const again = await run(['/short.bin'], 2)
    expect(failureSentence(again.outcome)).toBeNull()
    expect(requestsFor('/short.bin').map((s) => [s.range, s.status])).toEqual([[undefined, 200], ['bytes=30000-', 416], [undefined, 200]])
    expect((await readFile(join(temp.home, 'short.bin'))).equals(shorter)).toBe(true)
    expect(again.context.text('stderr')).toContain('the server refused the range (416) and the partial file is not complete')
  })

  it('resumes with Last-Modified when there is no ETag', async () => {
    const body = randomBytes(80_000)
    const date = 'Sun, 22 Nov 2026 10:00:00 GMT'
    // The server's If-Range check compares with `etag`; the header goes out as Last-Modified.
    files.set('/lm.bin', { body, etag: date, cutAt: 30_000 })
    server.prependListener('request', (_req, res) => {
      const writeHead = res.writeHead.bind(res) as (status: number, headers?: Record<string, string>) => typeof res
      ;(res as unknown as { writeHead: typeof writeHead }).writeHead = (status, headers = {}) => {
        const { etag, ...rest } = headers
        return writeHead(status, etag === undefined ? rest : { ...rest, 'last-modified': etag })
      }
    })
    const { outcome } = await run(['/lm.bin'])
    expect(failureSentence(outcome)).toBeNull()
    expect(requestsFor('/lm.bin').map((s) => [s.range, s.ifRange, s.status])).toEqual([
      [undefined, undefined, 200],
      ['bytes=30000-', date, 206],
    ])
    expect((await readFile(join(temp.home, 'lm.bin'))).equals(body)).toBe(true)
  })

  it('does not resume without a validator: no ETag and no Last-Modified means starting over', async () => {
    const body = randomBytes(80_000)
    files.set('/nov.bin', { body, etag: '', cutAt: 30_000 })
    server.prependListener('request', (_req, res) => {
      const writeHead = res.writeHead.bind(res) as (status: number, headers?: Record<string, string>) => typeof res
      ;(res as unknown as { writeHead: typeof writeHead }).writeHead = (status, headers = {}) => {
        const { etag: _dropped, ...rest } = headers
        return writeHead(status, rest)
      }
    })
    const { outcome } = await run(['/nov.bin'])
    expect(failureSentence(outcome)).toBeNull()
    expect(requestsFor('/nov.bin').map((s) => s.range)).toEqual([undefined, undefined])
    expect((await readFile(join(temp.home, 'nov.bin'))).equals(body)).toBe(true)
  })
})

describe('parseContentRange', () => {
  it('reads a range, an unknown total and an unsatisfied range; refuses the rest', () => {
    expect(parseContentRange('bytes 10-19/20')).toEqual({ start: 10, total: 20 })
    expect(parseContentRange('bytes 0-9/*')).toEqual({ start: 0, total: null })
    expect(parseContentRange('bytes */20')).toEqual({ start: null, total: 20 })
    expect(parseContentRange('items 0-9/20')).toBeNull()
    expect(parseContentRange(null)).toBeNull()
  })
})
