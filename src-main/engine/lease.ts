import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { TaskdeckError } from '../../src-shared/index.ts'
import { writeFileAtomicSync } from './atomic-file.ts'
import { bootId, procStat, processStartTicks } from './runners/process-groups.ts'

/** The file whose SQLite lock is the lease: never read or written, only locked. */
export const LEASE_LOCK_FILE = 'taskdeck.lock'
/** Who holds the lease, written by the holder once it has it; removed by a clean close. */
export const LEASE_HOLDER_FILE = 'taskdeck.lock.json'

/** The engine process that holds (or last held) a data folder's lease. */
export interface LeaseHolder {
  pid: number
  /** When it took the lease (ms since the epoch). */
  startedAt: number
  /** Its kernel start time (Linux, /proc/PID/stat field 22) and boot, to tell it from a later process given the same pid. */
  startTicks: string | null
  bootId: string | null
  /** Its command line, shortened: what to look for in a process list. */
  command: string
}

/** How long a refused opener waits for the holder to say who it is (it writes that right after taking the lock). */
const HOLDER_WAIT_MS = 1000
const HOLDER_POLL_MS = 50
const SQLITE_BUSY = 5

/**
 * The lease on a data folder: one engine at a time. It is an exclusive SQLite lock on
 * `taskdeck.lock` (BEGIN EXCLUSIVE on a connection kept open), so the kernel arbitrates two
 * openers racing (POSIX advisory locks; LockFileEx on Windows) and lets go of it however the
 * holder ends (SIGKILL, crash, power loss): no stale lock to break, no heartbeat, and a pid
 * reused after a reboot holds nothing. The database itself is not locked: the engine's writer
 * thread, readers (the CLI's tests, the benchmarks, `sqlite3`) and backups go on as before.
 *
 * `taskdeck.lock.json` says who holds it, for the refusal's message, and, found at open,
 * that the previous engine did not close cleanly (a clean close removes it).
 */
export class DataFolderLease {
  /** The holder that did not close cleanly before this one (its file was still there), or null. */
  readonly previous: LeaseHolder | null
  readonly #db: DatabaseSync
  readonly #holderPath: string
  #released = false

  private constructor(db: DatabaseSync, holderPath: string, previous: LeaseHolder | null) {
    this.#db = db
    this.#holderPath = holderPath
    this.previous = previous
  }

  /** Takes the lease on `home`, or refuses with a `conflict` naming the engine that holds it. */
  static async acquire(home: string, now: () => number = Date.now): Promise<DataFolderLease> {
    const holderPath = join(home, LEASE_HOLDER_FILE)
    const db = new DatabaseSync(join(home, LEASE_LOCK_FILE))
    try {
      db.exec('PRAGMA busy_timeout = 0')
      db.exec('BEGIN EXCLUSIVE')
    } catch (error) {
      db.close()
      if ((error as { errcode?: number }).errcode !== SQLITE_BUSY) throw error
      throw inUse(home, await liveHolder(holderPath))
    }
    try {
      const previous = readHolder(holderPath)
      const me: LeaseHolder = {
        pid: process.pid,
        startedAt: now(),
        startTicks: processStartTicks(process.pid),
        bootId: bootId(),
        command: process.argv.join(' ').slice(0, 300),
      }
      writeFileAtomicSync(holderPath, `${JSON.stringify(me)}\n`)
      return new DataFolderLease(db, holderPath, previous)
    } catch (error) {
      db.close()
      throw error
    }
  }

  /**
   * Lets go of the lease. `clean`: the engine closed cleanly (its holder file goes, so the next
   * open is not taken for one after a crash); otherwise what was there before stays, as it was
   * (an open that failed) or naming this process (a close that could not finish its writes).
   */
  release(clean: boolean, restorePrevious = false): void {
    if (this.#released) return
    this.#released = true
    try {
      if (clean) rmSync(this.#holderPath, { force: true })
      else if (restorePrevious) {
        if (this.previous === null) rmSync(this.#holderPath, { force: true })
        else writeFileAtomicSync(this.#holderPath, `${JSON.stringify(this.previous)}\n`)
      }
    } finally {
      // Closing the connection ends its transaction: the lock is gone.
      this.#db.close()
    }
  }
}

function readHolder(path: string): LeaseHolder | null {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<LeaseHolder>
    if (typeof value.pid !== 'number' || typeof value.startedAt !== 'number') return null
    return {
      pid: value.pid,
      startedAt: value.startedAt,
      startTicks: typeof value.startTicks === 'string' ? value.startTicks : null,
      bootId: typeof value.bootId === 'string' ? value.bootId : null,
      command: typeof value.command === 'string' ? value.command : '',
    }
  } catch {
    return null
  }
}

/** Whether the very process a holder file names still runs (not another one given its pid since). */
export function holderRunning(holder: LeaseHolder): boolean {
  if (holder.bootId !== null && bootId() !== null && holder.bootId !== bootId()) return false
  if (holder.startTicks !== null && processStartTicks(process.pid) !== null) {
    const stat = procStat(holder.pid)
    return stat !== null && stat[0] !== 'Z' && stat[19] === holder.startTicks
  }
  try {
    process.kill(holder.pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The holder of a lease found taken: the file may still name the last one for a moment, until the new holder writes it. */
async function liveHolder(path: string): Promise<LeaseHolder | null> {
  for (let waited = 0; ; waited += HOLDER_POLL_MS) {
    const holder = readHolder(path)
    if (holder !== null && holderRunning(holder)) return holder
    if (waited >= HOLDER_WAIT_MS) return null
    await new Promise((resolve) => setTimeout(resolve, HOLDER_POLL_MS))
  }
}

function inUse(home: string, holder: LeaseHolder | null): TaskdeckError {
  const stop = `Stop it first (quit the Taskdeck app, or run "taskdeck stop --home ${home}" for a \`taskdeck serve\` or daemon${holder ? `, or end process ${holder.pid}` : ''}), or use another data folder (--home).`
  if (holder === null) {
    return new TaskdeckError('conflict', `The data folder ${home} is in use by another Taskdeck engine, which has not said yet who it is. ${stop}`, { home, holder: null })
  }
  const who = holder.pid === process.pid ? 'this very process (another engine opened on it and not closed)' : `process ${holder.pid}${holder.command ? ` (${holder.command})` : ''}`
  return new TaskdeckError(
    'conflict',
    `The data folder ${home} is in use by another Taskdeck engine: ${who}, started ${new Date(holder.startedAt).toISOString()}. ${stop}`,
    { home, holder: { pid: holder.pid, startedAt: holder.startedAt, command: holder.command } },
  )
}
