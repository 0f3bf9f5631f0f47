import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { BATCH_STDIN_MAX_BYTES, SECRET_STDIN_MAX_BYTES, STDIN_MAX_BYTES } from '../../src-main/cli/stdin.ts'
import { LIMITS } from '../../src-shared/model.ts'
import { BIN, cliEnv, collect } from './helpers.ts'
import { tempHome } from '../support/engine.ts'

// Standard input without an end (`yes | taskdeck add --batch`, /dev/zero) is refused once it
// passes what could ever be sent, before anything connects, instead of filling memory.
describe('reading standard input', () => {
  it('reads at most what one API message can carry', () => {
    expect(STDIN_MAX_BYTES).toBe(LIMITS.messageBytes)
    expect(SECRET_STDIN_MAX_BYTES).toBeLessThan(STDIN_MAX_BYTES)
  })

  it.each([
    [['add', '--batch'], '--batch', BATCH_STDIN_MAX_BYTES],
    [['add', '--stdin', '-', '--', 'cat'], '--stdin -', STDIN_MAX_BYTES],
    [['import', '-'], 'the document', STDIN_MAX_BYTES],
    [['group', 'bind', 'build', '--redis', 'redis://127.0.0.1:1', '--password-stdin'], '--password-stdin', SECRET_STDIN_MAX_BYTES],
  ])('taskdeck %j refuses an endless stdin, naming it and the limit', async (args, what, limit) => {
    const { home, cleanup } = tempHome()
    const zero = openSync('/dev/zero', 'r')
    try {
      const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(home), stdio: [zero, 'pipe', 'pipe'] })
      const result = await collect(child)
      expect(result.code).toBe(2)
      expect(result.stderr).toContain(`${what}: standard input is larger than ${limit} bytes`)
    } finally {
      closeSync(zero)
      cleanup()
    }
  })
})
