import type { Agent } from 'node:http'
import type { CommandInput, CommandName, CommandResult } from '../../src-shared/commands.ts'
import type { Result } from '../../src-shared/errors.ts'
import type { ServerMessage } from '../../src-shared/protocol.ts'
import type { EventStream } from './stream.ts'
import type { ApiInfo } from '../server/api-file.ts'
import { CliError, EXIT, fromApiError } from './exit.ts'

/**
 * node:http through getBuiltinModule rather than an ES import: the ES namespace of
 * node:http evaluates its lazy exports (fetch's WebSocket and friends), which loads undici
 * and adds tens of milliseconds to every CLI call.
 */
const http = process.getBuiltinModule('node:http')

/** Kept literal so that one-shot commands need not load the contract's schemas (zod). */
export const PROTOCOL_VERSION = 1
const COMMAND_PATH = '/api/v1/command'

/**
 * The CLI's side of the local API. One-shot commands go over plain HTTP (one request,
 * one response); commands that watch the event stream open a WebSocket.
 */
export class ApiClient {
  readonly info: ApiInfo
  private readonly agent: Agent = new http.Agent({ keepAlive: true })
  private nextId = 1

  constructor(info: ApiInfo) {
    this.info = info
  }

  /** Runs one command; a refusal becomes a CliError with the matching exit code. */
  async invoke<N extends CommandName>(command: N, params: CommandInput<N>): Promise<CommandResult<N>> {
    const result = await this.call(command, params)
    if (!result.ok) throw fromApiError(result.error)
    return result.value as CommandResult<N>
  }

  async call(command: string, params: unknown): Promise<Result<unknown>> {
    const body = JSON.stringify({ v: PROTOCOL_VERSION, id: this.nextId++, command, params })
    await refuseOversized(body)
    const text = await this.post(body)
    let message: ServerMessage
    try {
      message = JSON.parse(text) as ServerMessage
    } catch {
      throw new CliError(EXIT.unreachable, 'unreachable', `The server at ${this.info.url} did not answer with JSON; is it Taskdeck?`)
    }
    if (message.kind !== 'response') throw new CliError(EXIT.unreachable, 'unreachable', `Unexpected answer from ${this.info.url}.`)
    return message.result
  }

  private post(body: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.info.port,
          path: COMMAND_PATH,
          method: 'POST',
          agent: this.agent,
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
    this.agent.destroy()
  }
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
    throw new CliError(EXIT.usage, 'too_large', `The request is ${bytes} bytes; the API accepts at most ${LIMITS.messageBytes} bytes per message.`)
  }
}
