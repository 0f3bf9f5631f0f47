import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useServe } from './helpers.ts'

/**
 * What users of pueue, task-spooler and nq do by habit, against a real `taskdeck serve`:
 * each case is a place where Taskdeck once answered in a way that tripped them up.
 */
describe('taskdeck used the way pueue, tsp and nq users do', () => {
  const serve = useServe()
  const { work, cli } = serve
  const addQuiet = async (...args: string[]): Promise<number> => {
    const result = await cli('add', '-q', ...args)
    expect(result.code, result.stderr).toBe(0)
    return Number(result.stdout.trim())
  }

  it('add refuses a whole command line in one quoted word (pueue and a shell split it; argv would not) and says to use --shell', async () => {
    for (const args of [['add', 'make && make test'], ['add', '--', "echo 'a b' | tr a b"]]) {
      const refused = await cli(...args)
      expect(refused.code).toBe(2)
      expect(refused.stdout).toBe('')
      const word = args.at(-1)!
      const quoted = `'${word.replaceAll("'", "'\\''")}'`
      expect(refused.stderr).toBe(
        `taskdeck: the command ${quoted} is one word with spaces, so no shell would split it: run it through the shell with \`--shell ${quoted}\`, or give the program and its arguments as separate words after --.\n`,
      )
    }
    expect((await cli('status', '--json')).json<{ tasks: unknown[] }>().tasks).toEqual([])
    // The suggested command works as it is printed.
    const viaShell = await addQuiet('--shell', "echo 'a b' | tr a b")
    expect((await cli('follow', String(viaShell))).stdout).toBe('b b\n')
    // A program whose path has spaces is still a program.
    mkdirSync(join(work, 'my tools'))
    writeFileSync(join(work, 'my tools', 'hello'), '#!/bin/sh\necho hello from a spaced path\n')
    chmodSync(join(work, 'my tools', 'hello'), 0o755)
    const spaced = await addQuiet('--', './my tools/hello')
    expect((await cli('follow', String(spaced))).stdout).toBe('hello from a spaced path\n')
  })
})
