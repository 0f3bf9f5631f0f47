import { afterAll, describe, expect, it } from 'vitest'
import { tempHome } from '../support/engine.ts'
import { runCli, startServe, type ServeProcess } from './helpers.ts'

/** `taskdeck add --idempotency-key` against a real `taskdeck serve`, restarted in between. */
describe('taskdeck add --idempotency-key', () => {
  const dir = tempHome()
  const servers: ServeProcess[] = []
  afterAll(async () => {
    for (const serve of servers) await serve.stop()
    dir.cleanup()
  })
  const cli = (...args: string[]) => runCli(dir.home, args)

  it('adds once, then names the existing task (exit 0), across a restart; a different command with the key is refused by name', async () => {
    servers.push(await startServe(dir.home))
    const first = await cli('add', '--stash', '--idempotency-key', 'backup-2026-11-22', '--', 'echo', 'backup')
    expect(first.code).toBe(0)
    const id = Number(/^Task (\d+) added/.exec(first.stdout)?.[1])
    expect(id).toBeGreaterThan(0)

    const again = await cli('add', '--stash', '--idempotency-key', 'backup-2026-11-22', '--', 'echo', 'backup')
    expect(again.code).toBe(0)
    expect(again.stdout).toBe(`Task ${id} already exists for key backup-2026-11-22 (stashed): echo backup\n`)

    await servers.pop()!.stop()
    servers.push(await startServe(dir.home))
    const json = await cli('add', '--stash', '--idempotency-key', 'backup-2026-11-22', '--json', '--', 'echo', 'backup')
    expect(json.code).toBe(0)
    expect(json.json<{ task: { id: number }; duplicate: boolean }>()).toMatchObject({ task: { id }, duplicate: true })
    expect((await cli('add', '-q', '--stash', '--idempotency-key', 'backup-2026-11-22', '--', 'echo', 'backup')).stdout).toBe(`${id}\n`)

    const different = await cli('add', '--stash', '--idempotency-key', 'backup-2026-11-22', '--', 'echo', 'other')
    expect(different.code).not.toBe(0)
    expect(different.stderr).toContain('backup-2026-11-22')
    expect(different.stderr).toContain(`task ${id}`)

    const bad = await cli('add', '--idempotency-key', 'has space', '--', 'true')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--idempotency-key')

    const rows = (await cli('status', '--json')).json<{ tasks: { id: number }[] }>().tasks
    expect(rows.map((row) => row.id)).toEqual([id])
  })
})
