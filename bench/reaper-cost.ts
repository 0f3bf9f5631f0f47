/**
 * `node bench/reaper-cost.ts [tasks per round] [rounds]`: what the orphan reaper adds to a
 * shell task. Two engines in this process, one whose shell runner registers each run's
 * process group with a reaper and one without (`orphanReaper: false`), run sequential `true`
 * tasks (argv mode) in alternating rounds, so a burst of other work on the machine lands on
 * both. Reports CPU per task of this process (`process.cpuUsage`: engine, SQLite, runners)
 * and of the reaper itself (/proc), plus wall time per task. CPU time is the figure to
 * compare on a shared machine; wall time moves with the load.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TaskDefinitionSchema } from '../src-shared/index.ts'
import type { Run } from '../src-shared/index.ts'
import { Engine } from '../src-main/engine/engine.ts'
import { defaultRunners } from '../src-main/engine/runners/index.ts'

const tasksPerRound = Number(process.argv[2] ?? 200)
const rounds = Number(process.argv[3] ?? 6)

interface Subject {
  readonly name: string
  cpuUs: number
  wallMs: number
  tasks: number
  runOne(): Promise<void>
  close(): Promise<void>
}

async function open(name: string, orphanReaper: boolean): Promise<Subject> {
  const home = mkdtempSync(join(tmpdir(), `reaper-cost-${name}-`))
  const engine = await Engine.open({ home, statsIntervalMs: 0, runners: defaultRunners({ orphanReaper }) })
  const definition = TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: ['true'] } })
  const waiting = new Map<number, (run: Run) => void>()
  const early = new Map<number, Run>()
  const listening = engine.host.onEvent((event) => {
    if (event.type !== 'run.finished') return
    if (event.run.status !== 'succeeded') throw new Error(`task ${event.run.taskId} ${event.run.status}: ${event.run.reason}`)
    const waiter = waiting.get(event.run.taskId)
    if (waiter) waiter(event.run)
    else early.set(event.run.taskId, event.run)
  })
  return {
    name,
    cpuUs: 0,
    wallMs: 0,
    tasks: 0,
    async runOne() {
      const { task } = await engine.handlers['task.submit']({ definition })
      if (!early.delete(task.id)) await new Promise<Run>((resolve) => waiting.set(task.id, resolve))
      waiting.delete(task.id)
    },
    async close() {
      listening.dispose()
      await engine.close()
      rmSync(home, { recursive: true, force: true })
    },
  }
}

/** CPU time (µs) of this process's reaper children, from /proc (clock ticks of 10 ms). */
function reaperCpuUs(): number {
  let ticks = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) !== process.pid || !readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('taskdeck-reaper')) continue
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // Gone meanwhile.
    }
  }
  return ticks * 10_000
}

const subjects = [await open('with reaper', true), await open('without', false)]
for (const subject of subjects) for (let i = 0; i < 20; i++) await subject.runOne()
const reaperBefore = reaperCpuUs()
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? subjects : [...subjects].reverse()
  for (const subject of order) {
    const cpu = process.cpuUsage()
    const wall = performance.now()
    for (let i = 0; i < tasksPerRound; i++) await subject.runOne()
    subject.wallMs += performance.now() - wall
    const used = process.cpuUsage(cpu)
    subject.cpuUs += used.user + used.system
    subject.tasks += tasksPerRound
  }
}
const reaperUs = reaperCpuUs() - reaperBefore
console.log(`${rounds} alternating rounds of ${tasksPerRound} sequential \`true\` tasks each; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
for (const subject of subjects) {
  console.log(`${subject.name.padEnd(12)} CPU per task ${(subject.cpuUs / subject.tasks).toFixed(0)} µs (this process), wall ${(subject.wallMs / subject.tasks).toFixed(2)} ms`)
}
console.log(`reaper's own CPU per task (with reaper): ${(reaperUs / subjects[0]!.tasks).toFixed(1)} µs`)
for (const subject of subjects) await subject.close()
