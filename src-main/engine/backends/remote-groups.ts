import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { RedisConnectionInputSchema, TaskdeckError, isFinished } from '../../../src-shared/index.ts'
import type { RemoteBinding, RemoteStatus, Task, TaskSpec, TASK_STATUSES, WorkerCommandName, WorkerInfo } from '../../../src-shared/index.ts'
import type { CommandHandlers, Disposable, ExtensionCommandHandlers } from '../api.ts'
import type { EngineExtensionHost } from '../host.ts'
import type { Runner, RunContext, RunOutcome, StartedRun } from '../runners/types.ts'
import { BullmqBackend } from './bullmq.ts'
import { redactRedisUrl } from './redis-connection.ts'
import type { RedisConnectionOptions } from './redis-connection.ts'
import { plainFileSecrets } from './secrets.ts'
import type { SecretBox } from './secrets.ts'
import type { BackendOutcome, PlacedRun, RunnerRegistry } from './types.ts'

export type RemoteCommandHandlers = Pick<ExtensionCommandHandlers, WorkerCommandName>

export interface RemoteGroupsOptions {
  /** The engine's data directory; bindings live in remote-groups.json (0600) there. */
  home: string
  /** This process's own runners, for every group that is not bound to Redis. */
  local: RunnerRegistry
  secrets?: SecretBox
  prefix?: string
  /** How often an unreachable or refused Redis is tried again. */
  retryMs?: number
}

/** What the engine gives an extension once it exists. */
export interface AttachableEngine {
  readonly host: EngineExtensionHost
  readonly handlers: CommandHandlers
}

const StoredBindingSchema = z.object({
  group: z.string(),
  redis: z.string(),
  sealed: z.string(),
  storage: z.string(),
  tlsRejectUnauthorized: z.boolean(),
})
type StoredBinding = z.infer<typeof StoredBindingSchema>
const RemoteFileSchema = z.object({ version: z.literal(1), source: z.string(), bindings: z.array(StoredBindingSchema) })
type RemoteFile = z.infer<typeof RemoteFileSchema>

interface Connection {
  readonly options: RedisConnectionOptions
  status: RemoteStatus
  reason: string | null
  backend: BullmqBackend | null
  /** Resolves once connected (possibly after retries); never rejects. */
  readonly ready: Promise<BullmqBackend>
  heartbeats: Disposable | null
  retry: NodeJS.Timeout | undefined
}

interface Placement {
  group: string
  name: string
  priority: number
  timeoutMs: number | undefined
}

const UNFINISHED: (typeof TASK_STATUSES)[number][] = ['stashed', 'waiting', 'queued', 'running', 'paused']

/**
 * Remote groups for one engine: which groups are bound to which Redis, a runner registry
 * that sends a bound group's runs to BullMQ and everything else to the local runners, the
 * worker/remote commands, and worker heartbeats forwarded to the engine's clients.
 *
 * The engine keeps its state machine, log, retries and timers; to it a remote run is a run
 * whose runner happens to execute elsewhere (pid null, `worker` set by the outcome).
 */
export class RemoteGroups {
  readonly source: string
  readonly runners: RunnerRegistry
  readonly handlers: RemoteCommandHandlers
  readonly #file: string
  readonly #local: RunnerRegistry
  readonly #secrets: SecretBox
  readonly #prefix: string | undefined
  readonly #retryMs: number
  readonly #bindings = new Map<string, StoredBinding>()
  readonly #connections = new Map<string, Connection>()
  readonly #tasks = new Map<number, Placement>()
  #engine: AttachableEngine | null = null
  #attached: (engine: AttachableEngine) => void = () => undefined
  readonly #whenAttached = new Promise<AttachableEngine>((resolve) => (this.#attached = resolve))
  #events: Disposable | null = null
  #closed = false

  constructor(options: RemoteGroupsOptions) {
    this.#file = join(options.home, 'remote-groups.json')
    this.#local = options.local
    this.#secrets = options.secrets ?? plainFileSecrets
    this.#prefix = options.prefix
    this.#retryMs = options.retryMs ?? 5000
    const stored = readRemoteFile(this.#file)
    this.source = stored?.source ?? `td-${randomBytes(6).toString('hex')}`
    for (const binding of stored?.bindings ?? []) {
      this.#bindings.set(binding.group, binding)
      this.#connect(binding)
    }
    if (!stored) this.#save()
    this.runners = {
      shell: this.#placed('shell'),
      http: this.#placed('http'),
      script: this.#placed('script'),
    }
    this.handlers = {
      'worker.list': async ({ group }) => {
        const lists = await Promise.all(
          [...this.#connections.values()].map((c) => (c.backend ? c.backend.listWorkers(group).catch(() => []) : Promise.resolve([]))),
        )
        const seen = new Map<string, WorkerInfo>()
        for (const worker of lists.flat()) seen.set(worker.id, worker)
        return { workers: [...seen.values()] }
      },
      'group.bindRemote': async ({ name, connection }) => {
        const engine = this.#engine
        if (engine) {
          const { groups } = await engine.handlers['group.list']({})
          if (!groups.some((g) => g.name === name)) throw new TaskdeckError('not_found', `There is no group "${name}".`, { group: name })
        }
        const input = RedisConnectionInputSchema.parse(connection)
        const options = { url: input.url, password: input.password, tlsRejectUnauthorized: input.tlsRejectUnauthorized }
        // Refuses an unreachable Redis or one that may evict keys, before anything is stored.
        const probe = await BullmqBackend.connect({ connection: options, source: this.source, prefix: this.#prefix, deferReading: true })
        await probe.close()
        const binding: StoredBinding = {
          group: name,
          redis: redactRedisUrl(input.url),
          sealed: this.#secrets.seal(JSON.stringify(options)),
          storage: this.#secrets.description,
          tlsRejectUnauthorized: input.tlsRejectUnauthorized,
        }
        this.#bindings.set(name, binding)
        this.#save()
        const state = this.#connect(binding)
        await state.ready
        return { binding: this.#describe(binding) }
      },
      'group.unbindRemote': ({ name }) => {
        if (!this.#bindings.delete(name)) {
          throw new TaskdeckError('not_found', `Group "${name}" is not bound to Redis.`, { group: name })
        }
        this.#save()
        return Promise.resolve({})
      },
      'group.listRemote': () => Promise.resolve({ bindings: [...this.#bindings.values()].map((b) => this.#describe(b)) }),
    }
  }

  /**
   * Connects the extension to its engine: keeps the placement of unfinished tasks (group,
   * priority, timeout) and forwards worker heartbeats to the engine's subscribers.
   */
  async attach(engine: AttachableEngine): Promise<void> {
    this.#engine = engine
    this.#events = engine.host.onEvent((event) => {
      if (event.type === 'task.created' || event.type === 'task.updated') this.#remember(event.task)
      else if (event.type === 'task.removed') for (const id of event.taskIds) this.#tasks.delete(id)
    })
    const { tasks } = await engine.handlers['task.list']({ status: UNFINISHED, limit: 100_000, offset: 0 })
    for (const task of tasks) this.#remember(task)
    for (const connection of this.#connections.values()) this.#forwardHeartbeats(connection)
    this.#attached(engine)
  }

  /**
   * Call together with the engine's close (`Promise.all([engine.close(), remote.close()])`):
   * the engine cancels its runs, remote ones get a few seconds to confirm, and whatever
   * Redis cannot confirm (it is unreachable) ends interrupted instead of holding the close.
   */
  async close(settleMs = 5000): Promise<void> {
    this.#closed = true
    this.#events?.dispose()
    await Promise.all(
      [...this.#connections.values()].map(async (connection) => {
        clearTimeout(connection.retry)
        connection.heartbeats?.dispose()
        await connection.backend?.close({ settleMs })
      }),
    )
  }

  #remember(task: Task): void {
    if (isFinished(task.status)) {
      this.#tasks.delete(task.id)
      return
    }
    const { group, priority, timeoutMs } = task.definition
    this.#tasks.set(task.id, { group, name: task.name, priority, timeoutMs })
  }

  #placed<K extends TaskSpec['kind']>(kind: K): Runner<K> {
    const local = this.#local[kind]
    return {
      kind,
      // Checks what only the submitting machine can see; a remote group's files live on its workers.
      check: (spec) => Promise.resolve(local?.check?.(spec)),
      start: (spec, context) => {
        const placement = this.#tasks.get(context.taskId)
        if (placement && !this.#bindings.has(placement.group)) return this.#startLocally(local, kind, spec, context)
        if (placement) return this.#startRemotely(spec, placement, context)
        // Started before attach (recovery re-queues at once): find out where it belongs first.
        const done = this.#whenAttached
          .then((engine) => engine.handlers['task.get']({ taskId: context.taskId }))
          .then(({ task }): Promise<RunOutcome> => {
            this.#remember(task)
            const found = this.#tasks.get(task.id)!
            return this.#bindings.has(found.group)
              ? this.#startRemotely(spec, found, context).done
              : this.#startLocally(local, kind, spec, context).done
          })
        return { pid: null, done }
      },
    }
  }

  #startLocally<K extends TaskSpec['kind']>(local: Runner<K> | undefined, kind: K, spec: Extract<TaskSpec, { kind: K }>, context: RunContext): StartedRun {
    if (!local) throw new TaskdeckError('bad_request', `definition.spec.kind: no runner for kind "${kind}" in this Taskdeck`)
    return local.start(spec, context)
  }

  #startRemotely(spec: TaskSpec, placement: Placement, context: RunContext): StartedRun & { worker: string } {
    const binding = this.#bindings.get(placement.group)!
    const connection = this.#connections.get(binding.sealed)!
    const placed: PlacedRun = placement
    const worker = `redis:${placement.group}`
    if (connection.backend) return { ...connection.backend.start(spec, placed, context), worker }
    context.output('system', `waiting for Redis at ${binding.redis}: ${connection.reason ?? 'connecting'}\n`)
    const cancelled = new Promise<BackendOutcome>((resolve) => {
      const onAbort = () => resolve({ exitCode: null, signal: null, error: 'cancelled while waiting for Redis', endedBy: 'cancel', worker: null })
      if (context.signal.aborted) onAbort()
      else context.signal.addEventListener('abort', onAbort, { once: true })
    })
    const done = Promise.race([cancelled, connection.ready.then((backend) => backend.start(spec, placed, context).done)])
    return { pid: null, done, worker }
  }

  #connect(binding: StoredBinding): Connection {
    const existing = this.#connections.get(binding.sealed)
    if (existing) return existing
    const options = JSON.parse(this.#secrets.open(binding.sealed)) as RedisConnectionOptions
    let resolveReady!: (backend: BullmqBackend) => void
    const connection: Connection = {
      options,
      status: 'connecting',
      reason: null,
      backend: null,
      ready: new Promise((resolve) => (resolveReady = resolve)),
      heartbeats: null,
      retry: undefined,
    }
    this.#connections.set(binding.sealed, connection)
    const attempt = async () => {
      try {
        const backend = await BullmqBackend.connect({ connection: options, source: this.source, prefix: this.#prefix })
        if (this.#closed) return void (await backend.close())
        connection.backend = backend
        connection.status = 'connected'
        connection.reason = null
        this.#forwardHeartbeats(connection)
        resolveReady(backend)
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        connection.status = error instanceof TaskdeckError && message.includes('maxmemory-policy') ? 'refused' : 'unreachable'
        connection.reason = message
        if (!this.#closed) connection.retry = setTimeout(() => void attempt(), this.#retryMs)
      }
    }
    void attempt()
    return connection
  }

  #forwardHeartbeats(connection: Connection): void {
    const engine = this.#engine
    if (!engine || !connection.backend || connection.heartbeats) return
    connection.heartbeats = connection.backend.onHeartbeat((worker) => engine.host.emitTransient({ type: 'worker.heartbeat', worker }))
  }

  #describe(binding: StoredBinding): RemoteBinding {
    const connection = this.#connections.get(binding.sealed)
    const lost = connection?.backend?.connectionError ?? null
    return {
      group: binding.group,
      redis: binding.redis,
      status: lost ? 'unreachable' : (connection?.status ?? 'connecting'),
      reason: lost ?? connection?.reason ?? null,
      secretStorage: binding.storage,
    }
  }

  /** Written whole and renamed into place, so a crash leaves the old file or the new one. */
  #save(): void {
    const document: RemoteFile = { version: 1, source: this.source, bindings: [...this.#bindings.values()] }
    const temporary = `${this.#file}.${process.pid}.tmp`
    const fd = openSync(temporary, 'w', 0o600)
    try {
      writeSync(fd, JSON.stringify(document, null, 2))
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, this.#file)
  }
}

function readRemoteFile(path: string): RemoteFile | null {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return null
  }
  return RemoteFileSchema.parse(JSON.parse(text))
}
