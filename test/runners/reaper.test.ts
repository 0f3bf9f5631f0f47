import { spawn, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { GroupReaper, bootId, killLeftoverGroups, processStartTicks, type RecordedGroup } from '../../src-main/engine/runners/process-groups.ts'
import { workerRunners } from '../../src-main/worker/runners.ts'
import { openEngine } from '../support/engine.ts'
import { recordingContext } from './helpers.ts'
import { TREE_COMMAND, childrenOf, eventually, isReaper, groupMembers, killLeftovers, processState, reaperOf, stillAlive, wholeGroup, type ProcessIdentity } from './process-tree.ts'

const fixture = fileURLToPath(new URL('./fixtures/shell-owner.ts', import.meta.url))
const churningFixture = fileURLToPath(new URL('./fixtures/churning-owner.ts', import.meta.url))
const failingFixture = fileURLToPath(new URL('./fixtures/failing-owner.ts', import.meta.url))
const started: ProcessIdentity[] = []
const owners: ChildProcess[] = []
const dirs: string[] = []
afterEach(() => {
  for (const owner of owners.splice(0)) if (owner.exitCode === null && owner.signalCode === null) owner.kill('SIGKILL')
  killLeftovers(started.splice(0))
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** /etc/machine-id, if this system has one. */
const machineId = ((): string | null => {
  try {
    return readFileSync('/etc/machine-id', 'utf8').trim()
  } catch {
    return null
  }
})()
/** The machine part of this machine's reaper folder names. */
const thisMachine = machineId === null ? hostname() : `${hostname()}.${machineId}`

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'taskdeck-reaper-test-'))
  dirs.push(dir)
  return dir
}

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

const leaderIn = (output: string) => Number(/leader (\d+)/.exec(output)![1])

/** An owner running TREE_COMMAND after `setup` (a trap, say), once every process of the run's group started. */
async function treeRun(setup: string | null, graceMs?: number) {
  const running = await owner(setup === null ? TREE_COMMAND : `${setup}; ${TREE_COMMAND}`, /leader \d+/, graceMs)
  const group = await wholeGroup(leaderIn(running.output()))
  started.push(...group)
  return { ...running, group }
}

/** The same run paused (every process of its group stopped), with the owner's reaper: what a SIGKILLed owner leaves. */
async function pausedTreeRun(setup: string, graceMs?: number) {
  const running = await treeRun(setup, graceMs)
  running.child.stdin.write('pause\n')
  await eventually(() => running.group.every((p) => processState(p.pid) === 'T'), 'the group to stop')
  return { ...running, reaper: await startedReaper(running.child.pid!) }
}

/**
 * An owner fixture (`node <args>`) running TREE_COMMAND, once it registered the run's group (its own
 * "registered" line: the run's "leader" line may come before the owner went on to register it) and
 * every process of the group started.
 */
async function fixtureOwner(args: string[]) {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  owners.push(child)
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  await eventually(() => /leader \d+/.test(output) && /^registered$/m.test(output), 'the group to start and be registered')
  const group = await wholeGroup(leaderIn(output))
  started.push(...group)
  return { child, group, output: () => output }
}

const churningOwner = (churn: number, registryDir?: string) => fixtureOwner([churningFixture, TREE_COMMAND, String(churn), ...(registryDir === undefined ? [] : [registryDir])])

describe('orphan reaper', () => {
  it('continues a SIGKILLed owner\'s paused run after the SIGTERM, so it can act on it within the grace', async () => {
    const marker = join(tempDir(), 'terminated')
    // A stopped process keeps a SIGTERM pending until continued; only a SIGKILL (here after 60 s) ends it stopped.
    const running = await pausedTreeRun(`trap 'echo term > "${marker}"; exit 0' TERM`, 60_000)
    const { group, reaper } = running

    running.child.kill('SIGKILL')
    await running.exited
    await eventually(() => existsSync(marker), 'the paused run to handle its SIGTERM')
    await eventually(() => group.every((p) => !stillAlive(p)), 'every process of the group to be gone')
    await eventually(() => !stillAlive(reaper), 'the reaper to exit')
  })

  it('kills a SIGKILLed owner\'s paused run, SIGKILLing what ignores SIGTERM after the grace', async () => {
    const running = await pausedTreeRun('trap "" TERM')
    const { group, reaper } = running

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
    const { child, group } = await churningOwner(5000)
    const reaper = await startedReaper(child.pid!)
    child.kill('SIGKILL')
    await eventually(() => group.every((p) => !stillAlive(p)), 'every process of the group to be gone')
    await eventually(() => !stillAlive(reaper), 'the reaper to exit')
  })

  it('keeps registering when its registry cannot be written: gives that reaper up without letting it act, and a fresh one watches every group', async () => {
    const registryDir = tempDir()
    const { child, group, output } = await fixtureOwner([failingFixture, registryDir, TREE_COMMAND])
    const first = await startedReaper(child.pid!)

    child.stdin.write('break\n')
    await eventually(() => output().includes('survived'), 'the owner to go on registering')
    await eventually(() => !stillAlive(first), 'the first reaper to be given up')
    const second = await startedReaper(child.pid!)
    expect(second.pid).not.toBe(first.pid)
    expect(group.every(stillAlive)).toBe(true)

    child.kill('SIGKILL')
    await eventually(() => group.every((p) => !stillAlive(p)), 'every process of the group to be gone')
    await eventually(() => !stillAlive(second), 'the second reaper to exit')
  })

  it('is started again at once when killed from outside while a run is registered, its registry in the directory it was given', async () => {
    const registryDir = tempDir()
    const { child, group } = await churningOwner(0, registryDir)
    expect(readdirSync(registryDir)).toEqual([expect.stringMatching(new RegExp(`^taskdeck-reaper-${thisMachine.replaceAll('.', '\\.')}-[0-9a-f]{32}-${child.pid}-`))])
    const first = await startedReaper(child.pid!)

    process.kill(first.pid, 'SIGKILL')
    await eventually(() => !stillAlive(first), 'the first reaper to die')
    await eventually(() => childrenOf(child.pid!).some((c) => c.pid !== first.pid && isReaper(c.pid)), 'a new reaper')
    const second = await startedReaper(child.pid!)
    child.kill('SIGKILL')
    await eventually(() => group.every((p) => !stillAlive(p)), 'every process of the group to be gone')
    await eventually(() => !stillAlive(second), 'the second reaper to exit')
  })

  it('pause and resume of a watched run still reach its whole group, and leave it running', async () => {
    const owning = await treeRun(null)
    const { group } = owning
    owning.child.stdin.write('pause\n')
    await eventually(() => group.every((p) => processState(p.pid) === 'T'), 'the group to stop')
    owning.child.stdin.write('resume\n')
    await eventually(() => group.every((p) => processState(p.pid) === 'S'), 'the group to continue')
    expect(group.every(stillAlive)).toBe(true)
  })
})

/** A process group of its own started by `command` (its shell the leader), as a run's. */
function detachedGroup(command: string) {
  const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: 'ignore' })
  const startTicks = processStartTicks(child.pid!)!
  return { pgid: child.pid!, startTicks, exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) }
}

/** A group whose leader exited at once, leaving a younger member (a background `sleep`): as a run's orphans look. */
async function leaderlessGroup(spawnLeader: () => ChildProcess = () => spawn('/bin/sh', ['-c', 'sleep 1000 & echo started'], { detached: true, stdio: 'ignore' })) {
  const leader = spawnLeader()
  const pgid = leader.pid!
  const startTicks = processStartTicks(pgid)!
  await new Promise<void>((resolve) => leader.once('exit', () => resolve()))
  await eventually(() => groupMembers(pgid).length === 1, 'the leader to be gone, its member to run')
  const [member] = groupMembers(pgid)
  started.push(member!)
  return { pgid, startTicks, member: member! }
}

describe('restart-time cleanup (killLeftoverGroups)', () => {
  const here = bootId()!
  /** An id of another boot of this machine. */
  const earlierBoot = here.replace(/^./, (c) => (c === '0' ? '1' : '0'))
  const recorded = (group: { pgid: number; startTicks: string }, boot: string | null = here): RecordedGroup => ({ pgid: group.pgid, startTicks: group.startTicks, bootId: boot })

  it('kills a group of this boot only when it is provably the one recorded: same leader start time, or members younger than the leader', async () => {
    const live = detachedGroup('sleep 1000 & wait')
    const members = await wholeGroup(live.pgid, 2)
    started.push(...members)
    // A recorded start time that is not the leader's: the pid was reused by someone else's process.
    killLeftoverGroups([recorded({ pgid: live.pgid, startTicks: String(Number(live.startTicks) + 1) })])
    expect(members.every(stillAlive)).toBe(true)
    killLeftoverGroups([recorded(live)])
    await eventually(() => members.every((p) => !stillAlive(p)), 'the group to be killed')
    await live.exited

    const orphaned = await leaderlessGroup()
    // Recorded later than the member started: not the group we started.
    killLeftoverGroups([recorded({ pgid: orphaned.pgid, startTicks: String(Number(orphaned.member.startTicks) + 1) })])
    expect(stillAlive(orphaned.member)).toBe(true)
    killLeftoverGroups([recorded(orphaned)])
    await eventually(() => !stillAlive(orphaned.member), 'the member to be killed')
  })

  it('leaves alone every group recorded in an earlier boot, even one led by a process with the very pid and start time recorded', async () => {
    // Both stand for strangers that got the recorded ids in this boot: a live group, and one whose leader is gone.
    const live = detachedGroup('sleep 1000 & wait')
    const members = await wholeGroup(live.pgid, 2)
    started.push(...members)
    const orphaned = await leaderlessGroup()

    killLeftoverGroups([recorded(live, earlierBoot), recorded(orphaned, earlierBoot)])
    expect([...members, orphaned.member].every(stillAlive)).toBe(true)
    // The same records of this boot: both are taken (the test could fail).
    killLeftoverGroups([recorded(live), recorded(orphaned)])
    await eventually(() => [...members, orphaned.member].every((p) => !stillAlive(p)), 'both groups to be killed')
  })

  it('gives a group recorded with no boot (before boots were recorded) only the strict rule: its leader must be the very process recorded', async () => {
    const live = detachedGroup('sleep 1000 & wait')
    const members = await wholeGroup(live.pgid, 2)
    started.push(...members)
    const orphaned = await leaderlessGroup()

    killLeftoverGroups([recorded(live, null), recorded(orphaned, null)])
    await eventually(() => members.every((p) => !stillAlive(p)), 'the group led by its recorded leader to be killed')
    expect(stillAlive(orphaned.member)).toBe(true)
  })

  it('takes a group whose leader is gone only if it is a session of its own, as every run\'s is (spawned detached): not a group a shell\'s job control made', async () => {
    // perl's setpgrp: a new group in this session (as an interactive shell makes one per pipeline), not a session.
    const jobControlled = await leaderlessGroup(() => spawn('perl', ['-e', 'setpgrp(0, 0); exec "/bin/sh", "-c", "sleep 1000 & echo started"'], { stdio: 'ignore' }))
    killLeftoverGroups([recorded(jobControlled)])
    expect(stillAlive(jobControlled.member)).toBe(true)
    // The same group made a session (setsid, as a run's) is taken: the test could fail.
    const session = await leaderlessGroup()
    killLeftoverGroups([recorded(session)])
    await eventually(() => !stillAlive(session.member), 'the session\'s member to be killed')
  })
})

describe('registries left by a reaper killed with its owner', () => {
  const namespace = /^pid:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/pid'))![1]!
  const thisBoot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replaceAll('-', '')
  const otherBoot = thisBoot.replace(/^./, (c) => (c === '0' ? '1' : '0'))
  /** A real group of two processes (a shell and its `sleep`), watched until the test ends. */
  const runningGroup = async () => {
    const group = detachedGroup('sleep 1000 & wait')
    started.push(...(await wholeGroup(group.pgid, 2)))
    return { ...group, members: groupMembers(group.pgid) }
  }
  /** A process that ran and is gone: its pid and start time as a registry directory's name would hold them. */
  const goneProcess = async (): Promise<ProcessIdentity> => {
    const child = spawn('sleep', ['1000'], { stdio: 'ignore' })
    const identity = { pid: child.pid!, startTicks: processStartTicks(child.pid!)! }
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    return identity
  }
  /** A registry directory `name` as a reaper leaves it, naming `groups`, with its reaper's identity if given (or that file's text). */
  const leftRegistry = (registryDir: string, name: string, groups: { pgid: number; startTicks: string }[], reaper?: ProcessIdentity | string) => {
    const dir = join(registryDir, name)
    mkdirSync(dir, { mode: 0o700 })
    writeFileSync(join(dir, 'groups'), groups.map((group) => `+ ${group.pgid} ${group.startTicks}\n`).join(''))
    if (reaper !== undefined) writeFileSync(join(dir, 'reaper'), typeof reaper === 'string' ? reaper : `${reaper.pid} ${reaper.startTicks}\n`)
    return dir
  }
  /** Kills an owner and its reaper together (a `kill -9` of their whole session): stopped first, the owner cannot start another reaper. */
  const killWithItsReaper = async (owner: ChildProcess, reaper: ProcessIdentity) => {
    process.kill(owner.pid!, 'SIGSTOP')
    process.kill(reaper.pid, 'SIGKILL')
    await eventually(() => !stillAlive(reaper), 'the reaper to die')
    owner.kill('SIGKILL')
    await eventually(() => owner.signalCode !== null, 'the owner to die')
  }
  const ownerName = (owner: ProcessIdentity, ns = namespace, { machine = thisMachine, boot = thisBoot } = {}) =>
    `taskdeck-reaper-${machine}-${boot}-${owner.pid}-${owner.startTicks}-${ns}-Ab12Cd`

  it('kill the groups it still names and go when the next reaper is made in that folder; a live owner\'s registry beside it stays, its group running', async () => {
    const registryDir = tempDir()
    const ownerIn = async () => {
      const owning = await churningOwner(0, registryDir)
      return { ...owning, reaper: await startedReaper(owning.child.pid!) }
    }
    const dead = await ownerIn()
    const registryOfDead = readdirSync(registryDir)
    const live = await ownerIn()
    await killWithItsReaper(dead.child, dead.reaper)
    expect(readdirSync(registryDir)).toHaveLength(2)
    expect(dead.group.every(stillAlive)).toBe(true)

    const next = new GroupReaper({ graceMs: 300, registryDir })
    await eventually(() => dead.group.every((p) => !stillAlive(p)), 'the dead owner\'s group to be killed')
    const left = readdirSync(registryDir)
    expect(left).toHaveLength(1)
    expect(registryOfDead).not.toContain(left[0])
    expect([...live.group, live.reaper].every(stillAlive)).toBe(true)
    next.dispose()
  })

  it('in an engine\'s data home are swept as the engine opens there, the groups they name killed (groups its database never heard of)', async () => {
    const home = tempDir()
    const dead = await churningOwner(0, home)
    await killWithItsReaper(dead.child, await startedReaper(dead.child.pid!))
    expect(readdirSync(home)).toEqual([expect.stringMatching(/^taskdeck-reaper-/)])
    expect(dead.group.every(stillAlive)).toBe(true)

    const engine = await openEngine({ home })
    try {
      await eventually(() => dead.group.every((p) => !stillAlive(p)), 'the group to be killed')
      expect(readdirSync(home).filter((name) => name.startsWith('taskdeck-reaper-'))).toEqual([])
    } finally {
      await engine.close()
    }
  })

  it('are taken only when provably stale: not while the reaper they name runs (or its identity is unreadable), nor from another pid namespace, a name without its owner, a link', async () => {
    const registryDir = tempDir()
    const gone = await goneProcess()
    const kept = [
      // Its owner gone, but its reaper still at work (it removes the registry itself).
      leftRegistry(registryDir, ownerName(gone), [await runningGroup()], { pid: process.pid, startTicks: processStartTicks(process.pid)! }),
      // Another namespace: its pids are not ours to judge.
      leftRegistry(registryDir, ownerName(gone, `${namespace}0`), [await runningGroup()]),
      // Named before owners were named: nothing proves its owner gone.
      leftRegistry(registryDir, 'taskdeck-reaper-Xy34Zw', [await runningGroup()]),
      // Its reaper's identity unreadable: nothing proves that reaper gone.
      leftRegistry(registryDir, ownerName(gone).replace('Ab12Cd', 'Ef34Gh'), [await runningGroup()], 'not-a-pid\n'),
    ]
    const linked = leftRegistry(tempDir(), 'target', [await runningGroup()])
    symlinkSync(linked, join(registryDir, ownerName(await goneProcess())))
    // The owner's pid runs again, but another process has it (this one): the owner is gone.
    const reused = await runningGroup()
    const stale = leftRegistry(registryDir, ownerName({ pid: process.pid, startTicks: String(Number(processStartTicks(process.pid)) + 1) }), [reused])
    const groupsBefore = started.length

    new GroupReaper({ graceMs: 300, registryDir }).dispose()
    await eventually(() => reused.members.every((p) => !stillAlive(p)), 'the stale registry\'s group to be killed')
    expect(existsSync(stale)).toBe(false)
    expect(kept.every((dir) => existsSync(join(dir, 'groups')))).toBe(true)
    expect(existsSync(join(linked, 'groups'))).toBe(true)
    const others = started.slice(0, groupsBefore).filter((p) => !reused.members.some((member) => member.pid === p.pid))
    expect(others.every(stillAlive)).toBe(true)
  })

  it('of an earlier boot are removed without killing anything; of another machine, or named without host and boot, are left alone', async () => {
    const registryDir = tempDir()
    // Each names a running group by its leader's true identity: a sweep that judged it by that alone would kill it.
    const group = await runningGroup()
    const gone = await goneProcess()
    const earlierBoot = leftRegistry(registryDir, ownerName(gone, namespace, { boot: otherBoot }), [group])
    const kept = [
      // Another machine sharing this folder (an NFS home): its owner and reaper may be at work there.
      leftRegistry(registryDir, ownerName(gone, namespace, { machine: `${hostname()}x.${machineId ?? '0'.repeat(32)}`, boot: otherBoot }), [group]),
      // Named by pid, start time and pid namespace only: these repeat across boots and machines.
      leftRegistry(registryDir, `taskdeck-reaper-${gone.pid}-${gone.startTicks}-${namespace}-Ab12Cd`, [group]),
    ]

    new GroupReaper({ graceMs: 300, registryDir }).dispose()
    // Without a machine id the name is the host name alone, which another machine's may share: then it stays.
    expect(existsSync(earlierBoot)).toBe(machineId === null)
    expect(kept.every((dir) => existsSync(join(dir, 'groups')))).toBe(true)
    expect(group.members.every(stillAlive)).toBe(true)
  })

  it.runIf(machineId !== null)('of another machine with this host name are left alone: a machine is named by its host name and machine id', async () => {
    const registryDir = tempDir()
    const group = await runningGroup()
    const gone = await goneProcess()
    const otherMachine = `${hostname()}.${machineId!.replace(/^./, (c) => (c === '0' ? '1' : '0'))}`
    // Its boot is not ours: judged by the host name alone it would be taken for an earlier boot of this machine and removed.
    const kept = leftRegistry(registryDir, ownerName(gone, namespace, { machine: otherMachine, boot: otherBoot }), [group])
    const removed = leftRegistry(registryDir, ownerName(gone, namespace, { boot: otherBoot }), [group])

    new GroupReaper({ graceMs: 300, registryDir }).dispose()
    expect(existsSync(join(kept, 'groups'))).toBe(true)
    expect(existsSync(removed)).toBe(false)
    expect(group.members.every(stillAlive)).toBe(true)
  })

  it('named by host name alone (before machine ids) are left alone if of another boot (maybe another machine\'s of that name, live), swept if of this boot and stale', async () => {
    const registryDir = tempDir()
    const group = await runningGroup()
    const gone = await goneProcess()
    // Another machine with this host name sharing the folder, running the older app: its boot is not ours.
    const otherBootsOrMachines = leftRegistry(registryDir, ownerName(gone, namespace, { machine: hostname(), boot: otherBoot }), [group])
    new GroupReaper({ graceMs: 300, registryDir }).dispose()
    expect(existsSync(join(otherBootsOrMachines, 'groups'))).toBe(true)
    expect(group.members.every(stillAlive)).toBe(true)

    const stale = leftRegistry(registryDir, ownerName(gone, namespace, { machine: hostname() }).replace('Ab12Cd', 'Ef34Gh'), [group])
    new GroupReaper({ graceMs: 300, registryDir }).dispose()
    expect(existsSync(join(otherBootsOrMachines, 'groups'))).toBe(true)
    expect(existsSync(stale)).toBe(false)
    await eventually(() => group.members.every((p) => !stillAlive(p)), 'the group the stale registry of this boot names to be killed')
  })

  it('kill a group only while its leader is the very process recorded: a group id whose leader is gone may be a stranger\'s by then', async () => {
    const registryDir = tempDir()
    const ours = await runningGroup()
    // The id of a group whose leader exited, now a group whose member started after the recorded leader did.
    const stranger = await leaderlessGroup()
    const stale = leftRegistry(registryDir, ownerName(await goneProcess()), [ours, stranger])

    new GroupReaper({ graceMs: 300, registryDir }).dispose()
    await eventually(() => ours.members.every((p) => !stillAlive(p)), 'the group still led by its recorded leader to be killed')
    expect(existsSync(stale)).toBe(false)
    expect(stillAlive(stranger.member)).toBe(true)
  })

  it.runIf(process.getuid?.() === 0)('are never taken from another user (a registry planted in a shared temporary folder)', async () => {
    const registryDir = tempDir()
    const group = await runningGroup()
    const planted = leftRegistry(registryDir, ownerName(await goneProcess()), [group])
    chownSync(planted, 65534, 65534)
    new GroupReaper({ graceMs: 300, registryDir }).dispose()
    expect(existsSync(join(planted, 'groups'))).toBe(true)
    expect(group.members.every(stillAlive)).toBe(true)
  })
})

describe('a worker\'s registry', () => {
  const HOUR_MS = 3_600_000

  it('is in the temporary folder, touched hourly while it watches a run, and no more once the worker closed', async () => {
    const temp = tempDir()
    const previousTemp = process.env.TMPDIR
    process.env.TMPDIR = temp
    // Only the touch's scheduling is faked: the touch itself changes the real files' times.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    try {
      const worker = workerRunners(1)
      const context = recordingContext()
      const run = worker.runners.shell!.start({ kind: 'shell', command: TREE_COMMAND }, context)
      await context.waitForOutput(/leader \d+/)
      started.push(...(await wholeGroup(run.pid!)))
      const [name, ...others] = readdirSync(temp)
      expect(others).toEqual([])
      const folder = join(temp, name!)
      const registry = join(folder, 'groups')
      const longAgo = new Date(Date.now() - 30 * 24 * HOUR_MS)
      const reaperIdentity = join(folder, 'reaper')
      const ageBack = () => [registry, reaperIdentity, folder].forEach((path) => utimesSync(path, longAgo, longAgo))
      const touchedSince = (time: number) => [registry, reaperIdentity, folder].every((path) => statSync(path).mtimeMs >= time - 1000)
      ageBack()
      vi.advanceTimersByTime(HOUR_MS - 1)
      expect(touchedSince(longAgo.getTime() + HOUR_MS)).toBe(false)
      const beforeTouch = Date.now()
      vi.advanceTimersByTime(1)
      expect(touchedSince(beforeTouch)).toBe(true)

      context.controller.abort()
      await run.done
      await worker.close()
      await eventually(() => !existsSync(folder), 'the reaper to remove its registry as the worker closed')
      expect(vi.getTimerCount()).toBe(0)
      // Put back as it was: nothing touches it any more.
      mkdirSync(folder)
      writeFileSync(registry, '')
      writeFileSync(reaperIdentity, '')
      ageBack()
      vi.advanceTimersByTime(2 * HOUR_MS)
      expect(touchedSince(longAgo.getTime() + HOUR_MS)).toBe(false)
    } finally {
      vi.useRealTimers()
      if (previousTemp === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = previousTemp
    }
  })
})
