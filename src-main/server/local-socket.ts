import { chmod, rm } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { LIMITS, fail, response, type ErrorCode, type ServerMessage } from '../../src-shared/index.ts'
import type { EngineApi } from '../engine/api.ts'
import { LineBuffer } from './line-buffer.ts'
import { answerOneRequest } from './one-request.ts'
import { tokenMatches } from './security.ts'

/**
 * The CLI's way in: a Unix socket, `<home>/api.sock` (owner-only, in the owner-only home),
 * carrying the API's request envelopes as JSON lines. It spares every one-shot command
 * node:http's client and parser, as PEERS.md (A4) recommends for a local CLI. The first
 * line must be `{"token": "<api token>"}` (checked in constant time), as on every other
 * transport; then each line is a request and each answer a line, matched by `id`.
 * Requests only: the event stream stays on the WebSocket. Windows, and homes whose path is
 * too long for a socket address, go without; the CLI then uses HTTP.
 */

export const SOCKET_FILE_NAME = 'api.sock'
/** A socket address holds 104 (macOS) to 108 (Linux) bytes. */
const MAX_SOCKET_PATH_BYTES = 100
/** An idle connection is closed after this long (a CLI call lasts milliseconds). */
const IDLE_MS = 60_000

export interface LocalSocket {
  readonly path: string
  close(): Promise<void>
}

export async function listenLocalSocket(options: { engine: EngineApi; home: string; token: string }): Promise<LocalSocket | null> {
  const path = join(options.home, SOCKET_FILE_NAME)
  if (process.platform === 'win32' || Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) return null
  // Left by a server that did not shut down cleanly; a live one for this home was refused before we got here.
  await rm(path, { force: true })
  const connections = new Set<Socket>()
  const server = createServer((socket) => {
    connections.add(socket)
    socket.once('close', () => connections.delete(socket))
    serveConnection(socket, options.engine, options.token)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      resolve()
    })
  })
  await chmod(path, 0o600)
  let closing: Promise<void> | null = null
  return {
    path,
    close() {
      closing ??= (async () => {
        for (const socket of connections) socket.destroy()
        await new Promise<void>((resolve) => server.close(() => resolve()))
        await rm(path, { force: true })
      })()
      return closing
    },
  }
}

function serveConnection(socket: Socket, engine: EngineApi, token: string): void {
  socket.setEncoding('utf8')
  socket.setTimeout(IDLE_MS, () => socket.end())
  socket.on('error', () => socket.destroy())
  const lines = new LineBuffer()
  /** Inside a line already answered as too large: its bytes are dropped up to its newline. */
  let skippingLine = false
  let authenticated = false
  const send = (message: ServerMessage) => {
    if (socket.writable) socket.write(`${JSON.stringify(message)}\n`)
  }
  const refuse = (code: ErrorCode, message: string) => {
    send(response(-1, fail(code, message)))
    socket.end()
    lines.clear()
  }
  /**
   * A line over the limit is answered by name and not read; the connection goes on, so the
   * requests in flight on it are still answered. Before authentication it closes, as any refusal there.
   */
  const tooLarge = (start: string) => {
    const message = `A message is larger than ${LIMITS.messageBytes} bytes; it was not read.`
    if (!authenticated) return refuse('too_large', message)
    send(response(idAtStart(start), fail('too_large', message, { limitBytes: LIMITS.messageBytes })))
  }

  socket.on('data', (chunk: string) => {
    if (skippingLine) {
      const newline = chunk.indexOf('\n')
      if (newline === -1) return
      skippingLine = false
      chunk = chunk.slice(newline + 1)
    }
    for (const line of lines.push(chunk)) {
      if (socket.writableEnded) return
      if (Buffer.byteLength(line) > LIMITS.messageBytes) {
        tooLarge(line)
        continue
      }
      if (!authenticated) {
        authenticated = presentedToken(line, token)
        if (!authenticated) return refuse('unauthorized', 'The first line must be {"token": "<the API token from api.json>"}.')
        continue
      }
      void answer(line, engine).then(send)
    }
    // Characters never outnumber bytes, so this many without a newline is too large for sure.
    if (lines.pendingLength > LIMITS.messageBytes && !socket.writableEnded) {
      tooLarge(lines.pendingStart(ID_SEARCH_CHARS))
      lines.clear()
      skippingLine = true
    }
  })
}

/** How far into a too-large request its id is looked for. */
const ID_SEARCH_CHARS = 200

/**
 * The id of a request too large to be parsed, read from its start where the envelope puts it
 * before anything nested (`{"v":1,"id":4,…`, as the CLI writes it), so the client can match
 * the refusal to its request; -1 when it is not there.
 */
function idAtStart(line: string): number {
  const match = /^\s*\{[^{}[\]]*?"id"\s*:\s*(\d{1,15})\s*[,}]/.exec(line.slice(0, ID_SEARCH_CHARS))
  return match ? Number(match[1]) : -1
}

function presentedToken(line: string, token: string): boolean {
  try {
    const presented = (JSON.parse(line) as { token?: unknown }).token
    return typeof presented === 'string' && tokenMatches(token, presented)
  } catch {
    return false
  }
}

/** One request through a throw-away ApiSession, as over HTTP (see one-request.ts). */
async function answer(line: string, engine: EngineApi): Promise<ServerMessage> {
  let raw: unknown
  try {
    raw = JSON.parse(line)
  } catch (error) {
    return response(-1, fail('bad_request', `The line is not valid JSON: ${(error as Error).message}`))
  }
  return answerOneRequest(engine, raw, 'use the WebSocket; on this socket, page through events with events.read.')
}
