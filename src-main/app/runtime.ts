import { processAlive } from '../cli/daemon.ts'
import type { Disposable, EngineApi } from '../engine/api.ts'
import { Engine } from '../engine/engine.ts'
import { readApiFile } from '../server/api-file.ts'
import { createServer, type TaskdeckServer } from '../server/server.ts'
import { createTriggers, type ShortcutBinding } from '../triggers/index.ts'

/**
 * The composition root: everything Taskdeck runs besides a window, on one data directory.
 * The engine, saved tasks and triggers on it, and the local HTTP + WebSocket API (so the
 * CLI, scripts and browsers reach it), with the engine's and the extensions' command
 * handlers joined into one `api`. Plain Node: the desktop app and `taskdeck serve` both
 * start here, so they cannot drift apart.
 */
export interface TaskdeckRuntime {
  /** Engine and extension command handlers together: what IPC and the server serve. */
  readonly api: EngineApi
  readonly server: TaskdeckServer
  /** Shortcut triggers the desktop registers as global shortcuts. */
  shortcutBindings(): ShortcutBinding[]
  onDidChangeShortcuts(listener: (bindings: ShortcutBinding[]) => void): Disposable
  pressShortcut(accelerator: string): boolean
  close(): Promise<void>
}

/** Another live process already serves this data directory (a `taskdeck serve` or daemon). */
export async function otherOwner(home: string): Promise<{ pid: number; url: string } | null> {
  const read = await readApiFile(home)
  if (read.kind !== 'found' || read.info.pid === process.pid || !processAlive(read.info.pid)) return null
  return { pid: read.info.pid, url: read.info.url }
}

export async function openRuntime(options: { home: string; rendererDir: string; port?: number }): Promise<TaskdeckRuntime> {
  const { home } = options
  const owner = await otherOwner(home)
  if (owner !== null) {
    throw new Error(`Taskdeck already runs for ${home} (process ${owner.pid}, ${owner.url}). Stop it with "taskdeck stop", or start the app with another --home.`)
  }
  const engine = await Engine.open({ home })
  const triggers = createTriggers(engine.host)
  const api: EngineApi = {
    handlers: { ...engine.handlers, ...triggers.handlers },
    subscribe: (since, listener) => engine.subscribe(since, listener),
    close: () => engine.close(),
  }
  let server: TaskdeckServer
  try {
    server = await createServer({ engine: api, home, staticDir: options.rendererDir, routes: [triggers.webhookRoute], ...(options.port === undefined ? {} : { port: options.port }) })
  } catch (error) {
    await triggers.dispose()
    await engine.close()
    throw error
  }
  return {
    api,
    server,
    shortcutBindings: () => triggers.shortcutBindings(),
    onDidChangeShortcuts: (listener) => triggers.onDidChangeShortcuts(listener),
    pressShortcut: (accelerator) => triggers.pressShortcut(accelerator),
    async close() {
      await server.close()
      await triggers.dispose()
      await engine.close()
    },
  }
}
