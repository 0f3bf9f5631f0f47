import { describe, expect, it } from 'vitest'
import { LIMITS, TaskDefinitionSchema, type SavedTask } from '../../src-shared/index.ts'
import { definitionForFiring } from '../../src-main/triggers/input.ts'
import { useWorld } from '../support/world.ts'

describe('what a firing hands to its task', () => {
  const world = useWorld()

  it('a burst of 30,000 changed files (a checkout, an unpacked archive) starts the task: stdin keeps the paths that fit and says how many changed', async () => {
    const saved: SavedTask = { id: 1, name: 'site', createdAt: 0, updatedAt: 0, definition: TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: ['cat'] } }) }
    const paths = Array.from({ length: 30_000 }, (_, i) => `/home/someone/site/content/posts/2026/"draft" ${i}.md`)
    const changes = paths.map((path) => ({ path, event: 'add' as const }))
    const definition = definitionForFiring(saved, { trigger: { id: 3, name: 'site', kind: 'fileWatch' }, savedTaskId: 1, cause: 'file', firedAt: 0, scheduledFor: null, changedPaths: paths, changes })
    // The engine takes it (it refused a stdin over LIMITS.stdinChars, so the firing failed and nothing ran).
    const task = await world.engine.host.submit(definition)
    expect(await world.log.untilFinished(task.id)).toBe('succeeded')
    const stdin = task.definition.spec.kind === 'shell' ? (task.definition.spec.stdin ?? '') : ''
    expect(stdin.length).toBeLessThanOrEqual(LIMITS.stdinChars)
    const given = JSON.parse(stdin) as { changedPaths: string[]; changes: { path: string; event: string }[]; changedCount: number; cause: string }
    expect(given.cause).toBe('file')
    expect(given.changedCount).toBe(30_000)
    expect(given.changedPaths.length).toBeGreaterThan(1000)
    expect(given.changedPaths).toEqual(paths.slice(0, given.changedPaths.length))
    // What happened to each kept path, and to no other.
    expect(given.changes).toEqual(changes.slice(0, given.changedPaths.length))
    // As full as it can be: one more path (and its change) would not have fitted.
    const next = given.changedPaths.length
    expect(stdin.length + JSON.stringify(paths[next]).length + 1 + JSON.stringify(changes[next]).length + 1).toBeGreaterThan(LIMITS.stdinChars)
    const env = task.definition.spec.kind === 'shell' ? task.definition.spec.env : {}
    expect(env?.TASKDECK_CHANGED_PATHS_TRUNCATED).toBe('1')
    const lines = env?.TASKDECK_CHANGES?.split('\n') ?? []
    expect(lines.length).toBeGreaterThan(10)
    expect(lines).toEqual(paths.slice(0, lines.length).map((path) => `add\t${path}`))
  })

  it('a burst that fits is handed over whole, without changedCount', () => {
    const saved: SavedTask = { id: 1, name: 'site', createdAt: 0, updatedAt: 0, definition: TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: ['cat'] } }) }
    const paths = ['/a.md', '/b.md']
    const definition = definitionForFiring(saved, { trigger: null, savedTaskId: 1, cause: 'file', firedAt: 0, scheduledFor: null, changedPaths: paths })
    const stdin = definition.spec.kind === 'shell' ? (definition.spec.stdin ?? '') : ''
    expect(JSON.parse(stdin)).toEqual({ trigger: null, savedTaskId: 1, cause: 'file', firedAt: 0, scheduledFor: null, changedPaths: paths })
  })
})
