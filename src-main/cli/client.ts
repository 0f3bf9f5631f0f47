import type { Agent } from 'node:http'
import type { Socket } from 'node:net'
import type { CommandInput, CommandName, CommandResult } from '../../src-shared/commands.ts'
import type { Result } from '../../src-shared/errors.ts'
import { COMMAND_PATH } from '../../src-shared/paths.ts'
import type { ServerMessage } from '../../src-shared/protocol.ts'
import type { EventStream } from './stream.ts'
import type { ApiInfo } from '../server/api-file.ts'
import { LineBuffer } from '../server/line-buffer.ts'
import { CliError, EXIT, OLDER_SERVER, fromApiError, type OptionNames } from './exit.ts'

/** Kept literal so that one-shot commands need not load the contract's schemas (zod). */
export const PROTOCOL_VERSION = 1

/**
 * The CLI's side of the local API. One-shot commands go over the server's Unix socket when
 * api.json names one (JSON lines; src-main/server/local-socket.ts), else over plain HTTP;
 * commands that watch the event stream open a WebSocket.
 */
export class ApiClient {
  readonly info: ApiInfo
  private agent: Agent | null = null
  private channel: SocketChannel | null
  private nextId = 1

  constructor(info: ApiInfo) {
    this.info = info
    this.channel = info.socket === undefined ? null : new SocketChannel(info.socket, info.token)
  }

  /**
   * Runs one command; a refusal becomes a CliError with the matching exit code, naming the
   * options (`optionNames`) behind the refused params where it can.
   */
  async invoke<N extends CommandName>(command: N, params: CommandInput<N>, optionNames?: OptionNames): Promise<CommandResult<N>> {
    const result = await this.call(command, params)
    if (!result.ok) throw fromApiError(result.error, params, optionNames)
    return result.value as CommandResult<N>
  }

  /**
   * Refuses (exit 3) a server whose API_REVISION (in api.json, so no request is spent) is below
   * `revision`, before `what` sends a field such a server would ignore without a word.
   */
  /** Whether the running server is at `revision` or newer (read from api.json: no request spent). */
  hasRevision(revision: number): boolean {
    return (this.info.apiRevision ?? 1) >= revision
  }

  requireRevision(revision: number, what: string): void {
    const running = this.info.apiRevision ?? 1
    if (running < revision) throw new CliError(EXIT.unreachable, 'protocol_mismatch', `${what} needs API revision ${revision}; the running Taskdeck has ${running}. ${OLDER_SERVER}`)
  }

  async call(command: string, params: unknown): Promise<Result<unknown>> {
    const id = this.nextId++
    const body = JSON.stringify({ v: PROTOCOL_VERSION, id, command, params })
    await refuseOversized(body)
    const text = await this.send(id, body)
    let message: ServerMessage
    try {
      message = JSON.parse(text) as ServerMessage
    } catch {
      throw new CliError(EXIT.unreachable, 'unreachable', `The server at ${this.info.url} did not answer with JSON; is it Taskdeck?`)
    }
    if (message.kind !== 'response') throw new CliError(EXIT.unreachable, 'unreachable', `Unexpected answer from ${this.info.url}.`)
    return message.result
  }

  private async send(id: number, body: string): Promise<string> {
    if (this.channel !== null) {
      const answer = await this.channel.request(id, body)
      if (answer !== null) return answer
      // The socket could not be reached (nothing was sent): the HTTP port still can be.
      this.channel = null
    }
    return this.post(body)
  }

  private post(body: string): Promise<string> {
    // node:http through getBuiltinModule, and only when needed: an ES import of it evaluates
    // its lazy exports (fetch's WebSocket and friends), which loads undici.
    const http = process.getBuiltinModule('node:http')
    const agent = (this.agent ??= new http.Agent({ keepAlive: true }))
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.info.port,
          path: COMMAND_PATH,
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${this.info.token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
          res.on('error', reject)
        },
      )
      req.on('error', (error: NodeJS.ErrnoException) => reject(this.unreachable(error)))
      req.end(body)
    })
  }

  private unreachable(error: NodeJS.ErrnoException): CliError {
    const why =
      error.code === 'ECONNREFUSED'
        ? `nothing listens on port ${this.info.port} (api.json is stale: process ${this.info.pid} is gone?)`
        : error.message
    return new CliError(
      EXIT.unreachable,
      'unreachable',
      `Taskdeck is not reachable at ${this.info.url}: ${why}. Start it with \`taskdeck daemon\`.`,
    )
  }

  /** Opens the event stream (authenticated by header, as a non-browser client can); `ws` loads only then. */
  async openStream(): Promise<EventStream> {
    const { EventStream } = await import('./stream.ts')
    return EventStream.open(this.info)
  }

  close(): void {
    this.agent?.destroy()
    this.channel?.close()
  }
}

/**
 * Requests as JSON lines over the server's Unix socket: the token line first, then each
 * request; answers are matched by id. `request` resolves null when the socket cannot be
 * connected to (nothing was sent, so the caller may use HTTP instead).
 */
class SocketChannel {
  private readonly path: string
  private readonly token: string
  private socket: Socket | null = null
  private connected = false
  private failed = false
  private readonly lines = new LineBuffer()
  private readonly waiting = new Map<number, { resolve: (line: string | null) => void; reject: (error: CliError) => void }>()

  constructor(path: string, token: string) {
    this.path = path
    this.token = token
  }

  request(id: number, body: string): Promise<string | null> {
    if (this.failed) return Promise.resolve(null)
    const socket = this.socket ?? this.open()
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject })
      socket.write(`${body}\n`)
    })
  }

  private open(): Socket {
    const { connect } = process.getBuiltinModule('node:net')
    const socket = connect(this.path)
    this.socket = socket
    socket.setEncoding('utf8')
    socket.write(`${JSON.stringify({ token: this.token })}\n`)
    socket.once('connect', () => (this.connected = true))
    socket.on('data', (chunk: string) => this.onData(chunk))
    socket.on('error', (error: NodeJS.ErrnoException) => this.onEnd(error))
    socket.on('close', () => this.onEnd(null))
    return socket
  }

  private onData(chunk: string): void {
    for (const line of this.lines.push(chunk)) {
      // An answer to no request of ours (id -1: the connection itself was refused) goes to the oldest.
      const id = idOf(line)
      const key = this.waiting.has(id) ? id : this.waiting.keys().next().value
      const waiter = key === undefined ? undefined : this.waiting.get(key)
      if (key === undefined || waiter === undefined) continue
      this.waiting.delete(key)
      waiter.resolve(line)
    }
  }

  /** Before it connected: answer null so the request goes over HTTP. After: the requests in flight fail. */
  private onEnd(error: NodeJS.ErrnoException | null): void {
    this.failed = true
    for (const waiter of this.waiting.values()) {
      if (!this.connected) waiter.resolve(null)
      else waiter.reject(new CliError(EXIT.unreachable, 'unreachable', `The connection to Taskdeck at ${this.path} closed${error ? ` (${error.message})` : ''} before it answered.`))
    }
    this.waiting.clear()
  }

  close(): void {
    this.socket?.destroy()
  }
}

/** The id of an answer line without parsing it twice (call() parses it): answers start {"v":1,"kind":"response","id":N. */
function idOf(line: string): number {
  const match = /^\{"v":\d+,"kind":"response","id":(-?\d+)/.exec(line)
  return match ? Number(match[1]) : -1
}

/**
 * The server refuses a message over LIMITS.messageBytes before reading it; saying so here
 * names the problem instead of failing on a connection the server has closed. The
 * contract (and with it zod) is loaded only for bodies big enough to be in question.
 */
async function refuseOversized(body: string): Promise<void> {
  if (body.length < 1024 * 1024) return
  const { LIMITS } = await import('../../src-shared/model.ts')
  const bytes = Buffer.byteLength(body)
  if (bytes > LIMITS.messageBytes) {
    throw new CliError(EXIT.usage, 'too_large', `The request is ${bytes} bytes; the API accepts at most ${LIMITS.messageBytes} bytes per message.`, { bytes, limitBytes: LIMITS.messageBytes })
  }
}
