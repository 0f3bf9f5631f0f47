import { describe, expect, it } from 'vitest'
import type { Task } from '../../src-shared/index.ts'
import { blockedBy, dependencyGraph } from '../../src-renderer/streams/dependency-graph.ts'
import { task } from './events.ts'

const withAfter = (id: number, after: number[], patch: Partial<Task> = {}): Task => ({ ...task(id, patch), definition: { ...task(id).definition, after } })
const map = (...tasks: Task[]) => new Map(tasks.map((t) => [t.id, t]))

describe('the dependency graph of a task', () => {
  it('puts dependencies left and dependents right, level by level, with edges between what is drawn', () => {
    // 1 → 2 → 3 → 4, and 1 → 5.
    const tasks = map(withAfter(1, []), withAfter(2, [1]), withAfter(3, [2]), withAfter(4, [3]), withAfter(5, [1]))
    const graph = dependencyGraph(3, tasks)
    expect(graph.nodes.map((n) => [n.id, n.level, n.row])).toEqual([[1, -2, 0], [2, -1, 0], [3, 0, 0], [4, 1, 0]])
    expect(graph.edges).toEqual(expect.arrayContaining([{ from: 1, to: 2 }, { from: 2, to: 3 }, { from: 3, to: 4 }]))
    expect(graph.edges).toHaveLength(3)
    expect(dependencyGraph(1, tasks).nodes.map((n) => [n.id, n.level])).toEqual([[1, 0], [2, 1], [5, 1], [3, 2], [4, 3]])
  })

  it('cuts a wide column with "+N more" and a deep chain at its depth', () => {
    const tasks = map(withAfter(1, []), ...Array.from({ length: 8 }, (_, i) => withAfter(10 + i, [1])))
    const graph = dependencyGraph(1, tasks, 3, 5)
    expect(graph.nodes.filter((n) => n.level === 1).map((n) => n.id)).toEqual([10, 11, 12, 13, 14])
    expect(graph.more).toEqual(new Map([[1, 3]]))
    const chain = map(...Array.from({ length: 10 }, (_, i) => withAfter(i + 1, i === 0 ? [] : [i])))
    expect(Math.max(...dependencyGraph(1, chain, 3).nodes.map((n) => n.level))).toBe(3)
  })

  it('names a dependency that is no longer here by its number', () => {
    expect(dependencyGraph(2, map(withAfter(2, [9]))).nodes[0]).toEqual({ id: 9, name: '#9', status: null, level: -1, row: 0 })
  })

  it('says which task a waiting task is blocked by: the first dependency that has not succeeded', () => {
    const tasks = map(withAfter(1, [], { status: 'succeeded' }), withAfter(2, [], { status: 'running' }), withAfter(3, [1, 2], { status: 'waiting', waitingFor: { kind: 'dependency', taskIds: [1, 2] } }))
    expect(blockedBy(tasks.get(3)!, tasks)?.id).toBe(2)
    expect(blockedBy(tasks.get(2)!, tasks)).toBeNull()
  })
})
