import { useMemo, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Subject, interval, map, merge, startWith, timer } from 'rxjs'
import type { RemoteBinding, RemoteStatus } from '../../src-shared/workers.ts'
import { EmptyState, Glyph, ViewHeading, busyButton, formatBytes, useDuration, useEngineSentences, type GlyphShape } from '../components/common.tsx'
import { useObservableState } from '../hooks/observable.ts'
import { snapshotOnActivity$ } from '../streams/loop.ts'
import { workerLiveness, type WorkerEntry, type WorkerLiveness } from '../streams/state.ts'
import { useModel, useStore } from './context.ts'
import { BindGroupForm } from './WorkersBindForm.tsx'

/** Re-evaluates staleness once a second even when no heartbeat arrives (that is the point). */
const clock$ = interval(1000).pipe(
  startWith(0),
  map(() => Date.now()),
)

const WORKER_COMMAND = 'taskdeck worker --redis redis://HOST:6379 --group NAME'
const GROUP_COMMAND = 'taskdeck group add NAME'
const BIND_COMMAND = 'taskdeck group bind NAME --redis redis://HOST:6379'

/** Remote workers (from heartbeats) and the groups bound to Redis. */
export function WorkersView() {
  const { t } = useTranslation()
  const { refusal } = useEngineSentences()
  const model = useModel()
  const state = useStore(model.state)
  const now = useObservableState(clock$, Date.now())
  // Bindings change rarely and have no event: re-read them every few seconds while shown, and at once after a change here.
  const changed$ = useMemo(() => new Subject<void>(), [])
  const bindings$ = useMemo(() => snapshotOnActivity$(merge(timer(0), interval(5000), changed$), () => model.bridge.invoke('group.listRemote', {})), [model, changed$])
  const bindingsResult = useObservableState(bindings$, null)
  const bindings = bindingsResult?.ok ? bindingsResult.value.bindings : []
  const workers = [...state.workers.values()].sort((a, b) => a.info.group.localeCompare(b.info.group) || a.info.host.localeCompare(b.info.host) || a.info.pid - b.info.pid)

  return (
    <div className="page workers">
      <header className="page-head">
        <ViewHeading>{t('workers.title')}</ViewHeading>
        <p className="muted">{t('workers.subtitle')}</p>
      </header>
      {workers.length === 0 ? (
        <EmptyState title={t('workers.emptyTitle')}>
          <p>{t('workers.emptyStart')}</p>
          <p className="empty-example">
            <code>{WORKER_COMMAND}</code>
          </p>
          <p>{t('workers.emptyBind')}</p>
          <p className="empty-example">
            <code>{GROUP_COMMAND}</code>
          </p>
          <p className="empty-example">
            <code>{BIND_COMMAND}</code>
          </p>
          <p>{t('workers.emptyRedis')}</p>
        </EmptyState>
      ) : (
        <section className="panel" aria-label={t('workers.listLabel')}>
          <h2>{t('workers.listLabel')}</h2>
          <table className="workers-table" data-testid="workers-table">
            <thead>
              <tr>
                <th scope="col">{t('workers.host')}</th>
                <th scope="col">{t('workers.pid')}</th>
                <th scope="col">{t('workers.group')}</th>
                <th scope="col">{t('workers.state')}</th>
                <th scope="col">{t('workers.load')}</th>
                <th scope="col">{t('workers.memory')}</th>
                <th scope="col">{t('workers.concurrency')}</th>
                <th scope="col">{t('workers.current')}</th>
              </tr>
            </thead>
            <tbody>
              {workers.map((entry) => (
                <WorkerRow key={entry.info.id} entry={entry} now={now} />
              ))}
            </tbody>
          </table>
        </section>
      )}
      <section className="panel" aria-label={t('workers.bindings')}>
        <h2>{t('workers.bindings')}</h2>
        {bindingsResult && !bindingsResult.ok && <div className="field-error">{refusal(bindingsResult.error)}</div>}
        {bindings.length === 0 ? (
          <p className="muted panel-note">{t('workers.noBindings')}</p>
        ) : (
          <table className="bindings-table" data-testid="bindings-table">
            <thead>
              <tr>
                <th scope="col">{t('workers.group')}</th>
                <th scope="col">{t('workers.redis')}</th>
                <th scope="col">{t('workers.state')}</th>
                <th scope="col">{t('workers.whenUnreachable')}</th>
                <th scope="col">{t('workers.secret')}</th>
                <th scope="col" aria-label={t('workers.bind.actions')} />
              </tr>
            </thead>
            <tbody>
              {bindings.map((binding) => (
                <BindingRow key={binding.group} binding={binding} onChanged={() => changed$.next()} />
              ))}
            </tbody>
          </table>
        )}
        <BindGroupForm boundGroups={new Set(bindings.map((b) => b.group))} onChanged={() => changed$.next()} />
      </section>
    </div>
  )
}

/** A worker's and a binding's state as a shape too (the task statuses' vocabulary: a dot is alive, a triangle needs a look). */
const WORKER_SHAPES: Record<WorkerLiveness, GlyphShape> = { running: 'dot', draining: 'half', stale: 'alert', stopped: 'stop' }
const BINDING_SHAPES: Record<RemoteStatus, GlyphShape> = { connected: 'dot', connecting: 'dots', unreachable: 'alert', refused: 'slash' }

function WorkerRow({ entry, now }: { entry: WorkerEntry; now: number }) {
  const { t } = useTranslation()
  const formatDuration = useDuration()
  const model = useModel()
  const tasks = useStore(model.state).tasks
  const { info } = entry
  const liveness = workerLiveness(entry, now)
  const gone = liveness === 'stale' || liveness === 'stopped'
  const memory = info.memory.totalBytes > 0 ? `${formatBytes(info.memory.rssBytes)} · ${t('workers.free', { free: formatBytes(info.memory.freeBytes), total: formatBytes(info.memory.totalBytes) })}` : '—'
  return (
    <tr className={gone ? 'worker-gone' : undefined} data-worker={info.id}>
      <td title={info.id}>
        <strong>{info.host}</strong>
        <div className="muted worker-version">v{info.version}</div>
      </td>
      <td className="cell-id">{info.pid}</td>
      <td>
        <span className="group-tag">{info.group}</span>
      </td>
      <td>
        <span className={`worker-state worker-${liveness}`} title={liveness === 'stale' ? t('workers.staleHint', { ago: formatDuration(now - entry.seenAt) }) : undefined}>
          <Glyph shape={WORKER_SHAPES[liveness]} />
          {t(`workers.states.${liveness}`)}
        </span>
      </td>
      <td className="worker-load" title={t('workers.loadHint', { cpus: info.cpus })}>
        {info.load.map((l) => l.toFixed(2)).join(' ')}
        {info.cpus > 0 && <span className="muted"> / {info.cpus}</span>}
      </td>
      <td>{memory}</td>
      <td className="worker-slots">
        {info.running.length} / {info.concurrency}
        <div className="muted">{t('workers.finished', { count: info.finished })}</div>
      </td>
      <td>
        {info.running.length === 0 ? (
          <span className="muted">{t('workers.idle')}</span>
        ) : (
          <ul className="worker-runs">
            {info.running.map((run) => (
              <li key={run.jobId}>
                {tasks.has(run.taskId) ? (
                  <button type="button" className="link" onClick={() => model.route.set({ view: 'task', taskId: run.taskId, runId: run.runId })}>
                    <span className="cell-id">#{run.taskId}</span> {run.name}
                  </button>
                ) : (
                  <span title={t('workers.otherApp', { source: run.source })}>
                    <span className="cell-id">#{run.taskId}</span> {run.name}
                  </span>
                )}
                <span className="muted"> · {formatDuration(runElapsed(entry, run.startedAt, now))}</span>
              </li>
            ))}
          </ul>
        )}
      </td>
    </tr>
  )
}

function BindingRow({ binding, onChanged }: { binding: RemoteBinding; onChanged: () => void }) {
  const { t } = useTranslation()
  const { refusal } = useEngineSentences()
  const model = useModel()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const unbind = async () => {
    if (busy) return
    setBusy(true)
    const result = await model.bridge.invoke('group.unbindRemote', { name: binding.group })
    setBusy(false)
    if (result.ok) onChanged()
    else setError(refusal(result.error))
  }
  return (
    <tr>
      <td>
        <span className="group-tag">{binding.group}</span>
      </td>
      <td>
        <code>{binding.redis}</code>
        {binding.localSlots !== null && <div className="muted binding-reason">{t('workers.bind.overflow', { count: binding.localSlots })}</div>}
      </td>
      <td>
        <span className={`worker-state binding-${binding.status}`}>
          <Glyph shape={BINDING_SHAPES[binding.status]} />
          {t(`workers.remoteStatus.${binding.status}`)}
        </span>
        {binding.reason && <div className="muted binding-reason">{binding.reason}</div>}
      </td>
      <td>{t(`workers.unreachable.${binding.whenUnreachable}`)}</td>
      <td className="muted">{binding.secretStorage}</td>
      <td>
        <button type="button" className="btn btn-ghost" title={t('workers.bind.unbindHint')} {...busyButton(busy)} onClick={() => void unbind()}>
          {t('workers.bind.unbind')}
        </button>
        {error && (
          <div className="field-error" role="alert">
            {error}
          </div>
        )}
      </td>
    </tr>
  )
}

/**
 * How long a run has been going, free of clock skew between this machine and the worker:
 * its age at the worker's last heartbeat (both on the worker's clock) plus the time since
 * that heartbeat arrived (on ours).
 */
function runElapsed(entry: WorkerEntry, startedAt: number, now: number): number {
  return Math.max(0, entry.info.at - startedAt) + Math.max(0, now - entry.seenAt)
}

