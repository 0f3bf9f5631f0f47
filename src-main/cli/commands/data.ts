import type { Context } from '../context.ts'
import { readDocument, writeDocument } from '../document.ts'
import { parseIds } from '../format.ts'

/** Tasks, runs and groups as JSON: to FILE, or to stdout when there is none (or it is "-"). */
export async function exportData(ctx: Context, file: string | undefined, options: { task?: string[] }): Promise<void> {
  const client = await ctx.connect()
  const taskIds = options.task === undefined ? undefined : parseIds(options.task)
  const document = await client.invoke('data.export', taskIds === undefined ? {} : { taskIds })
  if (!(await writeDocument(file, document))) return
  ctx.print({ file, tasks: document.tasks.length, runs: document.runs.length, groups: document.groups.length }, () => `Exported ${document.tasks.length} tasks to ${file}.`)
}

/** Reads an export document; the server validates it whole before storing anything. */
export async function importData(ctx: Context, file: string): Promise<void> {
  const document = await readDocument(file, 'taskdeck-export')
  const client = await ctx.connect()
  // The contract's schema checks the document; sent as unknown, refused with field-level messages.
  const { imported } = await client.invoke('data.import', { document: document as never })
  ctx.print({ imported }, () => `Imported ${imported.length} task${imported.length === 1 ? '' : 's'}${imported.length ? `: ${imported.map((m) => `${m.from}→${m.to}`).join(', ')}` : ''}.`)
}
