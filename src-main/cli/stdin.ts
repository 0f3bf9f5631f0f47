/**
 * All of standard input, as text. Read through process.stdin rather than readFileSync(0):
 * once process.stdin exists, fd 0 is non-blocking, and readFileSync(0) then throws EAGAIN as
 * soon as a pipe is empty for a moment (a producer that pauses: `(echo a; sleep 1; echo b) |
 * taskdeck add --batch`). The ES build and the sources create process.stdin at load (commander
 * imports node:process, whose facade evaluates it); the CommonJS bundle does not, so there
 * it is created only here, by the commands that read stdin (see bundle.ts).
 */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
