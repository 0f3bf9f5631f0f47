import { createHash } from 'node:crypto'
import { appendFile, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { basename, extname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent, Pool, fetch } from 'undici'
import type { Response } from 'undici'
import { parse as parseContentDisposition } from 'content-disposition'
import sanitizeFilename from 'sanitize-filename'
import { TaskdeckError } from '../../../src-shared/index.ts'
import type { EndReason, HttpSpec } from '../../../src-shared/index.ts'
import type { RunContext, RunOutcome, Runner, StartedRun } from './types.ts'
import { httpStatusFailure } from '../end-reasons.ts'
import { relativePathProblem } from './paths.ts'

export interface HttpRunnerOptions {
  /** First retry waits about this long; each further retry doubles it (with jitter). */
  retryBaseDelayMs?: number
  /** No retry waits longer than this, even when the server's Retry-After asks for more. */
  retryMaxDelayMs?: number
  /** Per-URL entries kept in the run's result; the log always has every URL. */
  maxResultEntries?: number
}

type HttpRequest = HttpSpec['requests'][number]

/** What the run's result says about one request. */
export interface HttpRequestSummary {
  url: string
  method: string
  /** The last HTTP status seen, or null when no response arrived. */
  status: number | null
  /** The URL of the final response, when redirects were followed elsewhere. */
  finalUrl?: string
  /** Where the redirect pointed, when redirects are not followed. */
  location?: string
  /** The saved file's size when saved (resumed or kept: the whole file), else the body's bytes. */
  bytes: number
  ms: number
  /** Requests sent for it in this run: 0 when an earlier run's file was kept. */
  attempts: number
  file?: string
  /** Set when the file was already complete from an earlier run of the task and was not fetched again. */
  kept?: true
  /** Set when the download continued a partial file (Range): the bytes that were already on disk. */
  resumedFrom?: number
  error?: string
}

export interface HttpRunResult {
  total: number
  succeeded: number
  failed: number
  bytes: number
  requests: HttpRequestSummary[]
  /** How many per-URL entries were left out of `requests` to keep the result small. */
  omitted: number
}

/** A request failure with a sentence for the log; `retryable` says whether trying again could help. */
class RequestFailure extends Error {
  readonly retryable: boolean
  readonly status: number | null
  readonly retryAfterMs: number | null
  /** The status alone says what failed (the message only words it): the run's end reason gives the status, not the words. */
  readonly byStatus: boolean
  constructor(message: string, retryable: boolean, status: number | null = null, retryAfterMs: number | null = null, byStatus = false) {
    super(message)
    this.retryable = retryable
    this.status = status
    this.retryAfterMs = retryAfterMs
    this.byStatus = byStatus
  }
}

/** The summaries of requests that failed by their HTTP status alone (see RequestFailure.byStatus); not part of the result. */
const failedByStatus = new WeakSet<HttpRequestSummary>()

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504])
const PROGRESS_INTERVAL_MS = 100
const TLS_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
])

export function createHttpRunner(options: HttpRunnerOptions = {}): Runner<'http'> {
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 250
  const retryMaxDelayMs = options.retryMaxDelayMs ?? 30_000
  const maxResultEntries = options.maxResultEntries ?? 1000

  return {
    kind: 'http',
    async check(spec) {
      if (spec.saveDir === undefined) return
      const relative = relativePathProblem(spec.saveDir)
      const dir = resolve(spec.saveDir)
      const info = relative ? null : await stat(dir).catch(() => null)
      const message = relative ?? (info && !info.isDirectory() ? `${dir} exists and is not a directory` : null)
      if (message) {
        throw new TaskdeckError('bad_request', `definition.spec.saveDir: ${message}`, {
          issues: [{ path: 'definition.spec.saveDir', message }],
        })
      }
    },
    async discard(spec, taskId, scope) {
      if (spec.saveDir === undefined) return
      const dir = resolve(spec.saveDir)
      const names = await readdir(dir).catch(() => [] as string[])
      const ours = keptFilePattern(taskId, scope)
      await Promise.all(names.filter((name) => ours.test(name)).map((name) => rm(join(dir, name), { force: true })))
    },
    start(spec, context) {
      const done = runBatch(spec, context, { retryBaseDelayMs, retryMaxDelayMs, maxResultEntries })
      return { pid: null, done } satisfies StartedRun
    },
  }
}

async function runBatch(
  spec: HttpSpec,
  context: RunContext,
  options: Required<HttpRunnerOptions>,
): Promise<RunOutcome> {
  const total = spec.requests.length
  const agent = createBatchAgent(spec)
  const summaries: HttpRequestSummary[] = new Array<HttpRequestSummary>(total)
  let finished = 0
  let next = 0
  let lastProgressAt = 0
  let saving: Saving | null = null
  context.progress({ done: 0, total })

  try {
    const saveDir = spec.saveDir === undefined ? null : resolve(spec.saveDir)
    if (saveDir !== null) {
      await mkdir(saveDir, { recursive: true })
      saving = { dir: saveDir, taskId: context.taskId, done: await readJournal(journalPath(saveDir, context.taskId)) }
    }

    // A fixed set of lanes, each taking the next request when its last one ends: the
    // gather pattern with a bound, in a few lines instead of a dependency.
    const lane = async (): Promise<void> => {
      while (next < total && !context.signal.aborted) {
        const index = next++
        const request = spec.requests[index]!
        const summary = await fetchWithRetries(request, index, spec, context, agent, saving, options)
        summaries[index] = summary
        finished++
        logSummary(context, summary)
        // At most a few updates a second: a batch of 100,000 small files must not flood the event stream.
        const now = performance.now()
        if (finished === total || now - lastProgressAt >= PROGRESS_INTERVAL_MS) {
          lastProgressAt = now
          context.progress({ done: finished, total })
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(spec.concurrency, total) }, lane))
  } catch (error) {
    return { exitCode: null, signal: null, failure: { kind: 'http-batch-error', message: describe(error) } }
  } finally {
    await agent.destroy().catch(() => undefined)
  }

  const ran = summaries.filter((s): s is HttpRequestSummary => s !== undefined)
  const failures = ran.filter((s) => s.error !== undefined)
  const result: HttpRunResult = {
    total,
    succeeded: ran.length - failures.length,
    failed: failures.length,
    bytes: ran.reduce((sum, s) => sum + s.bytes, 0),
    requests: ran.slice(0, options.maxResultEntries),
    omitted: Math.max(0, ran.length - options.maxResultEntries),
  }
  if (context.signal.aborted) {
    const skipped = total - ran.length
    return { exitCode: null, signal: null, failure: { kind: 'http-stopped', notRun: skipped, total }, result }
  }
  if (failures.length > 0) {
    const first = failures[0]!
    const { method, url } = first
    const error = first.error ?? 'failed'
    const failure: EndReason = {
      kind: 'http-failed',
      failed: failures.length,
      total,
      first: first.status === null ? { method, url, status: null, error } : { method, url, status: first.status, error: failedByStatus.has(first) ? null : error },
    }
    return { exitCode: null, signal: null, failure, result }
  }
  // Every file is saved: the next run of this task is a new batch, not a retry of this one.
  if (saving !== null) await rm(journalPath(saving.dir, saving.taskId), { force: true })
  return { exitCode: 0, signal: null, failure: null, result }
}

/**
 * One dispatcher per run whose sockets never outnumber the batch's concurrency. With no
 * more origins than that, each origin gets a share of the connections in proportion to
 * its requests (at least one) and keeps them alive; with more origins, connections are
 * not kept alive, so only the requests in flight hold sockets.
 */
function createBatchAgent(spec: HttpSpec): Agent {
  const shares = connectionShares(spec.requests.map((r) => new URL(r.url).origin), spec.concurrency)
  return new Agent({
    connect: { timeout: spec.requestTimeoutMs },
    // The run's own per-request deadline covers headers and body.
    headersTimeout: 0,
    bodyTimeout: 0,
    factory: (origin, options) => {
      const share = shares?.get(new URL(String(origin)).origin)
      // Too many origins to share out, or one outside the plan (a redirect target): a
      // connection per request, closed after it.
      return new Pool(origin, share === undefined ? { ...options, connections: spec.concurrency, pipelining: 0 } : { ...options, connections: share })
    },
  })
}

/** Splits `connections` among origins by request count (largest remainder, at least one each); null when they do not fit. */
export function connectionShares(origins: readonly string[], connections: number): Map<string, number> | null {
  const counts = new Map<string, number>()
  for (const origin of origins) counts.set(origin, (counts.get(origin) ?? 0) + 1)
  if (counts.size > connections) return null
  const spare = connections - counts.size
  const exact = [...counts].map(([origin, count]) => ({ origin, share: (spare * count) / origins.length }))
  const shares = new Map(exact.map(({ origin, share }) => [origin, 1 + Math.floor(share)]))
  let left = spare - exact.reduce((sum, { share }) => sum + Math.floor(share), 0)
  for (const { origin } of exact.sort((a, b) => (b.share % 1) - (a.share % 1))) {
    if (left-- <= 0) break
    shares.set(origin, shares.get(origin)! + 1)
  }
  return shares
}

function logSummary(context: RunContext, s: HttpRequestSummary): void {
  const retried = s.attempts > 1 ? ` after ${s.attempts} attempts` : ''
  if (s.kept === true) {
    context.output('stdout', `kept ${s.method} ${s.url} ${formatBytes(s.bytes)} → ${s.file ?? ''} (already complete)\n`)
    return
  }
  if (s.error !== undefined) {
    context.output('stderr', `failed ${s.method} ${s.url} : ${s.error}${retried}\n`)
    return
  }
  const where = s.file !== undefined ? ` → ${s.file}` : s.location !== undefined ? ` → ${s.location}` : ''
  const resumed = s.resumedFrom !== undefined ? ` (resumed at ${formatBytes(s.resumedFrom)})` : ''
  context.output('stdout', `${s.status} ${s.method} ${s.url} ${formatBytes(s.bytes)} in ${s.ms} ms${where}${resumed}${retried}\n`)
}

async function fetchWithRetries(
  request: HttpRequest,
  index: number,
  spec: HttpSpec,
  context: RunContext,
  agent: Agent,
  saving: Saving | null,
  options: Required<HttpRunnerOptions>,
): Promise<HttpRequestSummary> {
  const started = performance.now()
  const method = request.method
  const slot = saving !== null && resumable(request) ? slotFor(saving, index, request) : null
  if (slot !== null) {
    const kept = await keptFile(slot)
    if (kept !== null) return { url: request.url, method, status: null, bytes: kept.bytes, ms: elapsed(started), attempts: 0, file: kept.file, kept: true }
  }
  let attempt = 0
  for (;;) {
    attempt++
    try {
      const outcome = await fetchOnce(request, spec, context, agent, saving?.dir ?? null, slot)
      return { url: request.url, method, ...outcome, ms: elapsed(started), attempts: attempt }
    } catch (error) {
      const failure = toFailure(error, spec, context.signal)
      const retriesLeft = spec.retriesPerRequest - (attempt - 1)
      if (!failure.retryable || retriesLeft <= 0 || context.signal.aborted) {
        const summary: HttpRequestSummary = {
          url: request.url,
          method,
          status: failure.status,
          bytes: 0,
          ms: elapsed(started),
          attempts: attempt,
          error: failure.message,
        }
        if (failure.byStatus) failedByStatus.add(summary)
        return summary
      }
      const backoff = Math.min(options.retryMaxDelayMs, options.retryBaseDelayMs * 2 ** (attempt - 1))
      const delay = Math.min(options.retryMaxDelayMs, failure.retryAfterMs ?? Math.round(backoff * (0.5 + Math.random() / 2)))
      context.output('stderr', `retry ${attempt}/${spec.retriesPerRequest} ${method} ${request.url} in ${delay} ms: ${failure.message}\n`)
      try {
        await sleep(delay, undefined, { signal: context.signal })
      } catch {
        return { url: request.url, method, status: failure.status, bytes: 0, ms: elapsed(started), attempts: attempt, error: 'cancelled' }
      }
    }
  }
}

type AttemptOutcome = Pick<HttpRequestSummary, 'status' | 'bytes' | 'finalUrl' | 'location' | 'file' | 'resumedFrom'>

async function fetchOnce(
  request: HttpRequest,
  spec: HttpSpec,
  context: RunContext,
  agent: Agent,
  saveDir: string | null,
  slot: Slot | null,
): Promise<AttemptOutcome> {
  const runSignal = context.signal
  const timeout = AbortSignal.timeout(spec.requestTimeoutMs)
  const signal = AbortSignal.any([runSignal, timeout])
  try {
    return slot !== null ? await fetchResumable(request, spec, signal, agent, slot, context) : await fetchAndRead(request, spec, signal, agent, saveDir)
  } catch (error) {
    if (timeout.aborted && !runSignal.aborted && !(error instanceof RequestFailure)) {
      throw new RequestFailure(`timeout after ${spec.requestTimeoutMs} ms`, true)
    }
    throw error
  }
}

/**
 * An answer whose body is not saved: a refusal (≥ 400) throws its RequestFailure, a redirect
 * not followed (3xx) is the attempt's outcome; null for an answer to read on.
 */
async function refusedOrRedirected(response: Response, finalUrl: { finalUrl?: string }): Promise<AttemptOutcome | null> {
  if (response.status >= 400) {
    await response.body?.cancel().catch(() => undefined)
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'))
    throw new RequestFailure(httpStatusFailure(response.status), RETRYABLE_STATUS.has(response.status), response.status, retryAfterMs, true)
  }
  if (response.status < 300) return null
  await response.body?.cancel().catch(() => undefined)
  const location = response.headers.get('location')
  return { status: response.status, bytes: 0, ...finalUrl, ...(location !== null ? { location } : {}) }
}

async function fetchAndRead(
  request: HttpRequest,
  spec: HttpSpec,
  signal: AbortSignal,
  agent: Agent,
  saveDir: string | null,
): Promise<AttemptOutcome> {
  const response = await fetch(request.url, {
    method: request.method,
    ...(request.headers ? { headers: request.headers } : {}),
    ...(request.body !== undefined ? { body: request.body } : {}),
    redirect: spec.followRedirects ? 'follow' : 'manual',
    dispatcher: agent,
    signal,
  })
  const finalUrl = response.url !== '' && response.url !== request.url ? { finalUrl: response.url } : {}

  const unread = await refusedOrRedirected(response, finalUrl)
  if (unread) return unread

  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > spec.maxBytes) {
    await response.body?.cancel().catch(() => undefined)
    throw new RequestFailure(
      `response too large: Content-Length ${formatBytes(declared)} exceeds the ${formatBytes(spec.maxBytes)} cap (maxBytes)`,
      false,
      response.status,
    )
  }

  const target = saveDir === null ? null : await createUniqueFile(saveDir, fileNameFor(response))
  try {
    const bytes = await drainBody(response, spec.maxBytes, target?.handle ?? null)
    await target?.handle.close()
    return { status: response.status, bytes, ...finalUrl, ...(target ? { file: target.path } : {}) }
  } catch (error) {
    if (target) {
      await target.handle.close().catch(() => undefined)
      await rm(target.path, { force: true })
    }
    throw error
  }
}

/**
 * Where one request of a task keeps its download until it is complete, in the save folder:
 * `.taskdeck-<task>-<key>.part` (the bytes so far) and `.part.json` beside it (the
 * validator to resume with). The key is the request's place and URL in the batch, so a
 * retry of the task finds them again and another task never does.
 */
interface Slot {
  key: string
  part: string
  meta: string
  saving: Saving
}

/** The save folder of a run, and what earlier runs of its task completed (`.taskdeck-<task>.done.jsonl`). */
interface Saving {
  dir: string
  taskId: number
  done: Map<string, { file: string; bytes: number }>
}

/** What `.part.json` says: the partial file may be continued only while the server's validator is the same. */
interface PartState {
  url: string
  etag?: string
  lastModified?: string
  /** The whole file's size, when the server said it. */
  total: number | null
}

/** Only a plain GET is resumed or kept: another method may mean something else each time, and a caller's own Range is theirs. */
function resumable(request: HttpRequest): boolean {
  return request.method === 'GET' && !Object.keys(request.headers ?? {}).some((name) => ['range', 'if-range'].includes(name.toLowerCase()))
}

function slotFor(saving: Saving, index: number, request: HttpRequest): Slot {
  const key = createHash('sha256').update(JSON.stringify([index, request.method, request.url])).digest('hex').slice(0, 16)
  const part = join(saving.dir, `.taskdeck-${saving.taskId}-${key}.part`)
  return { key, part, meta: `${part}.json`, saving }
}

/**
 * The names of what a task keeps in its save folder between runs: each request's `.part`, its
 * `.part.json` and that file's temp (`.part.json.<pid>.tmp`); with `task`, its journal too.
 */
function keptFilePattern(taskId: number, scope: 'attempt' | 'task'): RegExp {
  const part = `\\.taskdeck-${taskId}-[0-9a-f]{16}\\.part(?:\\.json(?:\\.\\d+\\.tmp)?)?`
  return new RegExp(scope === 'task' ? `^(?:${part}|\\.taskdeck-${taskId}\\.done\\.jsonl)$` : `^${part}$`)
}

function journalPath(dir: string, taskId: number): string {
  return join(dir, `.taskdeck-${taskId}.done.jsonl`)
}

/** The journal of files an earlier run of the task saved; a torn or foreign line is skipped. */
async function readJournal(path: string): Promise<Saving['done']> {
  const done: Saving['done'] = new Map()
  const text = await readFile(path, 'utf8').catch(() => '')
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { key?: unknown; file?: unknown; bytes?: unknown }
      if (typeof entry.key === 'string' && typeof entry.file === 'string' && typeof entry.bytes === 'number') done.set(entry.key, { file: entry.file, bytes: entry.bytes })
    } catch {
      // An empty or half-written line (a crash while appending): that file is fetched again.
    }
  }
  return done
}

/** The earlier run's file for this request, when it is still there with the size it was saved with. */
async function keptFile(slot: Slot): Promise<{ file: string; bytes: number } | null> {
  const entry = slot.saving.done.get(slot.key)
  if (entry === undefined) return null
  const info = await stat(entry.file).catch(() => null)
  return info?.isFile() === true && info.size === entry.bytes ? entry : null
}

async function readPartState(slot: Slot, url: string): Promise<PartState | null> {
  try {
    const state = JSON.parse(await readFile(slot.meta, 'utf8')) as Partial<PartState>
    if (state.url !== url || (typeof state.etag !== 'string' && typeof state.lastModified !== 'string')) return null
    return { url, total: typeof state.total === 'number' ? state.total : null, ...(typeof state.etag === 'string' ? { etag: state.etag } : {}), ...(typeof state.lastModified === 'string' ? { lastModified: state.lastModified } : {}) }
  } catch {
    return null
  }
}

/** Written to a temp file and renamed over: a crash never leaves half a state file. */
async function writePartState(slot: Slot, state: PartState): Promise<void> {
  const temp = `${slot.meta}.${process.pid}.tmp`
  await writeFileSynced(temp, JSON.stringify(state))
  await rename(temp, slot.meta)
}

async function writeFileSynced(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w')
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function discardPart(slot: Slot): Promise<void> {
  await rm(slot.meta, { force: true })
  await rm(slot.part, { force: true })
}

/** `bytes a-b/total`, `bytes a-b/*` or `bytes * /total` (unsatisfied), as numbers; null when it is none of these. */
export function parseContentRange(header: string | null): { start: number | null; total: number | null } | null {
  const match = /^bytes (?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(header?.trim() ?? '')
  if (match === null) return null
  return { start: match[1] === undefined ? null : Number(match[1]), total: match[3] === '*' ? null : Number(match[3]) }
}

/** A validator If-Range accepts: a strong ETag, else Last-Modified; none means the download cannot be resumed. */
function validatorOf(response: Response): Pick<PartState, 'etag' | 'lastModified'> | null {
  const etag = response.headers.get('etag')
  const lastModified = response.headers.get('last-modified')
  const encoding = response.headers.get('content-encoding')
  // fetch decodes a compressed body, so the bytes on disk are not the bytes a Range counts.
  if (encoding !== null && encoding.toLowerCase() !== 'identity') return null
  if (etag !== null && !etag.startsWith('W/')) return { etag }
  if (lastModified !== null) return { lastModified }
  return null
}

/**
 * A GET saved to a file, continuing what an earlier attempt left: with `.part.json`'s
 * validator it asks `Range: bytes=N-` + `If-Range`. 206 from N appends; 200 (the range was
 * ignored or the file changed) starts over; 416 is complete only when the file already has
 * the whole size. The finished file is checked against the size the server gave, then
 * renamed to its own unique name and noted in the task's journal.
 */
async function fetchResumable(
  request: HttpRequest,
  spec: HttpSpec,
  signal: AbortSignal,
  agent: Agent,
  slot: Slot,
  context: RunContext,
): Promise<AttemptOutcome> {
  let state = await readPartState(slot, request.url)
  let offset = state === null ? 0 : ((await stat(slot.part).catch(() => null))?.size ?? 0)
  if (state === null || offset === 0) {
    await discardPart(slot)
    state = null
    offset = 0
  }
  for (;;) {
    const headers: Record<string, string> = { ...request.headers }
    if (state !== null) {
      headers['range'] = `bytes=${offset}-`
      headers['if-range'] = state.etag ?? state.lastModified ?? ''
    }
    const response = await fetch(request.url, {
      method: request.method,
      headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      redirect: spec.followRedirects ? 'follow' : 'manual',
      dispatcher: agent,
      signal,
    })
    const finalUrl = response.url !== '' && response.url !== request.url ? { finalUrl: response.url } : {}
    const range = parseContentRange(response.headers.get('content-range'))

    if (state !== null && response.status === 416) {
      await response.body?.cancel().catch(() => undefined)
      const total = range?.total ?? state.total
      if (total === offset) return await finishPart(slot, response, offset, { status: response.status, bytes: offset, ...finalUrl, resumedFrom: offset })
      context.output('stderr', `restart ${request.method} ${request.url}: the server refused the range (416) and the partial file is not complete\n`)
      await discardPart(slot)
      state = null
      offset = 0
      continue
    }
    const unread = await refusedOrRedirected(response, finalUrl)
    if (unread) return unread

    const continues = state !== null && response.status === 206
    if (continues && (range?.start !== offset || (range.total !== null && state!.total !== null && range.total !== state!.total) || validatorOf(response) === null)) {
      await response.body?.cancel().catch(() => undefined)
      context.output('stderr', `restart ${request.method} ${request.url}: the server's partial answer does not continue the file\n`)
      await discardPart(slot)
      state = null
      offset = 0
      continue
    }
    if (state !== null && !continues) {
      context.output('stderr', `restart ${request.method} ${request.url}: the server sent the whole file (${response.status}), not the rest\n`)
    }
    const start = continues ? offset : 0
    const declaredLength = Number(response.headers.get('content-length') ?? Number.NaN)
    const validator = validatorOf(response)
    const total = continues ? (range?.total ?? state!.total) : validator !== null && Number.isFinite(declaredLength) ? declaredLength : null
    const declared = continues ? total : declaredLength
    if (declared !== null && Number.isFinite(declared) && declared > spec.maxBytes) {
      await response.body?.cancel().catch(() => undefined)
      await discardPart(slot)
      throw new RequestFailure(
        `response too large: ${continues ? 'Content-Range total' : 'Content-Length'} ${formatBytes(declared)} exceeds the ${formatBytes(spec.maxBytes)} cap (maxBytes)`,
        false,
        response.status,
      )
    }

    // The state is on disk before the first byte, so a crash mid-body leaves a resumable file.
    if (continues) {
      // Already on disk, unchanged.
    } else if (validator !== null) {
      await writePartState(slot, { url: request.url, ...validator, total })
    } else {
      await rm(slot.meta, { force: true })
    }
    const handle = await open(slot.part, continues ? 'a' : 'w')
    let size: number
    try {
      size = start + (await drainBody(response, spec.maxBytes, handle, start))
    } catch (error) {
      await handle.close().catch(() => undefined)
      // Cut off, timed out or cancelled: keep what arrived for the next attempt, when it can be resumed.
      if ((error instanceof RequestFailure && !error.retryable) || (!continues && validator === null)) await discardPart(slot)
      throw error
    }
    await handle.close()
    if (total !== null && size !== total) {
      if (size > total) await discardPart(slot)
      throw new RequestFailure(`the file has ${formatBytes(size)} of the ${formatBytes(total)} the server announced`, true, response.status)
    }
    return await finishPart(slot, response, size, { status: response.status, bytes: size, ...finalUrl, ...(continues ? { resumedFrom: start } : {}) })
  }
}

/** Gives the complete partial file its own unique name (never overwriting) and notes it in the task's journal. */
async function finishPart(slot: Slot, response: Response, size: number, outcome: AttemptOutcome): Promise<AttemptOutcome> {
  const target = await createUniqueFile(slot.saving.dir, fileNameFor(response))
  await target.handle.close()
  await rename(slot.part, target.path)
  await rm(slot.meta, { force: true })
  await appendFile(journalPath(slot.saving.dir, slot.saving.taskId), `${JSON.stringify({ key: slot.key, file: target.path, bytes: size })}\n`)
  slot.saving.done.set(slot.key, { file: target.path, bytes: size })
  return { ...outcome, file: target.path }
}

/**
 * Reads the body, writing it to `file` when given, and aborts once more than `maxBytes`
 * arrived. fetch has already decoded any Content-Encoding, so a small compressed response
 * that inflates past the cap is stopped too.
 */
async function drainBody(response: Response, maxBytes: number, file: FileHandle | null, already = 0): Promise<number> {
  if (response.body === null) return 0
  let bytes = already
  // Leaving the loop early (cap exceeded, write failed) cancels the stream and frees the socket.
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength
    if (bytes > maxBytes) {
      throw new RequestFailure(`response exceeded the ${formatBytes(maxBytes)} cap (maxBytes); aborted`, false, response.status)
    }
    if (file) await file.write(chunk)
  }
  return bytes - already
}

/** Turns whatever fetch threw into one clear sentence. */
function toFailure(error: unknown, spec: HttpSpec, runSignal: AbortSignal): RequestFailure {
  if (error instanceof RequestFailure) return error
  if (runSignal.aborted) return new RequestFailure('cancelled', false)
  const cause = causeOf(error)
  const code = typeof cause?.code === 'string' ? cause.code : ''
  const host = typeof cause?.hostname === 'string' ? cause.hostname : ''
  const address = typeof cause?.address === 'string' ? `${cause.address}${typeof cause.port === 'number' ? `:${cause.port}` : ''}` : ''
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_NONAME':
      return new RequestFailure(`DNS lookup failed: host ${host || 'not found'} not found`, false)
    case 'EAI_AGAIN':
      return new RequestFailure(`DNS lookup failed temporarily for ${host}`, true)
    case 'ECONNREFUSED':
      return new RequestFailure(`connection refused by ${address || 'the server'}`, true)
    case 'ECONNRESET':
      return new RequestFailure('connection reset by the server', true)
    case 'UND_ERR_SOCKET':
      return new RequestFailure('the server closed the connection before the response ended', true)
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new RequestFailure(`connect timeout after ${spec.requestTimeoutMs} ms`, true)
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new RequestFailure(`no route to ${address || host || 'the server'}`, true)
  }
  const message = cause?.message ?? describe(error)
  // A certificate that fails verification fails the same way next time: say so, do not retry.
  if (TLS_CERT_CODES.has(code) || code.startsWith('ERR_TLS_')) return new RequestFailure(`TLS certificate not accepted: ${message}`, false)
  if (/redirect count exceeded/i.test(message)) return new RequestFailure('too many redirects', false)
  return new RequestFailure(message, true)
}

interface ErrorCause {
  code?: unknown
  hostname?: unknown
  address?: unknown
  port?: unknown
  message?: string
}

function causeOf(error: unknown): ErrorCause | null {
  let current: unknown = error
  // fetch wraps the socket error in a TypeError('fetch failed'); the useful part is its cause.
  while (current instanceof Error && current.cause !== undefined) current = current.cause
  if (typeof current === 'object' && current !== null) {
    // AggregateError (happy-eyeballs) carries one error per address; the first says enough.
    const aggregate = current as { errors?: unknown[] }
    if (Array.isArray(aggregate.errors) && aggregate.errors.length > 0) return causeOf(aggregate.errors[0])
    return current
  }
  return null
}

function parseRetryAfter(header: string | null): number | null {
  if (header === null) return null
  const seconds = Number(header)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const at = Date.parse(header)
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now())
}

/** A safe file name for a response: Content-Disposition first, then the URL's last path segment. */
export function fileNameFor(response: { headers: { get(name: string): string | null }; url: string }): string {
  const disposition = response.headers.get('content-disposition')
  let candidate = ''
  if (disposition !== null) {
    try {
      candidate = parseContentDisposition(disposition).parameters['filename'] ?? ''
    } catch {
      candidate = ''
    }
  }
  if (candidate === '' && URL.canParse(response.url)) {
    const segment = new URL(response.url).pathname.split('/').pop() ?? ''
    try {
      candidate = decodeURIComponent(segment)
    } catch {
      candidate = segment
    }
  }
  // basename drops any directory part a server tried to smuggle in; sanitize removes
  // separators, control characters, reserved names and leading dots' tricks.
  const safe = sanitizeFilename(fitName(basename(candidate.replaceAll('\\', '/'))), { replacement: '_' }).replace(/^\.+/, '')
  return safe === '' ? 'download' : safe
}

/** File names are at most 255 bytes: shortens the stem, never the suffix (extension, dedupe number). */
function fitName(name: string, suffix = extname(name)): string {
  let stem = name.slice(0, name.length - extname(name).length)
  while (stem.length > 1 && Buffer.byteLength(stem + suffix) > 255) stem = stem.slice(0, -1)
  return stem + suffix
}

/** Opens `dir/name` for writing, never overwriting: "name (1).ext", "name (2).ext"… when taken. */
async function createUniqueFile(dir: string, name: string): Promise<{ path: string; handle: FileHandle }> {
  const ext = extname(name)
  for (let n = 0; ; n++) {
    const path = join(dir, fitName(name, n === 0 ? ext : ` (${n})${ext}`))
    try {
      return { path, handle: await open(path, 'wx') }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let value = bytes / 1000
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}

function elapsed(since: number): number {
  return Math.round((performance.now() - since) * 10) / 10
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
