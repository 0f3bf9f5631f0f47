import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { ARTIFACTS, cli, openPage, useServedUi } from './harness.ts'

const ui = useServedUi()

beforeAll(async () => {
  // One at a time: the rest stay queued, so every one of them can still be cancelled.
  await cli(ui.home, ['group', 'add', 'one', '--parallel', '1'])
  for (let i = 1; i <= 6; i++) await cli(ui.home, ['add', '-q', '-g', 'one', '-n', `range ${i}`, '--shell', 'sleep 300'])
})

const blur = (page: Page) => page.evaluate('document.activeElement?.blur()')
async function selectedIds(page: Page): Promise<number[]> {
  const rows = page.locator('[data-task-id][aria-selected="true"]')
  const ids: number[] = []
  for (let i = 0; i < (await rows.count()); i++) ids.push(Number(await rows.nth(i).getAttribute('data-task-id')))
  return ids
}
const cursorId = (page: Page) => page.locator('[data-task-id].cursor').getAttribute('data-task-id').then(Number)

describe('keyboard-only flows', () => {
  it('selects a range with Shift+j/k and Shift+arrows, and cancels exactly that range', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await page.locator('[data-task-id]').nth(5).waitFor()
    await blur(page)
    // Newest first: 6, 5, 4, 3, 2, 1. j puts the cursor on the first row.
    await page.keyboard.press('j')
    await page.keyboard.press('j')
    expect(await cursorId(page)).toBe(5)
    await page.keyboard.press('Shift+J')
    await page.keyboard.press('Shift+ArrowDown')
    await page.keyboard.press('Shift+J')
    expect(await selectedIds(page)).toEqual([5, 4, 3, 2])
    expect(await cursorId(page)).toBe(2)
    // Back towards the anchor shrinks the range.
    await page.keyboard.press('Shift+K')
    await page.keyboard.press('Shift+ArrowUp')
    expect(await selectedIds(page)).toEqual([5, 4])
    await page.getByRole('toolbar', { name: 'Selected tasks' }).getByText('2 selected').waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'range-selection-light.png') })
    await page.keyboard.press('c')
    await expect.poll(() => page.locator('[data-task-id] .status-cancelled').count(), { timeout: 20_000 }).toBe(2)
    for (const id of [5, 4]) await page.locator(`[data-task-id="${id}"] .status-cancelled`).waitFor()
    // Esc clears the selection; a plain move then starts a new range from the cursor.
    await page.keyboard.press('Escape')
    expect(await selectedIds(page)).toEqual([])
    await page.keyboard.press('j')
    await page.keyboard.press('Shift+ArrowDown')
    expect(await selectedIds(page)).toEqual([3, 2])
    await page.keyboard.press('Escape')

    // Shift+click ranges from the cursor; a second Shift+click re-ranges from the same start.
    await page.locator('[data-task-id="6"]').click()
    await page.keyboard.press('Escape')
    await page.locator('[data-task-id="3"]').click({ modifiers: ['Shift'] })
    expect(await selectedIds(page)).toEqual([6, 5, 4, 3])
    await page.locator('[data-task-id="5"]').click({ modifiers: ['Shift'] })
    expect(await selectedIds(page)).toEqual([6, 5])
    await page.keyboard.press('Escape')
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('hands the keyboard to the task list on Esc from the search, a filter or the quick box, where j/k go on', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await page.locator('[data-task-id]').first().waitFor()
    const focused = () => page.evaluate('document.activeElement?.id')
    for (const field of [page.getByRole('searchbox', { name: 'Search tasks' }), page.getByRole('combobox', { name: 'Group' }), page.locator('#quick-add')]) {
      await field.focus()
      await page.keyboard.press('Escape')
      expect(await focused()).toBe('task-list')
    }
    await page.keyboard.press('/')
    await page.keyboard.type('range 4')
    await expect.poll(() => page.locator('[data-task-id]').count()).toBe(1)
    await page.keyboard.press('Escape')
    expect(await focused()).toBe('task-list')
    await page.keyboard.press('j')
    expect(await cursorId(page)).toBe(4)
    // Tab goes on from the list (into the row's controls), not from the top of the page.
    await page.keyboard.press('Tab')
    expect(await page.evaluate('document.activeElement?.closest("#task-list") !== null')).toBe(true)
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('records a chord as a new binding, warns about clashes (prefixes too), clears and resets', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await page.locator('[data-task-id]').first().waitFor()
    await blur(page)
    await page.keyboard.press('g')
    await page.keyboard.press('s')
    const cancelRow = page.getByRole('row').filter({ has: page.getByRole('button', { name: 'Change the shortcut for Cancel' }) })
    const change = page.getByRole('button', { name: 'Change the shortcut for Cancel' })
    await change.focus()
    await page.keyboard.press('Enter')
    await cancelRow.getByText('Press a key…').waitFor()
    await page.keyboard.press('g')
    await cancelRow.getByText('(a second key makes a chord)').waitFor()
    await page.keyboard.press('x')
    await cancelRow.locator('.kbd', { hasText: 'G X' }).waitFor()
    await page.getByRole('button', { name: 'Reset the shortcut for Cancel' }).waitFor()

    // The new chord works; the old key no longer does.
    await page.keyboard.press('Escape')
    await blur(page)
    await page.keyboard.press('g')
    await page.keyboard.press('t')
    await page.locator('[data-task-id]').first().waitFor()
    await page.keyboard.press('j')
    const first = await cursorId(page)
    await page.keyboard.press('c')
    await page.keyboard.press('g')
    await page.keyboard.press('x')
    await page.locator(`[data-task-id="${first}"] .status-cancelled`).waitFor()

    // A single "g" would start every g-chord: the clash is shown, and nothing is saved until confirmed.
    await page.keyboard.press('g')
    await page.keyboard.press('s')
    const retryRow = page.getByRole('row').filter({ has: page.getByRole('button', { name: 'Change the shortcut for Retry task(s)', exact: true }) })
    await page.getByRole('button', { name: 'Change the shortcut for Retry task(s)', exact: true }).focus()
    await page.keyboard.press('Enter')
    await page.keyboard.press('g')
    const clash = retryRow.getByRole('alert')
    await clash.waitFor()
    expect(await clash.textContent()).toMatch(/^G starts the chords G G \(First task\), .*G T \(Go to Tasks\).*never fire\./)
    await clash.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(ARTIFACTS, 'keymap-clash-light.png') })
    await clash.getByRole('button', { name: 'Keep the current one' }).click()
    await retryRow.locator('.kbd', { hasText: /^R$/ }).waitFor()

    // Clear leaves Retry without a key; Reset brings the default back.
    await page.getByRole('button', { name: 'Clear the shortcut for Retry task(s)', exact: true }).click()
    await retryRow.getByText('No key').waitFor()
    await page.getByRole('button', { name: 'Reset the shortcut for Retry task(s)', exact: true }).click()
    await retryRow.locator('.kbd', { hasText: /^R$/ }).waitFor()
    await page.getByRole('button', { name: 'Reset the shortcut for Cancel' }).click()
    await cancelRow.locator('.kbd', { hasText: /^C$/ }).waitFor()
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('chooses the task type with the arrow keys, the group being one Tab stop', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await page.getByRole('button', { name: 'More options…' }).click()
    const kinds = page.getByRole('radiogroup', { name: 'Task type' })
    expect(await kinds.locator('[role=radio][tabindex="0"]').count()).toBe(1)
    await kinds.getByRole('radio', { name: 'Shell command' }).focus()
    await page.keyboard.press('ArrowRight')
    await expect.poll(() => kinds.getByRole('radio', { name: 'HTTP batch' }).getAttribute('aria-checked')).toBe('true')
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('HTTP batch')
    await page.locator('#f-urls').waitFor()
    // Left from the first wraps to the last; the arrows stay in the group (the form is still open).
    await page.keyboard.press('ArrowLeft')
    await page.keyboard.press('ArrowLeft')
    await expect.poll(() => kinds.getByRole('radio', { name: 'Script (worker thread)' }).getAttribute('aria-checked')).toBe('true')
    await page.getByRole('heading', { name: 'New task' }).waitFor()
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('shows a keymap clash and a range selection in dark', async () => {
    const { page } = await openPage(ui.browser, ui.served.browserUrl, 'dark')
    await blur(page)
    await page.keyboard.press('g')
    await page.keyboard.press('s')
    const row = page.getByRole('row').filter({ has: page.getByRole('button', { name: 'Change the shortcut for Retry task(s)', exact: true }) })
    await page.getByRole('button', { name: 'Change the shortcut for Retry task(s)', exact: true }).focus()
    await page.keyboard.press('Enter')
    await page.keyboard.press('x')
    await page.keyboard.press('l')
    await row.getByRole('alert').waitFor()
    expect(await row.getByRole('alert').textContent()).toContain('X (Select / unselect task) is the first key of X L')
    await row.getByRole('alert').scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(ARTIFACTS, 'keymap-clash-dark.png') })
    await row.getByRole('button', { name: 'Keep the current one' }).click()
    await blur(page)
    await page.keyboard.press('g')
    await page.keyboard.press('t')
    await page.locator('[data-task-id]').first().waitFor()
    await page.keyboard.press('j')
    await page.keyboard.press('Shift+J')
    await page.keyboard.press('Shift+J')
    await page.getByRole('toolbar', { name: 'Selected tasks' }).getByText('3 selected').waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'range-selection-dark.png') })
    await page.context().close()
  })
})
