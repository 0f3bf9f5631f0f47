import { NOT_SERVED, type ApiError, type ErrorCode } from '../../src-shared/errors.ts'

/** Exit codes, documented in `taskdeck --help` and docs/api.md. */
export const EXIT = {
  ok: 0,
  /** The thing asked failed: a refused command (not found, conflict), a failed task in `wait`. */
  failed: 1,
  /** The command line or the input was wrong (bad option, invalid definition, malformed import file). */
  usage: 2,
  /** No Taskdeck is reachable for this home (not running, stale api.json, wrong token, other protocol). */
  unreachable: 3,
  /** Stopped by Ctrl+C. */
  interrupted: 130,
} as const

/** A failure the CLI reports on stderr and turns into its exit code. */
export class CliError extends Error {
  readonly exitCode: number
  readonly code: string
  readonly details: ApiError['details']
  constructor(exitCode: number, code: string, message: string, details?: ApiError['details']) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
    this.code = code
    this.details = details
  }
}

export const usageError = (message: string): CliError => new CliError(EXIT.usage, 'usage', message)

const EXIT_FOR_CODE: Readonly<Record<ErrorCode, number>> = {
  bad_request: EXIT.usage,
  // From an older server, EXIT.unreachable (fromOlderServer); else not served by this process.
  unknown_command: EXIT.failed,
  protocol_mismatch: EXIT.unreachable,
  unauthorized: EXIT.unreachable,
  not_found: EXIT.failed,
  conflict: EXIT.failed,
  too_large: EXIT.usage,
  database_damaged: EXIT.failed,
  internal: EXIT.failed,
}

/** Which command-line option set each params field (by path prefix): `{ 'trigger.spec.cron': '--cron' }`. */
export type OptionNames = Readonly<Record<string, string>>

/**
 * The server's refusal as a CliError. Where every refused field came from a known option, the
 * message names the options ("--cron "61 * * * *": invalid …") instead of the API's params paths.
 */
export function fromApiError(error: ApiError, params?: unknown, options?: OptionNames): CliError {
  const issues = error.details?.issues
  if (fromOlderServer(error)) return new CliError(EXIT.unreachable, error.code, `${sentence(error.message)} ${OLDER_SERVER}`, error.details)
  if (error.code === 'unknown_command') {
    return new CliError(EXIT.failed, error.code, `${sentence(error.message)} The running Taskdeck was started without the part that serves it; restarting it will not change that.`, error.details)
  }
  const named = options && error.code === 'bad_request' && issues?.length ? issues.map((issue) => optionIssue(issue.path, issue.message, params, options)) : []
  const message =
    named.length > 0 && named.every((text) => text !== null)
      ? sentence(named.join('; '))
      : error.code === 'not_found' && issues?.length
        ? // "triggerId: trigger 9 does not exist" reads "Trigger 9 does not exist." on a command line, where no one typed "triggerId".
          sentence(issues.map((issue, index) => (index === 0 ? `${issue.message.charAt(0).toUpperCase()}${issue.message.slice(1)}` : issue.message)).join('; '))
        : error.message
  return new CliError(EXIT_FOR_CODE[error.code], error.code, message, error.details)
}

/** What to do when the running Taskdeck is older than this taskdeck command. */
export const OLDER_SERVER = 'The running Taskdeck is older than this taskdeck command: restart it (`taskdeck stop`, then `taskdeck daemon`, or quit and reopen the app).'

const sentence = (text: string): string => text.replace(/(?<![.!?])$/, '.')

/**
 * The CLI sends only commands and fields it knows, so a server that does not know one runs an
 * older Taskdeck (an app or daemon started before an update). A command it knows but does not
 * serve (details.reason NOT_SERVED) is not that. Only an import's document comes from the user
 * as it is, and an unknown field there is the file's problem.
 */
function fromOlderServer(error: ApiError): boolean {
  if (error.code === 'unknown_command') return error.details?.reason !== NOT_SERVED
  const issues = error.details?.issues ?? []
  return (
    error.code === 'bad_request' &&
    issues.length > 0 &&
    issues.every((issue) => issue.message === 'unknown field' && issue.path !== 'document' && !issue.path.startsWith('document.'))
  )
}

/** An issue at `path` worded by the option behind it (`--group "x": …`); null when no option of `options` set that field. */
export function optionIssue(path: string, message: string, params: unknown, options: OptionNames): string | null {
  const field = Object.keys(options).find((prefix) => path === prefix || path.startsWith(`${prefix}.`))
  if (field === undefined) return null
  const value = path.split('.').reduce<unknown>((at, key) => (typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined), params)
  const shown = typeof value === 'string' && value !== '' && !message.includes(`"${value}"`) ? ` "${value}"` : ''
  return `${options[field]}${shown}: ${message}`
}
