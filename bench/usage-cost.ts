/**
 * `node bench/usage-cost.ts [rounds]`: what one usage sample costs the engine's main thread
 * (docs/benchmarks.md, "Run usage sampling"). Starts N shell runs (each `sh -c 'sleep 60; :'`,
 * a group of two processes) and, separately, N script runs (each waiting in its worker
 * thread), then reads every run's usage `rounds` times, as the engine's sampler does once a
 * second, and reports CPU per sampling pass (process.cpuUsage: user + system) and per run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createShellRunner } from '../src-main/engine/runners/shell.ts'
import { createScriptRunner, defaultScriptWorkerEntry } from '../src-main/engine/runners/script.ts'
import type { RunContext, StartedRun } from '../src-main/engine/runners/types.ts'

const rounds = Number(process.argv[2] ?? 200)
const home = mkdtempSync(join(tmpdir(), 'usage-cost-'))

function context(id: number, signal: AbortSignal): RunContext {
  return { runId: id, taskId: id, attempt: 1, signal, output: () => {}, progress: () => {} }
}

async function measure(label: string, runs: StartedRun[]): Promise<void> {
  // Warm up: the first pass pays for module and page-size lookups.
  const measured = (await Promise.all(runs.map((run) => Promise.resolve(run.usage!.read())))).filter((reading) => reading !== null).length
  const before = process.cpuUsage()
  for (let round = 0; round < rounds; round++) await Promise.all(runs.map((run) => Promise.resolve(run.usage!.read())))
  const used = process.cpuUsage(before)
  const perPassUs = (used.user + used.system) / rounds
  console.log(`${label.padEnd(28)} ${runs.length.toString().padStart(3)} runs (${measured} measured): ${(perPassUs / 1000).toFixed(3)} ms CPU per pass, ${(perPassUs / runs.length).toFixed(0)} µs per run`)
}

const shell = createShellRunner({ reaperDir: home, killGraceMs: 200 })
const script = createScriptRunner({ workerEntry: defaultScriptWorkerEntry(), poolSize: 4 })
const waitScript = join(home, 'wait.mjs')
writeFileSync(waitScript, 'export default () => new Promise((resolve) => setTimeout(resolve, 60_000))')

for (const count of [1, 10, 50]) {
  const controller = new AbortController()
  const runs = Array.from({ length: count }, (_, i) => shell.start({ kind: 'shell', command: "sleep 60; :" }, context(i + 1, controller.signal)))
  await new Promise((resolve) => setTimeout(resolve, 300))
  await measure('shell (process group of 2)', runs)
  controller.abort()
  await Promise.all(runs.map((run) => run.done))
}
{
  const controller = new AbortController()
  const runs = Array.from({ length: 4 }, (_, i) => script.start({ kind: 'script', path: waitScript }, context(100 + i, controller.signal)))
  await new Promise((resolve) => setTimeout(resolve, 2000))
  await measure('script (worker thread)', runs)
  controller.abort()
  await Promise.all(runs.map((run) => run.done))
}
shell.dispose?.()
await script.close()
rmSync(home, { recursive: true, force: true })
