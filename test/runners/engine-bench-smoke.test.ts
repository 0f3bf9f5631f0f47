import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { distribution } from '../../bench/engine-bench.ts'
import type { EngineBenchReport } from '../../bench/engine-bench.ts'
import { useTempHome } from '../support/engine.ts'

const benchEntry = join(import.meta.dirname, '../../bench/engine.ts')

describe('engine bench (smoke: tiny sizes, so the bench code cannot rot)', () => {
  const dir = useTempHome()
  it('runs every workload on Taskdeck and BullMQ and writes the JSON and the doc section', async () => {
    const results = join(dir.home, 'engine.json')
    const doc = join(dir.home, 'benchmarks.md')
    await writeFile(doc, '# Benchmarks\n\n## UI\n\nkept as is\n')
    const args = ['--latency', '5', '--throughput', '30', '--shell', '3', '--warmup', '2', '--concurrency', '4']
    const run = () => promisify(execFile)(process.execPath, [benchEntry, ...args, '--results', results, '--doc', doc])
    const { stdout } = await run()

    expect(stdout).toMatch(/\| durable no-op tasks\/s \(batch submit\) +\| [\d.]+ +\| [\d.]+ +\| [\d.]+ +\| [\d.]+× +\|/)
    expect(stdout).toMatch(/\| durable no-op tasks\/s \(one submit each\) +\| [\d.]+ +\| [\d.]+ +\| — +\|/)
    const report = JSON.parse(await readFile(results, 'utf8')) as EngineBenchReport
    expect(report.taskdeck.latencyMs.n).toBe(5)
    expect(report.bullmq.latencyMs.n).toBe(5)
    expect(report.taskdeck.throughputPerSec).toBeGreaterThan(0)
    expect(report.bullmq.throughputPerSec).toBeGreaterThan(0)
    expect(report.taskdeckNormal.throughputPerSec).toBeGreaterThan(0)
    expect(report.taskdeck.oneByOne?.throughputPerSec).toBeGreaterThan(0)
    expect(report.bullmq.oneByOne).toBeNull()
    expect(report.taskdeck.shell?.rawSpawnMs).toBeGreaterThan(0)
    expect(report.bullmq.shell?.perTaskMs).toBeGreaterThan(0)
    expect(report.goals.map((g) => g.goal)).toHaveLength(6)

    // A second run replaces its own section and keeps everyone else's.
    await run()
    const text = await readFile(doc, 'utf8')
    expect(text).toContain('## UI\n\nkept as is')
    expect(text.match(/engine-bench:start/g)).toHaveLength(1)
    expect(text).toContain(`Node ${process.version}`)
  }, 120_000)

  it('summarizes samples with nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(distribution(samples)).toEqual({ n: 100, p50: 50, p99: 99, mean: 50.5, max: 100 })
  })
})
