/**
 * All of standard input, as text. Read through process.stdin rather than readFileSync(0):
 * a pipe that its writer's side left non-blocking (a parent that is itself a Node process
 * does) makes readFileSync(0) throw EAGAIN as soon as it has drained what was written so far.
 * process.stdin is created only here, by the commands that read it (see bundle.ts).
 */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
