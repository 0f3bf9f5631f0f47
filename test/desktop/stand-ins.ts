import { EventEmitter } from 'node:events'

/**
 * Recording stand-ins for the Electron API surface (the one allowed fake). Each records
 * the calls the adapters make, so tests assert what the shell would have done.
 */
export type Call = [method: string, ...args: unknown[]]

export class Recorder {
  readonly calls: Call[] = []
  record(method: string, ...args: unknown[]): void {
    this.calls.push([method, ...args])
  }
  named(method: string): unknown[][] {
    return this.calls.filter((c) => c[0] === method).map((c) => c.slice(1))
  }
}

export class FakeIpcMain extends Recorder {
  readonly handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>()
  handle(channel: string, handler: (event: unknown, ...args: unknown[]) => unknown): void {
    this.record('handle', channel)
    this.handlers.set(channel, handler)
  }
  removeHandler(channel: string): void {
    this.record('removeHandler', channel)
    this.handlers.delete(channel)
  }
  async invoke(channel: string, event: unknown, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel)
    if (!handler) throw new Error(`No handler for ${channel}`)
    return await handler(event, ...args)
  }
}

export class FakeWebContents extends EventEmitter {
  static nextId = 1
  readonly id = FakeWebContents.nextId++
  readonly sent: Array<{ channel: string; payload: unknown }> = []
  destroyed = false
  send(channel: string, payload: unknown): void {
    if (this.destroyed) throw new Error('send on destroyed webContents')
    this.sent.push({ channel, payload })
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  destroy(): void {
    this.destroyed = true
    this.emit('destroyed')
  }
  sentOn(channel: string): unknown[] {
    return this.sent.filter((s) => s.channel === channel).map((s) => s.payload)
  }
}

export interface FakeFrame {
  url: string
  parent: FakeFrame | null
}

export const topFrame = (url: string): FakeFrame => ({ url, parent: null })
export const childFrame = (url: string, parentUrl = 'app://bundle/index.html'): FakeFrame => ({ url, parent: topFrame(parentUrl) })

/** setImmediate-like scheduling the test runs by hand, so batching is deterministic. */
export class ManualScheduler {
  private queue: Array<() => void> = []
  readonly schedule = (run: () => void): void => {
    this.queue.push(run)
  }
  get pending(): number {
    return this.queue.length
  }
  runAll(): void {
    while (this.queue.length > 0) this.queue.shift()?.()
  }
}
