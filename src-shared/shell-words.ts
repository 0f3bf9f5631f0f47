/**
 * Shows an argv the way a POSIX shell user would type it back, so a task's name reads as
 * what runs: `echo 'a | b'` (one argument), not `echo a | b` (which reads as a pipe).
 * Hand-written: a dozen lines, and src-shared may not import Node's or a library's quoting.
 */

// Letters, digits and marks of any script (Hangul, accents) and punctuation no shell treats specially need no quotes.
const PLAIN_WORD = /^[\p{L}\p{N}\p{M}_@%+=:,./-]+$/u

/** One word as a shell user types it: untouched when plain, else single-quoted with `'` written as `'\''`. */
export function shellQuote(word: string): string {
  if (PLAIN_WORD.test(word)) return word
  return `'${word.replaceAll("'", "'\\''")}'`
}

/** A command line for an argv: `['echo', 'a | b', '']` → `echo 'a | b' ''`. */
export function shellCommandLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ')
}
