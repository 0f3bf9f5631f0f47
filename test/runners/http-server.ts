import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'

const GZIP_BOMB = gzipSync(Buffer.alloc(20 * 1024 * 1024))

/**
 * A real HTTP server on 127.0.0.1 with the behaviours the runner must cope with. It
 * counts sockets, so a test can check how many connections a batch opened at once.
 */
export interface TestServer {
  readonly url: string
  /** Most sockets open at the same time since start. */
  readonly maxOpenSockets: number
  readonly openSockets: number
  readonly totalSockets: number
  /** Requests that are being answered right now. */
  readonly inFlight: number
  readonly maxInFlight: number
  /** Resolves once `n` requests are held open by /hang. */
  waitForHanging(n: number): Promise<void>
  /** Resolves once no socket is open. */
  waitForNoSockets(): Promise<void>
  close(): Promise<void>
}

/** Counts sockets across several servers, for batches that span origins. */
export interface SocketCounter {
  open: number
  max: number
}

export async function startTestServer(shared: SocketCounter = { open: 0, max: 0 }): Promise<TestServer> {
  let openSockets = 0
  let maxOpenSockets = 0
  let totalSockets = 0
  let inFlight = 0
  let maxInFlight = 0
  let hanging = 0
  const flakyCounts = new Map<string, number>()
  const listeners = new Set<() => void>()
  const changed = (): void => {
    for (const listener of [...listeners]) listener()
  }
  const until = (condition: () => boolean): Promise<void> =>
    new Promise((resolvePromise) => {
      const check = (): void => {
        if (condition()) {
          listeners.delete(check)
          resolvePromise()
        }
      }
      listeners.add(check)
      check()
    })

  const handle = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const parts = url.pathname.split('/').filter(Boolean)
    const delay = Number(url.searchParams.get('delay') ?? 0)
    const reply = (status: number, body: string, headers: Record<string, string> = {}): void => {
      const send = (): void => {
        res.writeHead(status, { 'content-type': 'text/plain', ...headers })
        res.end(body)
      }
      if (delay > 0) setTimeout(send, delay)
      else send()
    }
    switch (parts[0]) {
      case 'ok':
        return reply(200, `hello ${parts[1] ?? ''}`)
      case 'status':
        return reply(Number(parts[1]), `status ${parts[1]}`)
      case 'flaky': {
        // Fails with 503 `fails` times per key, then answers 200.
        const key = parts[1] ?? ''
        const count = (flakyCounts.get(key) ?? 0) + 1
        flakyCounts.set(key, count)
        return count <= Number(url.searchParams.get('fails') ?? 1) ? reply(503, 'try later') : reply(200, 'finally')
      }
      case 'redirect':
        return reply(302, '', { location: `/ok/${parts[1] ?? 'target'}` })
      case 'loop':
        return reply(302, '', { location: '/loop' })
      case 'hang':
        hanging++
        changed()
        res.on('close', () => {
          hanging--
          changed()
        })
        return
      case 'endless': {
        // Streams without a Content-Length until the client goes away.
        res.writeHead(200, { 'content-type': 'application/octet-stream' })
        const chunk = Buffer.alloc(64 * 1024, 7)
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump)
        }
        pump()
        return
      }
      case 'gzip-bomb':
        // 20 MB of zeros, about 20 kB on the wire.
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(GZIP_BOMB.length) })
        res.end(GZIP_BOMB)
        return
      case 'declared-huge':
        res.writeHead(200, { 'content-length': String(10 * 1024 * 1024 * 1024) })
        res.write('only the start')
        return
      case 'attachment':
        return reply(200, 'attached', { 'content-disposition': url.searchParams.get('cd') ?? 'attachment' })
      case 'files':
        return reply(200, `file ${parts.slice(1).join('/')}`)
      case 'echo': {
        let body = ''
        req.setEncoding('utf8')
        req.on('data', (chunk: string) => (body += chunk))
        req.on('end', () => reply(200, `${req.method} ${String(req.headers['x-test'] ?? '')} ${body}`))
        return
      }
      default:
        return reply(404, 'not found')
    }
  }

  const server = createServer((req, res) => {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    res.on('close', () => {
      inFlight--
      changed()
    })
    handle(req, res, new URL(req.url ?? '/', 'http://127.0.0.1'))
  })
  server.on('connection', (socket) => {
    openSockets++
    totalSockets++
    maxOpenSockets = Math.max(maxOpenSockets, openSockets)
    shared.open++
    shared.max = Math.max(shared.max, shared.open)
    socket.on('close', () => {
      openSockets--
      shared.open--
      changed()
    })
  })
  await new Promise<void>((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    get maxOpenSockets() {
      return maxOpenSockets
    },
    get openSockets() {
      return openSockets
    },
    get totalSockets() {
      return totalSockets
    },
    get inFlight() {
      return inFlight
    },
    get maxInFlight() {
      return maxInFlight
    },
    waitForHanging: (n) => until(() => hanging >= n),
    waitForNoSockets: () => until(() => openSockets === 0),
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.closeAllConnections()
        server.close(() => resolvePromise())
      }),
  }
}
