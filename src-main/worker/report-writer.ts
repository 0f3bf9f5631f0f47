import type { Redis } from 'ioredis'
import type { LogStream, Progress } from '../../src-shared/index.ts'
import { REPORT_STREAM_MAXLEN, TAKE_STDIN_SCRIPT, encodeReport } from '../engine/backends/redis-protocol.ts'
import type { Report, ReportBody } from '../engine/backends/redis-protocol.ts'

const FLUSH_DELAY_MS = 20
const FLUSH_BYTES = 256 * 1024

/**
 * Writes one run's reports to its app's stream, in order. Output is coalesced for a few
 * milliseconds (a chatty process would otherwise cost one Redis round trip per write);
 * progress keeps only its latest value per flush. Writes issued while Redis restarts wait
 * in ioredis's offline queue and go out on reconnection.
 */
export class ReportWriter {
  readonly #redis: Redis
  readonly #stream: string
  readonly #jobId: string
  #chunks: { stream: LogStream; data: Buffer }[] = []
  #bytes = 0
  #progress: Progress | null = null
  #timer: NodeJS.Timeout | undefined
  #writing: Promise<void> = Promise.resolve()

  constructor(redis: Redis, stream: string, jobId: string) {
    this.#redis = redis
    this.#stream = stream
    this.#jobId = jobId
  }

  output(stream: LogStream, chunk: Uint8Array | string): void {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    const last = this.#chunks.at(-1)
    if (last?.stream === stream) last.data = Buffer.concat([last.data, data])
    else this.#chunks.push({ stream, data: Buffer.from(data) })
    this.#bytes += data.byteLength
    this.#schedule()
  }

  progress(progress: Progress): void {
    this.#progress = progress
    this.#schedule()
  }

  /**
   * Reports the start, answers whether a cancel arrived before it, and takes the stdin text
   * sent before it, in one round trip.
   */
  async begin(worker: string, keys: { cancel: string; stdin: string; stdinBytes: string }): Promise<{ cancelled: boolean; stdin: string[] }> {
    const [[, exists] = [], , [, stdin] = []] =
      (await this.#redis
        .pipeline()
        .exists(keys.cancel)
        .xadd(this.#stream, 'MAXLEN', '~', REPORT_STREAM_MAXLEN, '*', ...encodeReport({ kind: 'started', jobId: this.#jobId, worker, pid: null }))
        .eval(TAKE_STDIN_SCRIPT, 2, keys.stdin, keys.stdinBytes)
        .exec()) ?? []
    return { cancelled: exists === 1, stdin: Array.isArray(stdin) ? (stdin as string[]) : [] }
  }

  /** Everything buffered so far, then `report`, in this order. */
  async send(report: ReportBody): Promise<void> {
    this.#flush()
    this.#append([{ ...report, jobId: this.#jobId }])
    await this.#writing
  }

  async flush(): Promise<void> {
    this.#flush()
    await this.#writing
  }

  #schedule(): void {
    if (this.#bytes >= FLUSH_BYTES) this.#flush()
    else this.#timer ??= setTimeout(() => this.#flush(), FLUSH_DELAY_MS)
  }

  #flush(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const reports: Report[] = this.#chunks.map(({ stream, data }) => ({ kind: 'out', jobId: this.#jobId, stream, data }))
    if (this.#progress) reports.push({ kind: 'progress', jobId: this.#jobId, progress: this.#progress })
    this.#chunks = []
    this.#bytes = 0
    this.#progress = null
    if (reports.length > 0) this.#append(reports)
  }

  #append(reports: Report[]): void {
    const pipeline = this.#redis.pipeline()
    for (const report of reports) pipeline.xadd(this.#stream, 'MAXLEN', '~', REPORT_STREAM_MAXLEN, '*', ...encodeReport(report))
    // Pipelines leave on one connection in the order they are made; the chain lets `flush` await them all.
    const write = pipeline.exec()
    this.#writing = this.#writing.then(() => write).then(
      () => undefined,
      () => undefined,
    )
  }
}
