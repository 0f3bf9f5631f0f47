import { watch } from 'chokidar'
import { existsSync } from 'node:fs'
import { matchesGlob, sep } from 'node:path'
import { Observable } from 'rxjs'
import type { FileWatchSpec } from '../../src-shared/index.ts'

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
 * Every changed path under the spec's paths, as it happens. `onReady` is called once the
 * initial scan is done (changes before that are not reported). Unsubscribing closes the
 * watcher; `onClosed` receives the promise of that close so an owner can await it.
 */
export function fileChanges$(spec: FileWatchSpec, hooks: { onReady(): void; onClosed(closing: Promise<void>): void }): Observable<string> {
  return new Observable<string>((subscriber) => {
    const targets = spec.paths.map(watchTarget)
    const wanted = new Set<string>(spec.events)
    const watcher = watch(
      targets.map((t) => t.base),
      { ignoreInitial: true, atomic: true },
    )
    watcher.on('all', (event, path) => {
      if (wanted.has(event) && targets.some((t) => t.matches(path))) subscriber.next(path)
    })
    watcher.on('ready', () => hooks.onReady())
    watcher.on('error', (error) => {
      hooks.onReady()
      subscriber.error(error)
    })
    return () => hooks.onClosed(watcher.close())
  })
}
