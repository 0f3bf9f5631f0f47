import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedis, waitForLine, type RedisServer } from '../redis/harness.ts'
import { ARTIFACTS, callServer, cli, openPage, ROOT, useServedUi } from './harness.ts'

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill(signal)
  await exited
}

let redis: RedisServer | undefined
let evicting: RedisServer | undefined
let redisUrl: string
let worker: ChildProcess | undefined

// Redis first: its hooks stop after the served app's (hooks unwind in reverse), so the app never waits on a stopped Redis.
beforeAll(async () => {
  ;[redis, evicting] = await Promise.all([startRedis(), startRedis(['--maxmemory-policy', 'allkeys-lru'])])
  redisUrl = redis.url
})

afterAll(async () => {
  await stopChild(worker, 'SIGKILL')
  await redis?.stop()
  await evicting?.stop()
})

const ui = useServedUi()

describe('Workers view', () => {
  it('tells a new user how to start a worker, then lists a real worker and its remote group', async () => {
    const { page, errors } = await openPage(ui.browser, ui.served.browserUrl, 'light')
    await page.keyboard.press('g')
    await page.keyboard.press('w')
    await page.getByRole('heading', { name: 'Workers' }).waitFor()
    await page.getByText('taskdeck worker --redis redis://HOST:6379 --group NAME').waitFor()
    await page.getByText('No group is bound to Redis').waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'workers-empty-light.png') })

    // Bind the group through the form: the contract's schema refuses a bad URL in place, the
    // app refuses an evicting Redis and says why, then a good Redis binds.
    await cli(ui.home, ['group', 'add', 'farm'])
    const form = page.getByRole('form', { name: 'Bind a group to Redis' })
    await form.locator('#bind-group option[value="farm"]').waitFor({ state: 'attached' })
    await form.locator('#bind-group').selectOption('farm')
    await form.getByLabel('Redis URL').fill('http://HOST:6379')
    await form.getByRole('button', { name: 'Bind' }).click()
    await form.getByRole('alert').getByText('must be a redis:// or rediss:// URL').waitFor()
    await form.getByLabel('Redis URL').fill(evicting!.url)
    await form.getByRole('button', { name: 'Bind' }).click()
    const refusal = form.getByRole('alert')
    await refusal.getByText(/maxmemory-policy allkeys-lru; Taskdeck needs noeviction/).waitFor()
    expect(await refusal.textContent()).toContain('CONFIG SET maxmemory-policy noeviction')
    expect(await form.getByLabel('Redis URL').getAttribute('aria-invalid')).toBe('true')
    expect(await callServer(ui.home, ui.served, 'group.listRemote')).toEqual({ bindings: [] })
    await page.screenshot({ path: join(ARTIFACTS, 'workers-bind-refused-light.png') })
    await form.getByLabel('Redis URL').fill(redisUrl)
    await form.getByLabel('Run here first (overflow)').fill('0')
    await form.getByRole('button', { name: 'Bind' }).click()
    await form.getByRole('alert').getByText(/>=\s*1/).waitFor()
    expect(await form.getByLabel('Run here first (overflow)').getAttribute('aria-invalid')).toBe('true')
    await form.getByLabel('Run here first (overflow)').fill('')
    await form.getByRole('button', { name: 'Bind' }).click()
    await page.getByTestId('bindings-table').getByText(redisUrl).waitFor()
    await page.getByTestId('bindings-table').getByText('Connected').waitFor()
    expect(await form.getByRole('alert').count()).toBe(0)

    worker = spawn(process.execPath, [join(ROOT, 'bin/taskdeck.js'), 'worker', '--redis', redisUrl, '--group', 'farm', '--concurrency', '3', '--heartbeat', '500', '--drain-timeout', '500'], {
      cwd: ROOT,
      env: { ...process.env, TASKDECK_CLI_FROM_SOURCE: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const line = await waitForLine(worker, /taskdeck worker (\S+) serves group/, 'taskdeck worker')
    const workerId = /taskdeck worker (\S+) serves group/.exec(line)![1]!

    const row = page.locator(`[data-worker="${workerId}"]`)
    await row.waitFor()
    await row.getByText('Running').waitFor()
    expect(await row.textContent()).toContain(String(worker.pid))
    expect(await row.textContent()).toContain('0 / 3')
    const bindings = page.getByTestId('bindings-table')
    await bindings.getByText(redisUrl).waitFor()

    // A task of the bound group runs on the worker and is listed as its current task.
    await cli(ui.home, ['add', '-q', '-n', 'Render frames', '-g', 'farm', '--shell', 'sleep 30'])
    const current = row.getByRole('button', { name: /Render frames/ })
    await current.waitFor()
    await row.getByText('1 / 3').waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'workers-light.png') })

    const dark = await openPage(ui.browser, ui.served.browserUrl, 'dark')
    await dark.page.getByRole('button', { name: /Workers/ }).click()
    await dark.page.locator(`[data-worker="${workerId}"]`).waitFor()
    await dark.page.getByTestId('bindings-table').getByText(redisUrl).waitFor()
    await dark.page.screenshot({ path: join(ARTIFACTS, 'workers-dark.png') })

    // Its current task opens the task's detail; g w comes back.
    await current.click()
    await page.locator('[data-task-id]', { hasText: 'Render frames' }).waitFor()
    await page.keyboard.press('g')
    await page.keyboard.press('w')
    await row.waitFor()

    // A worker that shuts down sends a last heartbeat "stopped"; the view shows it gone.
    await stopChild(worker, 'SIGTERM')
    await row.getByText('Stopped').waitFor()

    // Unbinding from the view: the group runs in the app again.
    await page.getByTestId('bindings-table').getByRole('button', { name: 'Unbind' }).click()
    await page.getByText('No group is bound to Redis').waitFor()
    expect(await callServer(ui.home, ui.served, 'group.listRemote')).toEqual({ bindings: [] })
    expect(errors).toEqual([])
    expect(dark.errors).toEqual([])
  })
})
