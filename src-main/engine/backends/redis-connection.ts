import { Redis } from 'ioredis'
import type { RedisOptions } from 'ioredis'
import { refusal } from '../../../src-shared/index.ts'

export interface RedisConnectionOptions {
  url: string
  password?: string | undefined
  /** rediss:// only: verify the server certificate. */
  tlsRejectUnauthorized?: boolean | undefined
}

/** The URL without user or password, safe to show and log. */
export function redactRedisUrl(url: string): string {
  const parsed = new URL(url)
  parsed.username = ''
  parsed.password = ''
  return parsed.toString().replace(/\/$/, '')
}

/**
 * A connection that waits through Redis restarts instead of failing commands: BullMQ
 * workers require `maxRetriesPerRequest: null`, and the app wants an enqueue issued while
 * Redis restarts to complete once it is back rather than fail the run.
 */
export function connectRedis(options: RedisConnectionOptions, extra: RedisOptions = {}): Redis {
  const tls = new URL(options.url).protocol === 'rediss:' ? { rejectUnauthorized: options.tlsRejectUnauthorized ?? true } : undefined
  return new Redis(options.url, {
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    ...(options.password !== undefined && { password: options.password }),
    ...(tls && { tls }),
    ...extra,
  })
}

/**
 * BullMQ loses jobs and locks silently when Redis evicts keys under memory pressure, so
 * any policy but `noeviction` is refused (https://docs.bullmq.io/guide/going-to-production).
 * Managed services that disable CONFIG still report the policy in INFO.
 */
export async function assertRedisSuitable(redis: Redis, shownUrl: string): Promise<void> {
  let policy: string | undefined
  try {
    const reply = (await redis.call('CONFIG', 'GET', 'maxmemory-policy')) as string[]
    policy = reply[1]
  } catch {
    const info = await redis.info('memory')
    policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1]
  }
  if (policy !== 'noeviction') {
    throw refusal(
      'redis-evicts',
      `Redis at ${shownUrl} uses maxmemory-policy ${policy ?? '(unknown)'}; Taskdeck needs noeviction. ` +
        'With any other policy Redis may delete queued jobs and their locks when memory runs short, ' +
        'so tasks would vanish or run twice without a trace. Fix: run `CONFIG SET maxmemory-policy noeviction` ' +
        'and set `maxmemory-policy noeviction` in redis.conf (or your provider\'s settings), then bind the group again.',
      { redis: shownUrl, policy: policy ?? null },
      { maxmemoryPolicy: policy ?? null },
    )
  }
}
