import type { z } from 'zod'

/** Stable error codes. Clients branch on the code; the message is for people. */
export const ERROR_CODES = [
  'bad_request', // the message or its params failed schema validation
  'unknown_command',
  'protocol_mismatch',
  'unauthorized',
  'not_found',
  'conflict', // the target exists but its state forbids the operation
  'too_large',
  'database_damaged',
  'internal',
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

/**
 * `details.reason` of an `unknown_command` for a command of the contract that the answering
 * process does not serve (it runs without the extension behind it). Without it, the server
 * does not know the command at all: it is older than the client.
 */
export const NOT_SERVED = 'not_served'

/** A field-level problem: `path` is the dotted location in the params ("definition.spec.cwd"). */
export interface FieldIssue {
  path: string
  message: string
}

export interface ApiError {
  code: ErrorCode
  message: string
  details?: { issues?: FieldIssue[]; [key: string]: unknown }
}

/** Results cross every process boundary as values, never as thrown exceptions. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError }

export const ok = <T>(value: T): Result<T> => ({ ok: true, value })
export const fail = (code: ErrorCode, message: string, details?: ApiError['details']): Result<never> => ({
  ok: false,
  error: details ? { code, message, details } : { code, message },
})

/** An error the engine throws internally; the API layer turns it into a `Result`. */
export class TaskdeckError extends Error {
  readonly code: ErrorCode
  readonly details: ApiError['details']
  constructor(code: ErrorCode, message: string, details?: ApiError['details']) {
    super(message)
    this.name = 'TaskdeckError'
    this.code = code
    this.details = details
  }
}

/** One issue per wrong field; a key a strict schema does not know is named by its own path ("definition.timeout: unknown field"). */
export function issuesOf(error: z.ZodError): FieldIssue[] {
  const dotted = (path: readonly PropertyKey[]) => path.map(String).join('.') || '(root)'
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: dotted([...issue.path, key]), message: 'unknown field' }))
      : [{ path: dotted(issue.path), message: issue.message }],
  )
}

/** One readable sentence naming every field that was wrong. */
export function describeIssues(what: string, issues: FieldIssue[]): string {
  const parts = issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`)
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : ''
  return `Invalid ${what}: ${parts.join('; ')}${more}`
}
