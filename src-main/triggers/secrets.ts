import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { WEBHOOK_SECRET_HASH_PATTERN } from '../../src-shared/index.ts'

/**
 * Webhook secrets are kept only as salted scrypt hashes: the server needs to check a secret,
 * never to know it, so a copied database or export does not open the hooks. The cost is
 * scrypt's interactive-login setting scaled down (N = 2^14, 16 MiB, ~50 ms on the libuv pool,
 * off the event loop): a hook is rate limited, and generated secrets (32 random bytes) are
 * out of reach of any guessing; the cost only slows offline guesses at short chosen ones.
 * The parameters travel in each hash, so they can be raised later without breaking old hooks.
 */
const COST = { N: 1 << 14, r: 8, p: 1 } as const
const KEY_BYTES = 32
const SALT_BYTES = 16
/** scrypt needs 128·N·r bytes; allow up to N = 2^17 from a hash made by a later version. */
const MAX_MEMORY = 128 * (1 << 17) * 8 * 2

const encode = (bytes: Buffer): string => bytes.toString('base64url')

/** A fresh secret for a hook created without one: 32 random bytes, base64url (43 characters). */
export function generateSecret(): string {
  return encode(randomBytes(32))
}

function format(salt: Buffer, key: Buffer): string {
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${encode(salt)}$${encode(key)}`
}

function scryptAsync(secret: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(secret, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))))
}

/** A new salted hash of `secret`, computed off the event loop. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  return format(salt, await scryptAsync(secret, salt, KEY_BYTES, { ...COST, maxmem: MAX_MEMORY }))
}

/** The same, synchronously: for the migration, which runs inside one SQL statement. */
export function hashSecretSync(secret: string): string {
  const salt = randomBytes(SALT_BYTES)
  return format(salt, scryptSync(secret, salt, KEY_BYTES, { ...COST, maxmem: MAX_MEMORY }))
}

/** Whether `presented` is the secret `stored` was made from; the final comparison takes constant time. */
export async function verifySecret(presented: string, stored: string): Promise<boolean> {
  if (!WEBHOOK_SECRET_HASH_PATTERN.test(stored)) return false
  const [, n, r, p, salt, key] = stored.split('$') as [string, string, string, string, string, string]
  const expected = Buffer.from(key, 'base64url')
  try {
    const actual = await scryptAsync(presented, Buffer.from(salt, 'base64url'), expected.length, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: MAX_MEMORY,
    })
    return timingSafeEqual(actual, expected)
  } catch {
    // Parameters scrypt refuses (an imported hash with N not a power of two, or too costly) match nothing.
    return false
  }
}

/** Secrets that passed, by the hash they matched; forgotten wholesale past this many (rotations leave old entries). */
const MAX_REMEMBERED = 1000

/**
 * Checks presented secrets against hooks' hashes, keeping the per-request cost small for the
 * callers that have the secret and bounded for those that do not:
 *
 * - a secret that passed is remembered in memory (as its SHA-256, never on disk) with the
 *   hash it matched, so the hook's next calls are checked in microseconds; a rotated secret
 *   has a new hash, so the old one is not remembered for it;
 * - scrypt runs one check at a time, so guesses (already rate limited per hook) never hold
 *   more than one of libuv's threads, which file reads and writes also need.
 */
export class SecretChecker {
  private readonly passed = new Map<string, Buffer>()
  private lane: Promise<unknown> = Promise.resolve()

  async check(presented: string, secretHash: string): Promise<boolean> {
    const digest = createHash('sha256').update(presented, 'utf8').digest()
    const remembered = this.passed.get(secretHash)
    if (remembered && timingSafeEqual(remembered, digest)) return true
    const result = this.lane.then(() => verifySecret(presented, secretHash))
    this.lane = result
    const matches = await result
    if (matches) {
      if (this.passed.size >= MAX_REMEMBERED) this.passed.clear()
      this.passed.set(secretHash, digest)
    }
    return matches
  }
}
