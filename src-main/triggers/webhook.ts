import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WebhookSpec } from '../../src-shared/index.ts'
import type { SecretChecker } from './secrets.ts'

/** One `POST /hooks/:id` as any server sees it; header names in lower case. */
export interface WebhookRequest {
  /** The `:id` part of the URL, unparsed. */
  hookId: string
  headers: Readonly<Record<string, string | readonly string[] | undefined>>
  /** The body already read (a server that reads bodies itself), or a stream to read with this hook's limit. */
  body: Uint8Array | AsyncIterable<Uint8Array>
  /** The URL's query (`?env=prod`), when the server parsed it. */
  query?: URLSearchParams
}

export interface WebhookResponse {
  status: number
  headers: Record<string, string>
  body: { ok: true; firingId: number; taskId: number | null; duplicate?: true } | { ok: false; error: string }
}

/** What the webhook handler needs from the triggers: the hook's spec and a way to fire it. */
export interface WebhookTarget {
  triggerId: number
  spec: WebhookSpec
  paused: boolean
  /**
   * `deliveryId`: the sender's name for this delivery, remembered with the firing when it starts a task. `duplicate`:
   * the delivery's task was already submitted (before a restart that lost its firing's record), none was started now.
   */
  fire(webhook: WebhookCall & { bytes: number; deliveryId?: string }): Promise<Fired>
}

export const SECRET_HEADER = 'x-taskdeck-secret'

/**
 * What the task is told of a call: the body, the query, and the headers (GitHub, Gitea and
 * GitLab say which event it was in X-GitHub-Event, X-Gitea-Event, X-Gitlab-Event), without
 * any header that carries a credential.
 */
export interface WebhookCall {
  contentType: string | null
  body: unknown
  query: Record<string, string | string[]>
  headers: Record<string, string>
}

/**
 * Headers whose name says they carry a credential (X-Taskdeck-Secret, Authorization,
 * X-Gitlab-Token, a relay's X-Api-Key or X-Auth-Token, Cookie, X-Session-Id…): never handed to
 * the task, never stored with it. A rule on the name rather than a list, because a relay may
 * name its credential anything; signatures (X-Hub-Signature-256) stay, as they vouch only for
 * this payload and a script may check them.
 */
const CREDENTIAL_HEADER_NAME = /auth|token|secret|passw|api[-_]?key|cookie|session|credential/i

// Both are built with Object.fromEntries, which defines each key as an own property: an assignment
// of the caller's `__proto__` would set the object's prototype and drop the key.

function callHeaders(request: WebhookRequest): Record<string, string> {
  return Object.fromEntries(
    Object.entries(request.headers)
      .filter((entry): entry is [string, string | readonly string[]] => entry[1] !== undefined && !CREDENTIAL_HEADER_NAME.test(entry[0]))
      .map(([name, value]) => [name.toLowerCase(), typeof value === 'string' ? value : value.join(', ')]),
  )
}

function callQuery(query: URLSearchParams | undefined): Record<string, string | string[]> {
  if (query === undefined) return {}
  return Object.fromEntries(
    [...new Set(query.keys())].map((key) => {
      const all = query.getAll(key)
      return [key, all.length === 1 ? all[0]! : all]
    }),
  )
}

/**
 * Counts requests per key in a sliding window. Hand-written because it is a dozen lines
 * over a list of timestamps, cheaper than a dependency.
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>()
  private readonly now: () => number
  constructor(now: () => number) {
    this.now = now
  }

  /** Records a hit; returns how long to wait (ms) when over the limit, else 0. */
  take(key: string, max: number, windowMs: number): number {
    const now = this.now()
    const recent = (this.hits.get(key) ?? []).filter((at) => at > now - windowMs)
    if (recent.length >= max) {
      this.hits.set(key, recent)
      return recent[0]! + windowMs - now
    }
    recent.push(now)
    this.hits.set(key, recent)
    return 0
  }

  forget(key: string): void {
    this.hits.delete(key)
  }
}

/**
 * Headers that name one delivery, kept the same when the sender retries it: the IETF draft's
 * Idempotency-Key (GitLab sends it on retries too), GitHub's X-GitHub-Delivery (also on a manual
 * redelivery), Gitea's and Forgejo's X-Gitea-Delivery, Gogs' X-Gogs-Delivery and GitLab's
 * X-Gitlab-Event-UUID. The first one present names the delivery.
 */
export const DELIVERY_ID_HEADERS = ['idempotency-key', 'x-github-delivery', 'x-gitea-delivery', 'x-gogs-delivery', 'x-gitlab-event-uuid'] as const

/**
 * How long, and how many per hook, delivery ids are remembered: in memory while their delivery
 * is under way, and in the triggers' store (trg_deliveries, written with the firing) once it
 * started its task, so a retry after a restart starts nothing either.
 */
export const DELIVERY_WINDOW = { ms: 24 * 60 * 60 * 1000, perHook: 1000 }

type Fired = { firingId: number; taskId: number | null; error: string | null; duplicate?: true }

/** Where deliveries that started their task are kept across restarts (the triggers' store). */
export interface DeliveryRecords {
  /** The firing and task of this hook's delivery, if it was recorded after `after` (ms). */
  delivery(triggerId: number, deliveryId: string, after: number): { firingId: number; taskId: number | null } | null
}

/**
 * The deliveries each hook accepted recently, by delivery id, so a sender's retry of one it
 * already delivered (its timeout was shorter than our answer, a manual redelivery, a retry
 * after Taskdeck restarted) starts nothing. A delivery under way is remembered as its promise:
 * a copy that arrives meanwhile waits for it instead of firing too. One that started its task
 * is also in `records` (the firing's projection wrote it), which outlive this process. A
 * delivery whose task was refused is forgotten, so a retry may fire. Oldest first; at most
 * `perHook` per hook.
 *
 * A delivery under way when the process died was never answered, and its firing, if not
 * recorded, did not record its id either: its retry is served again. If the task had been
 * submitted before the death, it carries the delivery's idempotency key (keys.ts), so the retry
 * finds it and records the firing with it (answered as a duplicate); if not, the retry starts
 * it. One task per delivery id either way (docs/triggers.md, "Repeated deliveries").
 */
export class DeliveryWindow {
  private readonly byHook = new Map<number, Map<string, { at: number; fired: Promise<Fired> }>>()
  private readonly now: () => number
  private readonly records: DeliveryRecords | null
  constructor(now: () => number, records: DeliveryRecords | null = null) {
    this.now = now
    this.records = records
  }

  /** The earlier delivery with this id (still under way, or done), or null after recording this one as `fire()`. */
  deliver(triggerId: number, deliveryId: string, fire: () => Promise<Fired>): { duplicate: boolean; fired: Promise<Fired> } {
    let seen = this.byHook.get(triggerId)
    if (!seen) this.byHook.set(triggerId, (seen = new Map<string, { at: number; fired: Promise<Fired> }>()))
    const now = this.now()
    for (const [id, entry] of seen) {
      if (entry.at > now - DELIVERY_WINDOW.ms && seen.size < DELIVERY_WINDOW.perHook) break
      seen.delete(id)
    }
    const earlier = seen.get(deliveryId)
    if (earlier) return { duplicate: true, fired: earlier.fired }
    const recorded = this.records?.delivery(triggerId, deliveryId, now - DELIVERY_WINDOW.ms)
    if (recorded) return { duplicate: true, fired: Promise.resolve({ ...recorded, error: null }) }
    const fired = fire()
    const entry = { at: now, fired }
    seen.set(deliveryId, entry)
    const forget = () => {
      if (seen.get(deliveryId) === entry) seen.delete(deliveryId)
    }
    void fired.then((result) => (result.error === null ? undefined : forget()), forget)
    return { duplicate: false, fired }
  }
}

function deliveryIdOf(request: WebhookRequest): string | null {
  for (const name of DELIVERY_ID_HEADERS) {
    const value = header(request, name)?.trim()
    if (value) return value.slice(0, 255)
  }
  return null
}

/** Unknown hook ids share one bucket, so probing ids costs as much as probing secrets. */
const UNKNOWN_HOOK_LIMIT = { max: 60, windowMs: 60_000 }

function header(request: WebhookRequest, name: string): string | null {
  const value = request.headers[name]
  if (typeof value === 'string') return value
  return value?.[0] ?? null
}

/**
 * GitHub (and Gitea, Forgejo) sign the body with the hook's secret instead of sending it.
 * Checking a signature needs the secret itself, which Taskdeck does not keep (only a hash),
 * so such calls are refused with a message that says how to send the secret instead.
 */
export const SIGNATURE_HEADER = 'x-hub-signature-256'

/** The secret as sent: our header, a bearer token, or GitLab's token header. */
function secretOf(request: WebhookRequest): string | null {
  const auth = header(request, 'authorization')
  const bearer = auth ? /^Bearer\s+(\S+)$/i.exec(auth)?.[1] : undefined
  return header(request, SECRET_HEADER) ?? bearer ?? header(request, 'x-gitlab-token') ?? null
}

const refuse = (status: number, error: string, headers: Record<string, string> = {}): WebhookResponse => ({
  status,
  headers,
  body: { ok: false, error },
})

/** Reads at most `limit` bytes; null when the body is longer (reading stops there). */
async function readBody(body: Uint8Array | AsyncIterable<Uint8Array>, limit: number): Promise<Buffer | null> {
  if (body instanceof Uint8Array) return body.byteLength > limit ? null : Buffer.from(body)
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.byteLength
    if (size > limit) return null
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/**
 * Handles one webhook call, checking in this order: rate limit (counting refused calls
 * too), known hook, a secret given, declared size, the secret (against the hook's salted
 * scrypt hash, compared in constant time), actual size, paused, JSON when the content type
 * says JSON. Accepted calls fire the trigger and answer 202
 * with the firing and the task it created.
 */
export async function handleWebhook(
  request: WebhookRequest,
  lookup: (triggerId: number) => WebhookTarget | null,
  limiter: RateLimiter,
  secrets: SecretChecker,
  deliveries?: DeliveryWindow,
): Promise<WebhookResponse> {
  const triggerId = /^[1-9]\d{0,15}$/.test(request.hookId) ? Number(request.hookId) : null
  const target = triggerId === null ? null : lookup(triggerId)
  const limit = target ? target.spec.rateLimit : UNKNOWN_HOOK_LIMIT
  const waitMs = limiter.take(target ? `hook:${target.triggerId}` : 'unknown', limit.max, limit.windowMs)
  if (waitMs > 0) {
    return refuse(429, 'Too many requests for this hook; try again later.', { 'retry-after': String(Math.ceil(waitMs / 1000)) })
  }
  if (!target) return refuse(404, `No webhook trigger ${request.hookId.slice(0, 32)}.`)

  const secret = secretOf(request)
  if (secret === null) {
    const signedOnly = header(request, SIGNATURE_HEADER) !== null
    return refuse(
      401,
      signedOnly
        ? `Body signatures (${SIGNATURE_HEADER}) cannot be checked: Taskdeck keeps only a hash of each hook's secret. Send the secret in the ${SECRET_HEADER} header or as "Authorization: Bearer <secret>".`
        : `Missing secret: send it in the ${SECRET_HEADER} header or as "Authorization: Bearer <secret>".`,
      { 'www-authenticate': 'Bearer' },
    )
  }
  const maxBytes = target.spec.maxBodyBytes
  const declared = Number(header(request, 'content-length') ?? '0')
  if (declared > maxBytes) return refuse(413, `Body too large: ${declared} bytes; this hook takes at most ${maxBytes}.`)
  // Checked before the body is read, so a caller without the secret cannot make us read it.
  if (target.spec.secretHash === undefined || !(await secrets.check(secret, target.spec.secretHash))) {
    return refuse(401, 'Wrong secret for this hook.', { 'www-authenticate': 'Bearer' })
  }
  const raw = await readBody(request.body, maxBytes)
  if (raw === null) return refuse(413, `Body too large: this hook takes at most ${maxBytes} bytes.`)
  if (target.paused) return refuse(409, `Trigger ${target.triggerId} is paused.`)

  const contentType = header(request, 'content-type')
  let body: unknown = raw.toString('utf8')
  if (raw.length === 0) body = null
  else if (contentType && /^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    try {
      body = JSON.parse(body as string)
    } catch (error) {
      return refuse(400, `Body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  const deliveryId = deliveries ? deliveryIdOf(request) : null
  const fire = () =>
    target.fire({ contentType, body, query: callQuery(request.query), headers: callHeaders(request), bytes: raw.length, ...(deliveryId === null ? {} : { deliveryId }) })
  const delivery = deliveries && deliveryId !== null ? deliveries.deliver(target.triggerId, deliveryId, fire) : { duplicate: false, fired: fire() }
  const fired = await delivery.fired
  if (fired.error !== null) {
    return { status: 422, headers: {}, body: { ok: false, error: `The trigger fired but its task was refused: ${fired.error}` } }
  }
  // A repeated delivery: 200 (done before), not 202 (accepted now), with what the first one started.
  if (delivery.duplicate || fired.duplicate === true) return { status: 200, headers: {}, body: { ok: true, firingId: fired.firingId, taskId: fired.taskId, duplicate: true } }
  return { status: 202, headers: {}, body: { ok: true, firingId: fired.firingId, taskId: fired.taskId } }
}

/** Writes a webhook response on a node:http response. */
export function sendWebhookResponse(res: ServerResponse, response: WebhookResponse): void {
  const text = JSON.stringify(response.body)
  res.writeHead(response.status, {
    ...response.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
  })
  res.end(text)
}

/** The node:http request as a `WebhookRequest`. */
export const webhookRequestOf = (req: IncomingMessage, hookId: string): WebhookRequest => ({
  hookId,
  headers: req.headers,
  body: req,
  query: new URL(req.url ?? '/', 'http://localhost').searchParams,
})
