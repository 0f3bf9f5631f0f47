import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import type { Settings } from '../../src-shared/index.ts'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { historyDocument } from '../support/history.ts'
import { ARTIFACTS, callServer, cli, openPage, serve, useServedUi } from './harness.ts'

const ui = useServedUi()

beforeAll(async () => {
  // A realistic queue: groups with limits, labels, a dependency chain, failures, a long runner, a coloured log.
  await cli(ui.home, ['group', 'add', 'ci', '--parallel', '1'])
  await cli(ui.home, ['add', '-q', '-n', 'Build app', '-g', 'ci', '-l', 'build', '-l', 'nightly', '--shell', 'for i in $(seq 1 30); do printf "\\033[32m✓\\033[0m compiled module %s\\n" $i; done'])
  await cli(ui.home, ['add', '-q', '-n', 'Unit tests', '-g', 'ci', '-l', 'test', '--shell', 'echo running; echo "1 failing" >&2; exit 1'])
  await cli(ui.home, ['add', '-q', '-n', 'Backup photos', '-l', 'backup', '--shell', 'for i in $(seq 1 600); do echo "copied IMG_$i.jpg"; sleep 0.1; done'])
  await cli(ui.home, ['add', '-q', '-n', 'Nightly report', '-g', 'ci', '--shell', 'sleep 120'])
  await cli(ui.home, ['add', '-q', '-n', 'Deploy', '-g', 'ci', '-l', 'prod', '--shell', 'sleep 5'])
  await cli(ui.home, ['add', '-q', '--shell', 'definitely-missing-tool --all'])
  await cli(ui.home, ['add', '-q', '-n', 'Later', '-d', '10m', '--shell', 'echo later'])
})

async function shoot(page: Page, name: string, theme: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}-${theme}.png`) })
}

describe('every view, in light and dark', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`renders tasks, detail, new task, loop, dashboard, settings and the palette (${theme})`, async () => {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, theme)
      expect(await page.evaluate('document.documentElement.dataset.theme')).toBe(theme)
      await page.locator('[data-task-id]').nth(6).waitFor()
      await page.locator('[data-task-id] .status-failed').first().waitFor()
      await shoot(page, 'tasks', theme)

      await page.locator('[data-task-id]', { hasText: 'Build app' }).click()
      await page.locator('.log-scroll').getByText('compiled module 30').waitFor()
      expect(await page.locator('.log-scroll .fg-ansi-green').count()).toBeGreaterThan(0)
      await shoot(page, 'task-detail', theme)

      await page.locator('[data-task-id]', { hasText: 'Unit tests' }).click()
      await page.getByTestId('failure-reason').waitFor()
      await shoot(page, 'task-failed', theme)

      await page.keyboard.press('Escape')
      await page.getByRole('button', { name: 'More options…' }).click()
      await page.getByRole('heading', { name: 'New task' }).waitFor()
      await shoot(page, 'new-task', theme)

      await page.keyboard.press('Escape')
      await page.keyboard.press('g')
      await page.keyboard.press('l')
      await page.getByRole('heading', { name: 'Event loop' }).waitFor()
      await page.locator('.lane-waiting .lane-item').first().waitFor()
      await page.locator('.lane-running .lane-item').first().waitFor()
      await shoot(page, 'loop', theme)

      await page.keyboard.press('g')
      await page.keyboard.press('d')
      await page.getByRole('heading', { name: 'Dashboard' }).waitFor()
      await shoot(page, 'dashboard', theme)

      await page.keyboard.press('g')
      await page.keyboard.press('s')
      await page.getByRole('heading', { name: 'Settings' }).waitFor()
      await shoot(page, 'settings', theme)
      await page.getByRole('heading', { name: 'Global shortcuts' }).scrollIntoViewIfNeeded()
      await shoot(page, 'settings-shortcuts', theme)

      await page.keyboard.press('Control+k')
      await page.getByRole('dialog', { name: 'Command palette' }).waitFor()
      await shoot(page, 'palette', theme)
      await page.keyboard.press('Escape')
      expect(errors).toEqual([])
      await page.context().close()
    })
  }

  it('switches to Korean from Settings, and back', async () => {
    const { page } = await openPage(ui.browser, ui.served.browserUrl)
    await page.keyboard.press('g')
    await page.keyboard.press('s')
    await page.getByRole('combobox', { name: 'Language' }).selectOption('ko')
    await page.getByRole('heading', { name: '설정' }).waitFor()
    // The desktop's global shortcuts are named in Korean too.
    await page.getByRole('textbox', { name: '창 보이기 / 숨기기' }).waitFor()
    // A group is added here, not only with the CLI.
    await page.getByRole('textbox', { name: '그룹 이름', exact: true }).fill('photos')
    await page.getByRole('spinbutton', { name: '동시 실행 수', exact: true }).fill('2')
    await page.getByRole('button', { name: '추가', exact: true }).click()
    await page.getByRole('spinbutton', { name: 'photos의 동시 실행 수' }).waitFor()
    expect(await page.getByRole('spinbutton', { name: 'photos의 동시 실행 수' }).inputValue()).toBe('2')
    await shoot(page, 'settings-korean', 'light')
    // Esc leaves the form, so the next keys are shortcuts again.
    await page.keyboard.press('Escape')
    await page.evaluate('document.activeElement?.blur()')
    await page.keyboard.press('g')
    await page.keyboard.press('t')
    await page.getByRole('button', { name: /실행 중/ }).first().waitFor()
    // The palette finds commands by their Korean or their English names.
    await page.keyboard.press('Control+k')
    await page.keyboard.type('cancel')
    await page.getByRole('option', { name: /작업 취소/ }).waitFor()
    await page.keyboard.press('Escape')
    // Why runs ended, in Korean (the engine writes English for every client).
    await page.locator('[data-task-id]', { hasText: 'definitely-missing-tool' }).getByText('종료 코드 127 (명령을 찾을 수 없음)').waitFor()
    await page.locator('[data-task-id]', { hasText: 'Unit tests' }).click()
    expect(await page.getByTestId('failure-reason').textContent()).toBe('실패 종료 코드 1')
    // A reason that says the status is not preceded by it ("취소됨 사용자가 취소함" said it twice).
    const { task: stopped } = await callServer<{ task: { id: number } }>(ui.home, ui.served, 'task.submit', { definition: { name: 'Stopped by hand', spec: { kind: 'shell', command: 'sleep 600' } } })
    await callServer(ui.home, ui.served, 'task.cancel', { taskIds: [stopped.id] })
    await page.locator('[data-task-id]', { hasText: 'Stopped by hand' }).click()
    await expect.poll(() => page.getByTestId('failure-reason').textContent()).toBe('사용자가 취소함')
    await callServer(ui.home, ui.served, 'task.submit', { definition: { name: 'Too slow', timeoutMs: 300, spec: { kind: 'shell', command: 'sleep 600' } } })
    await page.locator('[data-task-id]', { hasText: 'Too slow' }).locator('.status-timed_out').waitFor()
    await page.locator('[data-task-id]', { hasText: 'Too slow' }).click()
    await expect.poll(() => page.getByTestId('failure-reason').textContent()).toBe('300 ms 후 시간 초과')
    await shoot(page, 'tasks-korean', 'light')
    // The loop's lanes: the user's clock and words, not "running since 2026-11-22T08:48:52.423Z".
    await page.keyboard.press('Escape')
    await page.keyboard.press('g')
    await page.keyboard.press('l')
    const running = page.locator('.lane-running .lane-detail').first()
    await running.waitFor()
    expect(await running.textContent()).toMatch(/부터 실행 중/)
    expect(await page.locator('.loop-flow').textContent()).not.toMatch(/\d{4}-\d\d-\d\dT/)
    await shoot(page, 'loop-korean', 'light')
    await page.keyboard.press('g')
    await page.keyboard.press('s')
    await page.getByRole('combobox', { name: '언어' }).selectOption('en')
    await page.getByRole('heading', { name: 'Settings' }).waitFor()
    await page.context().close()
  })

  it('opens in the chosen theme from the first paint the next time, not in the default until the settings arrive', async () => {
    const { page } = await openPage(ui.browser, ui.served.browserUrl)
    await page.keyboard.press('g')
    await page.keyboard.press('s')
    await page.getByRole('radio', { name: 'Dark' }).click()
    // Polled from here: waitForFunction's polling evaluates a string in the page, which the served CSP (no eval) refuses.
    await expect.poll(() => page.evaluate('document.documentElement.dataset.theme')).toBe('dark')
    // Every theme the page shows from now on, in order (the attribute App sets on <html>).
    await page.context().addInitScript(`window.shownThemes = []
      const watch = () => new MutationObserver(() => window.shownThemes.push(document.documentElement.dataset.theme)).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] })
      if (document.documentElement) watch()
      else document.addEventListener('readystatechange', watch, { once: true })`)
    await page.reload()
    await page.getByTestId('connection').getByText('Live').waitFor()
    expect(await page.evaluate('window.shownThemes')).toEqual(['dark'])
    // Back to the system theme for the other tests of this file (the server keeps settings).
    await page.keyboard.press('g')
    await page.keyboard.press('s')
    await page.getByRole('radio', { name: 'System' }).click()
    await expect.poll(() => page.evaluate('document.documentElement.dataset.theme')).toBe('light')
    await page.context().close()
  })
})

describe('settings', () => {
  it('describes a switch by the hint beside it', async () => {
    const { page } = await openPage(ui.browser, ui.served.browserUrl)
    await page.keyboard.press('g')
    await page.keyboard.press('s')
    const keepAwake = page.getByRole('switch', { name: 'Keep the computer awake while tasks run' })
    const hintId = await keepAwake.getAttribute('aria-describedby')
    expect(await page.locator(`[id="${hintId}"]`).textContent()).toMatch(/^Sleep would freeze running tasks\./)
    await page.context().close()
  })

  it('keeps a value it cannot save as typed with the reason under it, and offers only existing groups as the default', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await page.keyboard.press('g')
    await page.keyboard.press('s')
    const parallel = page.getByRole('spinbutton', { name: 'Default parallel runs per group' })
    await parallel.fill('0')
    await parallel.press('Enter')
    await page.locator('.setting-row', { has: parallel }).getByRole('alert').getByText('A whole number from 1 to 1024.').waitFor()
    expect(await parallel.inputValue()).toBe('0')
    expect(await page.locator('.toast').count()).toBe(0)
    expect((await callServer<{ settings: Settings }>(ui.home, ui.served, 'settings.get')).settings.defaultGroupParallel).toBe(4)
    // Esc throws the draft away.
    await parallel.press('Escape')
    await expect.poll(() => parallel.inputValue()).toBe('4')
    // The default group is picked from the groups there are (a name the engine does not know would fail every quick task).
    const defaultGroup = page.getByRole('combobox', { name: 'Default group' })
    expect(await defaultGroup.locator('option').allTextContents()).toEqual(expect.arrayContaining(['default', 'ci']))
    expect(errors).toEqual([])
    await page.context().close()
  })
})

describe('a narrow window', () => {
  /** Boxes whose content is wider than they are (cut off or scrolling sideways), named by class. */
  const overflowing = (page: Page) =>
    page.evaluate<string[]>(`[...document.querySelectorAll('.main, .detail, .tab-panel, .log-toolbar, .page, .lane, .lane header, .spark figcaption, .card, .sidebar')]
      .filter((e) => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
      .map((e) => e.className)`)

  it('keeps every view within an 800-pixel window, the sidebar as icons that keep their names; at 700 an open task takes the width', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await page.setViewportSize({ width: 800, height: 600 })
    await page.locator('[data-task-id]', { hasText: 'Unit tests' }).click()
    await page.getByTestId('failure-reason').waitFor()
    expect(await overflowing(page)).toEqual([])
    // The list beside the task shows whole names (its status as a glyph, read out by its word), not "Unit t…".
    const namesCut = `[...document.querySelectorAll('.task-row .task-name')].filter((n) => n.scrollWidth > n.clientWidth).map((n) => n.textContent)`
    expect(await page.evaluate(namesCut)).toEqual([])
    expect(await page.locator('[data-task-id]', { hasText: 'Unit tests' }).locator('.status-label').textContent()).toBe('Failed')
    await shoot(page, 'narrow-task', 'light')
    for (const [view, heading] of [['Event loop', 'Event loop'], ['Dashboard', 'Dashboard'], ['Settings', 'Settings']] as const) {
      // The sidebar shows icons only; each button is still found (and read out) by its name.
      await page.getByRole('navigation').getByRole('button', { name: view }).click()
      await page.getByRole('heading', { name: heading, exact: true }).waitFor()
      expect(await overflowing(page)).toEqual([])
      await shoot(page, `narrow-${view.toLowerCase().replace(' ', '-')}`, 'light')
    }
    await page.setViewportSize({ width: 700, height: 600 })
    await page.getByRole('navigation').getByRole('button', { name: 'Tasks' }).click()
    await page.locator('[data-task-id]', { hasText: 'Unit tests' }).click()
    await page.getByTestId('failure-reason').waitFor()
    expect(await page.locator('.tasks-pane').isVisible()).toBe(false)
    expect(await overflowing(page)).toEqual([])
    await page.keyboard.press('Escape')
    await page.locator('.tasks-pane').waitFor()
    expect(errors).toEqual([])
    await page.context().close()
  })
})

describe('the quick-add box', () => {
  /**
   * The box's placeholder, and whether it fits the text box with an em to spare, laid out by the page in a span of the
   * field's own font (not by the canvas measure the view chooses with).
   */
  const placeholderFit = (page: Page) =>
    page.evaluate<{ text: string; fits: boolean }>(`(() => {
      const input = document.getElementById('quick-add')
      const style = getComputedStyle(input)
      const probe = document.createElement('span')
      probe.textContent = input.placeholder
      probe.style.font = style.font
      probe.style.whiteSpace = 'pre'
      probe.style.position = 'absolute'
      document.body.append(probe)
      const textWidth = probe.getBoundingClientRect().width
      probe.remove()
      // With an em to spare: a wording that ends at the field's very edge reads as cut off (the new-user pass).
      return { text: input.placeholder, fits: textWidth + parseFloat(style.fontSize) <= input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) }
    })()`)

  for (const language of ['en', 'ko'] as const) {
    it(`says as much as fits, never cut off, at every width (${language})`, async () => {
      // The window's language is a setting (another test chose one): this test's, then the one it found.
      const { settings } = await callServer<{ settings: Settings }>(ui.home, ui.served, 'settings.get')
      await callServer(ui.home, ui.served, 'settings.set', { patch: { language } })
      onTestFinished(() => callServer(ui.home, ui.served, 'settings.set', { patch: { language: settings.language } }))
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
      const wordings = language === 'en' ? ['Type a shell command, Enter runs it  (Ctrl+N)', 'Command, Enter runs it', 'Shell command'] : ['셸 명령 입력 후 Enter로 실행  (Ctrl+N)', '셸 명령 입력 후 Enter로 실행', '셸 명령']
      const shown = new Map<string, string>()
      /** The placeholder fits at the current width; it is recorded, with a picture of the box. */
      const check = async (where: string) => {
        // The page may first paint in the language it showed last; it settles on this test's once settings arrive.
        await expect.poll(() => placeholderFit(page).then((fit) => fit.fits && wordings.includes(fit.text)), { message: where }).toBe(true)
        const { text } = await placeholderFit(page)
        shown.set(where, text)
        await page.locator('.quick-add').screenshot({ path: join(ARTIFACTS, `quick-add-${language}-${where}.png`) })
      }
      // The list alone, then an open task beside it, at the widths the layout has (at 700 and below the task takes the window).
      for (const width of [1360, 700, 600]) {
        await page.setViewportSize({ width, height: 600 })
        await check(`${width}`)
      }
      await page.setViewportSize({ width: 1360, height: 600 })
      await page.locator('[data-task-id]', { hasText: 'Unit tests' }).click()
      await page.getByTestId('failure-reason').waitFor()
      for (const width of [1360, 1000, 800]) {
        await page.setViewportSize({ width, height: 600 })
        await check(`${width}-with-task`)
      }
      // The whole wording where there is room, the short one in the narrowest box, and each wording somewhere.
      expect(shown.get('1360')).toBe(wordings[0])
      expect(shown.get('800-with-task')).toBe(wordings[2])
      expect(new Set(shown.values()), JSON.stringify([...shown])).toEqual(new Set(wordings))
      expect(errors).toEqual([])
      await page.context().close()
    })
  }
})

describe('keymap', () => {
  it('rebinds a shortcut in Settings and the new key acts at once', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    await page.keyboard.press('g')
    await page.keyboard.press('s')
    const change = page.getByRole('button', { name: 'Change the shortcut for Cancel task(s)' })
    await change.click()
    await expect.poll(() => change.getAttribute('aria-pressed')).toBe('true')
    const row = page.getByRole('row', { name: /Cancel task\(s\)/ })
    await row.getByText('Press a key…').waitFor()
    // A single key is saved once the chord timeout passes without a second one.
    await page.keyboard.press('q')
    await row.locator('.kbd', { hasText: 'Q' }).waitFor()

    await page.keyboard.press('Escape')
    await page.keyboard.press('g')
    await page.keyboard.press('t')
    const nightly = page.locator('[data-task-id]', { hasText: 'Nightly report' })
    await nightly.locator('.status-running').waitFor()
    await nightly.click()
    await page.keyboard.press('q')
    await nightly.locator('.status-cancelled').waitFor()
    // The palette shows the new binding too.
    await page.keyboard.press('Control+k')
    await page.keyboard.type('cancel task')
    await page.getByRole('option', { name: /Cancel task\(s\)/ }).locator('.kbd', { hasText: 'Q' }).waitFor()
    await page.keyboard.press('Escape')

    await page.keyboard.press('g')
    await page.keyboard.press('s')
    await row.getByRole('button', { name: 'Reset' }).click()
    await row.locator('.kbd', { hasText: 'C' }).waitFor()

    // Global shortcuts are checked with the desktop's own rules before they are saved.
    const quickAdd = page.getByRole('textbox', { name: 'New task', exact: true })
    expect(await quickAdd.inputValue()).toBe('CommandOrControl+Alt+N')
    await quickAdd.fill('T')
    await page.getByText('needs a modifier (only F1–F24 may stand alone)').waitFor()
    await quickAdd.fill('CommandOrControl+Shift+N')
    await quickAdd.blur()
    // The field shows its draft at once; reload only once the server holds the new binding.
    const savedShortcuts = async () => (await callServer<{ settings: Settings }>(ui.home, ui.served, 'settings.get')).settings.globalShortcuts
    await expect.poll(savedShortcuts).toMatchObject({ 'quick-add': 'CommandOrControl+Shift+N' })
    await page.reload()
    await page.getByTestId('connection').getByText('Live').waitFor()
    await page.keyboard.press('g')
    await page.keyboard.press('s')
    await expect.poll(() => page.getByRole('textbox', { name: 'New task', exact: true }).inputValue()).toBe('CommandOrControl+Shift+N')
    expect(errors).toEqual([])
    await page.context().close()
  })
})

describe('reconnecting', () => {
  it('shows the server went away, and after its restart resumes from the last seq without a reload', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    const connection = page.getByTestId('connection')
    await page.locator('[data-task-id]').first().waitFor()
    await page.evaluate('window.stillTheSameDocument = true')
    await ui.served.stop()
    await connection.getByText(/Offline/).waitFor()
    await shootQuiet(page, 'reconnect-offline')
    // Once the waits between attempts have grown to 8 s or more (the label counts down to the next one)…
    await connection.getByText(/Offline — retrying in (8|9|10) s/).waitFor({ timeout: 30_000 })

    // Work happens while the UI is disconnected; it must appear after the reconnect.
    ui.served = await serve(ui.home, ui.port)
    await cli(ui.home, ['add', '-q', '-n', 'Added while away', '--shell', 'echo hello from the gap'])
    // …the user who knows the server is back need not wait: Retry now connects at once (the data
    // directory keeps its token, so the tab reconnects without a reload).
    await connection.getByRole('button', { name: 'Retry now' }).click()
    await connection.getByText('Live').waitFor({ timeout: 30_000 })
    expect(await page.evaluate('window.stillTheSameDocument')).toBe(true)
    await page.locator('[data-task-id]', { hasText: 'Added while away' }).click()
    await page.locator('.log-scroll').getByText('hello from the gap').waitFor()

    // A revoked token (its file deleted) is refused, and the UI says what to do…
    await page.keyboard.press('Escape')
    await ui.served.stop()
    rmSync(join(ui.home, 'api-token'))
    ui.served = await serve(ui.home, ui.port)
    await connection.getByText(/Not authorized/).waitFor({ timeout: 30_000 })
    await shootQuiet(page, 'reconnect-unauthorized')
    // …which is to open the new URL: in the same tab it only changes the fragment.
    await page.goto(ui.served.browserUrl)
    await connection.getByText('Live').waitFor()
    expect(await page.evaluate('window.stillTheSameDocument')).toBe(true)
    expect(page.url()).not.toContain('token')

    // And the connection carries new commands.
    await page.keyboard.press('Escape')
    await page.keyboard.press('n')
    await expect.poll(() => page.evaluate<string | undefined>('document.activeElement?.id')).toBe('quick-add')
    await page.keyboard.type('echo after reconnect')
    await page.keyboard.press('Enter')
    await page.locator('.log-scroll').getByText('after reconnect', { exact: true }).waitFor()
    expect(errors).toEqual([])
    await page.context().close()
  })
})

async function shootQuiet(page: Page, name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) })
}

describe('the task list', () => {
  it('shows a long duration whole, beside an open task too', async () => {
    const document = historyDocument(1, 1, () => ({ name: 'Long soak', durationMs: (59 * 60 + 59) * 1000 }))
    await callServer(ui.home, ui.served, 'data.import', { document })
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl)
    const row = page.locator('[data-task-id]', { hasText: 'Long soak' })
    const cell = row.locator('.cell-duration')
    const cut = () => cell.evaluate((el: { scrollWidth: number; clientWidth: number }) => el.scrollWidth > el.clientWidth)
    expect(await cell.textContent()).toBe('59 min 59 s')
    expect(await cut()).toBe(false)
    await row.click()
    await page.locator('.detail').waitFor()
    expect(await cut()).toBe(false)
    expect(errors).toEqual([])
    await page.context().close()
  })
})
