import { isAbsolute } from 'node:path'

/**
 * Why a path in a task's spec (a shell task's cwd, a script's file, an HTTP batch's saveDir)
 * cannot be taken, when it is not absolute, or null. A relative path would be read from the
 * engine's working directory (`/` for the desktop app, wherever the daemon was started), not
 * the caller's, so it is refused with what to write instead. The CLI makes its own paths
 * absolute before sending them.
 */
export function relativePathProblem(path: string): string | null {
  if (isAbsolute(path)) return null
  // "~/project" is a shell's way of writing it, but no shell reads these fields.
  if (path === '~' || path.startsWith('~/')) return `${path}: ~ is not expanded here; give the full path (/home/you/…)`
  return `${path} is a relative path; give the full path (it would be read from the engine's working directory, not yours)`
}
