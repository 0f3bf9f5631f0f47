import { execFile } from 'node:child_process'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HttpSpecSchema, TaskdeckError } from '../../src-shared/index.ts'
import type { HttpSpec } from '../../src-shared/index.ts'
import { connectionShares, createHttpRunner, fileNameFor } from '../../src-main/engine/runners/http.ts'
import type { HttpRunResult } from '../../src-main/engine/runners/http.ts'
import { useTempHome } from '../support/engine.ts'
import { recordingContext } from './helpers.ts'
import { startTestServer } from './http-server.ts'
import type { SocketCounter, TestServer } from './http-server.ts'
import { freePort } from '../support/net.ts'
import { failureSentence } from '../support/end-reasons.ts'

const runner = createHttpRunner({ retryBaseDelayMs: 1 })
const spec = (input: Omit<Partial<HttpSpec>, 'requests'> & { urls: string[] }): HttpSpec => {
  const { urls, ...rest } = input
  return HttpSpecSchema.parse({ kind: 'http', requests: urls.map((url) => ({ url })), ...rest })
}

/** A fresh folder per test (to save downloads in), removed after it. */
const temp = useTempHome()
let server: TestServer
beforeEach(async () => {
  server = await startTestServer()
})
afterEach(async () => {
  await server.close()
})

describe('http runner', () => {
  it('fetches a batch, logs a status line per URL, reports progress and a per-URL result', async () => {
    const context = recordingContext()
    const urls = [1, 2, 3].map((n) => `${server.url}/ok/${n}`)
    const outcome = await runner.start(spec({ urls }), context).done

    expect(failureSentence(outcome)).toBeNull()
    expect(outcome.exitCode).toBe(0)
    const result = outcome.result as HttpRunResult
    expect(result).toMatchObject({ total: 3, succeeded: 3, failed: 0, omitted: 0 })
    expect(result.requests.map((r) => [r.url, r.status, r.bytes])).toEqual(urls.map((url, i) => [url, 200, `hello ${i + 1}`.length]))
    for (const url of urls) expect(context.text('stdout')).toMatch(new RegExp(`^200 GET ${url} 7 B in [\\d.]+ ms$`, 'm'))
    expect(context.progressUpdates.at(0)).toEqual({ done: 0, total: 3 })
    expect(context.progressUpdates.at(-1)).toEqual({ done: 3, total: 3 })
  })

  it('sends method, headers and body', async () => {
    const context = recordingContext()
    const s = HttpSpecSchema.parse({
      kind: 'http',
      requests: [{ url: `${server.url}/echo`, method: 'POST', headers: { 'x-test': 'yes' }, body: 'payload' }],
    })
    const outcome = await runner.start(s, context).done
    expect(failureSentence(outcome)).toBeNull()
    expect((outcome.result as HttpRunResult).requests[0]).toMatchObject({ method: 'POST', status: 200, bytes: 'POST yes payload'.length })
  })

  it('keeps a batch of 500 URLs within its concurrency, in requests and in sockets', async () => {
    const context = recordingContext()
    const urls = Array.from({ length: 500 }, (_, i) => `${server.url}/ok/${i}?delay=2`)
    const outcome = await runner.start(spec({ urls, concurrency: 6 }), context).done

    expect(failureSentence(outcome)).toBeNull()
    expect((outcome.result as HttpRunResult).succeeded).toBe(500)
    expect(server.maxInFlight).toBeLessThanOrEqual(6)
    expect(server.maxOpenSockets).toBeLessThanOrEqual(6)
    // Sockets are reused: far fewer connections than requests.
    expect(server.totalSockets).toBeLessThanOrEqual(6)
    expect(context.progressUpdates.at(-1)).toEqual({ done: 500, total: 500 })
  })

  it('keeps sockets within the concurrency across origins, with few origins and with many', async () => {
    const counter: SocketCounter = { open: 0, max: 0 }
    const servers = await Promise.all(Array.from({ length: 6 }, () => startTestServer(counter)))
    try {
      // Two origins, skewed 9:1: each keeps a share of the 4 connections.
      const few = Array.from({ length: 100 }, (_, i) => `${servers[i % 10 === 0 ? 1 : 0]!.url}/ok/${i}?delay=2`)
      const fewOutcome = await runner.start(spec({ urls: few, concurrency: 4 }), recordingContext()).done
      expect(failureSentence(fewOutcome)).toBeNull()
      expect(counter.max).toBeLessThanOrEqual(4)

      // Six origins, more than the concurrency: no socket outlives its request.
      counter.max = 0
      const totalBefore = servers.reduce((sum, s) => sum + s.totalSockets, 0)
      const many = Array.from({ length: 120 }, (_, i) => `${servers[i % 6]!.url}/ok/${i}?delay=10`)
      const manyOutcome = await runner.start(spec({ urls: many, concurrency: 4 }), recordingContext()).done
      expect(failureSentence(manyOutcome)).toBeNull()
      expect((manyOutcome.result as HttpRunResult).succeeded).toBe(120)
      // One connection per request, closed after it; the server may still count a socket
      // the client has closed when the lane's next one arrives, hence at most one extra per lane.
      expect(servers.reduce((sum, s) => sum + s.totalSockets, 0)).toBe(totalBefore + 120)
      expect(counter.max).toBeLessThanOrEqual(2 * 4)
    } finally {
      await Promise.all(servers.map((s) => s.close()))
    }
  })

  it('fails the run when any request fails, naming how many and the first failure', async () => {
    const context = recordingContext()
    const urls = [`${server.url}/ok/a`, `${server.url}/status/404`, `${server.url}/status/500`]
    const outcome = await runner.start(spec({ urls, concurrency: 1 }), context).done

    expect(failureSentence(outcome)).toBe(`2 of 3 requests failed; first: GET ${server.url}/status/404: HTTP 404`)
    expect(outcome.result).toMatchObject({ succeeded: 1, failed: 2 })
    expect(context.text('stderr')).toContain(`failed GET ${server.url}/status/404 : HTTP 404`)
    expect(context.text('stderr')).toContain(`failed GET ${server.url}/status/500 : HTTP 500`)
  })

  it('times out a request that never answers, with the timeout in the reason', async () => {
    const context = recordingContext()
    const outcome = await runner.start(spec({ urls: [`${server.url}/hang`], requestTimeoutMs: 200 }), context).done
    expect(failureSentence(outcome)).toBe(`1 of 1 requests failed; first: GET ${server.url}/hang: timeout after 200 ms`)
    expect(context.text('stderr')).toContain(`failed GET ${server.url}/hang : timeout after 200 ms`)
  })

  it('retries a failing request with backoff until it succeeds', async () => {
    const context = recordingContext()
    const url = `${server.url}/flaky/k1?fails=2`
    const outcome = await runner.start(spec({ urls: [url], retriesPerRequest: 3 }), context).done

    expect(failureSentence(outcome)).toBeNull()
    expect((outcome.result as HttpRunResult).requests[0]).toMatchObject({ status: 200, attempts: 3 })
    expect(context.text('stderr').match(/^retry \d\/3 GET .* HTTP 503$/gm)).toHaveLength(2)
  })

  it('gives up after the allowed retries and does not retry a 404', async () => {
    const context = recordingContext()
    const urls = [`${server.url}/flaky/k2?fails=5`, `${server.url}/status/404`]
    const outcome = await runner.start(spec({ urls, retriesPerRequest: 2, concurrency: 1 }), context).done

    const [flaky, missing] = (outcome.result as HttpRunResult).requests
    expect(flaky).toMatchObject({ status: 503, attempts: 3, error: 'HTTP 503' })
    expect(missing).toMatchObject({ status: 404, attempts: 1, error: 'HTTP 404' })
  })

  it('follows redirects, or reports them as they are when told not to', async () => {
    const followed = await runner.start(spec({ urls: [`${server.url}/redirect/x`] }), recordingContext()).done
    expect((followed.result as HttpRunResult).requests[0]).toMatchObject({ status: 200, finalUrl: `${server.url}/ok/x`, bytes: 7 })

    const context = recordingContext()
    const kept = await runner.start(spec({ urls: [`${server.url}/redirect/x`], followRedirects: false }), context).done
    expect(failureSentence(kept)).toBeNull()
    expect((kept.result as HttpRunResult).requests[0]).toMatchObject({ status: 302, location: '/ok/x' })
    expect(context.text('stdout')).toContain(`302 GET ${server.url}/redirect/x 0 B`)

    const looping = await runner.start(spec({ urls: [`${server.url}/loop`] }), recordingContext()).done
    expect(failureSentence(looping)).toMatch(/first: GET .*\/loop: too many redirects$/)
  })

  it('aborts a response that grows past the size cap, and refuses a declared size over it', async () => {
    const context = recordingContext()
    const outcome = await runner.start(spec({ urls: [`${server.url}/endless`], maxBytes: 1_000_000, retriesPerRequest: 2 }), context).done
    expect(failureSentence(outcome)).toMatch(/first: GET .*\/endless: response exceeded the 1\.0 MB cap \(maxBytes\); aborted$/)
    // A size cap is not a transient failure: no retries.
    expect(context.text('stderr')).not.toContain('retry')

    const declared = await runner.start(spec({ urls: [`${server.url}/declared-huge`], maxBytes: 1_000_000 }), recordingContext()).done
    expect(failureSentence(declared)).toMatch(/response too large: Content-Length 10\.7 GB exceeds the 1\.0 MB cap \(maxBytes\)$/)
    await server.waitForNoSockets()
  })

  it('applies the size cap to the decoded body, so a compressed bomb is stopped', async () => {
    const outcome = await runner.start(spec({ urls: [`${server.url}/gzip-bomb`], maxBytes: 1_000_000 }), recordingContext()).done
    expect(failureSentence(outcome)).toMatch(/gzip-bomb: response exceeded the 1\.0 MB cap \(maxBytes\); aborted$/)
  })

  it('shortens a long file name to fit, keeping the extension and the dedupe suffix', async () => {
    const long = `${'n'.repeat(300)}.txt`
    const urls = [1, 2].map(() => `${server.url}/attachment?cd=${encodeURIComponent(`attachment; filename="${long}"`)}`)
    const outcome = await runner.start(spec({ urls, saveDir: temp.home, concurrency: 1 }), recordingContext()).done
    expect(failureSentence(outcome)).toBeNull()
    const names = (await readdir(temp.home)).sort()
    expect(names).toHaveLength(2)
    for (const name of names) expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255)
    expect(names[0]).toMatch(/^n+ \(1\)\.txt$/)
    expect(names[1]).toMatch(/^n+\.txt$/)
  })

  it('names a refused connection and a failed DNS lookup', async () => {
    const closedPort = await freePort()
    const refused = await runner.start(spec({ urls: [`http://127.0.0.1:${closedPort}/x`] }), recordingContext()).done
    expect(failureSentence(refused)).toContain(`connection refused by 127.0.0.1:${closedPort}`)

    const unknown = await runner.start(spec({ urls: ['http://no-such-host.invalid/x'] }), recordingContext()).done
    expect(failureSentence(unknown)).toMatch(/DNS lookup failed/)
  })

  it('refuses a certificate that does not verify, without retrying', async () => {
    const key = join(temp.home, 'key.pem')
    const cert = join(temp.home, 'cert.pem')
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'])
    const tls = createHttpsServer({ key: await readFile(key), cert: await readFile(cert) }, (_req, res) => res.end('secret'))
    await new Promise<void>((resolvePromise) => tls.listen(0, '127.0.0.1', resolvePromise))
    try {
      const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/`
      const context = recordingContext()
      const outcome = await runner.start(spec({ urls: [url], retriesPerRequest: 3 }), context).done
      expect(failureSentence(outcome)).toContain(`1 of 1 requests failed; first: GET ${url}: TLS certificate not accepted: self-signed certificate`)
      expect(context.text('stderr')).not.toContain('retry')
    } finally {
      tls.closeAllConnections()
      await new Promise<void>((resolvePromise) => tls.close(() => resolvePromise()))
    }
  })

  it('cancels every in-flight request at once and closes its sockets', async () => {
    const context = recordingContext()
    const urls = Array.from({ length: 20 }, () => `${server.url}/hang`)
    const run = runner.start(spec({ urls, concurrency: 4, requestTimeoutMs: 600_000 }), context)
    await server.waitForHanging(4)

    context.controller.abort()
    const outcome = await run.done
    expect(failureSentence(outcome)).toBe('stopped with 16 of 20 requests not run')
    expect((outcome.result as HttpRunResult).requests.every((r) => r.error === 'cancelled')).toBe(true)
    await server.waitForNoSockets()
    expect(server.totalSockets).toBe(4)
  })

  it('saves responses under safe, unique file names', async () => {
    await writeFile(join(temp.home, 'report.csv'), 'already here')
    const cd = (value: string) => `${server.url}/attachment?cd=${encodeURIComponent(value)}`
    const urls = [
      `${server.url}/files/sub/report.csv`,
      `${server.url}/files/sub/report.csv`,
      cd('attachment; filename="../../escape.txt"'),
      cd(`attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`),
      cd('attachment; filename=".hidden"'),
      `${server.url}/files/`,
    ]
    const outcome = await runner.start(spec({ urls, saveDir: temp.home, concurrency: 1 }), recordingContext()).done
    expect(failureSentence(outcome)).toBeNull()

    const files = (outcome.result as HttpRunResult).requests.map((r) => r.file)
    expect(files).toEqual(
      ['report (1).csv', 'report (2).csv', 'escape.txt', 'résumé.pdf', 'hidden', 'download'].map((name) => join(temp.home, name)),
    )
    expect((await readdir(temp.home)).sort()).toEqual(['download', 'escape.txt', 'hidden', 'report (1).csv', 'report (2).csv', 'report.csv', 'résumé.pdf'].sort())
    expect(await readFile(join(temp.home, 'report.csv'), 'utf8')).toBe('already here')
    expect(await readFile(join(temp.home, 'report (1).csv'), 'utf8')).toBe('file sub/report.csv')
  })

  it('removes a partly written file when the response fails', async () => {
    const outcome = await runner
      .start(spec({ urls: [`${server.url}/endless`], saveDir: temp.home, maxBytes: 500_000 }), recordingContext())
      .done
    expect(failureSentence(outcome)).toContain('cap (maxBytes)')
    expect(await readdir(temp.home)).toEqual([])
  })

  it('refuses at submit a saveDir that is a file', async () => {
    const file = join(temp.home, 'plain')
    await writeFile(file, '')
    const check = runner.check!(spec({ urls: [`${server.url}/ok/1`], saveDir: file }))
    await expect(check).rejects.toThrow(TaskdeckError)
    await expect(check).rejects.toThrow(`definition.spec.saveDir: ${file} exists and is not a directory`)
    await expect(runner.check!(spec({ urls: [`${server.url}/ok/1`], saveDir: join(temp.home, 'new') }))).resolves.toBeUndefined()
    await expect(runner.check!(spec({ urls: [`${server.url}/ok/1`], saveDir: 'downloads' }))).rejects.toMatchObject({
      message: "definition.spec.saveDir: downloads is a relative path; give the full path (it would be read from the engine's working directory, not yours)",
      details: { issues: [{ path: 'definition.spec.saveDir' }] },
    })
  })
})

describe('connectionShares', () => {
  it('shares connections by request count, at least one per origin, never more than the total', () => {
    const origins = [...Array<string>(90).fill('a'), ...Array<string>(9).fill('b'), 'c']
    expect(Object.fromEntries(connectionShares(origins, 8)!)).toEqual({ a: 6, b: 1, c: 1 })
    expect(Object.fromEntries(connectionShares(['a', 'b'], 5)!)).toEqual({ a: 3, b: 2 })
    expect(connectionShares(['a', 'b', 'c'], 2)).toBeNull()
  })
})

describe('fileNameFor', () => {
  const named = (url: string, disposition?: string) =>
    fileNameFor({ url, headers: { get: (name) => (name === 'content-disposition' ? (disposition ?? null) : null) } })

  it('strips directories, separators and dot tricks', () => {
    expect(named('http://h/a/..%2F..%2Fetc%2Fpasswd')).toBe('passwd')
    expect(named('http://h/x', 'attachment; filename="..\\..\\win.ini"')).toBe('win.ini')
    expect(named('http://h/x', 'attachment; filename="a\u0000b.txt"')).toBe('a_b.txt')
    expect(named('http://h/..')).toBe('download')
    expect(named('http://h/x', 'not a valid header ;;;')).toBe('x')
  })
})

