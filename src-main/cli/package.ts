import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

interface Manifest {
  name?: string
  version?: string
}

/**
 * The folder holding Taskdeck's package.json, found by walking up from this module: the
 * same answer whether it runs from src-main/cli/ or bundled into out/main/.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (readManifest(dir)?.name === 'taskdeck') return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error('Cannot find the taskdeck package folder.')
    dir = parent
  }
}

export const packageVersion = (): string => readManifest(packageRoot())?.version ?? 'unknown'

function readManifest(dir: string): Manifest | null {
  const path = join(dir, 'package.json')
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Manifest) : null
}
