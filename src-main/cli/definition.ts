import { existsSync } from 'node:fs'
import { resolve, sep } from 'node:path'
import type { TaskDefinition, TaskDefinitionInput } from '../../src-shared/model.ts'
import { usageError } from './exit.ts'
import { readStdin } from './stdin.ts'
import { parseDuration, parseEnv, parseIds, parseInteger, parseMegabytes } from './format.ts'

/** The options `add` and `edit` share; commander hands them over as strings. */
export interface DefinitionOptions {
  name?: string
  group?: string
  after?: string[]
  priority?: string
  retries?: string
  timeout?: string
  maxMemory?: string
  maxCpu?: string
  delay?: string
  label?: string[]
  cwd?: string
  env?: string[]
  /** Only `edit`: variables to remove from the task's env. */
  unsetEnv?: string[]
  inheritEnv?: boolean
  stdin?: string
  /** Run on a terminal (`--tty`; `edit --no-tty`: false). */
  tty?: boolean
  notify?: string
  stash?: boolean
  shell?: string
}

const NOTIFY = ['default', 'always', 'failure', 'never'] as const

/** The option behind each field of a definition the CLI sends: the server's refusals then name the option. */
export const DEFINITION_OPTION_NAMES = {
  'definition.name': '--name',
  'definition.group': '--group',
  'definition.after': '--after',
  'definition.priority': '--priority',
  'definition.retry': '--retries',
  'definition.timeoutMs': '--timeout',
  'definition.limits.maxMemoryMb': '--max-memory',
  'definition.limits.maxCpuSeconds': '--max-cpu',
  'definition.limits': '--max-memory / --max-cpu',
  'definition.delayMs': '--delay',
  'definition.labels': '--label',
  'definition.notify': '--notify',
  'definition.spec.command': 'the command',
  'definition.spec.cwd': '--cwd',
  'definition.spec.env': '--env',
  'definition.spec.stdin': '--stdin',
  'definition.spec.tty': '--tty',
} as const

/**
 * A new task's definition from the command line. Only the shape is built here; every
 * value is validated by the server against the contract, which names what is wrong.
 */
export async function definitionFromOptions(argv: readonly string[], options: DefinitionOptions): Promise<TaskDefinitionInput> {
  const command = commandFrom(argv, options)
  if (command === null) throw usageError('add needs a command: `taskdeck add -- CMD ARGS…` or `taskdeck add --shell "CMD | CMD"`.')
  const definition: TaskDefinitionInput = {
    spec: {
      kind: 'shell',
      command,
      // The server may run in another directory; a task runs where it was added, like in a shell.
      cwd: resolve(options.cwd ?? process.cwd()),
      ...(options.env?.length || options.inheritEnv ? { env: { ...(options.inheritEnv ? inheritedEnv() : {}), ...parseEnv(options.env ?? []) } } : {}),
      ...(options.stdin === undefined ? {} : { stdin: await stdinText(options.stdin) }),
      ...(options.tty === true ? { tty: true } : {}),
    },
  }
  return applyCommonOptions(definition, options)
}

/** An existing definition with the given options (and command, if any) changed. */
export async function editedDefinition(current: TaskDefinition, argv: readonly string[], options: DefinitionOptions): Promise<TaskDefinitionInput> {
  const command = commandFrom(argv, options)
  const touchesEnv = options.env !== undefined || options.unsetEnv !== undefined || options.inheritEnv === true
  const touchesSpec = command !== null || options.cwd !== undefined || touchesEnv || options.stdin !== undefined || options.tty !== undefined
  let spec: TaskDefinitionInput['spec'] = current.spec
  if (touchesSpec) {
    if (current.spec.kind !== 'shell') throw usageError(`The task is a ${current.spec.kind} task; only shell tasks have a command, cwd, env, stdin or tty.`)
    spec = {
      ...current.spec,
      ...(command === null ? {} : { command }),
      ...(options.cwd === undefined ? {} : { cwd: resolve(options.cwd) }),
      ...(touchesEnv ? { env: editedEnv(current.spec.env ?? {}, options) } : {}),
      ...(options.stdin === undefined ? {} : { stdin: await stdinText(options.stdin) }),
      ...(options.tty === undefined ? {} : { tty: options.tty }),
    }
  }
  return applyCommonOptions({ ...current, spec }, options)
}

/**
 * --env sets the variables named and keeps the others (as pueue's `env set` does): an edit of
 * one must not drop the rest; --unset-env removes one (pueue's `env unset`). A name both set
 * and unset, or unset but not there (a typo would otherwise change nothing and say nothing),
 * is refused before anything is sent.
 */
function editedEnv(current: Readonly<Record<string, string>>, options: DefinitionOptions): Record<string, string> {
  const set = parseEnv(options.env ?? [])
  const env: Record<string, string> = { ...current, ...(options.inheritEnv ? inheritedEnv() : {}), ...set }
  for (const name of options.unsetEnv ?? []) {
    if (Object.hasOwn(set, name)) throw usageError(`--unset-env ${name}: the same command sets it with --env ${name}=…; give one or the other.`)
    if (!Object.hasOwn(env, name)) {
      const names = Object.keys(env)
      throw usageError(`--unset-env ${name}: the task has no variable ${name} (${names.length === 0 ? 'it has none' : `it has ${names.join(', ')}`}).`)
    }
    // An own property made by the spread above, so `delete` cannot reach a prototype's.
    delete env[name]
  }
  return env
}

function applyCommonOptions(definition: TaskDefinitionInput, options: DefinitionOptions): TaskDefinitionInput {
  const result: TaskDefinitionInput = { ...definition }
  if (options.name !== undefined) result.name = options.name
  if (options.group !== undefined) result.group = options.group
  if (options.after !== undefined) result.after = parseIds(options.after, '--after')
  if (options.priority !== undefined) result.priority = parseInteger(options.priority, '--priority', -1000, 1000)
  if (options.label !== undefined) result.labels = options.label
  if (options.timeout !== undefined) result.timeoutMs = parseDuration(options.timeout, '--timeout')
  if (options.delay !== undefined) result.delayMs = parseDuration(options.delay, '--delay')
  // "none" removes a limit (edit); any other value sets it, keeping the other one.
  if (options.maxMemory !== undefined || options.maxCpu !== undefined) {
    const limits = { ...definition.limits }
    if (options.maxMemory !== undefined) {
      if (options.maxMemory === 'none') delete limits.maxMemoryMb
      else limits.maxMemoryMb = parseMegabytes(options.maxMemory, '--max-memory')
    }
    if (options.maxCpu !== undefined) {
      if (options.maxCpu === 'none') delete limits.maxCpuSeconds
      else limits.maxCpuSeconds = parseDuration(options.maxCpu, '--max-cpu') / 1000
    }
    if (Object.keys(limits).length > 0) result.limits = limits
    else delete result.limits
  }
  if (options.stash !== undefined) result.stashed = options.stash
  if (options.retries !== undefined) {
    const retries = parseInteger(options.retries, '--retries', 0, 99)
    if (retries === 0) delete result.retry
    else result.retry = { ...definition.retry, maxAttempts: retries + 1 }
  }
  if (options.notify !== undefined) {
    const notify = NOTIFY.find((policy) => policy === options.notify)
    if (notify === undefined) throw usageError(`--notify: "${options.notify}" is not one of ${NOTIFY.join(', ')}.`)
    result.notify = notify
  }
  return result
}

function commandFrom(argv: readonly string[], options: DefinitionOptions): string | string[] | null {
  if (options.shell !== undefined && argv.length > 0) {
    throw usageError('Give the command either after `--` (run without a shell) or with --shell "…" (run by the shell), not both.')
  }
  if (options.shell !== undefined) return options.shell
  if (argv.length === 1) refuseOneWordLine(argv[0]!, options.cwd)
  return argv.length > 0 ? [...argv] : null
}

/**
 * A whole command line in one quoted word (`add 'make && make test'`, as pueue or a shell
 * would take it) would run a program named like the whole line and fail with "executable
 * not found" only once it starts. A path with spaces to an existing file is a program
 * (`./my tools/run`, or `C:\Program Files\tool.exe` where `\` separates folders).
 */
function refuseOneWordLine(word: string, cwd: string | undefined): void {
  if (!/\s/.test(word) || ((word.includes('/') || word.includes(sep)) && existsSync(resolve(cwd ?? '.', word)))) return
  const quoted = `'${word.replaceAll("'", "'\\''")}'`
  throw usageError(
    `the command ${quoted} is one word with spaces, so no shell would split it: run it through the shell with \`--shell ${quoted}\`, or give the program and its arguments as separate words after --.`,
  )
}

/**
 * This shell's environment, for tasks that need its PATH, virtualenv or tool versions (as
 * pueue does by default). Opt-in, because it stores every variable, secrets included, with
 * the task; values longer than the contract allows are left out.
 */
function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && value.length <= 32 * 1024 && name !== '' && !name.includes('=')) env[name] = value
  }
  return env
}

/** `--stdin -` reads this process's standard input; anything else is the text itself. */
function stdinText(value: string): Promise<string> {
  return value === '-' ? readStdin('--stdin -') : Promise.resolve(value)
}
