import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Run, Task } from '../../src-shared/index.ts'
import { useServe } from './helpers.ts'

type TaskRow = Task & { lastRun: Run | null }

/** Memory and CPU limits from the command line, and what `status` says a run used. */
describe.runIf(process.platform === 'linux')('taskdeck add --max-memory / --max-cpu, and status', () => {
  const serve = useServe()
  const { work, cli } = serve

  it('stops a run over --max-memory and status shows why, its peak memory and CPU time', async () => {
    const hog = join(work, 'hog.js')
    writeFileSync(hog, `const b = Buffer.alloc(200 * 2 ** 20, 1); setInterval(() => b.length, 1000)`)
    const added = await cli('add', '-q', '--max-memory', '64M', '--max-cpu', '5m', '--name', 'hog', '--', process.execPath, hog)
    expect(added.code, added.stderr).toBe(0)
    const id = Number(added.stdout.trim())
    await cli('wait', String(id))
    const rows = (await cli('status', '--json')).json<{ tasks: TaskRow[] }>().tasks
    const task = rows.find((row) => row.id === id)!
    expect(task.definition.limits).toEqual({ maxMemoryMb: 64, maxCpuSeconds: 300 })
    expect(task.lastRun).toMatchObject({ status: 'failed', endReason: { kind: 'memory-limit', limitBytes: 64 * 2 ** 20 } })
    expect(task.lastRun!.usage!.peakMemoryBytes).toBeGreaterThan(64 * 2 ** 20)
    const table = await cli('status', '--wide')
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+GROUP\s+EXIT\s+TIME\s+PEAK MEM\s+CPU\s+NAME$/)
    // PEAK MEM in M or G, CPU as a duration, then the reason with its figures.
    expect(table.stdout).toMatch(new RegExp(`\\n${id}\\s+failed\\s+default\\s+\\S+\\s+\\S+\\s+\\d+(\\.\\d)?[MG]\\s+[\\d.]+(ms|s)\\s+hog\\s+\\(exceeded its memory limit: \\d+(\\.\\d+)? MB > 64 MB\\)`))
  })

  it('edit changes or removes one limit and keeps the other', async () => {
    const added = await cli('add', '-q', '--stash', '--max-memory', '1G', '--max-cpu', '90s', '--', 'true')
    const id = Number(added.stdout.trim())
    expect((await cli('edit', String(id), '--max-cpu', 'none')).code).toBe(0)
    const rows = (await cli('status', '--json')).json<{ tasks: TaskRow[] }>().tasks
    expect(rows.find((row) => row.id === id)!.definition.limits).toEqual({ maxMemoryMb: 1024 })
  })

  it('names a bad size or duration', async () => {
    const size = await cli('add', '--max-memory', 'lots', '--', 'true')
    expect(size.code).toBe(2)
    expect(size.stderr).toContain('--max-memory: "lots" is not a memory size')
    const cpu = await cli('add', '--max-cpu', 'forever', '--', 'true')
    expect(cpu.code).toBe(2)
    expect(cpu.stderr).toContain('--max-cpu: "forever" is not a duration')
  })
})
