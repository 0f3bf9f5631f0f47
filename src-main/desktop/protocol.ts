import { readFile } from 'node:fs/promises'
import { resolve, sep } from 'node:path'
import type { Protocol } from 'electron'
import { APP_SCHEME, resolveAppRequest } from '../../src-shared/decisions/appProtocol.ts'
import { contentSecurityPolicy, SECURITY_HEADERS } from '../../src-shared/decisions/csp.ts'

/**
 * `app://bundle/…` must be declared before the app is ready: a standard, secure scheme
 * (so the page is a secure context with a real origin) that may load ES modules (CORS)
 * and use fetch. It gets no other privilege (no service workers, no CSP bypass).
 */
export function declareAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } }])
}

const text = (status: number, body: string): Response =>
  new Response(body, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS } })

/**
 * Answers one `app://` request from the renderer bundle folder. The pure guard decides
 * which relative path may be read; the joined path is checked again against the root, so
 * a bug in one check alone cannot read outside it. Every answer carries the CSP.
 */
export async function serveAppRequest(root: string, request: { url: string; method: string }): Promise<Response> {
  const decision = resolveAppRequest(request.url, request.method)
  if (!decision.ok) return text(decision.status, decision.reason)
  const base = resolve(root)
  const path = resolve(base, decision.relativePath)
  if (!path.startsWith(base + sep)) return text(403, 'outside the bundle')
  let body: Buffer
  try {
    body = await readFile(path)
  } catch {
    return text(404, `${decision.relativePath} not found`)
  }
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
    status: 200,
    headers: { 'Content-Type': decision.contentType, 'Content-Security-Policy': contentSecurityPolicy(), ...SECURITY_HEADERS },
  })
}

/** Serves the renderer folder on `app://` (after ready). */
export function handleAppProtocol(protocol: Pick<Protocol, 'handle'>, root: string): void {
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(root, request))
}
