import { describe, expect, it } from 'vitest'
import {
  machineOf,
  meteredFromConnectionCost,
  meteredFromNetworkManager,
  NETWORK_POLL_MS,
  networkWatchFor,
  nextCheckMs,
  nextIdleCheckMs,
  POWER_POLL_MS,
  POWER_SAFETY_POLL_MS,
  powerWatchFor,
  reportFor,
  RETURN_CHECK_MS,
  unmetConditions,
  userIdle,
  WINDOWS_NETWORK_POLL_MS,
  type MachineObservation,
} from '../../src-shared/decisions/machine.ts'

const seen = (over: Partial<MachineObservation> = {}): MachineObservation => ({ onBattery: false, idleSeconds: 0, locked: false, ...over })

describe('machine report decisions', () => {
  it('counts the user away after idleAfterMinutes without input, or at once when the screen is locked', () => {
    expect(userIdle(seen({ idleSeconds: 599 }), 10)).toBe(false)
    expect(userIdle(seen({ idleSeconds: 600 }), 10)).toBe(true)
    expect(userIdle(seen({ idleSeconds: 600 }), 11)).toBe(false)
    expect(userIdle(seen({ idleSeconds: 0, locked: true }), 10)).toBe(true)
  })

  it('reports AC power as the opposite of on battery', () => {
    expect(machineOf(seen({ onBattery: true }), 10)).toEqual({ onAcPower: false, userIdle: false })
    expect(machineOf(seen({ onBattery: false, locked: true }), 10)).toEqual({ onAcPower: true, userIdle: true })
    expect(machineOf(seen({ onBattery: null }), 10)).toEqual({ onAcPower: null, userIdle: false })
  })

  it('sends everything first, then only what changed, and nothing when nothing did', () => {
    const present = { onAcPower: true, userIdle: false }
    expect(reportFor(null, present)).toEqual({ onAcPower: true, userIdle: false })
    expect(reportFor(present, present)).toBeNull()
    expect(reportFor(present, { onAcPower: false, userIdle: false })).toEqual({ onAcPower: false })
    expect(reportFor(present, { onAcPower: true, userIdle: true })).toEqual({ userIdle: true })
    expect(reportFor(present, { onAcPower: false, userIdle: true })).toEqual({ onAcPower: false, userIdle: true })
  })

  it('never sends a power source it does not watch, not even the first time', () => {
    const away = { onAcPower: null, userIdle: true }
    expect(reportFor(null, away)).toEqual({ userIdle: true })
    expect(reportFor(away, away)).toBeNull()
    expect(reportFor(away, { onAcPower: null, userIdle: false })).toEqual({ userIdle: false })
  })

  it('takes the power source from sysfs on Linux, polls Electron on Windows, relies on its events on macOS with a slow re-read', () => {
    expect(powerWatchFor('linux')).toEqual({ source: 'system' })
    expect(powerWatchFor('win32')).toEqual({ source: 'power-monitor', pollMs: POWER_POLL_MS })
    expect(powerWatchFor('darwin')).toEqual({ source: 'power-monitor', pollMs: POWER_SAFETY_POLL_MS })
    expect(POWER_POLL_MS).toBe(5_000)
    // The next look comes at the idle check or the power poll, whichever is sooner.
    expect(nextCheckMs(seen({ onBattery: null }), 10, powerWatchFor('linux'))).toBe(600_000)
    expect(nextCheckMs(seen(), 10, powerWatchFor('win32'))).toBe(POWER_POLL_MS)
    expect(nextCheckMs(seen(), 10, powerWatchFor('darwin'))).toBe(POWER_SAFETY_POLL_MS)
    expect(nextCheckMs(seen({ idleSeconds: 590 }), 10, powerWatchFor('darwin'))).toBe(10_000)
  })

  it('looks at the idle time again when the user could first be away, and often while they are away', () => {
    expect(nextIdleCheckMs(seen({ idleSeconds: 0 }), 10)).toBe(600_000)
    expect(nextIdleCheckMs(seen({ idleSeconds: 540 }), 10)).toBe(60_000)
    // Never a busy loop, even at the edge.
    expect(nextIdleCheckMs(seen({ idleSeconds: 599.8 }), 10)).toBe(1_000)
    expect(nextIdleCheckMs(seen({ idleSeconds: 600 }), 10)).toBe(RETURN_CHECK_MS)
    expect(nextIdleCheckMs(seen({ locked: true }), 10)).toBe(RETURN_CHECK_MS)
  })
})

describe('network decisions', () => {
  it('reads NetworkManager on Linux, the connection cost through PowerShell on Windows (four times less often), nothing on macOS', () => {
    expect(networkWatchFor('linux')).toEqual({ source: 'networkmanager', pollMs: NETWORK_POLL_MS })
    expect(networkWatchFor('win32')).toEqual({ source: 'windows-connection-cost', pollMs: WINDOWS_NETWORK_POLL_MS })
    expect(networkWatchFor('darwin')).toEqual({ source: 'none' })
    expect([NETWORK_POLL_MS, WINDOWS_NETWORK_POLL_MS]).toEqual([15_000, 60_000])
  })

  it("maps NetworkManager's NMMetered: yes and guess-yes metered, no and guess-no not, unknown or out of range unknown", () => {
    expect([0, 1, 2, 3, 4, 5, -1].map(meteredFromNetworkManager)).toEqual([null, true, false, true, false, null, null])
  })

  it("maps Windows' connection cost: Unrestricted not metered, Fixed and Variable metered, roaming or over the limit metered whatever the type, anything else unknown", () => {
    const cases: [string, boolean | null][] = [
      ['Unrestricted False False\r\n', false],
      ['Fixed False False', true],
      ['Variable False False\n', true],
      ['Unrestricted True False', true],
      ['Unrestricted False True', true],
      ['Unknown False False', null],
      ['Unknown True False', true],
      ['', null],
      ['unrestricted False False', null],
    ]
    expect(cases.map(([printed]) => meteredFromConnectionCost(printed))).toEqual(cases.map(([, metered]) => metered))
  })

  it('judges unmetered-network by networkMetered alone: metered unmet, unknown or absent (an older server) met', () => {
    const machine = { onAcPower: true, userIdle: true }
    expect(unmetConditions(['unmetered-network'], { ...machine, networkMetered: true })).toEqual(['unmetered-network'])
    expect(unmetConditions(['unmetered-network'], { ...machine, networkMetered: false })).toEqual([])
    expect(unmetConditions(['unmetered-network'], { ...machine, networkMetered: null })).toEqual([])
    expect(unmetConditions(['unmetered-network', 'user-idle'], machine)).toEqual([])
    expect(unmetConditions(['user-idle', 'unmetered-network', 'ac-power'], { onAcPower: false, userIdle: false, networkMetered: true })).toEqual(['user-idle', 'unmetered-network', 'ac-power'])
  })
})
