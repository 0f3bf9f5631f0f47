import { describe, expect, it } from 'vitest'
import { parseBatch } from '../../src-main/cli/batch.ts'
import { idRanges } from '../../src-main/cli/commands/tasks.ts'
import { CliError, EXIT } from '../../src-main/cli/exit.ts'

const refusal = (text: string): string => {
  try {
    parseBatch(text, 'argv')
  } catch (error) {
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).exitCode).toBe(EXIT.usage)
    return (error as CliError).message
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`)
}

describe('add --batch line parsing', () => {
  it('splits words as a shell would, without running one', () => {
    expect(parseBatch(`convert "a b.png" 'c d.jpg' e\\ f "it's"`, 'argv')).toEqual([{ line: 1, command: ['convert', 'a b.png', 'c d.jpg', 'e f', "it's"] }])
    // Quoted, the characters a shell would act on are plain text.
    expect(parseBatch(`echo '$HOME' "*" '|'`, 'argv')[0]?.command).toEqual(['echo', '$HOME', '*', '|'])
  })

  it('takes a JSON array line as the exact argv', () => {
    expect(parseBatch('["a", "b c", "$HOME", "*"]', 'argv')).toEqual([{ line: 1, command: ['a', 'b c', '$HOME', '*'] }])
  })

  it('skips blank and comment lines, keeps line numbers, drops trailing comments', () => {
    expect(parseBatch('\n# header\r\ntrue\n  \necho hi # note\n', 'argv')).toEqual([
      { line: 3, command: ['true'] },
      { line: 5, command: ['echo', 'hi'] },
    ])
  })

  it('refuses what needs a shell, naming the line and the offending part', () => {
    expect(refusal('true\nls *.txt')).toMatch(/^--batch line 2: \*\.txt: globs are not expanded/)
    expect(refusal('echo "x$USER"')).toMatch(/^--batch line 1: \$USER: variables are not expanded/)
    expect(refusal('a && b')).toMatch(/^--batch line 1: &&: shell operators need a shell/)
    expect(refusal('sort < in')).toContain('<: shell operators')
    expect(refusal('[1, 2]')).toContain('a JSON line must be a non-empty array of strings')
    expect(refusal('[]')).toContain('non-empty array')
    expect(refusal('["unclosed"')).toContain('not valid JSON')
  })

  it('passes each line whole to the shell in shell mode', () => {
    expect(parseBatch('make && make test | tee log\n# skipped\n', 'shell')).toEqual([{ line: 1, command: 'make && make test | tee log' }])
  })

  it('prints ids as ranges', () => {
    expect(idRanges([3, 4, 5, 6, 7, 9, 11, 12])).toBe('3-7, 9, 11-12')
    expect(idRanges([1])).toBe('1')
    expect(idRanges([])).toBe('')
  })
})
