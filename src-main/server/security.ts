import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomicSync } from '../engine/atomic-file.ts'

/** A fresh API token: 32 random bytes, URL-safe so it can travel in a URL fragment. */
export function newToken(): string {
  return randomBytes(32).toString('base64url')
}

export const TOKEN_FILE_NAME = 'api-token'
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/

/**
 * The data directory's API token, made once and kept (mode 0600) so that a restarted
 * server accepts the clients it had: a browser tab reconnects by itself, a printed URL
 * stays valid. A file that others could read, or that holds no valid token, is replaced.
 */
export function loadOrCreateToken(home: string): string {
  const path = join(home, TOKEN_FILE_NAME)
  try {
    const stats = statSync(path)
    const token = readFileSync(path, 'utf8').trim()
    if ((stats.mode & 0o077) === 0 && TOKEN_PATTERN.test(token)) return token
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const token = newToken()
  writeFileAtomicSync(path, `${token}\n`, { mode: 0o600 })
  return token
}

/**
 * Constant-time comparison. Both sides are hashed first so that neither the length nor
 * the content of the expected token leaks through timing.
 */
export function tokenMatches(expected: string, received: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest()
  return timingSafeEqual(digest(expected), digest(received))
}

/** The token from an `Authorization: Bearer …` header, or null when there is none. */
export function bearerToken(headers: IncomingHttpHeaders): string | null {
  const header = headers.authorization
  if (header === undefined) return null
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1] ?? ''
}

/** The names this server answers to; anything else in `Host` is a DNS-rebinding attempt. */
export function allowedHosts(port: number): ReadonlySet<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`])
}

export function allowedOrigins(port: number): ReadonlySet<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`])
}

/** Names the reason a request's Host or Origin is refused, or null when both are ours. */
export function checkHostAndOrigin(headers: IncomingHttpHeaders, port: number): string | null {
  const host = headers.host?.toLowerCase()
  if (host === undefined || !allowedHosts(port).has(host)) {
    return `Host "${truncate(headers.host ?? '')}" is not allowed: use 127.0.0.1:${port} or localhost:${port}.`
  }
  const origin = headers.origin
  if (origin !== undefined && !allowedOrigins(port).has(origin.toLowerCase())) {
    return `Origin "${truncate(origin)}" is not allowed: only pages served by this Taskdeck may call its API.`
  }
  return null
}

/** Sent with every response: no framing, no sniffing, no referrers, scripts only from us. */
export function securityHeaders(port: number): Record<string, string> {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ')
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  }
}

const truncate = (value: string): string => (value.length > 100 ? `${value.slice(0, 100)}…` : value)
