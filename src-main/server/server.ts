import { mkdir } from 'node:fs/promises'
import { STATUS_CODES, createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { COMMAND_PATH, EVENTS_PATH, LIMITS, TaskdeckError, WEBSOCKET_PATH, fail, response, type ErrorCode, type Result, type ServerMessage } from '../../src-shared/index.ts'
import { toFailure } from '../api/session.ts'
import type { Disposable, EngineApi } from '../engine/api.ts'
import { API_REVISION, readLastPort, removeApiFileIfOurs, writeApiFile, writeLastPort } from './api-file.ts'
import { parseSince, streamEvents } from './events-stream.ts'
import { listenLocalSocket } from './local-socket.ts'
import { answerOneRequest } from './one-request.ts'
import { compileRoute, DEFAULT_ROUTE_BODY_BYTES, type CompiledRoute, type HttpRoute } from './routes.ts'
import { bearerToken, checkHostAndOrigin, loadOrCreateToken, securityHeaders, tokenMatches } from './security.ts'
import { lookupStatic, sendFile } from './static.ts'
import { CLOSE_GOING_AWAY, WsClient } from './ws-client.ts'

export const DEFAULT_AUTH_TIMEOUT_MS = 10_000

export interface ServerOptions {
  engine: EngineApi
  /** The data directory; `<home>/api.json` tells local clients where to connect. */
  home: string
  /** 0 or absent: a free port. */
  port?: number
  /** The built renderer (out/renderer), served at `/`. */
  staticDir?: string
  /** Extra routes, e.g. the triggers module's `POST /hooks/:id`; more can be added later with `addRoute`. */
  routes?: readonly HttpRoute[]
  /** How long an unauthenticated WebSocket may stay open before sending `session.auth`. */
  authTimeoutMs?: number
  /** Unsent bytes on a WebSocket above which events wait instead of being written. */
  highWaterBytes?: number
  /** Bytes of waiting events above which a slow client is sent `resync`. */
  maxPendingBytes?: number
}

export interface TaskdeckServer {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string
  readonly port: number
  readonly token: string
  /** The URL to open in a browser: the token travels in the fragment, which never reaches a server or a log. */
  readonly browserUrl: string
  /** WebSocket clients connected right now. */
  readonly clientCount: number
  addRoute(route: HttpRoute): Disposable
  close(): Promise<void>
}

/**
 * The local API: HTTP + WebSocket on 127.0.0.1 only. Every request must name our Host
 * (DNS rebinding) and, when it has an Origin, our origin; every API call needs the token.
 * The same contract as Electron IPC flows through ApiSession; this module only moves bytes.
 */
export async function createServer(options: ServerOptions): Promise<TaskdeckServer> {
  const { engine, home } = options
  const token = loadOrCreateToken(home)
  const routes = new Map<string, CompiledRoute>()
  const clients = new Set<WsClient>()
  let port = 0

  const addRoute = (route: HttpRoute): Disposable => {
    const key = `${route.method} ${route.path}`
    if (routes.has(key)) throw new Error(`Route ${key} is already mounted.`)
    routes.set(key, compileRoute(route))
    return { dispose: () => void routes.delete(key) }
  }
  for (const route of options.routes ?? []) addRoute(route)

  const wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.messageBytes, perMessageDeflate: false })

  const http = createHttpServer({ requestTimeout: 60_000, headersTimeout: 15_000 }, (request, res) => {
    handleRequest(request, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, failure('internal', `Internal error: ${(error as Error).message}`))
      else res.destroy()
    })
  })

  async function handleRequest(request: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(securityHeaders(port))) res.setHeader(name, value)
    const refusal = checkHostAndOrigin(request.headers, port)
    if (refusal !== null) return sendJson(res, 403, failure('unauthorized', refusal))
    const target = request.url ?? '/'
    if (!target.startsWith('/')) return sendJson(res, 400, failure('bad_request', 'The request target must be a path.'))
    const queryStart = target.indexOf('?')
    const pathname = queryStart === -1 ? target : target.slice(0, queryStart)
    const query = new URLSearchParams(queryStart === -1 ? '' : target.slice(queryStart + 1))

    if (pathname === COMMAND_PATH) return handleCommand(request, res)
    if (pathname === EVENTS_PATH) return handleEvents(request, res, query)
    if (pathname === WEBSOCKET_PATH) return sendJson(res, 426, failure('bad_request', `${WEBSOCKET_PATH} speaks WebSocket only.`))
    if (pathname.startsWith('/api/')) return sendJson(res, 404, failure('not_found', `No API route ${pathname}.`))

    for (const compiled of routes.values()) {
      const params = compiled.match(pathname)
      if (params === null || compiled.route.method !== request.method) continue
      return handleRoute(compiled.route, params, query, request, res)
    }
    if (request.method === 'GET' || request.method === 'HEAD') return handleStatic(pathname, request, res)
    return sendJson(res, 405, failure('bad_request', `${request.method ?? '?'} ${pathname} is not supported.`))
  }

  async function handleCommand(request: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorized(request)) return unauthorized(res)
    if (request.method !== 'POST') {
      res.setHeader('Allow', 'POST')
      return sendJson(res, 405, failure('bad_request', `${COMMAND_PATH} accepts POST with a JSON request envelope.`))
    }
    const body = await readBody(request, LIMITS.messageBytes)
    if (body === null) return tooLarge(res, LIMITS.messageBytes)
    let raw: unknown
    try {
      raw = JSON.parse(body.toString('utf8'))
    } catch (error) {
      return sendMessage(res, response(-1, fail('bad_request', `Body is not valid JSON: ${(error as Error).message}`)))
    }
    return sendMessage(res, await answerOneRequest(engine, raw, `use the WebSocket at ${WEBSOCKET_PATH}; over HTTP, page through events with events.read.`))
  }

  function handleEvents(request: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    if (!authorized(request)) return unauthorized(res)
    if (request.method !== 'GET') {
      res.setHeader('Allow', 'GET')
      return sendJson(res, 405, failure('bad_request', `${EVENTS_PATH} accepts GET with ?since=<seq>.`))
    }
    const since = parseSince(query)
    if ('error' in since) return sendJson(res, 400, failure('bad_request', since.error))
    try {
      streamEvents(engine, since.since, request, res)
    } catch (error) {
      // Refused before anything was written (a since beyond the log's head): the reason, as a 400.
      if (error instanceof TaskdeckError) return sendJson(res, HTTP_STATUS[error.code], toFailure(error))
      throw error
    }
  }

  async function handleRoute(
    route: HttpRoute,
    params: Record<string, string>,
    query: URLSearchParams,
    request: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    if (route.auth === 'token' && !authorized(request)) return unauthorized(res)
    const limit = route.maxBodyBytes ?? DEFAULT_ROUTE_BODY_BYTES
    const body = await readBody(request, limit)
    if (body === null) return tooLarge(res, limit)
    let answer
    try {
      answer = await route.handle({
        method: request.method ?? 'GET',
        params,
        query,
        headers: request.headers,
        body,
        remoteAddress: request.socket.remoteAddress ?? '',
      })
    } catch (error) {
      return sendJson(res, 500, failure('internal', `Internal error in ${route.method} ${route.path}: ${(error as Error).message}`))
    }
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value)
    if (answer.body === undefined) {
      res.statusCode = answer.status
      res.end()
      return
    }
    sendJson(res, answer.status, answer.body)
  }

  async function handleStatic(pathname: string, request: IncomingMessage, res: ServerResponse): Promise<void> {
    if (options.staticDir === undefined) return sendText(res, 404, 'This Taskdeck server has no web UI to serve.')
    const found = await lookupStatic(options.staticDir, pathname)
    if (found.kind === 'refused') return sendText(res, 400, `Refused: ${found.reason}.`)
    if (found.kind === 'not-found') {
      if (pathname === '/') return sendText(res, 404, `The web UI is not built (no index.html in ${options.staticDir}); run \`npm run build\`.`)
      return sendText(res, 404, `Not found: ${pathname.slice(0, 200)}`)
    }
    await sendFile(request, res, found)
  }

  const authorized = (request: IncomingMessage): boolean => {
    const presented = bearerToken(request.headers)
    return presented !== null && tokenMatches(token, presented)
  }

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    const refusal = checkHostAndOrigin(request.headers, port)
    if (refusal !== null) return rejectUpgrade(socket, 403, refusal)
    if ((request.url ?? '').split('?')[0] !== WEBSOCKET_PATH) return rejectUpgrade(socket, 404, `WebSocket connections go to ${WEBSOCKET_PATH}.`)
    const presented = bearerToken(request.headers)
    if (presented !== null && !tokenMatches(token, presented)) return rejectUpgrade(socket, 401, 'The API token is wrong.')
    wss.handleUpgrade(request, socket, head, (ws) => {
      const client: WsClient = new WsClient(ws, {
        engine,
        token,
        authenticated: presented !== null,
        authTimeoutMs: options.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS,
        highWaterBytes: options.highWaterBytes ?? 4 * 1024 * 1024,
        maxPendingBytes: options.maxPendingBytes ?? 16 * 1024 * 1024,
        onClosed: () => clients.delete(client),
      })
      clients.add(client)
    })
  })
  http.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    else socket.destroy()
  })

  await mkdir(home, { recursive: true, mode: 0o700 })
  port = await listenPreferring(http, options.port, readLastPort(home))
  await writeLastPort(home, port)
  const url = `http://127.0.0.1:${port}/`
  const localSocket = await listenLocalSocket({ engine, home, token })
  await writeApiFile(home, { url, port, token, pid: process.pid, startedAt: Date.now(), ...(localSocket === null ? {} : { socket: localSocket.path }), apiRevision: API_REVISION })

  let closing: Promise<void> | null = null
  return {
    url,
    port,
    token,
    browserUrl: `${url}#token=${token}`,
    get clientCount() {
      return clients.size
    },
    addRoute,
    close() {
      closing ??= (async () => {
        for (const client of [...clients]) client.close(CLOSE_GOING_AWAY, 'server shutting down')
        wss.close()
        await new Promise<void>((resolve) => {
          http.close(() => resolve())
          http.closeAllConnections()
        })
        await localSocket?.close()
        await removeApiFileIfOurs(home, token)
      })()
      return closing
    },
  }
}

/**
 * The port asked for (in use: an error), else the one this home's last server had if it is
 * free (see readLastPort), else a free one.
 */
async function listenPreferring(server: ReturnType<typeof createHttpServer>, asked: number | undefined, last: number | null): Promise<number> {
  if (asked !== undefined && asked !== 0) return listen(server, asked)
  if (last !== null) {
    try {
      return await listen(server, last)
    } catch {
      // Taken by another program since: any free port will do.
    }
  }
  return listen(server, 0)
}

function listen(server: ReturnType<typeof createHttpServer>, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new Error(`Port ${port} on 127.0.0.1 is already in use; choose another with --port.`) : error)
    }
    server.once('error', onError)
    server.listen({ port, host: '127.0.0.1' }, () => {
      server.off('error', onError)
      const address = server.address()
      resolve(typeof address === 'object' && address !== null ? address.port : port)
    })
  })
}

/** The body, or null once it exceeds `limit` bytes (the rest is not read). */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(request.headers['content-length'] ?? 0)
  if (declared > limit) return null
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of request) {
    total += (chunk as Buffer).length
    if (total > limit) return null
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  bad_request: 400,
  unknown_command: 400,
  protocol_mismatch: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  database_damaged: 503,
  internal: 500,
}

const failure = (code: ErrorCode, message: string): Result<never> => fail(code, message)

function sendMessage(res: ServerResponse, message: ServerMessage): void {
  const status = message.kind === 'response' && !message.result.ok ? HTTP_STATUS[message.result.error.code] : 200
  sendJson(res, status, message)
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.statusCode = status
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.setHeader('Content-Length', Buffer.byteLength(text))
  res.setHeader('Cache-Control', 'no-store')
  res.end(text)
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status
  res.setHeader('Content-Type', 'text/plain; charset=utf-8')
  res.setHeader('Content-Length', Buffer.byteLength(text))
  res.end(text)
}

function unauthorized(res: ServerResponse): void {
  res.setHeader('WWW-Authenticate', 'Bearer realm="taskdeck"')
  sendJson(res, 401, failure('unauthorized', 'Send the API token from api.json as "Authorization: Bearer <token>".'))
}

/** The client may still be sending; close the connection once the refusal is out. */
function tooLarge(res: ServerResponse, limit: number): void {
  res.setHeader('Connection', 'close')
  res.once('finish', () => res.socket?.destroy())
  sendJson(res, 413, failure('too_large', `The body is larger than ${limit} bytes.`))
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify(failure(status === 401 || status === 403 ? 'unauthorized' : 'not_found', message))
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}
