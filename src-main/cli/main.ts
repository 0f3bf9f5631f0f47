import { Argument, Command, CommanderError, Option } from 'commander'
import { resolveHome } from '../engine/home.ts'
import { Context, type FoundServer, type GlobalOptions } from './context.ts'
import { runningServer } from './daemon.ts'
import type { BindOptions, GroupChange } from './commands/groups.ts'
import type { ReportOptions } from './commands/machine.ts'
import type { TriggerAddOptions } from './commands/triggers.ts'
import type { DefinitionOptions } from './definition.ts'
import { CliError, EXIT, usageError } from './exit.ts'
import { collect } from './format.ts'
import { packageVersion } from './package.ts'

/**
 * `taskdeck`: the plain-Node CLI. Client commands talk to the running app or daemon over
 * the local API; `serve` and `daemon` run the engine headless. Command modules load
 * lazily, so a one-shot command like `add` loads only what it uses.
 */

const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    the thing asked failed (task not found, refused, a waited-for task failed)
  2    usage error: bad option or argument, invalid task definition, malformed import file
  3    Taskdeck is not reachable (not running, stale api.json, wrong token or protocol,
       or older than this taskdeck: restart it)
  130  interrupted (Ctrl+C)
  follow exits with the followed task's own exit code (127 when its program was not
       found and 126 when not executable, as a shell says; 128+N when killed by signal N).

Environment:
  TASKDECK_HOME       data directory (like --home)
  TASKDECK_AUTOSTART  1: start the daemon when none runs (like --auto-start)
  NO_COLOR            plain output (also whenever output is not a terminal)`

const EXAMPLES = `
Examples:
  $ taskdeck daemon                           start the engine in the background
  $ taskdeck add -- make -j8 test             run a command (argv, no shell)
  $ taskdeck add --shell 'du -sh * | sort -h' run through the shell
  $ taskdeck add --group build --retries 2 --timeout 10m -- ./build.sh
  $ id=$(taskdeck add -q -- ./slow.sh); taskdeck follow "$id"
  $ printf 'gzip -k %q\\n' *.log | taskdeck add --batch   one task per line, one process
  $ taskdeck trigger add --cron '0 3 * * *' -- ./backup.sh  and --every, --path, --webhook…
  $ taskdeck                                  the queue (status), when Taskdeck runs for this home
  $ taskdeck status --status failed --json
  $ taskdeck wait --group build && echo all built
  $ taskdeck export backup.json && taskdeck import backup.json`

const TRIGGER_EXAMPLES = `
Examples:
  $ taskdeck trigger add --cron '30 9 * * 1-5' --tz Europe/Berlin -- ./standup-report.sh
  $ taskdeck trigger add --every 15m --catch-up skip --overlap skip --name sync -- rsync -a ~/notes/ backup:/notes/
  $ taskdeck trigger add --path 'src/**/*.md' --debounce 1s -- make site
  $ taskdeck trigger add --webhook -- ./deploy.sh          prints the URL and its secret once
  $ taskdeck trigger add --after-task 42 --on failure -- notify-send 'build failed'
  $ taskdeck trigger add --after-saved-task 3 --saved-task 4      run saved task 4 when 3 succeeds
  $ taskdeck trigger add --accelerator CommandOrControl+Alt+B -- make
  $ taskdeck trigger add --on wake -- ./sync-mail.sh          when the machine resumes from sleep
  $ taskdeck trigger add --on online,ac-power -- ./backup.sh
  $ taskdeck trigger list
  $ taskdeck trigger show 3 --json`

const SAVED_EXAMPLES = `
Examples:
  $ taskdeck saved add backup -- rsync -a ~/notes/ /mnt/backup/notes/
  $ taskdeck saved discover              npm scripts, Makefile targets, taskdeck.json here
  $ taskdeck saved import --name test --name build
  $ taskdeck saved run 3
  $ taskdeck trigger add --cron '0 3 * * *' --saved-task 3`

const FAVOURITE_EXAMPLES = `
Examples:
  $ taskdeck favourite add 42                 task 42 becomes the next favourite (1–9)
  $ taskdeck favourite add backup             the one task named "backup"
  $ taskdeck favourite move 42 1              favourite 1 (Ctrl+Alt+1 by default)
  $ taskdeck favourite rm 42
  $ taskdeck favourite list --json

Each change reads the favourites, changes them and writes the whole list back with the list it
read as the expectation: when another client changed them meanwhile, the change is applied once
more to the list as it is then (a second change meanwhile: exit 1, nothing written).`

/** The options every command takes; `autoStart: false` leaves --auto-start out of the help of a command it means nothing to (serve, daemon, stop), which still accepts it. */
function globalOptions(command: Command, { autoStart = true }: { autoStart?: boolean } = {}): Command {
  const autoStartOption = new Option('--auto-start', 'start the background daemon if Taskdeck is not running')
  return command
    .option('--home <dir>', 'data directory (default: TASKDECK_HOME or the OS app-data folder)')
    .option('--json', 'machine-readable output (one JSON document; NDJSON for follow)')
    .addOption(autoStart ? autoStartOption : autoStartOption.hideHelp())
}

function definitionOptions(command: Command): Command {
  return command
    .option('--shell <command>', 'run this string through the shell instead of an argv after --')
    .option('-n, --name <name>', 'a name to show instead of the command')
    .option('-g, --group <group>', 'queue in this group (each group has its own parallel limit)')
    .option('-a, --after <ids>', 'start only after these tasks succeeded (comma-separated; repeatable)', collect)
    .option('-p, --priority <n>', 'higher runs first within its group (-1000…1000)')
    .option('-r, --retries <n>', 'retry a failed run up to N times, with backoff')
    .option('-t, --timeout <duration>', 'kill the run after this long (30s, 5m, 1h30m)')
    .option('--max-memory <size>', 'stop the run once it uses more memory than this (512M, 2G; "none" removes it)')
    .option('--max-cpu <duration>', 'stop the run once it used more CPU time than this (60s, 5m; "none" removes it)')
    .option('-d, --delay <duration>', 'start no earlier than this from now')
    .option('-l, --label <label>', 'a label (repeatable)', collect)
    .option('--cwd <dir>', 'working directory (default: the current one)')
    .option('-e, --env <KEY=VALUE>', 'an environment variable for the task (repeatable)', collect)
    .option('-E, --inherit-env', "give the task this shell's whole environment (stored with the task)")
    .option('--stdin <text>', 'text to write to the task\'s stdin ("-" reads this process\'s stdin)')
    .option('--tty', 'run it on a terminal (script(1); Linux and macOS), so that programs that colour or show progress only on a terminal do; stdout and stderr become one stream')
    .addOption(new Option('--notify <policy>', 'desktop notification when it ends').choices(['default', 'always', 'failure', 'never']))
}

/**
 * The program for these arguments. Only the subcommand they name is defined (with all of
 * them when none matches, for help and "did you mean"): defining all thirty, each with its
 * options, would cost a one-shot `add` several milliseconds of its start-up.
 */
export function buildProgram(argv: readonly string[] = [], found?: FoundServer): Command {
  const named = commandName(argv)
  const json = wantsJson(argv)
  const program = defineProgram(named, json, found)
  if (named === undefined || program.commands.length > 0) return program
  // Own keys only: `taskdeck constructor` must not find Object.prototype's.
  const peer = Object.hasOwn(PEER_COMMANDS, named) ? PEER_COMMANDS[named] : undefined
  if (peer !== undefined) throw usageError(`unknown command '${named}': pueue's ${named} is \`${peer[0]}\` here${peer[1] ? ` (${peer[1]})` : ''}.`)
  return defineProgram(undefined, json, found)
}

/**
 * pueue's commands that Taskdeck names otherwise, said as such (with what differs): commander's
 * nearest name would send a pueue user's `start` (resume) to `stash`, its opposite.
 */
const PEER_COMMANDS: Readonly<Record<string, readonly [command: string, note?: string]>> = {
  start: ['taskdeck resume IDS', 'paused tasks go on and stashed ones are scheduled; --group NAME or --all for more'],
  restart: ['taskdeck retry IDS', 'the same task runs again, its earlier runs kept as history'],
  enqueue: ['taskdeck unstash IDS'],
  parallel: ['taskdeck group limit NAME N'],
  switch: ['taskdeck move ID top|bottom|up|down'],
  reset: ['taskdeck kill --all', 'then `taskdeck clean` removes the finished tasks'],
  shutdown: ['taskdeck stop'],
  env: ['taskdeck edit ID --env KEY=VALUE', 'and --unset-env KEY removes one'],
  'format-status': ['taskdeck status --json'],
}

/** --json among the CLI's own arguments (after `--` it belongs to the task's command). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json')
}

/** The first word that is not an option (or the value of --home). */
function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    if (arg === '--home') i++
    else if (arg === '--') return undefined
    else if (!arg.startsWith('-')) return arg
  }
  return undefined
}

function defineProgram(only: string | undefined, json: boolean, found: FoundServer | undefined): Command {
  const program = new Command('taskdeck')
  program
    .description('Run, watch and steer background jobs. Talks to the running Taskdeck app or daemon.')
    .version(packageVersion(), '-V, --version')
    .enablePositionalOptions()
    .exitOverride()
    .showHelpAfterError(!json && '(run with --help for usage)')
    // One prefix for every error the CLI prints, commander's usage errors included; with --json, one shape.
    .configureOutput({
      outputError: (text, write) =>
        write(json ? `${JSON.stringify({ error: { code: 'usage', message: text.replace(/^error: /, '').trim() } })}\n` : text.replace(/^error: /, 'taskdeck: ')),
    })
    .addHelpText('after', `${EXAMPLES}\n${EXIT_CODES_HELP}`)
  globalOptions(program)

  /** Runs an action with a Context; a returned number becomes the exit code. */
  const run =
    <A extends unknown[]>(action: (ctx: Context, ...args: A) => Promise<number | void>) =>
    async (...args: [...A, Record<string, unknown>, Command]): Promise<void> => {
      const command = args.at(-1) as Command
      const ctx = new Context({ ...program.opts<GlobalOptions>(), ...command.opts<GlobalOptions>() }, found)
      try {
        const code = await action(ctx, ...(args.slice(0, -1) as unknown as A))
        if (typeof code === 'number') process.exitCode = code
      } finally {
        ctx.close()
      }
    }
  const wanted = (...names: string[]) => only === undefined || names.includes(only)
  const sub = (name: string, description: string, options?: { autoStart?: boolean }) => globalOptions(program.command(name).description(description), options)

  if (wanted('add')) definitionOptions(sub('add', 'add a task: taskdeck add [options] -- CMD ARGS…'))
    .argument('[command...]', 'the program and its arguments (after --)')
    .option('--stash', 'keep it without scheduling it until `resume`d')
    .option('-q, --quiet', 'print only the new task id')
    .option('-f, --follow', 'then follow its output and exit with its exit code')
    .option('--idempotency-key <key>', 'add it only once: while a task added with KEY exists, print that task instead (a different command with KEY is refused); with --batch, line N gets the key KEY-N')
    .option('--batch [mode]', 'add one task per line of stdin, all or none: argv (default; a JSON array or shell-like words, no shell) or shell')
    .passThroughOptions()
    .addHelpText(
      'after',
      [
        '\nExamples:',
        '  $ taskdeck add -- rsync -a src/ backup/',
        '  $ taskdeck add --shell "make && make test" --group ci --label nightly',
        '  $ taskdeck add --idempotency-key "backup-$(date +%F)" -- rsync -a src/ backup/   safe to run twice',
        "  $ for f in *.png; do printf 'convert %q %q\\n' \"$f\" \"${f%.png}.jpg\"; done | taskdeck add --batch --group images",
        '  $ taskdeck add --batch --idempotency-key "thumbs-$(date +%F)" < jobs.txt   run twice, added once',
        '  $ printf \'%s\\n\' \'["ffmpeg", "-i", "a b.mov", "a b.mp4"]\' | taskdeck add --batch -q',
      ].join('\n'),
    )
    .action(
      run(async (ctx, argv: string[], options: DefinitionOptions & { quiet?: boolean; follow?: boolean; batch?: string | true; idempotencyKey?: string }) => {
        if (options.batch !== undefined) {
          if (argv.length > 0 || options.follow) throw usageError('--batch reads the commands from stdin: give no command after -- and no --follow.')
          await (await import('./commands/tasks.ts')).addBatch(ctx, options.batch === true ? 'argv' : options.batch, options)
          return
        }
        const { add } = await import('./commands/tasks.ts')
        const task = await add(ctx, argv, options)
        if (!options.follow) return
        const { follow } = await import('./commands/watch.ts')
        return follow(ctx, String(task.id))
      }),
    )

  if (wanted('status', 'ls')) sub('status', 'list tasks as a table')
    .alias('ls')
    .option('-s, --status <status>', 'only these statuses (comma-separated; repeatable)', collect)
    .option('-g, --group <group>', 'only this group')
    .option('-l, --label <label>', 'only tasks with this label')
    .option('--text <text>', 'only tasks whose name or command contains this')
    .option('--limit <n>', 'at most this many rows: the newest that match', '1000')
    .option('-w, --wide', 'whole names and notes, however wide, and every stderr line a failed run kept (on a terminal they are cut to fit its width)')
    .action(run(async (ctx, options: Record<string, string & string[]>) => (await import('./commands/tasks.ts')).status(ctx, options)))

  if (wanted('follow')) sub('follow', "print a task's output as it is written; exit with its exit code")
    .argument('[id]', 'the task (default: the only running task; with none running, the newest queued or waiting one)')
    .addHelpText(
      'after',
      `
Without ID: several running tasks are listed and nothing is followed (exit 2); with none
running, the newest queued or waiting task is followed (named on stderr); with none of
those either, there is nothing to follow (exit 1).`,
    )
    .action(run(async (ctx, id: string | undefined) => (await import('./commands/watch.ts')).follow(ctx, id)))

  if (wanted('log')) sub('log', "print a task's output (its last run, or --attempt N)")
    .argument('<id>')
    .option('--lines <n>', 'only the last N lines')
    .option('--stderr', 'only standard error')
    .option('--attempt <n>', "the output of the task's Nth run instead of its last")
    .action(run(async (ctx, id: string, options: { lines?: string; stderr?: boolean; attempt?: string }) => (await import('./commands/tasks.ts')).log(ctx, id, options)))

  if (wanted('wait')) sub('wait', 'wait until tasks have finished (exit 1 if any did not succeed)')
    .argument('[ids...]', 'task ids (default: every unfinished task)')
    .option('-g, --group <group>', "wait for this group's tasks")
    .action(run(async (ctx, ids: string[], options: { group?: string }) => (await import('./commands/watch.ts')).wait(ctx, ids, options)))

  // `cancel` too: the UI's button and the status say "cancel", and `kill` is pueue's word for it.
  if (wanted('kill', 'cancel')) sub('kill', 'cancel tasks (a running one is stopped with its whole process tree): by id, every unfinished one of a group, or all')
    .alias('cancel')
    .argument('[ids...]')
    .option('-g, --group <group>', "cancel every unfinished task of this group")
    .option('--all', 'cancel every unfinished task')
    .action(run(async (ctx, ids: string[], options: { group?: string; all?: boolean }) => (await import('./commands/tasks.ts')).kill(ctx, ids, options)))

  if (wanted('pause', 'resume')) for (const action of ['pause', 'resume'] as const) {
    sub(action, action === 'pause' ? 'pause tasks, a group, or everything' : 'resume paused tasks (and schedule stashed ones), a group, or everything')
      .argument('[ids...]')
      .option('-g, --group <group>', `${action} a group`)
      .option('--all', `${action} the whole engine`)
      .action(
        run(async (ctx, ids: string[], options: { group?: string; all?: boolean }) => (await import('./commands/tasks.ts')).pauseOrResume(ctx, action, ids, options)),
      )
  }

  if (wanted('retry')) sub('retry', 'run finished tasks again (earlier runs stay as history)')
    .argument('<ids...>')
    .action(run(async (ctx, ids: string[]) => (await import('./commands/tasks.ts')).bulk(ctx, 'task.retry', ids)))

  if (wanted('move')) sub('move', "move a queued task within its group's queue (like tsp -u): to the top, the bottom, or one place up or down")
    .argument('<id>')
    .addArgument(new Argument('<where>', 'top, bottom, up or down').choices(['top', 'bottom', 'up', 'down']))
    .action(run(async (ctx, id: string, where: 'top' | 'bottom' | 'up' | 'down') => (await import('./commands/tasks.ts')).move(ctx, id, where)))

  if (wanted('stash')) sub('stash', 'keep tasks without scheduling them')
    .argument('<ids...>')
    .action(run(async (ctx, ids: string[]) => (await import('./commands/tasks.ts')).bulk(ctx, 'task.stash', ids)))

  if (wanted('unstash')) sub('unstash', 'schedule stashed tasks')
    .argument('<ids...>')
    .action(run(async (ctx, ids: string[]) => (await import('./commands/tasks.ts')).bulk(ctx, 'task.unstash', ids)))

  if (wanted('edit')) definitionOptions(sub('edit', "change a task that has not started: taskdeck edit ID [options] [-- CMD ARGS…]"))
    .argument('<id>')
    .argument('[command...]', 'a new program and arguments (after --)')
    .option('--stash', 'stash it')
    .option('--unset-env <KEY>', "remove this variable from the task's environment (repeatable)", collect)
    .option('--no-tty', 'run it without a terminal again')
    .addHelpText(
      'after',
      [
        '\nExamples:',
        '  $ taskdeck edit 12 -- make -j4 test        a new command (argv; or --shell "…")',
        '  $ taskdeck edit 12 --env DEBUG=1           sets DEBUG and keeps its other variables',
        '  $ taskdeck edit 12 --unset-env DEBUG       removes DEBUG (and keeps the others)',
        '  $ taskdeck edit 12 --group build --priority 5',
      ].join('\n'),
    )
    .action(run(async (ctx, id: string, argv: string[], options: DefinitionOptions) => (await import('./commands/tasks.ts')).edit(ctx, id, argv, options)))

  if (wanted('send')) sub('send', "write TEXT (and a newline) to a running task's stdin")
    .argument('<id>')
    .argument('<text>')
    .option('--no-newline', 'do not append a newline')
    .action(run(async (ctx, id: string, text: string, options: { newline: boolean }) => (await import('./commands/tasks.ts')).send(ctx, id, text, options)))

  if (wanted('clean', 'rm', 'remove')) sub('clean', 'remove finished tasks and their logs: the ones named (rm IDS), or every finished one')
    .aliases(['rm', 'remove'])
    .argument('[ids...]', 'only these tasks (each must be finished; nothing is removed otherwise)')
    .option('--older-than <duration>', 'only tasks that finished longer ago than this')
    .option('-s, --status <status>', 'only these statuses (comma-separated; repeatable)', collect)
    .action(run(async (ctx, ids: string[], options: { olderThan?: string; status?: string[] }) => (await import('./commands/tasks.ts')).clean(ctx, ids, options)))

  if (wanted('group')) {
    const group = sub('group', 'list groups, or change one (list, add, set, rm, limit, pause, resume, bind, unbind)')
      .action(run(async (ctx) => (await import('./commands/groups.ts')).listGroups(ctx)))
    globalOptions(group.command('list').alias('ls').description('list groups: their limits, state and where their tasks run'))
      .action(run(async (ctx) => (await import('./commands/groups.ts')).listGroups(ctx)))
    const conditionOptions = (command: Command) =>
      command
        .option('--only-when <conditions>', 'start its tasks only while the machine is so: ac-power, user-idle (away: idle or screen locked), unmetered-network (not a hotspot or capped plan), several comma-separated, or none')
        .option('--when-unmet <wait|pause>', 'while a condition is unmet: wait (start nothing new; the default) or pause (also pause its running tasks until met)')
        .option('--pause-on-failure', 'pause the group when one of its tasks fails for good (after its retries; a cancel is no failure), until `group resume`')
        .option('--no-pause-on-failure', 'go on after a failure (the default)')
        .option('--rate <rate>', 'start at most this many of its tasks per window: 10/m, 100/h, 5/s, 20/15m (counted across restarts), or none')
    conditionOptions(globalOptions(group.command('add').description('create a group (or change its limit and conditions)')))
      .argument('<name>')
      .option('--parallel <n>', 'how many of its tasks run at once (default: 1 for a new group; an existing group keeps its limit)')
      .action(run(async (ctx, name: string, options: GroupChange) => (await import('./commands/groups.ts')).setGroup(ctx, name, options, '--parallel', true)))
    conditionOptions(globalOptions(group.command('set').description("change an existing group's limit or machine conditions")))
      .argument('<name>')
      .option('--parallel <n>', 'how many of its tasks run at once')
      .addHelpText(
        'after',
        '\nExamples:\n  $ taskdeck group set nightly --only-when ac-power,user-idle --when-unmet pause\n  $ taskdeck group set downloads --only-when unmetered-network\n  $ taskdeck group set nightly --only-when none\n  $ taskdeck group set api --rate 100/h\n  $ taskdeck group set deploy --pause-on-failure',
      )
      .action(
        run(async (ctx, name: string, options: GroupChange) => {
          if (options.parallel === undefined && options.onlyWhen === undefined && options.whenUnmet === undefined && options.pauseOnFailure === undefined && options.rate === undefined) {
            throw usageError('group set needs something to change: --parallel, --only-when, --when-unmet, --rate or --pause-on-failure.')
          }
          await (await import('./commands/groups.ts')).setGroup(ctx, name, options, '--parallel', false)
        }),
      )
    globalOptions(group.command('rm').alias('remove').description('remove an empty group'))
      .argument('<name>')
      .action(run(async (ctx, name: string) => (await import('./commands/groups.ts')).removeGroup(ctx, name)))
    globalOptions(group.command('limit').description('set how many of its tasks run at once'))
      .argument('<name>')
      .argument('<parallel>')
      .action(run(async (ctx, name: string, parallel: string) => (await import('./commands/groups.ts')).setGroup(ctx, name, { parallel }, 'parallel', false)))
    globalOptions(group.command('bind').description("run a group's tasks on `taskdeck worker` processes through Redis"))
      .argument('<name>')
      .requiredOption('--redis <url>', 'redis://[user:password@]host:port[/db] (rediss:// for TLS)')
      .option('--password-stdin', 'read the Redis password from stdin')
      .option('--tls', 'connect with TLS (turns redis:// into rediss://)')
      .option('--tls-no-verify', 'accept a server certificate that does not verify')
      .option('--when-unreachable <wait|local>', 'while Redis is unreachable: wait for it (default) or run here')
      .option('--local-slots <n>', 'overflow: run up to N of its runs here, only the rest on workers')
      .action(run(async (ctx, name: string, options: BindOptions) => (await import('./commands/groups.ts')).bindGroup(ctx, name, options)))
    globalOptions(group.command('unbind').description("run a group's tasks on this machine again"))
      .argument('<name>')
      .action(run(async (ctx, name: string) => (await import('./commands/groups.ts')).unbindGroup(ctx, name)))
    for (const action of ['pause', 'resume'] as const) {
      globalOptions(group.command(action).description(`${action} a group`))
        .argument('<name>')
        .action(run(async (ctx, name: string) => (await import('./commands/tasks.ts')).pauseOrResume(ctx, action, [], { group: name })))
    }
  }

  if (wanted('machine')) {
    const machine = sub('machine', "what Taskdeck knows of this machine (power source, user presence, metered network) and which groups' conditions hold them")
      .action(run(async (ctx) => (await import('./commands/machine.ts')).showMachine(ctx)))
    globalOptions(machine.command('report').description('tell Taskdeck what a script of yours observed (only what you give changes; unknown counts as met)'))
      .option('--ac', 'on AC power')
      .option('--battery', 'on battery')
      .option('--unknown-power', 'the power source is unknown')
      .option('--idle', 'the user is away (idle or screen locked)')
      .option('--present', 'the user is present')
      .option('--unknown-presence', 'presence is unknown')
      .option('--metered', 'the network is metered (a phone hotspot, a capped plan)')
      .option('--unmetered', 'the network is not metered')
      .option('--unknown-network', 'whether the network is metered is unknown')
      .addHelpText('after', '\nExample (xprintidle gives X11 idle time in ms):\n  $ [ "$(xprintidle)" -gt 600000 ] && taskdeck machine report --idle || taskdeck machine report --present')
      .action(run(async (ctx, options: ReportOptions) => (await import('./commands/machine.ts')).reportMachine(ctx, options)))
  }

  if (wanted('trigger', 'triggers')) {
    const trigger = sub('trigger', 'saved tasks that start themselves: list, show, add, rm, pause, resume, fire, catch-up, history, rotate-secret, export, import')
      .alias('triggers')
      .addHelpText('after', TRIGGER_EXAMPLES)
      .action(run(async (ctx) => (await import('./commands/triggers.ts')).listTriggers(ctx)))
    const triggerSub = (name: string, description: string) => globalOptions(trigger.command(name).description(description))
    triggerSub('list', 'list triggers with their next run times').action(run(async (ctx) => (await import('./commands/triggers.ts')).listTriggers(ctx)))
    triggerSub('show', 'one trigger: what starts it, its task, its next runs and recent firings')
      .argument('<id>')
      .option('--limit <n>', 'firings to show', '10')
      .action(run(async (ctx, id: string, options: { limit?: string }) => (await import('./commands/triggers.ts')).showTrigger(ctx, id, options)))
    definitionOptions(triggerSub('add', 'save a task (given as for `add`) and a trigger that starts it: taskdeck trigger add KIND-OPTIONS [options] -- CMD ARGS…'))
      .argument('[command...]', 'the program and its arguments (after --)')
      .option('--cron <expr>', 'schedule: a cron expression (5 fields; 6 start with seconds; @hourly, @daily…)')
      .option('--tz <zone>', 'schedule: the IANA time zone of --cron (default: the engine\'s)')
      .option('--every <duration>', 'schedule: a plain interval (30s, 10m, 1h)')
      .option('--catch-up <policy>', 'schedule: missed runs after sleep or downtime: skip, once (default) or all')
      .option('--max-catch-up <n>', 'schedule: with --catch-up all, start at most N missed runs')
      .option('--overlap <policy>', 'schedule: while its last task has not finished, allow (default) another or skip the slot')
      .option('--path <glob>', 'file watch: a path or glob, relative to here (repeatable)', collect)
      .option('--debounce <duration>', 'file watch: fire once for changes this close together (default 500ms); system: a state must hold this long (default 5s)')
      .option('--events <list>', 'file watch: which changes start it: add,change,unlink (the default), addDir,unlinkDir (folders)')
      .option('--webhook', 'webhook: POST /hooks/ID on the local server; a secret is generated and printed once')
      .option('--secret-stdin', 'webhook: read the secret from stdin instead')
      .option('--accelerator <keys>', 'global shortcut, like CommandOrControl+Shift+B (registered by the desktop app)')
      .option('--after-task <id>', 'completion: when this task ends')
      .option('--after-label <label>', 'completion: when any task with this label ends')
      .option('--after-saved-task <id>', 'completion: when a task started from this saved task ends (chains: build → test)')
      .option('--on <outcome>', 'completion: success (default), failure or finish; alone, system events (comma-separated): wake, sleep, ac-power, battery, lock, unlock, online, offline, idle, active')
      .option('--saved-task <id>', 'start this existing saved task instead of a command')
      .option('--paused', 'create it paused')
      .addHelpText('after', TRIGGER_EXAMPLES)
      .action(
        run(async (ctx, argv: string[], options: TriggerAddOptions) =>
          (await import('./commands/triggers.ts')).addTrigger(ctx, argv, options),
        ),
      )
    triggerSub('rm', 'remove a trigger (its saved task stays unless --with-task)')
      .alias('remove')
      .argument('<id>')
      .option('--with-task', 'also remove its saved task, unless another trigger starts it')
      .action(run(async (ctx, id: string, options: { withTask?: boolean }) => (await import('./commands/triggers.ts')).removeTrigger(ctx, id, options)))
    for (const action of ['pause', 'resume'] as const) {
      triggerSub(action, action === 'pause' ? 'stop a trigger from firing' : 'let a paused trigger fire again (missed schedule slots are not caught up)')
        .argument('<id>')
        .action(run(async (ctx, id: string) => (await import('./commands/triggers.ts')).changeTrigger(ctx, action, id)))
    }
    triggerSub('rotate-secret', 'give a webhook a new generated secret, printed once (the old one stops working)')
      .argument('<id>')
      .action(run(async (ctx, id: string) => (await import('./commands/triggers.ts')).rotateSecret(ctx, id)))
    triggerSub('catch-up', 'run a schedule\'s slots since --from again now, by its catch-up policy (Cronicle\'s time machine)')
      .argument('<id>')
      .option('--from <when>', 'a duration ago (12h, 2d) or a date and time (2026-11-21 03:00)')
      .action(run(async (ctx, id: string, options: { from?: string }) => (await import('./commands/triggers.ts')).catchUpTrigger(ctx, id, options)))
    triggerSub('fire', 'run a trigger\'s task now (even when paused)')
      .argument('<id>')
      .option('--payload <json>', 'JSON handed to the task as the firing\'s payload (stdin, a script\'s input); - reads it from stdin')
      .option('--idempotency-key <key>', 'fire only once for KEY: run again with it (say, after no answer), it prints the first firing\'s task and starts nothing')
      .action(run(async (ctx, id: string, options: { payload?: string; idempotencyKey?: string }) => (await import('./commands/triggers.ts')).fireTrigger(ctx, id, options)))
    triggerSub('history', 'a trigger\'s firings, newest first')
      .argument('<id>')
      .option('--limit <n>', 'at most this many', '50')
      .action(run(async (ctx, id: string, options: { limit?: string }) => (await import('./commands/triggers.ts')).triggerHistory(ctx, id, options)))
    triggerSub('export', 'write saved tasks and triggers as JSON (to FILE or stdout; webhooks only as a hash of their secret)')
      .argument('[file]')
      .action(run(async (ctx, file: string | undefined) => (await import('./commands/triggers.ts')).exportTriggers(ctx, file)))
    triggerSub('import', 'add the saved tasks and triggers of an export file (validated whole first; "-" reads stdin)')
      .argument('<file>')
      .action(run(async (ctx, file: string) => (await import('./commands/triggers.ts')).importTriggers(ctx, file)))
  }

  if (wanted('saved')) {
    const saved = sub('saved', 'saved tasks (what triggers start): list, add, run, rm, discover, import')
      .addHelpText('after', SAVED_EXAMPLES)
      .action(run(async (ctx) => (await import('./commands/saved.ts')).listSaved(ctx)))
    const savedSub = (name: string, description: string) => globalOptions(saved.command(name).description(description))
    savedSub('list', 'list saved tasks and the triggers that start them').action(run(async (ctx) => (await import('./commands/saved.ts')).listSaved(ctx)))
    definitionOptions(savedSub('add', 'save a task (given as for `add`) under a name: taskdeck saved add NAME [options] -- CMD ARGS…'))
      .argument('<name>')
      .argument('[command...]', 'the program and its arguments (after --)')
      .action(run(async (ctx, name: string, argv: string[], options: DefinitionOptions) => (await import('./commands/saved.ts')).addSaved(ctx, name, argv, options)))
    savedSub('run', 'run a saved task now')
      .argument('<id>')
      .option('--payload <json>', 'JSON handed to the task as the firing\'s payload (stdin, a script\'s input); - reads it from stdin')
      .option('--idempotency-key <key>', 'run only once for KEY: run again with it (say, after no answer), it prints the first run\'s task and starts nothing')
      .action(run(async (ctx, id: string, options: { payload?: string; idempotencyKey?: string }) => (await import('./commands/saved.ts')).runSaved(ctx, id, options)))
    savedSub('rm', 'remove a saved task (refused while a trigger starts it)')
      .alias('remove')
      .argument('<id>')
      .action(run(async (ctx, id: string) => (await import('./commands/saved.ts')).removeSaved(ctx, id)))
    savedSub('discover', "what a folder offers: its taskdeck.json tasks, npm scripts and Makefile targets (stores nothing)")
      .argument('[dir]', 'the folder (default: this one)')
      .action(run(async (ctx, dir: string | undefined) => (await import('./commands/saved.ts')).discover(ctx, dir)))
    savedSub('import', "save what a folder offers (all, or those named with --name), each running in that folder")
      .argument('[dir]', 'the folder (default: this one)')
      .option('-n, --name <name>', 'only this one (repeatable)', collect)
      .action(run(async (ctx, dir: string | undefined, options: { name?: string[] }) => (await import('./commands/saved.ts')).importFolder(ctx, dir, options)))
  }

  if (wanted('favourite', 'favourites', 'fav')) {
    const favourite = sub('favourite', "favourites 1–9, the tasks the tray's Run Favourite and the global shortcuts run again: list, add, rm, move")
      .aliases(['favourites', 'fav'])
      .addHelpText('after', FAVOURITE_EXAMPLES)
      .action(run(async (ctx) => (await import('./commands/favourites.ts')).listFavourites(ctx)))
    const favouriteSub = (name: string, description: string) => globalOptions(favourite.command(name).description(description)).addHelpText('after', FAVOURITE_EXAMPLES)
    favouriteSub('list', 'list the favourites in order, with their global shortcuts')
      .alias('ls')
      .action(run(async (ctx) => (await import('./commands/favourites.ts')).listFavourites(ctx)))
    favouriteSub('add', 'make a task the last favourite (refused when it already is one, or with 9)')
      .argument('<task>', 'a task id, or the name of exactly one task')
      .action(run(async (ctx, task: string) => (await import('./commands/favourites.ts')).addFavouriteTask(ctx, task)))
    favouriteSub('rm', 'stop a task being a favourite (the task stays)')
      .alias('remove')
      .argument('<id>', 'the task id')
      .action(run(async (ctx, id: string) => (await import('./commands/favourites.ts')).removeFavouriteTask(ctx, id)))
    favouriteSub('move', 'move a favourite to a position (1 is first); the others keep their order')
      .argument('<id>', 'the task id')
      .argument('<position>', '1…the number of favourites')
      .action(run(async (ctx, id: string, position: string) => (await import('./commands/favourites.ts')).moveFavouriteTask(ctx, id, position)))
  }

  if (wanted('export')) sub('export', 'write tasks, runs and groups as JSON (to FILE or stdout)')
    .argument('[file]')
    .option('--task <ids>', 'only these tasks (comma-separated; repeatable)', collect)
    .action(run(async (ctx, file: string | undefined, options: { task?: string[] }) => (await import('./commands/data.ts')).exportData(ctx, file, options)))

  if (wanted('import')) sub('import', 'add the tasks of an export file (validated whole first; "-" reads stdin)')
    .argument('<file>')
    .action(run(async (ctx, file: string) => (await import('./commands/data.ts')).importData(ctx, file)))

  if (wanted('serve')) sub('serve', 'run the engine and the local API + web UI in this terminal', { autoStart: false })
    .option('--port <n>', 'listen on this port of 127.0.0.1 (default: the last one if free, else a free one)')
    .action(run(async (ctx, options: { port?: string }) => (await import('./commands/serve.ts')).serve(ctx, options)))

  if (wanted('daemon')) sub('daemon', 'start `serve` in the background (log in <home>/daemon.log)', { autoStart: false })
    .option('--port <n>', 'listen on this port of 127.0.0.1 (default: the last one if free, else a free one)')
    .action(run(async (ctx, options: { port?: string }) => (await import('./commands/daemon.ts')).daemon(ctx, options)))

  if (wanted('stop')) sub('stop', 'stop the Taskdeck serving this home', { autoStart: false }).action(run(async (ctx) => (await import('./commands/daemon.ts')).stop(ctx)))

  // Parses its own options (src-main/worker/main.ts), so `taskdeck worker --help` documents them.
  if (wanted('worker')) program
    .command('worker')
    .description('serve a remote group from Redis on this machine: taskdeck worker --redis URL --group NAME [--concurrency N]')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[options...]')
    .action(async (args: string[]) => {
      process.exitCode = await (await import('../worker/main.ts')).workerCommand({ argv: args, env: process.env })
    })

  return program
}

/** Prints a failure on stderr (as JSON with --json) and sets the exit code. */
function report(error: unknown, json: boolean): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage
  const failure =
    error instanceof CliError ? error : new CliError(EXIT.failed, 'internal', error instanceof Error ? (error.stack ?? error.message) : String(error))
  if (json) {
    process.stderr.write(`${JSON.stringify({ error: { code: failure.code, message: failure.message, ...(failure.details ? { details: failure.details } : {}) } })}\n`)
  } else {
    process.stderr.write(`taskdeck: ${failure.message}\n`)
  }
  return failure.exitCode
}

/**
 * A bare `taskdeck` shows the queue when Taskdeck runs for this home (or --auto-start would
 * start it), as `pueue` and `tsp` do; with nothing running it stays the help. The server it
 * found is the one `status` connects to: api.json is read once.
 */
function withDefaultCommand(argv: readonly string[]): { args: readonly string[]; found?: FoundServer } {
  if (commandName(argv) !== undefined || argv.some((arg) => ['-h', '--help', '-V', '--version', '--'].includes(arg))) return { args: argv }
  if (argv.includes('--auto-start') || process.env.TASKDECK_AUTOSTART === '1') return { args: [...argv, 'status'] }
  const flag = argv[argv.indexOf('--home') + 1]
  try {
    const home = resolveHome(argv.includes('--home') && flag !== undefined ? { flag } : {})
    const info = runningServer(home)
    return info === null ? { args: argv } : { args: [...argv, 'status'], found: { home, info } }
  } catch {
    // A home that cannot be used, or a broken API file: the help, and the commands name the problem.
    return { args: argv }
  }
}

export async function main(argv: readonly string[]): Promise<void> {
  // `taskdeck status | head`: when the reader goes away, stop quietly like any Unix tool.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
      throw error
    })
  }
  try {
    const { args, found } = withDefaultCommand(argv)
    await buildProgram(args, found).parseAsync([...args], { from: 'user' })
  } catch (error) {
    process.exitCode = report(error, wantsJson(argv))
  }
}
