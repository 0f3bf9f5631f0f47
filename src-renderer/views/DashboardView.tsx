import { useEffect, useMemo } from 'react'
import { useTranslation } from 'react-i18next'
import { interval, map } from 'rxjs'
import { TASK_STATUSES, type TaskStatus } from '../../src-shared/index.ts'
import { EmptyState, FirstRunHint, Sparkline, StatusGlyph, ViewHeading, useDuration } from '../components/common.tsx'
import { useObservableState } from '../hooks/observable.ts'
import { completionBuckets } from '../streams/loop.ts'
import { successPercent } from '../streams/state.ts'
import type { TaskLeader } from '../streams/run-leaders.ts'
import { useModel, useStore, useStoreSelect } from './context.ts'

const BUCKET_MS = 10_000
const BUCKETS = 36
const CHART_MINUTES = (BUCKET_MS * BUCKETS) / 60_000
const tick$ = interval(2000).pipe(map(() => Date.now()))

export function DashboardView({ onNewTask }: { onNewTask: () => void }) {
  const { t, i18n } = useTranslation()
  const formatDuration = useDuration()
  const model = useModel()
  const state = useStore(model.state)
  const reading = useStoreSelect(model.history, (h) => h.reading)
  const now = useObservableState(tick$, Date.now())

  // Both kept up to date as events are folded (see model.ts), not counted again over every task and run.
  const { counts } = useStore(model.taskFacets)
  useEffect(() => model.runLeaders.watch(), [model])
  const { slowest, failing } = useMemo(() => {
    // `now` times the runs still going (their time so far, as the task list shows it).
    const { slowest, failing } = model.runLeaders.leaders(8, now)
    const named = (leaders: TaskLeader[]) => leaders.map(({ taskId, value, running }) => ({ taskId, value, running, name: state.tasks.get(taskId)?.name ?? `#${taskId}` }))
    return { slowest: named(slowest), failing: named(failing) }
  }, [model, state.runs, state.tasks, now])
  const buckets = useMemo(() => completionBuckets(state.completions, now, BUCKET_MS, BUCKETS), [state.completions, now])

  /** The task list, filtered by one status (a card's or a row's of all statuses). */
  const showStatus = (status: TaskStatus) => {
    model.query.update((q) => ({ ...q, statuses: [status] }))
    model.route.set({ view: 'tasks' })
  }
  const cards: TaskStatus[] = ['running', 'queued', 'waiting', 'failed', 'succeeded']
  // One rule for both success rates (runVerdict): of the runs that succeeded or failed, each figure naming its span and its counts.
  const allTime = successPercent(state.runOutcomes)
  const recent = successPercent(buckets.outcomes)
  // Rounded, but one failure among many reads 99%, never 100%, and one success <1%, never 0%.
  const count = (n: number) => n.toLocaleString(i18n.language)
  const percent = (share: number | null) => (share === null ? '—' : share > 0 && share < 1 ? '<1%' : `${share < 100 ? Math.min(99, Math.round(share)) : 100}%`)

  return (
    <div className="page dashboard">
      <header className="page-head">
        <ViewHeading>{t('dashboard.title')}</ViewHeading>
        <p className="muted">{t('dashboard.subtitle', { count: state.tasks.size })}</p>
      </header>
      {state.tasks.size === 0 && !reading && <FirstRunHint what={t('empty.dashboardFirstRun')} onNewTask={onNewTask} />}
      <div className="cards">
        {cards.map((status) => (
          <button key={status} type="button" className={`card card-${status}`} onClick={() => showStatus(status)}>
            <span className="card-value">{counts.get(status) ?? 0}</span>
            <span className="card-label">
              <StatusGlyph status={status} />
              {t(`status.${status}`)}
            </span>
          </button>
        ))}
        <div className="card card-rate" data-testid="success-rate">
          <span className="card-value">{percent(allTime)}</span>
          <span className="card-label">{t('dashboard.successRateAll')}</span>
          <span className="card-detail">
            {allTime === null ? t('dashboard.noRuns') : t('dashboard.outcomes', { succeeded: count(state.runOutcomes.succeeded), counted: count(state.runOutcomes.succeeded + state.runOutcomes.failed) })}
          </span>
        </div>
      </div>
      <div className="charts wide">
        <Sparkline label={t('dashboard.finishedPer10s')} values={buckets.finished} height={72} />
        <Sparkline label={t('dashboard.successRateRecent', { minutes: CHART_MINUTES })} figure={percent(recent)} unit="%" max={100} values={buckets.successRate} height={72} />
        <Sparkline label={t('loop.throughput')} unit="/s" values={state.stats.map((s) => s.throughput)} height={72} />
      </div>
      <div className="grid-2 tables">
        <TopTable title={t('dashboard.slowest')} rows={slowest.map((r) => ({ ...r, shown: formatDuration(r.value) }))} empty={t('dashboard.noRunsYet')} testId="slowest" />
        <TopTable title={t('dashboard.mostFailing')} rows={failing.map((r) => ({ ...r, shown: t('dashboard.failures', { count: r.value }) }))} empty={t('dashboard.noFailures')} testId="most-failing" />
      </div>
      <details className="all-statuses">
        <summary>{t('dashboard.allStatuses')}</summary>
        <ul>
          {/* With the glyphs of the cards and the list's chips, and like the cards, each shows its tasks. */}
          {TASK_STATUSES.map((s) => (
            <li key={s}>
              <button type="button" className={`link all-status all-status-${s}`} onClick={() => showStatus(s)}>
                <StatusGlyph status={s} />
                {t(`status.${s}`)}: {counts.get(s) ?? 0}
              </button>
            </li>
          ))}
        </ul>
      </details>
    </div>
  )
}

function TopTable({ title, rows, empty, testId }: { title: string; rows: { taskId: number; name: string; shown: string; value: number; running?: true | undefined }[]; empty: string; testId: string }) {
  const { t } = useTranslation()
  const model = useModel()
  const max = Math.max(1, ...rows.map((r) => r.value))
  return (
    <section className="panel" data-testid={testId}>
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <EmptyState title={empty} />
      ) : (
        <ol className="top-list">
          {rows.map((row) => (
            <li key={row.taskId}>
              <button type="button" className="link" onClick={() => model.route.set({ view: 'task', taskId: row.taskId })}>
                <span className="cell-id">#{row.taskId}</span> {row.name}
              </button>
              <span className="bar" aria-hidden>
                <span className="bar-fill" style={{ width: `${(row.value / max) * 100}%` }} />
              </span>
              <span className="top-value">
                {row.shown}
                {row.running && (
                  <span className="top-running" title={t('dashboard.stillRunningTitle')}>
                    <StatusGlyph status="running" />
                    {t('dashboard.stillRunning')}
                  </span>
                )}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
