import { usageError } from './exit.ts'

/**
 * The most standard input a command reads: the API's message limit (LIMITS.messageBytes,
 * kept equal by test/cli/stdin.test.ts; the contract is not imported so the CLI bundle does
 * not load zod), since nothing read from stdin can be sent in a larger one.
 */
export const STDIN_MAX_BYTES = 4 * 1024 * 1024
/**
 * For `add --batch`: more than one message holds, so a batch somewhat too large is still read
 * whole and refused with how many of its first lines fit (`split -l N`); past this, reading stops.
 */
export const BATCH_STDIN_MAX_BYTES = 16 * STDIN_MAX_BYTES
/** For a password or secret read from stdin. */
export const SECRET_STDIN_MAX_BYTES = 64 * 1024

/**
 * All of standard input, as text, refused once it passes `maxBytes` (`yes | taskdeck add
 * --batch` stops there instead of filling memory). Read through process.stdin rather than
 * readFileSync(0): once process.stdin exists, fd 0 is non-blocking, and readFileSync(0) then
 * throws EAGAIN as soon as a pipe is empty for a moment (a producer that pauses: `(echo a;
 * sleep 1; echo b) | taskdeck add --batch`). The ES build and the sources create
 * process.stdin at load (commander imports node:process, whose facade evaluates it); the
 * CommonJS bundle does not, so there it is created only here, by the commands that read
 * stdin (see bundle.ts).
 */
export async function readStdin(what: string, maxBytes = STDIN_MAX_BYTES): Promise<string> {
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of process.stdin) {
    bytes += (chunk as Buffer).length
    if (bytes > maxBytes) throw usageError(`${what}: standard input is larger than ${maxBytes} bytes, the most Taskdeck reads from it. Nothing was done.`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}
