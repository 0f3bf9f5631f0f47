import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { API_DOCS_PATH, renderApiDocs } from '../../src-main/server/api-docs.ts'
import { COMMAND_NAMES } from '../../src-shared/index.ts'

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
