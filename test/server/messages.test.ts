import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COMMANDS, LIMITS, TaskDefinitionSchema, issuesOf } from '../../src-shared/index.ts'
import { command, startHarness, TestSocket, type Harness } from './helpers.ts'
import { task as taskRow } from '../renderer/events.ts'

// One server and one authenticated connection for the file's socket tests.
let h: Harness
let socket: TestSocket
beforeAll(async () => {
  h = await startHarness()
  socket = await TestSocket.open(h.server.port, { headers: { authorization: `Bearer ${h.server.token}` } })
})
afterAll(async () => {
  await socket.close()
  await h.close()
})

/** Hostile or malformed messages each get a clear error value; the server keeps serving. */
describe('malformed and hostile messages', () => {

  const stillServing = async () => expect(await socket.request('task.list')).toMatchObject({ ok: true })

  it('answers invalid JSON with bad_request (id -1) and keeps the connection', async () => {
    socket.sendRaw('{"v":1,"id":')
    const message = await socket.waitFor((m) => m.kind === 'response' && m.id === -1 && !m.result.ok && m.result.error.message.includes('not valid JSON'))
    expect(message).toMatchObject({ result: { ok: false, error: { code: 'bad_request' } } })
    await stillServing()
  })

  it('answers a binary frame with bad_request', async () => {
    const before = socket.messages.length
    socket.sendRaw(Buffer.from([0, 1, 2]))
    const message = await socket.waitFor((m) => socket.messages.indexOf(m) >= before && m.kind === 'response' && m.id === -1)
    expect(message).toMatchObject({ result: { ok: false, error: { code: 'bad_request', message: expect.stringContaining('Binary') as unknown } } })
    await stillServing()
  })

  it('names the wrong fields of a message with wrong types, keeping its id', async () => {
    expect(await socket.request('task.get', { taskId: 'seven' })).toMatchObject({
      ok: false,
      error: { code: 'bad_request', details: { issues: [{ path: 'taskId' }] } },
    })
    expect(await socket.request('task.submit', { definition: { spec: { kind: 'shell', command: 42 } } })).toMatchObject({
      ok: false,
      error: { code: 'bad_request', message: expect.stringContaining('definition.spec') as unknown },
    })
    // An argv whose program is empty could never start ("could not start : …" at run time): refused at the door.
    expect(await socket.request('task.submit', { definition: { spec: { kind: 'shell', command: ['', 'x'] } } })).toMatchObject({
      ok: false,
      error: { code: 'bad_request', details: { issues: [{ path: 'definition.spec.command.0', message: 'the program must not be empty' }] } },
    })
    socket.sendRaw(JSON.stringify({ v: 1, id: 'x', command: 'task.list' }))
    expect(await socket.waitFor((m) => m.kind === 'response' && !m.result.ok && m.result.error.message.includes('id'))).toMatchObject({ id: -1 })
    await stillServing()
  })

  it('refuses a value nested too deeply for its schema to check, by name, and keeps serving', async () => {
    // JSON.parse takes it; a recursive check of it (a script's input is any JSON) overflowed the stack, and the rejection
    // nobody caught ended the server.
    const depth = 20_000
    const input = '['.repeat(depth) + ']'.repeat(depth)
    const id = 900_001
    socket.sendRaw(`{"v":1,"id":${id},"command":"task.submit","params":{"definition":{"spec":{"kind":"script","path":"/x.mjs","input":${input}}}}}`)
    const message = await socket.waitFor((m) => m.kind === 'response' && m.id === id)
    expect(message).toMatchObject({ result: { ok: false, error: { code: 'bad_request', message: 'params for task.submit: nested too deeply to be checked.' } } })
    await stillServing()
  })

  it('refuses an unknown command and a wrong protocol version by name', async () => {
    expect(await socket.request('task.explode', {})).toMatchObject({ ok: false, error: { code: 'unknown_command', message: 'Unknown command "task.explode".' } })
    expect(await socket.request('task.list', {}, { v: 2 })).toMatchObject({ ok: false, error: { code: 'protocol_mismatch', details: { expected: 1, received: 2 } } })
    await stillServing()
  })

  it('refuses strings beyond the contract limits without storing anything', async () => {
    const name = 'n'.repeat(LIMITS.nameChars + 1)
    expect(await socket.request('task.submit', { definition: { name, spec: { kind: 'shell', command: ['true'] } } })).toMatchObject({
      ok: false,
      error: { code: 'bad_request', details: { issues: [{ path: 'definition.name' }] } },
    })
    const command = 'x'.repeat(LIMITS.commandChars + 1)
    expect(await socket.request('task.submit', { definition: { spec: { kind: 'shell', command } } })).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    expect(await socket.request('task.list')).toMatchObject({ ok: true, value: { total: 0 } })
  })

  it('closes a WebSocket that sends a message over the size limit (1009); new connections still work', async () => {
    const big = await TestSocket.open(h.server.port, { headers: { authorization: `Bearer ${h.server.token}` } })
    big.sendRaw(JSON.stringify({ v: 1, id: 1, command: 'task.list', params: { text: 'x'.repeat(LIMITS.messageBytes) } }))
    expect((await big.closed).code).toBe(1009)
    await stillServing()
  })

  it('over HTTP: invalid JSON is a 400 bad_request, an oversized body a 413, events.subscribe and output.watch are refused', async () => {
    const invalid = await command(h.server, '{nope')
    expect(invalid.status).toBe(400)
    expect(invalid.message).toMatchObject({ kind: 'response', id: -1, result: { ok: false, error: { code: 'bad_request' } } })

    // The declared length is enough for a refusal: the server answers before reading any of the body.
    const huge = await new Promise<string>((resolve, reject) => {
      const socket = connect(h.server.port, '127.0.0.1', () => {
        socket.write(
          `POST /api/v1/command HTTP/1.1\r\nHost: 127.0.0.1:${h.server.port}\r\nAuthorization: Bearer ${h.server.token}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${LIMITS.messageBytes + 1}\r\n\r\n`,
        )
      })
      let text = ''
      socket.on('data', (chunk) => (text += chunk.toString('utf8')))
      socket.on('close', () => resolve(text))
      socket.on('error', reject)
    })
    expect(huge).toMatch(/^HTTP\/1\.1 413 /)
    expect(huge).toContain('"too_large"')

    const subscribe = await command(h.server, { v: 1, id: 3, command: 'events.subscribe', params: { since: 0 } })
    expect(subscribe.status).toBe(400)
    expect(subscribe.message).toMatchObject({ id: 3, result: { ok: false, error: { code: 'bad_request', message: expect.stringContaining('WebSocket') as unknown } } })

    // Watching output only means something on a connection that lives on.
    const watch = await command(h.server, { v: 1, id: 5, command: 'output.watch', params: { runIds: [1] } })
    expect(watch.status).toBe(400)
    expect(watch.message).toMatchObject({ id: 5, result: { ok: false, error: { code: 'bad_request', message: expect.stringContaining('WebSocket') as unknown } } })

    const unknown = await command(h.server, { v: 1, id: 4, command: 'nope' })
    expect(unknown.status).toBe(400)
    const missing = await command(h.server, { v: 1, id: 5, command: 'task.get', params: { taskId: 999 } })
    expect(missing.status).toBe(404)
    expect(missing.message).toMatchObject({ id: 5, result: { ok: false, error: { code: 'not_found' } } })
    expect((await command(h.server, { v: 1, id: 6, command: 'task.list' })).status).toBe(200)
  })
})

/** Fields the contract does not know are refused by name: a misspelt one must not act as absent. */
describe('unknown fields in params', () => {

  it('refuses fields the contract does not know, naming them, instead of acting as if they were absent', async () => {
    expect(await socket.request('task.submit', { definition: { spec: { kind: 'shell', command: ['true'] } } })).toMatchObject({ ok: true })
    const finished = async () => (await socket.request('task.list', { status: ['succeeded', 'failed'] })) as { ok: true; value: { total: number } }
    // Waits for the run through the event stream, not by time.
    await socket.request('events.subscribe', { since: 0 })
    await socket.waitFor((m) => m.kind === 'events' && m.events.some((event) => event.type === 'run.finished'))
    const before = (await finished()).value.total
    expect(before).toBeGreaterThan(0)
    // task.list's `status` given to task.clean, whose field is `statuses`: cleaning every finished task would lose history.
    expect(await socket.request('task.clean', { status: ['cancelled'] })).toMatchObject({
      ok: false,
      error: { code: 'bad_request', message: 'Invalid params for task.clean: status: unknown field', details: { issues: [{ path: 'status', message: 'unknown field' }] } },
    })
    expect((await finished()).value.total).toBe(before)
    // Nested too: a task without the timeout its author meant is not stored.
    expect(await socket.request('task.submit', { definition: { spec: { kind: 'shell', command: ['sleep', '100'] }, timeout: 1000 } })).toMatchObject({
      ok: false,
      error: { code: 'bad_request', details: { issues: [{ path: 'definition.timeout', message: 'unknown field' }] } },
    })
    expect(await socket.request('task.submitMany', { definitions: [{ spec: { kind: 'shell', command: ['true'], dir: '/' } }] })).toMatchObject({
      ok: false,
      error: { code: 'bad_request', details: { issues: [{ path: 'definitions.0.spec.dir', message: 'unknown field' }] } },
    })
    expect(await socket.request('task.list')).toMatchObject({ ok: true })
  })

  it('refuses a settings patch naming a setting that does not exist (it was ignored), and still merges a right one', async () => {
    expect(await socket.request('settings.set', { patch: { defaultGroupParalel: 7, notifications: { polcy: 'never' } } })).toMatchObject({
      ok: false,
      error: {
        code: 'bad_request',
        details: {
          issues: [
            { path: 'patch.notifications.polcy', message: 'unknown field' },
            { path: 'patch.defaultGroupParalel', message: 'unknown field' },
          ],
        },
      },
    })
    expect(await socket.request('settings.set', { patch: { defaultGroupParallel: 7, notifications: { policy: 'never' } } })).toMatchObject({
      ok: true,
      value: { settings: { defaultGroupParallel: 7, notifications: { policy: 'never', onlyWhenUnfocused: true } } },
    })
  })
})

/**
 * The contract's params schemas refuse unknown fields themselves, so every client that checks
 * params with COMMANDS before sending (the renderer's forms, the CLI) gets the same refusal the
 * server gives; the schemas that read stored data stay lenient, so older rows still replay.
 */
describe('strict params, lenient stored data', () => {
  it('refuses an unknown field at any depth in the params schema itself, naming its path', () => {
    const clean = COMMANDS['task.clean'].params.safeParse({ status: ['cancelled'] })
    expect(clean.success).toBe(false)
    expect(issuesOf(clean.error!)).toEqual([{ path: 'status', message: 'unknown field' }])
    const submit = COMMANDS['task.submitMany'].params.safeParse({
      definitions: [{ spec: { kind: 'http', requests: [{ url: 'https://example.com/', header: {} }] }, retry: { maxAttempts: 2, backof: 5 } }],
    })
    expect(submit.success).toBe(false)
    expect(issuesOf(submit.error!).sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'definitions.0.retry.backof', message: 'unknown field' },
      { path: 'definitions.0.spec.requests.0.header', message: 'unknown field' },
    ])
    // Commands declared outside commands.ts are strict too: a schedule's misspelt time zone is not ignored.
    const trigger = COMMANDS['trigger.create'].params.safeParse({ trigger: { savedTaskId: 1, spec: { kind: 'schedule', cron: '0 3 * * *', tz: 'Europe/Berlin' } } })
    expect(trigger.success).toBe(false)
    expect(issuesOf(trigger.error!)).toContainEqual({ path: 'trigger.spec.tz', message: 'unknown field' })
  })

  it('makes a nested end reason strict too (a dependency-ended reason and the cause it carries)', () => {
    const reason = (cause: unknown) => ({ kind: 'dependency-ended', taskId: 1, status: 'failed', cause })
    const task = (endReason: unknown) => ({ ...taskRow(2, { status: 'failed', definition: { ...taskRow(2).definition, after: [1] } }), endReason })
    const document = (endReason: unknown) => ({ format: 'taskdeck-export', version: 1, exportedAt: 1, groups: [], tasks: [task(endReason)], runs: [] })
    const nested = reason(reason({ kind: 'exited', code: 1, commandNotFound: false }))
    expect(COMMANDS['data.import'].params.safeParse({ document: document(nested) }).success).toBe(true)
    const misspelt = COMMANDS['data.import'].params.safeParse({ document: document(reason(reason({ kind: 'exited', code: 1, commandNotFound: false, signl: 'x' }))) })
    expect(misspelt.success).toBe(false)
    expect(issuesOf(misspelt.error!)).toEqual([{ path: 'document.tasks.0.endReason.cause.cause.signl', message: 'unknown field' }])
  })

  it('keeps free-form JSON free: a script input and a trigger payload may hold any keys', () => {
    expect(COMMANDS['task.submit'].params.safeParse({ definition: { spec: { kind: 'script', path: '/s.js', input: { anything: { nested: 1 } } } } }).success).toBe(true)
    expect(COMMANDS['trigger.fire'].params.safeParse({ triggerId: 1, payload: { any: 'thing' } }).success).toBe(true)
  })

  it('reads stored data leniently: a task row with a field this version does not know still parses', () => {
    const { task } = COMMANDS['task.submit'].result.parse({
      task: {
        id: 1,
        name: 'old',
        definition: { spec: { kind: 'shell', command: ['true'], legacy: 1 }, legacyField: true },
        status: 'succeeded',
        waitingFor: null,
        createdAt: 1,
        updatedAt: 1,
        attempts: 1,
        lastRunId: null,
        progress: null,
        droppedField: 'x',
      },
    })
    expect(task.definition.spec).toEqual({ kind: 'shell', command: ['true'] })
    expect(TaskDefinitionSchema.safeParse({ spec: { kind: 'shell', command: ['true'] }, legacyField: true }).success).toBe(true)
  })
})
