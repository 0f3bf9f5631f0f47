import type { FieldIssue } from '../../src-shared/errors.ts'

/**
 * Settings → Data: the pure parts of exporting and importing files in the page. The server
 * validates an import whole (data.import, trigger.import) and answers field-level issues;
 * the page only reads the file as JSON and tells which of the two documents it is.
 */

/** The documents the page can import: tasks (`taskdeck-export`, data.import) or triggers (`taskdeck-triggers`, trigger.import). */
export type ImportKind = 'tasks' | 'triggers'

export type ReadImport =
  | { ok: true; kind: ImportKind; document: unknown }
  | { ok: false; problem: { key: 'data.notJson'; values: { error: string } } | { key: 'data.unknownFormat'; values: { format: string } } }

/** A file's text as an import: JSON, and a `format` the page knows (the server checks the rest). */
export function readImport(text: string): ReadImport {
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (error) {
    return { ok: false, problem: { key: 'data.notJson', values: { error: error instanceof Error ? error.message : String(error) } } }
  }
  const format = typeof document === 'object' && document !== null && 'format' in document ? document.format : undefined
  if (format === 'taskdeck-export') return { ok: true, kind: 'tasks', document }
  if (format === 'taskdeck-triggers') return { ok: true, kind: 'triggers', document }
  return { ok: false, problem: { key: 'data.unknownFormat', values: { format: format === undefined ? '—' : JSON.stringify(format) } } }
}

/** The file name an export is saved under: what, and the local day ("taskdeck-tasks-2026-11-23.json"). */
export function exportFileName(what: 'tasks' | 'selected' | 'triggers', at: number): string {
  const d = new Date(at)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `taskdeck-${what === 'triggers' ? 'triggers' : 'tasks'}-${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}.json`
}

/** The ids an import gave, as "3→41, 4→42", the first `max` of them and how many more. */
export function idMapText(map: readonly { from: number; to: number; existed?: true | undefined }[], max = 10): { text: string; more: number } {
  return { text: map.slice(0, max).map((m) => `${m.from}→${m.to}`).join(', '), more: Math.max(0, map.length - max) }
}

/** The server's field-level issues with the `document.` prefix its params put on them removed: "tasks.0.definition.after.0". */
export function importIssues(issues: readonly FieldIssue[] | undefined): FieldIssue[] {
  return (issues ?? []).map((issue) => ({ path: issue.path.replace(/^document\.?/, '') || '(document)', message: issue.message }))
}
