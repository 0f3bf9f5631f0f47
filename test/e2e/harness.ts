import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { COMMAND_PATH } from '../../src-shared/index.ts'
import { launchChromium } from '../support/browser.ts'
import { historyDocument } from '../support/history.ts'
import { freePort } from '../support/net.ts'
export { freePort, launchChromium }

export const ROOT = resolve(import.meta.dirname, '../..')
export const ARTIFACTS = join(ROOT, 'test-artifacts')

export function requireBuiltUi(): void {
  if (!existsSync(join(ROOT, 'out/renderer/index.html'))) {
    throw new Error('The web UI is not built: run `npx electron-vite build` (npm test does) before the browser tests.')
  }
}


export interface Served {
  browserUrl: string
  port: number
  process: ChildProcess
  stop(): Promise<void>
}

/**
 * Starts a real `taskdeck serve` on the home and port given, and waits for its URL. The engine
 * runs from the sources unless `fromSource` is false: then from the build (out/main), as
 * `npm run serve` and an installed `taskdeck serve` run it.
 */
export async function serve(home: string, port: number, { fromSource = true }: { fromSource?: boolean } = {}): Promise<Served> {
  const env: NodeJS.ProcessEnv = { ...process.env, TASKDECK_CLI_FROM_SOURCE: fromSource ? '1' : '0' }
  const child = spawn(process.execPath, [join(ROOT, 'bin/taskdeck.js'), 'serve', '--home', home, '--port', String(port), '--json'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const info = await new Promise<{ browserUrl: string; port: number }>((resolveInfo, reject) => {
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      const line = stdout.split('\n').find((l) => l.trim().startsWith('{'))
      if (line) resolveInfo(JSON.parse(line) as { browserUrl: string; port: number })
    })
    child.once('exit', (code) => reject(new Error(`taskdeck serve exited (${code}): ${stderr}`)))
  })
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  return {
    ...info,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

/** One command over the served HTTP API (with the token from the home's api.json): to check what the server holds. */
export async function callServer<T>(home: string, served: Served, command: string, params: unknown = {}): Promise<T> {
  const { token } = JSON.parse(await readFile(join(home, 'api.json'), 'utf8')) as { token: string }
  const reply = await fetch(`http://127.0.0.1:${served.port}${COMMAND_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ v: 1, id: 1, command, params }),
  })
  const message = (await reply.json()) as { result: { ok: boolean; value?: T; error?: unknown } }
  if (!message.result.ok) throw new Error(`${command} was refused: ${JSON.stringify(message.result.error)}`)
  return message.result.value as T
}

/**
 * Imports tasks 1 … `count` as a finished history (task.created + run.finished each), named "history job N", every
 * tenth failed; in slices the command's size limit allows.
 */
export async function importHistory(ui: ServedUi, count: number): Promise<void> {
  for (let first = 1; first <= count; first += 3000) {
    const document = historyDocument(first, Math.min(3000, count - first + 1), (id) => ({ name: `history job ${id}`, status: id % 10 === 0 ? 'failed' : 'succeeded' }))
    await callServer(ui.home, ui.served, 'data.import', { document })
  }
}

/** Runs the real CLI against the server of `home` (for seeding varied tasks quickly). */
export async function cli(home: string, args: string[]): Promise<string> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/taskdeck.js'), '--home', home, ...args], {
    cwd: ROOT,
    env: { ...process.env, TASKDECK_CLI_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await new Promise<number | null>((r) => child.once('exit', r))
  if (code !== 0) throw new Error(`taskdeck ${args.join(' ')} exited ${code}: ${err}`)
  return out.trim()
}

export async function tempHome(): Promise<{ home: string; remove(): Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'taskdeck-e2e-'))
  return { home, remove: () => rm(home, { recursive: true, force: true }) }
}

/** A page that fails the test on any uncaught error in the UI. */
export async function openPage(
  browser: Browser,
  url: string,
  colorScheme: 'light' | 'dark' = 'light',
  { locale = 'en-US', reducedMotion = 'reduce' }: { locale?: string; reducedMotion?: 'reduce' | 'no-preference' } = {},
): Promise<{ page: Page; errors: string[] }> {
  // Reduced motion by default: screenshots show where things are, not where an animation happens to be.
  const context = await browser.newContext({ viewport: { width: 1360, height: 820 }, colorScheme, locale, reducedMotion })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  // The served CSP is strict (no inline styles or scripts, no eval): any violation is a bug.
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) errors.push(message.text())
  })
  await page.goto(url)
  // Online in any language (the label is translated).
  await page.locator('[data-testid=connection].connection-online').waitFor()
  return { page, errors }
}

/** Waits for `check` to hold (polled every 25 ms, 10 s at most), for state the page cannot be watched for. */
export async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Switches view with the keyboard's g-chord (s: Settings, t: Tasks, l: Loop), from wherever the focus was. */
export async function goTo(page: Page, view: 's' | 't' | 'l'): Promise<void> {
  await page.locator('main').click({ position: { x: 5, y: 5 } })
  await page.keyboard.press('Escape')
  await page.keyboard.press('g')
  await page.keyboard.press(view)
}

/** What a browser test file works against: Chromium, a served app on its own port and data directory. */
export interface ServedUi {
  browser: Browser
  /** Reassign it after stopping the server to start a new one on the same port and home. */
  served: Served
  home: string
  port: number
}

/**
 * Registers the file's beforeAll/afterAll: a built UI, a temp data directory, `taskdeck serve`
 * on a free port and Chromium; all stopped and removed after the file. Fields are set once
 * beforeAll has run.
 */
export function useServedUi(): ServedUi {
  const ui = {} as ServedUi
  let dir: Awaited<ReturnType<typeof tempHome>> | undefined
  beforeAll(async () => {
    requireBuiltUi()
    await mkdir(ARTIFACTS, { recursive: true })
    dir = await tempHome()
    ui.home = dir.home
    ui.port = await freePort()
    ui.served = await serve(ui.home, ui.port)
    ui.browser = await launchChromium()
  })
  afterAll(async () => {
    await ui.browser?.close()
    await ui.served?.stop()
    await dir?.remove()
  })
  return ui
}
