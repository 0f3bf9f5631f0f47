import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createHmac } from 'node:crypto'
import { SECRET_HEADER, SIGNATURE_HEADER, sendWebhookResponse, webhookRequestOf } from '../../src-main/triggers/index.ts'
import { useWorld } from '../support/world.ts'

const SECRET = 'correct-horse-battery-staple'

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: { ok: boolean; error?: string; firingId?: number; taskId?: number | null; duplicate?: boolean }
}

describe('webhook triggers (real HTTP on 127.0.0.1, real engine)', () => {
  const world = useWorld()
  let server: Server
  let port: number

  beforeEach(async () => {
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
    const out = join(world.home, 'payload.json')
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

  it('drops a repeated delivery (same delivery id) with 200 and the first task, and fires again for a new id', async () => {
    const { trigger } = await hook()
    const body = JSON.stringify({ ref: 'refs/heads/main' })
    const send = (headers: Record<string, string>) => post(`/hooks/${trigger.id}`, body, { 'content-type': 'application/json', [SECRET_HEADER]: SECRET, ...headers })
    const first = await send({ 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' })
    expect(first.status).toBe(202)
    const again = await send({ 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' })
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ ok: true, duplicate: true, firingId: first.body.firingId, taskId: first.body.taskId })
    // Two copies at once make one task too.
    const both = await Promise.all([send({ 'idempotency-key': 'retry-7' }), send({ 'idempotency-key': 'retry-7' })])
    expect(both.map((reply) => reply.status).sort()).toEqual([200, 202])
    expect(both[0].body.taskId).toBe(both[1].body.taskId)
    // GitLab's event id, a new delivery id, and no delivery id at all each fire.
    expect((await send({ 'x-gitlab-event-uuid': '13792a34-cac6-4fda-95a8-c58e00a3954e' })).status).toBe(202)
    expect((await send({ 'x-github-delivery': 'another-delivery' })).status).toBe(202)
    expect((await send({})).status).toBe(202)
    expect((await send({})).status).toBe(202)
    // The same id for another hook is another delivery.
    const { trigger: other } = await hook()
    expect((await post(`/hooks/${other.id}`, body, { 'content-type': 'application/json', [SECRET_HEADER]: SECRET, 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' })).status).toBe(202)
    expect(world.log.firings(trigger.id).filter((f) => f.outcome === 'submitted')).toHaveLength(6)
    // A caller without the secret learns nothing about deliveries.
    expect((await post(`/hooks/${trigger.id}`, body, { 'x-github-delivery': 'another-delivery' })).status).toBe(401)
  })

  it('accepts GitLab’s token header, and refuses body signatures it cannot check (it keeps only a hash)', async () => {
    const { trigger } = await hook()
    const body = JSON.stringify({ action: 'published', release: { tag_name: 'v1.2.0' } })
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`
    const signed = await post(`/hooks/${trigger.id}`, body, { [SIGNATURE_HEADER]: signature, 'content-type': 'application/json' })
    expect(signed.status).toBe(401)
    expect(signed.body.error).toMatch(/keeps only a hash.*x-taskdeck-secret/)

    expect((await post(`/hooks/${trigger.id}`, body, { 'x-gitlab-token': SECRET })).status).toBe(202)
    expect(world.log.firings(trigger.id).map((f) => f.outcome)).toEqual(['submitted'])
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

  it('generates a secret when none is given, answers it once, and keeps only a salted hash', async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'x', definition: { spec: { kind: 'shell', command: ['true'] } } })
    const created = await world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'webhook' } } })
    const secret = created.secret!
    expect(secret).toMatch(/^[\w-]{43}$/)
    expect(created.trigger.spec.kind === 'webhook' && created.trigger.spec.secretHash).toMatch(/^scrypt\$16384\$8\$1\$/)
    expect(created.trigger.spec).not.toHaveProperty('secret')
    expect((await post(`/hooks/${created.trigger.id}`, '{}', { [SECRET_HEADER]: secret })).status).toBe(202)

    // Two hooks with the same secret get different hashes (a salt each).
    const other = await world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'webhook', secret } } })
    expect(other.secret).toBe(secret)
    expect(other.trigger.spec.kind === 'webhook' && other.trigger.spec.secretHash).not.toBe(created.trigger.spec.kind === 'webhook' && created.trigger.spec.secretHash)

    // Nothing that reads triggers back, nor the database file, holds the secret.
    const answers = [
      await world.call('trigger.list', {}),
      await world.call('trigger.get', { triggerId: created.trigger.id }),
      await world.call('trigger.export', {}),
      world.log.events,
    ]
    for (const answer of answers) expect(JSON.stringify(answer)).not.toContain(secret)
    await world.close()
    for (const file of ['taskdeck.db', 'taskdeck.db-wal']) {
      const path = join(world.home, file)
      if (existsSync(path)) expect(readFileSync(path).includes(secret)).toBe(false)
    }
    await world.open()
    expect((await post(`/hooks/${created.trigger.id}`, '{}', { [SECRET_HEADER]: secret })).status).toBe(202)
  })

  it('keeps the secret across updates, rotates it on request, and refuses the old one after', async () => {
    const { trigger } = await hook()
    const renamed = await world.call('trigger.update', { triggerId: trigger.id, trigger: { name: 'deploy hook', savedTaskId: trigger.savedTaskId, spec: { kind: 'webhook', rateLimit: { max: 50, windowMs: 60_000 } } } })
    expect(renamed.secret).toBeUndefined()
    expect((await post(`/hooks/${trigger.id}`, '{}', { [SECRET_HEADER]: SECRET })).status).toBe(202)

    const rotated = await world.call('trigger.update', { triggerId: trigger.id, rotateSecret: true, trigger: { savedTaskId: trigger.savedTaskId, spec: { kind: 'webhook' } } })
    expect(rotated.secret).toMatch(/^[\w-]{43}$/)
    expect((await post(`/hooks/${trigger.id}`, '{}', { [SECRET_HEADER]: SECRET })).status).toBe(401)
    expect((await post(`/hooks/${trigger.id}`, '{}', { [SECRET_HEADER]: rotated.secret! })).status).toBe(202)

    const chosen = await world.call('trigger.update', { triggerId: trigger.id, trigger: { savedTaskId: trigger.savedTaskId, spec: { kind: 'webhook', secret: 'my-own-new-secret-0123' } } })
    expect(chosen.secret).toBe('my-own-new-secret-0123')
    expect((await post(`/hooks/${trigger.id}`, '{}', { [SECRET_HEADER]: rotated.secret! })).status).toBe(401)
    expect((await post(`/hooks/${trigger.id}`, '{}', { authorization: 'Bearer my-own-new-secret-0123' })).status).toBe(202)

    await expect(
      world.call('trigger.update', { triggerId: trigger.id, rotateSecret: true, trigger: { savedTaskId: trigger.savedTaskId, spec: { kind: 'webhook', secret: 'yet-another-secret-99' } } }),
    ).rejects.toThrow('rotateSecret: generates a new secret: do not also give secret or secretHash')
    // The refused update changed nothing.
    expect((await post(`/hooks/${trigger.id}`, '{}', { authorization: 'Bearer my-own-new-secret-0123' })).status).toBe(202)
  })

  it('exports the hash, not the secret, and an imported hook answers to the same secret', async () => {
    const { trigger } = await hook()
    const document = await world.call('trigger.export', {})
    expect(JSON.stringify(document)).not.toContain(SECRET)
    // Named otherwise, so it is not the hook already here (which an import recognises and skips).
    const copy = structuredClone(document)
    copy.triggers[0]!.name = 'copied hook'
    const imported = await world.call('trigger.import', { document: copy })
    const importedId = imported.triggers[0]!.to
    expect(importedId).not.toBe(trigger.id)
    expect((await post(`/hooks/${importedId}`, '{}', { [SECRET_HEADER]: SECRET })).status).toBe(202)

    // A hand-written document may give a secret; one with neither is refused whole.
    const mine = structuredClone(document)
    mine.triggers[0]!.spec = { kind: 'webhook', secret: 'handwritten-secret-42', rateLimit: { max: 30, windowMs: 60_000 }, maxBodyBytes: 1024 }
    const fromSecret = (await world.call('trigger.import', { document: mine })).triggers[0]!.to
    expect((await post(`/hooks/${fromSecret}`, '{}', { [SECRET_HEADER]: 'handwritten-secret-42' })).status).toBe(202)
    expect(JSON.stringify(await world.call('trigger.export', {}))).not.toContain('handwritten-secret-42')

    mine.triggers[0]!.spec = { kind: 'webhook', rateLimit: { max: 30, windowMs: 60_000 }, maxBodyBytes: 1024 }
    const before = (await world.call('trigger.list', {})).triggers.length
    await expect(world.call('trigger.import', { document: mine })).rejects.toThrow(/document\.triggers\.0\.spec\.secretHash: is required/)
    expect((await world.call('trigger.list', {})).triggers).toHaveLength(before)
  })
})
