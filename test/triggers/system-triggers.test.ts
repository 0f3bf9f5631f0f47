import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { asyncScheduler } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openRuntime, type TaskdeckRuntime } from '../../src-main/app/runtime.ts'
import { MachineMonitor, runtimeMachineOptions } from '../../src-main/desktop/machine.ts'
import { readNetworkOnline } from '../../src-main/engine/network-link.ts'
import { knownFactsOf, settledSystemEvents, systemEventsOf, type SystemOccurrence } from '../../src-main/triggers/system.ts'
import { powerWatchFor } from '../../src-shared/decisions/machine.ts'
import { COMMANDS, type CommandInput, type CommandResult, type EngineEvent, type Firing, type MachineState } from '../../src-shared/index.ts'
import { FakePowerMonitor } from '../desktop/fake-electron.ts'
import { useTempHome } from '../support/engine.ts'
import { useWorld } from '../support/world.ts'
import { TestClock, argv } from './helpers.ts'

const machine = (state: Partial<MachineState>): MachineState => ({ onAcPower: null, userIdle: null, at: 0, ...state })

describe('system events from machine states (pure)', () => {
  it('tells a change from one known value to the other; a first reading, or unknown in between, is no event', () => {
    let known = knownFactsOf(machine({ onAcPower: true }))
    const seen: string[] = []
    for (const state of [
      machine({ onAcPower: true, online: true, at: 1 }), // first reading of the network: nothing changed that anyone saw
      machine({ onAcPower: null, online: true, at: 2 }), // power unknown for a while
      machine({ onAcPower: true, online: false, at: 3 }), // power as before: no event; network down
      machine({ onAcPower: false, online: false, screenLocked: true, userIdle: false, at: 4 }),
      machine({ onAcPower: false, online: true, screenLocked: false, userIdle: true, at: 5 }),
    ]) {
      const next = systemEventsOf(known, state)
      known = next.known
      seen.push(...next.events.map((e) => `${e.at}:${e.event}`))
    }
    expect(seen).toEqual(['3:offline', '4:battery', '5:unlock', '5:online', '5:idle'])
  })

  it('tells each new wake and sleep once, with how long the machine slept', () => {
    const start = knownFactsOf(machine({ lastWake: { at: 5, sleptMs: null } }))
    expect(systemEventsOf(start, machine({ lastWake: { at: 5, sleptMs: null } })).events).toEqual([])
    const woke = systemEventsOf(start, machine({ lastSleep: { at: 8 }, lastWake: { at: 90, sleptMs: 80 } }))
    expect(woke.events).toEqual([
      { event: 'sleep', at: 8 },
      { event: 'wake', at: 90, sleptMs: 80 },
    ])
    expect(systemEventsOf(woke.known, machine({ lastSleep: { at: 8 }, lastWake: { at: 90, sleptMs: 80 } })).events).toEqual([])
  })

  it('settles a flapping state into one event of the state it ended in; a wake fires at once and its repeats are dropped', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ cold, expectObservable }) => {
      const o = (event: SystemOccurrence['event']): SystemOccurrence => ({ event, at: 0 })
      const values = { d: o('offline'), u: o('online'), w: o('wake'), b: o('battery') }
      // offline, online, offline within 3 ms of each other, then quiet: one offline at the end; the power is not this trigger's.
      const source$ = cold('d-u-d-b------u-----w-w---w', values)
      const settled$ = source$.pipe(settledSystemEvents({ events: ['offline', 'wake'], debounceMs: 3 }, asyncScheduler))
      expectObservable(settled$).toBe('-------x-----------y-----z', {
        x: { ...o('offline'), changes: 3 },
        y: { ...o('wake'), changes: 1 },
        z: { ...o('wake'), changes: 1 },
      })
    })
  })
})

describe('reading the network links from sysfs', () => {
  const dirs = useTempHome()
  const link = (root: string, name: string, state: string, device: boolean) => {
    mkdirSync(join(root, name, ...(device ? ['device'] : [])), { recursive: true })
    writeFileSync(join(root, name, 'operstate'), `${state}\n`)
  }

  it("is online when one of the machine's own devices is up; virtual links beside them say nothing", () => {
    const root = dirs.anotherHome()
    link(root, 'lo', 'unknown', false)
    link(root, 'docker0', 'up', false)
    link(root, 'wlan0', 'down', true)
    expect(readNetworkOnline(root)).toBe(false)
    link(root, 'eth0', 'up', true)
    expect(readNetworkOnline(root)).toBe(true)
  })

  it('counts every link but loopback where there are no devices (a container), and cannot tell without the folder', () => {
    const root = dirs.anotherHome()
    link(root, 'lo', 'unknown', false)
    link(root, 'eth0', 'up', false)
    expect(readNetworkOnline(root)).toBe(true)
    expect(readNetworkOnline(join(root, 'missing'))).toBeNull()
  })
})

describe('system triggers on the real engine', () => {
  let clock: TestClock
  const world = useWorld(() => {
    clock = new TestClock(Date.parse('2026-03-02T10:00:00Z'))
    return { clock }
  })
  /** A report, and its `machine.updated` heard (transient events are announced on the next turn). */
  const report = async (params: CommandInput<'machine.report'>) => {
    await world.engine.handlers['machine.report'](COMMANDS['machine.report'].params.parse(params))
    await new Promise((resolve) => setImmediate(resolve))
  }

  async function systemTrigger(events: string[], debounceMs: number) {
    const { savedTask } = await world.call('savedTask.create', { name: 'on system', definition: argv('sh', '-c', 'printf %s "$TASKDECK_SYSTEM_EVENT"') })
    return (await world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'system', events, debounceMs } } as never })).trigger
  }

  it('fires once for a flapping network, with the state it settled in, and records the cause', async () => {
    const trigger = await systemTrigger(['offline'], 2000)
    await report({ online: true })
    await report({ online: false })
    await report({ online: true })
    await report({ online: false })
    clock.advance(1999)
    expect(world.log.firings(trigger.id)).toEqual([])
    clock.advance(1)
    const [firing] = await world.log.untilFirings(1, trigger.id)
    expect(firing).toMatchObject({ cause: 'system', outcome: 'submitted', detail: { event: 'offline', changes: 3 } })
    expect(await world.log.untilFinished(firing!.taskId!)).toBe('succeeded')
    // The task is told what happened.
    const run = (await world.engine.handlers['task.get']({ taskId: firing!.taskId! })).runs[0]!
    const log = await world.engine.handlers['run.readLog']({ runId: run.id, fromLine: 0, count: 10 })
    expect(log.lines.map((line) => line.text)).toEqual(['offline'])
    // A flap that ends where it began online fires nothing for a trigger on offline.
    await report({ online: true })
    await report({ online: false })
    await report({ online: true })
    clock.advance(5000)
    await world.engine.handlers['machine.get']({})
    expect(world.log.firings(trigger.id)).toHaveLength(1)
  })

  it('fires on a reported wake at once, with how long the machine slept; a second report of the same wake starts nothing', async () => {
    const trigger = await systemTrigger(['wake'], 10_000)
    await report({ event: 'wake', sleptMs: 3_600_000 })
    const [firing] = await world.log.untilFirings(1, trigger.id)
    expect(firing).toMatchObject({ cause: 'system', detail: { event: 'wake', sleptMs: 3_600_000 } })
    await report({ event: 'wake' })
    clock.advance(10_001)
    await report({ event: 'wake' })
    const firings = await world.log.untilFirings(2, trigger.id)
    expect(firings.map(({ detail: { at: _at, ...rest } }) => rest)).toEqual([{ event: 'wake', sleptMs: 3_600_000 }, { event: 'wake' }])
    expect((await world.engine.handlers['machine.get']({})).machine.lastWake?.sleptMs).toBeNull()
  })

  it('a paused trigger fires nothing; power and presence changes fire their events', async () => {
    const trigger = await systemTrigger(['battery', 'active'], 0)
    await report({ onAcPower: true, userIdle: true })
    await world.call('trigger.pause', { triggerId: trigger.id })
    await report({ onAcPower: false })
    clock.advance(10)
    await world.call('trigger.resume', { triggerId: trigger.id })
    await report({ onAcPower: true })
    await report({ onAcPower: false })
    clock.advance(1)
    await world.log.untilFirings(1, trigger.id)
    await report({ userIdle: false })
    clock.advance(1)
    const firings = await world.log.untilFirings(2, trigger.id)
    expect(firings.map((f) => f.detail.event)).toEqual(['battery', 'active'])
  })

  it('exports and imports a system trigger like any other', async () => {
    const trigger = await systemTrigger(['lock', 'unlock'], 1500)
    const document = await world.call('trigger.export', {})
    expect(document.triggers).toEqual([expect.objectContaining({ spec: { kind: 'system', events: ['lock', 'unlock'], debounceMs: 1500 } })])
    const again = await world.call('trigger.import', { document })
    expect(again.triggers).toEqual([{ from: trigger.id, to: trigger.id, existed: true }])
    await world.call('trigger.remove', { triggerId: trigger.id })
    const imported = await world.call('trigger.import', { document })
    const { triggers } = await world.call('trigger.list', {})
    expect(triggers.find((t) => t.id === imported.triggers[0]!.to)?.spec).toEqual({ kind: 'system', events: ['lock', 'unlock'], debounceMs: 1500 })
  })

  it('refuses a spec without events, or naming one twice or one it does not know, by name', async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'x', definition: argv('true') })
    const create = async (events: unknown) => world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'system', events } } as never })
    await expect(create([])).rejects.toThrow(/name at least one event/)
    await expect(create(['wake', 'wake'])).rejects.toThrow(/names an event twice/)
    await expect(create(['resume'])).rejects.toThrow(/resume.{0,2} is not one of wake, sleep/)
  })
})

describe('the runtime watches for what system triggers need, only while they need it', () => {
  const dirs = useTempHome()
  let runtime: TaskdeckRuntime | null = null
  afterEach(async () => {
    await runtime?.close()
    runtime = null
  })
  const rendererDir = () => join(dirs.home, 'no-renderer')

  async function events(api: TaskdeckRuntime['api'], until: (events: EngineEvent[]) => boolean): Promise<EngineEvent[]> {
    const seen: EngineEvent[] = []
    let subscription: { dispose(): void } | null = null
    await new Promise<void>((resolve) => {
      subscription = api.subscribe(0, (batch) => {
        seen.push(...batch)
        if (until(seen)) resolve()
      })
    })
    subscription!.dispose()
    return seen
  }
  const call = <N extends keyof typeof COMMANDS>(name: N, params: CommandInput<N>): Promise<CommandResult<N>> => {
    const handler = (runtime!.api.handlers as Record<string, unknown>)[name] as (p: unknown) => Promise<CommandResult<N>>
    return handler(COMMANDS[name].params.parse(params))
  }
  const firingsOf = (seen: EngineEvent[], triggerId: number): Firing[] => seen.flatMap((e) => (e.type === 'trigger.fired' && e.firing.triggerId === triggerId ? [e.firing] : []))
  async function addTrigger(events: string[]) {
    const created = await call('trigger.create', { trigger: { spec: { kind: 'system', events, debounceMs: 0 } } as never, savedTask: { name: 'x', definition: argv('true') } })
    return created.trigger
  }

  it('tells a wake in `taskdeck serve` by a clock that counts sleep jumping ahead of the monotonic one', async () => {
    let slept = 0
    let looks = 0
    // The monitor reads the sleep-counting clock first, then the monotonic one: both from one reading of the time.
    let monotonic = 0
    const sleepClocks = {
      withSleep: () => {
        looks++
        monotonic = performance.now()
        return monotonic + slept
      },
      monotonic: () => monotonic,
    }
    runtime = await openRuntime({ home: dirs.home, rendererDir: rendererDir(), sleepClocks, wakePollMs: 10, machineMonitor: 'none', networkWatch: { source: 'none' } })
    await new Promise((resolve) => setTimeout(resolve, 50))
    // No trigger waits for a wake: the clocks are not even read.
    expect(looks).toBe(0)
    const trigger = await addTrigger(['wake'])
    const fired = events(runtime.api, (seen) => firingsOf(seen, trigger.id).length > 0)
    slept = 90 * 60_000
    const seen = await fired
    expect(firingsOf(seen, trigger.id)[0]).toMatchObject({ cause: 'system', detail: { event: 'wake', sleptMs: 90 * 60_000 } })
    await call('trigger.remove', { triggerId: trigger.id })
    const after = looks
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(looks).toBe(after)
  })

  it('reads the network links from sysfs while an online/offline trigger exists, and fires when the cable goes', async () => {
    const net = dirs.anotherHome()
    mkdirSync(join(net, 'eth0', 'device'), { recursive: true })
    writeFileSync(join(net, 'eth0', 'operstate'), 'up\n')
    runtime = await openRuntime({ home: dirs.home, rendererDir: rendererDir(), netClassDir: net, linkPollMs: 10, machineMonitor: 'none', networkWatch: { source: 'none' } })
    expect((await call('machine.get', {})).machine.online ?? null).toBeNull()
    const trigger = await addTrigger(['offline'])
    await vi.waitFor(async () => expect((await call('machine.get', {})).machine.online).toBe(true))
    const fired = events(runtime.api, (seen) => firingsOf(seen, trigger.id).length > 0)
    writeFileSync(join(net, 'eth0', 'operstate'), 'down\n')
    expect(firingsOf(await fired, trigger.id)[0]).toMatchObject({ cause: 'system', detail: { event: 'offline' } })
    await call('trigger.pause', { triggerId: trigger.id })
    // Not watched any more: no longer current, so unknown.
    await vi.waitFor(async () => expect((await call('machine.get', {})).machine.online).toBeNull())
  })

  it('fires on the power source read from a fake /sys power-supply folder', async () => {
    const supplies = dirs.anotherHome()
    const plug = (plugged: boolean) => {
      for (const [name, type] of [['AC', 'Mains'], ['BAT0', 'Battery']] as const) {
        mkdirSync(join(supplies, name), { recursive: true })
        writeFileSync(join(supplies, name, 'type'), `${type}\n`)
      }
      writeFileSync(join(supplies, 'AC', 'online'), plugged ? '1\n' : '0\n')
      writeFileSync(join(supplies, 'BAT0', 'status'), plugged ? 'Charging\n' : 'Discharging\n')
    }
    plug(true)
    runtime = await openRuntime({ home: dirs.home, rendererDir: rendererDir(), powerSupplyDir: supplies, powerPollMs: 10, networkWatch: { source: 'none' } })
    const trigger = await addTrigger(['battery', 'ac-power'])
    const fired = events(runtime.api, (seen) => firingsOf(seen, trigger.id).length >= 2)
    plug(false)
    await vi.waitFor(async () => expect((await call('machine.get', {})).machine.onAcPower).toBe(false))
    plug(true)
    expect(firingsOf(await fired, trigger.id).map((f) => f.detail.event)).toEqual(['battery', 'ac-power'])
  })

  it("maps the desktop's power monitor events (suspend, resume, lock) to reports that fire triggers", async () => {
    const powerMonitor = new FakePowerMonitor('darwin')
    runtime = await openRuntime({ home: dirs.home, rendererDir: rendererDir(), ...runtimeMachineOptions(powerWatchFor('darwin'), powerMonitor, { source: 'none' }) })
    const reports: unknown[] = []
    const api = runtime.api
    const desktop = new MachineMonitor({
      powerMonitor,
      platform: 'darwin',
      report: (r) => {
        reports.push(r)
        return api.handlers['machine.report'](r)
      },
      setTimer: () => ({ cancel: () => undefined }),
      log: () => undefined,
    })
    desktop.apply(10)
    const trigger = await addTrigger(['sleep', 'wake', 'lock'])
    const fired = events(api, (seen) => firingsOf(seen, trigger.id).length >= 3)
    powerMonitor.lock()
    powerMonitor.suspend()
    powerMonitor.wake(false)
    const firings = firingsOf(await fired, trigger.id)
    expect(firings.map((f) => f.detail.event).sort()).toEqual(['lock', 'sleep', 'wake'])
    expect(reports).toEqual(expect.arrayContaining([{ screenLocked: true }, { event: 'sleep' }, { event: 'wake' }]))
    desktop.dispose()
  })
})
