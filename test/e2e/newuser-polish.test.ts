import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { Settings } from '../../src-shared/index.ts'
import { ARTIFACTS, callServer, cli, openPage, useServedUi } from './harness.ts'

// Two things a new user's pass found (the third, the quick box's placeholder, is in views.test.ts), against `taskdeck serve` in Chromium, in light and dark.
const ui = useServedUi()

async function useLanguage(language: 'en' | 'ko') {
  const { settings } = await callServer<{ settings: Settings }>(ui.home, ui.served, 'settings.get')
  await callServer(ui.home, ui.served, 'settings.set', { patch: { language } })
  onTestFinished(() => callServer(ui.home, ui.served, 'settings.set', { patch: { language: settings.language } }))
}

describe('the command palette over a view', () => {
  it('lists the view’s own commands first: in Triggers, a triggers command, not the task list’s', async () => {
    await useLanguage('en')
    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme)
      await page.keyboard.press('g')
      await page.keyboard.press('r')
      await page.getByRole('heading', { level: 1, name: 'Triggers' }).waitFor()
      await page.keyboard.press('Control+k')
      const options = page.getByRole('listbox').getByRole('option')
      await expect.poll(() => options.first().locator('span').first().textContent()).toBe('New trigger')
      await page.screenshot({ path: join(ARTIFACTS, `palette-triggers-${scheme}-en.png`) })
      // Typing still ranks by the match.
      await page.keyboard.type('next task')
      await expect.poll(() => options.first().locator('span').first().textContent()).toBe('Next task')
      // Over the task list, its commands stay first.
      await page.keyboard.press('Escape')
      await page.keyboard.press('g')
      await page.keyboard.press('t')
      await page.keyboard.press('Control+k')
      await expect.poll(() => options.nth(1).locator('span').first().textContent()).toBe('Next task')
      expect(errors).toEqual([])
      await page.context().close()
    }
  })
})

describe('a task named after its command', () => {
  it('shows the command once in its row ("date", not "date date"), and a command that differs beside the name', async () => {
    await useLanguage('en')
    const same = await cli(ui.home, ['add', '-q', '-n', 'date', '--shell', 'date'])
    const other = await cli(ui.home, ['add', '-q', '-n', 'clock', '--shell', 'date -u'])
    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme)
      const row = (id: string) => page.locator(`[data-task-id="${id}"]`)
      await row(same).waitFor()
      await row(other).locator('.task-command', { hasText: 'date -u' }).waitFor()
      expect(await row(same).locator('.task-command').count()).toBe(0)
      await page.locator('.tasks-pane').screenshot({ path: join(ARTIFACTS, `task-named-as-command-${scheme}-en.png`) })
      expect(errors).toEqual([])
      await page.context().close()
    }
  })
})

describe('the quick box beside an open task', () => {
  it('still says Enter runs the command, in light and dark, en and ko', async () => {
    const id = await cli(ui.home, ['add', '-q', '-n', 'beside', '--shell', 'true'])
    for (const language of ['en', 'ko'] as const) {
      await useLanguage(language)
      for (const scheme of ['light', 'dark'] as const) {
        const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme)
        await page.locator(`[data-task-id="${id}"]`).click()
        await page.locator('aside.detail').waitFor()
        // The wording that fits with room to spare (views.test.ts checks the fit at every width); here, which one it is.
        await expect.poll(() => page.locator('#quick-add').getAttribute('placeholder')).toBe(language === 'en' ? 'Command, Enter runs it' : '셸 명령 입력 후 Enter로 실행')
        await page.screenshot({ path: join(ARTIFACTS, `quick-add-beside-task-${scheme}-${language}.png`) })
        expect(errors).toEqual([])
        await page.context().close()
      }
    }
  })
})

describe('the empty Triggers and Workers views', () => {
  it('show each example command on one line, not broken in the middle of its arguments', async () => {
    await useLanguage('en')
    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme)
      for (const [key, heading, shot] of [['r', 'Triggers', 'triggers'], ['w', 'Workers', 'workers']] as const) {
        await page.keyboard.press('g')
        await page.keyboard.press(key)
        await page.getByRole('heading', { level: 1, name: heading }).waitFor()
        const examples = page.locator('.empty-example code')
        await examples.first().waitFor()
        // A wrapped command is two lines or more high.
        const lines = await page.evaluate<number[]>(
          `[...document.querySelectorAll('.empty-example code')].map((code) => Math.round(code.getBoundingClientRect().height / parseFloat(getComputedStyle(code).lineHeight)))`,
        )
        expect(lines.length).toBeGreaterThan(0)
        expect(lines.every((n) => n === 1), `lines per example in ${heading}: ${lines.join(', ')}`).toBe(true)
        await page.screenshot({ path: join(ARTIFACTS, `empty-${shot}-${scheme}-en.png`) })
      }
      expect(errors).toEqual([])
      await page.context().close()
    }
  })
})

describe('an HTTP batch’s command', () => {
  it('is said in the UI’s language in its row and its detail ("URL 2개: …" in Korean, not "2 URLs: …")', async () => {
    const url = 'http://127.0.0.1:9/first.csv'
    const { task } = await callServer<{ task: { id: number } }>(ui.home, ui.served, 'task.submit', {
      definition: { stashed: true, spec: { kind: 'http', requests: [{ url }, { url: 'http://127.0.0.1:9/second.csv' }] } },
    })
    for (const [language, said] of [['en', `2 URLs: ${url}`], ['ko', `URL 2개: ${url}`]] as const) {
      await useLanguage(language)
      const scheme = language === 'en' ? 'light' : 'dark'
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme, { locale: language === 'en' ? 'en-US' : 'ko-KR' })
      const row = page.locator(`[data-task-id="${task.id}"]`)
      await expect.poll(() => row.locator('.task-command').textContent()).toBe(said)
      await row.click()
      await expect.poll(() => page.locator('aside.detail .detail-command').textContent()).toBe(said)
      await page.screenshot({ path: join(ARTIFACTS, `http-command-${scheme}-${language}.png`) })
      expect(errors).toEqual([])
      await page.context().close()
    }
  })
})

describe('Settings › Favourites with none yet', () => {
  it('sets the empty line apart from the hint above it', async () => {
    await useLanguage('en')
    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme)
      await page.keyboard.press('g')
      await page.keyboard.press('s')
      const empty = page.getByTestId('favourites-empty')
      await empty.waitFor()
      const gap = await page.evaluate<number>(
        `(() => { const line = document.querySelector('[data-testid="favourites-empty"]'); return line.getBoundingClientRect().top - line.previousElementSibling.getBoundingClientRect().bottom })()`,
      )
      expect(gap).toBeGreaterThanOrEqual(6)
      await page.locator('.favourites').screenshot({ path: join(ARTIFACTS, `favourites-empty-${scheme}-en.png`) })
      expect(errors).toEqual([])
      await page.context().close()
    }
  })
})

describe('a cancelled task’s row', () => {
  it('says why it ended without the red of a failure', async () => {
    await useLanguage('en')
    const failed = await cli(ui.home, ['add', '-q', '-n', 'breaks', '--shell', 'exit 4'])
    const cancelled = await cli(ui.home, ['add', '-q', '-n', 'stopped', '--shell', 'sleep 60'])
    await cli(ui.home, ['cancel', cancelled])
    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme)
      const reason = (id: string) => page.locator(`[data-task-id="${id}"] .task-reason`)
      await reason(failed).waitFor()
      await reason(cancelled).waitFor()
      const colour = (id: string) => page.evaluate<string>(`getComputedStyle(document.querySelector('[data-task-id="${id}"] .task-reason')).color`)
      // The theme's --danger as a computed colour, from a probe element.
      const danger = await page.evaluate<string>(
        `(() => { const probe = document.body.appendChild(document.createElement('span')); probe.style.color = 'var(--danger)'; const value = getComputedStyle(probe).color; probe.remove(); return value })()`,
      )
      expect(await colour(failed)).toBe(danger)
      expect(await colour(cancelled)).not.toBe(danger)
      await page.locator('.tasks-pane').screenshot({ path: join(ARTIFACTS, `cancelled-reason-${scheme}-en.png`) })
      expect(errors).toEqual([])
      await page.context().close()
    }
  })
})
