import { execFile } from 'node:child_process'
import { meteredFromConnectionCost, meteredFromNetworkManager, type NetworkWatch } from '../../src-shared/decisions/machine.ts'

/**
 * Is this machine's network metered? Asked of the system through a short-lived child
 * (execFile, no shell, a hard timeout). Hand-written rather than a D-Bus library: the one
 * property needed is one busctl call, and the Node D-Bus clients (dbus-next) are unmaintained
 * and would add a long-lived connection for a value read a few times a minute.
 */

/** How long one look may take before it counts as unknown (the child is killed). */
const NETWORK_READ_TIMEOUT_MS = 3_000
/** PowerShell's own start can take seconds on a busy Windows machine. */
const WINDOWS_READ_TIMEOUT_MS = 10_000

const NM = ['org.freedesktop.NetworkManager', '/org/freedesktop/NetworkManager'] as const

/** What a child printed, or why it could not run: `missing` when the program is not installed. */
type ChildResult = { kind: 'printed'; stdout: string } | { kind: 'missing' } | { kind: 'failed' }

export interface NetworkReadOptions {
  /** The environment the child sees (its PATH finds busctl); default process.env. */
  env?: NodeJS.ProcessEnv
  /** Kills a look under way (the monitor is disposed). */
  signal?: AbortSignal
}

function run(file: string, args: readonly string[], timeoutMs: number, options: NetworkReadOptions): Promise<ChildResult> {
  return new Promise((resolve) => {
    const childOptions = { timeout: timeoutMs, env: options.env ?? process.env, windowsHide: true, maxBuffer: 64 * 1024, ...(options.signal ? { signal: options.signal } : {}) }
    execFile(file, args, childOptions, (error, stdout) => {
      if (error === null) resolve({ kind: 'printed', stdout })
      else resolve({ kind: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'failed' })
    })
  })
}

/** busctl prints a property as its D-Bus signature and value (`u 4`). */
const BUSCTL_VALUE = /^u (\d+)$/m
/** dbus-send --print-reply prints the variant's value as `uint32 4`. */
const DBUS_SEND_VALUE = /\buint32 (\d+)\b/

/**
 * NetworkManager's global `Metered` (see `meteredFromNetworkManager`) through busctl, or
 * dbus-send on a machine without systemd's busctl; null when neither is installed, the system
 * bus or NetworkManager is not there (a server, a container, another network daemon), the
 * call times out, or the answer is not a number.
 */
export async function readNetworkManagerMetered(options: NetworkReadOptions = {}): Promise<boolean | null> {
  const busctl = await run('busctl', ['--system', 'get-property', ...NM, 'org.freedesktop.NetworkManager', 'Metered'], NETWORK_READ_TIMEOUT_MS, options)
  if (busctl.kind === 'printed') return meteredIn(busctl.stdout, BUSCTL_VALUE)
  if (busctl.kind === 'failed') return null
  const dbusSend = await run(
    'dbus-send',
    ['--system', '--print-reply', `--dest=${NM[0]}`, NM[1], 'org.freedesktop.DBus.Properties.Get', 'string:org.freedesktop.NetworkManager', 'string:Metered'],
    NETWORK_READ_TIMEOUT_MS,
    options,
  )
  return dbusSend.kind === 'printed' ? meteredIn(dbusSend.stdout, DBUS_SEND_VALUE) : null
}

function meteredIn(stdout: string, pattern: RegExp): boolean | null {
  const value = pattern.exec(stdout)?.[1]
  return value === undefined ? null : meteredFromNetworkManager(Number(value))
}

/**
 * Windows PowerShell 5.1 (on every Windows 10 and 11) loads WinRT types by this name; it
 * prints the cost type, roaming and over-the-limit (`Fixed False False`), or nothing when there
 * is no internet profile (offline).
 */
const WINDOWS_COST_SCRIPT =
  '$p = [Windows.Networking.Connectivity.NetworkInformation, Windows.Networking.Connectivity, ContentType = WindowsRuntime]::GetInternetConnectionProfile(); ' +
  'if ($p) { $c = $p.GetConnectionCost(); "$($c.NetworkCostType) $($c.Roaming) $($c.OverDataLimit)" }'

/** The internet connection profile's cost (see `meteredFromConnectionCost`); null when PowerShell fails or says nothing. */
async function readWindowsConnectionMetered(options: NetworkReadOptions = {}): Promise<boolean | null> {
  const result = await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', WINDOWS_COST_SCRIPT], WINDOWS_READ_TIMEOUT_MS, options)
  return result.kind === 'printed' ? meteredFromConnectionCost(result.stdout) : null
}

/** The reader for a platform's NetworkWatch; null where nothing can be read (macOS). */
export function networkReaderFor(watch: NetworkWatch, env?: NodeJS.ProcessEnv): ((signal?: AbortSignal) => Promise<boolean | null>) | null {
  const options = (signal: AbortSignal | undefined): NetworkReadOptions => ({ ...(env ? { env } : {}), ...(signal ? { signal } : {}) })
  switch (watch.source) {
    case 'networkmanager':
      return (signal) => readNetworkManagerMetered(options(signal))
    case 'windows-connection-cost':
      return (signal) => readWindowsConnectionMetered(options(signal))
    case 'none':
      return null
  }
}
