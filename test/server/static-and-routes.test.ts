import { symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RouteRequest } from '../../src-main/server/routes.ts'
import { rawRequest, startHarness, type Harness } from './helpers.ts'

describe('static UI and mounted routes', () => {
  let h: Harness
  const received: RouteRequest[] = []
  beforeAll(async () => {
    h = await startHarness({
      routes: [
        {
          method: 'POST',
          path: '/hooks/:id',
          auth: 'none',
          maxBodyBytes: 1024,
          handle: (request) => {
            received.push(request)
            if (request.params.id === 'boom') throw new Error('hook exploded')
            return Promise.resolve({ status: 202, body: { accepted: request.params.id } })
          },
        },
      ],
    })
    symlinkSync(join(h.root, 'secret.txt'), join(h.staticDir, 'link.txt'))
  })
  afterAll(async () => {
    await h.close()
  })

  it('serves index.html at / with a strict CSP and the other security headers', async () => {
    const page = await rawRequest(h.server.port, { path: '/' })
    expect(page.status).toBe(200)
    expect(page.body).toContain('<title>Taskdeck</title>')
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    const csp = page.headers['content-security-policy']
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${h.server.port} ws://localhost:${h.server.port}`)
    expect(csp).toContain("object-src 'none'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe-inline')
    expect(page.headers['x-content-type-options']).toBe('nosniff')
    expect(page.headers['x-frame-options']).toBe('DENY')
    expect(page.headers['referrer-policy']).toBe('no-referrer')
  })

  it('serves assets with their content types and answers HEAD without a body', async () => {
    const script = await rawRequest(h.server.port, { path: '/assets/app.js' })
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(script.body).toBe('console.log("taskdeck")')
    expect((await rawRequest(h.server.port, { path: '/assets/style.css' })).headers['content-type']).toBe('text/css; charset=utf-8')
    const head = await rawRequest(h.server.port, { method: 'HEAD', path: '/assets/app.js' })
    expect(head.status).toBe(200)
    expect(head.headers['content-length']).toBe(String('console.log("taskdeck")'.length))
    expect(head.body).toBe('')
    expect((await rawRequest(h.server.port, { path: '/nope.js' })).status).toBe(404)
  })

  it('refuses every path that would leave the served folder', async () => {
    const attempts = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/..%2F..%2Fsecret.txt',
      '/%2e%2e%5csecret.txt',
      '/..\\secret.txt',
      '/secret.txt%00.html',
      '/%E0%A4%A',
      '/link.txt',
    ]
    for (const path of attempts) {
      const response = await rawRequest(h.server.port, { path })
      expect([400, 404], path).toContain(response.status)
      expect(response.body, path).not.toContain('TOP-SECRET')
    }
  })

  it('passes a mounted route its params and body, without the API token', async () => {
    const response = await rawRequest(h.server.port, { method: 'POST', path: '/hooks/build?ref=main', body: '{"x":1}' })
    expect(response.status).toBe(202)
    expect(response.json()).toEqual({ accepted: 'build' })
    expect(response.headers['content-security-policy']).toBeDefined()
    const request = received.at(-1)
    expect(request?.params).toEqual({ id: 'build' })
    expect(request?.query.get('ref')).toBe('main')
    expect(request?.body.toString()).toBe('{"x":1}')
  })

  it('applies Host/Origin checks and size limits to mounted routes; a throwing handler is a 500', async () => {
    const count = received.length
    expect((await rawRequest(h.server.port, { method: 'POST', path: '/hooks/x', headers: { host: 'evil.example' } })).status).toBe(403)
    expect((await rawRequest(h.server.port, { method: 'POST', path: '/hooks/x', headers: { origin: 'http://evil.example' } })).status).toBe(403)
    expect((await rawRequest(h.server.port, { method: 'POST', path: '/hooks/x', body: 'x'.repeat(2048) })).status).toBe(413)
    expect(received.length).toBe(count)
    const boom = await rawRequest(h.server.port, { method: 'POST', path: '/hooks/boom' })
    expect(boom.status).toBe(500)
    expect(boom.json()).toMatchObject({ ok: false, error: { code: 'internal', message: expect.stringContaining('hook exploded') as unknown } })
    expect((await rawRequest(h.server.port, { method: 'POST', path: '/hooks/again' })).status).toBe(202)
  })

  it('adds and removes routes at run time; token routes need the token; /api/ is reserved', async () => {
    const route = h.server.addRoute({ method: 'GET', path: '/private/:name', auth: 'token', handle: (r) => Promise.resolve({ status: 200, body: r.params }) })
    expect((await rawRequest(h.server.port, { path: '/private/a' })).status).toBe(401)
    const allowed = await rawRequest(h.server.port, { path: '/private/a', headers: { authorization: `Bearer ${h.server.token}` } })
    expect(allowed.json()).toEqual({ name: 'a' })
    expect(() => h.server.addRoute({ method: 'GET', path: '/private/:name', auth: 'none', handle: () => Promise.resolve({ status: 200 }) })).toThrow(/already mounted/)
    expect(() => h.server.addRoute({ method: 'GET', path: '/api/v1/mine', auth: 'none', handle: () => Promise.resolve({ status: 200 }) })).toThrow(/reserved/)
    route.dispose()
    expect((await rawRequest(h.server.port, { path: '/private/a', headers: { authorization: `Bearer ${h.server.token}` } })).status).toBe(404)
  })
})
