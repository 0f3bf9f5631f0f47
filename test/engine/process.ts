import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { DurableEvent, Result } from '../../src-shared/index.ts'

const fixture = fileURLToPath(new URL('./fixtures/engine-process.ts', import.meta.url))

/** Drives the engine fixture in a child process over JSON lines. */
export class EngineProcess {
  readonly child: ChildProcessWithoutNullStreams
  readonly events: DurableEvent[] = []
  private nextId = 1
  private readonly pending = new Map<number, (result: Result<unknown>) => void>()
  private readonly watchers = new Set<() => void>()
  readonly exited: Promise<void>

  /** `orphanReaper: false` leaves a killed engine's runs to the restart-time cleanup alone. */
  constructor(home: string, options: { orphanReaper?: boolean } = {}) {
    const args = options.orphanReaper === false ? [fixture, home, '--no-orphan-reaper'] : [fixture, home]
    this.child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk))
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()))
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let message: { kind: string; id?: number; result?: Result<unknown>; event?: DurableEvent }
      try {
        message = JSON.parse(line) as typeof message
      } catch {
        // A SIGKILL can cut the last line short; a complete line always parses.
        return
      }
      if (message.kind === 'response') {
        this.pending.get(message.id!)?.(message.result!)
        this.pending.delete(message.id!)
      } else if (message.kind === 'event') {
        this.events.push(message.event!)
      } else if (message.kind === 'ready') {
        this.ready = true
      }
      for (const watcher of [...this.watchers]) watcher()
    })
  }

  ready = false

  request(command: string, params: unknown): Promise<Result<unknown>> {
    const id = this.nextId++
    return new Promise((resolve) => {
      this.pending.set(id, resolve)
      this.child.stdin.write(`${JSON.stringify({ id, command, params })}\n`)
    })
  }

  /** Sends a request without waiting for its answer. */
  fire(command: string, params: unknown): number {
    const id = this.nextId++
    this.pending.set(id, () => {})
    this.child.stdin.write(`${JSON.stringify({ id, command, params })}\n`)
    return id
  }

  until(condition: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (condition()) {
          this.watchers.delete(check)
          resolve()
        }
      }
      this.watchers.add(check)
      this.child.once('exit', () => {
        if (this.watchers.has(check)) reject(new Error('the engine process exited'))
      })
      check()
    })
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL')
    await this.exited
  }
}
