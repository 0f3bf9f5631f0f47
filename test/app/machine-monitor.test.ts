import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startSystemMonitor } from '../../src-main/app/machine-monitor.ts'
import { openRuntime, type TaskdeckRuntime } from '../../src-main/app/runtime.ts'
import { MachineMonitor, runtimeMachineOptions } from '../../src-main/desktop/machine.ts'
import type { Disposable } from '../../src-main/engine/api.ts'
import { readAcPower } from '../../src-main/engine/power-supply.ts'
import { powerWatchFor } from '../../src-shared/decisions/machine.ts'
import { TaskDefinitionSchema } from '../../src-shared/index.ts'
import { FakePowerMonitor } from '../desktop/fake-electron.ts'
import { useTempHome } from '../support/engine.ts'
import { RUNTIME_OPENERS } from '../support/runtime.ts'

/** The headless machine monitor: real sysfs-shaped files in a temp folder, a real engine. */
const dir = useTempHome()
let runtime: TaskdeckRuntime | null = null
let monitor: Disposable | null = null
afterEach(async () => {
  monitor?.dispose()
  monitor = null
  await runtime?.close()
  runtime = null
})

/** A laptop's supplies: the adapter online or not, the battery discharging when unplugged. */
function laptop(root: string, plugged: boolean): void {
  for (const [name, type] of [
    ['AC', 'Mains'],
    ['BAT0', 'Battery'],
  ] as const) {
    mkdirSync(join(root, name), { recursive: true })
    writeFileSync(join(root, name, 'type'), `${type}\n`)
  }
  writeFileSync(join(root, 'AC', 'online'), plugged ? '1\n' : '0\n')
  writeFileSync(join(root, 'BAT0', 'status'), plugged ? 'Charging\n' : 'Discharging\n')
}

const shellTrue = (group: string) => TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: 'true' }, group })

// In this thread (taskdeck serve) and in a worker thread (the desktop app): the monitors run where the engine runs.
describe.each(RUNTIME_OPENERS)('%s', (_where, openRuntime) => {
  describe('the runtime reads the power source itself (taskdeck serve, the daemon)', () => {
    it("'system' (the default) starts from what the power supplies say, so a gated group's task waits from the first moment", async () => {
      const supplies = dir.anotherHome()
      laptop(supplies, false)
      runtime = await openRuntime({ home: dir.home, rendererDir: join(dir.home, 'no-renderer'), powerSupplyDir: supplies })
      const api = runtime.api
      expect((await api.handlers['machine.get']({})).machine).toMatchObject({ onAcPower: false, userIdle: null })
      await api.handlers['group.set']({ name: 'mains', parallel: 1, onlyWhen: ['ac-power'] })
      const { task } = await api.handlers['task.submit']({ definition: shellTrue('mains') })
      const loop = await api.handlers['engine.loop']({})
      expect(loop.waiting.find((entry) => entry.taskId === task.id)?.state).toEqual({ kind: 'machine', unmet: ['ac-power'] })
      // A report (here by hand) goes through the same path.
      await api.handlers['machine.report']({ onAcPower: true })
      await vi.waitFor(async () => expect((await api.handlers['task.get']({ taskId: task.id })).task.status).toBe('succeeded'))
    })

    it("'none' leaves the machine to the opener's reports (the desktop app), starting from what it gives", async () => {
      const supplies = dir.anotherHome()
      laptop(supplies, false)
      runtime = await openRuntime({ home: dir.home, rendererDir: join(dir.home, 'no-renderer'), powerSupplyDir: supplies, machineMonitor: 'none', machine: { userIdle: false } })
      expect((await runtime.api.handlers['machine.get']({})).machine).toMatchObject({ onAcPower: null, userIdle: false })
    })
  })

  describe('the desktop app on Linux: the runtime reads the power source, the app reports presence', () => {
    it('keeps what sysfs says of the power source while the app reports the user away and back', async () => {
      const supplies = dir.anotherHome()
      laptop(supplies, false)
      // Electron on Linux: isOnBatteryPower() is a stub saying false, no power events.
      const powerMonitor = new FakePowerMonitor('linux')
      runtime = await openRuntime({ home: dir.home, rendererDir: join(dir.home, 'no-renderer'), powerSupplyDir: supplies, ...runtimeMachineOptions(powerWatchFor('linux'), powerMonitor, { source: 'none' }) })
      const api = runtime.api
      const reports: Promise<unknown>[] = []
      const desktop = new MachineMonitor({
        powerMonitor,
        platform: 'linux',
        report: (report) => {
          const reported = api.handlers['machine.report'](report)
          reports.push(reported)
          return reported
        },
        setTimer: (run, ms) => {
          const timer = setTimeout(run, ms)
          return { cancel: () => clearTimeout(timer) }
        },
        log: () => undefined,
      })
      monitor = { dispose: () => desktop.dispose() }
      desktop.apply(10)
      const machine = async () => (await api.handlers['machine.get']({})).machine
      // The app's first report (userIdle only) leaves the power source as sysfs said: on battery, not Electron's "AC".
      expect(reports).toHaveLength(1)
      await Promise.all(reports)
      expect(await machine()).toMatchObject({ onAcPower: false, userIdle: false })
      powerMonitor.idleSeconds = 180
      desktop.apply(3)
      expect(reports).toHaveLength(2)
      await Promise.all(reports)
      expect(await machine()).toMatchObject({ onAcPower: false, userIdle: true })
    })
  })
})

describe('startSystemMonitor', () => {
  it('reports a change of the power source through machine.report, and only a change, so a state reported by hand stands', async () => {
    const supplies = dir.anotherHome()
    laptop(supplies, true)
    runtime = await openRuntime({ home: dir.home, rendererDir: join(dir.home, 'no-renderer'), machineMonitor: 'none' })
    const api = runtime.api
    const reported: (boolean | null | undefined)[] = []
    const report: typeof api.handlers['machine.report'] = (state) => {
      reported.push(state.onAcPower)
      return api.handlers['machine.report'](state)
    }
    monitor = startSystemMonitor({ powerSupplyDir: supplies, initial: readAcPower(supplies), report, intervalMs: 20 })
    laptop(supplies, false)
    await vi.waitFor(async () => expect((await api.handlers['machine.get']({})).machine.onAcPower).toBe(false))
    laptop(supplies, true)
    await vi.waitFor(async () => expect((await api.handlers['machine.get']({})).machine.onAcPower).toBe(true))
    expect(reported).toEqual([false, true])
    // Someone says "battery" by hand: it stands across polls while the supplies stay as they are.
    await api.handlers['machine.report']({ onAcPower: false })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await api.handlers['machine.get']({})).machine.onAcPower).toBe(false)
    expect(reported).toEqual([false, true])
    // Until the supplies really change.
    laptop(supplies, false)
    await vi.waitFor(() => expect(reported).toEqual([false, true, false]))
  })

  it('tells the engine again at the next poll when a report fails, so it is not left with a stale power source', async () => {
    const supplies = dir.anotherHome()
    laptop(supplies, true)
    runtime = await openRuntime({ home: dir.home, rendererDir: join(dir.home, 'no-renderer'), machineMonitor: 'none' })
    const api = runtime.api
    const attempts: (boolean | null | undefined)[] = []
    const report: typeof api.handlers['machine.report'] = (state) => {
      attempts.push(state.onAcPower)
      return attempts.length === 1 ? Promise.reject(new Error('the engine is busy')) : api.handlers['machine.report'](state)
    }
    monitor = startSystemMonitor({ powerSupplyDir: supplies, initial: readAcPower(supplies), report, intervalMs: 20 })
    laptop(supplies, false)
    await vi.waitFor(async () => expect((await api.handlers['machine.get']({})).machine.onAcPower).toBe(false))
    expect(attempts).toEqual([false, false])
  })
})
