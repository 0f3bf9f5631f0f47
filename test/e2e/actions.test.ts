import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest'
import { ARTIFACTS, callServer, cli, openPage, useServedUi } from './harness.ts'

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
})
