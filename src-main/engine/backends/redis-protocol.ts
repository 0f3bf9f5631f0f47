import { z } from 'zod'
import { LogStreamSchema, ProgressSchema, TaskSpecSchema } from '../../../src-shared/index.ts'
import type { LogStream, Progress } from '../../../src-shared/index.ts'
import type { BackendOutcome } from './types.ts'

/**
 * What the app and `taskdeck worker` agree on inside Redis: key names, the BullMQ job
 * payload and the entries of each app's report stream. Both sides import this one module.
 *
 * Layout (prefix "taskdeck"):
 *   taskdeck:q:<group>:*        BullMQ queue of a remote group (BullMQ's own keys)
 *   taskdeck:src:<source>       report stream of one app: started/out/progress/finished/lost
 *   taskdeck:cancel:<jobId>     a cancel request that outlives a worker's disconnection
 *   taskdeck:stdin:<jobId>      text for the run's stdin not yet read by its worker (a bounded list),
 *   taskdeck:stdin:<jobId>:bytes  and its size
 *   taskdeck:worker:<id>        a worker's last heartbeat (expires)
 *   taskdeck:workers            sorted set of worker ids by last heartbeat
 *   channels taskdeck:heartbeats, taskdeck:cancels, taskdeck:stdins (job ids with new stdin text)
 */
export const PROTOCOL_VERSION = 1
export const DEFAULT_PREFIX = 'taskdeck'
/** The app's consumer group on its report stream; its last-delivered id is the app's cursor. */
export const REPORT_CONSUMER_GROUP = 'app'
/** Report streams are capped (approximately) at this many entries; the job's return value backs up a trimmed outcome. */
export const REPORT_STREAM_MAXLEN = 200_000
export const CANCEL_TTL_MS = 24 * 60 * 60_000

export const SourceIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "_" or "-"')

export function redisKeys(prefix = DEFAULT_PREFIX) {
  return {
    bullPrefix: `${prefix}:q`,
    reportStream: (source: string) => `${prefix}:src:${source}`,
    cancel: (jobId: string) => `${prefix}:cancel:${jobId}`,
    worker: (workerId: string) => `${prefix}:worker:${workerId}`,
    workers: `${prefix}:workers`,
    heartbeatChannel: `${prefix}:heartbeats`,
    cancelChannel: `${prefix}:cancels`,
    stdin: (jobId: string) => `${prefix}:stdin:${jobId}`,
    stdinBytes: (jobId: string) => `${prefix}:stdin:${jobId}:bytes`,
    stdinChannel: `${prefix}:stdins`,
  }
}
export type RedisKeys = ReturnType<typeof redisKeys>

/**
 * Stdin text waiting for a worker is bounded per run: a run that does not read (or whose job
 * no worker has taken yet) cannot make Redis hold more than this.
 */
export const STDIN_MAX_MESSAGES = 64
export const STDIN_MAX_BYTES = 4 * 1024 * 1024

/**
 * App side, atomically: append ARGV[1] to the run's stdin list unless that would pass the
 * bounds, then announce the job id. Returns 1, or 0 when refused (nothing stored).
 * KEYS: list, byte counter. ARGV: text, max messages, max bytes, ttl ms, channel, job id.
 */
export const PUSH_STDIN_SCRIPT = `
local size = string.len(ARGV[1])
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
if (tonumber(redis.call('GET', KEYS[2]) or '0') + size) > tonumber(ARGV[3]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('INCRBY', KEYS[2], size)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1`

/** Worker side, atomically: takes every waiting stdin text of a run, in order. KEYS: list, byte counter. */
export const TAKE_STDIN_SCRIPT = `
local texts = redis.call('LRANGE', KEYS[1], 0, -1)
if #texts > 0 then redis.call('DEL', KEYS[1], KEYS[2]) end
return texts`

/**
 * Worker side, before it starts a job, in one command: whether a cancel is stored for it,
 * and the stdin text sent so far (taken). KEYS: cancel key, stdin list, stdin byte counter.
 * Returns [0|1, texts].
 */
export const BEGIN_SCRIPT = `
local cancelled = redis.call('EXISTS', KEYS[1])
local texts = redis.call('LRANGE', KEYS[2], 0, -1)
if #texts > 0 then redis.call('DEL', KEYS[2], KEYS[3]) end
return {cancelled, texts}`

/**
 * App side, atomically: 1 when a job is in its queue's active list without a lock, i.e. its
 * worker stopped renewing the lock (died) and no stalled check has moved it yet. Checked in
 * one step, so a job finishing or starting meanwhile cannot look lockless.
 * KEYS: active list, the job's lock key. ARGV: job id.
 */
export const LOCKLESS_ACTIVE_SCRIPT = `
if redis.call('LPOS', KEYS[1], ARGV[1]) and redis.call('EXISTS', KEYS[2]) == 0 then return 1 end
return 0`

/** One BullMQ job per run: starting the same run twice finds the same job instead of running it twice. */
export const jobIdOf = (source: string, runId: number) => `run.${source}.${runId}`

/** The BullMQ job payload. Workers validate it before acting on it. */
export const RemoteJobSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  source: SourceIdSchema,
  runId: z.number().int().positive(),
  taskId: z.number().int().positive(),
  attempt: z.number().int().positive(),
  name: z.string().max(1000),
  spec: TaskSpecSchema,
  timeoutMs: z.number().int().positive().optional(),
})
export type RemoteJob = z.infer<typeof RemoteJobSchema>

export const OutcomeSchema = z.object({
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  error: z.string().nullable(),
  result: z.json().optional(),
  endedBy: z.enum(['timeout', 'cancel', 'worker-lost']).nullable(),
  worker: z.string().nullable(),
})

/** An entry of an app's report stream, decoded. */
export type Report =
  | { kind: 'started'; jobId: string; worker: string; pid: number | null }
  | { kind: 'out'; jobId: string; stream: LogStream; data: Buffer }
  | { kind: 'progress'; jobId: string; progress: Progress }
  | { kind: 'finished'; jobId: string; outcome: BackendOutcome }
  | { kind: 'lost'; jobId: string; reason: string }

/** A report without its job id, which the writer adds. */
export type ReportBody = Report extends infer R ? (R extends Report ? Omit<R, 'jobId'> : never) : never

/** A report's own fields (after its kind and job id), as name/value pairs. */
function bodyFields(report: Report): (string | Buffer)[] {
  switch (report.kind) {
    case 'started':
      return ['w', report.worker, 'p', String(report.pid ?? '')]
    case 'out':
      return ['s', report.stream, 'd', report.data]
    case 'progress':
      return ['d', JSON.stringify(report.progress)]
    case 'finished':
      return ['d', JSON.stringify(report.outcome)]
    case 'lost':
      return ['d', report.reason]
  }
}

/** Flat field list for XADD: one report. */
export function encodeReport(report: Report): (string | Buffer)[] {
  return ['k', report.kind, 'j', report.jobId, ...bodyFields(report)]
}

/**
 * Several reports of one run in one stream entry (`k batch`, then `r <kind>` and that
 * report's fields, for each): a short run's start, output and outcome cost one XADD and one
 * entry to read instead of three.
 */
export function encodeReports(jobId: string, reports: readonly ReportBody[]): (string | Buffer)[] {
  if (reports.length === 1) return encodeReport({ ...reports[0]!, jobId })
  const fields: (string | Buffer)[] = ['k', 'batch', 'j', jobId]
  for (const report of reports) fields.push('r', report.kind, ...bodyFields({ ...report, jobId }))
  return fields
}

/** Decodes an XREAD entry's fields: one report, or the reports of a batch; what this version does not understand is skipped. */
export function decodeReports(fields: readonly Buffer[]): Report[] {
  if (fields[1]?.toString() !== 'batch') {
    const report = decodeReport(fields)
    return report ? [report] : []
  }
  const jobId = fields[3]
  if (!jobId) return []
  const reports: Report[] = []
  let current: Buffer[] | null = null
  const close = () => {
    const report = current ? decodeReport(current) : null
    if (report) reports.push(report)
  }
  for (let i = 4; i + 1 < fields.length; i += 2) {
    if (fields[i]!.toString() === 'r') {
      close()
      current = [Buffer.from('k'), fields[i + 1]!, Buffer.from('j'), jobId]
    } else current?.push(fields[i]!, fields[i + 1]!)
  }
  close()
  return reports
}

/** Decodes an XREAD entry's fields; entries this version does not understand are null (and skipped). */
export function decodeReport(fields: readonly Buffer[]): Report | null {
  const map = new Map<string, Buffer>()
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!.toString(), fields[i + 1]!)
  const kind = map.get('k')?.toString()
  const jobId = map.get('j')?.toString()
  const data = map.get('d')
  if (!jobId) return null
  try {
    switch (kind) {
      case 'started': {
        const pid = Number.parseInt(map.get('p')?.toString() ?? '', 10)
        return { kind, jobId, worker: map.get('w')?.toString() ?? 'unknown', pid: Number.isFinite(pid) ? pid : null }
      }
      case 'out': {
        const stream = LogStreamSchema.safeParse(map.get('s')?.toString())
        return stream.success && data ? { kind, jobId, stream: stream.data, data } : null
      }
      case 'progress':
        return data ? { kind, jobId, progress: ProgressSchema.parse(JSON.parse(data.toString())) } : null
      case 'finished':
        return data ? { kind, jobId, outcome: OutcomeSchema.parse(JSON.parse(data.toString())) } : null
      case 'lost':
        return { kind, jobId, reason: data?.toString() ?? 'worker lost' }
      default:
        return null
    }
  } catch {
    return null
  }
}

/** Taskdeck priority (higher first, -1000..1000) → BullMQ priority (1 is highest). */
export const bullPriorityOf = (priority: number) => 1001 - Math.max(-1000, Math.min(1000, Math.round(priority)))
