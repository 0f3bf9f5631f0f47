import { z } from 'zod'
import { EndReasonSchema, LogStreamSchema, ProgressSchema, TaskSpecSchema, WorkerLossSchema } from '../../../src-shared/index.ts'
import type { LogStream, Progress, WorkerLoss } from '../../../src-shared/index.ts'
import { describeEndReason, describeLoss } from '../end-reasons.ts'
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
  /** The failure in English, for apps of earlier versions. */
  error: z.string().nullable(),
  /**
   * The failure as data; absent from workers of earlier versions. One this version cannot read
   * (a kind from a newer worker) counts as absent: `error` still says it in English.
   */
  failure: EndReasonSchema.nullable().optional().catch(undefined),
  result: z.json().optional(),
  endedBy: z.enum(['timeout', 'cancel', 'worker-lost']).nullable(),
  worker: z.string().nullable(),
})

export type WireOutcome = z.infer<typeof OutcomeSchema>

/** An outcome as it travels (a finished report, a job's return value): its failure as data and in English. */
export function outcomeToWire(outcome: BackendOutcome): WireOutcome {
  const { exitCode, signal, failure, result, endedBy, worker } = outcome
  return {
    exitCode,
    signal,
    error: failure ? describeEndReason(failure) : null,
    failure,
    // A runner's result is JSON (scripts' results are checked in their worker, HTTP's is built as JSON).
    ...(result !== undefined && { result: result as WireOutcome['result'] }),
    // A worker's runs are never detached: that happens only inside an app that closes.
    endedBy: endedBy === 'detached' ? null : endedBy,
    worker,
  }
}

/** An outcome read back; a worker of an earlier version sent only the English sentence. */
export function outcomeFromWire(wire: WireOutcome): BackendOutcome {
  const { error, failure, ...rest } = wire
  return { ...rest, failure: failure ?? (error ? { kind: 'message', text: error } : null) }
}

/** A loss in English, as `d` carried it before losses were data: apps of earlier versions show it after "worker X lost: ". */
function lossSentence(loss: WorkerLoss | string): string {
  return typeof loss === 'string' ? loss : describeLoss(loss)
}

/** A loss read back: the data (the `l` field, or a packed loss record) when there is some this version reads, else the sentence. */
function lossFromWire(sentence: string | undefined, data: string | undefined): WorkerLoss | string {
  for (const text of [data, sentence]) {
    if (text === undefined) continue
    try {
      const parsed = WorkerLossSchema.safeParse(JSON.parse(text))
      if (parsed.success) return parsed.data
    } catch {
      // A sentence (from any version), or data from a newer one.
    }
  }
  return sentence ?? 'worker lost'
}

/** An entry of an app's report stream, decoded. */
export type Report =
  | { kind: 'started'; jobId: string; worker: string; pid: number | null }
  | { kind: 'out'; jobId: string; stream: LogStream; data: Buffer }
  | { kind: 'progress'; jobId: string; progress: Progress }
  | { kind: 'finished'; jobId: string; outcome: BackendOutcome }
  /** A run lost with its worker: why, or the sentence of a worker of an earlier version. */
  | { kind: 'lost'; jobId: string; loss: WorkerLoss | string }

/** A report without its job id, which the writer adds. */
export type ReportBody = Report extends infer R ? (R extends Report ? Omit<R, 'jobId'> : never) : never

/** Appends a report's own fields (after its kind and job id) as name/value pairs. */
function pushBody(fields: (string | Buffer)[], report: ReportBody): void {
  switch (report.kind) {
    case 'started':
      fields.push('w', report.worker, 'p', String(report.pid ?? ''))
      return
    case 'out':
      fields.push('s', report.stream, 'd', report.data)
      return
    case 'progress':
      fields.push('d', JSON.stringify(report.progress))
      return
    case 'finished':
      fields.push('d', JSON.stringify(outcomeToWire(report.outcome)))
      return
    case 'lost':
      fields.push('d', lossSentence(report.loss))
      if (typeof report.loss !== 'string') fields.push('l', JSON.stringify(report.loss))
      return
  }
}

/** Flat field list for XADD: one report. */
export function encodeReport(report: Report): (string | Buffer)[] {
  const fields: (string | Buffer)[] = ['k', report.kind, 'j', report.jobId]
  pushBody(fields, report)
  return fields
}

/**
 * Several reports of one run in one stream entry: a short run's start, output and outcome
 * cost one XADD and one entry to read instead of three. The reports travel packed in one
 * value (`k pack j <job id> d <records>`), so Redis stores, and the app decodes, six fields
 * per run rather than about twenty. Each record: type (1 byte), payload length (4 bytes, big
 * endian), payload — started: the pid (int32, -1 for none) and the worker id; out: the stream
 * (1 byte) and the bytes as written; progress and finished: JSON; lost: the reason in English,
 * followed by a loss record (JSON) when the reason is data. Readers skip record types they do
 * not know (so an earlier app reads the English). (Entries of kind `batch`, `r <kind>` pairs, were written
 * by earlier workers and are still read.)
 */
export function encodeReports(jobId: string, reports: readonly ReportBody[]): (string | Buffer)[] {
  if (reports.length === 1) {
    const fields: (string | Buffer)[] = ['k', reports[0]!.kind, 'j', jobId]
    pushBody(fields, reports[0]!)
    return fields
  }
  const records: { report: ReportBody | null; type: number; payload: string | Buffer }[] = []
  let size = 0
  const add = (report: ReportBody | null, type: number, payload: string | Buffer) => {
    records.push({ report, type, payload })
    size += RECORD_HEADER + (report ? RECORD_PREFIX[report.kind] : 0) + (typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength)
  }
  for (const report of reports) {
    add(report, RECORD_TYPE[report.kind], recordPayload(report))
    if (report.kind === 'lost' && typeof report.loss !== 'string') add(null, LOSS_RECORD, JSON.stringify(report.loss))
  }
  const packed = Buffer.allocUnsafe(size)
  let at = 0
  for (const { report, type, payload } of records) {
    const start = at
    at += RECORD_HEADER
    packed[start] = type
    if (report?.kind === 'started') at = packed.writeInt32BE(report.pid ?? -1, at)
    else if (report?.kind === 'out') packed[at++] = STREAMS.indexOf(report.stream)
    at += typeof payload === 'string' ? packed.write(payload, at) : payload.copy(packed, at)
    packed.writeUInt32BE(at - start - RECORD_HEADER, start + 1)
  }
  return ['k', 'pack', 'j', jobId, 'd', packed]
}

const RECORD_HEADER = 5
const RECORD_TYPE = { started: 1, out: 2, progress: 3, finished: 4, lost: 5 } as const
/** The loss of the `lost` record just before, as data (apps of earlier versions skip it and read the English). */
const LOSS_RECORD = 6
/** Bytes before a record's string or bytes: the pid of `started`, the stream of `out`. */
const RECORD_PREFIX = { started: 4, out: 1, progress: 0, finished: 0, lost: 0 } as const
const STREAMS = LogStreamSchema.options

function recordPayload(report: ReportBody): string | Buffer {
  switch (report.kind) {
    case 'started':
      return report.worker
    case 'out':
      return report.data
    case 'progress':
      return JSON.stringify(report.progress)
    case 'finished':
      return JSON.stringify(outcomeToWire(report.outcome))
    case 'lost':
      return lossSentence(report.loss)
  }
}

function decodePacked(jobId: string, packed: Buffer): Report[] {
  const reports: Report[] = []
  for (let at = 0; at + RECORD_HEADER <= packed.length; ) {
    const type = packed[at]!
    const end = at + RECORD_HEADER + packed.readUInt32BE(at + 1)
    const body = packed.subarray(at + RECORD_HEADER, end)
    at = end
    if (end > packed.length) break
    try {
      if (type === RECORD_TYPE.started && body.length >= 4) {
        const pid = body.readInt32BE(0)
        reports.push({ kind: 'started', jobId, worker: body.toString('utf8', 4), pid: pid < 0 ? null : pid })
      } else if (type === RECORD_TYPE.out && body.length >= 1) {
        const stream = STREAMS[body[0]!]
        if (stream) reports.push({ kind: 'out', jobId, stream, data: body.subarray(1) })
      } else if (type === RECORD_TYPE.progress) {
        reports.push({ kind: 'progress', jobId, progress: ProgressSchema.parse(JSON.parse(body.toString())) })
      } else if (type === RECORD_TYPE.finished) {
        reports.push({ kind: 'finished', jobId, outcome: outcomeFromWire(OutcomeSchema.parse(JSON.parse(body.toString()))) })
      } else if (type === RECORD_TYPE.lost) {
        reports.push({ kind: 'lost', jobId, loss: lossFromWire(body.toString(), undefined) })
      } else if (type === LOSS_RECORD) {
        const lost = reports.at(-1)
        if (lost?.kind === 'lost') lost.loss = lossFromWire(typeof lost.loss === 'string' ? lost.loss : undefined, body.toString())
      }
    } catch {
      // A record this version cannot read is skipped, like an unknown one.
    }
  }
  return reports
}

// Field names are one byte each; entries are decoded in place, without copies or maps (the app reads one entry per run).
const KIND = 0x6b // k
const JOB = 0x6a // j
const REPORT = 0x72 // r
const WORKER = 0x77 // w
const PID = 0x70 // p
const STREAM = 0x73 // s
const DATA = 0x64 // d
const LOSS = 0x6c // l
const nameIs = (field: Buffer | undefined, name: number) => field !== undefined && field.length === 1 && field[0] === name

/** Decodes an XREAD entry's fields: one report, or the reports of a batch; what this version does not understand is skipped. */
export function decodeReports(fields: readonly Buffer[]): Report[] {
  const entryKind = fields[1]?.toString()
  if (entryKind === 'pack') {
    const jobId = fields[3]?.toString()
    return jobId && nameIs(fields[4], DATA) && fields[5] ? decodePacked(jobId, fields[5]) : []
  }
  if (entryKind !== 'batch') {
    const report = decodeReport(fields)
    return report ? [report] : []
  }
  const jobId = fields[3]?.toString()
  if (!jobId) return []
  const reports: Report[] = []
  let kind: string | null = null
  let from = 0
  const close = (to: number) => {
    const report = kind === null ? null : decodeBody(kind, jobId, fields, from, to)
    if (report) reports.push(report)
  }
  for (let i = 4; i + 1 < fields.length; i += 2) {
    if (!nameIs(fields[i], REPORT)) continue
    close(i)
    kind = fields[i + 1]!.toString()
    from = i + 2
  }
  close(fields.length)
  return reports
}

/** Decodes an XREAD entry's fields; entries this version does not understand are null (and skipped). */
export function decodeReport(fields: readonly Buffer[]): Report | null {
  let kind: string | undefined
  let jobId: string | undefined
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (nameIs(fields[i], KIND)) kind = fields[i + 1]!.toString()
    else if (nameIs(fields[i], JOB)) jobId = fields[i + 1]!.toString()
  }
  return jobId && kind !== undefined ? decodeBody(kind, jobId, fields, 0, fields.length) : null
}

/** One report from the name/value pairs in fields[from, to). */
function decodeBody(kind: string, jobId: string, fields: readonly Buffer[], from: number, to: number): Report | null {
  let worker: Buffer | undefined
  let pid: Buffer | undefined
  let stream: Buffer | undefined
  let data: Buffer | undefined
  let loss: Buffer | undefined
  for (let i = from; i + 1 < to; i += 2) {
    const name = fields[i]!
    if (name.length !== 1) continue
    if (name[0] === WORKER) worker = fields[i + 1]
    else if (name[0] === PID) pid = fields[i + 1]
    else if (name[0] === STREAM) stream = fields[i + 1]
    else if (name[0] === DATA) data = fields[i + 1]
    else if (name[0] === LOSS) loss = fields[i + 1]
  }
  try {
    switch (kind) {
      case 'started': {
        const number = Number.parseInt(pid?.toString() ?? '', 10)
        return { kind, jobId, worker: worker?.toString() ?? 'unknown', pid: Number.isFinite(number) ? number : null }
      }
      case 'out': {
        const parsed = LogStreamSchema.safeParse(stream?.toString())
        return parsed.success && data ? { kind, jobId, stream: parsed.data, data } : null
      }
      case 'progress':
        return data ? { kind, jobId, progress: ProgressSchema.parse(JSON.parse(data.toString())) } : null
      case 'finished':
        return data ? { kind, jobId, outcome: outcomeFromWire(OutcomeSchema.parse(JSON.parse(data.toString()))) } : null
      case 'lost':
        return { kind, jobId, loss: lossFromWire(data?.toString(), loss?.toString()) }
      default:
        return null
    }
  } catch {
    return null
  }
}

/** Taskdeck priority (higher first, -1000..1000) → BullMQ priority (1 is highest). */
export const bullPriorityOf = (priority: number) => 1001 - Math.max(-1000, Math.min(1000, Math.round(priority)))
