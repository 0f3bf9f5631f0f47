import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveHome } from '../../src-main/engine/home.ts'
import { Engine } from '../../src-main/engine/engine.ts'
import { useTempHome } from '../support/engine.ts'

const dir = useTempHome()

describe('the data directory', () => {
  it('prefers --home, then TASKDECK_HOME, then the OS app-data folder, and creates it private', () => {
    const flag = join(dir.home, 'flag')
    const env = join(dir.home, 'env')
    expect(resolveHome({ flag, env: { TASKDECK_HOME: env } })).toBe(flag)
    expect(statSync(flag).mode & 0o777).toBe(0o700)
    expect(resolveHome({ env: { TASKDECK_HOME: env } })).toBe(env)
    expect(resolveHome({ env: { HOME: dir.home, XDG_DATA_HOME: join(dir.home, 'xdg') }, platform: 'linux' })).toBe(join(dir.home, 'xdg', 'taskdeck'))
    expect(resolveHome({ env: { HOME: dir.home }, platform: 'linux' })).toBe(join(dir.home, '.local', 'share', 'taskdeck'))
    expect(resolveHome({ env: { HOME: dir.home }, platform: 'darwin' })).toBe(join(dir.home, 'Library', 'Application Support', 'Taskdeck'))
    expect(resolveHome({ env: { HOME: dir.home, APPDATA: join(dir.home, 'Roaming') }, platform: 'win32' })).toBe(join(dir.home, 'Roaming', 'Taskdeck'))
  })

  it('refuses a damaged database with a clear error instead of starting empty', async () => {
    writeFileSync(join(dir.home, 'taskdeck.db'), Buffer.alloc(8192, 0x5a))
    const error = await Engine.open({ home: dir.home, statsIntervalMs: 0 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'database_damaged' })
    expect((error as Error).message).toMatch(/taskdeck\.db is damaged .*will not start with an empty one/)
    expect(statSync(join(dir.home, 'taskdeck.db')).size).toBe(8192)
  })
})
