import type { CommandInput, CommandName, CommandResult, EngineEvent, OutputMode, Result } from '../src-shared/index.ts'
import type { DesktopIntent, ShortcutProblem } from '../src-shared/decisions/intents.ts'
import { IPC_CHANNELS, type EventPush } from '../src-shared/decisions/ipc.ts'
import type { TaskdeckPreloadApi } from './bridge.ts'

/** The slice of ipcRenderer the preload uses; tests pass a recording stand-in. */
export interface PreloadIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
}

/** Must equal the contract's PROTOCOL_VERSION (a test checks); kept here so the preload bundle stays free of zod. */
export const PRELOAD_PROTOCOL_VERSION = 1

/**
 * Main keeps one connection per window across reloads and tags event batches with the id
 * of the subscribing request; a page that started counting at 1 again could take a batch
 * still in flight for the page before it. Starting each page at a random id avoids that.
 */
function randomFirstId(): number {
  const [value = 0] = crypto.getRandomValues(new Uint32Array(1))
  return value + 1
}

type IntentListener = (intent: DesktopIntent) => void
type StatusListener = (problems: ShortcutProblem[]) => void

/**
 * Builds `window.taskdeck` over ipcRenderer. Only these four functions cross the
 * bridge; ipcRenderer and Electron's event objects never reach the page.
 */
export function createPreloadApi(ipc: PreloadIpc, firstRequestId = randomFirstId()): TaskdeckPreloadApi {
  let nextRequestId = firstRequestId

  async function invoke<N extends CommandName>(command: N, params: CommandInput<N>): Promise<Result<CommandResult<N>>> {
    const id = nextRequestId++
    try {
      return (await ipc.invoke(IPC_CHANNELS.invoke, { v: PRELOAD_PROTOCOL_VERSION, id, command, params })) as Result<CommandResult<N>>
    } catch (error) {
      return { ok: false, error: { code: 'internal', message: `IPC failed: ${error instanceof Error ? error.message : String(error)}` } }
    }
  }

  function subscribe(
    since: number,
    onEvents: (events: EngineEvent[]) => void,
    options: { output?: OutputMode; onHead?: (headSeq: number | null) => void; onEventsText?: (json: string) => void } = {},
  ): () => void {
    const subscription = nextRequestId
    let active = true
    const listener = (_event: unknown, push: unknown) => {
      const { subscription: tag, events, json } = push as EventPush
      if (!active || tag !== subscription) return
      if (typeof json !== 'string') onEvents(events)
      else if (options.onEventsText) options.onEventsText(json)
      else onEvents(JSON.parse(json) as EngineEvent[])
    }
    ipc.on(IPC_CHANNELS.events, listener)
    const dispose = () => {
      active = false
      ipc.removeListener(IPC_CHANNELS.events, listener)
    }
    void invoke('events.subscribe', options.output ? { since, output: options.output } : { since }).then((result) => {
      if (!result.ok) {
        console.error(`Taskdeck: events.subscribe failed: ${result.error.message}`)
        dispose()
        options.onHead?.(null)
        return
      }
      if (active) options.onHead?.(result.value.headSeq)
    })
    return dispose
  }

  // Intents may arrive before the page listens (a deep link at cold start): hold them.
  const held: DesktopIntent[] = []
  const intentListeners = new Set<IntentListener>()
  ipc.on(IPC_CHANNELS.intents, (_event, intent) => {
    if (intentListeners.size === 0) held.push(intent as DesktopIntent)
    for (const listener of [...intentListeners]) listener(intent as DesktopIntent)
  })

  function onDesktopIntent(listener: IntentListener): () => void {
    // A fresh function per registration, so the same listener added twice is removed one at a time.
    const registration: IntentListener = (intent) => listener(intent)
    intentListeners.add(registration)
    for (const intent of held.splice(0)) registration(intent)
    return () => {
      intentListeners.delete(registration)
    }
  }

  // Registration happens at startup, before the page can listen: keep the latest status.
  let shortcutProblems: ShortcutProblem[] = []
  const statusListeners = new Set<StatusListener>()
  ipc.on(IPC_CHANNELS.shortcutStatus, (_event, problems) => {
    shortcutProblems = problems as ShortcutProblem[]
    for (const listener of [...statusListeners]) listener(shortcutProblems)
  })

  function onShortcutStatus(listener: StatusListener): () => void {
    const registration: StatusListener = (problems) => listener(problems)
    statusListeners.add(registration)
    registration(shortcutProblems)
    return () => {
      statusListeners.delete(registration)
    }
  }

  return { invoke, subscribe, onDesktopIntent, onShortcutStatus }
}
