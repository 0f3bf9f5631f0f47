import { writeFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '../../src-main/engine/engine.ts'
import { createServer, type TaskdeckServer } from '../../src-main/server/server.ts'
import { COMMANDS, type Run, type Task } from '../../src-shared/index.ts'
import { tempHome } from '../support/engine.ts'
import { runCli } from './helpers.ts'

/** The status table's EXIT column for runs that have no process exit code (a script, an HTTP batch), as the desktop window shows them. */
describe('taskdeck status: how each kind of run ended', () => {
  const dir = tempHome()
  const home = join(dir.home, 'home')
  let engine: Engine
  let server: TaskdeckServer
  let site: Server
  const cli = (...args: string[]) => runCli(home, args, { cwd: dir.home })

  beforeAll(async () => {
    engine = await Engine.open({ home, statsIntervalMs: 0, killGraceMs: 500 })
    server = await createServer({ engine, home })
    site = createHttpServer((_req, res) => res.end('ok'))
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => site.close(() => resolve()))
    await server.close()
    await engine.close()
    dir.cleanup()
  })

  it('says how to add a task when there is none, and that none matches when filters found none', async () => {
    const empty = await cli('status')
    expect(empty.code, empty.stderr).toBe(0)
    expect(empty.stdout).toBe("No tasks. Add one with `taskdeck add -- CMD ARGS…` (or `taskdeck add --shell 'CMD | CMD'`).\n")
    expect((await cli('status', '--label', 'nowhere')).stdout).toBe('No tasks match.\n')
  })

  it('shows a shell exit code, "returned" for a script, "all requests done" for an HTTP batch and "—" for a failed one; --json keeps the run as it is', async () => {
    const returns = join(dir.home, 'returns.mjs')
    writeFileSync(returns, 'export default async () => ({ answer: 42 })\n')
    const throws = join(dir.home, 'throws.mjs')
    writeFileSync(throws, "export default async () => { throw new Error('no') }\n")
    const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`
    const specs = [
      { name: 'shell-three', spec: { kind: 'shell', command: ['sh', '-c', 'exit 3'] } },
      { name: 'script-ok', spec: { kind: 'script', path: returns } },
      { name: 'script-throws', spec: { kind: 'script', path: throws } },
      { name: 'http-ok', spec: { kind: 'http', requests: [{ url }] } },
    ]
    const ids: number[] = []
    for (const definition of specs) ids.push((await engine.handlers['task.submit'](COMMANDS['task.submit'].params.parse({ definition }))).task.id)
    await cli('wait', ...ids.map(String))

    const table = await cli('status')
    expect(table.code, table.stderr).toBe(0)
    const [header, ...rows] = table.stdout.split('\n')
    const exitColumn = rows.map((row) => row.slice(header!.indexOf('EXIT'), header!.indexOf('TIME')).trim()).slice(0, ids.length)
    expect(rows.map((row) => row.split(/\s+/)[0]).slice(0, ids.length)).toEqual(ids.map(String))
    expect(exitColumn).toEqual(['3', 'returned', '—', 'all requests done'])

    // --json gives the runs as stored.
    const json = (await cli('status', '--json')).json<{ tasks: (Task & { lastRun: Run | null })[] }>()
    const { lastRuns } = await engine.handlers['task.list'](COMMANDS['task.list'].params.parse({ withLastRuns: true }))
    expect(json.tasks.map((task) => task.lastRun)).toEqual(json.tasks.map((task) => lastRuns?.find((run) => run.taskId === task.id) ?? null))
  })
})
