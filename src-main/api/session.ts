import {
  AUTH_COMMAND,
  NOT_SERVED,
  TaskdeckError,
  eventsMessage,
  fail,
  ok,
  parseRequest,
  response,
  type CommandName,
  type CommandParams,
  type EngineEvent,
  type Result,
  type ServerMessage,
} from '../../src-shared/index.ts'
import type { Disposable, EngineApi } from '../engine/api.ts'
import { WatchedOutput } from './watched-output.ts'

export interface ApiSessionOptions {
  /**
   * Bytes this connection accepted but has not yet delivered (a WebSocket's bufferedAmount
   * plus its unsent batch): above a high-water mark, watched output is held and coalesced.
   * Transports without a measure leave it out.
   */
  backlogBytes?: () => number
}

/**
 * One client connection, whatever carries it (Electron IPC, a WebSocket). It validates
 * every message against the contract, runs it on the engine, turns thrown refusals into
 * error values, and owns at most one event subscription. Transports only move bytes.
 */
export class ApiSession implements Disposable {
  private subscription: Disposable | null = null
  private readonly engine: EngineApi
  private readonly send: (message: ServerMessage) => void
  /** Live output of the runs this client shows; used when it subscribed with `output: 'watched'`. */
  private readonly watchedOutput: WatchedOutput

  constructor(engine: EngineApi, send: (message: ServerMessage) => void, options: ApiSessionOptions = {}) {
    this.engine = engine
    this.send = send
    this.watchedOutput = new WatchedOutput(options.backlogBytes ?? (() => 0), (events) => this.send(eventsMessage(events)))
  }

  /** Handles one incoming message; the response is sent, never thrown. */
  async handle(raw: unknown): Promise<void> {
    const { id, result } = parseRequest(raw)
    if (!result.ok) {
      this.send(response(id ?? -1, result))
      return
    }
    const { command, params } = result.value
    this.send(response(result.value.id, await this.run(command, params)))
  }

  private async run(command: CommandName, params: unknown): Promise<Result<unknown>> {
    try {
      if (command === 'events.subscribe') return ok(this.startEvents(params as CommandParams<'events.subscribe'>))
      if (command === 'output.watch') return ok({ runIds: this.watchedOutput.watch((params as CommandParams<'output.watch'>).runIds) })
      const handler = this.engine.handlers[command] as ((p: unknown) => Promise<unknown>) | undefined
      if (!handler) return fail('unknown_command', `Command "${command}" is not served by this process.`, { reason: NOT_SERVED })
      return ok(await handler(params))
    } catch (error) {
      return toFailure(error)
    }
  }

  private startEvents({ since, output }: CommandParams<'events.subscribe'>): { headSeq: number } {
    this.subscription?.dispose()
    this.watchedOutput.reset()
    const deliver =
      output === 'all'
        ? (events: readonly EngineEvent[]) => this.send(eventsMessage([...events]))
        : (events: readonly EngineEvent[]) => {
            const passed = this.watchedOutput.filter(events)
            if (passed.length > 0) this.send(eventsMessage(passed))
          }
    const subscription = this.engine.subscribe(since, deliver)
    this.subscription = subscription
    return { headSeq: subscription.headSeq }
  }

  /** Ends the event subscription (the session can subscribe again; watched runs are kept). */
  dispose(): void {
    this.subscription?.dispose()
    this.subscription = null
    this.watchedOutput.reset()
  }
}

export function toFailure(error: unknown): Result<never> {
  if (error instanceof TaskdeckError) return fail(error.code, error.message, error.details)
  const message = error instanceof Error ? error.message : String(error)
  return fail('internal', `Internal error: ${message}`)
}

export { AUTH_COMMAND }
