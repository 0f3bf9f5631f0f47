/**
 * The renderer is served from `app://bundle/…` (a privileged standard scheme), never from
 * file://. This module decides which file under the bundle root a request may read; the
 * adapter joins the answer onto the root and checks the joined path once more.
 */
export const APP_SCHEME = 'app'
export const APP_HOST = 'bundle'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`

export type AppRequestDecision =
  | { ok: true; relativePath: string; contentType: string }
  | { ok: false; status: 400 | 403 | 404 | 405; reason: string }

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  map: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  webp: 'image/webp',
  woff2: 'font/woff2',
  woff: 'font/woff',
  txt: 'text/plain; charset=utf-8',
  wasm: 'application/wasm',
}

const MAX_PATH_CHARS = 1024
// A segment is a plain file or folder name: no traversal, no separators, no NUL, no drive
// letters or alternate data streams (":"), nothing hidden (".env", ".git").
const SAFE_SEGMENT = /^[A-Za-z0-9_@+-][A-Za-z0-9_@+.-]*$/

export function contentTypeFor(path: string): string | null {
  const dot = path.lastIndexOf('.')
  if (dot < 0) return null
  return CONTENT_TYPES[path.slice(dot + 1).toLowerCase()] ?? null
}

/** Maps one `app://` request to a file inside the bundle, or refuses it with a status. */
export function resolveAppRequest(rawUrl: string, method = 'GET'): AppRequestDecision {
  if (method !== 'GET' && method !== 'HEAD') return { ok: false, status: 405, reason: `method ${method} is not allowed` }
  if (rawUrl.length > MAX_PATH_CHARS * 2) return { ok: false, status: 400, reason: 'URL too long' }
  // Look at the raw text first: URL parsing would silently resolve "..", which must be refused, not normalised.
  const prefix = `${APP_ORIGIN}/`
  if (!rawUrl.startsWith(prefix)) return { ok: false, status: 403, reason: `only ${prefix} URLs are served` }
  const rawPath = rawUrl.slice(prefix.length).split(/[?#]/, 1)[0] ?? ''
  if (rawPath.length > MAX_PATH_CHARS) return { ok: false, status: 400, reason: 'path too long' }
  const segments = rawPath === '' ? ['index.html'] : rawPath.split('/')
  const decoded: string[] = []
  for (const segment of segments) {
    let name: string
    try {
      name = decodeURIComponent(segment)
    } catch {
      return { ok: false, status: 400, reason: 'malformed percent-encoding' }
    }
    if (!SAFE_SEGMENT.test(name)) return { ok: false, status: 403, reason: `path segment ${JSON.stringify(name.slice(0, 64))} is not allowed` }
    decoded.push(name)
  }
  const relativePath = decoded.join('/')
  const contentType = contentTypeFor(relativePath)
  if (contentType === null) return { ok: false, status: 404, reason: `no file type for ${relativePath}` }
  return { ok: true, relativePath, contentType }
}
