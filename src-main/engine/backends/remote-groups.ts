import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { RedisConnectionInputSchema, TaskdeckError, WhenUnreachableSchema, refusal } from '../../../src-shared/index.ts'
import type { EndReason, RemoteBinding, RemoteStatus, TaskSpec, WorkerCommandName, WorkerInfo } from '../../../src-shared/index.ts'
import type { CommandHandlers, Disposable, ExtensionCommandHandlers } from '../api.ts'
import type { EngineExtensionHost } from '../host.ts'
import type { RunContext } from '../runners/types.ts'
import { BullmqBackend } from './bullmq.ts'
import { redactRedisUrl } from './redis-connection.ts'
import type { RedisConnectionOptions } from './redis-connection.ts'
import { plainFileSecrets } from './secrets.ts'
import type { SecretBox } from './secrets.ts'
import { EmbeddedBackend } from './embedded.ts'
import type { AdoptedRun, BackendOutcome, BackendRun, ExecutionBackend, PlacedRun, RunnerRegistry } from './types.ts'
import { writeFileAtomicSync } from '../atomic-file.ts'

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
  whenUnreachable: WhenUnreachableSchema.default('wait'),
  localSlots: z.number().int().positive().nullable().default(null),
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
  /** Runs handed back by the engine at start, adopted once connected and before the report stream is read. */
  readonly adoptions: { run: AdoptedRun; context: RunContext; resolve: (run: BackendRun) => void }[]
}

/**
 * Remote groups for one engine, as its execution backend: runs of a group bound to Redis go
 * to BullMQ workers, every other run to this process's runners (the embedded backend).
 * Also the worker/remote commands, and worker heartbeats forwarded to the engine's clients.
 *
 * The engine keeps its state machine, log and retries; the backends enforce timeouts
 * (a remote run's time waiting for a free worker does not count).
 */
export class RemoteGroups implements ExecutionBackend {
  readonly name = 'remote-groups'
  readonly source: string
  readonly handlers: RemoteCommandHandlers
  readonly #file: string
  readonly #embedded: EmbeddedBackend
  readonly #secrets: SecretBox
  readonly #prefix: string | undefined
  readonly #retryMs: number
  readonly #bindings = new Map<string, StoredBinding>()
  readonly #connections = new Map<string, Connection>()
  /** Runs of each overflow group executing in this app right now. */
  readonly #localRuns = new Map<string, number>()
  /** Groups being bound (Redis probed), with the Redis they are being bound to. */
  readonly #binding = new Map<string, string>()
  #engine: AttachableEngine | null = null
  #closed = false

  constructor(options: RemoteGroupsOptions) {
    this.#file = join(options.home, 'remote-groups.json')
    this.#embedded = new EmbeddedBackend(options.local)
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
    this.handlers = {
      'worker.list': async ({ group }) => {
        const lists = await Promise.all(
          [...this.#connections.values()].map((c) => (c.backend ? c.backend.listWorkers(group).catch(() => []) : Promise.resolve([]))),
        )
        const seen = new Map<string, WorkerInfo>()
        for (const worker of lists.flat()) seen.set(worker.id, worker)
        return { workers: [...seen.values()] }
      },
      'group.bindRemote': async ({ name, connection, whenUnreachable, localSlots }) => {
        const engine = this.#engine
        const input = RedisConnectionInputSchema.parse(connection)
        const options = { url: input.url, password: input.password, tlsRejectUnauthorized: input.tlsRejectUnauthorized }
        // Counted as bound from here on (runsElsewhere), so a group.set adding machine conditions while Redis is
        // probed is refused by the engine; the group read below sees any set made before.
        this.#binding.set(name, redactRedisUrl(input.url))
        try {
          if (engine) {
            const { groups } = await engine.handlers['group.list']({})
            const group = groups.find((g) => g.name === name)
            if (!group) throw refusal('group-not-found', `There is no group "${name}".`, { group: name })
            if (group.onlyWhen?.length) {
              throw refusal(
                'group-has-conditions',
                `Group "${name}" runs only when ${group.onlyWhen.join(' and ')} holds on this machine (onlyWhen), which says nothing about the workers' machines. Clear its conditions first (taskdeck group set ${name} --only-when none).`,
                { group: name, conditions: group.onlyWhen },
              )
            }
          }
          // Refuses an unreachable Redis or one that may evict keys, before anything is stored.
          const probe = await BullmqBackend.connect({ connection: options, source: this.source, prefix: this.#prefix, deferReading: true })
          await probe.close()
        } finally {
          this.#binding.delete(name)
        }
        const binding: StoredBinding = {
          group: name,
          redis: redactRedisUrl(input.url),
          sealed: this.#secrets.seal(JSON.stringify(options)),
          storage: this.#secrets.description,
          tlsRejectUnauthorized: input.tlsRejectUnauthorized,
          whenUnreachable,
          localSlots: localSlots ?? null,
        }
        this.#bindings.set(name, binding)
        this.#save()
        const state = this.#connect(binding)
        await state.ready
        return { binding: this.#describe(binding) }
      },
      'group.unbindRemote': ({ name }) => {
        if (!this.#bindings.delete(name)) {
          throw refusal('group-not-bound', `Group "${name}" is not bound to Redis.`, { group: name })
        }
        this.#save()
        return Promise.resolve({})
      },
      'group.listRemote': () => Promise.resolve({ bindings: [...this.#bindings.values()].map((b) => this.#describe(b)) }),
    }
  }

  /** Gives the extension its engine: group checks for `group.bindRemote`, heartbeats to the engine's clients. */
  attach(engine: AttachableEngine): void {
    this.#engine = engine
    for (const connection of this.#connections.values()) this.#forwardHeartbeats(connection)
  }

  runsElsewhere(group: string): string | null {
    return this.#bindings.get(group)?.redis ?? this.#binding.get(group) ?? null
  }

  start(spec: TaskSpec, placed: PlacedRun, context: RunContext): BackendRun {
    const binding = this.#bindings.get(placed.group)
    if (!binding) return this.#embedded.start(spec, placed, context)
    const running = this.#localRuns.get(placed.group) ?? 0
    if (binding.localSlots !== null && running < binding.localSlots) {
      context.output('system', `running in this app (local slot ${running + 1} of ${binding.localSlots}); more runs of ${placed.group} at once overflow to ${binding.redis}\n`)
      return this.#startLocalSlot(spec, placed, context)
    }
    const connection = this.#connections.get(binding.sealed)!
    const unreachable = connection.backend ? connection.backend.connectionError : connection.reason
    if (unreachable && binding.whenUnreachable === 'local') {
      context.output('system', `Redis at ${binding.redis} is unreachable (${unreachable}); running in this app instead\n`)
      return this.#embedded.start(spec, placed, context)
    }
    if (connection.backend) return connection.backend.start(spec, placed, context)
    context.output('system', `waiting for Redis at ${binding.redis}: ${connection.reason ?? 'connecting'}\n`)
    const cancelled = new Promise<BackendOutcome>((resolve) => {
      const onAbort = () => resolve({ exitCode: null, signal: null, failure: { kind: 'cancelled' }, endedBy: 'cancel', worker: null })
      if (context.signal.aborted) onAbort()
      else context.signal.addEventListener('abort', onAbort, { once: true })
    })
    const stdin = new StdinUntilStarted()
    const done = Promise.race([cancelled, connection.ready.then((backend) => stdin.started(backend.start(spec, placed, context)).done)])
    return { pid: null, done, send: (text) => stdin.send(text) }
  }

  /**
   * A run of a bound group found running when the app started: its worker may still be on it,
   * or have finished it while the app was closed; the group's backend follows it again from
   * its report stream (or ends it `worker-lost` if its job is gone). A run of a group that is
   * not bound ran here and is gone with the previous process.
   */
  adopt(run: AdoptedRun, context: RunContext): BackendRun | null {
    const binding = this.#bindings.get(run.group)
    if (!binding || run.pid !== null) return null
    const connection = this.#connections.get(binding.sealed)!
    if (connection.backend) return connection.backend.adopt(run, context)
    const adopted = new Promise<BackendRun>((resolve) => connection.adoptions.push({ run, context, resolve }))
    // While Redis is unreachable a cancel cannot be delivered; the run ends at once and the worker may finish it unobserved.
    const stopped = new Promise<BackendOutcome>((resolve) => {
      const onAbort = () => {
        const detached = context.signal.reason === 'shutdown'
        const failure: EndReason = detached ? { kind: 'worker-lost', worker: null, cause: { kind: 'redis-unreachable' } } : { kind: 'cancelled' }
        resolve({ exitCode: null, signal: null, failure, endedBy: detached ? 'detached' : 'cancel', worker: null })
      }
      if (context.signal.aborted) onAbort()
      else context.signal.addEventListener('abort', onAbort, { once: true })
    })
    const stdin = new StdinUntilStarted()
    return { pid: null, done: Promise.race([stopped, adopted.then((backend) => stdin.started(backend).done)]), send: (text) => stdin.send(text) }
  }

  /** An overflow group's run in one of its local slots; the slot frees when the run ends. */
  #startLocalSlot(spec: TaskSpec, placed: PlacedRun, context: RunContext): BackendRun {
    this.#localRuns.set(placed.group, (this.#localRuns.get(placed.group) ?? 0) + 1)
    const run = this.#embedded.start(spec, placed, context)
    const free = () => this.#localRuns.set(placed.group, Math.max(0, (this.#localRuns.get(placed.group) ?? 1) - 1))
    return { ...run, done: run.done.finally(free) }
  }

  /**
   * Call together with the engine's close (`Promise.all([engine.close(), remote.close()])`):
   * the engine cancels its runs, remote ones get a few seconds to confirm, and whatever
   * Redis cannot confirm (it is unreachable) ends interrupted instead of holding the close.
   */
  async close(settleMs = 5000): Promise<void> {
    this.#closed = true
    await Promise.all(
      [...this.#connections.values()].map(async (connection) => {
        clearTimeout(connection.retry)
        connection.heartbeats?.dispose()
        await connection.backend?.close({ settleMs })
      }),
    )
    await this.#embedded.close()
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
      adoptions: [],
    }
    this.#connections.set(binding.sealed, connection)
    const attempt = async () => {
      try {
        const backend = await BullmqBackend.connect({ connection: options, source: this.source, prefix: this.#prefix, deferReading: true })
        if (this.#closed) return void (await backend.close())
        for (const { run, context, resolve } of connection.adoptions.splice(0)) resolve(backend.adopt(run, context))
        backend.startReading()
        connection.backend = backend
        connection.status = 'connected'
        connection.reason = null
        this.#forwardHeartbeats(connection)
        resolveReady(backend)
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        connection.status = error instanceof TaskdeckError && error.details?.reason === 'redis-evicts' ? 'refused' : 'unreachable'
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
      whenUnreachable: binding.whenUnreachable,
      localSlots: binding.localSlots,
    }
  }

  /** Written whole and renamed into place, so a crash leaves the old file or the new one. */
  #save(): void {
    const document: RemoteFile = { version: 1, source: this.source, bindings: [...this.#bindings.values()] }
    writeFileAtomicSync(this.#file, JSON.stringify(document, null, 2), { mode: 0o600 })
  }
}

/** Stdin text sent to a run that waits for Redis, kept in order until the run has its backend run. */
class StdinUntilStarted {
  #run: BackendRun | null = null
  readonly #waiting: string[] = []

  send(text: string): void {
    if (this.#run?.send) this.#run.send(text)
    else this.#waiting.push(text)
  }

  started(run: BackendRun): BackendRun {
    this.#run = run
    for (const text of this.#waiting.splice(0)) {
      try {
        run.send?.(text)
      } catch {
        // Refused the way a direct send would have been (the spec's stdin is closed): nothing to deliver.
      }
    }
    return run
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
