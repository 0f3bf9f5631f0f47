import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { API_DOCS_PATH, renderApiDocs } from '../../src-main/server/api-docs.ts'
import { COMMAND_NAMES } from '../../src-shared/index.ts'
import { buildProgram } from '../../src-main/cli/main.ts'

describe('docs/api.md', () => {
  it('is up to date with the contract (regenerate with `npm run docs:api`)', () => {
    expect(readFileSync(API_DOCS_PATH, 'utf8')).toBe(renderApiDocs())
  })

  it('documents every command with a description and a schema-checked example', () => {
    const docs = renderApiDocs()
    for (const name of COMMAND_NAMES) {
      expect(docs).toContain(`### \`${name}\``)
      expect(docs).toContain(`"command":"${name}"`)
    }
    expect(docs).not.toContain('Not described yet')
  })
})

describe("docs/api.md, the CLI's machine-readable output", () => {
  it('has a row for every command of `taskdeck` that prints a result', () => {
    const docs = renderApiDocs()
    const section = docs.slice(docs.indexOf("## The CLI's machine-readable output"))
    const firstCells = section
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split(' | ')[0] ?? '')
    // `worker` runs until stopped and prints no result; `help` prints help.
    const commands = buildProgram()
      .commands.map((command) => command.name())
      .filter((name) => name !== 'worker' && name !== 'help')
    expect(commands.length).toBeGreaterThan(20)
    const missing = commands.filter((name) => !firstCells.some((cell) => new RegExp(`\`${name}(\`| )`).test(cell)))
    expect(missing).toEqual([])
  })
})
