import { BehaviorSubject, NEVER, type Observable } from 'rxjs'
import { checkEventFrames, lastSeqAfter, type CommandName, type EngineEvent, type Result } from '../../src-shared/index.ts'
import type { Bridge, ConnectionState } from './types.ts'

/** What ipcBridge uses of `window.taskdeck` (the preload's TaskdeckPreloadApi). */
export interface PreloadApi {
  invoke: Bridge['invoke']
  subscribe(
    since: number,
    onEvents: (events: EngineEvent[]) => void,
    options?: Parameters<Bridge['subscribe']>[2] & { onEventsText?: (json: string) => void },
  ): () => void
}

/**
 * Under Electron the preload already offers the Bridge's invoke and subscribe. IPC has
 * no `resync` (main never drops a window's events), so nothing is lost on the way.
 *
 * What main sends is checked like what a server sends over the WebSocket (docs/architecture.md,
 * "Trust boundaries"): every answer must be a Result, and every pushed batch's framing (known
 * event types, a seq that continues the sequence). A batch the app does not understand stops the
 * subscription and turns the connection to `refused`, naming the problem, instead of being
 * folded; an answer that is not a Result becomes an `internal` error for the caller.
 */
export function ipcBridge(api: PreloadApi): Bridge & { connection$: Observable<ConnectionState> } {
  const connection$ = new BehaviorSubject<ConnectionState>({ kind: 'online' })
  return {
    connection$: connection$.asObservable(),
    invoke: async (command, params) => checkedResult(command, await api.invoke(command, params)),
    subscribe: (since, onEvents, options = {}) => {
      const { onHead, ...transportOptions } = options
      let lastSeq = since
      let active = true
      const refuse = (problem: string) => {
        active = false
        dispose()
        connection$.next({ kind: 'refused', reason: `The app's main process sent events the window does not understand: ${problem}.` })
      }
      const take = (events: unknown[]) => {
        if (!active) return
        const problem = checkEventFrames(lastSeq, events, { repeats: true, durableOnly: false })
        // A seq that skips ahead is a hole, not a message the app fails to understand: the subscriber's
        // sequence check (streams/sequence.ts) keeps what came before it and subscribes again from there.
        if (problem && !problem.gap) return refuse(problem.message)
        const checked = events as EngineEvent[]
        lastSeq = lastSeqAfter(lastSeq, checked)
        onEvents(checked)
      }
      const dispose = api.subscribe(since, take, {
        ...transportOptions,
        // Replayed history as the log's text, forwarded unparsed by main: parsed here, then checked as any batch.
        onEventsText: (json: string) => {
          if (!active) return
          let events: unknown
          try {
            events = JSON.parse(json)
          } catch (error) {
            return refuse(`replayed events that are not JSON (${error instanceof Error ? error.message : String(error)})`)
          }
          if (!Array.isArray(events)) return refuse('replayed events that are not a list')
          take(events)
        },
        // The subscribe reply's head, passed on by the preload; one that is not a seq (main's answers are not trusted) is no head.
        onHead: (headSeq: unknown) => {
          if (active) onHead?.(typeof headSeq === 'number' && Number.isSafeInteger(headSeq) && headSeq >= 0 ? headSeq : null)
        },
      })
      return () => {
        active = false
        dispose()
      }
    },
    resync$: NEVER,
  }
}

function checkedResult<T>(command: CommandName, answer: Result<T>): Result<T> {
  const ok = (answer as { ok?: unknown } | null)?.ok
  if (typeof answer === 'object' && answer !== null && typeof ok === 'boolean') return answer
  return { ok: false, error: { code: 'internal', message: `${command}: the app's main process answered with something that is not a result` } }
}
