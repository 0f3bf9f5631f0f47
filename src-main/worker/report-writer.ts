import type { Redis } from 'ioredis'
import type { LogStream, Progress } from '../../src-shared/index.ts'
import { BEGIN_SCRIPT, REPORT_STREAM_MAXLEN, encodeReports } from '../engine/backends/redis-protocol.ts'
import type { ReportBody } from '../engine/backends/redis-protocol.ts'

const FLUSH_DELAY_MS = 20
const FLUSH_BYTES = 256 * 1024

/**
 * Writes one run's reports to its app's stream, in order. Reports are held for a few
 * milliseconds and written together as one stream entry: a chatty process would otherwise
 * cost one Redis round trip per write, and a short run's start, output and outcome become
 * a single XADD. Progress keeps only its latest value per flush. Writes issued while Redis
 * restarts wait in ioredis's offline queue and go out on reconnection.
 *
 * Give it the connection BullMQ moves the job to completed on: commands leave one connection
 * in the order they are made, so the last report is in the stream before the job ends
 * without waiting for its reply. The writer makes single commands, never pipelines (ioredis
 * copies BullMQ's dozens of scripts onto every pipeline of that connection).
 */
export class ReportWriter {
  readonly #redis: Redis
  readonly #stream: string
  readonly #jobId: string
  /** Held reports in order; consecutive output of one stream is merged into one chunk. */
  #held: ReportBody[] = []
  #bytes = 0
  #progress: Progress | null = null

  constructor(redis: Redis, stream: string, jobId: string) {
    this.#redis = redis
    this.#stream = stream
    this.#jobId = jobId
  }

  output(stream: LogStream, chunk: Uint8Array | string): void {
    // A string is encoded into a new buffer; bytes are copied, as the runner may reuse its buffer.
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.copyBytesFrom(chunk)
    const last = this.#held.at(-1)
    if (last?.kind === 'out' && last.stream === stream) last.data = Buffer.concat([last.data, data])
    else this.#held.push({ kind: 'out', stream, data })
    this.#bytes += data.byteLength
    this.#schedule()
  }

  progress(progress: Progress): void {
    this.#progress = progress
    this.#schedule()
  }

  /**
   * Before the job runs, in one command: whether a cancel is stored for it, and the stdin
   * text sent so far (taken). The `started` report is held and leaves with the next write.
   */
  async begin(worker: string, keys: { cancel: string; stdin: string; stdinBytes: string }): Promise<{ cancelled: boolean; stdin: string[] }> {
    this.#held.unshift({ kind: 'started', worker, pid: null })
    this.#schedule()
    const [cancelled, stdin] = (await this.#redis.eval(BEGIN_SCRIPT, 3, keys.cancel, keys.stdin, keys.stdinBytes)) as [number, string[]]
    return { cancelled: cancelled === 1, stdin }
  }

  /** Holds the `started` report, for when the worker already knows there is no cancel and no stdin waiting. */
  started(worker: string): { cancelled: false; stdin: string[] } {
    this.#held.unshift({ kind: 'started', worker, pid: null })
    this.#schedule()
    return { cancelled: false, stdin: [] }
  }

  /** Everything held so far, then `report`, in one entry. A failed write is not retried (ioredis already queues commands across reconnections). */
  send(report: ReportBody): void {
    this.#flush(report)
  }

  /** Writes what is held now (HOLD_CLOCK calls it once reports have been held FLUSH_DELAY_MS). */
  flush(): void {
    this.#flush()
  }

  #schedule(): void {
    if (this.#bytes >= FLUSH_BYTES) this.#flush()
    else HOLD_CLOCK.hold(this)
  }

  #flush(last?: ReportBody): void {
    HOLD_CLOCK.release(this)
    const reports = this.#held
    if (this.#progress) reports.push({ kind: 'progress', progress: this.#progress })
    if (last) reports.push(last)
    this.#held = []
    this.#bytes = 0
    this.#progress = null
    if (reports.length === 0) return
    const fields = encodeReports(this.#jobId, reports)
    this.#redis.xadd(this.#stream, 'MAXLEN', '~', REPORT_STREAM_MAXLEN, '*', ...fields).catch(() => undefined)
  }
}

/**
 * Flushes each writer's reports once they have been held FLUSH_DELAY_MS, with one timer for
 * all the writers of this process instead of one per run. A short run's reports leave with
 * its outcome long before that, so a timer per run was set and cleared for nothing on every
 * task; this one fires at most once per FLUSH_DELAY_MS while runs hold reports.
 */
class HoldClock {
  readonly #delayMs: number
  /** When each holding writer began to hold, in that order (so the first is the first due). */
  readonly #since = new Map<ReportWriter, number>()
  #armed = false

  constructor(delayMs: number) {
    this.#delayMs = delayMs
  }

  /** The writer holds reports; the first report it holds counts (a chatty run is flushed FLUSH_DELAY_MS after it began to hold, not after its last output). */
  hold(writer: ReportWriter): void {
    if (this.#since.has(writer)) return
    this.#since.set(writer, performance.now())
    if (!this.#armed) this.#arm(this.#delayMs)
  }

  /** The writer holds nothing any more (it flushed). The timer stays: it fires once more at most, finding nothing or the next due. */
  release(writer: ReportWriter): void {
    this.#since.delete(writer)
  }

  #arm(delayMs: number): void {
    this.#armed = true
    setTimeout(() => this.#tick(), delayMs)
  }

  #tick(): void {
    this.#armed = false
    const now = performance.now()
    for (const [writer, since] of this.#since) {
      if (now - since < this.#delayMs) {
        this.#arm(since + this.#delayMs - now)
        return
      }
      writer.flush() // releases it (deleting the current entry of a Map being iterated is safe)
    }
  }
}

const HOLD_CLOCK = new HoldClock(FLUSH_DELAY_MS)
