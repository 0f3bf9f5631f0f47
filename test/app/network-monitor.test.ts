import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startNetworkMonitor } from '../../src-main/app/machine-monitor.ts'
import { openRuntime, type TaskdeckRuntime } from '../../src-main/app/runtime.ts'
import type { Disposable } from '../../src-main/engine/api.ts'
import { networkReaderFor, readNetworkManagerMetered } from '../../src-main/engine/network-cost.ts'
import { networkWatchFor } from '../../src-shared/decisions/machine.ts'
import { TaskDefinitionSchema } from '../../src-shared/index.ts'
import { useTempHome } from '../support/engine.ts'
import { RUNTIME_OPENERS } from '../support/runtime.ts'

/**
 * Whether the network is metered, read as the headless runtime reads it: real child processes
 * of stand-in `busctl` / `dbus-send` executables on a PATH of their own (as sysfs fixture
 * folders stand in for the power supplies), a real engine.
 */
const dir = useTempHome()
let runtime: TaskdeckRuntime | null = null
let monitor: Disposable | null = null
afterEach(async () => {
  monitor?.dispose()
  monitor = null
  await runtime?.close()
  runtime = null
})

/** NetworkManager as a stand-in tool sees it: `value` is its Metered number, or 'fail' (no NetworkManager on the bus). */
interface StandIn {
  env: NodeJS.ProcessEnv
  /** 'gate': answers only once `open(value)` is called. */
  set(value: number | 'fail' | 'hang' | 'gate'): void
  open(value: number): void
  /** The arguments of every call, one line each. */
  calls(): string[]
}

/** Only shell built-ins: the PATH holds nothing but the stand-in. */
function standIn(tool: 'busctl' | 'dbus-send'): StandIn {
  const bin = dir.anotherHome()
  const print = tool === 'busctl' ? 'echo "u $value"' : 'echo "method return time=1.0 sender=:1.5 -> destination=:1.9 serial=7 reply_serial=2"; echo "   variant       uint32 $value"'
  writeFileSync(
    join(bin, tool),
    [
      '#!/bin/sh',
      'here="${0%/*}"',
      'echo "$*" >> "$here/calls"',
      'read -r value < "$here/metered"',
      'if [ "$value" = fail ]; then echo "Failed to get property Metered: The name is not activatable" >&2; exit 1; fi',
      'if [ "$value" = hang ]; then echo "$$" > "$here/pid"; exec /bin/sleep 60; fi',
      // One answer through the gate; later looks read it from the file.
      'if [ "$value" = gate ]; then read -r value < "$here/gate"; echo "$value" > "$here/metered"; fi',
      print,
      '',
    ].join('\n'),
  )
  chmodSync(join(bin, tool), 0o755)
  return {
    env: { PATH: bin },
    set: (value) => {
      if (value === 'gate') execFileSync('mkfifo', [join(bin, 'gate')])
      writeFileSync(join(bin, 'metered'), `${value}\n`)
    },
    // Opening a FIFO for writing waits for its reader: the stand-in is already blocked reading it.
    open: (value) => writeFileSync(join(bin, 'gate'), `${value}\n`),
    calls: () => (existsSync(join(bin, 'calls')) ? readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n') : []),
  }
}

const shellTrue = (group: string) => TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: 'true' }, group })

describe("reading NetworkManager's Metered property", () => {
  it('asks busctl for the global property and maps yes and guess-yes to metered, no and guess-no to unmetered, unknown to null', async () => {
    const nm = standIn('busctl')
    const seen: (boolean | null)[] = []
    for (const value of [0, 1, 2, 3, 4, 9]) {
      nm.set(value)
      seen.push(await readNetworkManagerMetered({ env: nm.env }))
    }
    expect(seen).toEqual([null, true, false, true, false, null])
    expect(nm.calls()[0]).toBe('--system get-property org.freedesktop.NetworkManager /org/freedesktop/NetworkManager org.freedesktop.NetworkManager Metered')
  })

  it('is unknown when NetworkManager is not on the bus (busctl fails) and does not try dbus-send then', async () => {
    const nm = standIn('busctl')
    nm.set('fail')
    expect(await readNetworkManagerMetered({ env: nm.env })).toBeNull()
    expect(nm.calls()).toHaveLength(1)
  })

  it('asks dbus-send where busctl is not installed, and is unknown when neither is', async () => {
    const nm = standIn('dbus-send')
    nm.set(1)
    expect(await readNetworkManagerMetered({ env: nm.env })).toBe(true)
    nm.set(4)
    expect(await readNetworkManagerMetered({ env: nm.env })).toBe(false)
    expect(nm.calls()[0]).toBe(
      '--system --print-reply --dest=org.freedesktop.NetworkManager /org/freedesktop/NetworkManager org.freedesktop.DBus.Properties.Get string:org.freedesktop.NetworkManager string:Metered',
    )
    expect(await readNetworkManagerMetered({ env: { PATH: dir.anotherHome() } })).toBeNull()
  })

  it('kills a look under way when asked (the monitor is disposed): unknown, and no child left behind', async () => {
    const nm = standIn('busctl')
    nm.set('hang')
    const stop = new AbortController()
    const reading = readNetworkManagerMetered({ env: nm.env, signal: stop.signal })
    const pidFile = join(nm.env.PATH!, 'pid')
    await vi.waitFor(() => expect(existsSync(pidFile)).toBe(true))
    const pid = Number(readFileSync(pidFile, 'utf8'))
    stop.abort()
    expect(await reading).toBeNull()
    await vi.waitFor(() => expect(alive(pid)).toBe(false))
  })

  it("reads Windows' connection cost from a PowerShell child: Unrestricted unmetered, Variable or roaming metered, nothing printed (offline) unknown", async () => {
    const bin = dir.anotherHome()
    const powershell = join(bin, 'powershell.exe')
    const answer = (text: string) => {
      writeFileSync(powershell, `#!/bin/sh\necho "$*" > "\${0%/*}/calls"\nprintf '${text}'\n`)
      chmodSync(powershell, 0o755)
    }
    const read = networkReaderFor(networkWatchFor('win32'), { PATH: bin })!
    answer('Unrestricted False False\\r\\n')
    expect(await read()).toBe(false)
    expect(readFileSync(join(bin, 'calls'), 'utf8')).toMatch(/^-NoProfile -NonInteractive -Command .*GetInternetConnectionProfile\(\).*NetworkCostType\) \$\(\$c\.Roaming\) \$\(\$c\.OverDataLimit\)"/)
    answer('Variable False False\\r\\n')
    expect(await read()).toBe(true)
    answer('Unrestricted True False\\r\\n')
    expect(await read()).toBe(true)
    answer('')
    expect(await read()).toBeNull()
  })

  it('macOS has no reader (unknown), Linux reads NetworkManager', () => {
    expect(networkReaderFor(networkWatchFor('darwin'))).toBeNull()
    expect(networkReaderFor(networkWatchFor('linux'))).toBeTypeOf('function')
  })
})

// In this thread (taskdeck serve) and in a worker thread (the desktop app): the monitors run where the engine runs.
describe.each(RUNTIME_OPENERS)('%s', (_where, openRuntime) => {
  describe('the runtime reads the network itself (taskdeck serve, the daemon, the desktop app)', () => {
    const rendererDir = () => join(dir.home, 'no-renderer')
    /** A poll this fast lets a test see several looks; the default is 15 s. */
    const fastWatch = { source: 'networkmanager', pollMs: 20 } as const
    const open = (nm: StandIn) => openRuntime({ home: dir.home, rendererDir: rendererDir(), machineMonitor: 'none', networkReadEnv: nm.env, networkWatch: fastWatch })
    const stateOf = async (taskId: number) => (await runtime!.api.handlers['engine.loop']({})).waiting.find((entry) => entry.taskId === taskId)?.state
    const machine = async () => (await runtime!.api.handlers['machine.get']({})).machine
    /** The groups, made by an earlier runtime that reads no network. */
    async function groupsBeforehand(groups: { name: string; onlyWhen: ('unmetered-network' | 'ac-power')[]; whenUnmet?: 'wait' | 'pause' }[]) {
      const before = await openRuntime({ home: dir.home, rendererDir: rendererDir(), machineMonitor: 'none', networkWatch: { source: 'none' } })
      for (const group of groups) await before.api.handlers['group.set']({ parallel: 1, ...group })
      await before.close()
    }

    it("an unmetered-network group's task waits on a hotspot from the first moment, and runs once the network is unmetered", async () => {
      const nm = standIn('busctl')
      nm.set(3)
      runtime = await open(nm)
      const api = runtime.api
      await api.handlers['group.set']({ name: 'downloads', onlyWhen: ['unmetered-network'] })
      const { task } = await api.handlers['task.submit']({ definition: shellTrue('downloads') })
      expect(await stateOf(task.id)).toEqual({ kind: 'machine', unmet: ['unmetered-network'] })
      await vi.waitFor(async () => expect(await machine()).toMatchObject({ networkMetered: true }))
      expect((await machine()).pending).toBeUndefined()
      nm.set(2)
      await vi.waitFor(async () => expect((await api.handlers['task.get']({ taskId: task.id })).task.status).toBe('succeeded'))
    })

    it('opens at once, and holds only the groups that need the network until its first look answers', async () => {
      await groupsBeforehand([{ name: 'downloads', onlyWhen: ['unmetered-network'] }])
      const nm = standIn('busctl')
      nm.set('gate')
      runtime = await open(nm)
      const api = runtime.api
      expect((await machine()).pending).toEqual(['unmetered-network'])
      const held = (await api.handlers['task.submit']({ definition: shellTrue('downloads') })).task
      const free = (await api.handlers['task.submit']({ definition: shellTrue('default') })).task
      // The look is under way (blocked): a group without the condition runs meanwhile, the other waits for it.
      await vi.waitFor(async () => expect((await api.handlers['task.get']({ taskId: free.id })).task.status).toBe('succeeded'))
      expect(nm.calls()).toHaveLength(1)
      expect((await api.handlers['task.get']({ taskId: held.id })).task.status).toBe('queued')
      expect(await stateOf(held.id)).toEqual({ kind: 'machine', unmet: ['unmetered-network'] })
      nm.open(2)
      await vi.waitFor(async () => expect((await api.handlers['task.get']({ taskId: held.id })).task.status).toBe('succeeded'))
      expect(await machine()).toMatchObject({ networkMetered: false })
      expect((await machine()).pending).toBeUndefined()
    })

    it('a first look that cannot tell (no NetworkManager) releases the groups: unknown counts as met', async () => {
      await groupsBeforehand([{ name: 'downloads', onlyWhen: ['unmetered-network'] }])
      const nm = standIn('busctl')
      nm.set('fail')
      runtime = await open(nm)
      const { task } = await runtime.api.handlers['task.submit']({ definition: shellTrue('downloads') })
      await vi.waitFor(async () => expect((await runtime!.api.handlers['task.get']({ taskId: task.id })).task.status).toBe('succeeded'))
      expect((await machine()).networkMetered).toBeNull()
      expect((await machine()).pending).toBeUndefined()
    })

    it('looks only while some group needs the network: not at all before, from the moment one does, and no more (the look under way killed) once none does', async () => {
      const nm = standIn('busctl')
      nm.set(2)
      runtime = await open(nm)
      const api = runtime.api
      const { task } = await api.handlers['task.submit']({ definition: shellTrue('default') })
      await vi.waitFor(async () => expect((await api.handlers['task.get']({ taskId: task.id })).task.status).toBe('succeeded'))
      expect(nm.calls()).toEqual([])
      // Not watched: said as such, not as a reading.
      expect(await machine()).toMatchObject({ networkMetered: null, pending: ['unmetered-network'] })

      await api.handlers['group.set']({ name: 'downloads', onlyWhen: ['unmetered-network', 'ac-power'] })
      await vi.waitFor(async () => expect(await machine()).toMatchObject({ networkMetered: false }))
      expect((await machine()).pending).toBeUndefined()
      await vi.waitFor(() => expect(nm.calls().length).toBeGreaterThan(2))

      nm.set('hang')
      const pidFile = join(nm.env.PATH!, 'pid')
      await vi.waitFor(() => expect(existsSync(pidFile)).toBe(true))
      const pid = Number(readFileSync(pidFile, 'utf8'))
      await api.handlers['group.set']({ name: 'downloads', onlyWhen: ['ac-power'] })
      await vi.waitFor(() => expect(alive(pid)).toBe(false))
      expect((await machine()).pending).toEqual(['unmetered-network'])
      const looks = nm.calls().length
      // Another group needing the network starts the looks again; until the first answers, it waits.
      nm.set(1)
      await api.handlers['group.set']({ name: 'mirror', onlyWhen: ['unmetered-network'] })
      await vi.waitFor(async () => expect(await machine()).toMatchObject({ networkMetered: true }))
      expect(nm.calls().length).toBeGreaterThan(looks)
      await api.handlers['group.remove']({ name: 'mirror' })
      expect((await machine()).pending).toEqual(['unmetered-network'])
    })

    it('a state reported by hand stands when the looks begin and cannot tell, or read what they read before', async () => {
      const nm = standIn('busctl')
      nm.set('fail')
      runtime = await open(nm)
      const api = runtime.api
      // A script of the user's says what NetworkManager cannot, before any group needs the network.
      await api.handlers['machine.report']({ networkMetered: true })
      expect((await machine()).pending).toBeUndefined()
      await api.handlers['group.set']({ name: 'downloads', onlyWhen: ['unmetered-network'] })
      await vi.waitFor(async () => expect((await machine()).pending).toBeUndefined())
      await vi.waitFor(() => expect(nm.calls().length).toBeGreaterThan(2))
      expect((await machine()).networkMetered).toBe(true)
      // Not watched for a while, said again by hand, watched again: it still stands.
      await api.handlers['group.set']({ name: 'downloads', onlyWhen: [] })
      await api.handlers['machine.report']({ networkMetered: false })
      const looks = nm.calls().length
      await api.handlers['group.set']({ name: 'downloads', onlyWhen: ['unmetered-network'] })
      await vi.waitFor(async () => expect((await machine()).pending).toBeUndefined())
      await vi.waitFor(() => expect(nm.calls().length).toBeGreaterThan(looks + 2))
      expect((await machine()).networkMetered).toBe(false)
    })

    it('does not look at all when the engine cannot open', async () => {
      writeFileSync(join(dir.home, 'taskdeck.db'), 'not a database, '.repeat(512))
      const nm = standIn('busctl')
      nm.set('hang')
      await expect(openRuntime({ home: dir.home, rendererDir: rendererDir(), machineMonitor: 'none', networkReadEnv: nm.env })).rejects.toThrow()
      expect(nm.calls()).toEqual([])
    })

    it('after a restart, a pausing group held on a metered network starts nothing before the first look, and runs once unmetered', async () => {
      const nm = standIn('busctl')
      nm.set(1)
      runtime = await open(nm)
      await runtime.api.handlers['group.set']({ name: 'sync', onlyWhen: ['unmetered-network'], whenUnmet: 'pause' })
      const { task } = await runtime.api.handlers['task.submit']({ definition: shellTrue('sync') })
      await vi.waitFor(async () => expect(await machine()).toMatchObject({ networkMetered: true }))
      await runtime.close()
      runtime = null

      const looked = nm.calls().length
      nm.set('gate')
      runtime = await open(nm)
      await vi.waitFor(() => expect(nm.calls().length).toBeGreaterThan(looked))
      // The look is blocked: the task was held before the restart and still is.
      expect(await stateOf(task.id)).toEqual({ kind: 'machine', unmet: ['unmetered-network'] })
      expect((await machine()).pending).toEqual(['unmetered-network'])
      nm.open(1)
      await vi.waitFor(async () => expect(await machine()).toMatchObject({ networkMetered: true }))
      expect((await runtime.api.handlers['task.get']({ taskId: task.id })).task.status).toBe('queued')
      nm.set(4)
      await vi.waitFor(async () => expect((await runtime!.api.handlers['task.get']({ taskId: task.id })).task.status).toBe('succeeded'))
    })

    it("{ source: 'none' } reads nothing: the network stays unknown", async () => {
      const nm = standIn('busctl')
      nm.set(1)
      runtime = await openRuntime({ home: dir.home, rendererDir: rendererDir(), machineMonitor: 'none', networkWatch: { source: 'none' }, networkReadEnv: nm.env })
      await runtime.api.handlers['group.set']({ name: 'downloads', onlyWhen: ['unmetered-network'] })
      const { machine } = await runtime.api.handlers['machine.get']({})
      expect(machine.networkMetered).toBeNull()
      expect(machine.pending).toBeUndefined()
      expect(nm.calls()).toEqual([])
    })
  })
})

describe('startNetworkMonitor', () => {
  async function quietRuntime() {
    runtime = await openRuntime({ home: dir.home, rendererDir: join(dir.home, 'no-renderer'), machineMonitor: 'none', networkWatch: { source: 'none' } })
    return runtime.api
  }
  const networkMetered = async () => (await runtime!.api.handlers['machine.get']({})).machine.networkMetered
  const current = () => null

  it('reports a change through machine.report, and only a change, so a state reported by hand stands', async () => {
    const api = await quietRuntime()
    const nm = standIn('busctl')
    nm.set(4)
    const reported: (boolean | null | undefined)[] = []
    const report: typeof api.handlers['machine.report'] = (state) => {
      reported.push(state.networkMetered)
      return api.handlers['machine.report'](state)
    }
    const network = startNetworkMonitor({ read: networkReaderFor(networkWatchFor('linux'), nm.env)!, current, report, intervalMs: 20 })
    monitor = network
    network.watch(true)
    await vi.waitFor(async () => expect(await networkMetered()).toBe(false))
    nm.set(1)
    await vi.waitFor(async () => expect(await networkMetered()).toBe(true))
    nm.set(2)
    await vi.waitFor(async () => expect(await networkMetered()).toBe(false))
    expect(reported).toEqual([false, true, false])
    // Someone says "metered" by hand: it stands across looks while NetworkManager says the same.
    await api.handlers['machine.report']({ networkMetered: true })
    const looked = nm.calls().length
    await vi.waitFor(() => expect(nm.calls().length).toBeGreaterThan(looked + 2))
    expect(await networkMetered()).toBe(true)
    expect(reported).toEqual([false, true, false])
    nm.set(3)
    await vi.waitFor(() => expect(reported).toEqual([false, true, false, true]))
  })

  it('keeps a known reading over one failed look, and turns unknown only after two in a row', async () => {
    const api = await quietRuntime()
    // Looks: metered, failed, metered, failed, failed (then failed on).
    const looks: (boolean | null)[] = [true, null, true, null, null]
    const reported: (boolean | null | undefined)[] = []
    const network = startNetworkMonitor({
      read: () => Promise.resolve(looks.shift() ?? null),
      current,
      report: (state) => {
        reported.push(state.networkMetered)
        return api.handlers['machine.report'](state)
      },
      intervalMs: 20,
    })
    monitor = network
    network.watch(true)
    await vi.waitFor(() => expect(reported).toEqual([true, null]))
    expect(looks).toEqual([])
    expect(await networkMetered()).toBeNull()
  })

  it('tells the engine again at the next look when a report fails', async () => {
    const api = await quietRuntime()
    const nm = standIn('busctl')
    nm.set(1)
    const attempts: (boolean | null | undefined)[] = []
    const report: typeof api.handlers['machine.report'] = (state) => {
      attempts.push(state.networkMetered)
      return attempts.length === 1 ? Promise.reject(new Error('the engine is busy')) : api.handlers['machine.report'](state)
    }
    const network = startNetworkMonitor({ read: networkReaderFor(networkWatchFor('linux'), nm.env)!, current, report, intervalMs: 20 })
    monitor = network
    network.watch(true)
    await vi.waitFor(async () => expect(await networkMetered()).toBe(true))
    expect(attempts).toEqual([true, true])
  })

  it('looks only while watching, and kills the look under way when told to stop or disposed', async () => {
    await quietRuntime()
    const nm = standIn('busctl')
    nm.set('hang')
    const network = startNetworkMonitor({ read: networkReaderFor(networkWatchFor('linux'), nm.env)!, current, report: () => Promise.reject(new Error('not reached')), intervalMs: 20 })
    monitor = network
    expect(nm.calls()).toEqual([])
    network.watch(true)
    const pidFile = join(nm.env.PATH!, 'pid')
    await vi.waitFor(() => expect(existsSync(pidFile)).toBe(true))
    const pid = Number(readFileSync(pidFile, 'utf8'))
    network.watch(false)
    await vi.waitFor(() => expect(alive(pid)).toBe(false))
    network.watch(true)
    await vi.waitFor(() => expect(nm.calls()).toHaveLength(2))
    await vi.waitFor(() => expect(Number(readFileSync(pidFile, 'utf8'))).not.toBe(pid))
    const second = Number(readFileSync(pidFile, 'utf8'))
    network.dispose()
    await vi.waitFor(() => expect(alive(second)).toBe(false))
    network.watch(true)
    expect(nm.calls()).toHaveLength(2)
  })
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
