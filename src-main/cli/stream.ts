import { WebSocket } from 'ws'
import type { CommandInput, CommandName, CommandResult } from '../../src-shared/commands.ts'
import type { Result } from '../../src-shared/errors.ts'
import type { EngineEvent } from '../../src-shared/events.ts'
import { WEBSOCKET_PATH } from '../../src-shared/paths.ts'
import type { ServerMessage } from '../../src-shared/protocol.ts'
import type { ApiInfo } from '../server/api-file.ts'
import { PROTOCOL_VERSION } from './client.ts'
import { CliError, EXIT, fromApiError } from './exit.ts'

/** Why the server ended the WebSocket, in words (close codes: RFC 6455 and docs/api.md). */
function closeCause(code: number, reason: string): string {
  if (code === 1001) return 'it is shutting down'
  if (code === 1006) return 'it stopped or crashed'
  return reason === '' ? `close code ${code}` : `${reason} (close code ${code})`
}

type EventsListener = (events: readonly EngineEvent[]) => void

/**
 * A WebSocket to the server: requests matched to responses by id, events to listeners,
 * and a `resync` from the server answered by subscribing again from the last seq seen.
 */
export class EventStream {
  private readonly socket: WebSocket
  private readonly waiting = new Map<number, (result: Result<unknown>) => void>()
  private readonly listeners = new Set<EventsListener>()
  private readonly onClose = new Set<(error: CliError) => void>()
  private nextId = 1
  private lastSeq = 0
  private closedError: CliError | null = null

  private constructor(socket: WebSocket) {
    this.socket = socket
    socket.on('message', (data: Buffer) => this.onMessage(JSON.parse(data.toString('utf8')) as ServerMessage))
    socket.on('close', (code, reason) => {
      this.closedError = new CliError(EXIT.unreachable, 'unreachable', `Lost the connection to Taskdeck: ${closeCause(code, reason.toString())}. Its tasks are in \`taskdeck status\` once it runs again.`)
      for (const resolve of this.waiting.values()) resolve({ ok: false, error: { code: 'internal', message: this.closedError.message } })
      this.waiting.clear()
      for (const listener of this.onClose) listener(this.closedError)
    })
  }

  static open(info: ApiInfo): Promise<EventStream> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${info.port}${WEBSOCKET_PATH}`, {
        headers: { authorization: `Bearer ${info.token}` },
        perMessageDeflate: false,
      })
      const onError = (error: Error) => reject(new CliError(EXIT.unreachable, 'unreachable', `Cannot open the event stream at ${info.url}: ${error.message}`))
      socket.once('error', onError)
      socket.once('open', () => {
        socket.off('error', onError)
        socket.on('error', () => socket.terminate())
        resolve(new EventStream(socket))
      })
    })
  }

  async invoke<N extends CommandName>(command: N, params: CommandInput<N>): Promise<CommandResult<N>> {
    if (this.closedError) throw this.closedError
    const id = this.nextId++
    const result = await new Promise<Result<unknown>>((resolve) => {
      this.waiting.set(id, resolve)
      this.socket.send(JSON.stringify({ v: PROTOCOL_VERSION, id, command, params }))
    })
    if (!result.ok) throw fromApiError(result.error)
    return result.value as CommandResult<N>
  }

  /** Subscribes from `since` (replayed, then live); returns the head seq at subscription time. */
  async subscribe(since: number, listener: EventsListener): Promise<number> {
    this.listeners.add(listener)
    this.lastSeq = since
    const { headSeq } = await this.invoke('events.subscribe', { since })
    return headSeq
  }

  /** Calls `listener` if the connection drops; returns nothing to dispose because the stream ends with it. */
  whenClosed(listener: (error: CliError) => void): void {
    this.onClose.add(listener)
  }

  private onMessage(message: ServerMessage): void {
    if (message.kind === 'response') {
      this.waiting.get(message.id)?.(message.result)
      this.waiting.delete(message.id)
    } else if (message.kind === 'events') {
      for (const event of message.events) if ('seq' in event) this.lastSeq = event.seq
      for (const listener of this.listeners) listener(message.events)
    } else {
      // The server stopped streaming to us because we fell behind: pick up where we were.
      // Listeners get an empty batch as a cue to re-read whatever they track (output was dropped).
      this.invoke('events.subscribe', { since: this.lastSeq }).then(
        () => {
          for (const listener of this.listeners) listener([])
        },
        () => this.socket.terminate(),
      )
    }
  }

  close(): void {
    this.onClose.clear()
    this.socket.close(1000)
  }
}
