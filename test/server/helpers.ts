import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket, type ClientOptions } from 'ws'
import { Engine } from '../../src-main/engine/engine.ts'
import { createServer, type ServerOptions, type TaskdeckServer } from '../../src-main/server/server.ts'
import type { EngineEvent, Result, ServerMessage } from '../../src-shared/index.ts'
import { historyDocument } from '../support/history.ts'

/** A temp folder with a data home and a small "built UI" next to a file that must never be served. */
export function tempLayout(): { root: string; home: string; staticDir: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'taskdeck-server-'))
  const home = join(root, 'home')
  const staticDir = join(root, 'ui')
  mkdirSync(join(staticDir, 'assets'), { recursive: true })
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Taskdeck</title><script type="module" src="/assets/app.js"></script>')
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log("taskdeck")')
  writeFileSync(join(staticDir, 'assets', 'style.css'), 'body{}')
  writeFileSync(join(root, 'secret.txt'), 'TOP-SECRET')
  return { root, home, staticDir, cleanup: () => rmSync(root, { recursive: true, force: true }) }
}

export interface Harness {
  engine: Engine
  server: TaskdeckServer
  home: string
  staticDir: string
  root: string
  close(): Promise<void>
}

/** A real engine and server in a temp home; `close` stops both and removes the folder. */
export async function startHarness(options: Partial<Omit<ServerOptions, 'engine' | 'home'>> = {}): Promise<Harness> {
  const layout = tempLayout()
  const engine = await Engine.open({ home: layout.home, statsIntervalMs: 0, killGraceMs: 500 })
  const server = await createServer({ engine, home: layout.home, staticDir: layout.staticDir, ...options })
  return {
    engine,
    server,
    home: layout.home,
    staticDir: layout.staticDir,
    root: layout.root,
    async close() {
      await server.close()
      await engine.close()
      layout.cleanup()
    },
  }
}

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
  json(): unknown
}

/** An HTTP request with exactly the given path and headers (no client-side normalisation). */
export function rawRequest(port: number, options: { method?: string; path: string; headers?: OutgoingHttpHeaders; body?: string | Buffer }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8')
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) as unknown })
        })
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** POSTs one request envelope to the HTTP API. */
export async function command(
  server: TaskdeckServer,
  envelope: unknown,
  headers: OutgoingHttpHeaders = { authorization: `Bearer ${server.token}` },
): Promise<{ status: number; message: ServerMessage }> {
  const body = typeof envelope === 'string' ? envelope : JSON.stringify(envelope)
  const response = await rawRequest(server.port, { method: 'POST', path: '/api/v1/command', headers: { 'content-type': 'application/json', ...headers }, body })
  return { status: response.status, message: response.json() as ServerMessage }
}

/** Runs a command over HTTP and returns its value, failing the test on an error result. */
export async function call<T = unknown>(server: TaskdeckServer, name: string, params: unknown = {}): Promise<T> {
  const { message } = await command(server, { v: 1, id: 1, command: name, params })
  if (message.kind !== 'response') throw new Error(`expected a response, got ${message.kind}`)
  if (!message.result.ok) throw new Error(`${name} failed: ${message.result.error.message}`)
  return message.result.value as T
}

/** A WebSocket test client that records every message and matches responses to requests. */
export class TestSocket {
  readonly socket: WebSocket
  readonly messages: ServerMessage[] = []
  /** The UTF-8 size of each message as it came off the wire, by index in `messages`. */
  readonly messageBytes: number[] = []
  /** Messages that came in binary frames (the server sends text). */
  binaryMessages = 0
  readonly closed: Promise<{ code: number; reason: string }>
  private readonly listeners = new Set<() => void>()
  private nextId = 1

  private constructor(socket: WebSocket) {
    this.socket = socket
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.binaryMessages++
      this.messages.push(JSON.parse(data.toString('utf8')) as ServerMessage)
      this.messageBytes.push(data.length)
      for (const listener of [...this.listeners]) listener()
    })
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  }

  static open(port: number, options: ClientOptions = {}, path = '/api/v1/ws'): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false, ...options })
      socket.once('open', () => resolve(new TestSocket(socket)))
      socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
      socket.once('error', reject)
    })
  }

  /** Resolves with the status code the server refused the upgrade with. */
  static refusal(port: number, options: ClientOptions = {}, path = '/api/v1/ws'): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, options)
      socket.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0)
        socket.terminate()
      })
      socket.once('open', () => reject(new Error('the upgrade was accepted')))
      socket.on('error', () => undefined)
    })
  }

  /** Resolves with the first recorded message (past or future) that satisfies `predicate`. */
  waitFor<M extends ServerMessage>(predicate: (message: ServerMessage) => message is M): Promise<M>
  waitFor(predicate: (message: ServerMessage) => boolean): Promise<ServerMessage>
  waitFor(predicate: (message: ServerMessage) => boolean): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(predicate)
        if (found) {
          this.listeners.delete(check)
          resolve(found)
        }
      }
      this.listeners.add(check)
      void this.closed.then(() => {
        if (this.listeners.delete(check)) reject(new Error('the socket closed first'))
      })
      check()
    })
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data)
  }

  async request(command: string, params: unknown = {}, envelope: Record<string, unknown> = {}): Promise<Result<unknown>> {
    const id = this.nextId++
    this.sendRaw(JSON.stringify({ v: 1, id, command, params, ...envelope }))
    const message = await this.waitFor((m) => m.kind === 'response' && m.id === id)
    return (message as Extract<ServerMessage, { kind: 'response' }>).result
  }

  async auth(token: string): Promise<Result<unknown>> {
    return this.request('session.auth', { token })
  }

  /** Every event received so far, in order. */
  events(): EngineEvent[] {
    return this.messages.flatMap((m) => (m.kind === 'events' ? m.events : []))
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close()
    return this.closed
  }
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Imported finished tasks: two durable events each (task.created, run.finished), written in one go. */
export async function importTasks(h: Harness, first: number, count: number): Promise<void> {
  await call(h.server, 'data.import', { document: historyDocument(first, count, (id) => ({ name: `imported ${id} — 한국어 "quoted"\n` })) })
}
