import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseRequest } from '../../src-shared/index.ts'
import { createHmac } from 'node:crypto'
import { SECRET_HEADER, SIGNATURE_HEADER, sendWebhookResponse, webhookRequestOf } from '../../src-main/triggers/index.ts'
import { openWorld, tempDir, type World } from './helpers.ts'

const SECRET = 'correct-horse-battery-staple'

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: { ok: boolean; error?: string; firingId?: number; taskId?: number | null }
}

describe('webhook triggers (real HTTP on 127.0.0.1, real engine)', () => {
  let home: ReturnType<typeof tempDir>
  let world: World
  let server: Server
  let port: number

  beforeEach(async () => {
    home = tempDir('hook')
    world = await openWorld(home.path)
    // The smallest server that mounts the handler the way the local server does: POST /hooks/:id.
    server = createServer((req, res) => {
      const match = /^\/hooks\/([^/?]+)$/.exec(req.url ?? '')
      if (req.method !== 'POST' || !match) {
        res.writeHead(404).end()
        return
      }
      void world.triggers.handleWebhook(webhookRequestOf(req, decodeURIComponent(match[1]!))).then((response) => sendWebhookResponse(res, response))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve))
    await world.close()
    home.remove()
  })

  function post(path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Reply['body'] }))
      })
      // The server may answer (413) and close before the whole body is sent.
      req.on('error', reject)
      req.end(body)
    })
  }

  async function hook(spec: Record<string, unknown> = {}) {
    const out = join(home.path, 'payload.json')
    const { savedTask } = await world.call('savedTask.create', { name: 'deploy', definition: { spec: { kind: 'shell', command: `cat > '${out}'` } } })
    const { trigger } = await world.call('trigger.create', {
      trigger: { savedTaskId: savedTask.id, spec: { kind: 'webhook', secret: SECRET, ...spec } },
    })
    return { trigger, out }
  }

  it('accepts a call with the right secret and hands its JSON payload to the task', async () => {
    const { trigger, out } = await hook()
    const payload = JSON.stringify({ ref: 'refs/heads/main', commits: 3 })
    const reply = await post(`/hooks/${trigger.id}`, payload, {
      'content-type': 'application/json',
      [SECRET_HEADER]: SECRET,
    })
    expect(reply.status).toBe(202)
    expect(reply.body.ok).toBe(true)
    expect(reply.body.firingId).toBeTypeOf('number')
    expect(reply.body.taskId).toBeTypeOf('number')
    expect(await world.log.untilFinished(reply.body.taskId!)).toBe('succeeded')
    const received = JSON.parse(readFileSync(out, 'utf8')) as { cause: string; webhook: { body: unknown; contentType: string } }
    expect(received.cause).toBe('webhook')
    expect(received.webhook.body).toEqual({ ref: 'refs/heads/main', commits: 3 })

    // The bearer form works too, and plain text arrives as text.
    const bearer = await post(`/hooks/${trigger.id}`, 'hello', { authorization: `Bearer ${SECRET}`, 'content-type': 'text/plain' })
    expect(bearer.status).toBe(202)
    const { history } = await world.call('trigger.get', { triggerId: trigger.id })
    expect(history.map((f) => [f.cause, f.outcome, f.detail.bytes])).toEqual([
      ['webhook', 'submitted', 5],
      ['webhook', 'submitted', Buffer.byteLength(payload)],
    ])
  })

  it('accepts GitHub-style body signatures and GitLab’s token header', async () => {
    const { trigger } = await hook()
    const body = JSON.stringify({ action: 'published', release: { tag_name: 'v1.2.0' } })
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`
    const signed = await post(`/hooks/${trigger.id}`, body, { [SIGNATURE_HEADER]: signature, 'content-type': 'application/json' })
    expect(signed.status).toBe(202)

    const tampered = await post(`/hooks/${trigger.id}`, body.replace('v1.2.0', 'v6.6.6'), { [SIGNATURE_HEADER]: signature, 'content-type': 'application/json' })
    expect(tampered.status).toBe(401)
    expect(tampered.body.error).toMatch(/signature does not match/)

    expect((await post(`/hooks/${trigger.id}`, body, { 'x-gitlab-token': SECRET })).status).toBe(202)
    expect(world.log.firings(trigger.id).map((f) => f.outcome)).toEqual(['submitted', 'submitted'])
  })

  it('refuses calls without the secret, with a wrong one, for unknown hooks and for paused ones', async () => {
    const { trigger } = await hook()
    const missing = await post(`/hooks/${trigger.id}`, '{}')
    expect(missing.status).toBe(401)
    expect(missing.body.error).toMatch(/Missing secret/)
    expect(missing.headers['www-authenticate']).toBe('Bearer')

    const wrong = await post(`/hooks/${trigger.id}`, '{}', { [SECRET_HEADER]: `${SECRET}x` })
    expect(wrong.status).toBe(401)
    expect(wrong.body.error).toMatch(/Wrong secret/)

    expect((await post('/hooks/999', '{}', { [SECRET_HEADER]: SECRET })).status).toBe(404)
    expect((await post('/hooks/not-a-number', '{}', { [SECRET_HEADER]: SECRET })).status).toBe(404)

    const badJson = await post(`/hooks/${trigger.id}`, '{nope', { [SECRET_HEADER]: SECRET, 'content-type': 'application/json' })
    expect(badJson.status).toBe(400)

    await world.call('trigger.pause', { triggerId: trigger.id })
    expect((await post(`/hooks/${trigger.id}`, '{}', { [SECRET_HEADER]: SECRET })).status).toBe(409)
    // Nothing above started a task.
    expect((await world.call('trigger.get', { triggerId: trigger.id })).history).toEqual([])
  })

  it('refuses bodies over the hook’s limit, declared or streamed', async () => {
    const { trigger } = await hook({ maxBodyBytes: 1024 })
    const declared = await post(`/hooks/${trigger.id}`, Buffer.alloc(4096, 'a'), { [SECRET_HEADER]: SECRET })
    expect(declared.status).toBe(413)

    // Chunked: no content-length, so the limit is enforced while reading.
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: `/hooks/${trigger.id}`, method: 'POST', headers: { [SECRET_HEADER]: SECRET, 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.write(Buffer.alloc(800, 'a'))
      req.end(Buffer.alloc(800, 'b'))
    })
    expect(streamed).toBe(413)
    expect((await world.call('trigger.get', { triggerId: trigger.id })).history).toEqual([])
  })

  it('rate limits each hook, counting refused calls, and says when to retry', async () => {
    const { trigger } = await hook({ rateLimit: { max: 3, windowMs: 60_000 } })
    expect((await post(`/hooks/${trigger.id}`, '{}', { [SECRET_HEADER]: 'guess-one-guess-one' })).status).toBe(401)
    expect((await post(`/hooks/${trigger.id}`, '{}', { [SECRET_HEADER]: SECRET })).status).toBe(202)
    expect((await post(`/hooks/${trigger.id}`, '{}', { [SECRET_HEADER]: SECRET })).status).toBe(202)
    const limited = await post(`/hooks/${trigger.id}`, '{}', { [SECRET_HEADER]: SECRET })
    expect(limited.status).toBe(429)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(world.log.firings(trigger.id)).toHaveLength(2)
  })

  it('refuses a webhook trigger without a secret, naming the field', async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'x', definition: { spec: { kind: 'shell', command: ['true'] } } })
    // As every transport does: the request is validated against the contract before any handler runs.
    const { result } = parseRequest({ v: 1, id: 1, command: 'trigger.create', params: { trigger: { savedTaskId: savedTask.id, spec: { kind: 'webhook' } } } })
    expect(result.ok).toBe(false)
    expect(!result.ok && result.error.message).toBe(
      'Invalid params for trigger.create: trigger.spec.secret: is required: every webhook needs its own secret',
    )
  })
})
