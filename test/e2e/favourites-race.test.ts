import { join } from 'node:path'
import type { Page, WebSocketRoute } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { Task } from '../../src-shared/index.ts'
import { axeViolations } from './axe.ts'
import { ARTIFACTS, callServer, goTo, useServedUi } from './harness.ts'

// The favourites changed by another client at the moment the window changes them: the window's change is made from the
// list it showed, refused by the server (settings.set's expect), made again to the list as it is, and both stay. The
// other client's write is made between the window sending its settings.set and the server reading it: the page's
// WebSocket goes through Playwright's route, which holds that message until the other write is done.
const ui = useServedUi()

const favourites = async () => (await callServer<{ settings: { favourites: number[] } }>(ui.home, ui.served, 'settings.get')).settings.favourites
const setFavourites = (list: number[]) => callServer(ui.home, ui.served, 'settings.set', { patch: { favourites: list } })
const submit = async (name: string) => (await callServer<{ task: Task }>(ui.home, ui.served, 'task.submit', { definition: { name, stashed: true, spec: { kind: 'shell', command: 'true' } } })).task.id

/** A page whose settings.set messages each wait for `before` (another client's write) while `interfering` says so. */
async function openInterferedPage(colorScheme: 'light' | 'dark'): Promise<{ page: Page; errors: string[]; interfere: (times: number, before: () => Promise<unknown>) => void; sent: () => number }> {
  const context = await ui.browser.newContext({ viewport: { width: 1360, height: 820 }, colorScheme, locale: 'en-US', reducedMotion: 'reduce' })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  let left = 0
  let other: () => Promise<unknown> = () => Promise.resolve()
  let sets = 0
  await page.routeWebSocket(/\/api\/v1\/ws/, (ws: WebSocketRoute) => {
    const server = ws.connectToServer()
    // One message at a time, in order: a held settings.set holds the ones after it too.
    let queue = Promise.resolve()
    ws.onMessage((message) => {
      queue = queue.then(async () => {
        if (typeof message === 'string' && message.includes('"command":"settings.set"')) {
          sets++
          if (left > 0) {
            left--
            await other()
          }
        }
        server.send(message)
      })
    })
  })
  await page.goto(ui.served.browserUrl)
  await page.locator('[data-testid=connection].connection-online').waitFor()
  return {
    page,
    errors,
    interfere: (times, before) => {
      left = times
      other = before
    },
    sent: () => sets,
  }
}

describe('favourites changed by two clients at once', () => {
  it('the star and Settings apply their change again to the list another client changed meanwhile; both changes stay', async () => {
    const alpha = await submit('race alpha')
    const beta = await submit('race beta')
    const gamma = await submit('race gamma')
    const { page, errors, interfere, sent } = await openInterferedPage('light')
    await page.locator('[data-task-id]', { hasText: 'race alpha' }).click()
    const star = page.locator('aside.detail').getByRole('button', { name: 'Favourite' })
    expect(await star.getAttribute('aria-pressed')).toBe('false')

    // The window shows no favourites; the other client adds beta just before the star's write reaches the server.
    interfere(1, () => setFavourites([beta]))
    await star.click()
    await expect.poll(favourites).toEqual([beta, alpha])
    await expect.poll(() => star.getAttribute('aria-pressed')).toBe('true')
    expect(sent()).toBe(2)
    // Answered by the window itself: no toast for the refusal it retried.
    expect(await page.locator('.toast').count()).toBe(0)

    // Settings: a move made by task, not by row, to the list as the other client left it.
    await goTo(page, 's')
    const section = page.getByRole('region', { name: 'Favourites' })
    await expect.poll(() => section.locator('.favourite-row').count()).toBe(2)
    interfere(1, () => setFavourites([gamma, beta, alpha]))
    await section.getByRole('button', { name: `Move #${alpha} race alpha up` }).click()
    await expect.poll(favourites).toEqual([gamma, alpha, beta])
    await expect.poll(async () => await section.locator('.favourite-name').allTextContents()).toEqual([`#${gamma} race gamma`, `#${alpha} race alpha`, `#${beta} race beta`])

    // Changed again while the change is made once more: nothing of the window's is written, it says so in place and
    // shows the list as it is now.
    const others = [[alpha, beta], [beta]]
    interfere(2, () => setFavourites(others.shift()!))
    await section.getByRole('button', { name: `Remove #${beta} race beta from favourites` }).click()
    await section.getByRole('alert').getByText('The favourites were being changed elsewhere at the same moment; they are shown as they are now. Try again.').waitFor()
    expect(await favourites()).toEqual([beta])
    await expect.poll(() => section.locator('.favourite-row').count()).toBe(1)
    expect(await page.locator('.toast').count()).toBe(0)
    expect(await axeViolations(page)).toEqual([])
    await section.scrollIntoViewIfNeeded()
    await section.screenshot({ path: join(ARTIFACTS, 'favourites-race-light-en.png') })
    await page.emulateMedia({ colorScheme: 'dark' })
    await section.screenshot({ path: join(ARTIFACTS, 'favourites-race-dark-en.png') })
    expect(errors).toEqual([])
    await page.context().close()
  })
})
