import { describe, expect, it } from 'vitest'
import { exportFileName, idMapText, importIssues, readImport } from '../../src-renderer/streams/data-transfer.ts'

describe('Settings → Data', () => {
  it('tells a tasks export from a triggers export, and names what is neither', () => {
    expect(readImport('{"format":"taskdeck-export","version":1}')).toMatchObject({ ok: true, kind: 'tasks' })
    expect(readImport('{"format":"taskdeck-triggers","version":1}')).toMatchObject({ ok: true, kind: 'triggers' })
    expect(readImport('{"format":"cronicle"}')).toEqual({ ok: false, problem: { key: 'data.unknownFormat', values: { format: '"cronicle"' } } })
    expect(readImport('[1, 2]')).toEqual({ ok: false, problem: { key: 'data.unknownFormat', values: { format: '—' } } })
    const notJson = readImport('{"format":')
    expect(notJson.ok === false && notJson.problem.key).toBe('data.notJson')
  })

  it('names files by what and the local day', () => {
    expect(exportFileName('tasks', new Date(2026, 10, 3, 23, 59).getTime())).toBe('taskdeck-tasks-2026-11-03.json')
    expect(exportFileName('selected', new Date(2026, 0, 1).getTime())).toBe('taskdeck-tasks-2026-01-01.json')
    expect(exportFileName('triggers', new Date(2026, 0, 1).getTime())).toBe('taskdeck-triggers-2026-01-01.json')
  })

  it('says the ids an import gave, the first ten and how many more', () => {
    expect(idMapText([{ from: 3, to: 41 }, { from: 4, to: 42 }])).toEqual({ text: '3→41, 4→42', more: 0 })
    const many = Array.from({ length: 13 }, (_, i) => ({ from: i + 1, to: i + 100 }))
    expect(idMapText(many)).toEqual({ text: many.slice(0, 10).map((m) => `${m.from}→${m.to}`).join(', '), more: 3 })
  })

  it('shows the server’s issues by their place in the file', () => {
    expect(importIssues([{ path: 'document.tasks.0.definition.after.0', message: 'task 1 is not in the document' }, { path: 'document', message: 'Required' }])).toEqual([
      { path: 'tasks.0.definition.after.0', message: 'task 1 is not in the document' },
      { path: '(document)', message: 'Required' },
    ])
    expect(importIssues(undefined)).toEqual([])
  })
})
