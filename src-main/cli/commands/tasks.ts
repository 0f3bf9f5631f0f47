import type { LogLine, Run, Task, TaskDefinitionInput, TaskStatus } from '../../../src-shared/model.ts'
import { describeUnmet } from '../../engine/end-reasons.ts'
import type { RemoteBinding } from '../../../src-shared/workers.ts'
import type { ApiClient } from '../client.ts'
import { parseBatch, type BatchLine } from '../batch.ts'
import { API_REVISIONS } from '../../server/api-file.ts'
import type { Context } from '../context.ts'
import { DEFINITION_OPTION_NAMES, definitionFromOptions, editedDefinition, type DefinitionOptions } from '../definition.ts'
import { CliError, EXIT, optionIssue, usageError } from '../exit.ts'
import { BATCH_STDIN_MAX_BYTES, readStdin } from '../stdin.ts'
import { displayWidth, endedSentence, formatDuration, formatMemory, formatRelative, paint, parseDuration, parseIds, parseInteger, runEndCell, table, tableWidth, terminalColumns, truncate } from '../format.ts'
import { ENGINE_PAUSED, afterCrashNote, describeRateHold, heldBy, machineOf, rateHolds, type HeldGroups } from './machine.ts'
import { remoteBindingsOf } from './groups.ts'

export async function add(ctx: Context, argv: readonly string[], options: DefinitionOptions & { quiet?: boolean; idempotencyKey?: string }): Promise<Task> {
  const definition = await definitionFromOptions(argv, options)
  const client = await ctx.connect()
  const { idempotencyKey } = options
  // An older server would store a second task (or refuse the field): refuse before sending.
  if (idempotencyKey !== undefined) client.requireRevision(API_REVISIONS.idempotencyKeys, '--idempotency-key')
  if (definition.limits !== undefined) client.requireRevision(API_REVISIONS.resourceLimits, '--max-memory and --max-cpu')
  if (options.tty === true) client.requireRevision(API_REVISIONS.tty, '--tty')
  const { task, duplicate } = await client.invoke('task.submit', { definition, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) }, IDEMPOTENT_OPTION_NAMES)
  ctx.print({ task, ...(duplicate ? { duplicate } : {}) }, () =>
    options.quiet ? String(task.id) : duplicate ? `Task ${task.id} already exists for key ${idempotencyKey} (${task.status}): ${task.name}` : `Task ${task.id} added (${task.status}): ${task.name}`,
  )
  return task
}

const IDEMPOTENT_OPTION_NAMES = { ...DEFINITION_OPTION_NAMES, idempotencyKey: '--idempotency-key' }

/**
 * `add --batch`: every line of stdin becomes a task, with the options given, and the batch is
 * added whole or not at all. All lines are read and checked first; then the whole batch goes
 * as one task.submitMany, which the engine checks whole and stores in one transaction. A batch
 * larger than one request takes is refused before anything is sent, not split: a later part
 * refused (a group removed meanwhile, a dependency gone, a line the contract refuses) would
 * leave the earlier parts added, and running.
 */
export async function addBatch(ctx: Context, mode: string, options: DefinitionOptions & { quiet?: boolean; idempotencyKey?: string }): Promise<Task[]> {
  if (mode !== 'argv' && mode !== 'shell') throw usageError(`--batch: "${mode}" is not a mode; use argv (the default) or shell.`)
  if (options.shell !== undefined) throw usageError('--batch reads the commands from stdin; give --batch shell instead of --shell to run each line through the shell.')
  if (options.stdin === '-') throw usageError('--batch reads the commands from stdin, so --stdin - cannot read it too.')
  const lines = parsedBatch(await readStdin('--batch', BATCH_STDIN_MAX_BYTES), mode)
  // One definition built from the options; each line only changes the command.
  const template = await definitionFromOptions(['placeholder'], options)
  const definitions = lines.map(({ command }) => ({ ...template, spec: { ...template.spec, command } }))
  // The contract (and with it zod) is loaded only for batches long enough to be in question.
  if (definitions.length > BATCH_LINES_SURELY_ALLOWED) {
    const { LIMITS } = await import('../../../src-shared/model.ts')
    if (definitions.length > LIMITS.submitManyCount) {
      throw usageError(`${definitions.length} commands on stdin; one batch adds at most ${LIMITS.submitManyCount}, all or none. Nothing was added: split the input (\`split -l ${LIMITS.submitManyCount}\`) and add each part.`)
    }
  }
  // `--idempotency-key KEY`: line N is added once, as KEY-N (its line number in the input), so the same batch run again adds nothing twice.
  const prefix = options.idempotencyKey
  const keys = prefix === undefined ? undefined : lines.map(({ line }) => `${prefix}-${line}`)
  const longest = keys?.reduce((a, b) => (b.length > a.length ? b : a), '')
  if (longest !== undefined && longest.length > 255) throw usageError(`--idempotency-key: "${longest}" (the key of a line) is longer than 255 characters; use a shorter key. Nothing was added.`)
  let client: ApiClient | null = null
  if (definitions.length > 0) {
    client = await ctx.connect()
    if (keys !== undefined) client.requireRevision(API_REVISIONS.submitManyKeys, '--idempotency-key with --batch')
    if (options.tty === true) client.requireRevision(API_REVISIONS.tty, '--tty')
  }
  const { tasks, duplicates } = client === null ? { tasks: [], duplicates: [] } : await submitBatch(client, lines, definitions, keys)
  const added = tasks.length - (duplicates?.length ?? 0)
  ctx.print({ tasks, ...(keys === undefined ? {} : { duplicates: duplicates ?? [] }) }, () => {
    if (options.quiet) return tasks.map((task) => task.id).join('\n')
    if (tasks.length === 0) return 'No commands on stdin; nothing added.'
    const already = duplicates?.length ? `${added === 0 ? 'Nothing added: ' : ''}${duplicates.length} already added with their keys (${idRanges(duplicates.map((i) => tasks[i]!.id))})` : ''
    if (added === 0) return already
    const newIds = tasks.filter((_, i) => !duplicates?.includes(i)).map((task) => task.id)
    return `Added ${added} task${added === 1 ? '' : 's'}: ${idRanges(newIds)}${already ? `; ${already}` : ''}`
  })
  return tasks
}

/** The lines of a batch; a line refused is refused with all the others (the message says so, as every batch refusal does). */
function parsedBatch(text: string, mode: 'argv' | 'shell'): BatchLine[] {
  try {
    return parseBatch(text, mode)
  } catch (error) {
    if (!(error instanceof CliError)) throw error
    throw new CliError(error.exitCode, error.code, `${error.message} Nothing was added.`, error.details)
  }
}

/** The batch as one task.submitMany; a refusal says which lines (or options) were wrong, and that nothing was added. */
async function submitBatch(client: ApiClient, lines: readonly BatchLine[], definitions: TaskDefinitionInput[], idempotencyKeys?: string[]): Promise<{ tasks: Task[]; duplicates?: number[] }> {
  try {
    return await client.invoke('task.submitMany', { definitions, ...(idempotencyKeys === undefined ? {} : { idempotencyKeys }) })
  } catch (error) {
    if (!(error instanceof CliError)) throw error
    throw batchRefusal(error, lines, definitions)
  }
}

/**
 * A batch of at most this many lines is within LIMITS.submitManyCount (10,000) without
 * loading the contract to check; only a longer one pays for loading zod. Lower the limit
 * below this and the client's own refusal (with its `split -l` advice) is skipped; the
 * server still refuses.
 */
const BATCH_LINES_SURELY_ALLOWED = 1000

/** How many refused lines a message names before it counts the rest. */
const LINES_NAMED = 5

function batchRefusal(error: CliError, lines: readonly BatchLine[], definitions: readonly TaskDefinitionInput[]): CliError {
  if (error.code === 'unreachable') {
    // The request may have been sent before the connection failed: then the engine stored it whole or not at all.
    return new CliError(error.exitCode, error.code, `${error.message} The batch was added whole or not at all: \`taskdeck status\` shows which.`, error.details)
  }
  if (error.code === 'too_large') {
    const fit = linesThatFit(definitions, error.details)
    const howToSplit =
      fit === null ? '' : fit === 0 ? '; even one line with these options is larger than that' : `; the first ${fit} lines fit in one (\`split -l ${fit}\`, then add each part)`
    return new CliError(error.exitCode, error.code, `${error.message} Nothing was added: a batch goes as one message, all or none${howToSplit}.`, error.details)
  }
  const refusedLines: number[] = []
  const parts = new Set<string>()
  for (const issue of error.details?.issues ?? []) {
    const at = /^definitions\.(\d+)\.(.+)$/.exec(issue.path)
    const line = at ? lines[Number(at[1])]?.line : undefined
    if (!at || line === undefined) continue
    const field = `definition.${at[2]}`
    if (field === 'definition.spec.command' || field.startsWith('definition.spec.command.')) {
      // A line with two refused words has two issues, in order: it is one refused line.
      if (refusedLines.at(-1) === line) continue
      refusedLines.push(line)
      if (refusedLines.length <= LINES_NAMED) parts.add(`--batch line ${line}: the command: ${issue.message}`)
      continue
    }
    // Every line has the options' fields: a refused one is named once, by its option.
    parts.add(optionIssue(field, issue.message, { definition: definitions[Number(at[1])] }, DEFINITION_OPTION_NAMES) ?? `--batch line ${line}: ${field}: ${issue.message}`)
  }
  const more = refusedLines.length > LINES_NAMED ? ` (and ${refusedLines.length - LINES_NAMED} more lines)` : ''
  const what = parts.size > 0 ? `${[...parts].join('; ')}${more}` : error.message.replace(/[.!?]$/, '')
  return new CliError(error.exitCode, error.code, `${what}. Nothing was added: a batch is added whole or not at all.`, {
    ...error.details,
    ...(refusedLines.length > 0 ? { lines: refusedLines } : {}),
  })
}

/** How many of the batch's first lines fit in one message, from the sizes a too_large refusal by the client gives; null without them. */
function linesThatFit(definitions: readonly TaskDefinitionInput[], details: CliError['details']): number | null {
  const { bytes, limitBytes } = details ?? {}
  if (typeof bytes !== 'number' || typeof limitBytes !== 'number') return null
  const sizes = definitions.map((definition) => Buffer.byteLength(JSON.stringify(definition)) + 1)
  // The envelope around the definitions: what the message has beyond them.
  let total = bytes - sizes.reduce((sum, size) => sum + size, 0)
  let fit = 0
  while (fit < sizes.length && total + sizes[fit]! <= limitBytes) total += sizes[fit++]!
  return fit
}

/** "3-7, 9" for [3, 4, 5, 6, 7, 9]. */
export function idRanges(ids: readonly number[]): string {
  const ranges: string[] = []
  for (let i = 0; i < ids.length; ) {
    let j = i
    while (j + 1 < ids.length && ids[j + 1] === (ids[j] ?? 0) + 1) j++
    ranges.push(j > i ? `${ids[i]}-${ids[j]}` : String(ids[i]))
    i = j + 1
  }
  return ranges.join(', ')
}

export async function edit(ctx: Context, idText: string, argv: readonly string[], options: DefinitionOptions): Promise<void> {
  const [taskId] = parseIds([idText])
  if (taskId === undefined) throw usageError('edit needs a task id.')
  const client = await ctx.connect()
  const { task: current } = await client.invoke('task.get', { taskId })
  const definition = await editedDefinition(current.definition, argv, options)
  if (options.maxMemory !== undefined || options.maxCpu !== undefined) client.requireRevision(API_REVISIONS.resourceLimits, '--max-memory and --max-cpu')
  if (options.tty !== undefined) client.requireRevision(API_REVISIONS.tty, options.tty ? '--tty' : '--no-tty')
  const { task } = await client.invoke('task.edit', { taskId, definition }, DEFINITION_OPTION_NAMES)
  ctx.print({ task }, () => `Task ${task.id} updated: ${task.name}`)
}

export async function move(ctx: Context, idText: string, where: 'top' | 'bottom' | 'up' | 'down'): Promise<void> {
  const [taskId] = parseIds([idText])
  if (taskId === undefined) throw usageError('move needs a task id.')
  const client = await ctx.connect()
  const { task } = await client.invoke('task.move', { taskId, to: where })
  const place = where === 'top' || where === 'bottom' ? `to the ${where} of` : `one place ${where} in`
  ctx.print({ task }, () => `Task ${task.id} moved ${place} group ${task.definition.group}'s queue (priority ${task.definition.priority}).`)
}

type BulkCommand = 'task.cancel' | 'task.pause' | 'task.resume' | 'task.retry' | 'task.stash' | 'task.unstash'

const PAST_TENSE: Readonly<Record<BulkCommand, string>> = {
  'task.cancel': 'Cancelled',
  'task.pause': 'Paused',
  'task.resume': 'Resumed',
  'task.retry': 'Retrying',
  'task.stash': 'Stashed',
  'task.unstash': 'Unstashed',
}

/**
 * Applies `commands` to the tasks; the ids any of them changed, in the order given. Every
 * per-task action goes through here: the ones named on the command line (`ids`) and kill's
 * --group / --all. Each command goes as one request, which the engine applies to all the
 * tasks or (refused) to none; more ids than one request takes are refused here rather than
 * split, since a later part refused would leave the earlier parts applied.
 */
async function changeTasks(ctx: Context, commands: readonly BulkCommand[], taskIds: readonly number[], tooMany: (limit: number) => string): Promise<number[]> {
  // The contract (and with it zod) is loaded only for lists long enough to be in question.
  if (taskIds.length > 1000) {
    const { LIMITS } = await import('../../../src-shared/model.ts')
    if (taskIds.length > LIMITS.taskIdsPerCommand) throw usageError(tooMany(LIMITS.taskIdsPerCommand))
  }
  if (taskIds.length === 0) return []
  const client = await ctx.connect()
  const changed = new Set<number>()
  for (const command of commands) for (const id of (await client.invoke(command, { taskIds: [...taskIds] })).affected) changed.add(id)
  return taskIds.filter((id) => changed.has(id))
}

/** An action on the tasks named on the command line: refused when it changed none of them (`nothingChanged` says why, given what each is now). */
async function changeNamedTasks(
  ctx: Context,
  ids: readonly string[],
  commands: readonly BulkCommand[],
  done: string,
  nothingChanged: (states: string) => string,
): Promise<void> {
  const taskIds = [...new Set(parseIds(ids))]
  if (taskIds.length === 0) throw usageError('Name at least one task id.')
  const affected = await changeTasks(ctx, commands, taskIds, (limit) =>
    `${taskIds.length} tasks named; one call changes at most ${limit}, all or none. Nothing was changed: name at most ${limit} per call.`,
  )
  if (affected.length === 0) throw new CliError(EXIT.failed, 'conflict', nothingChanged(await currentStates(await ctx.connect(), taskIds)))
  ctx.print({ affected }, () => `${done}: ${affected.join(', ')}`)
}

/** How many tasks a refusal names with their status before it only counts the rest. */
const STATES_NAMED = 5

/** "task 13 (cancelled)" or "tasks 13 (cancelled), 14 (succeeded)": what a user asks when an action changed nothing. */
async function currentStates(client: ApiClient, taskIds: readonly number[]): Promise<string> {
  const named = await Promise.all(taskIds.slice(0, STATES_NAMED).map(async (taskId) => `${taskId} (${(await client.invoke('task.get', { taskId })).task.status})`))
  const more = taskIds.length > STATES_NAMED ? ` and ${taskIds.length - STATES_NAMED} more` : ''
  return `${taskIds.length === 1 ? 'task' : 'tasks'} ${named.join(', ')}${more}`
}

/** The CLI command behind each engine command, for messages. */
const CLI_VERB: Readonly<Record<BulkCommand, string>> = {
  'task.cancel': 'kill',
  'task.pause': 'pause',
  'task.resume': 'resume',
  'task.retry': 'retry',
  'task.stash': 'stash',
  'task.unstash': 'unstash',
}

/** What each action applies to, for a refusal that changed nothing. */
const APPLIES_TO: Readonly<Record<BulkCommand, string>> = {
  'task.cancel': 'unfinished tasks',
  'task.pause': 'running, queued or waiting tasks',
  'task.resume': 'paused tasks',
  'task.retry': 'finished tasks',
  'task.stash': 'queued or waiting tasks',
  'task.unstash': 'stashed tasks',
}

/** kill / retry and the per-task forms of pause / resume. */
export function bulk(ctx: Context, command: BulkCommand, ids: readonly string[]): Promise<void> {
  return changeNamedTasks(ctx, ids, [command], PAST_TENSE[command], (states) =>
    `No task changed: ${CLI_VERB[command]} applies to ${APPLIES_TO[command]}, and ${states} ${states.startsWith('tasks') ? 'are' : 'is'} not (see \`taskdeck status\`).`,
  )
}

/** `kill` with ids, or every unfinished task of a group (--group) or of all (--all), like pueue's `kill -g` / `--all`. */
export async function kill(ctx: Context, ids: readonly string[], options: { group?: string; all?: boolean }): Promise<void> {
  const chosen = [ids.length > 0, options.group !== undefined, options.all === true].filter(Boolean).length
  if (chosen !== 1) throw usageError('kill needs exactly one of: task ids, --group NAME, --all.')
  if (ids.length > 0) return bulk(ctx, 'task.cancel', ids)
  const { TASK_STATUSES, isFinished } = await import('../../../src-shared/model.ts')
  const client = await ctx.connect()
  if (options.group !== undefined) (await import('./groups.ts')).requireGroup((await client.invoke('group.list', {})).groups, options.group)
  const { tasks } = await client.invoke('task.list', { status: TASK_STATUSES.filter((status) => !isFinished(status)), ...(options.group === undefined ? {} : { group: options.group }), limit: 100_000 }, { group: '--group' })
  const where = options.group === undefined ? '' : ` in group ${options.group}`
  const affected = await changeTasks(ctx, ['task.cancel'], tasks.map((task) => task.id), (limit) =>
    `${tasks.length} unfinished tasks${where}; one kill cancels at most ${limit}, all or none. Nothing was cancelled: kill them by id, at most ${limit} per call (\`taskdeck status --json\` lists them).`,
  )
  ctx.print({ affected }, () => (affected.length === 0 ? `No unfinished tasks${where}.` : `Cancelled${where}: ${idRanges(affected)}`))
}

/** `pause`/`resume` with ids (tasks), --group (a group) or --all (the whole engine). */
export async function pauseOrResume(ctx: Context, action: 'pause' | 'resume', ids: readonly string[], options: { group?: string; all?: boolean }): Promise<void> {
  const chosen = [ids.length > 0, options.group !== undefined, options.all === true].filter(Boolean).length
  if (chosen !== 1) throw usageError(`${action} needs exactly one of: task ids, --group NAME, --all.`)
  if (ids.length > 0) return action === 'pause' ? bulk(ctx, 'task.pause', ids) : resumeTasks(ctx, ids)
  const client = await ctx.connect()
  if (options.group !== undefined) {
    const [{ group }, bindings] = await Promise.all([
      client.invoke(action === 'pause' ? 'group.pause' : 'group.resume', { name: options.group }),
      remoteBindingsOf(client),
    ])
    const binding = bindings.find((bound) => bound.group === group.name)
    ctx.print({ group }, () => (group.paused ? `Group ${group.name} paused: ${pausedGroupNote(binding)}, until \`taskdeck resume --group ${group.name}\`.` : `Group ${group.name} resumed.`))
    return
  }
  const [, bindings] = await Promise.all([client.invoke(action === 'pause' ? 'engine.pause' : 'engine.resume', {}), remoteBindingsOf(client)])
  const stopped =
    bindings.length === 0
      ? 'running shell tasks are stopped'
      : `running shell tasks on this machine are stopped; in groups bound to Redis (${bindings.map((bound) => bound.group).join(', ')}), ${REMOTE_RUNS_GO_ON}`
  ctx.print({}, () => (action === 'pause' ? `Paused: no task starts, and ${stopped}, until \`taskdeck resume --all\`.` : 'Resumed.'))
}

/**
 * What a group's pause does to it. A run on a Redis worker cannot be paused (BullMQ has no
 * per-job pause): the app only stops handing runs to the workers, and those they have go on.
 */
function pausedGroupNote(binding: RemoteBinding | undefined): string {
  if (binding === undefined) return 'none of its tasks start, and its running shell tasks are stopped'
  const going = `${REMOTE_RUNS_GO_ON} (a run on a worker cannot be paused)`
  return binding.localSlots === null
    ? `no more of its tasks go to its Redis workers (${binding.redis}); ${going}`
    : `none of its tasks start, here or on its Redis workers (${binding.redis}); its running shell tasks on this machine are stopped, and ${going}`
}

const REMOTE_RUNS_GO_ON = 'the runs the workers already have go on to their end'

/**
 * `resume IDS`: paused tasks go on, and stashed ones are scheduled (as `add --stash` and the
 * help promise), like pueue's `start`; the engine keeps the two commands apart.
 */
function resumeTasks(ctx: Context, ids: readonly string[]): Promise<void> {
  return changeNamedTasks(ctx, ids, ['task.resume', 'task.unstash'], 'Resumed', (states) =>
    `No task changed: resume applies to paused and stashed tasks, and ${states} ${states.startsWith('tasks') ? 'are' : 'is'} neither (see \`taskdeck status\`).`,
  )
}

export async function send(ctx: Context, idText: string, text: string, options: { newline: boolean }): Promise<void> {
  const [taskId] = parseIds([idText])
  if (taskId === undefined) throw usageError('send needs a task id.')
  const client = await ctx.connect()
  await client.invoke('task.send', { taskId, text: options.newline ? `${text}\n` : text })
  ctx.print({}, () => null)
}

export async function clean(ctx: Context, ids: string[], options: { olderThan?: string; status?: string[] }): Promise<void> {
  const taskIds = ids.length === 0 ? undefined : parseIds(ids)
  const statuses = options.status === undefined ? undefined : statusList(options.status)
  if (statuses !== undefined) {
    // Unfinished statuses would match nothing: say so rather than "Removed 0".
    const { FINISHED_STATUSES, TASK_STATUSES } = await import('../../../src-shared/model.ts')
    const unfinished = statuses.filter((status) => TASK_STATUSES.includes(status) && !FINISHED_STATUSES.includes(status))
    if (unfinished.length > 0) {
      throw usageError(`--status: clean removes only finished tasks (${FINISHED_STATUSES.join(', ')}); ${unfinished.join(', ')} ${unfinished.length === 1 ? 'is' : 'are'} not finished (stop such tasks with \`taskdeck kill\` first).`)
    }
  }
  const olderThanMs = options.olderThan === undefined ? undefined : parseDuration(options.olderThan, '--older-than')
  const client = await ctx.connect()
  const { removed } = await client.invoke('task.clean', {
    ...(olderThanMs === undefined ? {} : { olderThanMs }),
    ...(statuses === undefined ? {} : { statuses }),
    ...(taskIds === undefined ? {} : { taskIds }),
  }, { statuses: '--status', olderThanMs: '--older-than', taskIds: 'IDS' })
  ctx.print({ removed }, () => `Removed ${removed.length} finished task${removed.length === 1 ? '' : 's'}.`)
}

export interface StatusOptions {
  status?: string[]
  group?: string
  label?: string
  text?: string
  limit?: string
  wide?: boolean
}

export async function status(ctx: Context, options: StatusOptions): Promise<void> {
  const filters = {
    ...(options.status === undefined ? {} : { status: statusList(options.status) }),
    ...(options.group === undefined ? {} : { group: options.group }),
    ...(options.label === undefined ? {} : { label: options.label }),
    ...(options.text === undefined ? {} : { text: options.text }),
    limit: options.limit === undefined ? 1000 : parseInteger(options.limit, '--limit', 1, 100_000),
    // The table's exit codes and durations come in the same answer.
    withLastRuns: true,
  }
  const optionNames = { status: '--status', group: '--group', label: '--label', text: '--text' }
  const client = await ctx.connect()
  // Beyond the limit, the newest tasks: those a user is watching, not the oldest of a long history.
  client.requireRevision(API_REVISIONS.strictParams, 'status (the newest tasks first)')
  const [{ tasks, total, lastRuns }, { groups, enginePaused }, machine] = await Promise.all([
    client.invoke('task.list', { ...filters, newest: true }, optionNames),
    client.invoke('group.list', {}),
    machineOf(client),
  ])
  // A misspelt group would match no task and read as an empty queue; a removed one's finished tasks are still listed.
  if (options.group !== undefined && total === 0) (await import('./groups.ts')).requireGroup(groups, options.group)
  const byRate = await rateHolds(client, groups, tasks.filter((task) => task.status === 'queued').map((task) => task.definition.group))
  const held = heldBy(groups, enginePaused, machine, byRate)
  const now = Date.now()
  const lastRun = new Map<number, Run>((lastRuns ?? []).map((run) => [run.taskId, run]))
  // A queued task its group's rate holds carries the hold (`rateLimited`: max, perMs, and `until`, when the next slot opens).
  const rows = tasks.map((task) => {
    const hold = task.status === 'queued' ? byRate.get(task.definition.group) : undefined
    return { ...task, lastRun: lastRun.get(task.id) ?? null, ...(hold === undefined ? {} : { rateLimited: hold }) }
  })
  ctx.print({ tasks: rows, total, ...(enginePaused === undefined ? {} : { enginePaused }) }, () => {
    // A pause --all outlives a restart: without this line a queue that never moves would look stuck.
    const crashNote = afterCrashNote(held)
    const pausedNote = (held.all ? `\n${paint('yellow', ENGINE_PAUSED)}` : '') + (crashNote === null ? '' : `\n${paint('yellow', crashNote)}`)
    if (tasks.length === 0) {
      const filtered = options.status !== undefined || options.group !== undefined || options.label !== undefined || options.text !== undefined
      const none = filtered ? 'No tasks match.' : "No tasks. Add one with `taskdeck add -- CMD ARGS…` (or `taskdeck add --shell 'CMD | CMD'`)."
      return (total === 0 ? none : `No tasks on this page (${total} match).`) + pausedNote
    }
    // What the last run used (blank where it was not measured): peak memory and CPU time (docs/architecture.md, "Usage").
    const header = ['ID', 'STATUS', 'GROUP', 'EXIT', 'TIME', 'PEAK MEM', 'CPU', 'NAME']
    const cells = rows.map((task) => [
      String(task.id),
      paintStatus(task.status),
      task.definition.group,
      runEndCell(task.definition.spec.kind, task.lastRun),
      formatDuration(task.lastRun?.durationMs ?? null),
      ...usageCells(task.lastRun),
    ])
    // On a terminal a long command would wrap and break the table: NAME gets what the other columns leave (--wide: all),
    // less the last column, where some terminals wrap already.
    const columns = options.wide ? undefined : terminalColumns()
    const nameWidth = columns === undefined ? Number.POSITIVE_INFINITY : columns - tableWidth(header.slice(0, -1), cells) - 2 - 1
    const body = rows.map((task, index) => [...cells[index]!, describeRow(task, held, now, nameWidth, options.wide === true)])
    const more = total > tasks.length ? `\nThe newest ${tasks.length} of ${total} shown; use --limit or filters.` : ''
    return table(header, body) + more + pausedNote
  })
}

export async function log(ctx: Context, idText: string, options: { lines?: string; stderr?: boolean; attempt?: string }): Promise<void> {
  const [taskId] = parseIds([idText])
  if (taskId === undefined) throw usageError('log needs a task id.')
  const client = await ctx.connect()
  const { task, runs } = await client.invoke('task.get', { taskId })
  const run = pickRun(task, runs, options.attempt)
  const stream = options.stderr ? { stream: 'stderr' as const } : {}
  const wanted = options.lines === undefined ? Number.POSITIVE_INFINITY : parseInteger(options.lines, '--lines', 0, Number.MAX_SAFE_INTEGER)
  let fromLine = 0
  if (options.lines !== undefined && !options.stderr) {
    // Line numbers count every stream, so the last N of all lines start at total - N.
    const { totalLines } = await client.invoke('run.readLog', { runId: run.id, fromLine: 0, count: 1 })
    fromLine = Math.max(0, totalLines - wanted)
  }
  let lines: LogLine[] = []
  let droppedBytes: number
  for (;;) {
    const page = await client.invoke('run.readLog', { runId: run.id, fromLine, count: 10_000, ...stream })
    droppedBytes = page.droppedBytes
    lines.push(...page.lines)
    if (lines.length > wanted) lines = lines.slice(lines.length - wanted)
    const last = page.lines.at(-1)
    if (last === undefined || last.n + 1 >= page.totalLines) break
    fromLine = last.n + 1
  }
  if (ctx.json) {
    ctx.print({ runId: run.id, lines, droppedBytes }, () => null)
    return
  }
  for (const line of lines) writeLine(line, line.text, true)
  // A run that never started (a missing executable, a bad cwd) has no output: say why it ended,
  // as the task's end only when it was (an attempt that failed before a retry or a cancel is not the task failing).
  if (run.reason !== null && run.status !== 'succeeded') {
    const whose = run.id === task.lastRunId && run.status === task.status ? `Task ${task.id}` : `Attempt ${attemptOf(runs, run)} of task ${task.id} (now ${task.status})`
    process.stderr.write(paint('yellow', `${endedSentence(whose, run.status, run.reason)}\n`, process.stderr))
  }
  if (droppedBytes > 0) process.stderr.write(paint('yellow', `(${droppedBytes} bytes of output were dropped by the log cap)\n`, process.stderr))
}

/** A run's peak memory and CPU time for the status table; blank when it was not measured. */
function usageCells(run: Run | null): [string, string] {
  const usage = run?.usage
  if (usage === undefined) return ['', '']
  return [formatMemory(usage.peakMemoryBytes), formatDuration(usage.cpuSeconds * 1000)]
}


/** A name is not cut shorter than this to keep its note whole: a name cut shorter says too little. */
const MIN_NAME_WIDTH = 16
/** Below this a cut name or note says nothing: the row may then be wider than the terminal. */
const MIN_CUT_WIDTH = 8

/**
 * The NAME cell, at most `width` columns where it can be: the name, then what a task that has
 * not run waits for (dim), or why it did not succeed (red), with what its run said last on
 * stderr (the last line; `wide`, every line kept). The note is kept whole before the name is,
 * since it answers the question a user scans the table with; when both cannot fit, each gets half.
 */
function describeRow(task: Task & { lastRun: Run | null }, held: HeldGroups, now: number, width: number, wide: boolean): string {
  const note = waitNote(task, held, now)
  const reason = task.status === 'succeeded' ? null : (task.lastRun?.reason ?? task.reason ?? null)
  const said = reason === null ? null : stderrSaid(task.lastRun, wide)
  const extra = note ?? (said === null ? reason : `${reason}: ${said}`)
  if (extra === null) return truncate(task.name, Math.max(MIN_CUT_WIDTH, width))
  // Two spaces and the parentheses around the note.
  const room = width - 4
  const nameRoom = room - displayWidth(extra) >= MIN_NAME_WIDTH ? room - displayWidth(extra) : Math.floor(room / 2)
  const name = truncate(task.name, Math.max(MIN_CUT_WIDTH, nameRoom))
  const shown = truncate(extra, Math.max(MIN_CUT_WIDTH, room - displayWidth(name)))
  return `${name}  ${paint(note === null ? 'red' : 'dim', `(${shown})`)}`
}

/** A run's stderr tail on one line: its last line, or (`all`) its lines joined with ⏎. */
export function stderrSaid(run: Run | null, all: boolean): string | null {
  const lines = run?.stderrTail?.split('\n') ?? []
  if (lines.length === 0) return null
  return all ? lines.join(' ⏎ ') : lines.at(-1)!
}

/** What a task that has not run yet waits for, the next thing a user asks of a queue that does not move. */
export function waitNote(task: Task, held: HeldGroups, now: number): string | null {
  if (task.status === 'queued' && held.all) return 'everything is paused'
  if ((task.status === 'queued' || task.status === 'waiting') && held.paused.has(task.definition.group)) {
    if (held.afterCrash.has(task.definition.group)) return `group ${task.definition.group} was paused after a crash`
    const cause = held.paused.get(task.definition.group)
    return `group ${task.definition.group} is paused${cause ? `: ${cause}` : ''}`
  }
  const unmet = held.byMachine.get(task.definition.group)
  if (task.status === 'queued' && unmet) return describeUnmet(unmet)
  const rate = held.byRate.get(task.definition.group)
  if (task.status === 'queued' && rate) return describeRateHold(task.definition.group, rate, now)
  const wait = task.waitingFor
  // A running task its group's machine conditions paused (whenUnmet pause).
  if (task.status === 'paused' && wait?.kind === 'machine') return `held: ${describeUnmet(wait.unmet)}`
  if (task.status !== 'waiting' || wait === null) return null
  if (wait.kind === 'dependency') return `after ${wait.taskIds.join(', ')}`
  if (wait.kind === 'delay') return `starts ${formatRelative(wait.until - now)}`
  if (wait.kind === 'backoff') return `attempt ${wait.attempt} ${formatRelative(wait.until - now)}`
  return null
}

/** Runs in the order they started: attempt N is the task's Nth run overall (a manual retry restarts the engine's own attempt count). */
const byStart = (runs: readonly Run[]): Run[] => [...runs].sort((a, b) => a.id - b.id)
const attemptOf = (runs: readonly Run[], run: Run): number => byStart(runs).indexOf(run) + 1

export function pickRun(task: Task, runs: readonly Run[], attempt: string | undefined): Run {
  const run =
    attempt === undefined
      ? runs.find((r) => r.id === task.lastRunId)
      : byStart(runs)[parseInteger(attempt, '--attempt', 1, Number.MAX_SAFE_INTEGER) - 1]
  if (run === undefined) {
    // A task that ended without a run never will: say why (a failed dependency, a cancel while queued).
    const notRun = task.reason === null ? `Task ${task.id} has not run yet (${task.status}).` : `Task ${task.id} never ran (${task.status}: ${task.reason}).`
    throw new CliError(EXIT.failed, 'not_found', attempt === undefined ? notRun : `Task ${task.id} has no attempt ${attempt}.`)
  }
  return run
}

/**
 * Writes (part of) a log line: the task's own output on stdout, red for its stderr on a
 * terminal; Taskdeck's notes (`system`: "queued on redis://…", "started on worker …", a
 * cap's gap) on stderr, so that `taskdeck log ID > file` holds only what the task wrote.
 */
export function writeLine(line: LogLine, text: string, newline: boolean): void {
  const end = newline ? '\n' : ''
  if (line.stream === 'system') process.stderr.write(`${text === '' ? '' : paint('dim', text, process.stderr)}${end}`)
  else process.stdout.write(`${text === '' || line.stream !== 'stderr' ? text : paint('red', text)}${end}`)
}

/** Statuses are checked by the server, whose error names the allowed values. */
function statusList(values: readonly string[]): TaskStatus[] {
  return values.flatMap((value) => value.split(',')).map((value) => value.trim() as TaskStatus)
}

function paintStatus(status: TaskStatus): string {
  if (status === 'succeeded') return paint('green', status)
  if (status === 'failed' || status === 'timed_out' || status === 'interrupted') return paint('red', status)
  if (status === 'running') return paint('cyan', status)
  if (status === 'cancelled') return paint('yellow', status)
  return status
}
