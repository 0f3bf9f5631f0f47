import { watch } from 'chokidar'
import { existsSync } from 'node:fs'
import { matchesGlob, sep } from 'node:path'
import { Observable } from 'rxjs'
import type { FileEvent } from '../../src-shared/file-events.ts'
import type { FileChange, FileWatchSpec } from '../../src-shared/index.ts'

const GLOB_CHARS = /[*?[\]{}]/

/**
 * A watched path: the folder or file chokidar watches (chokidar 4+ no longer expands
 * globs), and whether a changed path belongs to it.
 */
interface WatchTarget {
  base: string
  matches(path: string): boolean
}

function watchTarget(pattern: string): WatchTarget {
  const parts = pattern.split(/[\\/]/)
  const firstGlob = parts.findIndex((part) => GLOB_CHARS.test(part))
  if (firstGlob === -1) {
    return { base: pattern, matches: (path) => path === pattern || path.startsWith(pattern.endsWith(sep) ? pattern : pattern + sep) }
  }
  const base = parts.slice(0, firstGlob).join(sep) || sep
  return { base, matches: (path) => matchesGlob(path, pattern) }
}

/** The first path whose watched folder or file does not exist, for a clear refusal at create time. */
export function missingWatchPath(spec: FileWatchSpec): { index: number; base: string } | null {
  for (const [index, pattern] of spec.paths.entries()) {
    const { base } = watchTarget(pattern)
    if (!existsSync(base)) return { index, base }
  }
  return null
}

/**
 * Every change under the spec's paths of a kind it names (`events`), as it happens: the
 * path and what happened to it. `onReady` is called once the initial scan is done (changes
 * before that are not reported). Unsubscribing closes the watcher; `onClosed` receives the
 * promise of that close so an owner can await it.
 */
export function fileChanges$(spec: FileWatchSpec, hooks: { onReady(): void; onClosed(closing: Promise<void>): void }): Observable<FileChange> {
  return new Observable<FileChange>((subscriber) => {
    const targets = spec.paths.map(watchTarget)
    const wanted = new Set<string>(spec.events)
    const watcher = watch(
      targets.map((t) => t.base),
      { ignoreInitial: true, atomic: true },
    )
    watcher.on('all', (event, path) => {
      if (wanted.has(event) && targets.some((t) => t.matches(path))) subscriber.next({ path, event: event as FileEvent })
    })
    watcher.on('ready', () => hooks.onReady())
    watcher.on('error', (error) => {
      hooks.onReady()
      subscriber.error(error)
    })
    return () => hooks.onClosed(watcher.close())
  })
}

/**
 * One change per path of a burst, in the order the paths first changed: the path's last
 * event, except that a file added and then changed within the burst stays `add` (it is new,
 * with its content). So what the task is told is true of the path now.
 */
export function netChanges(changes: readonly FileChange[]): FileChange[] {
  const byPath = new Map<string, FileEvent>()
  for (const { path, event } of changes) byPath.set(path, byPath.get(path) === 'add' && event === 'change' ? 'add' : event)
  return [...byPath].map(([path, event]) => ({ path, event }))
}
