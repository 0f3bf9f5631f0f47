import { describe, expect, it } from 'vitest'
import { APP_ORIGIN, contentTypeFor, resolveAppRequest } from '../../src-shared/decisions/appProtocol.ts'
import { contentSecurityPolicy } from '../../src-shared/decisions/csp.ts'
import { decideNavigation, isAllowedExternalUrl, isAppUrl, isPermissionGranted, isTrustedSender } from '../../src-shared/decisions/trust.ts'

describe('app:// path-traversal guard', () => {
  it('serves index.html for the root and files below the bundle', () => {
    expect(resolveAppRequest(`${APP_ORIGIN}/`)).toEqual({ ok: true, relativePath: 'index.html', contentType: 'text/html; charset=utf-8' })
    expect(resolveAppRequest(`${APP_ORIGIN}/assets/index-B1x_9.js?v=2#x`)).toMatchObject({ ok: true, relativePath: 'assets/index-B1x_9.js' })
    expect(resolveAppRequest(`${APP_ORIGIN}/assets/a%20b.css`)).toMatchObject({ ok: false, status: 403 })
  })

  it.each([
    'app://bundle/../../etc/passwd',
    'app://bundle/assets/../../../etc/passwd',
    'app://bundle/%2e%2e/%2e%2e/etc/passwd',
    'app://bundle/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    'app://bundle/..%5c..%5cwindows%5cwin.ini',
    'app://bundle/assets/..\\..\\secret.js',
    'app://bundle/./index.html',
    'app://bundle//etc/passwd.html',
    'app://bundle/C:/Windows/win.ini',
    'app://bundle/index.html%00.js',
    'app://bundle/.env.json',
    'app://bundle/assets/.git/config.json',
  ])('refuses %s with 4xx', (url) => {
    const decision = resolveAppRequest(url)
    expect(decision.ok).toBe(false)
    if (!decision.ok) expect(decision.status).toBeGreaterThanOrEqual(400)
  })

  it('refuses other hosts and schemes, bad encodings, writes and unknown types', () => {
    expect(resolveAppRequest('app://other/index.html')).toMatchObject({ ok: false, status: 403 })
    expect(resolveAppRequest('file:///etc/passwd')).toMatchObject({ ok: false, status: 403 })
    expect(resolveAppRequest('app://bundle.evil/index.html')).toMatchObject({ ok: false, status: 403 })
    expect(resolveAppRequest('app://bundle/%E0%A4%A.js')).toMatchObject({ ok: false, status: 400 })
    expect(resolveAppRequest(`${APP_ORIGIN}/index.html`, 'POST')).toMatchObject({ ok: false, status: 405 })
    expect(resolveAppRequest(`${APP_ORIGIN}/bin/taskdeck`)).toMatchObject({ ok: false, status: 404 })
    expect(resolveAppRequest(`${APP_ORIGIN}/${'a/'.repeat(600)}x.js`)).toMatchObject({ ok: false, status: 400 })
  })

  it('knows the content types the bundle uses', () => {
    expect(contentTypeFor('a/b.JS')).toBe('text/javascript; charset=utf-8')
    expect(contentTypeFor('x.woff2')).toBe('font/woff2')
    expect(contentTypeFor('x.exe')).toBeNull()
    expect(contentTypeFor('Makefile')).toBeNull()
  })
})

describe('content security policy', () => {
  const csp = contentSecurityPolicy()
  const directive = (name: string) => csp.split('; ').find((d) => d.startsWith(`${name} `))

  it('allows only our own scripts, never eval or inline script', () => {
    expect(directive('script-src')).toBe("script-src 'self'")
    expect(csp).not.toContain('unsafe-eval')
    expect(csp).not.toContain('unsafe-inline')
    expect(directive('default-src')).toBe("default-src 'none'")
    expect(directive('object-src')).toBe("object-src 'none'")
    expect(directive('frame-ancestors')).toBe("frame-ancestors 'none'")
    expect(directive('base-uri')).toBe("base-uri 'none'")
  })

  it('adds the serve mode WebSocket origin to connect-src only', () => {
    const withWs = contentSecurityPolicy({ connectSrc: ['ws://127.0.0.1:4321'] })
    expect(withWs).toContain("connect-src 'self' ws://127.0.0.1:4321")
    expect(withWs.match(/ws:\/\//g)).toHaveLength(1)
  })
})

describe('IPC sender check', () => {
  it('trusts only our own top-level frame on app://bundle', () => {
    expect(isTrustedSender({ url: 'app://bundle/index.html', isTopLevel: true })).toBe(true)
    expect(isTrustedSender({ url: 'app://bundle/index.html', isTopLevel: false })).toBe(false)
    expect(isTrustedSender({ url: undefined, isTopLevel: true })).toBe(false)
    expect(isTrustedSender({ url: 'https://evil.example/', isTopLevel: true })).toBe(false)
    expect(isTrustedSender({ url: 'app://bundle.evil.example/', isTopLevel: true })).toBe(false)
    expect(isTrustedSender({ url: 'app://user:pw@bundle/', isTopLevel: true })).toBe(false)
    expect(isTrustedSender({ url: 'file:///tmp/index.html', isTopLevel: true })).toBe(false)
    expect(isTrustedSender({ url: 'not a url', isTopLevel: true })).toBe(false)
    expect(isTrustedSender({ url: 'about:blank', isTopLevel: true })).toBe(false)
  })

  it('accepts the dev server origin only when configured, and only that exact origin', () => {
    const dev = { devServerOrigin: 'http://localhost:5173' }
    expect(isTrustedSender({ url: 'http://localhost:5173/', isTopLevel: true })).toBe(false)
    expect(isTrustedSender({ url: 'http://localhost:5173/', isTopLevel: true }, dev)).toBe(true)
    expect(isTrustedSender({ url: 'http://localhost:5174/', isTopLevel: true }, dev)).toBe(false)
    expect(isTrustedSender({ url: 'https://localhost:5173/', isTopLevel: true }, dev)).toBe(false)
    expect(isAppUrl('app://bundle/x', dev)).toBe(true)
  })
})

describe('navigation and external links', () => {
  it('opens only allowlisted https links externally and denies everything else', () => {
    expect(decideNavigation('https://github.com/taskdeck/taskdeck')).toEqual({ kind: 'open-external', url: 'https://github.com/taskdeck/taskdeck' })
    for (const url of [
      'http://github.com/',
      'https://github.com.evil.example/',
      'https://evil.example/?https://github.com',
      'https://user:pw@github.com/',
      'https://github.com:8443/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://github.com/share',
      'app://bundle/index.html',
      `https://github.com/${'a'.repeat(3000)}`,
      'not a url',
    ]) {
      expect(decideNavigation(url), url).toEqual({ kind: 'deny' })
    }
    expect(isAllowedExternalUrl('https://example.org/', ['example.org'])).toBe(true)
  })
})

describe('permissions', () => {
  it('denies by default and grants clipboard writes to our page only', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'midi', 'openExternal', 'fullscreen', 'clipboard-read', 'display-capture']) {
      expect(isPermissionGranted(p, 'app://bundle/index.html'), p).toBe(false)
    }
    expect(isPermissionGranted('clipboard-sanitized-write', 'app://bundle/index.html')).toBe(true)
    expect(isPermissionGranted('clipboard-sanitized-write', 'https://evil.example/')).toBe(false)
  })
})
