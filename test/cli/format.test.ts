import { describe, expect, it } from 'vitest'
import { CliError, EXIT } from '../../src-main/cli/exit.ts'
import { formatDuration, parseDuration, parseEnv, parseIds, parseInteger, table } from '../../src-main/cli/format.ts'

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

  it('reads ids from separate and comma-separated arguments, refusing anything else', () => {
    expect(parseIds(['3', '4,5', '6,'])).toEqual([3, 4, 5, 6])
    expect(usage(() => parseIds(['x']))).toContain('"x"')
    expect(usage(() => parseIds(['0']))).toContain('1 to')
    expect(usage(() => parseInteger('1.5', '--priority', -10, 10))).toContain('--priority')
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
