import { asyncScheduler } from 'rxjs'
import type { SystemEvent } from '../../src-shared/index.ts'
import type { Disposable } from '../engine/api.ts'
import type { EngineExtensionHost } from '../engine/host.ts'
import type { Clock } from './pipeline.ts'
import { TriggerService, type TriggerCommandHandlers } from './service.ts'
import { SecretChecker } from './secrets.ts'
import type { ShortcutBinding } from './shortcuts.ts'
import { DeliveryWindow, RateLimiter, handleWebhook, type WebhookRequest, type WebhookResponse } from './webhook.ts'

export type { Clock } from './pipeline.ts'
export type { TriggerCommandName } from '../../src-shared/index.ts'
export type { TriggerCommandHandlers } from './service.ts'
export type { ShortcutBinding } from './shortcuts.ts'
export { resolveShortcut } from './shortcuts.ts'
export type { WebhookRequest, WebhookResponse } from './webhook.ts'
export { SECRET_HEADER, SIGNATURE_HEADER, sendWebhookResponse, webhookRequestOf } from './webhook.ts'

export interface TriggersOptions {
  /** Wall clock and timer scheduler; defaults to the engine's clock and real timers. */
  clock?: Clock
  /** A schedule slot this late when noticed still runs as on time; older ones were missed (default 60 s). */
  lateToleranceMs?: number
  /** Longest timer, so a sleep or clock change is noticed within it (default 60 s). */
  maxTimerMs?: number
  /** Repeated presses of a shortcut within this window start one task (default 1 s). */
  shortcutThrottleMs?: number
  /** Most tasks in a row that completion triggers start from one another before the chain is stopped (default 32). */
  maxChainDepth?: number
}

/** The largest body any hook may accept (`maxBodyBytes` is capped by the contract at this). */
export const WEBHOOK_MAX_BODY_BYTES = 512 * 1024

/**
 * Structurally the server's `HttpRoute` (src-main/server/routes.ts): mount it with
 * `server.addRoute(triggers.webhookRoute)` or `createServer({ routes: [triggers.webhookRoute] })`.
 */
export interface WebhookRoute {
  readonly method: 'POST'
  readonly path: '/hooks/:id'
  readonly auth: 'none'
  readonly maxBodyBytes: number
  handle(request: {
    readonly params: Readonly<Record<string, string>>
    readonly query?: URLSearchParams
    readonly headers: WebhookRequest['headers']
    readonly body: Uint8Array
  }): Promise<{ status: number; body: WebhookResponse['body']; headers: Record<string, string> }>
}

/**
 * Saved tasks and triggers on top of a running engine. The surface, for the composition root:
 *
 * - `handlers`: one handler per trigger command (`savedTask.*`, `trigger.*`); merge them with
 *   the engine's handlers so every transport serves them.
 * - `webhookRoute`: `POST /hooks/:id` for the local server (auth 'none': each hook checks
 *   its own secret); `handleWebhook` is the same for any other HTTP stack.
 * - `shortcutBindings()` / `onDidChangeShortcuts(listener)`: what the desktop adapter should
 *   register with `globalShortcut`; it calls `pressShortcut(accelerator)` when one is pressed.
 * - `onDidChangeSystemEvents(listener)`: the system events running triggers wait for, told at once
 *   and on every change, so a monitor that must poll (the network's links, a wake) runs only then.
 * - `ready()`: resolves once file watchers have done their initial scan (tests, start-up).
 * - `dispose()`: stops every trigger and closes the watchers; call it before `engine.close()`.
 */
export interface Triggers {
  readonly handlers: TriggerCommandHandlers
  readonly webhookRoute: WebhookRoute
  handleWebhook(request: WebhookRequest): Promise<WebhookResponse>
  shortcutBindings(): ShortcutBinding[]
  onDidChangeShortcuts(listener: (bindings: ShortcutBinding[]) => void): Disposable
  pressShortcut(accelerator: string): boolean
  onDidChangeSystemEvents(listener: (events: ReadonlySet<SystemEvent>) => void): Disposable
  ready(): Promise<void>
  dispose(): Promise<void>
}

export function createTriggers(host: EngineExtensionHost, options: TriggersOptions = {}): Triggers {
  const clock = options.clock ?? { now: () => host.now(), scheduler: asyncScheduler }
  const service = new TriggerService(host, {
    clock,
    lateToleranceMs: options.lateToleranceMs ?? 60_000,
    maxTimerMs: options.maxTimerMs ?? 60_000,
    shortcutThrottleMs: options.shortcutThrottleMs ?? 1000,
    maxChainDepth: options.maxChainDepth ?? 32,
  })
  const limiter = new RateLimiter(() => clock.now())
  const secrets = new SecretChecker()
  const deliveries = new DeliveryWindow(() => clock.now(), service.deliveryRecords)
  const handle = (request: WebhookRequest): Promise<WebhookResponse> =>
    handleWebhook(request, (triggerId) => service.webhookTarget(triggerId), limiter, secrets, deliveries)
  return {
    handlers: service.commands,
    webhookRoute: {
      method: 'POST',
      path: '/hooks/:id',
      auth: 'none',
      maxBodyBytes: WEBHOOK_MAX_BODY_BYTES,
      handle: (request) => handle({ hookId: request.params.id ?? '', headers: request.headers, body: request.body, ...(request.query ? { query: request.query } : {}) }),
    },
    handleWebhook: handle,
    shortcutBindings: () => service.shortcutBindings(),
    onDidChangeShortcuts: (listener) => service.onDidChangeShortcuts(listener),
    pressShortcut: (accelerator) => service.pressShortcut(accelerator),
    onDidChangeSystemEvents: (listener) => service.onDidChangeSystemEvents(listener),
    ready: () => service.ready(),
    dispose: () => service.dispose(),
  }
}
