import { mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export interface ResolveHomeOptions {
  /** The `--home` command-line flag, when given. */
  flag?: string
  env?: NodeJS.ProcessEnv
  platform?: NodeJS.Platform
}

/**
 * The one data directory (database, logs, token): `--home`, else TASKDECK_HOME, else the
 * OS's app-data folder. Created private (0700) because it holds the API token and job output.
 */
export function resolveHome({ flag, env = process.env, platform = process.platform }: ResolveHomeOptions = {}): string {
  const chosen = flag || env.TASKDECK_HOME || defaultHome(env, platform)
  const home = resolve(chosen)
  mkdirSync(home, { recursive: true, mode: 0o700 })
  return home
}

function defaultHome(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  const user = env.HOME || homedir()
  if (platform === 'darwin') return join(user, 'Library', 'Application Support', 'Taskdeck')
  if (platform === 'win32') return join(env.APPDATA || join(user, 'AppData', 'Roaming'), 'Taskdeck')
  return join(env.XDG_DATA_HOME || join(user, '.local', 'share'), 'taskdeck')
}
