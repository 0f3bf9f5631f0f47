import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createConnection, type NetConnectOpts, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadOrCreateToken, TOKEN_FILE_NAME } from '../../src-main/server/security.ts'
import { CLOSE_AUTH_TIMEOUT, CLOSE_UNAUTHORIZED } from '../../src-main/server/ws-client.ts'
import { command, rawRequest, startHarness, TestSocket, type Harness } from './helpers.ts'

const listEnvelope = { v: 1, id: 7, command: 'task.list', params: {} }

describe('local API security', () => {
  let h: Harness
  beforeEach(async () => {
    h = await startHarness({ authTimeoutMs: 300 })
  })
  afterEach(async () => {
    await h.close()
  })

  it('writes api.json with mode 0600 naming url, port, token and pid, and removes it on close', async () => {
    const file = join(h.home, 'api.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const info = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    expect(info).toMatchObject({ url: h.server.url, port: h.server.port, token: h.server.token, pid: process.pid })
    expect(h.server.url).toBe(`http://127.0.0.1:${h.server.port}/`)
    expect(h.server.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(h.server.browserUrl).toBe(`${h.server.url}#token=${h.server.token}`)
    await h.server.close()
    expect(existsSync(file)).toBe(false)
  })

  it('keeps one token per data directory (mode 0600) and replaces one that others could read', () => {
    const file = join(h.home, TOKEN_FILE_NAME)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8').trim()).toBe(h.server.token)
    expect(loadOrCreateToken(h.home)).toBe(h.server.token)
    chmodSync(file, 0o644)
    const replaced = loadOrCreateToken(h.home)
    expect(replaced).not.toBe(h.server.token)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    writeFileSync(file, 'not a token\n', { mode: 0o600 })
    expect(loadOrCreateToken(h.home)).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  describe('HTTP', () => {
    it('accepts the right token and answers with the response message', async () => {
      const { status, message } = await command(h.server, listEnvelope)
      expect(status).toBe(200)
      expect(message).toEqual({ v: 1, kind: 'response', id: 7, result: { ok: true, value: { tasks: [], total: 0 } } })
    })

    it('refuses a missing token, a wrong token and a malformed Authorization header', async () => {
      for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: `Basic ${h.server.token}` }, { authorization: `Bearer ${h.server.token}x` }]) {
        const { status, message } = await command(h.server, listEnvelope, headers)
        expect(status).toBe(401)
        expect(message).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
      }
    })

    it('refuses a foreign Host (DNS rebinding) even with the right token, and accepts localhost', async () => {
      const auth = { authorization: `Bearer ${h.server.token}` }
      for (const host of ['evil.example', `evil.example:${h.server.port}`, `127.0.0.1:${h.server.port + 1}`, `0.0.0.0:${h.server.port}`]) {
        const response = await rawRequest(h.server.port, { method: 'POST', path: '/api/v1/command', headers: { ...auth, host }, body: JSON.stringify(listEnvelope) })
        expect(response.status, host).toBe(403)
        expect(response.body).toContain('is not allowed')
      }
      const page = await rawRequest(h.server.port, { path: '/', headers: { host: 'evil.example' } })
      expect(page.status).toBe(403)
      const ok = await rawRequest(h.server.port, { method: 'POST', path: '/api/v1/command', headers: { ...auth, host: `localhost:${h.server.port}` }, body: JSON.stringify(listEnvelope) })
      expect(ok.status).toBe(200)
    })

    it('refuses a foreign Origin even with the right token, and never sends CORS headers', async () => {
      const auth = { authorization: `Bearer ${h.server.token}` }
      for (const origin of ['http://evil.example', `http://127.0.0.1:${h.server.port + 1}`, 'null', `https://127.0.0.1:${h.server.port}`]) {
        const { status } = await command(h.server, listEnvelope, { ...auth, origin })
        expect(status, origin).toBe(403)
      }
      const own = await rawRequest(h.server.port, {
        method: 'POST',
        path: '/api/v1/command',
        headers: { ...auth, origin: `http://localhost:${h.server.port}` },
        body: JSON.stringify(listEnvelope),
      })
      expect(own.status).toBe(200)
      const preflight = await rawRequest(h.server.port, {
        method: 'OPTIONS',
        path: '/api/v1/command',
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
      })
      expect(preflight.status).toBeGreaterThanOrEqual(400)
      for (const response of [own, preflight]) {
        expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).toEqual([])
      }
    })

    it('answers GET on the command route with 405 and unknown API paths with 404', async () => {
      const auth = { authorization: `Bearer ${h.server.token}` }
      expect((await rawRequest(h.server.port, { path: '/api/v1/command', headers: auth })).status).toBe(405)
      expect((await rawRequest(h.server.port, { path: '/api/v2/other', headers: auth })).status).toBe(404)
    })
  })

  describe('WebSocket', () => {
    const url = (h: Harness) => `http://127.0.0.1:${h.server.port}`

    it('refuses the upgrade for a foreign Origin, a foreign Host, a wrong token or another path', async () => {
      expect(await TestSocket.refusal(h.server.port, { origin: 'http://evil.example' })).toBe(403)
      expect(await TestSocket.refusal(h.server.port, { headers: { host: 'evil.example' } })).toBe(403)
      expect(await TestSocket.refusal(h.server.port, { headers: { authorization: 'Bearer wrong' } })).toBe(401)
      expect(await TestSocket.refusal(h.server.port, { origin: url(h) }, '/other')).toBe(404)
    })

    it('accepts a Bearer header (CLI) and serves commands at once', async () => {
      const socket = await TestSocket.open(h.server.port, { headers: { authorization: `Bearer ${h.server.token}` } })
      expect(await socket.request('task.list')).toEqual({ ok: true, value: { tasks: [], total: 0 } })
      await socket.close()
    })

    it('accepts a first-message session.auth (browser) from our own origin, then serves commands', async () => {
      const socket = await TestSocket.open(h.server.port, { origin: url(h) })
      expect(await socket.auth(h.server.token)).toEqual({ ok: true, value: { protocol: 1 } })
      expect(await socket.request('group.list')).toMatchObject({ ok: true })
      await socket.close()
    })

    it('closes a socket whose first message is not session.auth, with an unauthorized error', async () => {
      const socket = await TestSocket.open(h.server.port)
      expect(await socket.request('task.list')).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
      expect((await socket.closed).code).toBe(CLOSE_UNAUTHORIZED)
    })

    it('closes a socket that authenticates with a wrong or missing token', async () => {
      for (const params of [{ token: 'wrong' }, {}, { token: 42 }]) {
        const socket = await TestSocket.open(h.server.port)
        expect(await socket.request('session.auth', params)).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
        expect((await socket.closed).code).toBe(CLOSE_UNAUTHORIZED)
      }
    })

    it('refuses a wrong session.auth on an authenticated socket by name, answering every request in flight and keeping the connection', async () => {
      // The connection under the WebSocket, kept to write two frames at once.
      let tcp: Socket | null = null
      const connect = ((options: NetConnectOpts) => (tcp = createConnection(options))) as typeof createConnection
      const socket = await TestSocket.open(h.server.port, { origin: url(h), createConnection: connect })
      expect(await socket.auth(h.server.token)).toMatchObject({ ok: true })
      // Both frames in one write, so the server reads them together: the submit, handed to the engine,
      // is still unanswered when the wrong token is refused (asserted below by the answers' order).
      const definitions = [{ name: 'in-flight', spec: { kind: 'shell', command: ['true'] }, stashed: true }]
      tcp!.cork()
      const answers = Promise.all([socket.request('task.submitMany', { definitions }), socket.request('session.auth', { token: 'wrong' })])
      tcp!.uncork()
      const [submitted, reauth] = await answers
      expect(submitted).toMatchObject({ ok: true, value: { tasks: [expect.objectContaining({ name: 'in-flight' })] } })
      expect(reauth).toEqual({
        ok: false,
        error: { code: 'unauthorized', message: 'session.auth: the API token is missing or wrong; this connection stays authenticated with the token it opened with.' },
      })
      const answerAt = (id: number) => socket.messages.findIndex((message) => message.kind === 'response' && message.id === id)
      expect(answerAt(3)).toBeLessThan(answerAt(2))
      expect(await socket.request('task.list', { text: 'in-flight', limit: 1 })).toMatchObject({ ok: true, value: { total: 1 } })
      // The right token again is simply confirmed.
      expect(await socket.auth(h.server.token)).toEqual({ ok: true, value: { protocol: 1 } })
      await socket.close()
    })

    it('closes a socket that never authenticates after the handshake timeout', async () => {
      const socket = await TestSocket.open(h.server.port)
      expect(await socket.closed).toEqual({ code: CLOSE_AUTH_TIMEOUT, reason: 'authentication timed out' })
      expect(socket.messages).toEqual([])
    })

    it('closes every client with 1001 when the server shuts down', async () => {
      const socket = await TestSocket.open(h.server.port, { headers: { authorization: `Bearer ${h.server.token}` } })
      await h.server.close()
      expect((await socket.closed).code).toBe(1001)
    })
  })
})
