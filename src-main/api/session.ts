import {
  AUTH_COMMAND,
  TaskdeckError,
  eventsMessage,
  fail,
  ok,
  parseRequest,
  response,
  type CommandName,
  type EngineEvent,
  type Result,
  type ServerMessage,
} from '../../src-shared/index.ts'
import type { Disposable, EngineApi } from '../engine/api.ts'

/**
 * One client connection, whatever carries it (Electron IPC, a WebSocket). It validates
 * every message against the contract, runs it on the engine, turns thrown refusals into
 * error values, and owns at most one event subscription. Transports only move bytes.
 */
export class ApiSession implements Disposable {
  private subscription: Disposable | null = null
  private readonly engine: EngineApi
  private readonly send: (message: ServerMessage) => void

  constructor(engine: EngineApi, send: (message: ServerMessage) => void) {
    this.engine = engine
    this.send = send
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
      if (command === 'events.subscribe') return ok(this.startEvents((params as { since: number }).since))
      const handler = this.engine.handlers[command] as ((p: unknown) => Promise<unknown>) | undefined
      if (!handler) return fail('unknown_command', `Command "${command}" is not served by this process.`)
      return ok(await handler(params))
    } catch (error) {
      return toFailure(error)
    }
  }

  private startEvents(since: number): { headSeq: number } {
    this.subscription?.dispose()
    const subscription = this.engine.subscribe(since, (events: readonly EngineEvent[]) => this.send(eventsMessage([...events])))
    this.subscription = subscription
    return { headSeq: subscription.headSeq }
  }

  dispose(): void {
    this.subscription?.dispose()
    this.subscription = null
  }
}

export function toFailure(error: unknown): Result<never> {
  if (error instanceof TaskdeckError) return fail(error.code, error.message, error.details)
  const message = error instanceof Error ? error.message : String(error)
  return fail('internal', `Internal error: ${message}`)
}

export { AUTH_COMMAND }
