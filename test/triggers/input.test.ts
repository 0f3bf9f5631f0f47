import { describe, expect, it } from 'vitest'
import { LIMITS, TaskDefinitionSchema, type SavedTask } from '../../src-shared/index.ts'
import { definitionForFiring } from '../../src-main/triggers/input.ts'
import { useWorld } from '../support/world.ts'

describe('what a firing hands to its task', () => {
  const world = useWorld()

  it('a burst of 30,000 changed files (a checkout, an unpacked archive) starts the task: stdin keeps the paths that fit and says how many changed', async () => {
    const saved: SavedTask = { id: 1, name: 'site', createdAt: 0, updatedAt: 0, definition: TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: ['cat'] } }) }
    const paths = Array.from({ length: 30_000 }, (_, i) => `/home/someone/site/content/posts/2026/"draft" ${i}.md`)
    const definition = definitionForFiring(saved, { trigger: { id: 3, name: 'site', kind: 'fileWatch' }, savedTaskId: 1, cause: 'file', firedAt: 0, scheduledFor: null, changedPaths: paths })
    // The engine takes it (it refused a stdin over LIMITS.stdinChars, so the firing failed and nothing ran).
    const task = await world.engine.host.submit(definition)
    expect(await world.log.untilFinished(task.id)).toBe('succeeded')
    const stdin = task.definition.spec.kind === 'shell' ? (task.definition.spec.stdin ?? '') : ''
    expect(stdin.length).toBeLessThanOrEqual(LIMITS.stdinChars)
    const given = JSON.parse(stdin) as { changedPaths: string[]; changedCount: number; cause: string }
    expect(given.cause).toBe('file')
    expect(given.changedCount).toBe(30_000)
    expect(given.changedPaths.length).toBeGreaterThan(1000)
    expect(given.changedPaths).toEqual(paths.slice(0, given.changedPaths.length))
    // As full as it can be: one more path would not have fitted.
    expect(stdin.length + JSON.stringify(paths[given.changedPaths.length]).length + 1).toBeGreaterThan(LIMITS.stdinChars)
    const env = task.definition.spec.kind === 'shell' ? task.definition.spec.env : {}
    expect(env?.TASKDECK_CHANGED_PATHS_TRUNCATED).toBe('1')
  })

  it('a burst that fits is handed over whole, without changedCount', () => {
    const saved: SavedTask = { id: 1, name: 'site', createdAt: 0, updatedAt: 0, definition: TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: ['cat'] } }) }
    const paths = ['/a.md', '/b.md']
    const definition = definitionForFiring(saved, { trigger: null, savedTaskId: 1, cause: 'file', firedAt: 0, scheduledFor: null, changedPaths: paths })
    const stdin = definition.spec.kind === 'shell' ? (definition.spec.stdin ?? '') : ''
    expect(JSON.parse(stdin)).toEqual({ trigger: null, savedTaskId: 1, cause: 'file', firedAt: 0, scheduledFor: null, changedPaths: paths })
  })
})
