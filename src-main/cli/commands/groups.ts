import { LIMITS, type Group } from '../../../src-shared/model.ts'
import { WORKER_COMMANDS, type RemoteBinding } from '../../../src-shared/workers.ts'
import { API_REVISIONS } from '../../server/api-file.ts'
import type { Context } from '../context.ts'
import { CliError, EXIT, usageError } from '../exit.ts'
import { paint, parseInteger, table } from '../format.ts'
import { readStdin, SECRET_STDIN_MAX_BYTES } from '../stdin.ts'

const describe = (group: Group): string => `Group ${group.name}: ${group.parallel} at a time${group.paused ? ', paused' : ''}.`

/** Where a group's runs execute, in a table cell. */
function runsOn(binding: RemoteBinding | undefined): string {
  if (!binding) return 'this machine'
  const overflow = binding.localSlots === null ? '' : `this machine ×${binding.localSlots}, then `
  const status = binding.status === 'connected' ? binding.status : paint(binding.status === 'connecting' ? 'yellow' : 'red', binding.status)
  return `${overflow}${binding.redis} (${status})`
}

export async function listGroups(ctx: Context): Promise<void> {
  const client = await ctx.connect()
  const [{ groups }, { bindings }] = await Promise.all([client.invoke('group.list', {}), client.invoke('group.listRemote', {})])
  const remote = new Map(bindings.map((binding) => [binding.group, binding]))
  ctx.print({ groups, bindings }, () => {
    const rows = groups.map((group) => [
      group.name,
      String(group.parallel),
      group.paused ? paint('yellow', 'paused') : 'running',
      runsOn(remote.get(group.name)),
    ])
    const problems = bindings.filter((b) => b.reason !== null).map((b) => `${b.group}: ${b.reason}`)
    return [table(['GROUP', 'PARALLEL', 'STATE', 'RUNS ON'], rows), ...problems].join('\n')
  })
}

/**
 * `group add NAME [--parallel N]` and `group limit NAME N` both set a group's limit; only
 * `add` creates one (a misspelt name given to `limit` must not become a new group).
 */
export async function setGroup(ctx: Context, name: string, parallel: string | undefined, what: string, creates: boolean): Promise<void> {
  const limit = parallel === undefined ? undefined : parseInteger(parallel, what, 1, LIMITS.groupParallel)
  const client = await ctx.connect()
  if (!creates) client.requireRevision(API_REVISIONS.strictParams, 'group limit (an existing group only)')
  // Only `add` without --parallel needs the group first: an existing one keeps its limit.
  const existing = limit === undefined ? (await client.invoke('group.list', {})).groups.find((group) => group.name === name) : undefined
  try {
    const { group } = await client.invoke('group.set', { name, parallel: limit ?? existing?.parallel ?? 1, ...(creates ? {} : { create: false }) }, { name: 'group name' })
    ctx.print({ group }, () => describe(group))
  } catch (error) {
    if (!(error instanceof CliError) || error.code !== 'not_found') throw error
    throw new CliError(EXIT.failed, 'not_found', `There is no group "${name}" (create it with \`taskdeck group add ${name} --parallel ${limit ?? 1}\`).`, error.details)
  }
}

/**
 * Refuses a group that does not exist, where a misspelt name would otherwise match no task
 * and pass for done: `wait --group biuld && deploy` must not deploy at once.
 */
export function requireGroup(groups: readonly Group[], name: string): void {
  if (!groups.some((group) => group.name === name)) throw new CliError(EXIT.failed, 'not_found', `There is no group "${name}".`)
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
