import { useTranslation } from 'react-i18next'
import type { Run, TaskSpec, UsageSample } from '../../src-shared/index.ts'
import { Sparkline, formatBytes, useDuration } from '../components/common.tsx'

const MB = 1024 * 1024

/**
 * A run's CPU and memory (docs/architecture.md, "Usage"): while it runs, the live figures and a
 * sparkline of each from its `run.usage` samples (the last minute); once it ended, the summary the
 * engine kept (`Run.usage`). Says so when a run is not measured: HTTP batches (they run inside the
 * engine), runs on remote workers, and runs on a system where the engine cannot read /proc.
 */
export function RunUsage({ run, kind, samples }: { run: Run; kind: TaskSpec['kind']; samples: readonly UsageSample[] | undefined }) {
  const { t } = useTranslation()
  const formatDuration = useDuration()
  const running = run.status === 'running' || run.status === 'paused'
  const note = (text: string) => (
    <p className="usage-note" data-testid="run-usage-note">
      {text}
    </p>
  )
  if (kind === 'http') return note(t('usage.notMeasuredHttp'))
  if (run.worker !== 'local') return note(t('usage.notMeasuredRemote'))
  if (running) {
    const last = samples?.at(-1)
    // The first sample comes within a second of the start; a run that goes on without one is on a system the engine cannot measure.
    if (last === undefined) return note(Date.now() - run.startedAt < 3000 ? t('usage.measuring') : t('usage.notMeasured'))
    const memory = samples!.filter((s) => s.memoryBytes !== null).map((s) => s.memoryBytes! / MB)
    const cpu = samples!.filter((s) => s.cpuPercent !== null).map((s) => s.cpuPercent!)
    return (
      <section className="usage" aria-label={t('usage.label')} data-testid="run-usage-live">
        <div className="charts usage-charts">
          <Sparkline label={t('usage.cpu')} unit="%" values={cpu} figure={last.cpuPercent === null ? '—' : `${Math.round(last.cpuPercent)}%`} height={32} />
          <Sparkline label={last.scope === 'worker-thread' ? t('usage.heap') : t('usage.memory')} unit=" MB" values={memory} figure={last.memoryBytes === null ? '—' : formatBytes(last.memoryBytes)} height={32} />
        </div>
        <p className="usage-facts">
          {t('usage.cpuTime', { time: formatDuration(last.cpuSeconds * 1000) })}
          {last.processes !== undefined && <> · {t('usage.processes', { count: last.processes })}</>}
        </p>
      </section>
    )
  }
  const usage = run.usage
  if (usage === undefined) return note(run.durationMs !== null && run.durationMs < 1500 ? t('usage.tooShort') : t('usage.notMeasured'))
  return (
    <p className="usage-facts usage-summary" data-testid="run-usage-summary">
      {t(usage.scope === 'worker-thread' ? 'usage.summaryHeap' : 'usage.summary', {
        memory: formatBytes(usage.peakMemoryBytes),
        time: formatDuration(usage.cpuSeconds * 1000),
        percent: Math.round(usage.avgCpuPercent),
      })}
    </p>
  )
}
