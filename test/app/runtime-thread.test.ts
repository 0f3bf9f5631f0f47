import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openRuntimeInWorker, type RuntimeThreadOptions, type ThreadedRuntime } from '../../src-main/app/runtime-thread.ts'
import { openRuntime, type TaskdeckRuntime } from '../../src-main/app/runtime.ts'
import { ApiSession } from '../../src-main/api/session.ts'
import type { SecretBox } from '../../src-main/engine/backends/secrets.ts'
import { isDurable, TaskDefinitionSchema, TaskdeckError, type EngineEvent, type ServerMessage } from '../../src-shared/index.ts'
import { useTempHome } from '../support/engine.ts'

// The runtime in a worker thread, for real: the engine, SQLite, triggers and the local server
// run in the worker; these tests look at what crosses the thread boundary.
const dir = useTempHome()
const opened: TaskdeckRuntime[] = []
afterEach(async () => {
  for (const runtime of opened.splice(0).reverse()) await runtime.close().catch(() => undefined)
})

const inWorker = async (options: Partial<RuntimeThreadOptions> = {}): Promise<ThreadedRuntime> => {
  const runtime = await openRuntimeInWorker({ home: dir.home, rendererDir: join(dir.home, 'no-renderer'), machineMonitor: 'none', networkWatch: { source: 'none' }, ...options })
  opened.push(runtime)
  return runtime
}
const inThread = async (home: string): Promise<TaskdeckRuntime> => {
  const runtime = await openRuntime({ home, rendererDir: join(home, 'no-renderer'), machineMonitor: 'none', networkWatch: { source: 'none' } })
  opened.push(runtime)
  return runtime
}
const held = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: 'true' }, name: `t${offset + i}` }))

/** Every durable seq from 1 to `head` exactly once, in order. */
function expectWholeLog(events: readonly EngineEvent[], head: number): void {
  const seqs = events.filter(isDurable).map((e) => e.seq)
  expect(seqs.length).toBe(head)
  const wrong = seqs.findIndex((seq, i) => seq !== i + 1)
  expect(wrong, `seq ${seqs[wrong]} at position ${wrong}`).toBe(-1)
}

describe.each([
  ['as JSON text', 'json'],
  ['as cloned objects', 'clone'],
] as const)('events crossing the thread %s', (_how, transport) => {
  it('arrive in order and without loss: a replay of several pages while tasks keep being added, with one page in flight at a time', async () => {
    const runtime = await inWorker({ transport, maxPagesInFlight: 1 })
    const { handlers } = runtime.api
    await handlers['engine.pause']({})
    // More than two replay pages (2,000 events each) of history.
    for (let round = 0; round < 3; round++) await handlers['task.submitMany']({ definitions: held(1500, round * 1500) })
    const received: EngineEvent[] = []
    const subscription = runtime.api.subscribe(0, (events) => received.push(...events))
    expect(subscription.headSeq).toBeGreaterThan(4500)
    // Live events while the replay is under way, from several callers at once.
    const live = await Promise.all(Array.from({ length: 20 }, (_, i) => handlers['task.submit']({ definition: held(1, 10_000 + i)[0]! })))
    const { headSeq } = await handlers['events.read']({ since: 0, limit: 1 })
    await vi.waitFor(() => expect(received.filter(isDurable).length).toBe(headSeq), { timeout: 60_000 })
    expectWholeLog(received, headSeq)
    // The same events as the log holds, not just the same seqs.
    const { events: stored } = await handlers['events.read']({ since: 0, limit: 10_000 })
    expect(received.filter(isDurable)).toEqual(stored)
    expect(new Set(received.filter(isDurable).flatMap((e) => (e.type === 'task.created' ? [e.task.id] : []))).size).toBe(4500 + live.length)
    subscription.dispose()
  })

  it('carry only the types a subscription names, replayed and live (the desktop shell hears no output)', async () => {
    const runtime = await inWorker({ transport })
    const { handlers } = runtime.api
    const spec = { kind: 'shell' as const, command: 'echo out' }
    const first = await handlers['task.submit']({ definition: TaskDefinitionSchema.parse({ spec, name: 'old' }) })
    await vi.waitFor(async () => expect((await handlers['task.get']({ taskId: first.task.id })).task.status).toBe('succeeded'))
    const received: EngineEvent[] = []
    const subscription = runtime.api.subscribe(0, (events) => received.push(...events), { types: ['task.updated', 'run.finished'] })
    const second = await handlers['task.submit']({ definition: TaskDefinitionSchema.parse({ spec, name: 'new' }) })
    await vi.waitFor(() => expect(received.some((e) => e.type === 'task.updated' && e.task.id === second.task.id && e.task.status === 'succeeded')).toBe(true))
    subscription.dispose()
    expect(new Set(received.map((e) => e.type))).toEqual(new Set(['task.updated', 'run.finished']))
    const { events: stored } = await handlers['events.read']({ since: 0, limit: 10_000 })
    const last = received.filter(isDurable).at(-1)!.seq
    expect(received).toEqual(stored.filter((e) => (e.type === 'task.updated' || e.type === 'run.finished') && e.seq <= last))
  })
})

describe('subscriptions', () => {
  it('answer with the head seq at once, and deliver history ≤ head before anything newer', async () => {
    const runtime = await inWorker()
    // Paused, so no run adds events between reading the head and subscribing.
    await runtime.api.handlers['engine.pause']({})
    await runtime.api.handlers['task.submitMany']({ definitions: held(50) })
    const { headSeq } = await runtime.api.handlers['events.read']({ since: 0, limit: 1 })
    const received: EngineEvent[] = []
    const subscription = runtime.api.subscribe(10, (events) => received.push(...events))
    expect(subscription.headSeq).toBe(headSeq)
    await runtime.api.handlers['task.submit']({ definition: held(1, 99)[0]! })
    await vi.waitFor(() => expect(received.filter(isDurable).at(-1)?.seq).toBeGreaterThan(headSeq))
    expect(received.filter(isDurable)[0]?.seq).toBe(11)
    subscription.dispose()
  })

  it('refuse a since beyond the log with the engine’s own error, synchronously', async () => {
    const runtime = await inWorker()
    const here = await inThread(dir.anotherHome())
    const refusal = (subscribe: () => unknown) => {
      try {
        subscribe()
      } catch (error) {
        return { name: (error as Error).name, code: (error as TaskdeckError).code, message: (error as Error).message }
      }
      return null
    }
    // Both logs have the same head (a fresh engine's first events).
    const [a, b] = await Promise.all([runtime, here].map(async (r) => (await r.api.handlers['events.read']({ since: 0, limit: 1 })).headSeq))
    expect(a).toBe(b)
    const inWorkerRefusal = refusal(() => runtime.api.subscribe(a! + 5, () => undefined))
    expect(inWorkerRefusal).toEqual(refusal(() => here.api.subscribe(b! + 5, () => undefined)))
    expect(inWorkerRefusal?.code).toBe('bad_request')
  })

  it('stop at dispose: nothing more is delivered', async () => {
    const runtime = await inWorker()
    const received: EngineEvent[] = []
    const subscription = runtime.api.subscribe(0, (events) => received.push(...events))
    await runtime.api.handlers['task.submit']({ definition: held(1)[0]! })
    await vi.waitFor(() => expect(received.some((e) => e.type === 'task.created')).toBe(true))
    subscription.dispose()
    const count = received.length
    await runtime.api.handlers['task.submitMany']({ definitions: held(20) })
    // A round trip after the submit: anything the worker sent for the old subscription came before this answer.
    await runtime.api.handlers['task.list']({ limit: 1, offset: 0 })
    expect(received.length).toBe(count)
  })
})

describe('errors crossing the thread', () => {
  it('give the UI the same answers as in-thread: codes, messages and details of refusals, bad params, unknown ids', async () => {
    const worker = await inWorker()
    const thread = await inThread(dir.anotherHome())
    const answers = async (runtime: TaskdeckRuntime) => {
      const sent: ServerMessage[] = []
      const session = new ApiSession(runtime.api, (message) => sent.push(message))
      const requests = [
        { v: 1, id: 1, command: 'task.get', params: { taskId: 999 } },
        { v: 1, id: 2, command: 'task.get', params: { taskId: 'one' } },
        { v: 1, id: 3, command: 'task.submit', params: { definition: { spec: { kind: 'shell', command: '' } } } },
        { v: 1, id: 4, command: 'group.remove', params: { name: 'nope' } },
        { v: 1, id: 5, command: 'savedTask.get', params: { id: 42 } },
        { v: 1, id: 6, command: 'task.cancel', params: { taskIds: [7] } },
      ]
      for (const request of requests) await session.handle(request)
      session.dispose()
      return sent
    }
    const fromWorker = await answers(worker)
    expect(fromWorker).toEqual(await answers(thread))
    expect(fromWorker.filter((m) => m.kind === 'response' && !m.result.ok).length).toBeGreaterThanOrEqual(3)
  })

  it('keep the TaskdeckError class, code and details when called directly', async () => {
    const runtime = await inWorker()
    const error = await runtime.api.handlers['task.get']({ taskId: 999 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TaskdeckError)
    expect(error).toMatchObject({ name: 'TaskdeckError', code: 'not_found', message: 'There is no task 999.' })
    // Params are checked against the contract in the worker too (a caller that skipped it).
    const bad = await runtime.api.handlers['task.list']({ limit: -1 } as never).catch((e: unknown) => e)
    expect(bad).toMatchObject({ code: 'bad_request' })
    expect((bad as TaskdeckError).details?.issues?.[0]?.path).toBe('limit')
  })

  it('refuse a data directory another live process serves, with the in-thread wording, and leave nothing running', async () => {
    const stranger = spawn('sleep', ['30'])
    try {
      const pid = stranger.pid ?? 0
      writeFileSync(join(dir.home, 'api.json'), JSON.stringify({ url: 'http://127.0.0.1:4999/', port: 4999, token: 'x'.repeat(43), pid, startedAt: Date.now() }))
      await expect(inWorker()).rejects.toThrow(`Taskdeck already runs for ${dir.home} (process ${pid}, http://127.0.0.1:4999/).`)
    } finally {
      stranger.kill()
    }
  })
})

describe('a crash in the worker', () => {
  it('surfaces on the main thread with a clear error: the call in flight, onDidFail, later calls and subscriptions refused with it', async () => {
    const runtime = await inWorker({ crashOn: { command: 'engine.loop', message: 'the engine thread hit a bug' } })
    const failed = new Promise<Error>((resolve) => runtime.onDidFail(resolve))
    const inFlight = await runtime.api.handlers['engine.loop']({}).catch((e: unknown) => e)
    expect(inFlight).toBe(await failed)
    expect(inFlight).toBeInstanceOf(TaskdeckError)
    expect(inFlight).toMatchObject({ code: 'internal', message: "Taskdeck's engine stopped unexpectedly: the engine thread hit a bug" })
    await expect(runtime.api.handlers['task.list']({ limit: 1, offset: 0 })).rejects.toBe(inFlight)
    expect(() => runtime.api.subscribe(0, () => undefined)).toThrow("Taskdeck's engine stopped unexpectedly")
    expect(runtime.pressShortcut('Super+B')).toBe(false)
    // Closing a dead runtime is not an error: there is nothing left to release.
    await runtime.close()
  })

  it('rejects the calls in flight when it happens', async () => {
    const runtime = await inWorker()
    const failed = new Promise<Error>((resolve) => runtime.onDidFail(resolve))
    // A long call in flight, then the thread stops under it (as an out-of-memory end would).
    const inFlight = runtime.api.handlers['task.submitMany']({ definitions: held(5000) })
    const { threadId } = runtime
    expect(threadId).toBeGreaterThan(0)
    await terminate(runtime)
    const error = await inFlight.then(
      () => null,
      (e: unknown) => e,
    )
    // Either it was answered before the end, or it was refused with the crash's error.
    if (error !== null) expect(error).toBe(await failed)
    expect((await failed).message).toMatch(/^Taskdeck's engine stopped unexpectedly: the runtime thread exited \(code \d+\) without being closed$/)
  })
})

/** Stops the worker from outside, as a crash would (test hook: the Worker is private). */
async function terminate(runtime: ThreadedRuntime): Promise<void> {
  const worker = (runtime as unknown as { [key: symbol]: { terminate(): Promise<number> } })[Symbol.for('taskdeck.runtimeWorker')]
  if (!worker) throw new Error('no worker handle')
  await worker.terminate()
}

describe('close', () => {
  it('releases everything: the server stops, api.json goes, the worker exits and the process has nothing left open', async () => {
    // A separate Node process that opens the runtime in a worker, uses it and closes it: it must end by itself.
    const script = `
      import { openRuntimeInWorker } from ${JSON.stringify(join(import.meta.dirname, '../../src-main/app/runtime-thread.ts'))}
      const runtime = await openRuntimeInWorker({ home: ${JSON.stringify(dir.home)}, rendererDir: ${JSON.stringify(dir.home)}, machineMonitor: 'none', networkWatch: { source: 'none' } })
      const sub = runtime.api.subscribe(0, () => {})
      await runtime.api.handlers['task.submit']({ definition: { spec: { kind: 'shell', command: 'true' } } })
      runtime.onDidChangeShortcuts(() => {})
      const url = runtime.server.url
      await runtime.close()
      sub.dispose()
      const refused = await fetch(url).then(() => false, () => true)
      process.stdout.write(JSON.stringify({ refused }))
    `
    const file = join(dir.anotherHome(), 'open-and-close.mjs')
    writeFileSync(file, script)
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(err.replace(/.*ExperimentalWarning.*\n?|.*--trace-warnings.*\n?/g, '')).toBe('')
    expect(code).toBe(0)
    expect(JSON.parse(out)).toEqual({ refused: true })
    expect(existsSync(join(dir.home, 'api.json'))).toBe(false)
  }, 120_000)
})

describe('secrets (safeStorage in the app) stay on the main thread', () => {
  const storedBinding = (sealed: string) =>
    writeFileSync(
      join(dir.home, 'remote-groups.json'),
      JSON.stringify({ version: 1, source: 'test', bindings: [{ group: 'far', redis: 'redis://127.0.0.1:9', sealed, storage: 'box', tlsRejectUnauthorized: true }] }),
    )

  it('the worker asks the main thread to open a stored Redis password, and waits for the answer', async () => {
    storedBinding('sealed-by-the-app')
    const asked: string[] = []
    const box: SecretBox = {
      description: 'safeStorage (test)',
      seal: (plain) => `sealed:${plain}`,
      open: (sealed) => {
        asked.push(sealed)
        return JSON.stringify({ url: 'redis://127.0.0.1:9', tlsRejectUnauthorized: true })
      },
    }
    const runtime = await inWorker({ secrets: box })
    expect(asked).toEqual(['sealed-by-the-app'])
    expect((await runtime.api.handlers['group.listRemote']?.({}))?.bindings).toMatchObject([{ group: 'far', redis: 'redis://127.0.0.1:9' }])
  })

  it('a box that cannot open fails the start with its reason', async () => {
    storedBinding('sealed-elsewhere')
    const box: SecretBox = {
      description: 'safeStorage (test)',
      seal: (plain) => plain,
      open: () => {
        throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.')
      },
    }
    await expect(inWorker({ secrets: box })).rejects.toThrow('The app could not open a secret: Error while decrypting the ciphertext provided to safeStorage.decryptString.')
  })
})
