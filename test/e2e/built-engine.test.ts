import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRuntimeInWorker, runtimeWorkerEntryBeside } from '../../src-main/app/runtime-thread.ts'
import { TaskDefinitionSchema, type EngineEvent, type Run, type Task } from '../../src-shared/index.ts'
import { callServer, freePort, ROOT, serve, tempHome, type Served } from './harness.ts'

// The build, not the sources: what an installed app runs. electron-vite puts code that several
// entries share into out/main/chunks/, so a module that starts a worker thread by file path may
// run from there while the worker's entry is out/main/NAME.js (the script pool's entry was once
// looked for in chunks/ and every script task failed in the build while the sources passed).
// Each kind of task runs here through `taskdeck serve` from out/main/cli.js, and a script task
// through the desktop's runtime worker, out/main/runtime-worker.js.

const MAIN = join(ROOT, 'out/main')
let dir: Awaited<ReturnType<typeof tempHome>>
let files: Server
let filesUrl = ''
let script = ''

beforeAll(async () => {
  if (!existsSync(join(MAIN, 'cli.js'))) throw new Error('The app is not built: run `npx electron-vite build` (npm test does) before the browser tests.')
  dir = await tempHome()
  script = join(dir.home, 'sum.mjs')
  await writeFile(script, 'export default async (input, api) => { console.log("summing", input.length); return input.reduce((a, b) => a + b, 0) }\n')
  files = createServer((request, response) => response.end(`file ${request.url}`)).listen(0, '127.0.0.1')
  await new Promise((ok) => files.once('listening', ok))
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((ok) => files?.close(ok))
  await dir?.remove()
})

const definitions = () => [
  { name: 'shell', spec: { kind: 'shell', command: ['echo', 'from the build'] } },
  { name: 'script', spec: { kind: 'script', path: script, input: [1, 2, 3] } },
  { name: 'http', spec: { kind: 'http', requests: [{ url: `${filesUrl}/a` }, { url: `${filesUrl}/b` }], saveDir: join(dir.home, 'downloads') } },
]

describe('the built engine (out/main)', () => {
  it('`taskdeck serve` from the build runs shell, script and HTTP tasks', async () => {
    const home = join(dir.home, 'serve')
    const served: Served = await serve(home, await freePort(), { built: true })
    try {
      const { tasks } = await callServer<{ tasks: Task[] }>(home, served, 'task.submitMany', { definitions: definitions() })
      const read = () => Promise.all(tasks.map((task) => callServer<{ task: Task; runs: Run[] }>(home, served, 'task.get', { taskId: task.id })))
      let finished = await read()
      for (let i = 0; i < 600 && !finished.every(({ task }) => ['succeeded', 'failed', 'cancelled'].includes(task.status)); i++) {
        await new Promise((ok) => setTimeout(ok, 50))
        finished = await read()
      }
      expect(
        finished.map(({ task }) => [task.name, task.status]),
        JSON.stringify(finished.map(({ runs }) => runs.at(-1)?.reason)),
      ).toEqual([
        ['shell', 'succeeded'],
        ['script', 'succeeded'],
        ['http', 'succeeded'],
      ])
      expect(finished[1]!.runs.at(-1)?.result).toBe(6)
    } finally {
      await served.stop()
    }
  })

  it("the desktop's runtime worker from the build runs a script task", async () => {
    const entry = runtimeWorkerEntryBeside(pathToFileURL(join(MAIN, 'index.js')).href)
    expect(entry.href).toBe(pathToFileURL(join(MAIN, 'runtime-worker.js')).href)
    const home = join(dir.home, 'desktop')
    await mkdir(home)
    const runtime = await openRuntimeInWorker({ workerEntry: entry, home, rendererDir: join(home, 'no-renderer'), machineMonitor: 'none', networkWatch: { source: 'none' } })
    try {
      let finish: (run: Run) => void = () => undefined
      const ended = new Promise<Run>((ok) => (finish = ok))
      const subscription = runtime.api.subscribe(0, (events: readonly EngineEvent[]) => {
        for (const event of events) if (event.type === 'run.finished') finish(event.run)
      })
      await runtime.api.handlers['task.submit']({ definition: TaskDefinitionSchema.parse(definitions()[1]) })
      const run = await ended
      subscription.dispose()
      expect([run.status, run.reason, run.result]).toEqual(['succeeded', null, 6])
    } finally {
      await runtime.close()
    }
  })
})
