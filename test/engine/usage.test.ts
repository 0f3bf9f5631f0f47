import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION, TaskdeckError, parseRequest, type EngineEvent, type RunUsageEvent } from '../../src-shared/index.ts'
import { isAlive, shell, waitFor } from './helpers.ts'
import { useEngine } from '../support/engine.ts'

const t = useEngine({ usageIntervalMs: 200 })
const MB = 2 ** 20
const NODE = process.execPath

/** Burns `seconds` of its own CPU time (counted by the kernel, however busy the machine is). */
const BURN = `const until = Number(process.argv[2]) * 1e6; while (process.cpuUsage().user + process.cpuUsage().system < until) {}`
/** Fills `mb` MB of memory it touches (so it is resident) and holds it until the file argv[3] exists. */
const HOLD = `const b = Buffer.alloc(Number(process.argv[2]) * ${MB}, 1); const go = process.argv[3]; const fs = require('node:fs'); const t = setInterval(() => { if (fs.existsSync(go)) { clearInterval(t); console.log(b.length) } }, 20)`

const usageOf = (runId: number) => (e: EngineEvent): e is RunUsageEvent => e.type === 'run.usage' && e.runId === runId

/** The first live sample of run `runId` that satisfies `check`. */
async function sampleWhere(runId: number, check: (event: RunUsageEvent) => boolean): Promise<RunUsageEvent> {
  return t.waitForEvent((e): e is RunUsageEvent => usageOf(runId)(e) && check(e))
}

async function runOf(taskId: number) {
  const { runs } = await t.engine.handlers['task.get']({ taskId })
  return runs[0]!
}

async function runningRun(taskId: number): Promise<number> {
  const started = await t.waitForEvent((e): e is Extract<EngineEvent, { type: 'run.started' }> => e.type === 'run.started' && e.run.taskId === taskId)
  return started.run.id
}

describe.runIf(process.platform === 'linux')('run usage', () => {
  it("measures a shell run's process group: memory of a child that holds it, CPU of children that ended", async () => {
    const burn = join(t.home, 'burn.js')
    const hold = join(t.home, 'hold.js')
    const go = join(t.home, 'go')
    writeFileSync(burn, BURN)
    writeFileSync(hold, HOLD)
    // Six children burn 0.2 s each and end (reaped by sh, a member: their time is in its cutime); a seventh holds 120 MB until told.
    const task = await t.submit(shell(['sh', '-c', `for i in 1 2 3 4 5 6; do "$0" "$1" 0.2; done; "$0" "$2" 120 "$3"`, NODE, burn, hold, go]))
    const runId = await runningRun(task.id)
    const held = await sampleWhere(runId, (e) => (e.sample.memoryBytes ?? 0) >= 120 * MB)
    expect(held.sample).toMatchObject({ scope: 'process-group' })
    expect(held.sample.cpuSeconds).toBeGreaterThanOrEqual(1.2)
    expect(held.sample.processes).toBeGreaterThanOrEqual(2)
    writeFileSync(go, '')
    await t.until(task.id, ['succeeded'])
    const run = await runOf(task.id)
    expect(run.usage).toMatchObject({ scope: 'process-group' })
    expect(run.usage!.peakMemoryBytes).toBeGreaterThanOrEqual(120 * MB)
    expect(run.usage!.cpuSeconds).toBeGreaterThanOrEqual(1.2)
    expect(run.usage!.avgCpuPercent).toBeGreaterThan(0)
    expect(run.usage!.samples).toBeGreaterThanOrEqual(1)
  })

  it('keeps the summary across a restart', async () => {
    const hold = join(t.home, 'hold.js')
    const go = join(t.home, 'go')
    writeFileSync(hold, HOLD)
    const task = await t.submit(shell([NODE, hold, '40', go]))
    const runId = await runningRun(task.id)
    await sampleWhere(runId, (e) => (e.sample.memoryBytes ?? 0) >= 40 * MB)
    writeFileSync(go, '')
    await t.until(task.id, ['succeeded'])
    const before = (await runOf(task.id)).usage
    expect(before?.peakMemoryBytes).toBeGreaterThanOrEqual(40 * MB)
    await t.reopen()
    expect((await runOf(task.id)).usage).toEqual(before)
  })

  it('stops a shell run over its memory limit, its whole group, and says by how much', async () => {
    const hold = join(t.home, 'hold.js')
    writeFileSync(hold, HOLD)
    const task = await t.submit(shell(['sh', '-c', `"$0" "$1" 200 never; echo after`, NODE, hold], { limits: { maxMemoryMb: 50 } }))
    await t.until(task.id, ['failed'])
    const run = await runOf(task.id)
    expect(run.endReason).toMatchObject({ kind: 'memory-limit', limitBytes: 50 * MB })
    expect((run.endReason as { usedBytes: number }).usedBytes).toBeGreaterThan(50 * MB)
    expect(run.reason).toMatch(/^exceeded its memory limit: \d+(\.\d+)? MB > 50 MB$/)
    expect(run.usage!.peakMemoryBytes).toBeGreaterThan(50 * MB)
    // The group went as a timeout's does: sh never got to echo.
    expect((await t.lines(run.id)).map((l) => l.text)).not.toContain('after')
    expect(isAlive(run.pid!)).toBe(false)
  })

  it('stops a shell run over its CPU-time limit', async () => {
    const burn = join(t.home, 'burn.js')
    writeFileSync(burn, BURN)
    const task = await t.submit(shell([NODE, burn, '1000'], { limits: { maxCpuSeconds: 0.5 } }))
    await t.until(task.id, ['failed'])
    const run = await runOf(task.id)
    expect(run.endReason).toMatchObject({ kind: 'cpu-limit', limitSeconds: 0.5 })
    expect(run.reason).toMatch(/^exceeded its CPU limit: [\d.]+ s > 0\.5 s$/)
  })

  it("measures a script's worker thread while it is busy, and stops it over its CPU-time limit", async () => {
    const busy = join(t.home, 'busy.mjs')
    // Holds 30 MB of heap and burns 0.5 s of CPU without ever yielding, then waits for the file.
    writeFileSync(
      busy,
      `import { existsSync } from 'node:fs'
       export default async (go) => {
         const held = Array.from({ length: 30 }, () => new Uint8Array(${MB}).fill(1))
         await new Promise((r) => setTimeout(r, 10))
         const start = process.threadCpuUsage(); let used = 0
         while (used < 0.5e6) { const u = process.threadCpuUsage(start); used = u.user + u.system }
         while (!existsSync(go)) await new Promise((r) => setTimeout(r, 20))
         return held.length
       }`,
    )
    const go = join(t.home, 'go')
    const task = await t.submit({ spec: { kind: 'script', path: busy, input: go } })
    const runId = await runningRun(task.id)
    await sampleWhere(runId, (e) => e.sample.cpuSeconds >= 0.5 && (e.sample.memoryBytes ?? 0) >= 30 * MB)
    writeFileSync(go, '')
    await t.until(task.id, ['succeeded'])
    const run = await runOf(task.id)
    expect(run.usage).toMatchObject({ scope: 'worker-thread' })
    expect(run.usage!.cpuSeconds).toBeGreaterThanOrEqual(0.5)
    expect(run.usage!.peakMemoryBytes).toBeGreaterThanOrEqual(30 * MB)

    const spin = join(t.home, 'spin.mjs')
    writeFileSync(spin, 'export default () => { for (;;) {} }')
    const spinning = await t.submit({ spec: { kind: 'script', path: spin }, limits: { maxCpuSeconds: 0.5 } })
    await t.until(spinning.id, ['failed'])
    expect((await runOf(spinning.id)).endReason).toMatchObject({ kind: 'cpu-limit', limitSeconds: 0.5 })
  })

  it('samples only while measured runs go', async () => {
    const task = await t.submit(shell('exit 0'))
    await t.until(task.id, ['succeeded'])
    const count = () => t.events.filter((e) => e.type === 'run.usage').length
    await waitFor(() => !(t.engine as unknown as { usageTimer: unknown }).usageTimer, 'the sampler to stop')
    const seen = count()
    const marker = join(t.home, 'never')
    expect(existsSync(marker)).toBe(false)
    expect(count()).toBe(seen)
  })
})

describe('limits are checked where a task is submitted', () => {
  it('refuses limits on an HTTP batch, naming the field', async () => {
    const error = await t.submit({ spec: { kind: 'http', requests: [{ url: 'http://127.0.0.1:9/' }] }, limits: { maxMemoryMb: 10 } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TaskdeckError)
    expect((error as TaskdeckError).message).toMatch(/^definition\.limits: memory and CPU limits apply to shell and script tasks/)
  })

  it('refuses a limit out of range with its own words, at the API boundary', () => {
    const problem = (limits: unknown) => {
      const { result } = parseRequest({ v: PROTOCOL_VERSION, id: 1, command: 'task.submit', params: { definition: { spec: { kind: 'shell', command: 'true' }, limits } } })
      return result.ok ? null : JSON.stringify(result.error)
    }
    expect(problem({ maxMemoryMb: 512, maxCpuSeconds: 60 })).toBeNull()
    expect(problem({ maxMemoryMb: 0 })).toMatch(/definition\.limits\.maxMemoryMb.*maxMemoryMb must be at least 1 MB/)
    expect(problem({ maxMemoryMb: 1.5 })).toMatch(/maxMemoryMb must be a whole number of MB/)
    expect(problem({ maxCpuSeconds: -1 })).toMatch(/maxCpuSeconds must be more than 0 seconds/)
    expect(problem({ maxCpu: 3 })).toMatch(/maxCpu/)
  })
})
