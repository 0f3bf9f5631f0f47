import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { Settings } from '../../src-shared/index.ts'
import { ARTIFACTS, callServer, cli, openPage, useServedUi } from './harness.ts'

// Known gaps of the UI, each against `taskdeck serve` in Chromium, in light and dark.
const ui = useServedUi()

/** The window's language is a setting: this test's, then the one it found. */
async function useLanguage(language: 'en' | 'ko') {
  const { settings } = await callServer<{ settings: Settings }>(ui.home, ui.served, 'settings.get')
  await callServer(ui.home, ui.served, 'settings.set', { patch: { language } })
  onTestFinished(() => callServer(ui.home, ui.served, 'settings.set', { patch: { language: settings.language } }))
}

describe('the task form’s Run at field', () => {
  it('is written in the UI’s language (Korean) in an English browser, and what is typed in it is the time the task runs at', async () => {
    await useLanguage('ko')
    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme, { locale: 'en-US' })
      await page.getByRole('button', { name: '옵션 더 보기…' }).click()
      const field = page.locator('#f-runAt')
      // The pattern in Korean order and words, not the browser's "mm/dd/yyyy, --:-- --".
      await expect.poll(() => field.getAttribute('placeholder')).toMatch(/^연도\. 월\. 일\. 오전\/오후 시:분$/)
      await page.locator('#f-command').fill(`echo later ${scheme}`)
      await field.fill('2030. 11. 23. 오후 2:30')
      await page.locator('.page').screenshot({ path: join(ARTIFACTS, `run-at-ko-${scheme}.png`) })
      // Text it cannot read is named under the field, in Korean.
      await field.fill('내일 아침')
      await page.keyboard.press('Control+Enter')
      await expect.poll(() => page.locator('.field.invalid').filter({ has: field }).getByRole('alert').textContent()).toMatch(/^날짜와 시각이 아닙니다/)
      await field.fill('2030. 11. 23. 오후 2:30')
      await page.keyboard.press('Control+Enter')
      await page.locator('code.detail-command', { hasText: `echo later ${scheme}` }).waitFor()
      const { tasks } = await callServer<{ tasks: { id: number; definition: { runAt?: number; spec: { command?: unknown } } }[] }>(ui.home, ui.served, 'task.list', { limit: 100, offset: 0 })
      const task = tasks.find((t) => t.definition.spec.command === `echo later ${scheme}`)!
      const id = task.id
      expect(task.definition.runAt).toBe(new Date(2030, 10, 23, 14, 30).getTime())
      await cli(ui.home, ['kill', String(id)])
      expect(errors).toEqual([])
      await page.context().close()
    }
  })
})

describe('the dashboard’s slowest tasks', () => {
  it('include a task still running, by its time so far, marked running', async () => {
    await useLanguage('en')
    await cli(ui.home, ['add', '-q', '-n', 'quick one', '--shell', 'true'])
    const long = await cli(ui.home, ['add', '-q', '-n', 'still going', '--shell', 'sleep 120'])
    onTestFinished(() => cli(ui.home, ['kill', long]).then(() => undefined))
    await expect.poll(async () => (await callServer<{ task: { status: string } }>(ui.home, ui.served, 'task.get', { taskId: Number(long) })).task.status, { timeout: 20_000 }).toBe('running')
    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme)
      await page.keyboard.press('g')
      await page.keyboard.press('d')
      const slowest = page.getByTestId('slowest')
      const row = slowest.getByRole('listitem').filter({ hasText: 'still going' })
      // Its time so far, in the UI's one duration format, and the word "running".
      await expect.poll(() => row.locator('.top-value').textContent(), { timeout: 20_000 }).toMatch(/^\d+ srunning$/)
      expect(await row.locator('.top-running').getAttribute('title')).toBe('Still running: its time so far')
      await slowest.screenshot({ path: join(ARTIFACTS, `dashboard-slowest-running-${scheme}.png`) })
      expect(errors).toEqual([])
      await page.context().close()
    }
  })
})

describe('Settings → Data', () => {
  it('exports all tasks to a file, imports it back with the new numbers, and lists the server’s field-level refusal of a broken file', async () => {
    await useLanguage('en')
    const first = await cli(ui.home, ['add', '-q', '-n', 'export me', '--shell', 'true', '--delay', '1h'])
    const second = await cli(ui.home, ['add', '-q', '-n', 'export me too', '--shell', 'true', '--delay', '1h', '--after', first])
    const { total } = await callServer<{ total: number }>(ui.home, ui.served, 'task.list', { limit: 1, offset: 0 })
    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme)
      await page.keyboard.press('g')
      await page.keyboard.press('s')
      const panel = page.getByRole('region', { name: 'Data' })
      const downloaded = page.waitForEvent('download')
      await panel.getByRole('button', { name: 'Export all tasks' }).click()
      const download = await downloaded
      expect(download.suggestedFilename()).toMatch(/^taskdeck-tasks-\d{4}-\d{2}-\d{2}\.json$/)
      const path = join(ARTIFACTS, `data-export-${scheme}.json`)
      await download.saveAs(path)
      const document = JSON.parse(await readFile(path, 'utf8')) as { format: string; tasks: { id: number }[] }
      expect(document.format).toBe('taskdeck-export')
      expect(document.tasks.map((t) => t.id)).toEqual(expect.arrayContaining([Number(first), Number(second)]))
      await expect.poll(() => panel.getByTestId('data-outcome').textContent()).toMatch(/^Exported \d+ tasks \(\d+ runs\)\.$/)

      // Back in: every task gets a new number, said as old→new.
      const before = (await callServer<{ total: number }>(ui.home, ui.served, 'task.list', { limit: 1, offset: 0 })).total
      await panel.getByLabel('Import a file…').setInputFiles(path)
      await expect.poll(() => panel.getByTestId('data-outcome').textContent()).toMatch(new RegExp(`^Imported ${document.tasks.length} tasks: (\\d+→\\d+, )*${first}→\\d+`))
      expect((await callServer<{ total: number }>(ui.home, ui.served, 'task.list', { limit: 1, offset: 0 })).total).toBe(before + document.tasks.length)

      // A file whose task depends on one it does not hold: refused whole, the place in the file named.
      const broken = { ...document, tasks: document.tasks.filter((t) => t.id === Number(second)), runs: [] }
      const brokenPath = join(ARTIFACTS, `data-broken-${scheme}.json`)
      await writeFile(brokenPath, JSON.stringify(broken))
      const count = (await callServer<{ total: number }>(ui.home, ui.served, 'task.list', { limit: 1, offset: 0 })).total
      await panel.getByLabel('Import a file…').setInputFiles(brokenPath)
      const alert = panel.getByRole('alert')
      await expect.poll(() => alert.textContent()).toContain(`tasks.0.definition.after.0: task ${first} is not in the document`)
      expect(await alert.textContent()).toMatch(/^data-broken-\w+\.json was not imported; nothing was added:/)
      expect((await callServer<{ total: number }>(ui.home, ui.served, 'task.list', { limit: 1, offset: 0 })).total).toBe(count)
      await panel.screenshot({ path: join(ARTIFACTS, `settings-data-${scheme}.png`) })
      expect(errors).toEqual([])
      await page.context().close()
    }
    expect(total).toBeGreaterThan(0)
  })
})

describe('the task detail’s dependency graph', () => {
  it('draws dependencies and dependents, says what a waiting task is blocked by, and opens a node with the keyboard', async () => {
    await useLanguage('en')
    const root = await cli(ui.home, ['add', '-q', '-n', 'graph root', '--shell', 'sleep 120'])
    onTestFinished(() => cli(ui.home, ['kill', root]).then(() => undefined))
    const middle = await cli(ui.home, ['add', '-q', '-n', 'graph middle', '--shell', 'true', '--after', root])
    await cli(ui.home, ['add', '-q', '-n', 'graph leaf', '--shell', 'true', '--after', middle])
    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme)
      await page.locator('[data-task-id]', { hasText: 'graph middle' }).click()
      const graph = page.getByRole('group', { name: `Dependencies and dependents of task #${middle}` })
      await graph.waitFor()
      expect(await Promise.all((await graph.getByRole('link').all()).map((link) => link.getAttribute('aria-label')))).toEqual([
        `#${root} graph root: Running`,
        `#${middle} graph middle: Waiting`,
        expect.stringMatching(/^#\d+ graph leaf: Waiting$/),
      ])
      expect(await page.getByTestId('blocked-by').textContent()).toBe(`Blocked by #${root} graph root (Running)`)
      await page.locator('.dep-graph').screenshot({ path: join(ARTIFACTS, `dependency-graph-${scheme}.png`) })
      await graph.getByRole('link', { name: `#${root} graph root: Running` }).focus()
      await page.keyboard.press('Enter')
      await page.getByRole('group', { name: `Dependencies and dependents of task #${root}` }).waitFor()
      expect(errors).toEqual([])
      await page.context().close()
    }
  })
})

describe('the edit form of a task that starts meanwhile', () => {
  it('says the task can no longer change and that saving adds a new task, and saving does (light and dark, en and ko)', async () => {
    for (const [scheme, language] of [['light', 'en'], ['dark', 'ko']] as const) {
      await useLanguage(language)
      const { task } = await callServer<{ task: { id: number } }>(ui.home, ui.served, 'task.submit', { definition: { name: `edited ${scheme}`, spec: { kind: 'shell', command: 'echo first' }, stashed: true } })
      const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, scheme)
      await page.locator(`[data-task-id="${task.id}"]`).click()
      await page.locator('body').click({ position: { x: 1, y: 1 } })
      await page.keyboard.press('e')
      await page.getByRole('heading', { name: language === 'en' ? `Edit task #${task.id}` : `작업 #${task.id} 편집` }).waitFor()
      expect(await page.getByTestId('edit-lost').count()).toBe(0)
      await page.locator('#f-command').fill('echo second')
      // Another client starts the task while the form is open.
      await callServer(ui.home, ui.served, 'task.unstash', { taskIds: [task.id] })
      const notice = page.getByTestId('edit-lost')
      await notice.waitFor()
      expect(await notice.textContent()).toBe(
        language === 'en'
          ? `Task #${task.id} started while you were editing it, so it can no longer change. Saving adds a new task with these settings.`
          : `편집하는 동안 작업 #${task.id}이(가) 시작되어 더는 바꿀 수 없습니다. 저장하면 이 설정으로 새 작업을 추가합니다.`,
      )
      // What was typed is kept.
      expect(await page.locator('#f-command').inputValue()).toBe('echo second')
      await page.locator('.page').screenshot({ path: join(ARTIFACTS, `edit-lost-${language}-${scheme}.png`) })
      await page.keyboard.press('Control+Enter')
      await page.locator('code.detail-command', { hasText: 'echo second' }).waitFor()
      const { tasks } = await callServer<{ tasks: { id: number; definition: { spec: { command?: unknown } } }[] }>(ui.home, ui.served, 'task.list', { limit: 500, offset: 0 })
      // The started task kept its command; the form's is a new task.
      expect(tasks.find((t) => t.id === task.id)?.definition.spec.command).toBe('echo first')
      expect(tasks.filter((t) => t.definition.spec.command === 'echo second' && t.id > task.id)).toHaveLength(1)
      expect(errors).toEqual([])
      await page.context().close()
    }
  })
})
