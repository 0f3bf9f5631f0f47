import { readFileSync } from 'node:fs'
import type { TaskDefinitionInput } from '../../src-shared/index.ts'

// Other areas' tests open engines through these names.
export { openEngine, tempHome } from '../support/engine.ts'

export const shell = (command: string | string[], extra: Partial<TaskDefinitionInput> = {}): TaskDefinitionInput => ({
  spec: { kind: 'shell', command },
  ...extra,
})

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

export async function waitFor(condition: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
