import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { workerEntryBeside } from '../../src-main/engine/bundle-entry.ts'

// The build's layout: entries in out/main/, shared code in out/main/chunks/.
const out = mkdtempSync(join(tmpdir(), 'taskdeck-bundle-entry-'))
mkdirSync(join(out, 'chunks'))
writeFileSync(join(out, 'script-worker.js'), '')
afterAll(() => rmSync(out, { recursive: true, force: true }))
const url = (path: string) => pathToFileURL(join(out, path)).href

describe('workerEntryBeside', () => {
  it('finds a worker entry beside an entry module, and one folder up from a shared chunk', () => {
    expect(fileURLToPath(workerEntryBeside(url('cli.js'), 'script-worker'))).toBe(join(out, 'script-worker.js'))
    expect(fileURLToPath(workerEntryBeside(url('chunks/script-abc123.js'), 'script-worker'))).toBe(join(out, 'script-worker.js'))
  })

  it('names the file beside the module when there is none, so a missing build fails with that path', () => {
    expect(fileURLToPath(workerEntryBeside(url('chunks/runtime-x.js'), 'runtime-worker'))).toBe(join(out, 'chunks', 'runtime-worker.js'))
  })

  it('uses the .ts source beside a source module', () => {
    expect(workerEntryBeside('file:///repo/src-main/engine/runners/script.ts', 'script-worker').href).toBe('file:///repo/src-main/engine/runners/script-worker.ts')
  })
})
