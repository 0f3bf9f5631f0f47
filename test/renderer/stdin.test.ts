import { describe, expect, it } from 'vitest'
import { lineToSend, stdinState } from '../../src-renderer/streams/stdin.ts'
import { run, task } from './events.ts'

const shell = (stdin?: string) => task(1, { status: 'running', definition: { ...task(1).definition, spec: { kind: 'shell', command: 'read x', ...(stdin !== undefined && { stdin }) } } })

describe('input to a running task', () => {
  it('is open for the newest run of a running (or paused) shell task', () => {
    expect(stdinState(shell(), run(1, 1), true)).toEqual({ kind: 'open' })
    expect(stdinState({ ...shell(), status: 'paused' }, run(1, 1, { status: 'paused' }), true)).toEqual({ kind: 'open' })
  })

  it('says why it is closed: not a shell command, or stdin given with the task (the pipe is closed after it)', () => {
    const http = task(1, { status: 'running', definition: { ...task(1).definition, spec: { kind: 'http', requests: [{ url: 'http://x/', method: 'GET' }], concurrency: 1, requestTimeoutMs: 1000, maxBytes: 10 } as never } })
    expect(stdinState(http, run(1, 1), true)).toEqual({ kind: 'closed', reason: 'not-shell' })
    expect(stdinState(shell('given'), run(1, 1), true)).toEqual({ kind: 'closed', reason: 'stdin-given' })
  })

  it('is not offered for an older run or one that has ended', () => {
    expect(stdinState(shell(), run(1, 1), false)).toEqual({ kind: 'hidden' })
    expect(stdinState({ ...shell(), status: 'succeeded' }, run(1, 1, { status: 'succeeded' }), true)).toEqual({ kind: 'hidden' })
    expect(stdinState(shell(), null, true)).toEqual({ kind: 'hidden' })
  })

  it('sends the line with a newline, like taskdeck send', () => {
    expect(lineToSend('yes')).toBe('yes\n')
  })
})
