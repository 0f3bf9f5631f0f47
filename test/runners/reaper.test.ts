import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { killLeftoverGroups, processStartTicks } from '../../src-main/engine/runners/process-groups.ts'
import { TREE_COMMAND, eventually, groupMembers, killLeftovers, processState, reaperOf, stillAlive, wholeGroup, type ProcessIdentity } from './process-tree.ts'

const fixture = fileURLToPath(new URL('./fixtures/shell-owner.ts', import.meta.url))
const churningFixture = fileURLToPath(new URL('./fixtures/churning-owner.ts', import.meta.url))
const started: ProcessIdentity[] = []
const owners: ChildProcess[] = []
afterEach(() => {
  for (const owner of owners.splice(0)) if (owner.exitCode === null && owner.signalCode === null) owner.kill('SIGKILL')
  killLeftovers(started.splice(0))
})

/** A process owning a shell runner that runs `command`; resolves once it printed a line matching `ready`. */
async function owner(command: string, ready: RegExp, graceMs = 300) {
  const child = spawn(process.execPath, [fixture, String(graceMs), command], { stdio: ['pipe', 'pipe', 'inherit'] })
  owners.push(child)
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await eventually(() => ready.test(output), `the owner to print ${ready}`)
  return { child, exited, output: () => output }
}

async function startedReaper(pid: number): Promise<ProcessIdentity> {
  const reaper = await reaperOf(pid)
  started.push(reaper)
  return reaper
}

describe('orphan reaper', () => {
  it('kills a SIGKILLed owner\'s paused run, SIGKILLing what ignores SIGTERM after the grace', async () => {
    const running = await owner(`trap "" TERM; ${TREE_COMMAND}`, /leader (\d+)/)
    const leader = Number(/leader (\d+)/.exec(running.output())![1])
    const group = await wholeGroup(leader)
    started.push(...group)
    running.child.stdin.write('pause\n')
    await eventually(() => group.every((p) => processState(p.pid) === 'T'), 'the group to stop')
    const reaper = await startedReaper(running.child.pid!)

    running.child.kill('SIGKILL')
    await running.exited
    await eventually(() => group.every((p) => !stillAlive(p)), 'every process of the group to be gone')
    await eventually(() => !stillAlive(reaper), 'the reaper to exit')
  })

  it('forgets a run once it ended (what it left running is no longer its business), and exits with an owner that ends on its own without keeping it alive', async () => {
    // The run ends as soon as its shell exits: the background sleep holds none of its pipes.
    const owning = await owner('sleep 1000 </dev/null >/dev/null 2>&1 & echo "left $!"', /ended /)
    expect(owning.output()).toMatch(/^left \d+\nended \{"exitCode":0/)
    const left = Number(/left (\d+)/.exec(owning.output())![1])
    const leftover = { pid: left, startTicks: processStartTicks(left)! }
    started.push(leftover)
    const reaper = await startedReaper(owning.child.pid!)
    // The owner stops reading its stdin: nothing else holds it, the reaper's pipe included.
    owning.child.stdin.write('end\n')
    await owning.exited
    expect(owning.child.exitCode).toBe(0)
    await eventually(() => !stillAlive(reaper), 'the reaper to exit with its owner')
    expect(stillAlive(leftover)).toBe(true)
  })

  it('still knows a group registered before its registry was rewritten many times', async () => {
    const child = spawn(process.execPath, [churningFixture, TREE_COMMAND, '5000'], { stdio: ['ignore', 'pipe', 'inherit'] })
    owners.push(child)
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    await eventually(() => /leader \d+/.test(output), 'the group to start')
    const group = await wholeGroup(Number(/leader (\d+)/.exec(output)![1]))
    started.push(...group)
    const reaper = await startedReaper(child.pid!)
    child.kill('SIGKILL')
    await eventually(() => group.every((p) => !stillAlive(p)), 'every process of the group to be gone')
    await eventually(() => !stillAlive(reaper), 'the reaper to exit')
  })

  it('pause and resume of a watched run still reach its whole group, and leave it running', async () => {
    const owning = await owner(TREE_COMMAND, /leader (\d+)/)
    const leader = Number(/leader (\d+)/.exec(owning.output())![1])
    const group = await wholeGroup(leader)
    started.push(...group)
    owning.child.stdin.write('pause\n')
    await eventually(() => group.every((p) => processState(p.pid) === 'T'), 'the group to stop')
    owning.child.stdin.write('resume\n')
    await eventually(() => group.every((p) => processState(p.pid) === 'S'), 'the group to continue')
    expect(group.every(stillAlive)).toBe(true)
  })
})

describe('restart-time cleanup (killLeftoverGroups)', () => {
  const detachedGroup = (command: string) => {
    const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: 'ignore' })
    const startTicks = processStartTicks(child.pid!)!
    return { pgid: child.pid!, startTicks, exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) }
  }

  it('kills a group only when it is provably the one recorded: same leader start time, or members younger than the leader', async () => {
    const live = detachedGroup('sleep 1000 & wait')
    const members = await wholeGroup(live.pgid, 2)
    started.push(...members)
    // A recorded start time that is not the leader's: the pid was reused by someone else's process.
    killLeftoverGroups([{ pgid: live.pgid, startTicks: String(Number(live.startTicks) + 1) }])
    expect(members.every(stillAlive)).toBe(true)
    killLeftoverGroups([{ pgid: live.pgid, startTicks: live.startTicks }])
    await eventually(() => members.every((p) => !stillAlive(p)), 'the group to be killed')
    await live.exited

    // The leader exited, its background child lives on in the group.
    const orphaned = detachedGroup('sleep 1000 & echo started')
    await orphaned.exited
    await eventually(() => groupMembers(orphaned.pgid).length === 1, 'the leader to be gone')
    const [member] = groupMembers(orphaned.pgid)
    started.push(member!)
    // Recorded later than the member started: not the group we started.
    killLeftoverGroups([{ pgid: orphaned.pgid, startTicks: String(Number(member!.startTicks) + 1) }])
    expect(stillAlive(member!)).toBe(true)
    killLeftoverGroups([{ pgid: orphaned.pgid, startTicks: orphaned.startTicks }])
    await eventually(() => !stillAlive(member!), 'the member to be killed')
  })
})
