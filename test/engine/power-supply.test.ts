import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readAcPower, steadyAcPowerReader } from '../../src-main/engine/power-supply.ts'

/** The sysfs power-supply reader on real files, in a temp folder shaped like /sys/class/power_supply. */
let root: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'taskdeck-power-'))
})
afterEach(() => {
  chmodSync(root, 0o700)
  rmSync(root, { recursive: true, force: true })
})

function supply(name: string, attributes: Record<string, string>): string {
  const dir = join(root, name)
  mkdirSync(dir)
  for (const [file, text] of Object.entries(attributes)) writeFileSync(join(dir, file), `${text}\n`)
  return dir
}

describe('readAcPower (Linux sysfs power supplies)', () => {
  it('a laptop plugged in: the mains adapter is online', () => {
    supply('AC', { type: 'Mains', online: '1' })
    supply('BAT0', { type: 'Battery', status: 'Charging', present: '1', scope: 'System' })
    expect(readAcPower(root)).toBe(true)
  })

  it('a laptop unplugged: the adapter is offline and the battery discharges', () => {
    supply('ADP1', { type: 'Mains', online: '0' })
    supply('BAT0', { type: 'Battery', status: 'Discharging' })
    expect(readAcPower(root)).toBe(false)
  })

  it('the adapter offline with a full battery (not discharging yet) is still on battery', () => {
    supply('AC', { type: 'Mains', online: '0' })
    supply('BAT0', { type: 'Battery', status: 'Full' })
    expect(readAcPower(root)).toBe(false)
  })

  it('a USB-C charger counts as external power', () => {
    supply('ucsi-source-psy-USBC000:001', { type: 'USB', online: '1' })
    supply('BAT0', { type: 'Battery', status: 'Discharging' })
    expect(readAcPower(root)).toBe(true)
  })

  it('only a battery, discharging: on battery; charging or full: on AC', () => {
    const battery = supply('BAT1', { type: 'Battery', status: 'Discharging' })
    expect(readAcPower(root)).toBe(false)
    writeFileSync(join(battery, 'status'), 'Charging\n')
    expect(readAcPower(root)).toBe(true)
    writeFileSync(join(battery, 'status'), 'Full\n')
    expect(readAcPower(root)).toBe(true)
  })

  it('no supplies at all (a desktop, a server): on AC; a device battery (a wireless mouse) changes nothing', () => {
    expect(readAcPower(root)).toBe(true)
    supply('hidpp_battery_0', { type: 'Battery', status: 'Discharging', scope: 'Device' })
    expect(readAcPower(root)).toBe(true)
  })

  it('a USB-PD PPS charger (online 2, "Online Programmable" in the kernel ABI) is external power', () => {
    supply('tcpm-source-psy-4-0022', { type: 'USB', online: '2' })
    supply('BAT0', { type: 'Battery', status: 'Charging' })
    expect(readAcPower(root)).toBe(true)
  })

  it('a supply that vanished after the listing (a dangling link, as in sysfs) is skipped and the others decide', () => {
    supply('AC', { type: 'Mains', online: '0' })
    supply('BAT0', { type: 'Battery', status: 'Discharging' })
    symlinkSync(join(root, 'gone', 'hidpp_battery_0'), join(root, 'hidpp_battery_0'))
    expect(readAcPower(root)).toBe(false)
    writeFileSync(join(root, 'AC', 'online'), '1\n')
    expect(readAcPower(root)).toBe(true)
  })

  it('a supply that cannot be read is skipped: the readable ones decide', () => {
    supply('AC', { type: 'Mains', online: '0' })
    supply('BAT0', { type: 'Battery', status: 'Discharging' })
    // A read that fails for another reason than absence (EISDIR, which root gets too).
    const usb = supply('ucsi-source-psy-USBC000:001', { type: 'USB' })
    mkdirSync(join(usb, 'online'))
    expect(readAcPower(root)).toBe(false)
    // A supply without its attributes is skipped too.
    supply('weird', {})
    expect(readAcPower(root)).toBe(false)
  })

  it('unknown when it cannot tell: no such folder, not a folder, an unreadable folder, no supply readable', () => {
    expect(readAcPower(join(root, 'missing'))).toBeNull()
    const ac = supply('AC', { type: 'Mains', online: '1' })
    expect(readAcPower(join(ac, 'type'))).toBeNull()
    rmSync(join(ac, 'online'))
    mkdirSync(join(ac, 'online'))
    expect(readAcPower(root)).toBeNull()
    rmSync(join(ac, 'online'), { recursive: true })
    expect(readAcPower(root)).toBeNull()
    supply('weird', {})
    expect(readAcPower(root)).toBeNull()
    writeFileSync(join(ac, 'online'), '1\n')
    expect(readAcPower(root)).toBe(true)
    // Root reads any folder: only a non-root user sees the refusal.
    if (process.getuid?.() !== 0) {
      chmodSync(root, 0o000)
      expect(readAcPower(root)).toBeNull()
    }
  })
})

describe('steadyAcPowerReader (what a poller reports)', () => {
  it('keeps a known reading through one unknown poll and turns unknown only on the second in a row', () => {
    supply('AC', { type: 'Mains', online: '0' })
    supply('BAT0', { type: 'Battery', status: 'Discharging' })
    const read = steadyAcPowerReader(root, null)
    expect(read()).toBe(false)
    const hidden = `${root}-hidden`
    renameSync(root, hidden)
    try {
      expect(read()).toBe(false)
      expect(read()).toBeNull()
      expect(read()).toBeNull()
    } finally {
      renameSync(hidden, root)
    }
    expect(read()).toBe(false)
    // One unknown poll between two known ones changes nothing; the count starts again after a known one.
    renameSync(root, hidden)
    try {
      expect(read()).toBe(false)
    } finally {
      renameSync(hidden, root)
    }
    writeFileSync(join(root, 'AC', 'online'), '1\n')
    expect(read()).toBe(true)
    renameSync(root, hidden)
    try {
      expect(read()).toBe(true)
    } finally {
      renameSync(hidden, root)
    }
  })

  it('starts from what its owner knows, and unknown stays unknown until a reading', () => {
    expect(steadyAcPowerReader(join(root, 'missing'), true)()).toBe(true)
    const read = steadyAcPowerReader(join(root, 'missing'), null)
    expect(read()).toBeNull()
  })
})
