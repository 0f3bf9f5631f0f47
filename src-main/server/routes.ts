import type { IncomingHttpHeaders } from 'node:http'

/** What a mounted route receives: the request already past the Host/Origin (and token) checks. */
export interface RouteRequest {
  readonly method: string
  /** Values of the `:name` segments of the route's path, percent-decoded. */
  readonly params: Readonly<Record<string, string>>
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  /** The whole body, at most `maxBodyBytes` long. */
  readonly body: Buffer
  readonly remoteAddress: string
}

export interface RouteResponse {
  status: number
  /** Sent as JSON; omitted for an empty body. */
  body?: unknown
  headers?: Readonly<Record<string, string>>
}

/**
 * An HTTP route another part of the app mounts on the local server (the triggers module
 * mounts `POST /hooks/:id`). Host and Origin checks, size limits and security headers are
 * applied by the server; a thrown error becomes a 500 with a JSON error, never a crash.
 */
export interface HttpRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Literal segments and `:name` parameters, e.g. "/hooks/:id". Not under /api/. */
  readonly path: string
  /**
   * 'token': the API token is required, as for the API itself. 'none': the route checks a
   * credential of its own (a webhook's per-hook secret).
   */
  readonly auth: 'token' | 'none'
  /** Larger bodies get 413 before the handler runs. Defaults to 1 MiB. */
  readonly maxBodyBytes?: number
  handle(request: RouteRequest): Promise<RouteResponse>
}

export const DEFAULT_ROUTE_BODY_BYTES = 1024 * 1024

export interface CompiledRoute {
  readonly route: HttpRoute
  match(pathname: string): Record<string, string> | null
}

export function compileRoute(route: HttpRoute): CompiledRoute {
  if (!route.path.startsWith('/') || route.path.startsWith('/api/') || route.path === '/api') {
    throw new Error(`Route path "${route.path}" must start with "/" and may not be under /api/ (reserved for the API).`)
  }
  const segments = route.path.split('/').slice(1)
  return {
    route,
    match(pathname) {
      const parts = pathname.split('/').slice(1)
      if (parts.length !== segments.length) return null
      const params: Record<string, string> = {}
      for (const [index, segment] of segments.entries()) {
        const part = parts[index] ?? ''
        if (segment.startsWith(':')) {
          if (part === '') return null
          try {
            params[segment.slice(1)] = decodeURIComponent(part)
          } catch {
            return null
          }
        } else if (segment !== part) {
          return null
        }
      }
      return params
    },
  }
}
