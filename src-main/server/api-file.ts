import { promises as fs, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../engine/atomic-file.ts'

/**
 * `<home>/api.json` tells local clients (the CLI, scripts) where the running Taskdeck
 * listens and which token it expects. It is readable by its owner only (0600).
 */
export interface ApiInfo {
  url: string
  port: number
  token: string
  pid: number
  startedAt: number
  /** The Unix socket for CLI requests (src-main/server/local-socket.ts), where there is one. */
  socket?: string
  /** API_REVISION of the server; absent from servers before it. */
  apiRevision?: number
}

/**
 * What the API accepts within protocol version 1, for clients that send a field an older
 * server would ignore without a word. A server that writes no revision is revision 1.
 */
export const API_REVISIONS = {
  /** Every command's params are strict (a field the command does not know is refused), so task.list's `newest` and group.set's `create` are obeyed or refused. */
  strictParams: 2,
  /** Groups' machine conditions (group.set's `onlyWhen`, `whenUnmet`) and `machine.get` / `machine.report`. */
  machineConditions: 3,
  /** The `unmetered-network` condition (group.set's `onlyWhen`) and `MachineState.networkMetered` (machine.report's `networkMetered`). */
  networkConditions: 4,
  /** File watches' folder events (`addDir`, `unlinkDir` in a fileWatch spec's `events`) and trigger.create's `savedTask` (the trigger's new saved task, made with it or not at all). */
  triggerAdditions: 5,
  /** task.submit's `idempotencyKey` (and its result's `duplicate`). */
  idempotencyKeys: 6,
  /** Groups' `onFailure` (pause the group when a task fails) and `rate` (at most N starts per window), and `Group.pausedFor`. */
  groupRules: 7,
  /** Task definitions' `limits` (maxMemoryMb, maxCpuSeconds), `Run.usage` and the `run.usage` event. */
  resourceLimits: 8,
  /** System triggers (a `system` spec: wake, sleep, power, screen, network, presence) and machine.report's `online`, `screenLocked`, `event`, `sleptMs`. */
  systemTriggers: 9,
  /** task.submitMany's `idempotencyKeys` (and its result's `duplicates`). */
  submitManyKeys: 10,
  /** settings.set's `expect` (refused with `conflict` when a setting it names has changed since the client read it). */
  settingsExpect: 11,
  /** A shell spec's `tty` (run the command on a pseudo-terminal, through script(1)). */
  tty: 12,
  /** trigger.fire's and savedTask.run's `idempotencyKey` (and their results' `duplicate`). */
  firingKeys: 13,
} as const
/** This server's revision: the newest of API_REVISIONS. */
export const API_REVISION = API_REVISIONS.firingKeys

/**
 * Checked by hand rather than with zod: every CLI call reads this file, and loading zod
 * would double the start-up time of a one-shot command.
 */
function problemWith(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'not an object'
  const info = value as Record<string, unknown>
  if (typeof info.url !== 'string') return 'url must be a string'
  if (!Number.isInteger(info.port) || (info.port as number) < 1 || (info.port as number) > 65535) return 'port must be a TCP port'
  if (typeof info.token !== 'string' || info.token === '') return 'token must be a non-empty string'
  if (!Number.isInteger(info.pid) || (info.pid as number) < 1) return 'pid must be a process id'
  if (typeof info.startedAt !== 'number') return 'startedAt must be a number'
  if (info.socket !== undefined && (typeof info.socket !== 'string' || info.socket === '')) return 'socket must be a path'
  if (info.apiRevision !== undefined && !Number.isInteger(info.apiRevision)) return 'apiRevision must be an integer'
  return null
}

export const API_FILE_NAME = 'api.json'
export const apiFilePath = (home: string): string => join(home, API_FILE_NAME)

/** Written to a private temp file, flushed, then renamed (and the directory flushed): readers never see half a file. */
export async function writeApiFile(home: string, info: ApiInfo): Promise<void> {
  await writeFileAtomic(apiFilePath(home), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 })
}

export type ApiFileRead = { kind: 'found'; info: ApiInfo } | { kind: 'missing' } | { kind: 'invalid'; message: string }

/**
 * Read synchronously (it is a few hundred bytes): fs/promises would be one more module for
 * every CLI call to load, and `node:fs` loads it only when its `promises` is first used.
 */
export function readApiFileSync(home: string): ApiFileRead {
  let text: string
  try {
    text = readFileSync(apiFilePath(home), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' }
    return { kind: 'invalid', message: `${apiFilePath(home)} cannot be read: ${(error as Error).message}` }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { kind: 'invalid', message: `${apiFilePath(home)} is not valid JSON` }
  }
  const problem = problemWith(value)
  if (problem !== null) return { kind: 'invalid', message: `${apiFilePath(home)} is not a Taskdeck API file: ${problem}` }
  const { url, port, token, pid, startedAt, socket, apiRevision } = value as ApiInfo
  return { kind: 'found', info: { url, port, token, pid, startedAt, ...(socket === undefined ? {} : { socket }), ...(apiRevision === undefined ? {} : { apiRevision }) } }
}

export const readApiFile = (home: string): Promise<ApiFileRead> => Promise.resolve(readApiFileSync(home))

/** Removes the file only if it still describes this server (another one may have replaced it). */
export async function removeApiFileIfOurs(home: string, token: string): Promise<void> {
  const current = await readApiFile(home)
  if (current.kind === 'found' && current.info.token === token) await fs.rm(apiFilePath(home), { force: true })
}

/**
 * `<home>/api-port`: the port the last server of this home listened on. A restarted server
 * takes it again when it is free, so that what holds its URL keeps working: a webhook's
 * URL given to another service, an open browser tab, a printed link.
 */
export const LAST_PORT_FILE_NAME = 'api-port'

export function readLastPort(home: string): number | null {
  try {
    const port = Number(readFileSync(join(home, LAST_PORT_FILE_NAME), 'utf8').trim())
    return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : null
  } catch {
    return null
  }
}

export async function writeLastPort(home: string, port: number): Promise<void> {
  await writeFileAtomic(join(home, LAST_PORT_FILE_NAME), `${port}\n`, { mode: 0o600 })
}
