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
  #timer: NodeJS.Timeout | undefined
  /** The last XADD made; replies come in command order, so once it settles every earlier one has. */
  #writing: Promise<unknown> | null = null

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

  /** Everything held so far, then `report`, in one entry; resolves once written. */
  send(report: ReportBody): Promise<void> {
    this.#flush(report)
    return this.#written()
  }

  flush(): Promise<void> {
    this.#flush()
    return this.#written()
  }

  #written(): Promise<void> {
    return this.#writing === null
      ? Promise.resolve()
      : this.#writing.then(
          () => undefined,
          () => undefined,
        )
  }

  #schedule(): void {
    if (this.#bytes >= FLUSH_BYTES) this.#flush()
    else this.#timer ??= setTimeout(() => this.#flush(), FLUSH_DELAY_MS)
  }

  #flush(last?: ReportBody): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const reports = this.#held
    if (this.#progress) reports.push({ kind: 'progress', progress: this.#progress })
    if (last) reports.push(last)
    this.#held = []
    this.#bytes = 0
    this.#progress = null
    if (reports.length === 0) return
    const fields = encodeReports(this.#jobId, reports)
    this.#writing = this.#redis.xadd(this.#stream, 'MAXLEN', '~', REPORT_STREAM_MAXLEN, '*', ...fields)
    // send and flush resolve whether the write succeeded or not; this keeps a failure from being unhandled.
    this.#writing.catch(() => undefined)
  }
}
