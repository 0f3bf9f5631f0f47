import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Where Linux lists the machine's power supplies. */
export const POWER_SUPPLY_DIR = '/sys/class/power_supply'

/** The supply types that feed the machine from outside: mains adapters and USB (USB, USB_C, USB_PD… on older kernels). */
const isExternal = (type: string) => type === 'Mains' || type.startsWith('USB')
/** The types that power the machine while it is unplugged. */
const isBattery = (type: string) => type === 'Battery' || type === 'UPS'

/** A supply file's text, or null when the file does not exist; any other failure is thrown. */
function attribute(supply: string, name: string): string | null {
  try {
    return readFileSync(join(supply, name), 'utf8').trim()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/**
 * Is this machine on AC power, as Linux's sysfs power-supply class tells (`root` is that
 * folder)? true when a mains or USB supply is online, or when nothing says otherwise (a
 * machine with no battery at all runs on mains); false when a system battery (or UPS) is
 * discharging, or when the external supplies are all offline and a battery is there; null
 * when it cannot tell (no such folder, as on macOS and Windows, or a file that cannot be read).
 * Batteries of devices (`scope` Device: a wireless mouse's) say nothing about the machine.
 * The files are kernel attributes read in microseconds, so they are read synchronously.
 */
export function readAcPower(root: string = POWER_SUPPLY_DIR): boolean | null {
  try {
    let externalOnline = false
    let externalOffline = false
    let batteryPresent = false
    let discharging = false
    for (const name of readdirSync(root)) {
      const supply = join(root, name)
      if (attribute(supply, 'scope') === 'Device') continue
      const type = attribute(supply, 'type')
      if (type === null) return null
      if (isExternal(type)) {
        const online = attribute(supply, 'online')
        if (online === null) return null
        if (online === '1') externalOnline = true
        else externalOffline = true
      } else if (isBattery(type)) {
        if (attribute(supply, 'present') === '0') continue
        batteryPresent = true
        if (attribute(supply, 'status') === 'Discharging') discharging = true
      }
    }
    if (externalOnline) return true
    if (discharging) return false
    return !(externalOffline && batteryPresent)
  } catch {
    return null
  }
}
