import { randomBytes } from 'node:crypto'
import { open, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'

/**
 * `<home>/api.json` tells local clients (the CLI, scripts) where the running Taskdeck
 * listens and which token it expects. It is readable by its owner only (0600).
 */
export const ApiInfoSchema = z.object({
  url: z.string(),
  port: z.number().int().min(1).max(65535),
  token: z.string().min(1),
  pid: z.number().int().positive(),
  startedAt: z.number(),
})
export type ApiInfo = z.infer<typeof ApiInfoSchema>

export const API_FILE_NAME = 'api.json'
export const apiFilePath = (home: string): string => join(home, API_FILE_NAME)

/** Written to a private temp file, flushed, then renamed: readers never see half a file. */
export async function writeApiFile(home: string, info: ApiInfo): Promise<void> {
  const target = apiFilePath(home)
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await open(temp, 'wx', 0o600)
  try {
    await handle.writeFile(`${JSON.stringify(info, null, 2)}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(temp, target)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

export type ApiFileRead = { kind: 'found'; info: ApiInfo } | { kind: 'missing' } | { kind: 'invalid'; message: string }

export async function readApiFile(home: string): Promise<ApiFileRead> {
  let text: string
  try {
    text = await readFile(apiFilePath(home), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' }
    return { kind: 'invalid', message: `${apiFilePath(home)} cannot be read: ${(error as Error).message}` }
  }
  try {
    const parsed = ApiInfoSchema.safeParse(JSON.parse(text))
    if (parsed.success) return { kind: 'found', info: parsed.data }
    return { kind: 'invalid', message: `${apiFilePath(home)} is not a Taskdeck API file: ${parsed.error.issues[0]?.message ?? 'bad shape'}` }
  } catch {
    return { kind: 'invalid', message: `${apiFilePath(home)} is not valid JSON` }
  }
}

/** Removes the file only if it still describes this server (another one may have replaced it). */
export async function removeApiFileIfOurs(home: string, token: string): Promise<void> {
  const current = await readApiFile(home)
  if (current.kind === 'found' && current.info.token === token) await rm(apiFilePath(home), { force: true })
}
