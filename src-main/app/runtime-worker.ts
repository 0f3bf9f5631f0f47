/**
 * The runtime's worker thread (see runtime-thread.ts): opens the runtime exactly as
 * `openRuntime` does for `taskdeck serve`, and serves the main thread's calls,
 * subscriptions and shortcut presses over `parentPort`. What only the main thread can do
 * (Electron's safeStorage) it asks for over a second port and waits for the answer.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads'
import { COMMANDS, describeIssues, isDurable, issuesOf, TaskdeckError, type CommandName, type EngineEvent, type EngineEventType } from '../../src-shared/index.ts'
import type { Disposable, StoredEventText } from '../engine/api.ts'
import type { SecretBox } from '../engine/backends/secrets.ts'
import { openRuntime, type TaskdeckRuntime } from './runtime.ts'
import {
  parseMessage,
  SecretAnswerSchema,
  toWire,
  ToWorkerSchema,
  type EventsTransport,
  type FromWorker,
  type SecretQuestion,
  type ThreadRuntimeOptions,
} from './runtime-thread-protocol.ts'

export interface RuntimeWorkerData {
  options: ThreadRuntimeOptions
  /** The head seq the main thread reads when it subscribes (BigInt64Array[0]). */
  head: SharedArrayBuffer
  /** Present when the main thread keeps the secrets: its description, the port and the flag to wait on. */
  secrets: { description: string; port: MessagePort; flag: SharedArrayBuffer } | null
  /** Replay pages a subscription may have on their way to the main thread before the replay waits. */
  maxPagesInFlight: number
  /** Tests only: when asked `command`, the worker throws `message`, uncaught (a crash must surface on the main thread). */
  crashOn?: { command: string; message: string }
}

/** How long the worker waits for the main thread to seal or open a secret (a keychain prompt waits for the user). */
const SECRET_WAIT_MS = 120_000

if (!parentPort) throw new Error('runtime-worker.ts runs only as a worker thread (openRuntimeInWorker).')
const port = parentPort
const data = workerData as RuntimeWorkerData

const post = (message: FromWorker) => port.postMessage(message)

/** A SecretBox whose seal and open run on the main thread; this thread blocks until the answer (they are synchronous). */
function secretsOnMainThread(box: NonNullable<RuntimeWorkerData['secrets']>): SecretBox {
  const flag = new Int32Array(box.flag)
  let nextId = 1
  const ask = (op: SecretQuestion['op'], text: string): string => {
    const id = nextId++
    Atomics.store(flag, 0, 0)
    box.port.postMessage({ id, op, text } satisfies SecretQuestion)
    if (Atomics.wait(flag, 0, 0, SECRET_WAIT_MS) === 'timed-out') {
      throw new TaskdeckError('internal', `The app did not answer a request to ${op} a secret within ${SECRET_WAIT_MS / 1000} s.`)
    }
    const received = receiveMessageOnPort(box.port)
    const answer = parseMessage(SecretAnswerSchema, received?.message, 'secret answer from the main thread')
    if (answer.id !== id) throw new TaskdeckError('internal', `The secret answer ${answer.id} does not match question ${id}.`)
    if (answer.error) throw new TaskdeckError('internal', `The app could not ${op} a secret: ${answer.error.message}`)
    return answer.text ?? ''
  }
  return { description: box.description, seal: (plain) => ask('seal', plain), open: (sealed) => ask('open', sealed) }
}

const head = new BigInt64Array(data.head)
const subscriptions = new Map<number, { subscription: Disposable; inFlight: number }>()
let runtime: TaskdeckRuntime

try {
  runtime = await openRuntime({ ...data.options, ...(data.secrets ? { secrets: secretsOnMainThread(data.secrets) } : {}) })
} catch (error) {
  post({ kind: 'openFailed', error: toWire(error) })
  port.close()
  process.exit(0)
}

// The head seq the main thread answers subscribe with: kept current by the first subscriber
// of the engine, so it is written before any other subscriber (or reply) can show a newer seq.
const { headSeq: initialHead } = await runtime.api.handlers['events.read']({ since: 0, limit: 1 })
Atomics.store(head, 0, BigInt(initialHead))
const headWatch = runtime.api.subscribe(initialHead, (events) => {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!
    if (isDurable(event)) {
      Atomics.store(head, 0, BigInt(event.seq))
      break
    }
  }
})

const shortcutWatch = runtime.onDidChangeShortcuts((bindings) => post({ kind: 'shortcuts', bindings }))

const commands = Object.keys(runtime.api.handlers).filter((name): name is CommandName => Object.hasOwn(COMMANDS, name))
post({
  kind: 'ready',
  server: { url: runtime.server.url, port: runtime.server.port, token: runtime.server.token, browserUrl: runtime.server.browserUrl },
  commands,
  shortcuts: runtime.shortcutBindings(),
})


async function call(id: number, command: CommandName, raw: unknown): Promise<void> {
  const crash = data.crashOn
  if (crash?.command === command) {
    setImmediate(() => {
      throw new Error(crash.message)
    })
    return
  }
  try {
    const handler = runtime.api.handlers[command as keyof typeof runtime.api.handlers] as ((params: unknown) => Promise<unknown>) | undefined
    if (!handler) throw new TaskdeckError('unknown_command', `Command "${command}" is not served by this process.`)
    // The contract's check, as at every boundary: defaults filled in, unknown fields refused by path.
    const parsed = COMMANDS[command].params.safeParse(raw ?? {})
    if (!parsed.success) {
      const issues = issuesOf(parsed.error)
      throw new TaskdeckError('bad_request', describeIssues(`params for ${command}`, issues), { issues })
    }
    post({ kind: 'reply', id, result: { ok: true, value: await handler(parsed.data) } })
  } catch (error) {
    post({ kind: 'reply', id, result: { ok: false, error: toWire(error) } })
  }
}

function subscribe(sub: number, since: number, text: boolean, transport: EventsTransport, types: readonly EngineEventType[] | undefined): void {
  const entry = { subscription: { dispose: () => undefined } as Disposable, inFlight: 0 }
  const send = (message: Extract<FromWorker, { kind: 'events' }>) => {
    entry.inFlight++
    post(message)
  }
  const listener = (events: readonly EngineEvent[]) => {
    if (events.length === 0) return
    send(transport === 'json' ? { kind: 'events', sub, json: JSON.stringify(events) } : { kind: 'events', sub, events: [...events] })
  }
  // Replayed history as the log stores it: for JSON, joined into one array without parsing each event here.
  const onStoredPage = (page: readonly StoredEventText[]) => {
    if (page.length === 0) return
    if (text) send({ kind: 'events', sub, pages: [...page] })
    else if (transport === 'json') send({ kind: 'events', sub, json: `[${page.map((e) => e.json).join(',')}]` })
    else send({ kind: 'events', sub, events: page.map((e) => JSON.parse(e.json) as unknown) })
  }
  try {
    entry.subscription = runtime.api.subscribe(since, listener, {
      onStoredPage,
      readyForPage: () => entry.inFlight < data.maxPagesInFlight,
      ...(types ? { types } : {}),
    })
    subscriptions.set(sub, entry)
  } catch (error) {
    post({ kind: 'subscribeFailed', sub, error: toWire(error) })
  }
}

let closing = false
async function close(): Promise<void> {
  if (closing) return
  closing = true
  for (const { subscription } of subscriptions.values()) subscription.dispose()
  subscriptions.clear()
  headWatch.dispose()
  shortcutWatch.dispose()
  await runtime.close()
  data.secrets?.port.close()
  post({ kind: 'closed' })
  port.close()
}

port.on('message', (raw: unknown) => {
  const message = parseMessage(ToWorkerSchema, raw, 'message from the main thread')
  switch (message.kind) {
    case 'call':
      void call(message.id, message.command, message.params)
      break
    case 'subscribe':
      subscribe(message.sub, message.since, message.text, message.transport, message.types)
      break
    case 'ack': {
      const entry = subscriptions.get(message.sub)
      if (entry) entry.inFlight--
      break
    }
    case 'unsubscribe':
      subscriptions.get(message.sub)?.subscription.dispose()
      subscriptions.delete(message.sub)
      break
    case 'press':
      runtime.pressShortcut(message.accelerator)
      break
    case 'close':
      close().catch((error: unknown) => {
        // Reported as a crash: the main thread's close rejects with it.
        setImmediate(() => {
          throw error
        })
      })
      break
  }
})

