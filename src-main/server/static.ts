import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, isAbsolute, relative, resolve, sep } from 'node:path'
import { pipeline } from 'node:stream/promises'

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
}

export const contentTypeOf = (path: string): string => CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'

export type StaticLookup = { kind: 'file'; path: string; size: number } | { kind: 'not-found' } | { kind: 'refused'; reason: string }

/**
 * Maps a request path to a file inside `root`, refusing anything that would leave it:
 * `..` segments (raw or percent-encoded), encoded separators, NUL bytes, absolute paths,
 * and symlinks that point outside.
 */
export async function lookupStatic(root: string, rawPathname: string): Promise<StaticLookup> {
  let decoded: string
  try {
    decoded = decodeURIComponent(rawPathname)
  } catch {
    return { kind: 'refused', reason: 'malformed percent-encoding in the path' }
  }
  if (decoded.includes('\0')) return { kind: 'refused', reason: 'NUL byte in the path' }
  if (decoded.includes('\\')) return { kind: 'refused', reason: 'backslash in the path' }
  if (decoded.split('/').some((segment) => segment === '..')) return { kind: 'refused', reason: '".." in the path' }
  const wanted = decoded.endsWith('/') ? `${decoded}index.html` : decoded
  const realRoot = await realpath(root).catch(() => null)
  if (realRoot === null) return { kind: 'not-found' }
  const candidate = resolve(realRoot, `.${wanted}`)
  if (!isInside(realRoot, candidate)) return { kind: 'refused', reason: 'the path leaves the served folder' }
  try {
    const real = await realpath(candidate)
    if (!isInside(realRoot, real)) return { kind: 'refused', reason: 'the path leaves the served folder' }
    const info = await stat(real)
    if (!info.isFile()) return { kind: 'not-found' }
    return { kind: 'file', path: real, size: info.size }
  } catch {
    return { kind: 'not-found' }
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel))
}

/** Streams a looked-up file; the caller has already set the security headers. */
export async function sendFile(request: IncomingMessage, response: ServerResponse, file: { path: string; size: number }): Promise<void> {
  response.statusCode = 200
  response.setHeader('Content-Type', contentTypeOf(file.path))
  response.setHeader('Content-Length', file.size)
  // The HTML entry must be revalidated so a rebuilt bundle is picked up; hashed assets may be cached.
  response.setHeader('Cache-Control', file.path.endsWith('.html') ? 'no-cache' : 'public, max-age=3600')
  if (request.method === 'HEAD') {
    response.end()
    return
  }
  await pipeline(createReadStream(file.path), response)
}
