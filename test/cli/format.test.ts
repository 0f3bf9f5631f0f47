import { describe, expect, it } from 'vitest'
import { CliError, EXIT, fromApiError } from '../../src-main/cli/exit.ts'
import { displayWidth, formatDuration, parseDuration, parseEnv, parseIds, parseInteger, runEndCell, table, tableWidth, truncate } from '../../src-main/cli/format.ts'
import type { Run } from '../../src-shared/model.ts'
import { formatPeriod } from '../../src-shared/period.ts'
import { runEnd } from '../../src-shared/run-end.ts'

const usage = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).exitCode).toBe(EXIT.usage)
    return (error as CliError).message
  }
  throw new Error('expected a usage error')
}

describe('CLI argument parsing and formatting', () => {
  it('reads durations with units, compound ones, and bare seconds', () => {
    expect(parseDuration('1500ms', 't')).toBe(1500)
    expect(parseDuration('30s', 't')).toBe(30_000)
    expect(parseDuration('1h30m', 't')).toBe(5_400_000)
    expect(parseDuration('2', 't')).toBe(2000)
    expect(parseDuration('0.5', 't')).toBe(500)
    expect(usage(() => parseDuration('soon', '--timeout'))).toContain('--timeout: "soon" is not a duration')
    expect(usage(() => parseDuration('5m garbage', '--delay'))).toContain('--delay')
    expect(usage(() => parseDuration('0s', '--delay'))).toContain('positive')
  })

  it('shows a trigger period (formatPeriod, shared with the UI) in a form the CLI reads back', () => {
    for (const ms of [300, 45_000, 90 * 60_000, 26 * 3_600_000 + 1500, 7 * 86_400_000]) expect(parseDuration(formatPeriod(ms), 't')).toBe(ms)
    expect(formatPeriod(300)).toBe('300ms')
  })

  it('reads ids from separate and comma-separated arguments, refusing anything else', () => {
    expect(parseIds(['3', '4,5', '6,'])).toEqual([3, 4, 5, 6])
    expect(usage(() => parseIds(['x']))).toContain('"x"')
    // An id has no upper bound worth naming: not "from 1 to 9007199254740991".
    expect(usage(() => parseIds(['0']))).toBe('task id: "0" is not a whole number of 1 or more.')
    expect(usage(() => parseInteger('99', '--priority', -10, 10))).toBe('--priority: "99" is not a whole number from -10 to 10.')
    expect(usage(() => parseInteger('1.5', '--priority', -10, 10))).toContain('--priority')
  })

  it('measures and cuts text by the columns a terminal draws (Hangul and CJK take two), for a table that fits', () => {
    expect(displayWidth('make test')).toBe(9)
    expect(displayWidth('빌드 작업')).toBe(9)
    expect(truncate('make test', 9)).toBe('make test')
    expect(truncate('make test', 8)).toBe('make te…')
    expect(truncate('빌드 작업', 8)).toBe('빌드 작…')
    expect(truncate('빌드 작업', 7)).toBe('빌드 …')
    expect(truncate('anything', Number.POSITIVE_INFINITY)).toBe('anything')
    expect(tableWidth(['ID', 'STATUS'], [['12', 'running']])).toBe(2 + 2 + 7)
    expect(tableWidth(['ID'], [['빌드']])).toBe(4)
  })

  it('reads KEY=VALUE pairs; the value may contain "="', () => {
    expect(parseEnv(['A=1', 'B=x=y', 'C='])).toEqual({ A: '1', B: 'x=y', C: '' })
    expect(usage(() => parseEnv(['=1']))).toContain('KEY=VALUE')
    expect(usage(() => parseEnv(['NOVALUE']))).toContain('KEY=VALUE')
  })

  it('formats durations and aligns table columns', () => {
    expect(formatDuration(null)).toBe('')
    expect(formatDuration(12)).toBe('12ms')
    expect(formatDuration(1500)).toBe('1.5s')
    expect(formatDuration(75_000)).toBe('1m15s')
    expect(formatDuration(3_723_000)).toBe('1h02m')
    // eslint-disable-next-line no-control-regex -- headers may be bold when colour is forced
    const plain = table(['ID', 'NAME'], [['1', 'a'], ['100', 'b']]).replace(/\u001b\[[0-9;]*m/g, '')
    expect(plain.split('\n')).toEqual(['ID   NAME', '1    a', '100  b'])
  })
})

describe('refusals from a server older than the CLI', () => {
  const unknown = (path: string) => ({
    code: 'bad_request' as const,
    message: `Invalid params for task.list: ${path}: unknown field`,
    details: { issues: [{ path, message: 'unknown field' }] },
  })

  it('say to restart it when it does not know a field or command this CLI sends (a daemon started before an update)', () => {
    // What a server from before task.list's `newest` answers `taskdeck status`.
    const skew = fromApiError(unknown('newest'), { newest: true })
    expect(skew.exitCode).toBe(EXIT.unreachable)
    expect(skew.message).toBe(
      'Invalid params for task.list: newest: unknown field. The running Taskdeck is older than this taskdeck command: restart it (`taskdeck stop`, then `taskdeck daemon`, or quit and reopen the app).',
    )
    expect(fromApiError({ code: 'unknown_command', message: 'Unknown command "task.new".' }).message).toContain('The running Taskdeck is older than this taskdeck command')
  })

  it('leave an unknown field in an imported document to the file', () => {
    const file = fromApiError({ code: 'bad_request', message: 'Invalid params for data.import: document.tasks.0.colour: unknown field', details: { issues: [{ path: 'document.tasks.0.colour', message: 'unknown field' }] } })
    expect(file.exitCode).toBe(EXIT.usage)
    expect(file.message).not.toContain('older')
  })
})

describe('not_found refusals', () => {
  it('are phrased from the structured issues: no params name on a command line, whichever connection carried them', () => {
    const missing = { code: 'not_found' as const, message: 'triggerId: trigger 9 does not exist', details: { issues: [{ path: 'triggerId', message: 'trigger 9 does not exist' }] } }
    expect(fromApiError(missing).message).toBe('Trigger 9 does not exist.')
    expect(fromApiError(missing, { triggerId: 9 }).exitCode).toBe(EXIT.failed)
    // Without issues, the message as the server wrote it.
    expect(fromApiError({ code: 'not_found', message: 'There is no task 99.', details: { taskId: 99 } }).message).toBe('There is no task 99.')
  })
})

describe('how a run ended, in the status table (the window says the same: src-shared/run-end.ts)', () => {
  const run = (patch: Partial<Run>): Run => ({
    id: 1, taskId: 1, attempt: 1, status: 'succeeded', startedAt: 0, finishedAt: 1, durationMs: 1, exitCode: null, signal: null,
    reason: null, pid: null, worker: 'local', result: null, logLines: 0, logBytes: 0, droppedBytes: 0, ...patch,
  })

  it('gives a process its exit code or signal, and a script or HTTP batch no made-up exit code', () => {
    expect(runEndCell('shell', run({ exitCode: 0 }))).toBe('0')
    expect(runEndCell('shell', run({ status: 'failed', exitCode: 3 }))).toBe('3')
    expect(runEndCell('shell', run({ status: 'cancelled', signal: 'SIGTERM' }))).toBe('SIGTERM')
    expect(runEndCell('script', run({ exitCode: 0 }))).toBe('returned')
    expect(runEndCell('http', run({ exitCode: 0 }))).toBe('all requests done')
    expect(runEndCell('script', run({ status: 'failed' }))).toBe('—')
    expect(runEndCell('shell', run({ status: 'running', finishedAt: null }))).toBe('')
    expect(runEndCell('shell', null)).toBe('')
  })

  it('is the same data the window words', () => {
    expect(runEnd('shell', run({ status: 'failed', exitCode: 3 }))).toEqual({ kind: 'exit', code: 3 })
    expect(runEnd('script', run({ exitCode: 0 }))).toEqual({ kind: 'returned' })
    expect(runEnd('http', run({ status: 'failed' }))).toBeNull()
    expect(runEnd('shell', run({ status: 'paused', finishedAt: null }))).toBeNull()
  })
})
