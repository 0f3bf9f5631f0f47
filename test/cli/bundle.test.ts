import { mkdtempSync, rmSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleCli } from '../../src-main/cli/bundle.ts'
import { cliEnv, collect, useServe } from './helpers.ts'

/**
 * The CommonJS bundle that built installs run for client commands (bin/taskdeck.js), built
 * here into a folder of its own under out/ (so that it finds package.json and node_modules
 * as the real one does) and run against a real `taskdeck serve`.
 */
describe('the CLI bundle (out/cli/taskdeck.cjs)', () => {
  const root = resolve(import.meta.dirname, '..', '..')
  const bundleDir = mkdtempSync(join(root, 'out', '.cli-bundle-test-'))
  const { home, work } = useServe()

  /** Runs the bundle's main(argv) in a fresh Node; prints the built-in modules it loaded on fd 3. */
  const runBundle = (args: readonly string[], input?: string) => {
    const script = `require(${JSON.stringify(join(bundleDir, 'taskdeck.cjs'))}).main(process.argv.slice(1)).then(() => require('node:fs').writeSync(3, JSON.stringify(process.moduleLoadList)))`
    const child = spawn(process.execPath, ['-e', script, '--', ...args], { cwd: work, env: cliEnv(home), stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })
    let loaded = ''
    child.stdio[3]?.on('data', (chunk: Buffer) => (loaded += chunk.toString('utf8')))
    return collect(child, input).then((result) => ({ ...result, loaded: () => JSON.parse(loaded) as string[] }))
  }

  beforeAll(async () => {
    await bundleCli(bundleDir)
  })
  afterAll(() => {
    rmSync(bundleDir, { recursive: true, force: true })
  })

  it('adds a task over the local socket and lists it, loading neither node:http, child_process, worker_threads nor fs/promises', async () => {
    const added = await runBundle(['add', '-q', '--', 'echo', 'from the bundle'])
    expect(added.code, added.stderr).toBe(0)
    const id = Number(added.stdout.trim())
    expect(id).toBeGreaterThan(0)
    // What a one-shot command must not pay for at start-up (see src-main/cli/bundle.ts).
    expect(added.loaded()).not.toContain('NativeModule child_process')
    expect(added.loaded()).not.toContain('NativeModule worker_threads')
    expect(added.loaded()).not.toContain('NativeModule fs/promises')
    // The request went over the Unix socket named in api.json: node:http's client was never loaded.
    expect(added.loaded()).not.toContain('NativeModule _http_client')
    const status = await runBundle(['status', '--json'])
    expect(status.json<{ tasks: { id: number }[] }>().tasks.map((task) => task.id)).toContain(id)
  })

  it('adds a batch from stdin over one connection', async () => {
    const added = await runBundle(['add', '--batch', '--json'], 'true\n["echo", "two"]\n')
    expect(added.code, added.stderr).toBe(0)
    expect(added.json<{ tasks: { definition: { spec: { command: string[] } } }[] }>().tasks.map((task) => task.definition.spec.command)).toEqual([['true'], ['echo', 'two']])
  })

  it('reports usage errors like the ES build (exit 2, named on stderr)', async () => {
    const typo = await runBundle(['ad'])
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain('Did you mean add?')
    const version = await runBundle(['--version'])
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })
})
