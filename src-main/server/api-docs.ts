import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import {
  COMMANDS,
  strictRequest,
  FiringSchema,
  RemoteBindingSchema,
  SavedTaskSchema,
  TriggerSchema,
  TriggerSpecSchema,
  WorkerInfoSchema,
  DurableEventSchema,
  EndReasonSchema,
  OwnEndReasonSchema,
  ERROR_CODES,
  NOT_SERVED,
  REFUSALS,
  REFUSAL_REASONS,
  GroupSchema,
  LIMITS,
  LogLineSchema,
  PROTOCOL_VERSION,
  RunSchema,
  TaskDefinitionSchema,
  TaskSchema,
  TaskSpecSchema,
  TransientEventSchema,
  type CommandName,
} from '../../src-shared/index.ts'
import { SettingsSchema } from '../../src-shared/settings.ts'
import { EXIT } from '../cli/exit.ts'
import { API_REVISION, API_REVISIONS } from './api-file.ts'
import { COMMAND_PATH, EVENTS_PATH, HEAD_SEQ_HEADER, WEBSOCKET_PATH } from '../../src-shared/paths.ts'
import { DEFAULT_AUTH_TIMEOUT_MS, HTTP_STATUS } from './server.ts'
import { CLOSE_AUTH_TIMEOUT, CLOSE_GOING_AWAY, CLOSE_UNAUTHORIZED } from './ws-client.ts'

/**
 * docs/api.md, generated from the contract's schemas (zod → JSON Schema) plus the prose
 * below. `npm run docs:api` rewrites it; a test fails when it is stale.
 */

/** What each command is for, in a sentence, and an example of its params (checked against the schema). */
const COMMAND_DOCS: Partial<Record<CommandName, { about: string; example: unknown }>> = {
  'task.submit': {
    about:
      'Adds a task. A `command` array runs without a shell; a string runs through the shell. With `idempotencyKey` (1–255 printable ASCII characters, no spaces), a retried submit is safe: while a task made with that key exists, the same key with the same definition returns that task with `duplicate: true` and adds nothing, even after a restart; with a different definition it is refused (`conflict`, naming the key and the task), never answered with a task that is not what was asked for. Removing the task (`task.clean`) frees the key. Servers before API revision 5 do not know the field (revision 2 and later refuse it by name). `limits` (`maxMemoryMb`, `maxCpuSeconds`; API revision 8) stop a shell or script run that uses more, measured about once a second, as a timeout stops it (end reason `memory-limit` / `cpu-limit`); an HTTP batch takes none (it runs inside the engine, where its use is not measured).',
    // Runs as written on a fresh install: no group or folder that only the reader has.
    example: { definition: { name: 'build', spec: { kind: 'shell', command: ['make', '-j8'] }, retry: { maxAttempts: 3 }, limits: { maxMemoryMb: 4096, maxCpuSeconds: 3600 } }, idempotencyKey: 'build-2026-11-22' },
  },
  'task.submitMany': {
    about:
      'Adds up to 10,000 tasks in one commit: all are stored or none; a refusal names the entry (`definitions.2.group: …`). With `idempotencyKeys` (API revision 10), one per definition (`null`: none), each key does what `task.submit`’s `idempotencyKey` does: a key already used with the same definition answers that task and lists its index in `duplicates`, with another definition the batch is refused (`conflict`, `idempotencyKeys.N`); the new tasks are stored together.',
    example: {
      definitions: [{ spec: { kind: 'shell', command: ['convert', 'a.png', 'a.jpg'] } }, { spec: { kind: 'shell', command: ['convert', 'b.png', 'b.jpg'] } }],
      idempotencyKeys: ['thumbs-2026-11-23-1', 'thumbs-2026-11-23-2'],
    },
  },
  'task.list': {
    about:
      'Tasks matching the filters, oldest first (by id; a group’s run order is priority, then queueOrder), a page at a time (with `newest`, `offset` and `limit` count from the newest end: the last page in one request); with withLastRuns, also the last run of each (exit code, duration) in the same answer.',
    example: { status: ['running', 'queued'], limit: 50, newest: true, withLastRuns: true },
  },
  'task.get': { about: 'One task and all of its runs.', example: { taskId: 12 } },
  'task.cancel': {
    about:
      'Cancels tasks; a running one is stopped with its whole process tree. `affected` lists the ones that changed. Like every command on `taskIds` (pause, resume, retry, stash, unstash), it changes nothing when it refuses: when one of them does not exist (`not_found`, with `details.taskIds` (the missing ids) and `details.issues` (the path of each)), or, for pause and retry, when one of them cannot be paused or retried (`conflict`).',
    example: { taskIds: [12, 13] },
  },
  'task.pause': { about: 'Pauses tasks: a running process is stopped (SIGSTOP), a waiting one is held.', example: { taskIds: [12] } },
  'task.resume': { about: 'Resumes paused tasks.', example: { taskIds: [12] } },
  'task.retry': { about: 'Runs finished tasks again from the same definition; earlier runs stay as history.', example: { taskIds: [12] } },
  'task.stash': { about: 'Keeps tasks without scheduling them.', example: { taskIds: [12] } },
  'task.unstash': { about: 'Schedules stashed tasks.', example: { taskIds: [12] } },
  'task.edit': { about: 'Replaces the definition of a task that has not started.', example: { taskId: 12, definition: { spec: { kind: 'shell', command: 'make test' } } } },
  'task.move': { about: 'Moves a task within its group’s queue.', example: { taskId: 12, to: 'top' } },
  'task.send': { about: 'Writes text to a running task’s stdin.', example: { taskId: 12, text: 'yes\n' } },
  'task.clean': { about: 'Removes finished tasks (and their logs).', example: { olderThanMs: 86_400_000, statuses: ['succeeded'] } },
  'group.list': { about: 'Every group with its parallel limit and paused flag, and whether the whole engine is paused (`enginePaused`).', example: {} },
  'group.set': {
    about:
      'Creates a group or changes its parallel limit; with `create: false` it only changes an existing group (an unknown name is `not_found`). ' +
      '`onlyWhen` makes its runs wait for machine conditions (`ac-power`: not on battery; `user-idle`: the user away, idle or screen locked; `unmetered-network`: not on a metered network such as a phone hotspot; `[]` clears them), ' +
      'judged by what `machine.report` last said (unknown counts as met): while one is unmet the group starts no new run (its queued tasks show loop state `machine`), ' +
      'and with `whenUnmet: "pause"` its running runs are paused too (SIGSTOP, as a user pause; scripts and HTTP batches cannot be paused and go on; `Run.heldFor` says why; held time counts toward `timeoutMs`, as paused time does) and resumed once met. ' +
      'Absent, either keeps its value. A group bound to Redis workers takes no conditions (`conflict`): they judge this machine, not the workers. `unmetered-network` needs API revision 4 (an older server refuses it as an unknown value). ' +
      '`onFailure: "pause-group"` pauses the group when one of its tasks fails for good (`failed` or `timed_out` after its retries; a cancel, an interruption or a dependency that failed is no failure of its own), recording `pausedFor` (the task and run) on the group; its running runs go on, nothing more starts until `group.resume`, which clears the cause. ' +
      '`rate: { max, perMs }` lets at most `max` of its runs start within any `perMs` (whole seconds, 1 s to 1 day), local and Redis-bound groups alike, counted from the starts in the event log, so a restart grants no fresh burst; a task it holds stays `queued` with loop state `rate-limited` and `until`, when the next slot opens. `rate: null` removes it. Both need API revision 7.',
    example: { name: 'nightly', parallel: 2, onlyWhen: ['ac-power', 'user-idle', 'unmetered-network'], whenUnmet: 'pause', onFailure: 'pause-group', rate: { max: 10, perMs: 60000 } },
  },
  'group.remove': { about: 'Removes a group.', example: { name: 'downloads' } },
  'machine.get': {
    about:
      "What the engine knows of the machine: `onAcPower`, `userIdle` and `networkMetered` (`null`: unknown; `networkMetered` is absent from servers before API revision 4). `taskdeck serve`, the daemon and the desktop app read the power source on Linux (/sys/class/power_supply, every 5 s) and whether the network is metered (Linux: NetworkManager's global `Metered` through busctl or dbus-send, every 15 s; Windows: the internet connection profile's cost through PowerShell, every 60 s; macOS: unknown), the network only while some group needs it; `pending` lists the conditions not read yet (the first look is under way, or no group needs it so it is not watched), which hold the groups that need them until read; `held` names the groups whose new runs are held now, with what holds each; the desktop app reports power and presence; user presence stays unknown headless unless reported.",
    example: {},
  },
  'machine.report': {
    about:
      'Tells the engine what a monitor or a script observed; only the fields given change (`null`: unknown again), and a field given is no longer `pending`. A change is announced as `machine.updated` and gates or holds groups with `onlyWhen`; the answer comes once the runs it paused or resumed are recorded. Since API revision 9, `online` (the network reachable), `screenLocked` and `event` (`wake`, with `sleptMs` when known, or `sleep`) are facts for system triggers: they hold no group (`lastWake`, `lastSleep` in the state).',
    example: { userIdle: true, networkMetered: false },
  },
  'group.pause': {
    about: 'Starts no new task of the group until resumed, and pauses its running shell tasks (SIGSTOP); its scripts and HTTP batches go on.',
    example: { name: 'downloads' },
  },
  'group.resume': { about: 'Resumes a paused group: the tasks its pause stopped go on (not those paused one by one), and its queue starts again.', example: { name: 'downloads' } },
  'engine.pause': { about: 'Starts no new task at all until resumed, and pauses every running shell task (SIGSTOP); scripts and HTTP batches go on.', example: {} },
  'engine.resume': { about: 'Resumes the engine: the tasks its pause stopped go on (not those paused one by one), and the queues start again.', example: {} },
  'engine.loop': { about: 'The engine’s event loop made visible: ready, waiting (and why), running, recently completed.', example: {} },
  'run.readLog': { about: 'A window of a run’s log lines; `done` is true once the run has ended.', example: { runId: 7, fromLine: 0, count: 100 } },
  'data.export': { about: 'Tasks, runs and groups as a JSON document (no logs).', example: { taskIds: [12] } },
  'data.import': {
    about: 'Adds the tasks of an export document, validated whole before anything is stored; imported tasks get new ids.',
    example: { document: { format: 'taskdeck-export', version: 1, exportedAt: 1_763_700_000_000, groups: [], tasks: [], runs: [] } },
  },
  'settings.get': { about: 'The user settings.', example: {} },
  'settings.set': {
    about:
      'Merges a partial change into the settings; the result is validated whole. `expect` (API revision 11) makes it a compare-and-set: settings as the client read them, each compared by value with the engine’s; when one differs (another client changed it meanwhile) nothing is changed and the answer is `conflict`, with `details.setting` (the first that differs), `details.current` (its value now) and `details.issues` (`expect.favourites: is now [4,7,2]`, one per setting). The favourites’ list is one setting, replaced whole: the CLI’s `favourite add/rm/move` and the UI send the list they read as `expect.favourites`, and on a conflict apply their change once more to the list now. Servers before revision 11 do not know the field (revision 2 and later refuse it by name).',
    example: { patch: { favourites: [4, 7, 2] }, expect: { favourites: [4, 7] } },
  },
  'events.subscribe': {
    about:
      'WebSocket only. Replays every durable event after `since`, then streams live events on this connection. `output: "watched"` sends live output only for the runs named with `output.watch`, coalesced to their newest lines when a run writes faster than the connection drains (see `run.output`’s `skippedFrom`); the default `"all"` sends every chunk of every run. A `since` beyond the event log\'s newest seq is refused (`bad_request`, naming the head): that seq comes from another event log.',
    example: { since: 0, output: 'watched' },
  },
  'output.watch': {
    about: 'WebSocket only. Sets the runs whose live output a `watched` subscription carries (replaces the previous set; lasts for the connection).',
    example: { runIds: [7] },
  },
  'events.read': { about: 'A page of durable events after `since` (for HTTP clients and history views).', example: { since: 0, limit: 100 } },
  'savedTask.list': { about: 'Every saved task (a named definition kept to run later, by hand or by a trigger).', example: {} },
  'savedTask.create': { about: 'Saves a task definition under a name.', example: { name: 'nightly backup', definition: { spec: { kind: 'shell', command: ['./backup.sh'] } } } },
  'savedTask.update': { about: 'Renames a saved task or replaces its definition.', example: { savedTaskId: 3, name: 'weekly backup' } },
  'savedTask.remove': { about: 'Removes a saved task; refused while triggers still start it.', example: { savedTaskId: 3 } },
  'savedTask.run': {
    about: 'Starts a saved task now, recorded as a manual firing, with an optional payload for the task. With `idempotencyKey` (API revision 13) a call again with the key answers the first call\'s task and firing with `duplicate: true`, starting nothing (as `trigger.fire`).',
    example: { savedTaskId: 3, payload: { file: 'notes.md' }, idempotencyKey: 'notes-2026-11-23' },
  },
  'savedTask.discover': {
    about: 'What a project folder offers as saved tasks (its taskdeck.json tasks, npm scripts and Makefile targets), each running in that folder; stores nothing.',
    example: { folder: '/home/me/project' },
  },
  'savedTask.importFolder': {
    about: 'Saves the tasks a project folder offers (all, or those named), validated whole first.',
    example: { folder: '/home/me/project', names: ['npm run build', 'make test'] },
  },
  'trigger.list': { about: 'Every trigger, or those of one saved task.', example: { savedTaskId: 3 } },
  'trigger.get': { about: 'One trigger with its firing history (newest first) and, for schedules, the next run times.', example: { triggerId: 5, historyLimit: 20 } },
  'trigger.create': {
    about:
      'Creates a trigger (schedule, file watch, webhook, global shortcut, or task completion) that starts a saved task: an existing one (`trigger.savedTaskId`), or a new one given as `savedTask`, saved with the trigger once both are valid or not at all (a refusal uses up no id; answered as `savedTask`).',
    example: {
      trigger: { name: 'every night', spec: { kind: 'schedule', cron: '0 3 * * *', timezone: 'Europe/Berlin', catchUp: 'once' } },
      savedTask: { name: 'nightly backup', definition: { spec: { kind: 'shell', command: ['./backup.sh'] } } },
    },
  },
  'trigger.update': {
    about:
      'Replaces a trigger’s saved task and spec (and its name and paused state when given); its history stays. A file watch’s `events` say which changes start it (`add`, `change`, `unlink`, and for folders `addDir`, `unlinkDir`; default the first three); its task is told what happened to each path (`changes`).',
    example: { triggerId: 5, trigger: { savedTaskId: 3, spec: { kind: 'fileWatch', paths: ['/home/me/inbox'], events: ['add', 'addDir'], debounceMs: 1000 } } },
  },
  'trigger.remove': { about: 'Removes a trigger.', example: { triggerId: 5 } },
  'trigger.pause': { about: 'Stops a trigger from firing until resumed.', example: { triggerId: 5 } },
  'trigger.resume': { about: 'Resumes a trigger; a schedule does not catch up the slots that passed while it was paused.', example: { triggerId: 5 } },
  'trigger.catchUp': {
    about: 'Cronicle’s “time machine”: the schedule’s slots after `from` count as missed and its catch-up policy (once or all) runs them now; answers the slots (at most 1000 listed). A conflict for a paused trigger, one with catch-up skip, or a one-at-a-time schedule (overlap skip) whose last task has not finished.',
    example: { triggerId: 5, from: 1_763_700_000_000 },
  },
  'trigger.fire': {
    about:
      '“Run now”: fires the trigger (even a paused one), with an optional payload for the task. With `idempotencyKey` (API revision 13), which the task carries as `task.submit`\'s would, a client that got no answer can call again safely: the same key answers the firing the first call made with `duplicate: true` and starts nothing (a call that died with Taskdeck after its task was stored is recorded at the restart, `detail.recovered`); a key another request\'s task carries is refused (`conflict`, naming `idempotencyKey`). Free again once `task.clean` removes the task.',
    example: { triggerId: 5, payload: { reason: 'manual' }, idempotencyKey: 'deploy-2026-11-23' },
  },
  'trigger.export': { about: 'Saved tasks and triggers as a JSON document.', example: {} },
  'trigger.import': {
    about:
      'Adds the saved tasks and triggers of an export document, validated whole (schemas, references, paths, shortcut clashes) before anything is stored; new ids are given. What is already here (a saved task with the same name and definition; a trigger with the same name, saved task and spec) is answered with `existed: true` and not added again, so importing an export twice adds nothing the second time.',
    example: { document: { format: 'taskdeck-triggers', version: 1, exportedAt: 1_763_700_000_000, savedTasks: [], triggers: [] } },
  },
  'worker.list': { about: 'Remote workers seen through every bound Redis in the last few heartbeats.', example: { group: 'render' } },
  'group.bindRemote': {
    about: 'Binds a group to a Redis connection so its tasks run on `taskdeck worker` processes; refused when Redis is unreachable or its maxmemory-policy is not noeviction.',
    example: { name: 'render', connection: { url: 'redis://redis.lan:6379/0' } },
  },
  'group.unbindRemote': { about: 'Unbinds a group; its unfinished remote runs keep running and still report back.', example: { name: 'render' } },
  'group.listRemote': { about: 'Every group bound to Redis, without credentials.', example: {} },
}

/** What a shared type's fields mean where the schema cannot say it. */
const TYPE_NOTES: Readonly<Record<string, string>> = {
  Run:
    '`exitCode` is the process\'s exit code; a program that could not be started has the one a shell gives it (127: not found, ' +
    '`endReason` `executable-not-found`; 126: found but not executable, `permission-denied`); null while running, when killed by a signal, ' +
    'and for a script or HTTP batch that did not succeed (0 when it did). `stderrTail` (optional; absent from servers before it) is what a run ' +
    'that did not succeed wrote last on stderr: its last non-empty lines, at most 5 and 1 KiB (the newest kept; a single longer line keeps its start ' +
    'and ends in "…"), ANSI escape sequences and control characters removed, a line rewritten with `\\r` as a terminal shows it. It is absent when ' +
    'nothing was written there, and where the reason already is the program\'s own words (a script\'s thrown error, an HTTP batch\'s failed request).',
}

/** Shared types, rendered once and referenced by name from the commands and events. */
const TYPES: ReadonlyArray<[string, z.ZodType]> = [
  ['TaskDefinition', TaskDefinitionSchema],
  ['TaskSpec', TaskSpecSchema],
  ['Task', TaskSchema],
  ['Run', RunSchema],
  ['EndReason', EndReasonSchema],
  ['OwnEndReason', OwnEndReasonSchema],
  ['Group', GroupSchema],
  ['LogLine', LogLineSchema],
  ['Settings', SettingsSchema],
  ['SavedTask', SavedTaskSchema],
  ['TriggerSpec', TriggerSpecSchema],
  ['Trigger', TriggerSchema],
  ['Firing', FiringSchema],
  ['WorkerInfo', WorkerInfoSchema],
  ['RemoteBinding', RemoteBindingSchema],
]

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  const registry = z.registry<{ id: string }>()
  // Params are the strict copies of the shared types (see strictRequest): the same type, named the same.
  for (const [id, type] of TYPES) if (type !== schema) registry.add(io === 'input' ? strictRequest(type) : type, { id })
  const converted = z.toJSONSchema(schema, { metadata: registry, io, unrepresentable: 'any', reused: 'inline' }) as Record<string, unknown>
  delete converted.$schema
  delete converted.$defs
  return JSON.parse(JSON.stringify(converted).replaceAll('"#/$defs/', '"#/types/')) as unknown
}

const block = (value: unknown): string => `\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\``
const details = (summary: string, value: unknown): string => `<details><summary>${summary}</summary>\n\n${block(value)}\n\n</details>`
const anchor = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, '-')

function commandSection(name: CommandName): string {
  const { params, result } = COMMANDS[name]
  const doc = COMMAND_DOCS[name]
  const lines = [`### \`${name}\``, '', doc?.about ?? '(Not described yet: add it to COMMAND_DOCS in src-main/server/api-docs.ts.)', '']
  if (doc !== undefined) {
    const checked = params.safeParse(doc.example)
    if (!checked.success) throw new Error(`The docs example for ${name} does not match its schema: ${checked.error.message}`)
    lines.push(`\`\`\`json\n${JSON.stringify({ v: PROTOCOL_VERSION, id: 1, command: name, params: doc.example })}\n\`\`\``, '')
  }
  lines.push(details('params (JSON Schema)', jsonSchema(params, 'input')), '', details('result value (JSON Schema)', jsonSchema(result, 'output')), '')
  return lines.join('\n')
}

function eventSection(schema: z.ZodType): string {
  const type = ((schema as z.ZodObject).shape.type as z.ZodLiteral<string>).value
  return [`### \`${type}\``, '', details('JSON Schema', jsonSchema(schema, 'output')), ''].join('\n')
}

const HTTP_STATUS_ROWS = ERROR_CODES.map((code) => `| \`${code}\` | ${HTTP_STATUS[code]} |`).join('\n')
const REFUSAL_ROWS = REFUSAL_REASONS.map((reason) => {
  const { code, example, about } = REFUSALS[reason]
  return `| \`${reason}\` | \`${code}\` | \`${JSON.stringify(example)}\` | ${about} |`
}).join('\n')

export function renderApiDocs(): string {
  const commandNames = Object.keys(COMMANDS) as CommandName[]
  const durable = DurableEventSchema.options as readonly z.ZodType[]
  const transient = TransientEventSchema.options as readonly z.ZodType[]
  return `<!-- Generated by \`npm run docs:api\` (src-main/server/api-docs.ts) from the contract in src-shared/. Do not edit by hand. -->

# Taskdeck local API

Taskdeck's engine is reachable over HTTP and WebSocket on the loopback interface (and, for the CLI, a Unix socket), with
exactly the messages the desktop window uses over Electron IPC: one contract
(\`src-shared/\`), validated on the server side. The CLI is a client of this API.

## Finding the server

The running app (or \`taskdeck serve\` / \`taskdeck daemon\`) listens on \`127.0.0.1\` only,
on the port it had the last time (kept in \`<home>/api-port\`) when that one is free, else a free one, unless
\`--port\` says otherwise — so a webhook's URL, a printed link or an open tab still work after a restart —
and writes \`<home>/api.json\` (mode 0600,
replaced atomically, removed on shutdown):

\`\`\`json
{ "url": "http://127.0.0.1:43117/", "port": 43117, "token": "<43 characters>", "pid": 81234, "startedAt": 1763700000000, "socket": "/home/me/.local/share/taskdeck/api.sock", "apiRevision": ${API_REVISION} }
\`\`\`

\`socket\` is there on Linux and macOS when the home's path is short enough for a socket address: see
"The local socket" below.

\`apiRevision\` says what the API accepts within protocol version ${PROTOCOL_VERSION}, for a client that sends a field an
older server would ignore without a word: ${API_REVISIONS.strictParams}, every command's params are strict (a field the command does not
know is refused); ${API_REVISIONS.machineConditions}, groups' machine conditions and \`machine.get\` / \`machine.report\`; ${API_REVISIONS.networkConditions}, the
\`unmetered-network\` condition; ${API_REVISIONS.triggerAdditions}, file watches' folder events (\`addDir\`, \`unlinkDir\`) and \`trigger.create\`'s \`savedTask\`; ${API_REVISIONS.idempotencyKeys}, \`task.submit\`'s \`idempotencyKey\`; ${API_REVISIONS.systemTriggers}, system triggers and \`machine.report\`'s \`online\`, \`screenLocked\`, \`event\`; ${API_REVISIONS.submitManyKeys}, \`task.submitMany\`'s \`idempotencyKeys\`; ${API_REVISIONS.settingsExpect}, \`settings.set\`'s \`expect\`; ${API_REVISIONS.tty}, a shell spec's \`tty\`; ${API_REVISIONS.firingKeys}, \`trigger.fire\`'s and \`savedTask.run\`'s \`idempotencyKey\`. A server that writes none is revision 1; the CLI refuses to send \`status\` (\`newest\`) and
\`group limit\` (\`create: false\`) to it (exit ${EXIT.unreachable}: restart it) rather than have them ignored, \`machine\` and \`--only-when\` to a server before ${API_REVISIONS.machineConditions}, \`add --idempotency-key\` to one before ${API_REVISIONS.idempotencyKeys}, \`trigger add --on EVENTS\` to one before ${API_REVISIONS.systemTriggers} and \`add --batch --idempotency-key\` to one before ${API_REVISIONS.submitManyKeys}, \`add --tty\` to one before ${API_REVISIONS.tty}, \`trigger fire\` and \`saved run\` with \`--idempotency-key\` to one before ${API_REVISIONS.firingKeys}; \`trigger add\` saves its task with a separate call to a server before ${API_REVISIONS.triggerAdditions}, and \`favourite add/rm/move\` write the list without \`expect\` (the last writer wins) to one before ${API_REVISIONS.settingsExpect}.

\`<home>\` is \`--home\`, else \`TASKDECK_HOME\`, else the OS's app-data folder.

## Security rules (every request)

- **Token.** Every API call carries the token from api.json: an \`Authorization: Bearer <token>\`
  header (HTTP, and WebSocket clients that can set headers), or — for browsers, which cannot set
  WebSocket headers — a first WebSocket message \`{"v":${PROTOCOL_VERSION},"id":0,"command":"session.auth","params":{"token":"…"}}\`.
  A wrong or missing token there closes the connection (${CLOSE_UNAUTHORIZED}); \`session.auth\` sent again on a connection that is
  already authenticated is answered too — a wrong token is refused (\`unauthorized\`) and the connection, with every request
  it has in flight, goes on. Tokens are compared in constant time. \`taskdeck serve\` prints the URL to open as
  \`http://127.0.0.1:PORT/#token=…\`: the fragment never reaches the server or its logs.
- **Host.** Must be \`127.0.0.1:PORT\` or \`localhost:PORT\` (DNS rebinding is refused with 403).
- **Origin.** Absent, or \`http://127.0.0.1:PORT\` / \`http://localhost:PORT\`; any other origin gets 403,
  on HTTP and on the WebSocket upgrade. No CORS headers are ever sent.
- **Size.** A request body or WebSocket message may be at most ${LIMITS.messageBytes} bytes (413, or WebSocket close 1009);
  every field has its own limit in the schemas below.
- **Handshake.** A WebSocket that has not authenticated within ${DEFAULT_AUTH_TIMEOUT_MS / 1000} s is closed (${CLOSE_AUTH_TIMEOUT}); a wrong token closes it (${CLOSE_UNAUTHORIZED}).
- Every response carries a strict Content-Security-Policy, \`X-Content-Type-Options: nosniff\`,
  \`X-Frame-Options: DENY\` and \`Referrer-Policy: no-referrer\`.

## Messages

A request (protocol version ${PROTOCOL_VERSION}):

\`\`\`json
{ "v": ${PROTOCOL_VERSION}, "id": 1, "command": "task.list", "params": { "status": ["running"] } }
\`\`\`

What the server sends (\`ServerMessage\`):

- \`{ "v": ${PROTOCOL_VERSION}, "kind": "response", "id": 1, "result": { "ok": true, "value": … } }\` or
  \`"result": { "ok": false, "error": { "code": "…", "message": "…", "details": { "issues": [{ "path": "…", "message": "…" }] } } }\`.
  A message that could not be read at all is answered with \`id: -1\`. Params are checked against the
  schemas below, defaults filled in; a field they do not name is refused (\`bad_request\`, \`"unknown field"\`
  at its path), so a misspelt one never acts as if it were absent.
- \`{ "v": ${PROTOCOL_VERSION}, "kind": "events", "events": [ … ] }\` — WebSocket only, after \`events.subscribe\`:
  events in order, batched (one message per event-loop turn, at most 2000 events and 256 KiB of UTF-8
  each; a single larger event goes alone). Events produced before a response are sent before it. A
  replay is read from the event log no faster than the client's socket drains.
- \`{ "v": ${PROTOCOL_VERSION}, "kind": "resync", "since": 1234, "reason": "…" }\` — WebSocket only: the client fell too
  far behind (its socket buffer stayed above the high-water mark while events piled up), so the server
  ended its subscription instead of buffering without bound. Subscribe again with \`since\` = the last seq
  you processed; no durable event is lost. Missed live output can be re-read with \`run.readLog\`.

Error codes and the HTTP status they get on \`${COMMAND_PATH}\`:

| code | HTTP |
|---|---|
${HTTP_STATUS_ROWS}

\`unknown_command\` with \`details.reason\` = \`"${NOT_SERVED}"\` names a command of the contract that this process does not
serve (it runs without the part behind it: a restart will not help); without it, the server does not know the command
at all (it is older than the client: a restart of it will).

A refusal a person can meet (a task in the wrong state, a name that does not exist, a conflict) says what it is
as data too: \`details.reason\` is a stable key from the table below, and \`details\` carries the values its sentence
needs beside any it carried before, so a client can say it in its user's language (the UI does) instead of showing
\`message\`, which stays the English sentence it always was (the CLI prints it). A reason keeps its name and its
values; a new refusal gets a new reason, so a client that meets a reason it does not know (a newer server) shows
\`message\`, as it does for an error without a reason (an older server, or one no user can cause: \`internal\`,
a damaged database, a schema check's \`bad_request\`, whose \`details.issues\` name the fields). The table is
\`REFUSALS\` in src-shared/refusals.ts, where each reason's values are a zod schema.

| \`details.reason\` | code | values in \`details\` (example) | when |
|---|---|---|---|
${REFUSAL_ROWS}

### Refusals of the HTTP layer

A request refused before its envelope is read — 401 (no or wrong token, with \`WWW-Authenticate: Bearer\`),
403 (foreign Host or Origin), 404 (no such route under \`/api/\`), 405 (wrong method), 413 (body too large),
426 (plain HTTP to the WebSocket path) — gets no \`response\` message but the bare result, since there is no
request id to answer:

\`\`\`json
{ "ok": false, "error": { "code": "unauthorized", "message": "Send the API token from api.json as \\"Authorization: Bearer <token>\\"." } }
\`\`\`

Once the body is read, every answer (a body that is not JSON or not an envelope included, with \`id: -1\`)
is a \`response\` message as above, so a client can check the HTTP status first, then \`result\` (or
\`error\` for these refusals).

## Routes

| Method and path | Auth | What |
|---|---|---|
| \`POST ${COMMAND_PATH}\` | token | One request envelope in, one \`response\` message out. Every command except \`events.subscribe\` and \`output.watch\`. |
| \`GET ${WEBSOCKET_PATH}\` (upgrade) | token (header or \`session.auth\`) | WebSocket: requests, responses and the event stream. |
| \`GET ${EVENTS_PATH}?since=N\` | token (header) | The event log after seq N up to its head, streamed as NDJSON (see below). |
| \`GET /…\` | none | The built web UI (\`out/renderer\`), with path-traversal protection. |
| other routes | per route | Mounted by other modules (the triggers module's \`POST /hooks/:id\`, which checks its own per-hook secret and answers a repeated delivery id with 200 and the first task: docs/triggers.md); same Host/Origin checks and size limits. |

## Catching up on history: \`GET ${EVENTS_PATH}?since=N\`

Every durable event with seq greater than \`since\` (default 0), up to the event log's head when the request
came, as NDJSON: one event per line, exactly the JSON the WebSocket would carry, in seq order. The head is
sent up front in the \`${HEAD_SEQ_HEADER}\` response header, and the body ends after the event with that seq
(an empty body when there is nothing after \`since\`); events written meanwhile are not in it. Then subscribe
over the WebSocket with \`since\` = the last seq you read: the server replays whatever came after it and
continues live, so nothing is lost or duplicated between the two. A body that ends in the middle of a line was
cut short (the server stopped): subscribe from the last complete event. The log is read only as fast as the
client takes the body, and a client that disconnects stops the read. Refusals are JSON like the command
route's before a request is read (see "Refusals of the HTTP layer" above): 401 without the token, 403 for a
foreign Host or Origin, 400 for a \`since\` that is not a non-negative integer or is beyond the log's head
(a seq from another event log; the message names the head), 405 for methods other than GET.

Browsers read a streamed response in large chunks through a data pipe, which catches up on a long history
1.3–2.2 times as fast as WebSocket frames on the same machine (docs/benchmarks.md, "Transports for catching up
on history"); the web UI reads it on the page, checks every event's framing (a known durable type, each seq the
next one; docs/architecture.md "Trust boundaries"), then subscribes over the WebSocket. Any HTTP client can read it:

\`\`\`sh
curl -sN -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT${EVENTS_PATH}?since=0" | jq -c 'select(.type == "run.finished")'
\`\`\`

## The local socket (requests for the CLI)

\`<home>/api.sock\` (a Unix socket, mode 0600 in the 0700 home) carries the same request envelopes
without HTTP, for clients such as the CLI that start once per command (a one-shot command then
needs neither node:http nor an HTTP parser). Newline-delimited JSON:

1. The first line is \`{"token": "<the token from api.json>"}\` (compared in constant time). Anything
   else is answered with an \`unauthorized\` response (\`id: -1\`) and the connection is closed.
2. Then every line is a request envelope, and every answer a \`response\` line with the request's
   \`id\` (answers may come in any order). Every command except \`events.subscribe\` and \`output.watch\` (use the WebSocket).
3. A line over ${LIMITS.messageBytes} bytes is not read: it is answered \`too_large\` (with its \`id\` when the
   line starts \`{"v":1,"id":N\`, else \`-1\`; \`details.limitBytes\`) and the connection goes on, so requests in
   flight are still answered (as the first line, it is refused and the connection closed). An idle
   connection is closed after a minute.

\`\`\`sh
TOKEN=$(jq -r .token ~/.local/share/taskdeck/api.json)
printf '%s\\n' "{\\"token\\":\\"$TOKEN\\"}" '{"v":1,"id":1,"command":"group.list","params":{}}' | nc -U -q1 ~/.local/share/taskdeck/api.sock
\`\`\`

WebSocket close codes: ${CLOSE_UNAUTHORIZED} unauthorized, ${CLOSE_AUTH_TIMEOUT} no \`session.auth\` in time, 1009 message too large, ${CLOSE_GOING_AWAY} server shutting down.

### Examples

\`\`\`sh
TOKEN=$(jq -r .token ~/.local/share/taskdeck/api.json)
PORT=$(jq -r .port ~/.local/share/taskdeck/api.json)
curl -s http://127.0.0.1:$PORT${COMMAND_PATH} -H "Authorization: Bearer $TOKEN" \\
  -d '{"v":${PROTOCOL_VERSION},"id":1,"command":"task.submit","params":{"definition":{"spec":{"kind":"shell","command":["make","test"]}}}}'
\`\`\`

\`\`\`js
// In a page served by Taskdeck (the token comes from the URL fragment):
const ws = new WebSocket(\`ws://\${location.host}${WEBSOCKET_PATH}\`)
ws.onopen = () => {
  ws.send(JSON.stringify({ v: ${PROTOCOL_VERSION}, id: 0, command: 'session.auth', params: { token } }))
  ws.send(JSON.stringify({ v: ${PROTOCOL_VERSION}, id: 1, command: 'events.subscribe', params: { since: lastSeq } }))
}
ws.onmessage = (m) => { const msg = JSON.parse(m.data); /* response | events | resync */ }
\`\`\`

## Commands

${commandNames.map((name) => `- [\`${name}\`](#${anchor(name)})`).join('\n')}

${commandNames.map(commandSection).join('\n')}
## Events

Durable events carry \`seq\` (gapless, increasing) and are replayed by \`events.subscribe\`;
transient ones (live output, progress, usage samples, stats) are not. A client should ignore
a transient event type it does not know: servers add them (\`run.usage\` came with API revision 8).

### Durable

${durable.map(eventSection).join('\n')}
### Transient

${transient.map(eventSection).join('\n')}
## Types

Referenced above as \`#/types/<Name>\`.

${TYPES.map(([name, schema]) => `### ${name}\n\n${TYPE_NOTES[name] ? `${TYPE_NOTES[name]}\n\n` : ''}${details('JSON Schema', jsonSchema(schema, 'output'))}\n`).join('\n')}
## The CLI's machine-readable output

Every \`taskdeck\` command takes \`--json\`: it prints one JSON document on stdout (NDJSON for
\`follow\`), which is the command's result value above unless noted; errors go to stderr as
\`{"error":{"code","message","details"}}\`.

| Command | stdout with --json |
|---|---|
| \`add\` | \`{ task }\` (task.submit) |
| \`add --batch\` | \`{ tasks }\` (one task.submitMany: the whole batch or, refused, nothing; refused lines are in \`details.lines\`) |
| \`status\` | \`{ tasks: [Task & { lastRun: Run \\| null, rateLimited? }], total }\` (the newest \`--limit\` of the \`total\` that match, oldest first; \`rateLimited: { max, perMs, until }\` on a queued task its group's rate holds, \`until\` when the next slot opens, from \`engine.loop\`) |
| \`follow\` | NDJSON: \`{ type: "line", runId, n, stream, text }\` … then \`{ type: "end", taskId, status, exitCode, signal }\` |
| \`log\` | \`{ runId, lines: [LogLine], droppedBytes }\` |
| \`wait\` | \`{ tasks: [{ id, status, name }], ok }\` |
| \`kill\` (IDS, \`--group\`, \`--all\`), \`retry\`, \`stash\`, \`unstash\`, \`pause IDS\`, \`resume IDS\` | \`{ affected: [ids] }\` |
| \`pause\` / \`resume\` \`--group NAME\` | \`{ group }\`; with \`--all\`: \`{}\` |
| \`move\`, \`edit\` | \`{ task }\` |
| \`send\` | \`{}\` |
| \`clean\` | \`{ removed: [ids] }\` |
| \`group\` / \`group list\` | \`{ groups, bindings: [RemoteBinding], machine }\` (\`machine\`: as \`machine.get\` answers) |
| \`group add/set/limit/pause/resume\` | \`{ group }\`; \`group rm\` and \`group unbind\`: \`{}\` |
| \`machine\` / \`machine report\` | \`{ machine }\` (\`MachineState\`: \`onAcPower\`, \`userIdle\`, \`null\` when unknown) |
| \`group bind\` | \`{ binding }\` (a RemoteBinding, without its password) |
| \`export FILE\` | \`{ file, tasks, runs, groups }\` (counts); without FILE the export document itself |
| \`import\` | \`{ imported: [{ from, to }] }\` |
| \`serve\` | \`{ url, browserUrl, port, pid, home }\` (first line) |
| \`daemon\` | \`{ url, browserUrl, port, pid, home, alreadyRunning }\` |
| \`stop\` | \`{ stopped: pid \\| null }\` |
| \`favourite\` / \`favourite list\` | \`{ favourites: [{ position, taskId, name, shortcut }] }\` (\`name\` null for a removed task, \`shortcut\` null when none) |
| \`favourite add/rm/move\` | \`{ favourites: [taskIds] }\` (the list as saved) |
| \`trigger\` / \`trigger list\` | \`{ triggers }\` (each with \`nextRunAt\` for active schedules) |
| \`trigger show ID\` | \`{ trigger, savedTask, upcoming: [times], history: [Firing] }\` |
| \`trigger add\` | \`{ trigger, savedTask }\`, plus \`url\` for webhooks and \`secret\` when the server generated it (shown only then; only its hash is kept) |
| \`trigger pause/resume ID\` | \`{ trigger }\` |
| \`trigger fire ID\` | \`{ firing }\` |
| \`trigger catch-up ID --from WHEN\` | \`{ trigger, missed: [time] }\` |
| \`trigger rotate-secret ID\` | \`{ trigger, url, secret }\` (the new secret, shown only then) |
| \`trigger history ID\` | \`{ history: [Firing] }\` (newest first) |
| \`trigger rm ID\` | \`{ removed, removedSavedTask }\` (the saved task's id with --with-task, else null) |
| \`trigger export FILE\` | \`{ file, savedTasks, triggers }\` (counts); without FILE the taskdeck-triggers document itself |
| \`trigger import FILE\` | \`{ savedTasks: [{ from, to }], triggers: [{ from, to }] }\` |
| \`saved\` / \`saved list\` | \`{ savedTasks }\` |
| \`saved add NAME\` | \`{ savedTask }\` |
| \`saved run ID\` | \`{ task }\` |
| \`saved rm ID\` | \`{ removed }\` |
| \`saved discover [DIR]\` | \`{ candidates: [{ name, definition, source }] }\` |
| \`saved import [DIR]\` | \`{ savedTasks }\` |

Without \`--json\`, \`log\` and \`follow\` write the task's own output (its stdout and stderr) on stdout and
Taskdeck's notes on a run — lines of stream \`system\`, such as "queued on redis://…", "started on worker …",
"Taskdeck restarted: following this run…" or a log cap's gap — on stderr, so \`taskdeck log ID > file\`
holds only what the task wrote. With \`--json\` every line comes with its \`stream\`.

Exit codes: ${EXIT.ok} success; ${EXIT.failed} the thing asked failed (not found, refused, a waited-for task
did not succeed); ${EXIT.usage} usage error or invalid input; ${EXIT.unreachable} Taskdeck not reachable (not running,
stale api.json, wrong token or protocol, or older than this \`taskdeck\`: restart it); ${EXIT.interrupted} interrupted. \`follow\` (and \`add --follow\`) exit with the task's
own exit code (127 when its program was not found, 126 when it was not executable, 128+N when it was killed by signal N, 1 when it ended without one).
\`follow\` without an id follows the only running task; with several running it lists them
("several tasks are running: 3 (make), 5 (sleep 10); give one: taskdeck follow ID") and exits ${EXIT.usage};
with none running it follows the newest queued or waiting task (named once on stderr), or exits ${EXIT.failed}
when there is nothing to follow.
`
}

export const API_DOCS_PATH = join(import.meta.dirname, '..', '..', 'docs', 'api.md')

// `node src-main/server/api-docs.ts` rewrites docs/api.md; with --check it only reports staleness.
if (import.meta.main) {
  const rendered = renderApiDocs()
  if (process.argv.includes('--check')) {
    const current = readFileSync(API_DOCS_PATH, 'utf8')
    if (current !== rendered) {
      process.stderr.write('docs/api.md is stale: run `npm run docs:api`.\n')
      process.exit(1)
    }
  } else {
    writeFileSync(API_DOCS_PATH, rendered)
    process.stdout.write(`Wrote ${API_DOCS_PATH}\n`)
  }
}
