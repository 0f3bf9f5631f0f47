import { resolve } from 'node:path'
import type { CommandInput } from '../../../src-shared/commands.ts'
import { SYSTEM_EVENTS, type SavedTask, type SystemEvent, type Trigger, type TriggerSpecInput, type Firing } from '../../../src-shared/triggers.ts'
import { API_REVISIONS } from '../../server/api-file.ts'
import { shellCommandLine } from '../../../src-shared/shell-words.ts'
import { formatPeriod } from '../../../src-shared/period.ts'
import { FILE_EVENTS, isDefaultFileEvents, type FileEvent } from '../../../src-shared/file-events.ts'
import type { Context } from '../context.ts'
import { readDocument, writeDocument } from '../document.ts'
import { DEFINITION_OPTION_NAMES, definitionFromOptions, type DefinitionOptions } from '../definition.ts'
import { CliError, EXIT, usageError } from '../exit.ts'
import { readStdin, SECRET_STDIN_MAX_BYTES } from '../stdin.ts'
import { formatRelative, paint, parseDuration, parseIds, parseInteger, table } from '../format.ts'

/**
 * `taskdeck trigger …`: saved tasks that start themselves, over the trigger.* and
 * savedTask.* commands. `trigger add` takes the task exactly as `add` does and saves it,
 * then creates the trigger that starts it.
 */

/** The options of `trigger add` beyond those of `add`. */
export interface TriggerAddOptions extends DefinitionOptions {
  cron?: string
  tz?: string
  every?: string
  catchUp?: string
  maxCatchUp?: string
  overlap?: string
  path?: string[]
  debounce?: string
  events?: string
  webhook?: boolean
  secretStdin?: boolean
  accelerator?: string
  afterTask?: string
  afterLabel?: string
  afterSavedTask?: string
  on?: string
  savedTask?: string
  paused?: boolean
}

const CATCH_UP = ['skip', 'once', 'all'] as const
const OVERLAP = ['allow', 'skip'] as const
const OUTCOMES: Readonly<Record<string, 'succeeded' | 'failed' | 'finished'>> = { success: 'succeeded', failure: 'failed', finish: 'finished' }
/** Words people use for chokidar's event names, for a refusal that says which one they meant. */
const EVENT_HINTS: Readonly<Record<string, FileEvent>> = {
  create: 'add', created: 'add', new: 'add', added: 'add',
  modify: 'change', modified: 'change', changed: 'change', update: 'change', write: 'change',
  delete: 'unlink', deleted: 'unlink', remove: 'unlink', removed: 'unlink', rm: 'unlink',
  mkdir: 'addDir', rmdir: 'unlinkDir',
}

/** `--events add,unlink,addDir`: chokidar's names, in any case; a wrong one is named with what it may have meant. */
export function parseFileEvents(text: string): FileEvent[] {
  return text.split(',').map((given) => {
    const word = given.trim()
    const known = FILE_EVENTS.find((event) => event.toLowerCase() === word.toLowerCase())
    if (known !== undefined) return known
    const hint = EVENT_HINTS[word.toLowerCase()]
    throw usageError(`--events: "${word}" is not one of ${FILE_EVENTS.join(', ')}${hint === undefined ? '' : ` (for ${word}, give ${hint})`}.`)
  })
}

/** Words people use for the system events, for a refusal that says which one they meant. */
const SYSTEM_HINTS: Readonly<Record<string, SystemEvent>> = {
  resume: 'wake', resumed: 'wake', woke: 'wake', suspend: 'sleep', suspended: 'sleep',
  ac: 'ac-power', 'on-ac': 'ac-power', mains: 'ac-power', plugged: 'ac-power', 'on-battery': 'battery', unplugged: 'battery',
  'lock-screen': 'lock', locked: 'lock', 'unlock-screen': 'unlock', unlocked: 'unlock',
  connected: 'online', up: 'online', disconnected: 'offline', down: 'offline', away: 'idle', present: 'active', back: 'active',
}

/** `--on wake,online`: the system events' names, in any case; a wrong one is named with what it may have meant. */
export function parseSystemEvents(text: string): SystemEvent[] {
  const events = text.split(',').map((given) => {
    const word = given.trim().toLowerCase()
    const known = SYSTEM_EVENTS.find((event) => event === word)
    if (known !== undefined) return known
    const hint = SYSTEM_HINTS[word]
    throw usageError(`--on: "${given.trim()}" is not one of ${SYSTEM_EVENTS.join(', ')}${hint === undefined ? '' : ` (for ${given.trim()}, give ${hint})`}.`)
  })
  return [...new Set(events)]
}

/** The trigger's spec from the kind options; exactly one kind must be chosen. */
export async function specFromOptions(options: TriggerAddOptions, readSecret: () => Promise<string>): Promise<{ spec: TriggerSpecInput; secretGenerated: boolean }> {
  const kinds = [
    options.cron !== undefined || options.every !== undefined ? 'schedule' : null,
    options.path !== undefined ? 'watch' : null,
    options.webhook ? 'webhook' : null,
    options.accelerator !== undefined ? 'shortcut' : null,
    options.afterTask !== undefined || options.afterLabel !== undefined || options.afterSavedTask !== undefined ? 'completion' : null,
  ].filter((kind) => kind !== null)
  // `--on` alone names system events; beside --after-* it is the outcome a completion waits for.
  if (options.on !== undefined && kinds.length === 0) kinds.push('system')
  if (kinds.length !== 1) {
    throw usageError(
      kinds.length === 0
        ? 'trigger add needs what starts the task: --cron EXPR or --every DURATION, --path GLOB, --webhook, --accelerator KEYS, --after-task ID, --after-label LABEL or --after-saved-task ID, or --on EVENTS (wake, online…).'
        : `trigger add takes one kind of trigger, not ${kinds.join(' and ')}.`,
    )
  }
  if (options.cron !== undefined && options.every !== undefined) throw usageError('Give --cron or --every, not both.')
  if (options.tz !== undefined && options.cron === undefined) throw usageError('--tz applies to --cron schedules only.')
  if ((options.catchUp !== undefined || options.maxCatchUp !== undefined) && kinds[0] !== 'schedule') throw usageError('--catch-up applies to schedules (--cron, --every) only.')
  if (options.overlap !== undefined && kinds[0] !== 'schedule') throw usageError('--overlap applies to schedules (--cron, --every) only.')
  if (options.events !== undefined && kinds[0] !== 'watch') throw usageError('--events applies to --path only.')
  if (options.debounce !== undefined && kinds[0] !== 'watch' && kinds[0] !== 'system') throw usageError('--debounce applies to --path and --on EVENTS only.')
  if (options.secretStdin && kinds[0] !== 'webhook') throw usageError('--secret-stdin applies to --webhook only.')
  if (options.on !== undefined && kinds[0] !== 'completion' && kinds[0] !== 'system') throw usageError('--on applies to --after-task, --after-label and --after-saved-task, or alone (system events).')

  switch (kinds[0]) {
    case 'schedule': {
      const catchUp = options.catchUp === undefined ? undefined : CATCH_UP.find((policy) => policy === options.catchUp)
      if (options.catchUp !== undefined && catchUp === undefined) throw usageError(`--catch-up: "${options.catchUp}" is not one of ${CATCH_UP.join(', ')}.`)
      // Otherwise it would be stored and never used: only `all` starts more than one missed run.
      if (options.maxCatchUp !== undefined && catchUp !== 'all') throw usageError('--max-catch-up applies with --catch-up all only.')
      const overlap = options.overlap === undefined ? undefined : OVERLAP.find((policy) => policy === options.overlap)
      if (options.overlap !== undefined && overlap === undefined) throw usageError(`--overlap: "${options.overlap}" is not one of ${OVERLAP.join(', ')}.`)
      return {
        spec: {
          kind: 'schedule',
          ...(options.cron === undefined ? {} : { cron: options.cron }),
          ...(options.tz === undefined ? {} : { timezone: options.tz }),
          ...(options.every === undefined ? {} : { everyMs: parseDuration(options.every, '--every') }),
          ...(catchUp === undefined ? {} : { catchUp }),
          ...(options.maxCatchUp === undefined ? {} : { maxCatchUp: parseInteger(options.maxCatchUp, '--max-catch-up', 1, 1000) }),
          ...(overlap === undefined ? {} : { overlap }),
        },
        secretGenerated: false,
      }
    }
    case 'watch': {
      const events = options.events === undefined ? undefined : [...new Set(parseFileEvents(options.events))]
      return {
        spec: {
          kind: 'fileWatch',
          // Triggers run with no working directory, so paths are made absolute here, where the user is.
          paths: (options.path ?? []).map((path) => resolve(path)),
          ...(events === undefined ? {} : { events }),
          ...(options.debounce === undefined ? {} : { debounceMs: parseDuration(options.debounce, '--debounce') }),
        },
        secretGenerated: false,
      }
    }
    case 'webhook':
      // Without a secret the server generates one and answers it once; it keeps only a hash.
      return { spec: { kind: 'webhook', ...(options.secretStdin ? { secret: await readSecret() } : {}) }, secretGenerated: !options.secretStdin }
    case 'shortcut':
      return { spec: { kind: 'shortcut', accelerator: options.accelerator ?? '' }, secretGenerated: false }
    case 'completion': {
      const sources = [options.afterTask, options.afterLabel, options.afterSavedTask].filter((source) => source !== undefined)
      if (sources.length > 1) throw usageError('Give one of --after-task, --after-label and --after-saved-task.')
      const when = OUTCOMES[options.on ?? 'success']
      if (when === undefined) throw usageError(`--on: "${options.on}" is not one of ${Object.keys(OUTCOMES).join(', ')}.`)
      return {
        spec: {
          kind: 'completion',
          when,
          ...(options.afterTask === undefined ? {} : { taskId: parseInteger(options.afterTask, '--after-task', 1, Number.MAX_SAFE_INTEGER) }),
          ...(options.afterLabel === undefined ? {} : { label: options.afterLabel }),
          ...(options.afterSavedTask === undefined
            ? {}
            : { afterSavedTaskId: parseInteger(options.afterSavedTask, '--after-saved-task', 1, Number.MAX_SAFE_INTEGER) }),
        },
        secretGenerated: false,
      }
    }
    case 'system':
      return {
        spec: {
          kind: 'system',
          events: parseSystemEvents(options.on ?? ''),
          ...(options.debounce === undefined ? {} : { debounceMs: parseDuration(options.debounce, '--debounce') }),
        },
        secretGenerated: false,
      }
    default:
      throw usageError('trigger add: unknown kind.')
  }
}

/** The `trigger add` option behind each field of the trigger it sends. */
const TRIGGER_OPTION_NAMES = {
  'trigger.name': '--name',
  'trigger.spec.cron': '--cron',
  'trigger.spec.timezone': '--tz',
  'trigger.spec.everyMs': '--every',
  'trigger.spec.maxCatchUp': '--max-catch-up',
  'trigger.spec.paths': '--path',
  'trigger.spec.debounceMs': '--debounce',
  'trigger.spec.events': '--events',
  'trigger.spec.accelerator': '--accelerator',
  'trigger.spec.taskId': '--after-task',
  'trigger.spec.label': '--after-label',
  'trigger.spec.afterSavedTaskId': '--after-saved-task',
} as const

/** The option behind each field of a saved task sent with its trigger (`trigger.create`'s `savedTask`). */
const SAVED_TASK_OPTION_NAMES = {
  'savedTask.name': '--name',
  ...Object.fromEntries(Object.entries(DEFINITION_OPTION_NAMES).map(([path, option]) => [`savedTask.${path}`, option])),
}

/** The secret from stdin, without its trailing newline; checked by the server. */
async function secretFromStdin(): Promise<string> {
  return (await readStdin('--secret-stdin', SECRET_STDIN_MAX_BYTES)).replace(/\r?\n$/, '')
}

const commandText = (command: string | readonly string[]): string => (typeof command === 'string' ? command : shellCommandLine(command))

export async function addTrigger(ctx: Context, argv: readonly string[], options: TriggerAddOptions): Promise<void> {
  if (options.secretStdin && options.stdin === '-') throw usageError('--secret-stdin and --stdin - cannot both read stdin.')
  if (options.savedTask !== undefined && (argv.length > 0 || options.shell !== undefined)) {
    throw usageError('Give the task either as --saved-task ID or as a command (after -- or with --shell), not both.')
  }
  const { spec, secretGenerated } = await specFromOptions(options, secretFromStdin)
  const client = await ctx.connect()
  // A trigger on a task that does not exist would wait forever without a word.
  if (spec.kind === 'completion' && spec.taskId !== undefined) {
    const taskId = spec.taskId
    await client.invoke('task.get', { taskId }).catch((error: unknown) => {
      throw error instanceof CliError && error.code === 'not_found' ? usageError(`--after-task: there is no task ${taskId}.`) : error
    })
  }

  if (spec.kind === 'fileWatch' && spec.events?.some((event) => event === 'addDir' || event === 'unlinkDir')) {
    client.requireRevision(API_REVISIONS.triggerAdditions, '--events addDir and unlinkDir')
  }
  if (spec.kind === 'system') client.requireRevision(API_REVISIONS.systemTriggers, '--on EVENTS (system triggers)')

  const fields = { spec, paused: options.paused === true, ...(options.name === undefined ? {} : { name: options.name }) }
  let savedTask: SavedTask
  let trigger: Trigger
  let secret: string | undefined
  if (options.savedTask !== undefined) {
    const savedTaskId = parseInteger(options.savedTask, '--saved-task', 1, Number.MAX_SAFE_INTEGER)
    const found = (await client.invoke('savedTask.list', {})).savedTasks.find((candidate) => candidate.id === savedTaskId)
    if (found === undefined) throw new CliError(EXIT.failed, 'not_found', `Saved task ${savedTaskId} does not exist (see \`taskdeck saved list\`).`)
    savedTask = found
    ;({ trigger, secret } = await client.invoke('trigger.create', { trigger: { ...fields, savedTaskId } }, TRIGGER_OPTION_NAMES))
  } else {
    const definition = await definitionFromOptions(argv, options)
    const name = options.name ?? commandText(definition.spec.kind === 'shell' ? definition.spec.command : '').slice(0, 200)
    if (client.hasRevision(API_REVISIONS.triggerAdditions)) {
      // One call: the task is saved with its trigger once both are valid, or not at all (a refusal uses up no id).
      const created = await client.invoke('trigger.create', { trigger: fields, savedTask: { name, definition } }, { ...SAVED_TASK_OPTION_NAMES, ...TRIGGER_OPTION_NAMES })
      ;({ trigger, secret } = created)
      if (created.savedTask === undefined) throw new CliError(EXIT.failed, 'internal', `Trigger ${trigger.id} was added, but the server did not answer its saved task.`)
      savedTask = created.savedTask
    } else {
      // An older server: the task is saved first, and removed again when the trigger is refused.
      savedTask = (await client.invoke('savedTask.create', { name, definition }, { ...DEFINITION_OPTION_NAMES, name: '--name' })).savedTask
      try {
        ;({ trigger, secret } = await client.invoke('trigger.create', { trigger: { ...fields, savedTaskId: savedTask.id } }, TRIGGER_OPTION_NAMES))
      } catch (error) {
        await client.invoke('savedTask.remove', { savedTaskId: savedTask.id }).catch(() => undefined)
        throw error
      }
    }
  }
  const generatedSecret = secretGenerated ? (secret ?? null) : null
  const hookUrl = trigger.spec.kind === 'webhook' ? `${client.info.url}hooks/${trigger.id}` : null
  ctx.print({ trigger, savedTask, ...(hookUrl === null ? {} : { url: hookUrl }), ...(generatedSecret === null ? {} : { secret: generatedSecret }) }, () => {
    const lines = [`Trigger ${trigger.id} added (${describeSpec(trigger)}): starts saved task ${savedTask.id} (${savedTask.name}).`]
    if (trigger.nextRunAt !== null) lines.push(`Next run: ${formatTime(trigger.nextRunAt)}.`)
    if (hookUrl !== null) {
      lines.push(`POST ${hookUrl} with the header X-Taskdeck-Secret.`)
      if (generatedSecret !== null) lines.push(`Secret (shown only now): ${generatedSecret}`, `  $ curl -X POST -H 'X-Taskdeck-Secret: ${generatedSecret}' -H 'Content-Type: application/json' --data '{}' ${hookUrl}`)
    }
    return lines.join('\n')
  })
}

/** One line for what makes a trigger fire. */
export function describeSpec(trigger: Trigger): string {
  const spec = trigger.spec
  switch (spec.kind) {
    case 'schedule':
      return `${spec.cron !== undefined ? `cron "${spec.cron}"${spec.timezone ? ` ${spec.timezone}` : ''}` : `every ${formatPeriod(spec.everyMs ?? 0)}`}, catch-up ${spec.catchUp}${
        spec.overlap === 'skip' ? ', one at a time' : ''
      }`
    case 'fileWatch':
      return `watch ${spec.paths.join(', ')} (${isDefaultFileEvents(spec.events) ? '' : `${spec.events.join(', ')}; `}debounce ${formatPeriod(spec.debounceMs)})`
    case 'webhook':
      return `webhook POST /hooks/${trigger.id}`
    case 'shortcut':
      return `shortcut ${spec.accelerator}`
    case 'completion': {
      const source = spec.taskId !== undefined ? `task ${spec.taskId}` : spec.label !== undefined ? `a task labelled ${spec.label}` : `a task of saved task ${spec.afterSavedTaskId}`
      return `when ${source} ${spec.when === 'finished' ? 'finishes' : spec.when}`
    }
    case 'system':
      return `on ${spec.events.join(', ')} (debounce ${formatPeriod(spec.debounceMs)})`
  }
}

/** Local time to the second. */
function formatClock(at: number): string {
  const date = new Date(at)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

/** Local time to the second, and how far away it is. */
export function formatTime(at: number, now = Date.now()): string {
  return `${formatClock(at)} (${formatRelative(at - now)})`
}

const triggerId = (text: string): number => parseIds([text], 'trigger id')[0] ?? 0

export async function listTriggers(ctx: Context): Promise<void> {
  const client = await ctx.connect()
  const [{ triggers }, { savedTasks }] = await Promise.all([client.invoke('trigger.list', {}), client.invoke('savedTask.list', {})])
  const names = new Map(savedTasks.map((savedTask) => [savedTask.id, savedTask.name]))
  ctx.print({ triggers }, () => {
    if (triggers.length === 0) return 'No triggers. Add one with `taskdeck trigger add --cron "0 9 * * 1-5" -- CMD` (see `taskdeck trigger add --help`).'
    return table(
      ['ID', 'KIND', 'STATE', 'NEXT RUN', 'LAST FIRED', 'WHEN', 'TASK'],
      triggers.map((trigger) => [
        String(trigger.id),
        trigger.spec.kind,
        trigger.paused ? paint('yellow', 'paused') : 'active',
        trigger.nextRunAt === null ? '' : formatTime(trigger.nextRunAt),
        trigger.lastFiredAt === null ? '' : formatTime(trigger.lastFiredAt),
        describeSpec(trigger),
        `${trigger.savedTaskId} ${names.get(trigger.savedTaskId) ?? ''}`.trim(),
      ]),
    )
  })
}

export async function showTrigger(ctx: Context, idText: string, options: { limit?: string }): Promise<void> {
  const client = await ctx.connect()
  const historyLimit = options.limit === undefined ? 10 : parseInteger(options.limit, '--limit', 1, 1000)
  const [shown, { savedTasks }] = await Promise.all([client.invoke('trigger.get', { triggerId: triggerId(idText), historyLimit }), client.invoke('savedTask.list', {})])
  const { trigger, history, upcoming } = shown
  const savedTask = savedTasks.find((candidate) => candidate.id === trigger.savedTaskId) ?? null
  ctx.print({ trigger, savedTask, upcoming, history }, () => {
    const spec = savedTask?.definition.spec
    const lines = [
      `Trigger ${trigger.id}: ${trigger.name}`,
      `  when:       ${describeSpec(trigger)}`,
      `  state:      ${trigger.paused ? 'paused' : 'active'}`,
      `  starts:     saved task ${trigger.savedTaskId}${savedTask ? ` (${savedTask.name})` : ''}${spec?.kind === 'shell' ? `: ${commandText(spec.command)}` : ''}`,
      `  last fired: ${trigger.lastFiredAt === null ? 'never' : formatTime(trigger.lastFiredAt)}`,
    ]
    if (upcoming.length > 0) lines.push('  next runs:', ...upcoming.map((at) => `    ${formatTime(at)}`))
    lines.push(history.length === 0 ? '  history:    none yet' : `  history (newest first):\n${historyTable(history, '    ')}`)
    return lines.join('\n')
  })
}

export async function triggerHistory(ctx: Context, idText: string, options: { limit?: string }): Promise<void> {
  const client = await ctx.connect()
  const historyLimit = options.limit === undefined ? 50 : parseInteger(options.limit, '--limit', 1, 1000)
  const { history } = await client.invoke('trigger.get', { triggerId: triggerId(idText), historyLimit })
  ctx.print({ history }, () => (history.length === 0 ? `Trigger ${idText} has not fired yet.` : historyTable(history, '')))
}

/**
 * What a catch-up of `count` slots starts, by the schedule's policy: `once`, one task for them all; `all`, one per slot
 * but at most `maxCatchUp` (the older ones only recorded) and, one at a time (`overlap: skip`), only the first, the
 * others recorded as skipped while it runs.
 */
export function catchUpOutcome(spec: Trigger['spec'], count: number): string {
  if (spec.kind !== 'schedule' || spec.catchUp !== 'all') return 'one task for them all (catch-up once)'
  if (spec.overlap === 'skip' && count > 1) return 'one task for the first; the others are recorded as skipped while it runs (catch-up all, one at a time)'
  if (count > spec.maxCatchUp) return `one task for each of the last ${spec.maxCatchUp}; the older ones are only recorded (catch-up all, at most ${spec.maxCatchUp})`
  return 'one task for each (catch-up all)'
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`

/**
 * What a firing stood for, from its cause-specific detail: the slot and the missed ones, the changed files, the finished
 * task; and when its task was submitted before a restart that lost the firing's record (`detail.recovered`), so it was
 * recorded afterwards, not started again.
 */
export function describeFiring(firing: Firing): string {
  const what = describeCause(firing)
  if (firing.detail.recovered !== true) return what
  return `${what}${what === '' ? '' : ' '}(recorded after a restart)`
}

function describeCause(firing: Firing): string {
  const detail = firing.detail
  const count = (key: string): number => (typeof detail[key] === 'number' ? detail[key] : 0)
  const slot = firing.scheduledFor === null ? '' : `slot ${formatClock(firing.scheduledFor)}`
  const stillActive = Array.isArray(detail.stillActive) ? detail.stillActive.filter((id) => typeof id === 'number') : []
  if (stillActive.length > 0) return `${slot}: task ${stillActive.join(', ')} had not finished (overlap skip)`
  switch (firing.cause) {
    case 'schedule':
      return slot
    case 'catch-up': {
      const missed = `${detail.missedAtLeast === true ? 'at least ' : ''}${plural(count('missed'), 'missed slot')}`
      return firing.outcome === 'skipped' ? `${missed} skipped, the last ${slot.replace(/^slot /, '')}` : `caught up ${missed}; ${slot}`
    }
    case 'file': {
      const paths = Array.isArray(detail.changedPaths) ? detail.changedPaths.filter((p) => typeof p === 'string') : []
      const changed = count('changedCount')
      // "2 add, 1 unlink", from servers that tell what happened to each path.
      const events = typeof detail.events === 'object' && detail.events !== null && !Array.isArray(detail.events) ? Object.entries(detail.events) : []
      const counted = events.flatMap(([event, n]) => (typeof n === 'number' ? [`${n} ${event}`] : []))
      const kinds = counted.length === 0 ? '' : ` (${counted.join(', ')})`
      return `${plural(changed, 'changed path')}${kinds}${paths[0] === undefined ? '' : `: ${paths[0]}${changed > 1 ? ', …' : ''}`}`
    }
    case 'completion':
      return `after task ${count('sourceTaskId')} ${typeof detail.sourceStatus === 'string' ? detail.sourceStatus : 'finished'}`
    case 'webhook':
      return `${plural(count('bytes'), 'byte')}${typeof detail.contentType === 'string' ? ` of ${detail.contentType}` : ''}`
    case 'shortcut':
      return typeof detail.accelerator === 'string' ? detail.accelerator : ''
    case 'system': {
      const slept = typeof detail.sleptMs === 'number' ? ` after ${formatPeriod(detail.sleptMs)} asleep` : ''
      const changes = count('changes') > 1 ? ` (settled after ${count('changes')} changes)` : ''
      return `${typeof detail.event === 'string' ? detail.event : 'system event'}${slept}${changes}`
    }
    case 'manual':
      return ''
  }
}

function historyTable(history: readonly Firing[], indent: string): string {
  return table(
    ['FIRED', 'CAUSE', 'OUTCOME', 'TASK', 'DETAIL'],
    history.map((firing) => [
      formatTime(firing.firedAt),
      firing.cause,
      firing.outcome === 'submitted' ? firing.outcome : paint(firing.outcome === 'failed' ? 'red' : 'yellow', firing.outcome),
      firing.taskId === null ? '' : String(firing.taskId),
      firing.error ?? describeFiring(firing),
    ]),
  )
    .split('\n')
    .map((line) => indent + line)
    .join('\n')
}

export async function changeTrigger(ctx: Context, action: 'pause' | 'resume', idText: string): Promise<void> {
  const client = await ctx.connect()
  const { trigger } = await client.invoke(action === 'pause' ? 'trigger.pause' : 'trigger.resume', { triggerId: triggerId(idText) })
  ctx.print({ trigger }, () => `Trigger ${trigger.id} ${trigger.paused ? 'paused' : `resumed${trigger.nextRunAt === null ? '' : `; next run ${formatTime(trigger.nextRunAt)}`}`}.`)
}

/** A new generated secret for a webhook, answered once; the old one stops working. */
export async function rotateSecret(ctx: Context, idText: string): Promise<void> {
  const client = await ctx.connect()
  const { trigger: current } = await client.invoke('trigger.get', { triggerId: triggerId(idText), historyLimit: 1 })
  if (current.spec.kind !== 'webhook') throw usageError(`Trigger ${current.id} is a ${current.spec.kind} trigger; only webhooks have a secret.`)
  // The spec without its secret hash: rotateSecret asks the server for a new one.
  const { secretHash: _old, ...spec } = current.spec
  const { trigger, secret } = await client.invoke('trigger.update', {
    triggerId: current.id,
    trigger: { name: current.name, savedTaskId: current.savedTaskId, spec, paused: current.paused },
    rotateSecret: true,
  })
  const url = `${client.info.url}hooks/${trigger.id}`
  ctx.print({ trigger, url, secret }, () => `Trigger ${trigger.id} has a new secret (shown only now): ${secret ?? '?'}\nPOST ${url} with the header X-Taskdeck-Secret.`)
}

/** `--from`: a duration ago (`12h`, `2d`) or a local date and time (`2026-11-21 03:00`, or ISO with a zone). */
function parseFrom(text: string, now: number): number {
  if (/^\d+(\.\d+)?(ms|s|m|h|d)/.test(text.trim()) && !/^\d{4}-/.test(text.trim())) return now - parseDuration(text, '--from')
  // A date alone is its local midnight: Date.parse reads an ISO date without a time as UTC, unlike one with a time.
  const given = text.trim().replace(' ', 'T')
  const at = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(given) ? `${given}T00:00` : given)
  if (Number.isNaN(at)) throw usageError(`--from: "${text}" is neither a duration ago (12h, 2d) nor a date and time (2026-11-21 03:00).`)
  return at
}

/** Cronicle's time machine: the schedule's slots since --from run again now, by its catch-up policy. */
export async function catchUpTrigger(ctx: Context, idText: string, options: { from?: string }): Promise<void> {
  if (options.from === undefined) throw usageError('trigger catch-up needs --from: a duration ago (12h, 2d) or a date and time (2026-11-21 03:00).')
  const from = parseFrom(options.from, Date.now())
  const client = await ctx.connect()
  const { trigger, missed } = await client.invoke('trigger.catchUp', { triggerId: triggerId(idText), from }, { from: '--from' })
  const spec = trigger.spec
  ctx.print({ trigger, missed }, () =>
    [
      `Trigger ${trigger.id} catches up ${plural(missed.length, 'slot')}${missed.length >= 1000 ? ' or more' : ''} since ${formatClock(from)}: ${catchUpOutcome(spec, missed.length)}.`,
      `  first ${formatClock(missed[0] ?? from)}, last ${formatClock(missed[missed.length - 1] ?? from)}; see \`taskdeck trigger history ${trigger.id}\`.`,
    ].join('\n'),
  )
}

/**
 * `--payload JSON` (or `-`: JSON on stdin): what a run by hand hands to the task, in the
 * firing's `payload` (on stdin as JSON, or a script's `input`). Parsed here so a typo is
 * told before anything runs.
 */
export async function payloadOf(text: string | undefined): Promise<{ payload?: PayloadJson }> {
  if (text === undefined) return {}
  const json = text === '-' ? await readStdin('--payload -') : text
  try {
    return { payload: JSON.parse(json) as PayloadJson }
  } catch (error) {
    throw usageError(`--payload: not valid JSON (${error instanceof Error ? error.message : String(error)}); give JSON, like --payload '{"file":"notes.md"}', or - to read it from stdin.`)
  }
}
type PayloadJson = NonNullable<CommandInput<'trigger.fire'>['payload']>

/** How a run by hand's fields are named on the command line, for refusals. */
export const RUN_OPTION_NAMES = { payload: '--payload', idempotencyKey: '--idempotency-key' }

export async function fireTrigger(ctx: Context, idText: string, options: { payload?: string; idempotencyKey?: string }): Promise<void> {
  const payload = await payloadOf(options.payload)
  const { idempotencyKey } = options
  const client = await ctx.connect()
  if (idempotencyKey !== undefined) client.requireRevision(API_REVISIONS.firingKeys, '--idempotency-key')
  const { firing, duplicate } = await client.invoke('trigger.fire', { triggerId: triggerId(idText), ...payload, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) }, RUN_OPTION_NAMES)
  ctx.print({ firing, ...(duplicate ? { duplicate } : {}) }, () =>
    duplicate
      ? `Trigger ${idText} already fired for key ${idempotencyKey}: ${firing.taskId === null ? `no task started (${firing.outcome})` : `task ${firing.taskId}`}.`
      : firing.taskId === null
        ? `Trigger ${idText} fired, but no task started (${firing.outcome}${firing.error ? `: ${firing.error}` : ''}).`
        : `Trigger ${idText} fired: task ${firing.taskId}.`,
  )
  if (firing.outcome === 'failed') process.exitCode = EXIT.failed
}

/** Removes a trigger; with --with-task also its saved task, unless another trigger still starts it. */
export async function removeTrigger(ctx: Context, idText: string, options: { withTask?: boolean }): Promise<void> {
  const client = await ctx.connect()
  const id = triggerId(idText)
  const { trigger } = await client.invoke('trigger.get', { triggerId: id, historyLimit: 1 })
  await client.invoke('trigger.remove', { triggerId: id })
  let removedSavedTask: number | null = null
  if (options.withTask) {
    const { triggers } = await client.invoke('trigger.list', { savedTaskId: trigger.savedTaskId })
    if (triggers.length === 0) {
      await client.invoke('savedTask.remove', { savedTaskId: trigger.savedTaskId })
      removedSavedTask = trigger.savedTaskId
    }
  }
  ctx.print({ removed: id, removedSavedTask }, () =>
    removedSavedTask !== null
      ? `Trigger ${id} and saved task ${removedSavedTask} removed.`
      : `Trigger ${id} removed; saved task ${trigger.savedTaskId} is kept${options.withTask ? ' (another trigger starts it)' : ' (--with-task removes it too)'}.`,
  )
}

export async function exportTriggers(ctx: Context, file: string | undefined): Promise<void> {
  const client = await ctx.connect()
  const document = await client.invoke('trigger.export', {})
  if (!(await writeDocument(file, document))) return
  ctx.print({ file, savedTasks: document.savedTasks.length, triggers: document.triggers.length }, () => `Exported ${document.triggers.length} triggers and ${document.savedTasks.length} saved tasks to ${file}.`)
}

export async function importTriggers(ctx: Context, file: string): Promise<void> {
  const document = await readDocument(file, 'taskdeck-triggers')
  const client = await ctx.connect()
  // Validated whole by the server (schemas, references, paths, shortcut clashes) before anything is stored.
  const { savedTasks, triggers } = await client.invoke('trigger.import', { document: document as never })
  ctx.print({ savedTasks, triggers }, () => importSummary(savedTasks, triggers))
}

/**
 * "Imported 1 trigger and 0 saved tasks; 3 triggers and 2 saved tasks already present, skipped.": what was added and
 * what the server recognised as already here (`existed`, from servers that recognise it).
 */
export function importSummary(savedTasks: readonly { existed?: true }[], triggers: readonly { existed?: true }[]): string {
  const present = (entries: readonly { existed?: true }[]) => entries.filter((entry) => entry.existed === true).length
  const [savedPresent, triggersPresent] = [present(savedTasks), present(triggers)]
  const added = `${plural(triggers.length - triggersPresent, 'trigger')} and ${plural(savedTasks.length - savedPresent, 'saved task')}`
  if (savedPresent + triggersPresent === 0) return `Imported ${added}.`
  const skipped = [triggersPresent > 0 ? plural(triggersPresent, 'trigger') : null, savedPresent > 0 ? plural(savedPresent, 'saved task') : null].filter((part) => part !== null).join(' and ')
  return triggers.length === triggersPresent && savedTasks.length === savedPresent ? `Nothing imported: ${skipped} already present, skipped.` : `Imported ${added}; ${skipped} already present, skipped.`
}
