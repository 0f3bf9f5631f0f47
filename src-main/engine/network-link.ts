import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Where Linux lists the machine's network interfaces. */
export const NET_CLASS_DIR = '/sys/class/net'

/** An interface's `operstate` (RFC 2863: up, down, dormant, lowerlayerdown, notpresent, testing, unknown), or null when unreadable. */
function operstate(root: string, name: string): string | null {
  try {
    return readFileSync(join(root, name, 'operstate'), 'utf8').trim()
  } catch {
    return null
  }
}

/**
 * Is the network reachable, as Linux's sysfs net class tells (`root` is that folder)? true
 * when an interface that matters is up (`operstate` "up": a cable plugged, a Wi-Fi network
 * joined), false when none is; null when it cannot tell (no such folder, as on macOS and
 * Windows, or nothing readable). The interfaces that matter are the machine's own devices
 * (those with a `device` link); where there are none (a container, whose eth0 is a virtual
 * pair) every interface but loopback counts. Virtual interfaces beside real ones (docker
 * bridges, veth pairs, ifb) are ignored: a docker bridge says nothing of the Wi-Fi. A link
 * up is not proof that the internet answers, but it is what changes when a cable or a
 * network goes, read without privileges or a child process, in microseconds.
 */
export function readNetworkOnline(root: string = NET_CLASS_DIR): boolean | null {
  let names: string[]
  try {
    names = readdirSync(root).filter((name) => name !== 'lo')
  } catch {
    return null
  }
  const devices = names.filter((name) => existsSync(join(root, name, 'device')))
  const states = (devices.length > 0 ? devices : names).map((name) => operstate(root, name)).filter((state) => state !== null)
  if (states.length === 0) return null
  return states.includes('up')
}
