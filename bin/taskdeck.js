#!/usr/bin/env node
// The `taskdeck` command. It runs the built CLI (out/main/cli.js, made by `npm run build`)
// when there is one, else the TypeScript sources directly (Node >= 22.18 strips types).
// TASKDECK_CLI_FROM_SOURCE=1 forces the sources, so tests exercise the code as it is now.
import { existsSync } from 'node:fs'
import module from 'node:module'

// Cache compiled code between runs: a one-shot command then starts in about half the time.
module.enableCompileCache?.()

const built = new URL('../out/main/cli.js', import.meta.url)
const fromSource = process.env.TASKDECK_CLI_FROM_SOURCE === '1' || !existsSync(built)
if (fromSource && !process.features.typescript) {
  process.stderr.write('taskdeck: this Node cannot run TypeScript sources; run `npm run build` first (or use Node >= 22.18).\n')
  process.exit(2)
}
const cli = await import(fromSource ? '../src-main/cli/main.ts' : built.href)
await cli.main(process.argv.slice(2))
