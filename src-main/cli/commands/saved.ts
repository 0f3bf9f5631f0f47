import { resolve } from 'node:path'
import type { TaskDefinition } from '../../../src-shared/model.ts'
import { shellCommandLine } from '../../../src-shared/shell-words.ts'
import type { Context } from '../context.ts'
import { DEFINITION_OPTION_NAMES, definitionFromOptions, type DefinitionOptions } from '../definition.ts'
import { parseIds, table } from '../format.ts'
import { API_REVISIONS } from '../../server/api-file.ts'
import { RUN_OPTION_NAMES, payloadOf } from './triggers.ts'

/**
 * `taskdeck saved …`: saved tasks (named definitions that triggers start, or that are run by
 * hand), including those a project folder offers (taskdeck.json, npm scripts, Makefile).
 */

const savedTaskId = (text: string): number => parseIds([text], 'saved task id')[0] ?? 0

const describe = (definition: TaskDefinition): string => {
  const spec = definition.spec
  if (spec.kind === 'shell') return `${typeof spec.command === 'string' ? spec.command : shellCommandLine(spec.command)}  (in ${spec.cwd})`
  if (spec.kind === 'script') return `script ${spec.path}`
  return `${spec.requests.length} HTTP request${spec.requests.length === 1 ? '' : 's'}`
}

export async function listSaved(ctx: Context): Promise<void> {
  const client = await ctx.connect()
  const [{ savedTasks }, { triggers }] = await Promise.all([client.invoke('savedTask.list', {}), client.invoke('trigger.list', {})])
  ctx.print({ savedTasks }, () => {
    if (savedTasks.length === 0) return 'No saved tasks. Save one with `taskdeck saved add NAME -- CMD`, or take a folder\'s with `taskdeck saved import DIR`.'
    return table(
      ['ID', 'NAME', 'TRIGGERS', 'TASK'],
      savedTasks.map((savedTask) => [
        String(savedTask.id),
        savedTask.name,
        triggers
          .filter((trigger) => trigger.savedTaskId === savedTask.id)
          .map((trigger) => String(trigger.id))
          .join(','),
        describe(savedTask.definition),
      ]),
    )
  })
}

export async function addSaved(ctx: Context, name: string, argv: readonly string[], options: DefinitionOptions): Promise<void> {
  const definition = await definitionFromOptions(argv, options)
  const client = await ctx.connect()
  const { savedTask } = await client.invoke('savedTask.create', { name, definition }, { ...DEFINITION_OPTION_NAMES, name: 'saved task name' })
  ctx.print({ savedTask }, () => `Saved task ${savedTask.id} (${savedTask.name}). Run it with \`taskdeck saved run ${savedTask.id}\`, or start it from a trigger with --saved-task ${savedTask.id}.`)
}

export async function runSaved(ctx: Context, idText: string, options: { payload?: string; idempotencyKey?: string }): Promise<void> {
  const payload = await payloadOf(options.payload)
  const { idempotencyKey } = options
  const client = await ctx.connect()
  if (idempotencyKey !== undefined) client.requireRevision(API_REVISIONS.firingKeys, '--idempotency-key')
  const { task, duplicate } = await client.invoke('savedTask.run', { savedTaskId: savedTaskId(idText), ...payload, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) }, RUN_OPTION_NAMES)
  ctx.print({ task, ...(duplicate ? { duplicate } : {}) }, () =>
    duplicate ? `Task ${task.id} already exists for key ${idempotencyKey} (${task.status}): ${task.name}` : `Task ${task.id} added (${task.status}): ${task.name}`,
  )
}

export async function removeSaved(ctx: Context, idText: string): Promise<void> {
  const client = await ctx.connect()
  const id = savedTaskId(idText)
  await client.invoke('savedTask.remove', { savedTaskId: id })
  ctx.print({ removed: id }, () => `Saved task ${id} removed.`)
}

/** What a folder offers; stores nothing. */
export async function discover(ctx: Context, folder: string | undefined): Promise<void> {
  const client = await ctx.connect()
  const { candidates } = await client.invoke('savedTask.discover', { folder: resolve(folder ?? '.') })
  ctx.print({ candidates }, () =>
    candidates.length === 0
      ? `Nothing to offer in ${resolve(folder ?? '.')} (no taskdeck.json, npm scripts or Makefile targets).`
      : table(
          ['NAME', 'FROM', 'TASK'],
          candidates.map((candidate) => [candidate.name, candidate.source, describe(candidate.definition)]),
        ),
  )
}

/** Saves a folder's candidates: all, or those named with --name. */
export async function importFolder(ctx: Context, folder: string | undefined, options: { name?: string[] }): Promise<void> {
  const client = await ctx.connect()
  const { savedTasks } = await client.invoke('savedTask.importFolder', { folder: resolve(folder ?? '.'), ...(options.name === undefined ? {} : { names: options.name }) }, { names: '--name' })
  ctx.print({ savedTasks }, () => `Saved ${savedTasks.length} task${savedTasks.length === 1 ? '' : 's'}${savedTasks.length ? `: ${savedTasks.map((s) => `${s.id} ${s.name}`).join(', ')}` : ''}.`)
}
