import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { CliError, EXIT } from './exit.ts'
import { readStdin } from './stdin.ts'

/**
 * Writes an exported document as indented JSON: to FILE (readable by the owner only: it
 * describes what runs on this machine), or to stdout when there is none (or it is "-").
 * Answers whether it went to a file.
 */
export async function writeDocument(file: string | undefined, document: unknown): Promise<boolean> {
  const text = `${JSON.stringify(document, null, 2)}\n`
  if (file === undefined || file === '-') {
    process.stdout.write(text)
    return false
  }
  try {
    await writeFile(file, text, { mode: 0o600 })
  } catch (error) {
    throw new CliError(EXIT.usage, 'usage', `Cannot write ${file}: ${(error as Error).message}`)
  }
  return true
}

/** Reads a JSON document from FILE ("-": stdin); the server validates its shape whole. */
export async function readDocument(file: string): Promise<unknown> {
  let text: string
  try {
    text = file === '-' ? await readStdin('the document') : readFileSync(file, 'utf8')
  } catch (error) {
    if (error instanceof CliError) throw error
    throw new CliError(EXIT.usage, 'usage', `Cannot read ${file}: ${(error as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new CliError(EXIT.usage, 'bad_request', `${file} is not valid JSON: ${(error as Error).message}`)
  }
}
