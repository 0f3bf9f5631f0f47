import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isFinished, type Task } from '../../src-shared/index.ts'
import { callServer, freePort, requireBuiltUi, serve, tempHome, until } from './harness.ts'

/**
 * The engine as built (out/main), which `npm run serve`, an installed `taskdeck serve` and the
 * desktop app run: the bundler moves modules into shared chunks (out/main/chunks/), so what a
 * module finds beside itself in the sources may not be beside it in the build.
 */
describe('the built engine', () => {
  it('runs a script task in its worker thread (script-worker.js is found from a shared chunk)', async () => {
    requireBuiltUi()
    const temp = await tempHome()
    const { home } = temp
    const script = join(home, 'double.mjs')
    await writeFile(script, 'export default (input) => input.n * 2\n')
    const served = await serve(home, await freePort(), { fromSource: false })
    try {
      const { task } = await callServer<{ task: Task }>(home, served, 'task.submit', {
        definition: { name: 'double', spec: { kind: 'script', path: script, input: { n: 21 } } },
      })
      let done: Task = task
      await until(async () => {
        done = (await callServer<{ task: Task }>(home, served, 'task.get', { taskId: task.id })).task
        return isFinished(done.status)
      }, 'the script task to finish')
      expect(done.status, JSON.stringify(done.reason)).toBe('succeeded')
    } finally {
      await served.stop()
      await temp.remove()
    }
  })
})
