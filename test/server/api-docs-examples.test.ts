import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { API_DOCS_PATH } from '../../src-main/server/api-docs.ts'
import type { ServerMessage } from '../../src-shared/index.ts'
import { startServe, type ServeProcess } from '../cli/helpers.ts'
import { tempHome } from '../support/engine.ts'

/** The request envelopes of docs/api.md, as a reader copies them. */
const EXAMPLES = [...readFileSync(API_DOCS_PATH, 'utf8').matchAll(/^```json\n(\{"v":1,[^\n]*)\n```$/gm)].map((match) => match[1] ?? '')

/** Commands whose example can only name what the reader has: their folder, their Redis, their saved task. */
const NAMES_THE_READERS_OWN = new Set(['savedTask.discover', 'savedTask.importFolder', 'trigger.create', 'group.bindRemote'])

/** docs/api.md's examples, sent as written (HTTP, or the WebSocket for the two that need one) to a fresh `taskdeck serve`. */
describe('docs/api.md examples against taskdeck serve', () => {
  const dir = tempHome()
  let serve: ServeProcess
  let token: string
  beforeAll(async () => {
    serve = await startServe(dir.home)
    token = (JSON.parse(readFileSync(`${dir.home}/api.json`, 'utf8')) as { token: string }).token
  })
  afterAll(async () => {
    await serve.stop()
    dir.cleanup()
  })

  it('every example is a valid request: answered, or refused only for naming an id this fresh install does not have', async () => {
    expect(EXAMPLES.length).toBeGreaterThan(40)
    const answers = new Map<string, string>()
    const refusedForTheirShape: string[] = []
    for (const example of EXAMPLES) {
      const { command } = JSON.parse(example) as { command: string }
      const message = command === 'events.subscribe' || command === 'output.watch' ? await overWebSocket(example) : await overHttp(example)
      if (message.kind !== 'response') throw new Error(`${command}: not a response`)
      const { result } = message
      answers.set(command, result.ok ? 'ok' : result.error.code)
      if (!result.ok && result.error.code !== 'not_found' && result.error.code !== 'conflict' && !NAMES_THE_READERS_OWN.has(command)) {
        refusedForTheirShape.push(`${command}: ${result.error.code}: ${result.error.message}`)
      }
    }
    expect(refusedForTheirShape).toEqual([])
    // The first example a reader tries works as written.
    expect(answers.get('task.submit')).toBe('ok')
    expect(answers.get('events.subscribe')).toBe('ok')
  })

  async function overHttp(body: string): Promise<ServerMessage> {
    const response = await fetch(`${serve.info.url}api/v1/command`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body })
    return (await response.json()) as ServerMessage
  }

  /** Authenticates the way docs/api.md shows for browsers (`session.auth`), then sends the example. */
  function overWebSocket(example: string): Promise<ServerMessage> {
    const socket = new WebSocket(`ws://127.0.0.1:${serve.info.port}/api/v1/ws`)
    return new Promise((resolve, reject) => {
      socket.on('error', reject)
      socket.on('open', () => {
        socket.send(JSON.stringify({ v: 1, id: 0, command: 'session.auth', params: { token } }))
        socket.send(example)
      })
      socket.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString('utf8')) as ServerMessage
        if (message.kind === 'response' && message.id === 0 && !message.result.ok) reject(new Error(message.result.error.message))
        if (message.kind === 'response' && message.id === 1) {
          socket.close()
          resolve(message)
        }
      })
    })
  }
})
