import { useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import type { FieldIssue } from '../../src-shared/errors.ts'
import { useEngineSentences } from '../components/common.tsx'
import { exportFileName, idMapText, importIssues, readImport, type ImportKind } from '../streams/data-transfer.ts'
import { useModel, useSendShownInPlace, useStore } from './context.ts'

type Outcome =
  | { kind: 'exported'; text: string }
  | { kind: 'imported'; text: string }
  | { kind: 'refused'; text: string; issues: FieldIssue[] }

/** Saves `document` as a JSON file through the browser's download (a Blob URL; no server path, no innerHTML). */
function download(document_: unknown, name: string): void {
  const url = URL.createObjectURL(new Blob([`${JSON.stringify(document_, null, 2)}\n`], { type: 'application/json' }))
  const link = document.createElement('a')
  link.href = url
  link.download = name
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), 0)
}

/**
 * Settings → Data: export all tasks, the tasks selected in the list, or the triggers, to a
 * JSON file (data.export, trigger.export: the CLI's `taskdeck export` formats); import such a
 * file (data.import or trigger.import, told apart by its `format`), validated whole by the
 * server, whose field-level issues are listed by their place in the file.
 */
export function DataPanel() {
  const { t } = useTranslation()
  const { refusal } = useEngineSentences()
  const model = useModel()
  const send = useSendShownInPlace()
  const checked = useStore(model.checked)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  const [busy, setBusy] = useState(false)
  const fileInput = useRef<HTMLInputElement>(null)

  const exportTasks = async (selected: boolean) => {
    const taskIds = selected ? [...checked].sort((a, b) => a - b) : undefined
    const status = await send({ command: 'data.export', params: taskIds ? { taskIds } : {}, label: t('data.exportFailed') })
    if (status.state === 'error') return setOutcome({ kind: 'refused', text: refusal(status.error), issues: [] })
    if (status.state !== 'ok') return
    const document_ = status.value as { tasks: unknown[]; runs: unknown[] }
    download(document_, exportFileName(selected ? 'selected' : 'tasks', Date.now()))
    setOutcome({ kind: 'exported', text: t('data.exported', { count: document_.tasks.length, runs: document_.runs.length }) })
  }
  const exportTriggers = async () => {
    const status = await send({ command: 'trigger.export', params: {}, label: t('data.exportFailed') })
    if (status.state === 'error') return setOutcome({ kind: 'refused', text: refusal(status.error), issues: [] })
    if (status.state !== 'ok') return
    const document_ = status.value as { triggers: unknown[] }
    download(document_, exportFileName('triggers', Date.now()))
    setOutcome({ kind: 'exported', text: t('data.exportedTriggers', { count: document_.triggers.length }) })
  }
  const importFile = async (file: File) => {
    setBusy(true)
    try {
      const read = readImport(await file.text())
      if (!read.ok) return setOutcome({ kind: 'refused', text: t(read.problem.key, { ...read.problem.values, file: file.name }), issues: [] })
      const kind: ImportKind = read.kind
      const status =
        kind === 'tasks'
          ? await send({ command: 'data.import', params: { document: read.document as never }, label: t('data.importFailed') })
          : await send({ command: 'trigger.import', params: { document: read.document as never }, label: t('data.importFailed') })
      if (status.state === 'error') return setOutcome({ kind: 'refused', text: t('data.refused', { file: file.name }), issues: importIssues(status.error.details?.issues ?? [{ path: '', message: refusal(status.error) }]) })
      if (status.state !== 'ok') return
      if (kind === 'tasks') {
        const { imported } = status.value as { imported: { from: number; to: number }[] }
        const ids = idMapText(imported)
        setOutcome({ kind: 'imported', text: t('data.imported', { count: imported.length, ids: ids.text, more: ids.more }) + (ids.more > 0 ? t('data.andMore', { count: ids.more }) : '') })
      } else {
        const { triggers, savedTasks } = status.value as { triggers: { from: number; to: number; existed?: true }[]; savedTasks: unknown[] }
        const added = triggers.filter((m) => !m.existed)
        setOutcome({ kind: 'imported', text: t('data.importedTriggers', { count: added.length, existed: triggers.length - added.length, saved: savedTasks.length }) })
      }
    } finally {
      setBusy(false)
      if (fileInput.current) fileInput.current.value = ''
    }
  }

  return (
    <section className="panel data-panel" aria-labelledby="data-heading">
      <h2 id="data-heading">{t('data.title')}</h2>
      <p className="muted">{t('data.hint')}</p>
      <div className="data-actions">
        <button type="button" className="btn" onClick={() => void exportTasks(false)}>
          {t('data.exportAll')}
        </button>
        <button type="button" className="btn" disabled={checked.size === 0} onClick={() => void exportTasks(true)}>
          {t('data.exportSelected', { count: checked.size })}
        </button>
        <button type="button" className="btn" onClick={() => void exportTriggers()}>
          {t('data.exportTriggers')}
        </button>
        <label className="btn data-import" aria-busy={busy || undefined}>
          {t('data.import')}
          <input ref={fileInput} type="file" accept="application/json,.json" className="sr-only" onChange={(e) => {
            const file = e.target.files?.[0]
            if (file) void importFile(file)
          }} />
        </label>
      </div>
      <div role="status" aria-live="polite" className="data-outcome" data-testid="data-outcome">
        {outcome && outcome.kind !== 'refused' && <p>{outcome.text}</p>}
      </div>
      {outcome?.kind === 'refused' && (
        <div role="alert" className="field-error data-refused">
          <p>{outcome.text}</p>
          {outcome.issues.length > 0 && (
            <ul>
              {outcome.issues.slice(0, 20).map((issue, i) => (
                <li key={i}>
                  <code>{issue.path}</code>: {issue.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  )
}
