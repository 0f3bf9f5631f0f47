import { request as httpRequest, type IncomingMessage } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { DurableEventSchema, type DurableEvent } from '../../src-shared/index.ts'
import { EVENTS_PATH, HEAD_SEQ_HEADER } from '../../src-shared/index.ts'
import { call, importTasks, rawRequest, startHarness, type Harness } from './helpers.ts'

const HEAD_HEADER = HEAD_SEQ_HEADER.toLowerCase()

async function readAll(h: Harness, since: number): Promise<DurableEvent[]> {
  const events: DurableEvent[] = []
  for (let from = since; ; ) {
    const page = await call<{ events: DurableEvent[]; headSeq: number }>(h.server, 'events.read', { since: from, limit: 5000 })
    events.push(...page.events)
    if (page.events.length === 0 || page.events.at(-1)!.seq >= page.headSeq) return events
    from = page.events.at(-1)!.seq
  }
}

/** Opens the stream and resolves once the headers are in; the body is read later with `body()`. */
function openStream(h: Harness, query: string, token: string | null = h.server.token): Promise<{ response: IncomingMessage; body(): Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: h.server.port,
        path: `${EVENTS_PATH}${query}`,
        headers: { host: `127.0.0.1:${h.server.port}`, ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
        agent: false,
      },
      (response) => {
        response.pause()
        resolve({
          response,
          body: () =>
            new Promise((done, fail) => {
              const chunks: Buffer[] = []
              response.on('data', (chunk: Buffer) => chunks.push(chunk))
              response.on('end', () => done(Buffer.concat(chunks).toString('utf8')))
              response.on('error', fail)
              response.resume()
            }),
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

const lines = (body: string): unknown[] => {
  expect(body === '' || body.endsWith('\n')).toBe(true)
  return body
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as unknown)
}

describe(`GET ${EVENTS_PATH} (catching up on history over HTTP)`, () => {
  let h: Harness
  afterEach(async () => {
    await h.close()
  })

  it('refuses a request without the token or with a wrong one, a bad since and other methods', async () => {
    h = await startHarness()
    const missing = await rawRequest(h.server.port, { path: `${EVENTS_PATH}?since=0` })
    expect(missing.status).toBe(401)
    expect(missing.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    expect(missing.body).not.toContain('task.created')
    const wrong = await rawRequest(h.server.port, { path: `${EVENTS_PATH}?since=0`, headers: { authorization: 'Bearer not-the-token' } })
    expect(wrong.status).toBe(401)
    const auth = { authorization: `Bearer ${h.server.token}` }
    const foreignHost = await rawRequest(h.server.port, { path: `${EVENTS_PATH}?since=0`, headers: { ...auth, host: 'evil.example:80' } })
    expect(foreignHost.status).toBe(403)
    const badSince = await rawRequest(h.server.port, { path: `${EVENTS_PATH}?since=-1`, headers: auth })
    expect(badSince.status).toBe(400)
    expect(badSince.json()).toMatchObject({ error: { code: 'bad_request', message: expect.stringContaining('since') as unknown } })
    const twice = await rawRequest(h.server.port, { path: `${EVENTS_PATH}?since=5&since=0`, headers: auth })
    expect(twice.status).toBe(400)
    expect(twice.json()).toMatchObject({ error: { code: 'bad_request', message: 'since: given 2 times; give it once.' } })
    const post = await rawRequest(h.server.port, { method: 'POST', path: `${EVENTS_PATH}?since=0`, headers: auth })
    expect(post.status).toBe(405)
    expect(post.headers.allow).toBe('GET')
  })

  it('streams every durable event after since, as stored, one per line, and ends at the head it names', async () => {
    h = await startHarness()
    await importTasks(h, 1, 5)
    const stored = await readAll(h, 0)
    const head = stored.at(-1)!.seq

    const all = await openStream(h, '?since=0')
    expect(all.response.statusCode).toBe(200)
    expect(all.response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8')
    expect(all.response.headers[HEAD_HEADER]).toBe(String(head))
    expect(lines(await all.body())).toEqual(stored)

    const tail = await openStream(h, `?since=${head - 3}`)
    expect(lines(await tail.body())).toEqual(stored.slice(-3))
    // Nothing after the head: an empty body that still names the head.
    const none = await openStream(h, `?since=${head}`)
    expect(none.response.headers[HEAD_HEADER]).toBe(String(head))
    expect(await none.body()).toBe('')
    // No since means the whole log.
    expect(lines(await (await openStream(h, '')).body())).toEqual(stored)
  })

  it('ends at the head named when the request came, even while newer events are written', async () => {
    h = await startHarness()
    await importTasks(h, 1, 3000)
    const stream = await openStream(h, '?since=0')
    const head = Number(stream.response.headers[HEAD_HEADER])
    expect(head).toBe(6001)
    // Written after the response started: not in this body (the WebSocket subscription from head delivers them).
    await importTasks(h, 3001, 10)
    const events = lines(await stream.body()).map((e) => DurableEventSchema.parse(e))
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1))
    const newer = await readAll(h, head)
    expect(newer.length).toBe(20)
    expect(newer[0]!.seq).toBe(head + 1)
  })

  it('streams a large history in order, without losing or duplicating an event', async () => {
    h = await startHarness()
    for (let first = 1; first <= 20_000; first += 4000) await importTasks(h, first, 4000)
    const stored = await readAll(h, 0)
    const stream = await openStream(h, '?since=0')
    const head = Number(stream.response.headers[HEAD_HEADER])
    expect(head).toBe(stored.length)
    const body = await stream.body()
    expect(Buffer.byteLength(body)).toBeGreaterThan(8 * 1024 * 1024)
    expect(lines(body)).toEqual(stored)
    // The server is still fine afterwards (the replay subscription was released).
    expect((await call<{ headSeq: number }>(h.server, 'events.read', { since: 0, limit: 1 })).headSeq).toBe(head)
  })
})
