import { LIMITS, type Group, type GroupRate, type OnFailure } from '../../../src-shared/model.ts'
import { formatRate, parseRate } from '../../../src-shared/rate.ts'
import { WORKER_COMMANDS, type RemoteBinding } from '../../../src-shared/workers.ts'
import { API_REVISIONS } from '../../server/api-file.ts'
import type { ApiClient } from '../client.ts'
import type { Context } from '../context.ts'
import { CliError, EXIT, usageError } from '../exit.ts'
import { paint, parseInteger, table } from '../format.ts'
import { readStdin, SECRET_STDIN_MAX_BYTES } from '../stdin.ts'
import { describeGroupPause, describeUnmet } from '../../engine/end-reasons.ts'
import { ENGINE_PAUSED, afterCrashNote, conditionsCell, heldBy, heldGroups, machineOf, parseConditions, parseWhenUnmet } from './machine.ts'

const describe = (group: Group): string => {
  const conditions = group.onlyWhen?.length
    ? `; only when ${group.onlyWhen.join(' and ')} (${group.whenUnmet === 'pause' ? 'its running tasks pause while unmet' : 'running tasks go on while unmet'})`
    : ''
  const rules = [...(group.rate ? [`at most ${formatRate(group.rate)} starts`] : []), ...(group.onFailure === 'pause-group' ? ['pauses when a task fails'] : [])]
  const cause = describeGroupPause(group)
  return `Group ${group.name}: ${group.parallel} at a time${rules.map((rule) => `, ${rule}`).join('')}${group.paused ? group.pausedReason === 'crash' ? ', paused after a crash' : `, paused${cause ? ` (${cause}; resume it with \`taskdeck group resume ${group.name}\`)` : ''}` : ''}${conditions}.`
}

/** A group's rules in a table cell: "10/m, pause on failure", or "-". */
function rulesCell(group: Group): string {
  const rules = [...(group.rate ? [formatRate(group.rate)] : []), ...(group.onFailure === 'pause-group' ? ['pause on failure'] : [])]
  return rules.length > 0 ? rules.join(', ') : '-'
}

/** Where a group's runs execute, in a table cell. */
function runsOn(binding: RemoteBinding | undefined): string {
  if (!binding) return 'this machine'
  const overflow = binding.localSlots === null ? '' : `this machine ×${binding.localSlots}, then `
  const status = binding.status === 'connected' ? binding.status : paint(binding.status === 'connecting' ? 'yellow' : 'red', binding.status)
  return `${overflow}${binding.redis} (${status})`
}

export async function listGroups(ctx: Context): Promise<void> {
  const client = await ctx.connect()
  const [{ groups, enginePaused }, bindings, machine] = await Promise.all([client.invoke('group.list', {}), remoteBindingsOf(client), machineOf(client)])
  const remote = new Map(bindings.map((binding) => [binding.group, binding]))
  const held = heldGroups(groups, machine)
  ctx.print({ groups, bindings, ...(machine === null ? {} : { machine }), ...(enginePaused === undefined ? {} : { enginePaused }) }, () => {
    const rows = groups.map((group) => {
      const unmet = held.get(group.name)
      const cause = describeGroupPause(group)
      const state = group.paused ? paint('yellow', group.pausedReason === 'crash' ? 'paused after a crash' : cause ? `paused: ${cause}` : 'paused') : unmet ? paint('yellow', `held: ${describeUnmet(unmet)}`) : 'running'
      return [group.name, String(group.parallel), state, rulesCell(group), conditionsCell(group), runsOn(remote.get(group.name))]
    })
    const problems = bindings.filter((b) => b.reason !== null).map((b) => `${b.group}: ${b.reason}`)
    const crashNote = afterCrashNote(heldBy(groups, enginePaused, machine))
    const paused = [...(enginePaused === true ? [paint('yellow', ENGINE_PAUSED)] : []), ...(crashNote === null ? [] : [paint('yellow', crashNote)])]
    return [table(['GROUP', 'PARALLEL', 'STATE', 'RULES', 'ONLY WHEN', 'RUNS ON'], rows), ...problems, ...paused].join('\n')
  })
}

/**
 * The groups bound to Redis; none from a server that does not serve `group.listRemote` (an engine
 * opened without the Redis backend, or a Taskdeck older than remote workers), which binds none.
 */
export async function remoteBindingsOf(client: ApiClient): Promise<readonly RemoteBinding[]> {
  try {
    return (await client.invoke('group.listRemote', {})).bindings
  } catch (error) {
    if (error instanceof CliError && error.code === 'unknown_command') return []
    throw error
  }
}

export interface GroupChange {
  parallel?: string
  /** `--only-when ac-power,user-idle,unmetered-network` or `none`. */
  onlyWhen?: string
  whenUnmet?: string
  /** `--pause-on-failure` (true) or `--no-pause-on-failure` (false). */
  pauseOnFailure?: boolean
  /** `--rate 10/m` or `none`. */
  rate?: string
}

/** `--rate 10/m` (100/h, 5/s, 20/15m), or `none` to remove the limit. */
export function parseRateOption(text: string): GroupRate | null {
  if (text.trim() === 'none') return null
  const parsed = parseRate(text)
  if ('problem' in parsed) throw usageError(`--rate: ${parsed.problem}, or none.`)
  return parsed.rate
}

/**
 * `group add NAME [--parallel N]` and `group limit NAME N` both set a group's limit; only
 * `add` creates one (a misspelt name given to `limit` must not become a new group).
 */
export async function setGroup(ctx: Context, name: string, change: GroupChange, what: string, creates: boolean): Promise<void> {
  const limit = change.parallel === undefined ? undefined : parseInteger(change.parallel, what, 1, LIMITS.groupParallel)
  const onlyWhen = change.onlyWhen === undefined ? undefined : parseConditions(change.onlyWhen)
  const whenUnmet = change.whenUnmet === undefined ? undefined : parseWhenUnmet(change.whenUnmet)
  const rate = change.rate === undefined ? undefined : parseRateOption(change.rate)
  const onFailure: OnFailure | undefined = change.pauseOnFailure === undefined ? undefined : change.pauseOnFailure ? 'pause-group' : 'continue'
  const conditions = {
    ...(onlyWhen === undefined ? {} : { onlyWhen }),
    ...(whenUnmet === undefined ? {} : { whenUnmet }),
    ...(onFailure === undefined ? {} : { onFailure }),
    ...(rate === undefined ? {} : { rate }),
  }
  const client = await ctx.connect()
  if (!creates) client.requireRevision(API_REVISIONS.strictParams, 'group limit (an existing group only)')
  if (onlyWhen !== undefined || whenUnmet !== undefined) client.requireRevision(API_REVISIONS.machineConditions, '--only-when and --when-unmet')
  if (rate !== undefined || onFailure !== undefined) client.requireRevision(API_REVISIONS.groupRules, '--rate and --pause-on-failure')
  if (onlyWhen?.includes('unmetered-network')) client.requireRevision(API_REVISIONS.networkConditions, '--only-when unmetered-network')
  // Without --parallel no limit is sent, so a limit changed meanwhile stands (group.set's parallel is optional since
  // machine conditions). `group add` still creates a new group with 1, and an older server needs the limit sent back.
  const parallel = limit ?? (creates ? await keptLimit(client, name) : undefined)
  try {
    const optionNames = { name: 'group name', onlyWhen: '--only-when', whenUnmet: '--when-unmet', onFailure: '--pause-on-failure', rate: '--rate' }
    const { group } = await client.invoke('group.set', { name, ...(parallel === undefined ? {} : { parallel }), ...(creates ? {} : { create: false }), ...conditions }, optionNames)
    ctx.print({ group }, () => describe(group))
  } catch (error) {
    if (!(error instanceof CliError) || error.code !== 'not_found') throw error
    const repeated = [
      ...(onlyWhen === undefined ? [] : [`--only-when ${onlyWhen.length === 0 ? 'none' : onlyWhen.join(',')}`]),
      ...(whenUnmet === undefined ? [] : [`--when-unmet ${whenUnmet}`]),
      ...(onFailure === undefined ? [] : [onFailure === 'pause-group' ? '--pause-on-failure' : '--no-pause-on-failure']),
      ...(rate === undefined ? [] : [`--rate ${rate === null ? 'none' : formatRate(rate)}`]),
    ]
    const suggestion = ['taskdeck group add', name, `--parallel ${limit ?? 1}`, ...repeated].join(' ')
    throw new CliError(EXIT.failed, 'not_found', `There is no group "${name}" (create it with \`${suggestion}\`).`, error.details)
  }
  if (onlyWhen?.includes('user-idle') || onlyWhen?.includes('unmetered-network')) {
    const machine = await machineOf(client)
    if (onlyWhen.includes('user-idle') && machine?.userIdle === null) {
      process.stderr.write(
        'Note: this Taskdeck knows no user presence (nothing reports it, as on a headless server), and unknown counts as met: report it with `taskdeck machine report --idle` or `--present`.\n',
      )
    }
    if (onlyWhen.includes('unmetered-network') && (machine?.networkMetered ?? null) === null) {
      process.stderr.write(
        'Note: this Taskdeck cannot tell whether the network is metered (it asks NetworkManager on Linux and the connection cost on Windows; macOS says nothing), and unknown counts as met: report it with `taskdeck machine report --metered` or `--unmetered`.\n',
      )
    }
  }
}

/**
 * The limit `group add NAME` without --parallel sends: none for an existing group (it keeps its own), 1 for a new one;
 * an existing group's own to a server older than machine conditions, which needs one.
 */
async function keptLimit(client: ApiClient, name: string): Promise<number | undefined> {
  const existing = (await client.invoke('group.list', {})).groups.find((group) => group.name === name)
  if (!existing) return 1
  return client.hasRevision(API_REVISIONS.machineConditions) ? undefined : existing.parallel
}

/**
 * Refuses a group that does not exist, where a misspelt name would otherwise match no task
 * and pass for done: `wait --group biuld && deploy` must not deploy at once.
 */
export function requireGroup(groups: readonly Group[], name: string): void {
  if (!groups.some((group) => group.name === name)) {
    throw new CliError(EXIT.failed, 'not_found', `There is no group "${name}" (the groups: ${groups.map((group) => group.name).join(', ')}).`)
  }
}

export async function removeGroup(ctx: Context, name: string): Promise<void> {
  const client = await ctx.connect()
  await client.invoke('group.remove', { name })
  ctx.print({}, () => `Group ${name} removed.`)
}

export interface BindOptions {
  redis: string
  passwordStdin?: boolean
  tls?: boolean
  tlsNoVerify?: boolean
  whenUnreachable?: string
  localSlots?: string
}

/**
 * `group bind NAME --redis URL`: the group's tasks then run on `taskdeck worker` processes.
 * The password comes from stdin (never argv, which `ps` shows) or inside the URL.
 */
export async function bindGroup(ctx: Context, name: string, options: BindOptions): Promise<void> {
  const url = options.tls ? options.redis.replace(/^redis:\/\//, 'rediss://') : options.redis
  const password = options.passwordStdin ? (await readStdin('--password-stdin', SECRET_STDIN_MAX_BYTES)).replace(/\r?\n$/, '') : undefined
  const parsed = WORKER_COMMANDS['group.bindRemote'].params.safeParse({
    name,
    connection: { url, ...(password ? { password } : {}), tlsRejectUnauthorized: !options.tlsNoVerify },
    ...(options.whenUnreachable === undefined ? {} : { whenUnreachable: options.whenUnreachable }),
    ...(options.localSlots === undefined ? {} : { localSlots: parseInteger(options.localSlots, '--local-slots', 1, 1024) }),
  })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.path.join('.').replace(/^connection\.url$/, '--redis').replace(/^whenUnreachable$/, '--when-unreachable')
    throw usageError(`${field}: ${issue.message}`)
  }
  const client = await ctx.connect()
  const { binding } = await client.invoke('group.bindRemote', parsed.data)
  ctx.print({ binding }, () =>
    [
      `Group ${binding.group} runs on ${binding.redis} (${binding.status}).`,
      `Secret kept in: ${binding.secretStorage}.`,
      `While Redis is unreachable its tasks ${binding.whenUnreachable === 'local' ? 'run on this machine' : 'wait for it'}.`,
      ...(binding.localSlots === null ? [] : [`Up to ${binding.localSlots} of its runs at once run on this machine; the rest overflow to the workers.`]),
      `Start workers with: taskdeck worker --redis ${binding.redis} --group ${binding.group}`,
    ].join('\n'),
  )
}

export async function unbindGroup(ctx: Context, name: string): Promise<void> {
  const client = await ctx.connect()
  await client.invoke('group.unbindRemote', { name })
  ctx.print({}, () => `Group ${name} runs on this machine again (its runs already on Redis finish there).`)
}
