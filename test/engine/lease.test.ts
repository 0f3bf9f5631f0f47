import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { Engine } from '../../src-main/engine/engine.ts'
import { LEASE_HOLDER_FILE } from '../../src-main/engine/lease.ts'
import { processStartTicks } from '../../src-main/engine/runners/process-groups.ts'
import { useTempHome } from '../support/engine.ts'

const fixture = fileURLToPath(new URL('./fixtures/lease-opener.ts', import.meta.url))
const dir = useTempHome()

interface Outcome {
  ok: boolean
  pid?: number
  code?: string
  message?: string
}

/** An engine opener in its own process, loaded and waiting for `go()`. */
class Opener {
  readonly child: ChildProcessWithoutNullStreams
  readonly ready: Promise<void>
  readonly outcome: Promise<Outcome>
  readonly exited: Promise<void>

  constructor(home: string) {
    this.child = spawn(process.execPath, [fixture, home], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk))
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()))
    const lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]()
    this.ready = lines.next().then(() => undefined)
    this.outcome = this.ready.then(async () => JSON.parse(String((await lines.next()).value)) as Outcome)
  }

  go(): void {
    this.child.stdin.write('go\n')
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL')
    await this.exited
  }

  async closeCleanly(): Promise<void> {
    this.child.stdin.end()
    await this.exited
  }
}

const openers: Opener[] = []
const opener = (home: string) => {
  const made = new Opener(home)
  openers.push(made)
  return made
}
afterEach(async () => {
  for (const made of openers.splice(0)) await made.kill()
})

describe('the lease on the data folder', () => {
  it('lets exactly one of two processes racing to open the same folder in, and names it to the other', async () => {
    for (let round = 0; round < 2; round++) {
      const home = round === 0 ? dir.home : dir.anotherHome()
      const pair = [opener(home), opener(home)]
      await Promise.all(pair.map((p) => p.ready))
      for (const p of pair) p.go()
      const outcomes = await Promise.all(pair.map((p) => p.outcome))
      const winners = outcomes.filter((o) => o.ok)
      expect(winners, JSON.stringify(outcomes)).toHaveLength(1)
      const loser = outcomes.find((o) => !o.ok)!
      expect(loser.code).toBe('conflict')
      expect(loser.message).toContain(`The data folder ${home} is in use by another Taskdeck engine: process ${winners[0]!.pid} (`)
      expect(loser.message).toMatch(/started \d{4}-\d\d-\d\dT[\d:.]+Z\. Stop it first \(quit the Taskdeck app, or run "taskdeck stop --home .*" for a `taskdeck serve` or daemon, or end process \d+\)/)
      for (const p of pair) await p.kill()
    }
  })

  it('is taken over from a holder killed with SIGKILL, and let go by a clean close', async () => {
    const first = opener(dir.home)
    await first.ready
    first.go()
    expect((await first.outcome).ok).toBe(true)
    const refused = opener(dir.home)
    await refused.ready
    refused.go()
    expect(await refused.outcome).toMatchObject({ ok: false, code: 'conflict' })
    await first.kill()
    // The holder's file still names the dead process: the kernel let go of its lock all the same.
    expect(JSON.parse(readFileSync(join(dir.home, LEASE_HOLDER_FILE), 'utf8'))).toMatchObject({ pid: first.child.pid })
    const second = opener(dir.home)
    await second.ready
    second.go()
    expect(await second.outcome).toMatchObject({ ok: true, pid: second.child.pid })
    await second.closeCleanly()
    expect(existsSync(join(dir.home, LEASE_HOLDER_FILE))).toBe(false)
    const third = opener(dir.home)
    await third.ready
    third.go()
    expect((await third.outcome).ok).toBe(true)
  })

  it('is taken over when the holder file names a live process that is not the holder (a pid reused after a reboot)', async () => {
    // This test process stands for a stranger given the old holder's pid: alive, but started at another time, or in another boot.
    const ticks = processStartTicks(process.pid)
    const stale = { pid: process.pid, startedAt: Date.now() - 86_400_000, startTicks: ticks === null ? null : `${Number(ticks) + 1}`, bootId: '0'.repeat(32), command: 'node old-engine' }
    writeFileSync(join(dir.home, LEASE_HOLDER_FILE), JSON.stringify(stale))
    const engine = await Engine.open({ home: dir.home, statsIntervalMs: 0 })
    expect(JSON.parse(readFileSync(join(dir.home, LEASE_HOLDER_FILE), 'utf8'))).toMatchObject({ pid: process.pid, command: expect.not.stringContaining('old-engine') as unknown })
    await engine.close()
  })

  it('refuses a second engine in the same process (Engine.open used directly) until the first closes', async () => {
    const first = await Engine.open({ home: dir.home, statsIntervalMs: 0 })
    await expect(Engine.open({ home: dir.home, statsIntervalMs: 0 })).rejects.toThrow(/in use by another Taskdeck engine: this very process/)
    await first.close()
    const second = await Engine.open({ home: dir.home, statsIntervalMs: 0 })
    await second.close()
  })

  it('does not lock the database: a reader opens it while the engine runs', async () => {
    const engine = await Engine.open({ home: dir.home, statsIntervalMs: 0 })
    const { DatabaseSync } = await import('node:sqlite')
    const reader = new DatabaseSync(join(dir.home, 'taskdeck.db'), { readOnly: true })
    expect((reader.prepare("SELECT json FROM groups WHERE name = 'default'").get() as { json: string }).json).toContain('"default"')
    reader.close()
    await engine.close()
  })
})
