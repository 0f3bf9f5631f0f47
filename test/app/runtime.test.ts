import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { otherOwner, type TaskdeckRuntime } from '../../src-main/app/runtime.ts'
import { COMMANDS } from '../../src-shared/index.ts'
import { useTempHome } from '../support/engine.ts'
import { RUNTIME_OPENERS } from '../support/runtime.ts'

// The desktop runtime for real: engine, triggers and the local API on a temp home.
const dir = useTempHome()
let runtime: TaskdeckRuntime | null = null
let stranger: ChildProcess | null = null

afterEach(async () => {
  await runtime?.close()
  runtime = null
  stranger?.kill()
  stranger = null
})

// The same behaviour in this thread (taskdeck serve) and in a worker thread (the desktop app).
describe.each(RUNTIME_OPENERS)('the composition root (desktop app and taskdeck serve), %s', (_where, openRuntime) => {
  it('serves engine and trigger commands on one API, and the local server for the CLI', async () => {
    runtime = await openRuntime({ home: dir.home, rendererDir: join(dir.home, 'no-renderer') })
    expect(await runtime.api.handlers['task.list']({ limit: 10, offset: 0 })).toEqual({ tasks: [], total: 0 })
    const saved = await runtime.api.handlers['savedTask.create']?.(COMMANDS['savedTask.create'].params.parse({ name: 'build', definition: { spec: { kind: 'shell', command: 'true' } } }))
    expect(saved?.savedTask.name).toBe('build')
    // The remote-worker commands are served too (no Redis bound: no workers, no bindings).
    expect(await runtime.api.handlers['worker.list']?.({})).toEqual({ workers: [] })
    expect(await runtime.api.handlers['group.listRemote']?.({})).toEqual({ bindings: [] })
    expect(existsSync(join(dir.home, 'api.json'))).toBe(true)
    const response = await fetch(new URL('/api/nothing-here', runtime.server.url))
    expect(response.status).toBeGreaterThanOrEqual(400)
  })

  it('lists shortcut triggers for the desktop to register, and runs one when pressed', async () => {
    runtime = await openRuntime({ home: dir.home, rendererDir: join(dir.home, 'no-renderer') })
    const changes: unknown[] = []
    const watching = runtime.onDidChangeShortcuts((bindings) => changes.push(bindings))
    const saved = await runtime.api.handlers['savedTask.create']?.(COMMANDS['savedTask.create'].params.parse({ name: 'build', definition: { spec: { kind: 'shell', command: 'true' } } }))
    await runtime.api.handlers['trigger.create']?.(
      COMMANDS['trigger.create'].params.parse({ trigger: { name: 'build key', savedTaskId: saved?.savedTask.id, spec: { kind: 'shortcut', accelerator: 'Super+B' } } }),
    )
    expect(runtime.shortcutBindings()).toMatchObject([{ accelerator: 'Super+B', name: 'build key' }])
    expect(changes.length).toBeGreaterThan(0)
    expect(runtime.pressShortcut('Super+B')).toBe(true)
    expect(runtime.pressShortcut('Super+Q')).toBe(false)
    const api = runtime.api
    await vi.waitFor(async () => expect((await api.handlers['task.list']({ limit: 10, offset: 0 })).tasks.map((t) => t.definition.spec)).toMatchObject([{ kind: 'shell', command: 'true', env: { TASKDECK_FIRED_BY: 'shortcut' } }]))
    watching.dispose()
  })

  it('refuses a data directory another live process serves, naming it', async () => {
    stranger = spawn('sleep', ['30'])
    const pid = stranger.pid ?? 0
    writeFileSync(join(dir.home, 'api.json'), JSON.stringify({ url: 'http://127.0.0.1:4999/', port: 4999, token: 'x'.repeat(43), pid, startedAt: Date.now() }))
    expect(await otherOwner(dir.home)).toEqual({ pid, url: 'http://127.0.0.1:4999/' })
    await expect(openRuntime({ home: dir.home, rendererDir: dir.home })).rejects.toThrow(`Taskdeck already runs for ${dir.home} (process ${pid}, http://127.0.0.1:4999/).`)
    expect(existsSync(join(dir.home, 'taskdeck.db'))).toBe(false)
  })

  it('takes over a data directory whose server is gone', async () => {
    writeFileSync(join(dir.home, 'api.json'), JSON.stringify({ url: 'http://127.0.0.1:4999/', port: 4999, token: 'x'.repeat(43), pid: 2 ** 22 + 17, startedAt: Date.now() }))
    expect(await otherOwner(dir.home)).toBeNull()
    runtime = await openRuntime({ home: dir.home, rendererDir: dir.home })
    await runtime.close()
    runtime = null
    expect(existsSync(join(dir.home, 'api.json'))).toBe(false)
  })
})
