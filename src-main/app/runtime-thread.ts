import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads'
import { TaskdeckError, type CommandName, type EngineEvent } from '../../src-shared/index.ts'
import { sinceBeyondHead, type Disposable, type EngineApi, type StoredEventText, type SubscribeOptions } from '../engine/api.ts'
import { workerEntryBeside } from '../engine/bundle-entry.ts'
import { resolveShortcut, type ShortcutBinding } from '../triggers/shortcuts.ts'
import type { RuntimeOptions, TaskdeckRuntime } from './runtime.ts'
import {
  FromWorkerSchema,
  fromWire,
  parseMessage,
  SecretQuestionSchema,
  toWire,
  type EventsTransport,
  type FromWorker,
  type SecretAnswer,
  type ToWorker,
} from './runtime-thread-protocol.ts'
import type { RuntimeWorkerData } from './runtime-worker.ts'

/** Where runtime-worker lives next to this module: its .ts source, or out/main/runtime-worker.js in the build (see workerEntryBeside). */
export function defaultRuntimeWorkerEntry(): URL {
  return workerEntryBeside(import.meta.url, 'runtime-worker')
}

/** The runtime worker for a module of the main bundle (`entryUrl`: its `import.meta.url`, e.g. the app's out/main/index.js). */
export function runtimeWorkerEntryBeside(entryUrl: string): URL {
  return entryUrl.endsWith('.ts') ? defaultRuntimeWorkerEntry() : workerEntryBeside(entryUrl, 'runtime-worker')
}

export interface RuntimeThreadOptions extends RuntimeOptions {
  /** The worker's entry (default `defaultRuntimeWorkerEntry()`). */
  workerEntry?: URL | string
  /**
   * How events cross the thread: `'json'` (the default) sends each batch as one JSON text,
   * which the replay reads from the log as text and never parses in the worker; `'clone'`
   * sends the objects (structured clone). docs/benchmarks.md compares them.
   */
  transport?: EventsTransport
  /** Replay pages a subscription may have unacknowledged before its replay waits (default 4). */
  maxPagesInFlight?: number
  /** Where problems that have no caller to reject go (a subscription the worker refused); default console.warn. */
  log?: (message: string) => void
  /** Tests only: when asked `command`, the worker throws `message`, uncaught. */
  crashOn?: { command: string; message: string }
}

/** The runtime in a worker thread: the same interface, plus how to learn that the thread died. */
export interface ThreadedRuntime extends TaskdeckRuntime {
  /** The worker's thread id (diagnostics). */
  readonly threadId: number
  /**
   * Called once if the worker stops without being closed (an uncaught error, an exit, out of
   * memory). By then every call in flight has been rejected with the same error, and every
   * later call is; subscriptions deliver nothing more.
   */
  onDidFail(listener: (error: Error) => void): Disposable
}

const CLOSE_EXIT_WAIT_MS = 10_000

interface Subscription {
  listener: (events: readonly EngineEvent[]) => void
  options: SubscribeOptions
}

/**
 * Opens the runtime (`openRuntime`: engine, its SQLite store, triggers, the local HTTP +
 * WebSocket server) in a `worker_threads` Worker, and returns the same interface on this
 * thread. The desktop app uses it so that nothing the engine does synchronously (a replay of
 * 100,000 events, an import, a long log read) holds Electron's main thread, which draws
 * nothing itself but moves windows, menus, the tray and every IPC message.
 *
 * - `api.handlers`: one async proxy per command the worker serves; params are checked again
 *   in the worker against the contract; refusals come back as TaskdeckErrors with their code,
 *   message and details, other errors with their name and message.
 * - `api.subscribe`: answers at once with the head seq the worker last committed (a shared
 *   counter, written before any other subscriber sees the event), then delivers the replay and
 *   live events in order, one message per batch; replay pages wait while more than
 *   `maxPagesInFlight` are unacknowledged, so a slow main thread is never flooded.
 * - Shortcuts: the bindings are mirrored here (`shortcutBindings()` and `pressShortcut()` stay
 *   synchronous); a press is sent to the worker.
 * - `options.secrets` (Electron's safeStorage) stays on this thread: the worker asks and waits.
 */
export async function openRuntimeInWorker(options: RuntimeThreadOptions): Promise<ThreadedRuntime> {
  const { workerEntry, transport = 'json', maxPagesInFlight = 4, log = (message: string) => console.warn(`[taskdeck] ${message}`), crashOn, secrets, ...runtimeOptions } = options
  const head = new SharedArrayBuffer(8)
  const headSeq = new BigInt64Array(head)
  let secretPort: MessagePort | null = null
  let secretsData: RuntimeWorkerData['secrets'] = null
  if (secrets) {
    const channel = new MessageChannel()
    const flag = new SharedArrayBuffer(4)
    secretPort = channel.port1
    secretsData = { description: secrets.description, port: channel.port2, flag }
    const flags = new Int32Array(flag)
    secretPort.on('message', (raw: unknown) => {
      let answer: SecretAnswer
      try {
        const question = parseMessage(SecretQuestionSchema, raw, 'secret question from the runtime thread')
        try {
          answer = { id: question.id, text: question.op === 'seal' ? secrets.seal(question.text) : secrets.open(question.text) }
        } catch (error) {
          answer = { id: question.id, error: toWire(error) }
        }
      } catch (error) {
        answer = { id: -1, error: toWire(error) }
      }
      secretPort?.postMessage(answer)
      Atomics.store(flags, 0, 1)
      Atomics.notify(flags, 0)
    })
  }
  const workerData: RuntimeWorkerData = { options: runtimeOptions, head, secrets: secretsData, maxPagesInFlight, ...(crashOn ? { crashOn } : {}) }
  const worker = new Worker(workerEntry ?? defaultRuntimeWorkerEntry(), { workerData, transferList: secretsData ? [secretsData.port] : [], name: 'taskdeck-runtime' })

  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  const subscriptions = new Map<number, Subscription>()
  const failListeners = new Set<(error: Error) => void>()
  const shortcutListeners = new Set<(bindings: ShortcutBinding[]) => void>()
  let shortcuts: ShortcutBinding[] = []
  let nextCall = 1
  let nextSub = 1
  let failure: Error | null = null
  let closing: Promise<void> | null = null
  let onClosed: (() => void) | null = null
  let opened: ((message: Extract<FromWorker, { kind: 'ready' }>) => void) | null = null
  let openFailed: ((error: Error) => void) | null = null

  const post = (message: ToWorker) => worker.postMessage(message)

  const fail = (error: Error) => {
    if (failure) return
    failure = new TaskdeckError('internal', `Taskdeck's engine stopped unexpectedly: ${error.message}`, { thread: 'runtime' })
    failure.stack = `${failure.stack ?? ''}\n    --- caused by ---\n${error.stack ?? error.message}`
    secretPort?.close()
    for (const { reject } of pending.values()) reject(failure)
    pending.clear()
    subscriptions.clear()
    openFailed?.(failure)
    if (closing === null) for (const listener of failListeners) listener(failure)
    onClosed?.()
  }

  worker.on('error', (error: Error) => fail(error))
  worker.on('exit', (code) => {
    secretPort?.close()
    if (onClosed && closing) onClosed()
    else fail(new Error(`the runtime thread exited (code ${code}) without being closed`))
  })

  const acknowledge = (sub: number, subscription: Subscription) => {
    const ready = subscription.options.readyForPage
    if (ready && !ready()) {
      setTimeout(() => acknowledge(sub, subscription), 10)
      return
    }
    if (failure === null && closing === null && subscriptions.get(sub) === subscription) post({ kind: 'ack', sub })
  }

  const deliver = (message: Extract<FromWorker, { kind: 'events' }>) => {
    const subscription = subscriptions.get(message.sub)
    if (!subscription) return
    if (message.pages) {
      const pages = message.pages as StoredEventText[]
      if (subscription.options.onStoredPage) subscription.options.onStoredPage(pages)
      else subscription.listener(pages.map((e) => JSON.parse(e.json) as EngineEvent))
    } else if (message.json !== undefined) {
      subscription.listener(JSON.parse(message.json) as EngineEvent[])
    } else if (message.events) {
      subscription.listener(message.events as EngineEvent[])
    }
    acknowledge(message.sub, subscription)
  }

  worker.on('message', (raw: unknown) => {
    let message: FromWorker
    try {
      message = parseMessage(FromWorkerSchema, raw, 'message from the runtime thread')
    } catch (error) {
      fail(error as Error)
      void worker.terminate()
      return
    }
    switch (message.kind) {
      case 'ready':
        shortcuts = message.shortcuts
        opened?.(message)
        break
      case 'openFailed':
        openFailed?.(fromWire(message.error))
        break
      case 'reply': {
        const call = pending.get(message.id)
        pending.delete(message.id)
        if (message.result.ok) call?.resolve(message.result.value)
        else call?.reject(fromWire(message.result.error))
        break
      }
      case 'events':
        deliver(message)
        break
      case 'subscribeFailed':
        subscriptions.delete(message.sub)
        log(`the runtime thread refused subscription ${message.sub}: ${message.error.message}`)
        break
      case 'shortcuts':
        shortcuts = message.bindings
        for (const listener of shortcutListeners) listener(shortcuts)
        break
      case 'closed':
        break
    }
  })

  const ready = await new Promise<Extract<FromWorker, { kind: 'ready' }>>((resolve, reject) => {
    opened = resolve
    openFailed = (error) => {
      reject(error)
      // The worker ends by itself after saying why; make sure of it.
      void worker.terminate()
    }
  }).finally(() => {
    opened = null
    openFailed = null
  })

  const call = (command: CommandName, params: unknown): Promise<unknown> => {
    if (failure) return Promise.reject(failure)
    if (closing) return Promise.reject(new TaskdeckError('internal', 'The engine is closed.'))
    const id = nextCall++
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject })
      post({ kind: 'call', id, command, params })
    })
  }
  const handlers = Object.fromEntries(ready.commands.map((command) => [command, (params: unknown) => call(command, params)])) as unknown as EngineApi['handlers']

  const close = (): Promise<void> => {
    closing ??= failure
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            log(`the runtime thread did not exit within ${CLOSE_EXIT_WAIT_MS / 1000} s of closing; terminating it`)
            void worker.terminate()
          }, CLOSE_EXIT_WAIT_MS)
          onClosed = () => {
            clearTimeout(timer)
            resolve()
          }
          subscriptions.clear()
          post({ kind: 'close' })
        }).then(() => {
          const stopped = failure
          // A failure while closing (the runtime's close threw) is the close's error.
          if (stopped) throw stopped
        })
    return closing
  }

  const api: EngineApi = {
    handlers,
    subscribe(since: number, listener: (events: readonly EngineEvent[]) => void, subscribeOptions: SubscribeOptions = {}) {
      if (failure) throw failure
      if (closing) throw new TaskdeckError('internal', 'The engine is closed.')
      const head = Number(Atomics.load(headSeq, 0))
      if (since > head) throw sinceBeyondHead(since, head)
      const sub = nextSub++
      subscriptions.set(sub, { listener, options: subscribeOptions })
      const { types } = subscribeOptions
      post({ kind: 'subscribe', sub, since, text: subscribeOptions.onStoredPage !== undefined, transport, ...(types ? { types: [...types] } : {}) })
      return {
        headSeq: head,
        dispose: () => {
          if (subscriptions.delete(sub) && failure === null && closing === null) post({ kind: 'unsubscribe', sub })
        },
      }
    },
    close,
  }

  const runtime: ThreadedRuntime = {
    api,
    server: ready.server,
    threadId: worker.threadId,
    shortcutBindings: () => shortcuts,
    onDidChangeShortcuts(listener) {
      shortcutListeners.add(listener)
      return { dispose: () => void shortcutListeners.delete(listener) }
    },
    pressShortcut(accelerator) {
      if (failure || closing || resolveShortcut(shortcuts, accelerator) === null) return false
      post({ kind: 'press', accelerator })
      return true
    },
    onDidFail(listener) {
      failListeners.add(listener)
      return { dispose: () => void failListeners.delete(listener) }
    },
    close,
  }
  // The Worker itself, for tests that stop it from outside as a crash would.
  Object.defineProperty(runtime, RUNTIME_WORKER, { value: worker })
  return runtime
}

/** Where a ThreadedRuntime keeps its Worker (not enumerable; tests and diagnostics only). */
export const RUNTIME_WORKER = Symbol.for('taskdeck.runtimeWorker')
