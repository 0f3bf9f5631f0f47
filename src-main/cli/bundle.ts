/**
 * `npm run build:cli`: the CLI's client commands as one CommonJS bundle, out/cli/taskdeck.cjs,
 * with commander inside and every command module in lazily required chunks.
 *
 * Why a bundle of its own, beside electron-vite's ES build: a one-shot `taskdeck add`
 * spends most of its time loading code. CommonJS skips the ES loader's per-module
 * resolve/link work and, above all, the ES facades of built-ins: `import … from 'node:util'`
 * or `'node:process'` (as commander does) evaluates every lazy export of the module,
 * creating process.stdin and loading worker_threads, assert's diff and more. Bundling
 * commander spares the resolution of node_modules on every call.
 *
 * `serve` and `worker` load the engine, whose modules use top-level await (not CommonJS);
 * bin/taskdeck.js runs them from the ES build, so here they are stubs that say so.
 */
import { rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { build } from 'rolldown'

const root = resolve(import.meta.dirname, '..', '..')
export const CLI_BUNDLE_DIR = join(root, 'out', 'cli')

/** Modules that only the ES build runs (see bin/taskdeck.js), by the path they are imported by. */
const SERVER_SIDE = [/[\\/]cli[\\/]commands[\\/]serve\.ts$/, /[\\/]worker[\\/]main\.ts$/]
const STUB_ID = '\0taskdeck-server-side'

export async function bundleCli(outDir = CLI_BUNDLE_DIR): Promise<void> {
  await rm(outDir, { recursive: true, force: true })
  await build({
    input: { taskdeck: join(root, 'src-main', 'cli', 'main.ts') },
    platform: 'node',
    // Dependencies other than commander load only in the commands that need them (ws for follow/wait, zod rarely).
    external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0') && !/^[A-Za-z]:/.test(id) && id !== 'commander' && !id.startsWith('commander/'),
    plugins: [
      {
        // commander loads child_process at the top for executable subcommands, which taskdeck
        // does not use; loading it on first use spares every call ~4 ms.
        name: 'taskdeck-commander-lazy-child-process',
        transform(code, id) {
          if (!/[\\/]commander[\\/]lib[\\/]command\.js$/.test(id)) return null
          const eager = "import childProcess from 'node:child_process';"
          if (!code.includes(eager)) throw new Error(`commander changed: "${eager}" is no longer in ${id}; update src-main/cli/bundle.ts`)
          return code.replace(eager, "const childProcess = { spawn: (...args) => process.getBuiltinModule('node:child_process').spawn(...args) };")
        },
      },
      {
        name: 'taskdeck-server-side-stub',
        async resolveId(source, importer) {
          if (importer === undefined) return null
          const resolved = await this.resolve(source, importer, { skipSelf: true })
          return resolved !== null && SERVER_SIDE.some((pattern) => pattern.test(resolved.id)) ? STUB_ID : null
        },
        load(id) {
          if (id !== STUB_ID) return null
          const refuse = 'throw new Error("serve and worker run from the ES build: start them through bin/taskdeck.js")'
          return `export function serve() { ${refuse} }\nexport function workerCommand() { ${refuse} }\n`
        },
      },
    ],
    output: {
      dir: outDir,
      format: 'cjs',
      entryFileNames: '[name].cjs',
      chunkFileNames: 'chunks/[name]-[hash].cjs',
      sourcemap: false,
    },
  })
}

if (import.meta.main) {
  await bundleCli()
  process.stdout.write(`Bundled the CLI into ${CLI_BUNDLE_DIR}\n`)
}
