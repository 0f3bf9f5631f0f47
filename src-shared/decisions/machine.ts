import type { MachineCondition } from '../model.ts'

/**
 * Power- and presence-aware scheduling, the desktop's half: what the power monitor saw
 * (on battery or not, seconds since the last input, the screen locked) becomes the
 * `machine.report` the engine judges groups' `onlyWhen` conditions by. Only changes are
 * sent, so a poll that sees nothing new costs the engine nothing.
 */

/**
 * Where the desktop app learns the power source on one platform. Electron's `powerMonitor`
 * differs by platform (its typings and Electron issue #29614): on Linux `isOnBatteryPower()`
 * is Chromium's stub (always false) and neither `on-ac` nor `on-battery` is sent, so the
 * power comes from the runtime's system monitor (sysfs) and the app reports only presence;
 * Windows sends `on-ac` but never `on-battery`, so `isOnBatteryPower()` is polled every
 * POWER_POLL_MS; macOS sends both, and a slow re-read is a safety net for one missed.
 */
export type PowerWatch = { source: 'system' } | { source: 'power-monitor'; pollMs: number }

/** How often Windows' power source is read (its events cannot be relied on): an unplugged laptop's groups hold within this long. */
export const POWER_POLL_MS = 5_000
/** macOS sends both power events; this re-read only bounds how long a missed one could go unnoticed. */
export const POWER_SAFETY_POLL_MS = 60_000

export function powerWatchFor(platform: string): PowerWatch {
  if (platform === 'linux') return { source: 'system' }
  if (platform === 'darwin') return { source: 'power-monitor', pollMs: POWER_SAFETY_POLL_MS }
  return { source: 'power-monitor', pollMs: POWER_POLL_MS }
}

/** The parameters of `machine.report` this monitor sends (both fields, or only the changed one; a power event's own report). */
export interface MachineReport {
  onAcPower?: boolean
  userIdle?: boolean
  screenLocked?: boolean
  event?: 'wake' | 'sleep'
}

/** The power monitor's events (Electron's `powerMonitor`); which a platform sends differs (see `powerWatchFor`). */
export type PowerEvent = 'on-ac' | 'on-battery' | 'lock-screen' | 'unlock-screen' | 'suspend' | 'resume'

/**
 * What a power event tells the engine by itself, for system triggers: the machine is about to
 * sleep or woke, the screen was locked or unlocked. Null for the power source's events, which
 * the monitor reads (`machineOf`) rather than trusts, since not every platform sends them.
 */
export function reportForPowerEvent(event: PowerEvent): MachineReport | null {
  switch (event) {
    case 'suspend':
      return { event: 'sleep' }
    case 'resume':
      return { event: 'wake' }
    case 'lock-screen':
      return { screenLocked: true }
    case 'unlock-screen':
      return { screenLocked: false }
    case 'on-ac':
    case 'on-battery':
      return null
  }
}

/** What the power monitor says at one moment. */
export interface MachineObservation {
  /** null where this monitor does not watch the power source (PowerWatch 'system'). */
  onBattery: boolean | null
  /** Seconds since the last keyboard or mouse input (Electron's `getSystemIdleTime`). */
  idleSeconds: number
  /** Between a 'lock-screen' and an 'unlock-screen': the user is away whatever the idle time says. */
  locked: boolean
}

/** What was last reported, to send only what changed. */
export interface ReportedMachine {
  /** null: not this monitor's to report (left out of every report). */
  onAcPower: boolean | null
  userIdle: boolean
}

/** While the user is away, how often to look for their return: they see their groups held (or paused) within this long. */
export const RETURN_CHECK_MS = 5_000

/** The user is away: the screen is locked, or there was no input for `idleAfterMinutes`. */
export function userIdle(observation: MachineObservation, idleAfterMinutes: number): boolean {
  return observation.locked || observation.idleSeconds >= idleAfterMinutes * 60
}

/** The machine as the engine should know it after this observation. */
export function machineOf(observation: MachineObservation, idleAfterMinutes: number): ReportedMachine {
  return { onAcPower: observation.onBattery === null ? null : !observation.onBattery, userIdle: userIdle(observation, idleAfterMinutes) }
}

/**
 * What to send after an observation: everything the first time (`last` null), then only
 * the fields that changed; null when nothing did. A power source this monitor does not
 * watch (null) is never sent, so it cannot overwrite what the system monitor reported.
 */
export function reportFor(last: ReportedMachine | null, next: ReportedMachine): MachineReport | null {
  const report: MachineReport = {}
  if (next.onAcPower !== null && next.onAcPower !== last?.onAcPower) report.onAcPower = next.onAcPower
  if (last === null) return { ...report, userIdle: next.userIdle }
  if (next.userIdle !== last.userIdle) report.userIdle = next.userIdle
  return Object.keys(report).length > 0 ? report : null
}

/**
 * When to look at the machine again: when the idle time could matter (`nextIdleCheckMs`),
 * or sooner when the power source is polled (`PowerWatch.pollMs`).
 */
export function nextCheckMs(observation: MachineObservation, idleAfterMinutes: number, watch: PowerWatch): number {
  const idleCheck = nextIdleCheckMs(observation, idleAfterMinutes)
  return watch.source === 'power-monitor' ? Math.min(idleCheck, watch.pollMs) : idleCheck
}

/**
 * When to look at the idle time again. While the user is present, input only pushes the
 * moment they become idle later, so the earliest it can come is when the idle time already
 * counted reaches the threshold: one check then is enough (a second is the floor). While
 * they are away (or the screen is locked), their return shows only as a smaller idle time,
 * so it is looked for every RETURN_CHECK_MS.
 */
export function nextIdleCheckMs(observation: MachineObservation, idleAfterMinutes: number): number {
  if (userIdle(observation, idleAfterMinutes)) return RETURN_CHECK_MS
  return Math.max(1_000, (idleAfterMinutes * 60 - observation.idleSeconds) * 1_000)
}

/** The machine as the engine knows it (`MachineState` without its time): null where unknown (`networkMetered` absent: a server before it, unknown). */
export interface KnownMachine {
  onAcPower: boolean | null
  userIdle: boolean | null
  networkMetered?: boolean | null
  /** Conditions not read yet (see MachineState `pending`): they hold new runs until read. */
  pending?: readonly MachineCondition[]
}

/** Does the machine meet this condition? Unknown (null or absent) counts as met. */
function meets(condition: MachineCondition, machine: KnownMachine): boolean {
  switch (condition) {
    case 'ac-power':
      return machine.onAcPower !== false
    case 'user-idle':
      return machine.userIdle !== false
    case 'unmetered-network':
      return machine.networkMetered !== true
  }
}

/**
 * Which of a group's `onlyWhen` conditions hold its new runs now, in the group's order: those the machine
 * does not meet, and those not read yet (`pending`: the first look is under way). An unknown state (null,
 * or no state yet) counts as met: nothing waits for what nobody reports.
 */
export function unmetConditions(onlyWhen: readonly MachineCondition[] | undefined, machine: KnownMachine | null): MachineCondition[] {
  if (!onlyWhen || !machine) return []
  return onlyWhen.filter((condition) => machine.pending?.includes(condition) === true || !meets(condition, machine))
}

/**
 * Of a group's conditions, those the machine is known not to meet: what pauses its running runs
 * (`whenUnmet: 'pause'`). A condition not read yet pauses nothing: a run is stopped on a reading, never on its absence.
 */
export function knownUnmetConditions(onlyWhen: readonly MachineCondition[] | undefined, machine: KnownMachine | null): MachineCondition[] {
  if (!onlyWhen || !machine) return []
  return onlyWhen.filter((condition) => !meets(condition, machine))
}

/**
 * What holds a group's new runs now, as the engine said (`MachineState.held`), or, from a server before it
 * said so, as judged here from the group's conditions (`unmetConditions`): empty when it runs.
 */
export function heldConditions(group: { name: string; onlyWhen?: readonly MachineCondition[] | undefined } | undefined, machine: (KnownMachine & { held?: Record<string, MachineCondition[]> }) | null): MachineCondition[] {
  if (!group || !machine) return []
  if (machine.held) return machine.held[group.name] ?? []
  return unmetConditions(group.onlyWhen, machine)
}

/** The `machine.report` field that tells each condition. */
export const CONDITION_FIELD = { 'ac-power': 'onAcPower', 'user-idle': 'userIdle', 'unmetered-network': 'networkMetered' } as const satisfies Record<MachineCondition, keyof KnownMachine>

/**
 * Where the machine learns whether its network is metered, by platform. Linux: NetworkManager's
 * global `Metered` property (the device with the best default route), read over D-Bus by a
 * short-lived busctl (systemd's, on every systemd machine; dbus-send where there is none).
 * Windows: the internet connection profile's cost (WinRT `NetworkInformation`), read by a
 * PowerShell child, which costs a few hundred milliseconds of CPU to start, so it is read
 * four times less often. macOS has no API a child process or Node can read (NWPathMonitor's
 * `isExpensive` lives in Swift/Objective-C only), so it stays unknown there: such groups run.
 * Electron offers nothing on any platform.
 */
export type NetworkWatch = { source: 'networkmanager'; pollMs: number } | { source: 'windows-connection-cost'; pollMs: number } | { source: 'none' }

/**
 * How often NetworkManager is asked. Each look spawns busctl (about 6 ms of CPU, parent and
 * child, measured over 50 spawns on the 2-core VM), so every 15 s costs 0.04% of a core while
 * a joined hotspot holds the group's runs within 15 s; the power source, a file read of
 * microseconds, is polled every 5 s, which would triple the spawns for little gain.
 */
export const NETWORK_POLL_MS = 15_000
/** Windows' PowerShell child starts in hundreds of milliseconds of CPU: once a minute keeps it below 1% of a core. */
export const WINDOWS_NETWORK_POLL_MS = 60_000

export function networkWatchFor(platform: string): NetworkWatch {
  if (platform === 'linux') return { source: 'networkmanager', pollMs: NETWORK_POLL_MS }
  if (platform === 'win32') return { source: 'windows-connection-cost', pollMs: WINDOWS_NETWORK_POLL_MS }
  return { source: 'none' }
}

/**
 * NetworkManager's NMMetered value as `networkMetered`: 1 (yes) and 3 (guess-yes) metered,
 * 2 (no) and 4 (guess-no) not; 0 (unknown) or anything else unknown. A guess counts as
 * NetworkManager's own documentation advises (GUESS_YES like YES): NetworkManager guesses
 * "yes" for mobile broadband and Android hotspots (their DHCP option), the case this condition is for.
 */
export function meteredFromNetworkManager(value: number): boolean | null {
  if (value === 1 || value === 3) return true
  if (value === 2 || value === 4) return false
  return null
}

/**
 * What the Windows reader prints (`<NetworkCostType> <Roaming> <OverDataLimit>`, as
 * `Fixed False False`) as `networkMetered`, following Microsoft's guidance for metered
 * connections: roaming or over the data limit is metered whatever the cost type; `Fixed` (a
 * data cap) and `Variable` (paid by the byte) are metered; `Unrestricted` is not; `Unknown`,
 * nothing printed (no internet profile: offline) or anything else is unknown.
 */
export function meteredFromConnectionCost(printed: string): boolean | null {
  const [costType, roaming, overDataLimit] = printed.trim().split(/\s+/)
  if (roaming === 'True' || overDataLimit === 'True') return true
  if (costType === 'Unrestricted') return false
  if (costType === 'Fixed' || costType === 'Variable') return true
  return null
}
