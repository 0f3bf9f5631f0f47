import { describe, expect, it } from 'vitest'
import { callServer, openPage, useServedUi } from './harness.ts'

const ui = useServedUi()

describe('the task list under a burst of arriving tasks', () => {
  it('shows every task of a burst once it settles, newest first, with rising row indexes and nothing waiting', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    // Held in a paused group: once the burst is in, no further event comes to refresh the list (the last rows
    // must be shown without one).
    await callServer(ui.home, ui.served, 'group.set', { name: 'burst', parallel: 1 })
    await callServer(ui.home, ui.served, 'group.pause', { name: 'burst' })
    await callServer(ui.home, ui.served, 'task.submit', { definition: { name: 'Before the burst', group: 'burst', spec: { kind: 'shell', command: 'true' } } })
    await page.locator('[data-task-id]', { hasText: 'Before the burst' }).waitFor()
    // Forty tasks in eight submissions 10 ms apart: several states with more than three new tasks each, most inside
    // one refresh period of the list, the last ones waiting for it to end.
    const definitions = (from: number) => Array.from({ length: 5 }, (_, i) => ({ name: `Burst ${from + i}`, group: 'burst', spec: { kind: 'shell', command: 'true' } }))
    const submitted = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, 10 * i))
        return callServer<{ tasks: { id: number; name: string }[] }>(ui.home, ui.served, 'task.submitMany', { definitions: definitions(1 + 5 * i) })
      }),
    )
    const ids = submitted.flatMap((reply) => reply.tasks.map((task) => task.id)).sort((a, b) => b - a)
    const list = page.getByRole('grid')
    // The newest task on top, and the list no longer waiting for newer rows.
    await page.locator('[data-task-id][aria-rowindex="1"]').and(page.locator(`[data-task-id="${ids[0]}"]`)).waitFor()
    await expect.poll(() => list.getAttribute('aria-busy')).toBe('false')
    // The burst is over once no state came for a period: running rows get their pulse back.
    await expect.poll(() => list.getAttribute('class')).toBe('task-list')
    expect(await list.getAttribute('aria-rowcount')).toBe('41')
    const rows = await page.evaluate<{ id: number; index: number }[]>(
      `[...document.querySelectorAll('[data-task-id]')].map((row) => ({ id: Number(row.dataset.taskId), index: Number(row.getAttribute('aria-rowindex')) }))`,
    )
    // The rows in the document, in order: the newest tasks, each at its place (aria-rowindex rises from row to row).
    expect(rows.length).toBeGreaterThan(5)
    expect(rows.map((row) => row.index)).toEqual(rows.map((_, i) => i + 1))
    expect(rows.length).toBeLessThan(ids.length)
    expect(rows.map((row) => row.id)).toEqual(ids.slice(0, rows.length))
    // Every task of the burst is in the list (scrolled to its end, the oldest ones and the task before the burst are there).
    await page.evaluate("document.querySelector('[role=grid]').scrollTop = 1e9")
    await page.locator('[data-task-id]', { hasText: 'Before the burst' }).waitFor()
    await page.locator(`[data-task-id="${ids.at(-1)}"]`).waitFor()
    expect(errors).toEqual([])
    await page.context().close()
  })
})
