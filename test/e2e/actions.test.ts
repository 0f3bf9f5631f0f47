import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest'
import { ARTIFACTS, callServer, cli, goTo, openPage, useServedUi } from './harness.ts'

const ui = useServedUi()
let page: Page
let errors: string[]

const detail = () => page.locator('aside.detail')
const logText = () => page.locator('.log-scroll')

/** Takes focus out of any text field, so single-key shortcuts apply. */
const blur = () => page.evaluate('document.activeElement?.blur()')

beforeAll(async () => {
  ;({ page, errors } = await openPage(ui.browser, ui.served.browserUrl))
})

beforeEach((context) => {
  onTestFailed(async () => {
    await page.screenshot({ path: join(ARTIFACTS, `failed-actions-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`) })
  })
})

describe('actions the UI was missing', () => {
  it('enqueues a task stashed from the form, from the keyboard, and it runs', async () => {
    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'More options…' }).click()
    await page.locator('#f-command').fill('echo out of the stash')
    await page.getByText('Stash (keep, do not run yet)').click()
    await page.keyboard.press('Control+Enter')
    await detail().locator('.detail-title .status-stashed').waitFor()
    // The button says what it does, with its key.
    const enqueue = detail().getByRole('button', { name: /Enqueue/ })
    expect(await enqueue.getAttribute('aria-keyshortcuts')).toBe('U')
    await page.screenshot({ path: join(ARTIFACTS, 'actions-enqueue-light.png') })
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: join(ARTIFACTS, 'actions-enqueue-dark.png') })
    await page.emulateMedia({ colorScheme: 'light' })
    await blur()
    await page.keyboard.press('u')
    await detail().locator('.detail-title .status-succeeded').waitFor()
    await logText().getByText('out of the stash', { exact: true }).waitFor()
    expect(errors).toEqual([])
  })

  it('adds favourites from Settings and with the star, reorders and removes them, and they stay after a reload', async () => {
    await cli(ui.home, ['add', '-q', '-n', 'fav alpha', '--shell', 'echo alpha'])
    await cli(ui.home, ['add', '-q', '-n', 'fav beta', '--shell', 'echo beta'])
    const ids = async () => (await callServer<{ settings: { favourites: number[] } }>(ui.home, ui.served, 'settings.get')).settings.favourites
    const idOf = async (name: string) => Number(await page.locator('[data-task-id]', { hasText: name }).first().getAttribute('data-task-id'))
    await page.locator('[data-task-id]', { hasText: 'fav beta' }).waitFor()
    const alpha = await idOf('fav alpha')
    const beta = await idOf('fav beta')

    // The star in the detail: a toggle.
    await page.locator('[data-task-id]', { hasText: 'fav beta' }).click()
    const star = detail().getByRole('button', { name: 'Favourite' })
    expect(await star.getAttribute('aria-pressed')).toBe('false')
    await star.click()
    await expect.poll(() => star.getAttribute('aria-pressed')).toBe('true')
    await expect.poll(ids).toEqual([beta])

    // Settings: by number, with a clear refusal first.
    await blur()
    await page.keyboard.press('g')
    await page.keyboard.press('s')
    const section = page.getByRole('region', { name: 'Favourites' })
    const number = section.getByRole('textbox', { name: 'Task number' })
    await number.fill('999')
    await number.press('Enter')
    await section.getByRole('alert').getByText('There is no task #999.').waitFor()
    await number.fill(`#${alpha}`)
    // Its Add button is told apart from the groups' Add by its name.
    await section.getByRole('button', { name: 'Add to favourites', exact: true }).click()
    await expect.poll(ids).toEqual([beta, alpha])
    const rows = section.locator('.favourite-row')
    await expect.poll(() => rows.count()).toBe(2)
    expect(await rows.nth(0).textContent()).toContain('fav beta')
    expect(await rows.nth(0).locator('kbd').textContent()).toBe('Ctrl+Alt+1')
    await section.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(ARTIFACTS, 'actions-favourites-light.png') })
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: join(ARTIFACTS, 'actions-favourites-dark.png') })
    await page.emulateMedia({ colorScheme: 'light' })

    // Reorder: beta down, and the keyboard stays with it.
    await section.getByRole('button', { name: `Move #${beta} fav beta down` }).click()
    await expect.poll(ids).toEqual([alpha, beta])
    await expect.poll(() => page.evaluate<string | undefined>('document.activeElement?.id')).toBe(`favourite-up-${beta}`)
    expect(await rows.nth(1).locator('kbd').textContent()).toBe('Ctrl+Alt+2')

    // After a reload the order is what the server keeps.
    await page.reload()
    await page.locator('[data-testid=connection].connection-online').waitFor()
    await goTo(page, 's')
    await expect.poll(() => section.locator('.favourite-row').count()).toBe(2)
    expect(await section.locator('.favourite-row').nth(0).textContent()).toContain('fav alpha')

    await section.getByRole('button', { name: `Remove #${alpha} fav alpha from favourites` }).click()
    await expect.poll(ids).toEqual([beta])
    await page.reload()
    await page.locator('[data-testid=connection].connection-online').waitFor()
    await goTo(page, 's')
    await expect.poll(() => section.locator('.favourite-row').count()).toBe(1)
    expect(errors).toEqual([])
  })

  it('sends a line to a running task that reads its stdin, from the input under its log', async () => {
    await cli(ui.home, ['add', '-q', '-n', 'asks a question', '--shell', "sh -c 'read x; echo got $x'"])
    await goTo(page, 't')
    await page.locator('[data-task-id]', { hasText: 'asks a question' }).click()
    await detail().locator('.detail-title .status-running').waitFor()
    const input = detail().getByRole('textbox', { name: 'Input to the task' })
    await input.fill('hello there')
    await page.screenshot({ path: join(ARTIFACTS, 'actions-stdin-light.png') })
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: join(ARTIFACTS, 'actions-stdin-dark.png') })
    await page.emulateMedia({ colorScheme: 'light' })
    await input.press('Enter')
    await logText().getByText('got hello there', { exact: true }).waitFor()
    await detail().locator('.detail-title .status-succeeded').waitFor()
    // Once it has ended there is nothing to type into.
    await expect.poll(() => input.count()).toBe(0)

    // A task given its stdin when added has it closed: the line says so, disabled.
    await cli(ui.home, ['add', '-q', '-n', 'stdin given', '--stdin', 'x', '--shell', 'sleep 30'])
    await page.locator('[data-task-id]', { hasText: 'stdin given' }).click()
    await detail().locator('.detail-title .status-running').waitFor()
    const closed = detail().getByRole('textbox', { name: 'Input to the task' })
    expect(await closed.isDisabled()).toBe(true)
    await detail().getByText('Its standard input was given when it was added, and is closed.').waitFor()
    expect(errors).toEqual([])
  })

  it('pauses a group from the palette in two steps: the command, then the group', async () => {
    await cli(ui.home, ['group', 'add', 'nightly', '--parallel', '1'])
    const paused = async (name: string) => (await callServer<{ groups: { name: string; paused: boolean }[] }>(ui.home, ui.served, 'group.list')).groups.find((g) => g.name === name)?.paused
    await goTo(page, 't')
    await page.keyboard.press('Control+k')
    const palette = page.getByRole('dialog', { name: 'Command palette' })
    await palette.getByRole('combobox').fill('pause group')
    await palette.getByRole('option', { name: /Pause group…/ }).waitFor()
    await page.keyboard.press('Enter')
    const step = page.getByRole('dialog', { name: 'Pause which group?' })
    await step.getByRole('option', { name: 'nightly' }).waitFor()
    await step.getByRole('combobox').fill('nigh')
    await page.screenshot({ path: join(ARTIFACTS, 'actions-palette-group-light.png') })
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: join(ARTIFACTS, 'actions-palette-group-dark.png') })
    await page.emulateMedia({ colorScheme: 'light' })
    await page.keyboard.press('Enter')
    await expect.poll(() => paused('nightly')).toBe(true)
    expect(await page.getByRole('dialog').count()).toBe(0)
    expect(await paused('default')).toBe(false)

    // Its own key opens the second step at once; only paused groups are offered to resume.
    await blur()
    await page.keyboard.press('Alt+u')
    const resume = page.getByRole('dialog', { name: 'Resume which group?' })
    await resume.getByRole('option', { name: 'nightly' }).waitFor()
    expect(await resume.getByRole('option').count()).toBe(1)
    await page.keyboard.press('Enter')
    await expect.poll(() => paused('nightly')).toBe(false)
    expect(errors).toEqual([])
  })
})
