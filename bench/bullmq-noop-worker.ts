// Plain BullMQ, the peer of bench/redis.ts: a worker process whose processor does nothing.
import { Worker } from 'bullmq'
import { Redis } from 'ioredis'

const [url, queue, concurrency, prefix] = process.argv.slice(2)
if (!url || !queue || !concurrency || !prefix) throw new Error('usage: bullmq-noop-worker URL QUEUE CONCURRENCY PREFIX')
const worker = new Worker(queue, () => Promise.resolve(null), {
  connection: new Redis(url, { maxRetriesPerRequest: null }),
  prefix,
  concurrency: Number(concurrency),
})
await worker.waitUntilReady()
console.log('ready')
process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)))
