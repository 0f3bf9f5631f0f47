import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Result, ServerMessage, Trigger, SavedTask } from '../../src-shared/index.ts'
import type { EngineApi } from '../../src-main/engine/api.ts'
import { createServer, type TaskdeckServer } from '../../src-main/server/server.ts'
import { COMMAND_PATH } from '../../src-shared/index.ts'
import { SECRET_HEADER, WEBHOOK_MAX_BODY_BYTES } from '../../src-main/triggers/index.ts'
import { useWorld } from '../support/world.ts'

const SECRET = 'a-webhook-secret-of-some-length'

/** The composition root in miniature: engine and trigger handlers behind one API, webhooks mounted on the local server. */
describe('triggers behind the real local server', () => {
  const world = useWorld()
  let server: TaskdeckServer

  beforeEach(async () => {
    const api: EngineApi = {
      handlers: { ...world.engine.handlers, ...world.triggers.handlers },
      subscribe: (since, listener) => world.engine.subscribe(since, listener),
      close: () => world.engine.close(),
    }
    server = await createServer({ engine: api, home: world.home, routes: [world.triggers.webhookRoute] })
  })
  afterEach(async () => {
    await server.close()
  })

  function post(path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: server.port, path, method: 'POST', agent: false, headers: { host: `127.0.0.1:${server.port}`, ...headers } },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as unknown) : null })
          })
        },
      )
      req.on('error', reject)
      req.end(body)
    })
  }

  async function api<T>(command: string, params: unknown): Promise<T> {
    const reply = await post(COMMAND_PATH, JSON.stringify({ v: 1, id: 1, command, params }), {
      authorization: `Bearer ${server.token}`,
      'content-type': 'application/json',
    })
    const result = (reply.json as Extract<ServerMessage, { kind: 'response' }>).result as Result<T>
    if (!result.ok) throw new Error(result.error.message)
    return result.value
  }

  it('serves the trigger commands over the API and fires webhooks mounted at /hooks/:id', async () => {
    const { savedTask } = await api<{ savedTask: SavedTask }>('savedTask.create', { name: 'deploy', definition: { spec: { kind: 'shell', command: ['true'] } } })
    const { trigger } = await api<{ trigger: Trigger }>('trigger.create', {
      trigger: { savedTaskId: savedTask.id, spec: { kind: 'webhook', secret: SECRET, maxBodyBytes: 64 } },
    })

    const accepted = await post(`/hooks/${trigger.id}`, '{"ok":1}', { [SECRET_HEADER]: SECRET, 'content-type': 'application/json' })
    expect(accepted.status).toBe(202)
    const { taskId } = accepted.json as { taskId: number }
    expect(await world.log.untilFinished(taskId)).toBe('succeeded')

    expect((await post(`/hooks/${trigger.id}`, '{}')).status).toBe(401)
    expect((await post(`/hooks/${trigger.id}`, 'x'.repeat(100), { [SECRET_HEADER]: SECRET })).status).toBe(413)
    // Over the largest any hook may take: the server refuses it before the triggers see it.
    expect((await post(`/hooks/${trigger.id}`, Buffer.alloc(WEBHOOK_MAX_BODY_BYTES + 1), { [SECRET_HEADER]: SECRET })).status).toBe(413)
    // The Host check of the local server still applies to hooks (DNS rebinding).
    expect((await post(`/hooks/${trigger.id}`, '{}', { [SECRET_HEADER]: SECRET, host: 'evil.example' })).status).toBe(403)

    const { history } = await api<{ history: { outcome: string }[] }>('trigger.get', { triggerId: trigger.id })
    expect(history.map((f) => f.outcome)).toEqual(['submitted'])
  })

  it('hands the task the query and the headers of the call (the event GitHub and GitLab name there), never a header with a credential', async () => {
    const out = `${world.anotherDir()}/call.json`
    const { savedTask } = await api<{ savedTask: SavedTask }>('savedTask.create', { name: 'deploy', definition: { spec: { kind: 'shell', command: `cat > '${out}'` } } })
    const { trigger } = await api<{ trigger: Trigger }>('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'webhook', secret: SECRET } } })

    // A key every object has (`__proto__`) is the caller's like any other, not lost on the way.
    const accepted = await post(`/hooks/${trigger.id}?env=prod&tag=a&tag=b&__proto__=x&__proto__=y`, '{"ref":"main"}', {
      authorization: `Bearer ${SECRET}`,
      cookie: 'session=1',
      'content-type': 'application/json',
      'x-github-event': 'push',
    })
    expect(accepted.status).toBe(202)
    expect(await world.log.untilFinished((accepted.json as { taskId: number }).taskId)).toBe('succeeded')
    const { webhook } = JSON.parse(readFileSync(out, 'utf8')) as { webhook: { body: unknown; query: unknown; headers: Record<string, string> } }
    expect(webhook.body).toEqual({ ref: 'main' })
    expect(webhook.query).toEqual({ env: 'prod', tag: ['a', 'b'], ['__proto__']: ['x', 'y'] })
    expect(webhook.headers).toMatchObject({ 'x-github-event': 'push', 'content-type': 'application/json' })
    expect(webhook.headers).not.toHaveProperty('authorization')
    expect(webhook.headers).not.toHaveProperty('cookie')
    expect(JSON.stringify(webhook)).not.toContain(SECRET)
  })

  it('leaves out every header whose name says it carries a credential (a relay names its own), keeping events and signatures', async () => {
    const out = `${world.anotherDir()}/call.json`
    const { savedTask } = await api<{ savedTask: SavedTask }>('savedTask.create', { name: 'deploy', definition: { spec: { kind: 'shell', command: `cat > '${out}'` } } })
    const { trigger } = await api<{ trigger: Trigger }>('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'webhook', secret: SECRET } } })

    const credentials = {
      'X-Api-Key': 'cred-api-key',
      'X-API_KEY': 'cred-api-underscore',
      'X-Auth-Token': 'cred-auth-token',
      'X-Access-Token': 'cred-access-token',
      'X-Relay-Cookie': 'cred-cookie',
      'X-Relay-Secret': 'cred-secret',
      'X-Upstream-Password': 'cred-password',
      'X-Relay-Session': 'cred-session',
      'X-Amz-Security-Credential': 'cred-credential',
    }
    const accepted = await post(`/hooks/${trigger.id}`, '{"ref":"main"}', {
      [SECRET_HEADER]: SECRET,
      'content-type': 'application/json',
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': 'delivery-1',
      'X-Hub-Signature-256': 'sha256=abc',
      ...credentials,
    })
    expect(accepted.status).toBe(202)
    const taskId = (accepted.json as { taskId: number }).taskId
    expect(await world.log.untilFinished(taskId)).toBe('succeeded')
    const { webhook } = JSON.parse(readFileSync(out, 'utf8')) as { webhook: { headers: Record<string, string> } }
    expect(webhook.headers).toMatchObject({ 'x-github-event': 'push', 'x-github-delivery': 'delivery-1', 'x-hub-signature-256': 'sha256=abc' })
    for (const name of Object.keys(credentials)) expect(webhook.headers).not.toHaveProperty(name.toLowerCase())
    // Nor are they stored: the event log holds the firing as the task was told it.
    const stored = JSON.stringify(world.log.events)
    expect(stored).toContain('delivery-1')
    for (const value of Object.values(credentials)) expect(stored).not.toContain(value)
  })
})
