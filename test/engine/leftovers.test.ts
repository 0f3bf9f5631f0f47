import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { waitFor } from './helpers.ts'
import { useTempHome } from '../support/engine.ts'

const dir = useTempHome()
/** Beyond the largest pid Linux gives (2^22): a writer that cannot be running. */
const GONE_PID = 2 ** 22 + 17

describe('leftovers of writes and downloads a crash or a failure cut short', () => {
  it('sweeps the temp files of atomic writes whose writer is gone, in the data folder and its logs, when the engine opens; nothing else', async () => {
    mkdirSync(join(dir.home, 'logs'), { recursive: true })
    const stray = [`.api.json.${GONE_PID}.1763860000000.1.tmp`, `.api-token.${GONE_PID}.1763860000000.2.tmp`]
    const strayLog = `.7.parts.json.${GONE_PID}.1763860000000.3.tmp`
    // A live writer's temp may be a write under way; files not named as ours are not ours.
    const kept = [`.api.json.${process.pid}.1763860000000.4.tmp`, 'notes.tmp', '.api.json.tmp', `api.json.${GONE_PID}.1.1.tmp`]
    for (const name of [...stray, ...kept]) writeFileSync(join(dir.home, name), 'x')
    writeFileSync(join(dir.home, 'logs', strayLog), 'x')
    await dir.open()
    const names = readdirSync(dir.home)
    for (const name of stray) expect(names).not.toContain(name)
    for (const name of kept) expect(names).toContain(name)
    expect(readdirSync(join(dir.home, 'logs'))).not.toContain(strayLog)
  })

  it('removes an HTTP batch task\'s partial downloads when its last attempt fails for good (not while a retry follows), and its journal when it is removed', async () => {
    const save = dir.anotherHome()
    // What earlier runs of tasks 1 and 2 left: partial files, their state and its temp, and the journal of saved files.
    const keptBy = (task: number) => [`.taskdeck-${task}-0123456789abcdef.part`, `.taskdeck-${task}-0123456789abcdef.part.json`, `.taskdeck-${task}-0123456789abcdef.part.json.4242.tmp`]
    const journal = (task: number) => `.taskdeck-${task}.done.jsonl`
    const others = ['.taskdeck-12-0123456789abcdef.part', 'saved.bin']
    for (const name of [...keptBy(1), ...keptBy(2), journal(1), journal(2), ...others]) writeFileSync(join(save, name), 'x')
    const t = await dir.open()
    // Nothing listens on port 9 of this machine: each request fails at once.
    const spec = { kind: 'http' as const, requests: [{ url: 'http://127.0.0.1:9/file.bin' }], saveDir: save, retriesPerRequest: 0 }
    const retried = await t.submit({ spec, retry: { maxAttempts: 2, backoffMs: 3_600_000 } })
    expect(retried.id).toBe(1)
    await t.until(retried.id, ['waiting'])
    const failing = await t.submit({ spec })
    expect(failing.id).toBe(2)
    await t.until(failing.id, ['failed'])
    await waitFor(() => keptBy(2).every((name) => !existsSync(join(save, name))), 'task 2\'s partial downloads to be removed')
    // Its journal stays: a manual retry keeps the files it saved instead of fetching them again.
    expect(existsSync(join(save, journal(2)))).toBe(true)
    // Task 1 waits for its next attempt, which continues them.
    for (const name of [...keptBy(1), journal(1)]) expect(existsSync(join(save, name))).toBe(true)

    await t.engine.handlers['task.clean']({ taskIds: [failing.id] })
    await waitFor(() => !existsSync(join(save, journal(2))), 'task 2\'s journal to be removed with it')
    await t.engine.handlers['task.cancel']({ taskIds: [retried.id] })
    await t.engine.handlers['task.clean']({ taskIds: [retried.id] })
    await waitFor(() => [...keptBy(1), journal(1)].every((name) => !existsSync(join(save, name))), 'task 1\'s files to be removed with it')
    expect(readdirSync(save).sort()).toEqual(others.sort())
  })
})
