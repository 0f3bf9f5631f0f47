import { useMemo } from 'react'
import { useTranslation } from 'react-i18next'
import { merge, timer } from 'rxjs'
import type { LoopSnapshot } from '../../src-shared/index.ts'
import { FirstRunHint, Sparkline, ViewHeading, useEngineSentences } from '../components/common.tsx'
import { CrashPauseNotice } from '../components/CrashPauseNotice.tsx'
import { useObservableState } from '../hooks/observable.ts'
import { snapshotOnActivity$ } from '../streams/loop.ts'
import type { AppState } from '../streams/state.ts'
import { useModel, useStoreSelect } from './context.ts'

type Entry = LoopSnapshot['ready'][number]

const selectStats = (state: AppState) => state.stats
const selectHasTasks = (state: AppState) => state.tasks.size > 0
const selectTasks = (state: AppState) => state.tasks

/** The engine's event loop made visible: ready → running → completion, and who waits why. */
export function LoopView({ onNewTask }: { onNewTask: () => void }) {
  const { t } = useTranslation()
  const { refusal } = useEngineSentences()
  const model = useModel()
  const stats = useStoreSelect(model.state, selectStats)
  const hasTasks = useStoreSelect(model.state, selectHasTasks)
  const snapshot$ = useMemo(() => snapshotOnActivity$(merge(timer(0), model.frames$), () => model.bridge.invoke('engine.loop', {})), [model])
  const result = useObservableState(snapshot$, null)
  const snapshot = result?.ok ? result.value : null

  return (
    <div className="page loop">
      <header className="page-head">
        <ViewHeading>{t('loop.title')}</ViewHeading>
        <p className="muted">{t('loop.subtitle')}</p>
        {snapshot?.paused && <span className="pill warn">{t('loop.paused')}</span>}
      </header>
      <CrashPauseNotice />
      {result && !result.ok && <div className="field-error">{refusal(result.error)}</div>}
      {!hasTasks && <FirstRunHint what={t('empty.loopFirstRun')} onNewTask={onNewTask} />}
      <div className="charts">
        <Sparkline label={t('loop.delayP99')} unit=" ms" values={stats.map((s) => s.loopDelayMs.p99)} />
        <Sparkline label={t('loop.delayP50')} unit=" ms" values={stats.map((s) => s.loopDelayMs.p50)} />
        {/* The Ready lane's count over time: engine.stats counts the lanes as engine.loop lists them (one rule in the engine). */}
        <Sparkline label={t('loop.depth')} values={stats.map((s) => s.queueDepth.ready)} />
        <Sparkline label={t('loop.throughput')} unit="/s" values={stats.map((s) => s.throughput)} />
      </div>
      <div className="loop-flow" role="group" aria-label={t('loop.flow')}>
        <Lane title={t('loop.waiting')} hint={t('loop.waitingHint')} entries={snapshot?.waiting ?? []} tone="waiting" showDetail />
        <div className="flow-arrow" aria-hidden>
          →
        </div>
        <Lane title={t('loop.ready')} hint={t('loop.readyHint')} entries={snapshot?.ready ?? []} tone="queued" />
        <div className="flow-arrow" aria-hidden>
          →
        </div>
        <Lane title={t('loop.running')} hint={t('loop.runningHint')} entries={snapshot?.running ?? []} tone="running" showDetail />
        <div className="flow-arrow" aria-hidden>
          →
        </div>
        <Lane title={t('loop.completion')} hint={t('loop.completionHint')} entries={snapshot?.completion ?? []} tone="done" showDetail />
      </div>
    </div>
  )
}

function Lane({ title, hint, entries, tone, showDetail }: { title: string; hint: string; entries: Entry[]; tone: string; showDetail?: boolean }) {
  const { t } = useTranslation()
  const model = useModel()
  const sentences = useEngineSentences()
  const tasks = useStoreSelect(model.state, selectTasks)
  /** A run its group's conditions paused says so rather than only "paused since" (the task's wait reason is the run's hold). */
  const detail = (entry: Entry) => {
    const wait = entry.state.kind === 'paused' ? tasks.get(entry.taskId)?.waitingFor : null
    return wait?.kind === 'machine' ? sentences.held(wait.unmet, wait.group) : sentences.loopEntry(entry)
  }
  return (
    <section className={`lane lane-${tone}`} aria-label={title}>
      <header>
        <h2>{title}</h2>
        <span className="lane-count">{entries.length}</span>
      </header>
      <p className="lane-hint">{hint}</p>
      <ul>
        {entries.length === 0 && <li className="lane-empty">{t('loop.empty')}</li>}
        {entries.slice(0, 50).map((entry) => (
          <li key={entry.taskId} className="lane-item">
            <button type="button" className="link" onClick={() => model.route.set({ view: 'task', taskId: entry.taskId })}>
              <span className="cell-id">#{entry.taskId}</span> <span className="lane-name">{entry.name}</span>
            </button>
            <span className="group-tag">{entry.group}</span>
            {showDetail && <span className="lane-detail">{detail(entry)}</span>}
          </li>
        ))}
      </ul>
    </section>
  )
}

