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

/** The export files the CLI writes, by their `format`, and what each is and reads them. */
const EXPORT_KINDS = {
  'taskdeck-export': { what: 'tasks export (`taskdeck export`)', importedBy: 'taskdeck import' },
  'taskdeck-triggers': { what: 'triggers export (`taskdeck trigger export`)', importedBy: 'taskdeck trigger import' },
} as const

/**
 * Reads a JSON document from FILE ("-": stdin); the server validates its shape whole. A file
 * that is not the `format` expected is refused here by what it is (the other export, or not an
 * export at all) instead of with a screenful of the schema's field errors.
 */
export async function readDocument(file: string, format: keyof typeof EXPORT_KINDS): Promise<unknown> {
  const document = await readJson(file)
  const found = typeof document === 'object' && document !== null && !Array.isArray(document) ? (document as { format?: unknown }).format : undefined
  if (found === format) return document
  const shown = file === '-' ? 'stdin' : file
  const other = Object.entries(EXPORT_KINDS).find(([name]) => name === found)?.[1]
  const message = other
    ? `${shown} is a ${other.what}, not a ${EXPORT_KINDS[format].what}: read it with \`${other.importedBy} ${file}\`.`
    : `${shown} is not a ${EXPORT_KINDS[format].what}: it has no "format": "${format}".`
  throw new CliError(EXIT.usage, 'bad_request', message)
}

async function readJson(file: string): Promise<unknown> {
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
