import { describe, expect, it } from 'vitest'
import { SecretChecker, generateSecret, hashSecret, verifySecret } from '../../src-main/triggers/secrets.ts'

describe('webhook secrets kept as salted scrypt hashes', () => {
  it('verifies the secret a hash was made from, and nothing else; each hash has its own salt', async () => {
    const secret = generateSecret()
    const [first, second] = await Promise.all([hashSecret(secret), hashSecret(secret)])
    expect(first).not.toBe(second)
    expect(first).not.toContain(secret)
    expect(await verifySecret(secret, first)).toBe(true)
    expect(await verifySecret(secret, second)).toBe(true)
    expect(await verifySecret(`${secret}x`, first)).toBe(false)
    // A hash with parameters scrypt refuses (N not a power of two) matches nothing rather than throwing.
    expect(await verifySecret(secret, first.replace('$16384$', '$16385$'))).toBe(false)
  })

  it('remembers a secret that passed only for the hash it matched (a rotated hook forgets it), and checks concurrent calls', async () => {
    const checker = new SecretChecker()
    const [old, rotated] = [generateSecret(), generateSecret()]
    const [oldHash, rotatedHash] = await Promise.all([hashSecret(old), hashSecret(rotated)])
    const answers = await Promise.all([checker.check(old, oldHash), checker.check('a-wrong-guess-123', oldHash), checker.check(rotated, rotatedHash)])
    expect(answers).toEqual([true, false, true])
    expect(await checker.check(old, oldHash)).toBe(true)
    expect(await checker.check(old, rotatedHash)).toBe(false)
    expect(await checker.check('a-wrong-guess-123', oldHash)).toBe(false)
  })
})
