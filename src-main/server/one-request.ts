import { AUTH_COMMAND, fail, response, type ServerMessage } from '../../src-shared/index.ts'
import { ApiSession } from '../api/session.ts'
import type { EngineApi } from '../engine/api.ts'

/** Commands that only mean something on a connection that lives on: refused where a session answers one request. */
const CONNECTION_COMMANDS: ReadonlySet<unknown> = new Set(['events.subscribe', 'output.watch', AUTH_COMMAND])

/**
 * Answers one already-parsed request envelope through a throw-away ApiSession, as HTTP POST and
 * the local socket do: validated, dispatched, refused as a value. `instead` tells the caller what
 * to use for the connection-only commands on this transport.
 */
export async function answerOneRequest(engine: EngineApi, raw: unknown, instead: string): Promise<ServerMessage> {
  const request = typeof raw === 'object' && raw !== null ? (raw as { command?: unknown; id?: unknown }) : {}
  const id = typeof request.id === 'number' ? request.id : -1
  if (CONNECTION_COMMANDS.has(request.command)) {
    return response(id, fail('bad_request', `${String(request.command)} needs a live connection: ${instead}`))
  }
  let reply: ServerMessage | null = null
  const session = new ApiSession(engine, (message) => {
    if (message.kind === 'response') reply = message
  })
  try {
    await session.handle(raw)
  } finally {
    session.dispose()
  }
  return reply ?? response(id, fail('internal', 'The command produced no response.'))
}
