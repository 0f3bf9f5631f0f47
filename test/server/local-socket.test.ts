import { existsSync, readFileSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LIMITS, type ServerMessage } from '../../src-shared/index.ts'
import { startHarness, type Harness } from './helpers.ts'

/** Writes `lines` to the socket and collects the answer lines until `count` arrived or the server closed. */
function exchange(path: string, lines: readonly string[], count: number): Promise<{ answers: ServerMessage[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(path)
    const answers: ServerMessage[] = []
    let buffered = ''
    let closed = false
    socket.setEncoding('utf8')
    socket.on('error', reject)
    socket.on('data', (chunk: string) => {
      buffered += chunk
      for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n')) {
        answers.push(JSON.parse(buffered.slice(0, newline)) as ServerMessage)
        buffered = buffered.slice(newline + 1)
      }
      if (answers.length >= count) socket.end()
    })
    socket.on('end', () => (closed = answers.length < count || closed))
    socket.on('close', () => resolve({ answers, closed }))
    for (const line of lines) socket.write(`${line}\n`)
  })
}

const envelope = (id: number, command: string, params: unknown) => JSON.stringify({ v: 1, id, command, params })
const submit = (id: number) => envelope(id, 'task.submit', { definition: { spec: { kind: 'shell', command: ['true'], cwd: '/' } } })

describe('the local socket for CLI requests', () => {
  let harness: Harness
  let path: string
  let token: string
  beforeAll(async () => {
    harness = await startHarness()
    const api = JSON.parse(readFileSync(join(harness.home, 'api.json'), 'utf8')) as { socket: string; token: string }
    path = api.socket
    token = api.token
  })
  afterAll(async () => {
    await harness?.close()
    expect(existsSync(path)).toBe(false)
  })

  it('is named in api.json, in the home, readable and writable by its owner only', () => {
    expect(path).toBe(join(harness.home, 'api.sock'))
    expect(statSync(path).isSocket()).toBe(true)
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })

  it('answers requests after the token line, matched by id, as the contract says', async () => {
    const { answers } = await exchange(path, [JSON.stringify({ token }), submit(7), envelope(8, 'group.list', {}), envelope(9, 'task.get', { taskId: 999_999 })], 3)
    const byId = new Map(answers.map((answer) => [answer.kind === 'response' ? answer.id : 0, answer]))
    expect(byId.get(7)).toMatchObject({ kind: 'response', result: { ok: true, value: { task: { definition: { spec: { command: ['true'] } } } } } })
    expect(byId.get(8)).toMatchObject({ result: { ok: true, value: { groups: expect.any(Array) as unknown } } })
    expect(byId.get(9)).toMatchObject({ result: { ok: false, error: { code: 'not_found' } } })
  })

  it('refuses a wrong or missing token, closing the connection, and runs nothing', async () => {
    const before = (await harness.engine.handlers['task.list']({ limit: 1000, offset: 0 })).total
    for (const first of [JSON.stringify({ token: `${token}x` }), submit(1), '{not json']) {
      const { answers, closed } = await exchange(path, [first, submit(2)], 2)
      expect(answers).toEqual([expect.objectContaining({ id: -1, result: { ok: false, error: expect.objectContaining({ code: 'unauthorized' }) as unknown } })])
      expect(closed).toBe(true)
    }
    expect((await harness.engine.handlers['task.list']({ limit: 1000, offset: 0 })).total).toBe(before)
  })

  it('sends subscriptions and output watching to the WebSocket', async () => {
    const lines = [JSON.stringify({ token }), envelope(3, 'events.subscribe', { since: 0 }), envelope(5, 'output.watch', { runIds: [1] }), 'not json']
    const { answers } = await exchange(path, lines, 3)
    for (const id of [3, 5]) {
      expect(answers.find((a) => a.kind === 'response' && a.id === id)).toMatchObject({ result: { ok: false, error: { code: 'bad_request', message: expect.stringContaining('WebSocket') as unknown } } })
    }
    expect(answers.find((a) => a.kind === 'response' && a.id === -1)).toMatchObject({ result: { ok: false, error: { code: 'bad_request' } } })
  })

  it('answers a line over the message limit as too large, by its id, and goes on answering the requests before and after it', async () => {
    const huge = envelope(4, 'task.submit', { definition: { spec: { kind: 'shell', command: ['echo', 'x'.repeat(LIMITS.messageBytes)], cwd: '/' } } })
    const { answers, closed } = await exchange(path, [JSON.stringify({ token }), submit(3), huge, submit(5)], 3)
    expect(closed).toBe(false)
    const byId = new Map(answers.map((answer) => [answer.kind === 'response' ? answer.id : 0, answer]))
    expect(byId.get(4)).toEqual({
      v: 1,
      kind: 'response',
      id: 4,
      result: { ok: false, error: { code: 'too_large', message: `A message is larger than ${LIMITS.messageBytes} bytes; it was not read.`, details: { limitBytes: LIMITS.messageBytes } } },
    })
    for (const id of [3, 5]) expect(byId.get(id)).toMatchObject({ result: { ok: true, value: { task: { definition: { spec: { command: ['true'] } } } } } })
  })

  it('closes a connection whose first line is over the message limit', async () => {
    const { answers, closed } = await exchange(path, [`{"token":"${'x'.repeat(LIMITS.messageBytes)}"}`, submit(2)], 2)
    expect(answers).toEqual([expect.objectContaining({ id: -1, result: { ok: false, error: expect.objectContaining({ code: 'too_large' }) as unknown } })])
    expect(closed).toBe(true)
  })
})
