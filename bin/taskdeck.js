#!/usr/bin/env node
// The `taskdeck` command (CommonJS, see bin/package.json: an ES entry would cost every call
// the ES loader's start-up). Built installs run the client commands from the CommonJS
// bundle out/cli/taskdeck.cjs (`npm run build:cli`) and `serve` / `worker`, which load the
// engine, from the ES build out/main/cli.js. Without a build it runs the TypeScript sources
// (Node >= 22.18 strips types). TASKDECK_CLI_FROM_SOURCE=1 forces the sources, so tests
// exercise the code as it is now.
'use strict'
if (typeof process.getBuiltinModule !== 'function') {
  process.stderr.write(`taskdeck: needs Node.js 22.13 or newer; this is Node.js ${process.versions.node} (${process.execPath}).\n`)
  process.exit(1)
}
const { existsSync } = process.getBuiltinModule('node:fs')
const { enableCompileCache } = process.getBuiltinModule('node:module')
const { join } = process.getBuiltinModule('node:path')
const { pathToFileURL } = process.getBuiltinModule('node:url')

/** Commands that load the engine: not in the client bundle. */
const ENGINE_COMMANDS = new Set(['serve', 'worker'])
/** Commands that open the engine's database (daemon starts serve). */
const STORE_COMMANDS = new Set(['serve', 'daemon'])

/** The subcommand's name: the first word that is not an option or the value of --home. */
function commandName(args) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--home') i++
    else if (arg === '--') return undefined
    else if (!arg.startsWith('-')) return arg
  }
  return undefined
}

/** The user's cache folder for compiled code (Node's default, in the temp folder, when there is none). */
function compileCacheDir() {
  const env = process.env
  if (process.platform === 'win32') return env.LOCALAPPDATA ? join(env.LOCALAPPDATA, 'Taskdeck', 'Cache', 'compile') : undefined
  if (process.platform === 'darwin') return env.HOME ? join(env.HOME, 'Library', 'Caches', 'Taskdeck', 'compile') : undefined
  const cache = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : undefined)
  return cache ? join(cache, 'taskdeck', 'compile') : undefined
}

/** The module whose main(argv) runs this command line. */
async function load(argv) {
  const fromSource = process.env.TASKDECK_CLI_FROM_SOURCE === '1'
  const clientBundle = join(__dirname, '..', 'out', 'cli', 'taskdeck.cjs')
  const esBuild = join(__dirname, '..', 'out', 'main', 'cli.js')
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS entry loading the CommonJS bundle
  if (!fromSource && !ENGINE_COMMANDS.has(commandName(argv)) && existsSync(clientBundle)) return require(clientBundle)
  if (!fromSource && existsSync(esBuild)) return import(pathToFileURL(esBuild).href)
  if (!process.features.typescript) {
    process.stderr.write('taskdeck: this Node cannot run TypeScript sources; run `npm run build` first (or use Node >= 22.18).\n')
    process.exit(2)
  }
  return import(pathToFileURL(join(__dirname, '..', 'src-main', 'cli', 'main.ts')).href)
}

// Cached compiled code: a one-shot command then spends far less of its start-up compiling.
enableCompileCache?.(compileCacheDir())
const argv = process.argv.slice(2)
// The engine keeps its log in node:sqlite (unflagged since Node.js 22.13); the client commands need no more than this file does.
if (STORE_COMMANDS.has(commandName(argv)) && process.getBuiltinModule('node:sqlite') === undefined) {
  process.stderr.write(`taskdeck ${commandName(argv)}: the engine needs node:sqlite, which this Node.js (${process.versions.node}, ${process.execPath}) does not offer: use Node.js 22.13 or newer.\n`)
  process.exit(1)
}
load(argv).then(
  (cli) => cli.main(argv),
  (error) => {
    process.stderr.write(`taskdeck: cannot load the CLI: ${error.stack ?? error}\n`)
    process.exitCode = 1
  },
)
