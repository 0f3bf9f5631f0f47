import { closeSync, fchmodSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs'
import * as fs from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/**
 * Atomic, durable replacement of a small file the app reads back (PEERS A3 #5): the new
 * content goes to a temp file beside the target (created exclusively, mode set with fchmod so
 * the umask cannot widen or narrow it), is fsynced, renamed over the target, and then the
 * directory is fsynced so the rename itself survives a power loss. A crash at any point
 * leaves the old content or the new, never a mix; a failed write removes its temp file and
 * leaves the old content.
 *
 * Hand-written rather than `write-file-atomic`: that package fsyncs the file but not the
 * directory, and it would be one more dependency in the CLI bundle for ~40 lines.
 */
export interface AtomicWriteOptions {
  /** The file's permission bits (default 0o600: what the app writes is private unless said otherwise). */
  mode?: number
}

let temps = 0
/** Unique within this process by the counter and across processes by the pid; opened with 'wx', so a clash fails instead of sharing a file. (No node:crypto: the CLI loads this.) */
const tempPath = (target: string): string => join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.${++temps}.tmp`)

/** A temp file `tempPath` made: `.<target>.<pid>.<ms>.<n>.tmp`; group 1 is the writer's pid. */
const TEMP_NAME = /^\..+\.(\d+)\.\d+\.\d+\.tmp$/

/**
 * Removes the temp files of writes a crash cut short in `dir` (only ours, by `tempPath`'s name
 * pattern, and only of writers no longer running: a live process's may be a write under way).
 * The engine sweeps its data folder and logs folder when it opens. Returns the names removed.
 */
export function sweepStrayTemps(dir: string, running: (pid: number) => boolean = processRuns): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of names) {
    const match = TEMP_NAME.exec(name)
    if (match === null || running(Number(match[1]))) continue
    rmSync(join(dir, name), { force: true })
    removed.push(name)
  }
  return removed
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Directories cannot be opened for fsync on Windows (EPERM/EISDIR): there the rename is as durable as NTFS makes it. */
const directorySyncUnsupported = (error: unknown): boolean =>
  process.platform === 'win32' || ['EPERM', 'EISDIR', 'EINVAL', 'EACCES'].includes((error as NodeJS.ErrnoException).code ?? '')

function syncDirectory(dir: string): void {
  let fd: number
  try {
    fd = openSync(dir, 'r')
  } catch (error) {
    if (directorySyncUnsupported(error)) return
    throw error
  }
  try {
    fsyncSync(fd)
  } catch (error) {
    if (!directorySyncUnsupported(error)) throw error
  } finally {
    closeSync(fd)
  }
}

export function writeFileAtomicSync(target: string, content: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const temp = tempPath(target)
  const fd = openSync(temp, 'wx', options.mode ?? 0o600)
  try {
    try {
      fchmodSync(fd, options.mode ?? 0o600)
      const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
      let written = 0
      while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temp, target)
  } catch (error) {
    rmSync(temp, { force: true })
    throw error
  }
  syncDirectory(dirname(target))
}

export async function writeFileAtomic(target: string, content: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = tempPath(target)
  const handle = await fs.open(temp, 'wx', options.mode ?? 0o600)
  try {
    try {
      await handle.chmod(options.mode ?? 0o600)
      await handle.writeFile(content)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await fs.rename(temp, target)
  } catch (error) {
    await fs.rm(temp, { force: true })
    throw error
  }
  await syncDirectoryAsync(dirname(target))
}

async function syncDirectoryAsync(dir: string): Promise<void> {
  let handle: fs.FileHandle
  try {
    handle = await fs.open(dir, 'r')
  } catch (error) {
    if (directorySyncUnsupported(error)) return
    throw error
  }
  try {
    await handle.sync()
  } catch (error) {
    if (!directorySyncUnsupported(error)) throw error
  } finally {
    await handle.close()
  }
}
