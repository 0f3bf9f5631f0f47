import { existsSync, readdirSync, readFileSync } from 'node:fs'
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

/** What one supply says about the machine's power (silent: nothing); null when it cannot be read. */
type SupplyReading = { kind: 'external'; online: boolean } | { kind: 'battery'; discharging: boolean } | { kind: 'silent' }

function readSupply(supply: string): SupplyReading | null {
  try {
    if (attribute(supply, 'scope') === 'Device') return { kind: 'silent' }
    const type = attribute(supply, 'type')
    // No type: the supply vanished between the listing and this read (a Bluetooth device
    // disconnecting), which says nothing, or its folder lacks the attribute: unreadable.
    if (type === null) return existsSync(supply) ? null : { kind: 'silent' }
    if (isExternal(type)) {
      const online = attribute(supply, 'online')
      if (online === null) return null
      // The kernel ABI (sysfs-class-power): 0 Offline, 1 Online Fixed, 2 Online Programmable (USB-PD PPS).
      return { kind: 'external', online: online !== '0' }
    }
    if (isBattery(type)) {
      if (attribute(supply, 'present') === '0') return { kind: 'silent' }
      return { kind: 'battery', discharging: attribute(supply, 'status') === 'Discharging' }
    }
    return { kind: 'silent' }
  } catch {
    return null
  }
}

/**
 * Is this machine on AC power, as Linux's sysfs power-supply class tells (`root` is that
 * folder)? true when a mains or USB supply is online (`online` 1 or 2), or when nothing says
 * otherwise (a machine with no battery at all runs on mains); false when a system battery
 * (or UPS) is discharging, or when the external supplies are all offline and a battery is
 * there. A supply that vanished or cannot be read is skipped and the others decide, so one
 * flaky device does not blind the whole reading; null when it cannot tell at all (no such
 * folder, as on macOS and Windows, or no listed supply could be read).
 * Batteries of devices (`scope` Device: a wireless mouse's) say nothing about the machine.
 * The files are kernel attributes read in microseconds, so they are read synchronously.
 */
export function readAcPower(root: string = POWER_SUPPLY_DIR): boolean | null {
  let names: string[]
  try {
    names = readdirSync(root)
  } catch {
    return null
  }
  let externalOnline = false
  let externalOffline = false
  let batteryPresent = false
  let discharging = false
  let readable = 0
  for (const name of names) {
    const reading = readSupply(join(root, name))
    if (reading === null) continue
    readable += 1
    if (reading.kind === 'external') {
      if (reading.online) externalOnline = true
      else externalOffline = true
    } else if (reading.kind === 'battery') {
      batteryPresent = true
      if (reading.discharging) discharging = true
    }
  }
  if (names.length > 0 && readable === 0) return null
  if (externalOnline) return true
  if (discharging) return false
  return !(externalOffline && batteryPresent)
}

/**
 * readAcPower for a poller: a known reading is replaced by unknown only when the reading
 * stays unknown on two polls in a row, so one unlucky read (a file mid-update, every supply
 * briefly unreadable) does not make ac-power groups start and held runs resume for a poll.
 * `initial` is what the poller's owner already knows (null: nothing yet). The headless
 * machine monitor (src-main/app/machine-monitor.ts) calls the returned function on each poll.
 */
export function steadyAcPowerReader(root: string, initial: boolean | null): () => boolean | null {
  const steady = steadyReading(initial)
  return () => steady(readAcPower(root))
}

/**
 * The rule every machine poller follows (power here, the network in network-cost.ts): each
 * reading goes in, what to hold the state for comes out; a known state turns unknown only
 * after two unknown readings in a row. `initial`: what is already known.
 */
export function steadyReading(initial: boolean | null): (reading: boolean | null) => boolean | null {
  let known = initial
  let unknownBefore = false
  return (reading) => {
    if (reading !== null) known = reading
    else if (unknownBefore) known = null
    unknownBefore = reading === null
    return known
  }
}
