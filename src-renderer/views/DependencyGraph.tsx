import { useMemo } from 'react'
import { useTranslation } from 'react-i18next'
import type { Task } from '../../src-shared/index.ts'
import { blockedBy, dependencyGraph } from '../streams/dependency-graph.ts'
import { useModel, useStore } from './context.ts'

const NODE_W = 150
const NODE_H = 28
const COL_GAP = 40
const ROW_GAP = 10

/**
 * The task's dependencies and dependents as a small DAG (streams/dependency-graph.ts), drawn in
 * SVG: each node in its status colour, a link (Tab, Enter) to that task; "+N more" where a
 * column is cut; a list of the same for screen readers; and, for a waiting task, which task it
 * is blocked by. Nothing is drawn for a task with neither dependencies nor dependents.
 */
export function DependencyGraph({ task }: { task: Task }) {
  const { t } = useTranslation()
  const model = useModel()
  const tasks = useStore(model.state).tasks
  const graph = useMemo(() => dependencyGraph(task.id, tasks), [task.id, tasks])
  const blocker = blockedBy(task, tasks)
  if (graph.nodes.length === 1) return null
  const levels = graph.nodes.map((n) => n.level)
  const min = Math.min(...levels)
  const max = Math.max(...levels)
  const rows = Math.max(...graph.nodes.map((n) => n.row)) + 1 + (graph.more.size > 0 ? 1 : 0)
  const x = (level: number) => (level - min) * (NODE_W + COL_GAP)
  const y = (row: number) => row * (NODE_H + ROW_GAP)
  const at = new Map(graph.nodes.map((n) => [n.id, n]))
  const open = (id: number) => model.route.set({ view: 'task', taskId: id })
  const width = (max - min + 1) * (NODE_W + COL_GAP) - COL_GAP
  const height = rows * (NODE_H + ROW_GAP) - ROW_GAP
  const short = (name: string) => (name.length > 18 ? `${name.slice(0, 17)}…` : name)
  return (
    <section className="dep-graph" aria-labelledby="dep-graph-heading">
      <h3 id="dep-graph-heading">{t('graph.title')}</h3>
      {blocker && (
        <p className="dep-blocked" data-testid="blocked-by">
          {t('graph.blockedBy')}{' '}
          <button type="button" className="link" onClick={() => open(blocker.id)}>
            #{blocker.id} {blocker.name}
          </button>{' '}
          ({t(`status.${blocker.status}`)})
        </p>
      )}
      <svg className="dep-svg" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="group" aria-label={t('graph.label', { id: task.id })}>
        {graph.edges.map(({ from, to }) => {
          const a = at.get(from)!
          const b = at.get(to)!
          return <path key={`${from}-${to}`} className="dep-edge" d={`M${x(a.level) + NODE_W},${y(a.row) + NODE_H / 2} C${x(a.level) + NODE_W + COL_GAP / 2},${y(a.row) + NODE_H / 2} ${x(b.level) - COL_GAP / 2},${y(b.row) + NODE_H / 2} ${x(b.level)},${y(b.row) + NODE_H / 2}`} aria-hidden />
        })}
        {graph.nodes.map((n) => (
          <g
            key={n.id}
            className={`dep-node status-${n.status ?? 'unknown'}${n.id === task.id ? ' dep-self' : ''}`}
            transform={`translate(${x(n.level)},${y(n.row)})`}
            role="link"
            tabIndex={n.id === task.id ? undefined : 0}
            aria-label={`#${n.id} ${n.name}: ${n.status ? t(`status.${n.status}`) : t('graph.gone')}`}
            aria-current={n.id === task.id ? 'page' : undefined}
            onClick={() => n.id !== task.id && open(n.id)}
            onKeyDown={(e) => {
              if ((e.key === 'Enter' || e.key === ' ') && n.id !== task.id) {
                e.preventDefault()
                open(n.id)
              }
            }}
          >
            <title>{`#${n.id} ${n.name}`}</title>
            <rect width={NODE_W} height={NODE_H} rx={6} />
            <circle className="dep-dot" cx={12} cy={NODE_H / 2} r={4} />
            <text x={22} y={NODE_H / 2 + 4}>{`#${n.id} ${short(n.name)}`}</text>
          </g>
        ))}
        {[...graph.more].map(([level, count]) => (
          <text key={level} className="dep-more" x={x(level) + 4} y={y(rows - 1) + NODE_H / 2 + 4}>
            {t('graph.more', { count })}
          </text>
        ))}
      </svg>
      <ul className="sr-only" aria-label={t('graph.listLabel')}>
        {graph.nodes.filter((n) => n.id !== task.id).map((n) => (
          <li key={n.id}>
            {n.level < 0 ? t('graph.upstream', { count: -n.level }) : t('graph.downstream', { count: n.level })}: #{n.id} {n.name}, {n.status ? t(`status.${n.status}`) : t('graph.gone')}
          </li>
        ))}
        {[...graph.more].map(([level, count]) => <li key={`more${level}`}>{t('graph.more', { count })}</li>)}
      </ul>
    </section>
  )
}
