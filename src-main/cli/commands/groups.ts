import type { Group } from '../../../src-shared/model.ts'
import type { Context } from '../context.ts'
import { paint, parseInteger, table } from '../format.ts'

const describe = (group: Group): string => `Group ${group.name}: ${group.parallel} at a time${group.paused ? ', paused' : ''}.`

export async function listGroups(ctx: Context): Promise<void> {
  const client = await ctx.connect()
  const { groups } = await client.invoke('group.list', {})
  ctx.print({ groups }, () =>
    table(
      ['GROUP', 'PARALLEL', 'STATE'],
      groups.map((group) => [group.name, String(group.parallel), group.paused ? paint('yellow', 'paused') : 'running']),
    ),
  )
}

/** `group add NAME [--parallel N]` and `group limit NAME N` both set a group's limit. */
export async function setGroup(ctx: Context, name: string, parallel: string | undefined): Promise<void> {
  const client = await ctx.connect()
  const existing = (await client.invoke('group.list', {})).groups.find((group) => group.name === name)
  const limit = parallel === undefined ? (existing?.parallel ?? 1) : parseInteger(parallel, 'parallel', 1, 1024)
  const { group } = await client.invoke('group.set', { name, parallel: limit })
  ctx.print({ group }, () => describe(group))
}

export async function removeGroup(ctx: Context, name: string): Promise<void> {
  const client = await ctx.connect()
  await client.invoke('group.remove', { name })
  ctx.print({}, () => `Group ${name} removed.`)
}
