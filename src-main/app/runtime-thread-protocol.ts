import { z } from 'zod'
import { ERROR_CODES, EngineEventTypeSchema, TaskdeckError, isCommandName, type CommandName } from '../../src-shared/index.ts'
import type { RuntimeOptions } from './runtime.ts'

/**
 * The messages between the app's main thread and the runtime's worker thread
 * (`openRuntimeInWorker`, runtime-worker.ts). Both sides parse what they receive with these
 * schemas; a message that does not fit is a bug in this process, reported by name rather
 * than half-handled. Commands' params are checked again in the worker against the contract
 * (COMMANDS), as the WebSocket does; results cross as the engine produced them (they are
 * typed by CommandResult and checking every event of a 10,000-event `events.read` on the
 * main thread would cost the very time the thread is there to spare).
 */

/** What the worker is started with (workerData). Everything but `secrets`, which stays on the main thread. */
export type ThreadRuntimeOptions = Omit<RuntimeOptions, 'secrets'>

const commandName = z.string().refine((name): name is CommandName => isCommandName(name), { message: 'not a command of the contract' })

export const WireErrorSchema = z.object({
  name: z.string(),
  message: z.string(),
  code: z.enum(ERROR_CODES).optional(),
  details: z.record(z.string(), z.unknown()).optional(),
  stack: z.string().optional(),
})
export type WireError = z.infer<typeof WireErrorSchema>

const ShortcutBindingSchema = z.object({ accelerator: z.string(), triggerId: z.number(), savedTaskId: z.number(), name: z.string() })

/** How a subscription's events cross: JSON text parsed on arrival, or objects copied by structured clone. */
export const EventsTransportSchema = z.enum(['json', 'clone'])
export type EventsTransport = z.infer<typeof EventsTransportSchema>

/** Main thread → worker. */
export const ToWorkerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('call'), id: z.number().int(), command: commandName, params: z.unknown() }),
  z.object({
    kind: z.literal('subscribe'),
    sub: z.number().int(),
    since: z.number().int().nonnegative(),
    text: z.boolean(),
    transport: EventsTransportSchema,
    /** SubscribeOptions.types: only these event types cross (every type when absent). */
    types: z.array(EngineEventTypeSchema).optional(),
  }),
  z.object({ kind: z.literal('ack'), sub: z.number().int() }),
  z.object({ kind: z.literal('unsubscribe'), sub: z.number().int() }),
  z.object({ kind: z.literal('press'), accelerator: z.string() }),
  z.object({ kind: z.literal('close') }),
])
export type ToWorker = z.infer<typeof ToWorkerSchema>

const ResultSchema = z.union([z.object({ ok: z.literal(true), value: z.unknown() }), z.object({ ok: z.literal(false), error: WireErrorSchema })])

/** Worker → main thread. */
export const FromWorkerSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('ready'),
    server: z.object({ url: z.string(), port: z.number().int(), token: z.string(), browserUrl: z.string() }),
    commands: z.array(commandName),
    shortcuts: z.array(ShortcutBindingSchema),
  }),
  z.object({ kind: z.literal('openFailed'), error: WireErrorSchema }),
  z.object({ kind: z.literal('reply'), id: z.number().int(), result: ResultSchema }),
  /** A batch for one subscription: `json` is the batch as a JSON array, `events` the batch itself, `pages` stored text. */
  z.object({ kind: z.literal('events'), sub: z.number().int(), json: z.string().optional(), events: z.array(z.unknown()).optional(), pages: z.array(z.object({ seq: z.number(), json: z.string() })).optional() }),
  z.object({ kind: z.literal('subscribeFailed'), sub: z.number().int(), error: WireErrorSchema }),
  z.object({ kind: z.literal('shortcuts'), bindings: z.array(ShortcutBindingSchema) }),
  z.object({ kind: z.literal('closed') }),
])
export type FromWorker = z.infer<typeof FromWorkerSchema>

/** The synchronous secret-box questions (the worker waits for the answer: SecretBox is synchronous). */
export const SecretQuestionSchema = z.object({ id: z.number().int(), op: z.enum(['seal', 'open']), text: z.string() })
export type SecretQuestion = z.infer<typeof SecretQuestionSchema>
export const SecretAnswerSchema = z.object({ id: z.number().int(), text: z.string().optional(), error: WireErrorSchema.optional() })
export type SecretAnswer = z.infer<typeof SecretAnswerSchema>

/** Parses a message or throws an error naming the side and what was wrong. */
export function parseMessage<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  const parsed = schema.safeParse(raw)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  throw new Error(`Malformed ${what}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unreadable'}`)
}

/** An error as it crosses the thread: its name, message and, for a TaskdeckError, its code and details. */
export function toWire(error: unknown): WireError {
  if (error instanceof TaskdeckError) {
    return { name: error.name, message: error.message, code: error.code, ...(error.details ? { details: error.details } : {}), ...(error.stack ? { stack: error.stack } : {}) }
  }
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) }
  return { name: 'Error', message: String(error) }
}

/**
 * The error again on this side: a TaskdeckError with its code and details (so ApiSession
 * answers with the same `Result` as in-thread), any other error with its name and message
 * (ApiSession words those as "Internal error: <message>", as in-thread). The worker's stack
 * is kept below this side's.
 */
export function fromWire(wire: WireError): Error {
  const error = wire.code ? new TaskdeckError(wire.code, wire.message, wire.details) : new Error(wire.message)
  if (!wire.code) error.name = wire.name
  if (wire.stack) error.stack = `${error.stack ?? ''}\n    --- in the runtime thread ---\n${wire.stack}`
  return error
}
