import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readAcPower } from '../../src-main/engine/power-supply.ts'

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

  it('unknown when it cannot tell: no such folder, an unreadable folder or file, a supply without its attributes', () => {
    expect(readAcPower(join(root, 'missing'))).toBeNull()
    const ac = supply('AC', { type: 'Mains', online: '1' })
    chmodSync(join(ac, 'online'), 0o000)
    // Root reads any file: only a non-root user sees the refusal.
    if (process.getuid?.() !== 0) expect(readAcPower(root)).toBeNull()
    chmodSync(join(ac, 'online'), 0o644)
    expect(readAcPower(root)).toBe(true)
    // A read that fails for another reason than absence (here EISDIR, which root gets too).
    rmSync(join(ac, 'online'))
    mkdirSync(join(ac, 'online'))
    expect(readAcPower(root)).toBeNull()
    rmSync(join(ac, 'online'), { recursive: true })
    expect(readAcPower(root)).toBeNull()
    const notAFolder = join(root, 'AC', 'type')
    expect(readAcPower(notAFolder)).toBeNull()
    rmSync(ac, { recursive: true })
    supply('weird', {})
    expect(readAcPower(root)).toBeNull()
    rmSync(join(root, 'weird'), { recursive: true })
    if (process.getuid?.() !== 0) {
      chmodSync(root, 0o000)
      expect(readAcPower(root)).toBeNull()
    }
  })
})
