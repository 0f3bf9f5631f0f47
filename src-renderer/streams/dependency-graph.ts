import type { Task, TaskStatus } from '../../src-shared/index.ts'

/**
 * A task's upstream dependencies (definition.after) and downstream dependents as a small
 * layered DAG for the task detail: columns by distance (upstream left, the task in the middle,
 * dependents right), at most `depth` levels each way and `perLevel` nodes a column, the rest
 * counted as "+N more". A simple layered layout: the graphs drawn are a few dozen nodes at most
 * in columns by distance, which needs no crossing minimisation, so no layout library (dagre,
 * elkjs) was added.
 * Pure; unit-tested.
 */
export interface GraphNode {
  id: number
  name: string
  status: TaskStatus | null
  /** Column: negative upstream, 0 the task, positive downstream. */
  level: number
  /** Row within its column. */
  row: number
}

export interface DependencyGraph {
  nodes: GraphNode[]
  /** From a dependency to the task that waits for it, both drawn. */
  edges: { from: number; to: number }[]
  /** Per column, the nodes not drawn. */
  more: Map<number, number>
}

export function dependencyGraph(taskId: number, tasks: ReadonlyMap<number, Task>, depth = 3, perLevel = 5): DependencyGraph {
  const dependents = new Map<number, number[]>()
  for (const task of tasks.values()) for (const dep of task.definition.after) (dependents.get(dep) ?? dependents.set(dep, []).get(dep)!).push(task.id)
  const placed = new Map<number, GraphNode>()
  const more = new Map<number, number>()
  const node = (id: number, level: number, row: number): GraphNode => {
    const task = tasks.get(id)
    return { id, name: task?.name ?? `#${id}`, status: task?.status ?? null, level, row }
  }
  placed.set(taskId, node(taskId, 0, 0))
  for (const direction of [-1, 1] as const) {
    let frontier = [taskId]
    for (let step = 1; step <= depth && frontier.length > 0; step++) {
      const next: number[] = []
      for (const id of frontier) {
        const linked = direction < 0 ? (tasks.get(id)?.definition.after ?? []) : (dependents.get(id) ?? [])
        for (const other of [...linked].sort((a, b) => a - b)) if (!placed.has(other) && !next.includes(other)) next.push(other)
      }
      const level = direction * step
      const shown = next.slice(0, perLevel)
      shown.forEach((id, row) => placed.set(id, node(id, level, row)))
      if (next.length > shown.length) more.set(level, next.length - shown.length)
      frontier = shown
    }
  }
  const edges: { from: number; to: number }[] = []
  for (const n of placed.values()) for (const dep of tasks.get(n.id)?.definition.after ?? []) if (placed.has(dep)) edges.push({ from: dep, to: n.id })
  return { nodes: [...placed.values()].sort((a, b) => a.level - b.level || a.row - b.row), edges, more }
}

/** For a task waiting on dependencies: the first of them that has not succeeded (the one it is blocked by), or null. */
export function blockedBy(task: Task, tasks: ReadonlyMap<number, Task>): Task | null {
  if (task.status !== 'waiting' || task.waitingFor?.kind !== 'dependency') return null
  for (const id of task.waitingFor.taskIds) {
    const dependency = tasks.get(id)
    if (dependency && dependency.status !== 'succeeded') return dependency
  }
  return null
}
