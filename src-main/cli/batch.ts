import { parse } from 'shell-quote'
import { usageError } from './exit.ts'

/**
 * `taskdeck add --batch`: one command per line of standard input. A line is either a JSON
 * array of strings (the argv, exactly) or words split as a POSIX shell would split them
 * (quotes and backslashes), by shell-quote. No shell runs, so what a shell would do beyond
 * splitting (variables, globs, pipes, redirections) is refused with the line's number
 * rather than passed on literally; `--batch shell` runs each line through the shell instead.
 * Blank lines and lines starting with # are skipped.
 */

/** A command and the line it came from (for messages). */
export type BatchLine = { line: number; command: string | string[] }

export function parseBatch(text: string, mode: 'argv' | 'shell'): BatchLine[] {
  const commands: BatchLine[] = []
  const lines = text.split(/\r?\n/)
  lines.forEach((raw, index) => {
    const line = index + 1
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#')) return
    if (mode === 'shell') commands.push({ line, command: trimmed })
    else commands.push({ line, command: trimmed.startsWith('[') ? jsonArgv(trimmed, line) : shellWords(trimmed, line) })
  })
  return commands
}

function jsonArgv(text: string, line: number): string[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw usageError(`--batch line ${line}: not valid JSON (${(error as Error).message}).`)
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((word) => typeof word === 'string')) {
    throw usageError(`--batch line ${line}: a JSON line must be a non-empty array of strings, like ["convert", "a b.png", "a.jpg"].`)
  }
  return value
}

/** A variable, marked so that it is refused instead of silently expanding to nothing. */
interface Variable {
  variable: string
}

function shellWords(text: string, line: number): string[] {
  const entries = parse<Variable>(text, (name): Variable => ({ variable: name }))
  const words: string[] = []
  for (const entry of entries) {
    if (typeof entry === 'string') words.push(entry)
    else if ('variable' in entry) throw refused(line, `$${entry.variable}`, 'variables are not expanded')
    else if ('comment' in entry) break
    else if (entry.op === 'glob') throw refused(line, entry.pattern, 'globs are not expanded (quote it to pass it as is)')
    else throw refused(line, entry.op, 'shell operators need a shell')
  }
  if (words.length === 0) throw usageError(`--batch line ${line}: no command.`)
  return words
}

const refused = (line: number, what: string, why: string) =>
  usageError(`--batch line ${line}: ${what}: ${why}, because no shell runs. Use \`--batch shell\` to run each line through the shell, or write the line as a JSON array.`)
