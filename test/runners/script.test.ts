import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TaskdeckError } from '../../src-shared/index.ts'
import type { ScriptSpec } from '../../src-shared/index.ts'
import { createScriptRunner, defaultScriptWorkerEntry } from '../../src-main/engine/runners/script.ts'
import type { ScriptRunner } from '../../src-main/engine/runners/script.ts'
import { tempHome } from '../support/engine.ts'
import { recordingContext } from './helpers.ts'
import { failureSentence } from '../support/end-reasons.ts'

const scriptWorkerEntry = defaultScriptWorkerEntry()

const SCRIPTS: Record<string, string> = {
  'double.mjs': `
    import { threadId } from 'node:worker_threads'
    export default async (input, api) => {
      for (let i = 1; i <= 5; i++) api.progress(i, 5, 'step ' + i)
      api.log('logged', { n: input.n })
      console.log('via console')
      console.error('to stderr')
      process.stdout.write('written directly\\n')
      return { doubled: input.n * 2, threadId }
    }`,
  'throws.mjs': `export default () => { throw new Error('boom at step 3') }`,
  'spin.mjs': `
    export default (input, api) => {
      api.progress(0, null, 'spinning ' + input)
      for (;;) {}
    }`,
  'cooperative.mjs': `
    export default (input, api) => new Promise((resolve) => {
      api.progress(0, null, 'waiting')
      api.signal.addEventListener('abort', () => resolve('cleaned up'))
    })`,
  'not-a-function.mjs': `export default 42`,
  'bigint.mjs': `export default () => 10n`,
  'exits.mjs': `export default () => { process.exit(3) }`,
  'commonjs.cjs': `module.exports = (input) => 'cjs ' + input`,
  'typed.ts': `export default (input: { a: number }): number => input.a + 1`,
  'sync-steps.mjs': `
    export default (n, api) => {
      api.progress(1, 3, 'first')
      api.progress(2, 3, 'second')
      console.log('line ' + n)
      return n * 2
    }`,
  'late-signal.mjs': `
    import { existsSync } from 'node:fs'
    export default async (release, api) => {
      console.log('waiting')
      while (!existsSync(release)) await new Promise((resolve) => setTimeout(resolve, 5))
      // The first look at api.signal comes after the cancel: it must already be aborted, or become so.
      while (!api.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 5))
      console.log('saw abort')
    }`,
}

let runner: ScriptRunner
let dir: ReturnType<typeof tempHome>
const script = (name: string, input?: ScriptSpec['input']): ScriptSpec => ({
  kind: 'script',
  path: join(dir.home, name),
  ...(input !== undefined ? { input } : {}),
})

beforeAll(async () => {
  dir = tempHome()
  for (const [name, source] of Object.entries(SCRIPTS)) await writeFile(join(dir.home, name), source)
  runner = createScriptRunner({ workerEntry: scriptWorkerEntry, poolSize: 2, abortGraceMs: 100 })
})
afterAll(async () => {
  await runner.close()
  dir.cleanup()
})

describe('script runner', () => {
  it('runs the default export in a worker thread with input, progress, log and a result', async () => {
    const context = recordingContext()
    const outcome = await runner.start(script('double.mjs', { n: 21 }), context).done

    expect(failureSentence(outcome)).toBeNull()
    const result = outcome.result as { doubled: number; threadId: number }
    expect(result.doubled).toBe(42)
    // threadId 0 is the main thread: the work ran elsewhere.
    expect(result.threadId).toBeGreaterThan(0)
    expect(context.text('stdout')).toBe('logged { n: 21 }\nvia console\nwritten directly\n')
    expect(context.text('stderr')).toBe('to stderr\n')
    expect(context.progressUpdates.at(0)).toEqual({ done: 1, total: 5, message: 'step 1' })
    expect(context.progressUpdates.at(-1)).toEqual({ done: 5, total: 5, message: 'step 5' })
  })

  it('fails with the error message and puts the stack in stderr when the script throws', async () => {
    const context = recordingContext()
    const outcome = await runner.start(script('throws.mjs'), context).done
    expect(failureSentence(outcome)).toBe('boom at step 3')
    expect(context.text('stderr')).toMatch(/^Error: boom at step 3\n\s+at .*throws\.mjs/)
  })

  it('terminates a script stuck in a loop on cancel, and the pool replaces its worker', async () => {
    const context = recordingContext()
    const run = runner.start(script('spin.mjs', 'a'), context)
    await context.waitForProgress((p) => p.message === 'spinning a')
    context.controller.abort()
    expect(failureSentence((await run.done))).toBe('stopped before the script finished')

    const after = await runner.start(script('double.mjs', { n: 1 }), recordingContext()).done
    expect(after.result).toMatchObject({ doubled: 2 })
  })

  it('lets a script that watches api.signal end on its own when cancelled', async () => {
    const context = recordingContext()
    const run = runner.start(script('cooperative.mjs'), context)
    await context.waitForProgress((p) => p.message === 'waiting')
    context.controller.abort()
    expect(failureSentence((await run.done))).toBe('stopped before the script finished')
  })

  it('runs at most poolSize scripts at once; the next starts when a worker frees up', async () => {
    const contexts = ['x', 'y', 'z'].map(() => recordingContext())
    const runs = ['x', 'y', 'z'].map((tag, i) => runner.start(script('spin.mjs', tag), contexts[i]!))
    await contexts[0]!.waitForProgress(() => true)
    await contexts[1]!.waitForProgress(() => true)
    expect(contexts[2]!.progressUpdates).toEqual([])

    contexts[0]!.controller.abort()
    await contexts[2]!.waitForProgress((p) => p.message === 'spinning z')
    contexts[1]!.controller.abort()
    contexts[2]!.controller.abort()
    for (const run of runs) expect(failureSentence((await run.done))).toBe('stopped before the script finished')
  })

  it('runs many more scripts than workers, each waiting for a worker to finish its last one', async () => {
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, n) => runner.start(script('double.mjs', { n }), recordingContext()).done))
    expect(outcomes.map((o) => (o.result as { doubled: number }).doubled)).toEqual(Array.from({ length: 12 }, (_, n) => n * 2))
    expect(new Set(outcomes.map((o) => (o.result as { threadId: number }).threadId)).size).toBeLessThanOrEqual(2)
  })

  it('reports output, the last throttled progress and the result of scripts that return at once, each with its own run', async () => {
    const contexts = Array.from({ length: 20 }, () => recordingContext())
    const outcomes = await Promise.all(contexts.map((context, n) => runner.start(script('sync-steps.mjs', n), context).done))
    expect(outcomes.map((o) => o.result)).toEqual(contexts.map((_, n) => n * 2))
    contexts.forEach((context, n) => {
      expect(context.text('stdout')).toBe(`line ${n}\n`)
      // The second update was throttled: it arrives with the result, after the first.
      expect(context.progressUpdates.at(-1)).toEqual({ done: 2, total: 3, message: 'second' })
      expect(context.progressUpdates.length).toBeLessThanOrEqual(2)
    })
  })

  it('gives a script that first reads api.signal after a cancel an aborted signal', async () => {
    const patient = createScriptRunner({ workerEntry: scriptWorkerEntry, poolSize: 1, abortGraceMs: 60_000 })
    try {
      const release = join(dir.home, 'release-late-signal')
      const context = recordingContext()
      const run = patient.start(script('late-signal.mjs', release), context)
      await context.waitForOutput(/waiting/)
      context.controller.abort()
      await writeFile(release, '')
      expect(failureSentence((await run.done))).toBe('stopped before the script finished')
      expect(context.text('stdout')).toBe('waiting\nsaw abort\n')
    } finally {
      await patient.close()
    }
  })

  it('cancels a run still waiting for a worker without starting it', async () => {
    const busy = [recordingContext(), recordingContext()]
    const busyRuns = busy.map((context) => runner.start(script('spin.mjs', 'busy'), context))
    for (const context of busy) await context.waitForProgress(() => true)

    const waiting = recordingContext()
    const waitingRun = runner.start(script('double.mjs', { n: 1 }), waiting)
    waiting.controller.abort()
    expect(failureSentence((await waitingRun.done))).toBe('stopped before the script finished')
    expect(waiting.text()).toBe('')
    for (const context of busy) context.controller.abort()
    await Promise.all(busyRuns.map((run) => run.done))
  })

  it('explains a module without a default function, a result that is not JSON, and process.exit', async () => {
    const notFunction = await runner.start(script('not-a-function.mjs'), recordingContext()).done
    expect(failureSentence(notFunction)).toBe(`${join(dir.home, 'not-a-function.mjs')} has no default export function; write: export default (input, api) => result`)

    const bigint = await runner.start(script('bigint.mjs'), recordingContext()).done
    expect(failureSentence(bigint)).toMatch(/^the script's result cannot be stored as JSON: .*BigInt/)

    const exits = await runner.start(script('exits.mjs'), recordingContext()).done
    expect(failureSentence(exits)).toBe("the script's worker exited with code 3")
    // The pool recovers from a worker that exited.
    expect((await runner.start(script('double.mjs', { n: 2 }), recordingContext()).done).result).toMatchObject({ doubled: 4 })
  })

  it('runs CommonJS and TypeScript modules', async () => {
    expect((await runner.start(script('commonjs.cjs', 'ok'), recordingContext()).done).result).toBe('cjs ok')
    expect((await runner.start(script('typed.ts', { a: 1 }), recordingContext()).done).result).toBe(2)
  })

  it('reloads a script that was edited between runs', async () => {
    const path = join(dir.home, 'edited.mjs')
    await writeFile(path, 'export default () => "first"')
    expect((await runner.start(script('edited.mjs'), recordingContext()).done).result).toBe('first')
    await writeFile(path, 'export default () => "second version"')
    expect((await runner.start(script('edited.mjs'), recordingContext()).done).result).toBe('second version')
  })

  it('refuses at submit a path that does not exist or is not a file, naming the field', async () => {
    const missing = join(dir.home, 'missing.mjs')
    const refusal = runner.check!(script('missing.mjs'))
    await expect(refusal).rejects.toBeInstanceOf(TaskdeckError)
    await expect(refusal).rejects.toMatchObject({
      code: 'bad_request',
      message: `definition.spec.path: ${missing} does not exist`,
      details: { issues: [{ path: 'definition.spec.path', message: `${missing} does not exist` }] },
    })
    const folder = join(dir.home, 'folder')
    await mkdir(folder)
    await expect(runner.check!(script('folder'))).rejects.toThrow(`definition.spec.path: ${folder} is not a file`)
    await expect(runner.check!(script('double.mjs'))).resolves.toBeUndefined()
    // A relative path would be read from the engine's directory: refused, even where such a file exists there.
    await expect(runner.check!({ kind: 'script', path: 'package.json' })).rejects.toThrow(
      "definition.spec.path: package.json is a relative path; give the full path (it would be read from the engine's working directory, not yours)",
    )
  })

  it('ends a script that runs out of memory with its worker, not the process', async () => {
    const small = createScriptRunner({ workerEntry: scriptWorkerEntry, poolSize: 1, maxHeapMb: 32 })
    try {
      const path = join(dir.home, 'hog.mjs')
      await writeFile(path, 'export default () => { const keep = []; for (;;) keep.push(new Array(100000).fill(Math.random())) }')
      const outcome = await small.start({ kind: 'script', path }, recordingContext()).done
      expect(failureSentence(outcome)).toMatch(/^the script crashed its worker: .*memory limit/)
      expect((await small.start(script('double.mjs', { n: 3 }), recordingContext()).done).result).toMatchObject({ doubled: 6 })
    } finally {
      await small.close()
    }
  })

  it('stops running scripts when the runner closes', async () => {
    const own = createScriptRunner({ workerEntry: scriptWorkerEntry, poolSize: 1 })
    const context = recordingContext()
    const run = own.start(script('spin.mjs', 'closing'), context)
    await context.waitForProgress(() => true)
    await own.close()
    expect(failureSentence((await run.done))).toBe('stopped before the script finished')
    expect(failureSentence((await own.start(script('double.mjs', { n: 1 }), recordingContext()).done))).toBe('the script runner is closed')
  })

  it('fails every run clearly when the worker entry cannot load', async () => {
    const broken = createScriptRunner({ workerEntry: new URL('file:///nonexistent/script-worker.js'), poolSize: 1 })
    try {
      const outcome = await broken.start(script('double.mjs', { n: 1 }), recordingContext()).done
      expect(failureSentence(outcome)).toMatch(/^the script crashed its worker: Cannot find module/)
    } finally {
      await broken.close()
    }
  })
})
