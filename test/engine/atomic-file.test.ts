import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { writeFileAtomic, writeFileAtomicSync } from '../../src-main/engine/atomic-file.ts'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'taskdeck-atomic-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const writer = join(import.meta.dirname, 'fixtures', 'atomic-writer.ts')
const SIZE = 4 * 1024 * 1024

/**
 * Starts the writer, waits for `writes` complete writes, then watches the directory and kills it
 * with SIGKILL as soon as a write is seen in progress: a temp file beside the target, or the
 * target itself shorter than a whole content (what an in-place write shows).
 */
async function killMidWrite(target: string, writes: number): Promise<void> {
  const child = spawn(process.execPath, [writer, target, String(SIZE)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
  let seen = 0
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject)
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString().split('\n').length - 1
      if (seen >= writes) {
        child.stdout.removeAllListeners('data')
        resolve()
      }
    })
  })
  for (;;) {
    const inProgress = readdirSync(dir).some((name) => name.endsWith('.tmp')) || sizeOf(target) !== SIZE
    if (inProgress) break
  }
  child.kill('SIGKILL')
  expect(await exited).toBe('SIGKILL')
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return -1
  }
}

describe('writeFileAtomicSync', () => {
  it('leaves the old content or the new one whole when the writing process is killed mid-write', { timeout: 120_000 }, async () => {
    const target = join(dir, 'state.json')
    for (let round = 1; round <= 6; round++) {
      await killMidWrite(target, round)
      const content = readFileSync(target)
      expect(content.byteLength).toBe(SIZE)
      const first = content[0]
      expect([0x41, 0x42]).toContain(first)
      expect(content.every((byte) => byte === first)).toBe(true)
      expect(statSync(target).mode & 0o777).toBe(0o600)
    }
  })

  it('keeps the mode it is given, whatever the file had before', () => {
    const token = join(dir, 'api-token')
    writeFileSync(token, 'old\n', { mode: 0o644 })
    chmodSync(token, 0o644)
    writeFileAtomicSync(token, 'new\n', { mode: 0o600 })
    expect(statSync(token).mode & 0o777).toBe(0o600)
    expect(readFileSync(token, 'utf8')).toBe('new\n')
    const entry = join(dir, 'taskdeck.desktop')
    writeFileAtomicSync(entry, '[Desktop Entry]\n', { mode: 0o644 })
    expect(statSync(entry).mode & 0o777).toBe(0o644)
    // The default is private.
    writeFileAtomicSync(join(dir, 'private'), 'x')
    expect(statSync(join(dir, 'private')).mode & 0o777).toBe(0o600)
  })

  it('leaves the old content and no temp file behind when the replacement fails', async () => {
    // A non-empty directory cannot be renamed over: the write fails after the temp file was written.
    const target = join(dir, 'taken')
    mkdirSync(target)
    writeFileSync(join(target, 'inside'), 'old')
    expect(() => writeFileAtomicSync(target, 'new')).toThrow()
    await expect(writeFileAtomic(target, 'new')).rejects.toThrow()
    expect(readdirSync(dir)).toEqual(['taken'])
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('old')
  })
})

describe('writeFileAtomic', () => {
  it('replaces the content with the mode given', async () => {
    const target = join(dir, 'api.json')
    writeFileSync(target, '{"old":true}', { mode: 0o644 })
    await writeFileAtomic(target, '{"new":true}\n', { mode: 0o600 })
    expect(readFileSync(target, 'utf8')).toBe('{"new":true}\n')
    expect(statSync(target).mode & 0o777).toBe(0o600)
    expect(readdirSync(dir)).toEqual(['api.json'])
  })
})
