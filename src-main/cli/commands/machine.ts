import type { Group, MachineCondition, MachineState } from '../../../src-shared/model.ts'
import { describeGroupPause, describeUnmet } from '../../engine/end-reasons.ts'
import { heldConditions } from '../../../src-shared/decisions/machine.ts'
import { formatRate } from '../../../src-shared/rate.ts'
import { API_REVISIONS } from '../../server/api-file.ts'
import type { ApiClient } from '../client.ts'
import type { Context } from '../context.ts'
import { usageError } from '../exit.ts'
import { formatRelative, paint, table } from '../format.ts'

const MACHINE_CONDITIONS: readonly MachineCondition[] = ['ac-power', 'user-idle', 'unmetered-network']

/** `--only-when ac-power,user-idle,unmetered-network` (or `none`): the conditions, each once. */
export function parseConditions(text: string): MachineCondition[] {
  const names = text.split(',').map((name) => name.trim())
  if (names.length === 1 && names[0] === 'none') return []
  const conditions: MachineCondition[] = []
  for (const name of names) {
    if (!MACHINE_CONDITIONS.includes(name as MachineCondition)) throw usageError(`--only-when: "${name}" is not a condition (give ac-power, user-idle, unmetered-network, several comma-separated, or none).`)
    if (conditions.includes(name as MachineCondition)) throw usageError(`--only-when: ${name} is named twice.`)
    conditions.push(name as MachineCondition)
  }
  return conditions
}

export function parseWhenUnmet(text: string): 'wait' | 'pause' {
  if (text === 'wait' || text === 'pause') return text
  throw usageError(`--when-unmet: "${text}" is not wait or pause (wait: start no new run; pause: also pause the running ones until met).`)
}

const power = (onAcPower: boolean | null) => (onAcPower === null ? 'unknown' : onAcPower ? 'on AC power' : 'on battery')
const presence = (userIdle: boolean | null) => (userIdle === null ? 'unknown' : userIdle ? 'away (idle or screen locked)' : 'present')
/** A server before API revision 4 sends no networkMetered: unknown. */
const network = (networkMetered: boolean | null | undefined) => (networkMetered === true ? 'metered' : networkMetered === false ? 'unmetered' : 'unknown')

/** Said wherever a paused engine explains why nothing starts (status, group list). */
export const ENGINE_PAUSED = 'Taskdeck is paused (pause --all): no task starts until `taskdeck resume --all`.'

/** A group's conditions in a table cell: "ac-power,user-idle (pauses runs)", or "-". */
export function conditionsCell(group: Group): string {
  if (!group.onlyWhen?.length) return '-'
  return `${group.onlyWhen.join(',')}${group.whenUnmet === 'pause' ? ' (pauses runs)' : ''}`
}

/** The machine as the running server knows it; null from a server older than machine conditions. */
export async function machineOf(client: ApiClient): Promise<MachineState | null> {
  if (!client.hasRevision(API_REVISIONS.machineConditions)) return null
  return (await client.invoke('machine.get', {})).machine
}

/** The groups' unmet conditions by group name (only those held now). */
export function heldGroups(groups: readonly Group[], machine: MachineState | null): Map<string, MachineCondition[]> {
  const held = new Map<string, MachineCondition[]>()
  if (machine === null) return held
  for (const group of groups) {
    const unmet = heldConditions(group, machine)
    if (unmet.length > 0) held.set(group.name, unmet)
  }
  return held
}

/**
 * A condition's reading, or why there is none (MachineState `pending`): Taskdeck reads it only while a group
 * needs it, so either its first look is under way or nothing watches it.
 */
function reading(condition: MachineCondition, machine: MachineState, groups: readonly Group[], said: string): string {
  if (!machine.pending?.includes(condition)) return said
  return groups.some((group) => group.onlyWhen?.includes(condition)) ? 'being read (its groups wait for it)' : 'not watched (no group needs it)'
}

function describeMachine(machine: MachineState, groups: readonly Group[]): string {
  const lines = [
    `Power:        ${reading('ac-power', machine, groups, power(machine.onAcPower))}`,
    `User:         ${reading('user-idle', machine, groups, presence(machine.userIdle))}`,
    `Network:      ${reading('unmetered-network', machine, groups, network(machine.networkMetered))}`,
    `Last change:  ${formatRelative(machine.at - Date.now())}`,
  ]
  const conditional = groups.filter((group) => group.onlyWhen?.length)
  if (conditional.length === 0) return lines.join('\n')
  const rows = conditional.map((group) => {
    const unmet = heldConditions(group, machine)
    return [group.name, conditionsCell(group), unmet.length === 0 ? 'runs' : paint('yellow', `held: ${describeUnmet(unmet)}`)]
  })
  return [...lines, '', table(['GROUP', 'ONLY WHEN', 'NOW'], rows)].join('\n')
}

/** `taskdeck machine`: what Taskdeck knows of this machine, and which groups it holds. */
export async function showMachine(ctx: Context): Promise<void> {
  const client = await ctx.connect()
  client.requireRevision(API_REVISIONS.machineConditions, 'machine')
  const [{ machine }, { groups }] = await Promise.all([client.invoke('machine.get', {}), client.invoke('group.list', {})])
  ctx.print({ machine }, () => describeMachine(machine, groups))
}

export interface ReportOptions {
  ac?: boolean
  battery?: boolean
  unknownPower?: boolean
  idle?: boolean
  present?: boolean
  unknownPresence?: boolean
  metered?: boolean
  unmetered?: boolean
  unknownNetwork?: boolean
}

/** One of a set of contradicting flags, or undefined when none is given. */
function oneOf<T>(choices: readonly [boolean | undefined, string, T][]): T | undefined {
  const given = choices.filter(([flag]) => flag === true)
  if (given.length > 1) throw usageError(`${given.map(([, name]) => name).join(' and ')} contradict each other: give one of ${choices.map(([, name]) => name).join(', ')}.`)
  return given[0]?.[2]
}

/** `taskdeck machine report --battery`: tell the engine what a script of the user's observed (only the given fields change). */
export async function reportMachine(ctx: Context, options: ReportOptions): Promise<void> {
  const onAcPower = oneOf<boolean | null>([
    [options.ac, '--ac', true],
    [options.battery, '--battery', false],
    [options.unknownPower, '--unknown-power', null],
  ])
  const userIdle = oneOf<boolean | null>([
    [options.idle, '--idle', true],
    [options.present, '--present', false],
    [options.unknownPresence, '--unknown-presence', null],
  ])
  const networkMetered = oneOf<boolean | null>([
    [options.metered, '--metered', true],
    [options.unmetered, '--unmetered', false],
    [options.unknownNetwork, '--unknown-network', null],
  ])
  if (onAcPower === undefined && userIdle === undefined && networkMetered === undefined) {
    throw usageError(
      'machine report needs something to report: --ac, --battery or --unknown-power, --idle, --present or --unknown-presence, and/or --metered, --unmetered or --unknown-network.',
    )
  }
  const client = await ctx.connect()
  client.requireRevision(API_REVISIONS.machineConditions, 'machine report')
  // An older server's strict params would refuse the field; name the flags instead.
  if (networkMetered !== undefined) client.requireRevision(API_REVISIONS.networkConditions, '--metered, --unmetered and --unknown-network')
  const report = {
    ...(onAcPower === undefined ? {} : { onAcPower }),
    ...(userIdle === undefined ? {} : { userIdle }),
    ...(networkMetered === undefined ? {} : { networkMetered }),
  }
  const [{ machine }, { groups }] = await Promise.all([
    client.invoke('machine.report', report),
    client.invoke('group.list', {}),
  ])
  ctx.print({ machine }, () => describeMachine(machine, groups))
}

/** What holds queues: the whole engine paused, paused groups, and groups whose machine conditions are unmet (with which). */
export interface HeldGroups {
  readonly all: boolean
  /** Paused groups, each with why when the engine paused it (a task failed), else null. */
  readonly paused: ReadonlyMap<string, string | null>
  /** The paused groups the engine paused itself when it opened after a crash (`pausedReason: 'crash'`). */
  readonly afterCrash: ReadonlySet<string>
  readonly byMachine: ReadonlyMap<string, readonly MachineCondition[]>
  /** Groups whose rate (`max` starts per `perMs`) holds their queue, with when the next slot opens (`until`): from engine.loop. */
  readonly byRate: ReadonlyMap<string, RateHold>
}

/** A group's rate holding its queue: the loop state `rate-limited`. */
export interface RateHold {
  max: number
  perMs: number
  until: number
}

/**
 * The groups whose rate holds their queued tasks now, with the next slot of each, read from engine.loop (the one place
 * that knows the starts counted); without asking when no group of `groups` has a rate among `queued` (their names).
 */
export async function rateHolds(client: ApiClient, groups: readonly Group[], queued: Iterable<string>): Promise<Map<string, RateHold>> {
  const limited = new Set(groups.filter((group) => group.rate).map((group) => group.name))
  if (![...queued].some((name) => limited.has(name))) return new Map()
  const loop = await client.invoke('engine.loop', {})
  const holds = new Map<string, RateHold>()
  for (const entry of loop.waiting) if (entry.state.kind === 'rate-limited') holds.set(entry.group, { max: entry.state.max, perMs: entry.state.perMs, until: entry.state.until })
  return holds
}

/** "group io's rate limit (1/h): next slot in 59m", the wait a rate holds a queued task for. */
export function describeRateHold(group: string, hold: RateHold, now: number): string {
  const left = hold.until - now
  return `group ${group}'s rate limit (${formatRate(hold)}): next slot ${left > 0 ? formatRelative(left) : 'now'}`
}

export function heldBy(groups: readonly Group[], enginePaused: boolean | undefined, machine: MachineState | null, byRate: ReadonlyMap<string, RateHold> = new Map()): HeldGroups {
  return {
    byRate,
    all: enginePaused === true,
    paused: new Map(groups.filter((group) => group.paused).map((group) => [group.name, describeGroupPause(group)])),
    afterCrash: new Set(groups.filter((group) => group.paused && group.pausedReason === 'crash').map((group) => group.name)),
    byMachine: heldGroups(groups, machine),
  }
}

/** The line that says which groups were paused after a crash and how to let them go on; null when none was. */
export function afterCrashNote(held: HeldGroups): string | null {
  if (held.afterCrash.size === 0) return null
  const names = [...held.afterCrash].sort()
  return `Paused after a crash (they had pending work): ${names.length === 1 ? 'group' : 'groups'} ${names.join(', ')}. \`taskdeck group resume ${names.length === 1 ? names[0] : 'NAME'}\` lets ${names.length === 1 ? 'it' : 'one'} go on.`
}
