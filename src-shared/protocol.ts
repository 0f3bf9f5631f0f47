import { z } from 'zod'
import { COMMANDS, isCommandName, type CommandName, type CommandParams } from './commands.ts'
import { describeIssues, fail, issuesOf, ok, type Result } from './errors.ts'
import type { EngineEvent } from './events.ts'

/** Bumped on any incompatible change to a message's shape. */
export const PROTOCOL_VERSION = 1

/** Transport-level first message from a browser that cannot set an Authorization header. */
export const AUTH_COMMAND = 'session.auth'

export const RequestEnvelopeSchema = z.object({
  v: z.number().int(),
  id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  command: z.string().min(1).max(64),
  params: z.unknown().optional(),
})
export type RequestEnvelope = z.infer<typeof RequestEnvelopeSchema>

/** What a client sends: the same on Electron IPC and on the WebSocket. */
export interface Request<N extends CommandName = CommandName> {
  v: typeof PROTOCOL_VERSION
  id: number
  command: N
  params: CommandParams<N>
}

/**
 * What a server sends back: a response to one request, a batch of events in order, or
 * `resync`: the server ended this connection's event subscription because the client
 * fell too far behind. No durable event is lost that way: the client subscribes again
 * with `since` = the last seq it processed (`since` here is the last one the server sent);
 * transient output it missed can be re-read with `run.readLog`.
 */
export type ServerMessage =
  | { v: typeof PROTOCOL_VERSION; kind: 'response'; id: number; result: Result<unknown> }
  | { v: typeof PROTOCOL_VERSION; kind: 'events'; events: EngineEvent[] }
  | { v: typeof PROTOCOL_VERSION; kind: 'resync'; since: number; reason: string }

export const response = (id: number, result: Result<unknown>): ServerMessage => ({ v: PROTOCOL_VERSION, kind: 'response', id, result })
export const eventsMessage = (events: EngineEvent[]): ServerMessage => ({ v: PROTOCOL_VERSION, kind: 'events', events })
export const resyncMessage = (since: number, reason: string): ServerMessage => ({ v: PROTOCOL_VERSION, kind: 'resync', since, reason })

export interface ParsedRequest {
  id: number
  command: CommandName
  params: unknown
}

/**
 * Validates one incoming message against the contract: envelope, protocol version,
 * command name, then the command's own params (defaults filled in; a field the command
 * does not know is refused by its path, see strictRequest). Every failure is a
 * value naming what was wrong; `id` is kept whenever it could be read, so the client
 * can match the error to its request.
 */
export function parseRequest(raw: unknown): { id: number | null; result: Result<ParsedRequest> } {
  const envelope = RequestEnvelopeSchema.safeParse(raw)
  if (!envelope.success) {
    const id = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'number' ? (raw as { id: number }).id : null
    const issues = issuesOf(envelope.error)
    return { id, result: fail('bad_request', describeIssues('message', issues), { issues }) }
  }
  const { id, v, command, params } = envelope.data
  if (v !== PROTOCOL_VERSION) {
    return {
      id,
      result: fail('protocol_mismatch', `Protocol version ${v} is not supported; this server speaks version ${PROTOCOL_VERSION}.`, {
        expected: PROTOCOL_VERSION,
        received: v,
      }),
    }
  }
  if (!isCommandName(command)) {
    return { id, result: fail('unknown_command', `Unknown command "${command.slice(0, 64)}".`) }
  }
  const parsed = safeParseNested(command, params ?? {})
  if (parsed === null) return { id, result: fail('bad_request', `params for ${command}: nested too deeply to be checked.`) }
  if (!parsed.success) {
    const issues = issuesOf(parsed.error)
    return { id, result: fail('bad_request', describeIssues(`params for ${command}`, issues), { issues }) }
  }
  return { id, result: ok({ id, command, params: parsed.data }) }
}

/**
 * The command's params schema over `params`, or null when the value is nested too deeply to
 * check: zod walks a JSON value (a script's input, a firing's payload) recursively, so a value
 * JSON.parse took, thousands of levels deep, overflows the stack; parseRequest answers with
 * a value whatever it is given.
 */
function safeParseNested(command: CommandName, params: unknown): ReturnType<(typeof COMMANDS)[CommandName]['params']['safeParse']> | null {
  try {
    return COMMANDS[command].params.safeParse(params)
  } catch (error) {
    if (error instanceof RangeError) return null
    throw error
  }
}
