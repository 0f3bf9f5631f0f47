import { existsSync } from 'node:fs'
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { Worker } from 'node:worker_threads'
import {
  DEFAULT_SETTINGS,
  SettingsSchema,
  TaskdeckError,
  type DurableEvent,
  type Group,
  type Run,
  type Task,
} from '../../src-shared/index.ts'
import type { StoredEventText } from './api.ts'
import { ENGINE_MIGRATIONS } from './migrations/index.ts'
import { ProjectionChanges, type ProjectionState } from './projection.ts'

/** A durable event before the log gives it its place (`seq`) and time (`at`). */
export type DurableEventInput = DurableEvent extends infer E ? (E extends DurableEvent ? Omit<E, 'seq' | 'at'> : never) : never

/** Extra work done inside the commit that stores an event (an extension's own projection rows). */
export type ProjectInTransaction = (db: DatabaseSync, event: DurableEvent) => void

/**
 * The statements a write batch may use, by name. A batch is plain data (statement name +
 * parameters), so the same batch can be written here or by the writer thread.
 */
const STATEMENTS = {
  insertEvent: 'INSERT INTO events (seq, type, at, payload) VALUES (?, ?, ?, ?)',
  upsertTask:
    // idempotency_key is read out of the JSON (?5) only when the text names one, so most upserts skip json_extract.
    "INSERT INTO tasks (id, status, group_name, updated_at, json, idempotency_key) VALUES (?, ?, ?, ?, ?, CASE WHEN instr(?5, '\"idempotencyKey\"') > 0 THEN json_extract(?5, '$.idempotencyKey') END) ON CONFLICT (id) DO UPDATE SET status = excluded.status, group_name = excluded.group_name, updated_at = excluded.updated_at, json = excluded.json, idempotency_key = excluded.idempotency_key",
  deleteTask: 'DELETE FROM tasks WHERE id = ?',
  upsertRun: 'INSERT INTO runs (id, task_id, status, json) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status, json = excluded.json',
  deleteRunsOfTask: 'DELETE FROM runs WHERE task_id = ?',
  upsertGroup: 'INSERT INTO groups (name, json) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET json = excluded.json',
  deleteGroup: 'DELETE FROM groups WHERE name = ?',
  upsertSettings: 'INSERT INTO settings (id, json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json',
  upsertState: 'INSERT INTO engine_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  raiseCounter:
    'INSERT INTO engine_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))',
  upsertRunProcess: 'INSERT OR REPLACE INTO run_processes (run_id, pid, start_ticks, boot_id) VALUES (?, ?, ?, ?)',
  deleteRunProcess: 'DELETE FROM run_processes WHERE run_id = ?',
} as const
export type StatementName = keyof typeof STATEMENTS
type SqlValue = string | number | null
/** One write: a statement name and its parameters. */
export type WriteOp = [StatementName, ...SqlValue[]]
/**
 * A projection row whose JSON is the one embedded in an event of the same batch: its last
 * parameter is that event's index in the batch, so the JSON crosses to the writer thread once.
 */
type RowFromEventOp = ['upsertTaskFromEvent' | 'upsertRunFromEvent', ...SqlValue[]]

/** Batches handed to the writer thread and not yet confirmed, at most. */
const MAX_IN_FLIGHT = 2

/**
 * The writer thread: it owns the commits of batches, so that SQLite's work and above all
 * the fsync of each commit never block the main thread's event loop. It is inlined
 * (plain JavaScript, evaluated as a worker) so that it needs no bundle entry of its own.
 */
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { DatabaseSync } = require('node:sqlite')
const db = new DatabaseSync(workerData.path)
db.exec('PRAGMA busy_timeout = 10000')
db.exec('PRAGMA synchronous = ' + workerData.synchronous)
const statements = {}
for (const [name, sql] of Object.entries(workerData.statements)) statements[name] = db.prepare(sql)
// The row's statement and the length of the event payload's prefix ('{"task":' or '{"run":') around the JSON.
const FROM_EVENT = { upsertTaskFromEvent: [statements.upsertTask, 8], upsertRunFromEvent: [statements.upsertRun, 7] }
// After a failed batch, later ones are refused: the log must not go on past a gap.
let failed = null
parentPort.on('message', (ops) => {
  if (failed) {
    parentPort.postMessage({ ok: false, error: failed })
    return
  }
  try {
    db.exec('BEGIN IMMEDIATE')
    for (const op of ops) {
      const fromEvent = FROM_EVENT[op[0]]
      if (fromEvent) {
        const payload = ops[op[op.length - 1]][4]
        fromEvent[0].run(...op.slice(1, -1), payload.slice(fromEvent[1], -1))
      } else {
        statements[op[0]].run(...op.slice(1))
      }
    }
    db.exec('COMMIT')
    parentPort.postMessage({ ok: true })
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK')
    failed = String(error && error.message || error)
    parentPort.postMessage({ ok: false, error: failed })
  }
})
`

export interface StoreOptions {
  /** SQLite `synchronous`: FULL makes each commit survive power loss; NORMAL only an application crash. */
  synchronous?: 'FULL' | 'NORMAL'
  /** Commit on a writer thread (default), or on the calling thread. */
  writerThread?: boolean
  /** Most events written in one transaction. */
  maxBatch?: number
  /**
   * Time one transaction may spend taking events before it commits and yields to the event loop.
   * Building the projection rows and handing the batch over add about as much again, so the whole
   * turn stays well under the 10 ms loop-delay goal.
   */
  budgetMs?: number
  now?: () => number
}

/** The stored payload: the event without type, seq and at, reusing the JSON of the object it carries. */
function payloadOf(event: DurableEvent, jsonOf: (value: object) => string): string {
  switch (event.type) {
    case 'task.created':
    case 'task.updated':
      return `{"task":${jsonOf(event.task)}}`
    case 'run.started':
    case 'run.updated':
    case 'run.finished':
      return `{"run":${jsonOf(event.run)}}`
    default: {
      const { type: _type, seq: _seq, at: _at, ...payload } = event
      return JSON.stringify(payload)
    }
  }
}

/** The task or run whose JSON an event's payload embeds as `{"task":…}` or `{"run":…}` (see payloadOf). */
function carriedObject(event: DurableEvent): object | undefined {
  switch (event.type) {
    case 'task.created':
    case 'task.updated':
      return event.task
    case 'run.started':
    case 'run.updated':
    case 'run.finished':
      return event.run
    default:
      return undefined
  }
}

interface Pending {
  event: DurableEvent
  project: ProjectInTransaction | undefined
  ops: readonly WriteOp[] | undefined
  /** Set inside `together`: this event must be committed in the same transaction as the next one. */
  withNext?: boolean
}

/**
 * The SQLite event log and its projection tables. `append` gives an event its `seq` at
 * once; all events appended in the same tick are written in one transaction (group
 * commit), and only after COMMIT are they announced to `onCommit` listeners and are the
 * `committed` promises resolved: an event is durable before anyone hears of it.
 */
export class Store {
  readonly db: DatabaseSync
  private readonly maxBatch: number
  private readonly now: () => number
  private pending: Pending[] = []
  private waiters: { seq: number; resolve: () => void; reject: (error: unknown) => void }[] = []
  private flushScheduled = false
  private lastSeq: number
  private committedSeq: number
  private readonly commitListeners = new Set<(events: readonly DurableEvent[]) => void>()
  private closed = false
  private broken: TaskdeckError | null = null
  private readonly budgetMs: number
  private readonly statements: Record<StatementName, StatementSync>
  /** Durable events in (since, upTo], oldest first, at most a limit: read by `readEvents` and, page after page of a replay, `readEventTexts`. */
  private readonly eventRange: StatementSync
  /** The same range, only events whose type is in a JSON array of types (a subscriber's `types`). */
  private readonly eventRangeOfTypes: StatementSync
  private readonly writer: Worker | null
  /**
   * Batches handed to the writer thread, oldest first, each announced when it confirms. Up to
   * MAX_IN_FLIGHT at once: the next batch is ready on the writer's queue while it fsyncs one.
   */
  private readonly inFlight: Pending[][] = []
  private idleWaiters: (() => void)[] = []

  private constructor(db: DatabaseSync, path: string, options: StoreOptions) {
    this.db = db
    this.maxBatch = options.maxBatch ?? 5000
    this.budgetMs = options.budgetMs ?? 3
    this.now = options.now ?? Date.now
    this.lastSeq = this.committedSeq = Number((db.prepare('SELECT coalesce(max(seq), 0) AS head FROM events').get() as { head: number }).head)
    this.statements = Object.fromEntries(Object.entries(STATEMENTS).map(([name, sql]) => [name, db.prepare(sql)])) as Record<StatementName, StatementSync>
    this.eventRange = db.prepare('SELECT seq, type, at, payload FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?')
    // Rows as arrays: node:sqlite makes each row object a dictionary-mode object, which cost a replay ~0.6 µs per event to build and read (docs/benchmarks.md, session 10).
    this.eventRange.setReturnArrays(true)
    this.eventRangeOfTypes = db.prepare('SELECT seq, type, at, payload FROM events WHERE seq > ? AND seq <= ? AND type IN (SELECT value FROM json_each(?)) ORDER BY seq LIMIT ?')
    this.eventRangeOfTypes.setReturnArrays(true)
    if (options.writerThread ?? true) {
      // The writer thread checkpoints the WAL; this connection never does, so it never stalls on it.
      db.exec('PRAGMA wal_autocheckpoint = 0')
      this.writer = new Worker(WRITER_SOURCE, { eval: true, workerData: { path, synchronous: options.synchronous ?? 'FULL', statements: STATEMENTS } })
      this.writer.on('message', (reply: { ok: boolean; error?: string }) => this.written(reply))
      this.writer.on('error', (error) => this.fail(error))
    } else {
      this.writer = null
    }
  }

  /**
   * Opens (or creates) the database, refusing a damaged one rather than starting empty,
   * and brings the engine's schema up to date.
   */
  static open(path: string, options: StoreOptions = {}): Store {
    const existed = existsSync(path)
    let db: DatabaseSync
    try {
      db = new DatabaseSync(path)
      db.exec('PRAGMA busy_timeout = 5000')
      const rows = db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]
      const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok')
      if (problems.length > 0) {
        db.close()
        throw damaged(path, problems.slice(0, 5).join('; '))
      }
      db.exec('PRAGMA journal_mode = WAL')
      db.exec(`PRAGMA synchronous = ${options.synchronous ?? 'FULL'}`)
      db.exec('PRAGMA foreign_keys = ON')
    } catch (error) {
      if (error instanceof TaskdeckError) throw error
      throw damaged(path, error instanceof Error ? error.message : String(error), existed)
    }
    migrate(db, 'engine', ENGINE_MIGRATIONS)
    return new Store(db, path, options)
  }

  /** The newest committed seq: what subscribers and readers can see. */
  get headSeq(): number {
    return this.committedSeq
  }

  /** The newest seq handed out, committed or not. */
  get lastAppendedSeq(): number {
    return this.lastSeq
  }

  /** A high-water mark kept in engine_state (ids are never reused, even after their rows are removed). */
  counter(key: 'lastTaskId' | 'lastRunId'): number {
    const row = this.db.prepare('SELECT value FROM engine_state WHERE key = ?').get(key) as { value: string } | undefined
    return row ? Number(row.value) : 0
  }

  /**
   * Places an event in the log. It is written with the other events of this tick in one
   * transaction; `committed` resolves once it is durable. `at` is the moment the caller
   * already read for the change it records (a task's updatedAt, a run's start or end), so
   * the event and what it carries tell one time, read once.
   */
  append(input: DurableEventInput, project?: ProjectInTransaction, ops?: readonly WriteOp[], at = this.now()): AppendedEvent {
    if (this.closed) throw new TaskdeckError('internal', 'The engine is closed.')
    if (this.broken) throw this.broken
    const event = { ...input, seq: ++this.lastSeq, at }
    this.pending.push({ event, project, ops })
    this.scheduleFlush()
    return new AppendedEvent(this, event)
  }

  /**
   * Runs `write` (which appends events synchronously) so that all the events it appends are
   * committed in one transaction, whatever the batch budget: stored together or not at all.
   */
  together<T>(write: () => T): T {
    const first = this.pending.length
    const result = write()
    for (let i = first; i < this.pending.length - 1; i++) this.pending[i]!.withNext = true
    return result
  }

  /** Resolves once every event up to `seq` is committed. */
  waitFor(seq: number): Promise<void> {
    if (seq <= this.committedSeq) return Promise.resolve()
    if (this.broken) return Promise.reject(this.broken)
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }))
  }

  /** Called with each committed batch, in order, right after COMMIT. */
  onCommit(listener: (events: readonly DurableEvent[]) => void): () => void {
    this.commitListeners.add(listener)
    return () => this.commitListeners.delete(listener)
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    setImmediate(() => {
      this.flushScheduled = false
      this.flush()
    })
  }

  /**
   * Writes pending events in one transaction: on the writer thread while the main thread
   * goes on (the next batch gathers meanwhile, so batches grow under load), or here when
   * an event carries an extension's in-transaction callback. Preparing a batch stops at
   * its time budget, so a burst is written over several turns instead of stalling the loop.
   */
  flush(): void {
    if (this.pending.length === 0 || this.broken || this.inFlight.length >= MAX_IN_FLIGHT) return
    const onThisThread = !this.writer || this.pending[0]!.project !== undefined
    // A batch committed here must come after those the writer thread is still committing.
    if (onThisThread && this.inFlight.length > 0) return
    const deadline = performance.now() + this.budgetMs
    const changes = new ProjectionChanges()
    const ops: (WriteOp | RowFromEventOp)[] = []
    // Each object is serialised once: the event payload embeds the same JSON the projection row stores.
    const json = new Map<object, string>()
    const jsonOf = (value: object) => {
      let text = json.get(value)
      if (text === undefined) json.set(value, (text = JSON.stringify(value)))
      return text
    }
    /** The index in `ops` of the last event that carries each task or run (the writer thread takes the row's JSON from it). */
    const carriedBy = new Map<object, number>()
    let taken = 0
    for (const { event, project, ops: extra, withNext } of this.pending) {
      if (!onThisThread && project) break
      const carried = carriedObject(event)
      if (carried) carriedBy.set(carried, ops.length)
      ops.push(['insertEvent', event.seq, event.type, event.at, payloadOf(event, jsonOf)])
      if (extra) ops.push(...extra)
      changes.add(event)
      taken++
      if (withNext) continue
      if (taken >= this.maxBatch || ((taken & 63) === 0 && performance.now() > deadline)) break
    }
    for (const taskId of changes.removedTaskRuns) ops.push(['deleteRunsOfTask', taskId])
    const fromEvent = (value: object): number | undefined => (onThisThread ? undefined : carriedBy.get(value))
    for (const [id, task] of changes.tasks) {
      const carrier = task && fromEvent(task)
      if (!task) ops.push(['deleteTask', id])
      else if (carrier !== undefined) ops.push(['upsertTaskFromEvent', id, task.status, task.definition.group, task.updatedAt, carrier])
      else ops.push(['upsertTask', id, task.status, task.definition.group, task.updatedAt, jsonOf(task)])
    }
    for (const [id, run] of changes.runs) {
      if (!run) continue
      const carrier = fromEvent(run)
      ops.push(carrier === undefined ? ['upsertRun', id, run.taskId, run.status, jsonOf(run)] : ['upsertRunFromEvent', id, run.taskId, run.status, carrier])
    }
    for (const [name, group] of changes.groups) ops.push(group ? ['upsertGroup', name, jsonOf(group)] : ['deleteGroup', name])
    if (changes.settings) ops.push(['upsertSettings', jsonOf(changes.settings)])
    if (changes.paused !== null) ops.push(['upsertState', 'paused', JSON.stringify(changes.paused)])
    if (changes.maxTaskId > 0) ops.push(['raiseCounter', 'lastTaskId', changes.maxTaskId])
    if (changes.maxRunId > 0) ops.push(['raiseCounter', 'lastRunId', changes.maxRunId])
    const batch = this.pending.splice(0, taken)
    if (!onThisThread && this.writer) {
      this.inFlight.push(batch)
      // Referenced while it commits, so the process waits for the commit; unreferenced when idle.
      this.writer.ref()
      this.writer.postMessage(ops)
      if (this.pending.length > 0) this.scheduleFlush()
      return
    }
    try {
      this.db.exec('BEGIN IMMEDIATE')
      // Rows refer to events only on the writer thread (fromEvent), so these are all plain statements.
      for (const [name, ...params] of ops as WriteOp[]) this.statements[name].run(...params)
      for (const { event, project } of batch) project?.(this.db, event)
      this.db.exec('COMMIT')
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK')
      this.fail(error)
      return
    }
    this.committed(batch)
  }

  private written(reply: { ok: boolean; error?: string }): void {
    const batch = this.inFlight.shift()
    if (this.inFlight.length === 0) this.writer?.unref()
    if (!batch || this.broken) return
    if (!reply.ok) {
      this.fail(new Error(reply.error))
      return
    }
    this.committed(batch)
  }

  private committed(batch: Pending[]): void {
    const events = batch.map((p) => p.event)
    this.committedSeq = events[events.length - 1]!.seq
    for (const listener of this.commitListeners) listener(events)
    this.resolveWaiters()
    if (this.pending.length > 0) this.scheduleFlush()
    else if (this.inFlight.length === 0) for (const resolve of this.idleWaiters.splice(0)) resolve()
  }

  /** Memory is now ahead of the disk: refuse further work rather than diverge silently. */
  private fail(error: unknown): void {
    this.broken = new TaskdeckError('internal', `Could not write to the database (${error instanceof Error ? error.message : String(error)}); restart Taskdeck.`)
    for (const waiter of this.waiters) waiter.reject(this.broken)
    this.waiters = []
    for (const resolve of this.idleWaiters.splice(0)) resolve()
  }

  private resolveWaiters(): void {
    let resolved = 0
    while (resolved < this.waiters.length && this.waiters[resolved]!.seq <= this.committedSeq) this.waiters[resolved++]!.resolve()
    if (resolved > 0) this.waiters.splice(0, resolved)
  }

  /** Durable events with `seq > since`, oldest first. */
  readEvents(since: number, limit: number, upTo = this.committedSeq, types?: readonly string[]): DurableEvent[] {
    const rows = this.rangeRows(since, limit, upTo, types)
    return rows.map(([seq, type, at, payload]) => ({ type, seq, at, ...(JSON.parse(payload) as object) }) as DurableEvent)
  }

  /**
   * The same events as `readEvents`, each as its JSON text, built from the stored columns
   * without parsing the payload: byte for byte what `JSON.stringify` makes of the event
   * `readEvents` returns (the payload is stored as JSON.stringify wrote it, without the
   * type, seq and at that lead the event).
   */
  readEventTexts(since: number, limit: number, upTo = this.committedSeq, types?: readonly string[]): StoredEventText[] {
    const rows = this.rangeRows(since, limit, upTo, types)
    return rows.map(([seq, type, at, payload]) => {
      const head = `{"type":${quotedType(type)},"seq":${seq},"at":${JSON.stringify(at)}`
      return { seq, json: payload === '{}' ? `${head}}` : `${head},${payload.slice(1)}` }
    })
  }

  /** Rows of the events in (since, upTo], oldest first, at most `limit`; only of `types` when given. */
  private rangeRows(since: number, limit: number, upTo: number, types: readonly string[] | undefined): EventRow[] {
    const rows = types ? this.eventRangeOfTypes.all(since, upTo, JSON.stringify(types), limit) : this.eventRange.all(since, upTo, limit)
    return rows as unknown as EventRow[]
  }

  /** The projection tables as they are on disk. */
  loadProjection(): ProjectionState {
    const tasks = new Map<number, Task>()
    for (const row of this.db.prepare('SELECT json FROM tasks ORDER BY id').all() as { json: string }[]) {
      const task = JSON.parse(row.json) as Task
      tasks.set(task.id, task)
    }
    const runs = new Map<number, Run>()
    for (const row of this.db.prepare('SELECT json FROM runs ORDER BY id').all() as { json: string }[]) {
      const run = JSON.parse(row.json) as Run
      runs.set(run.id, run)
    }
    const groups = new Map<string, Group>()
    for (const row of this.db.prepare('SELECT json FROM groups ORDER BY name').all() as { json: string }[]) {
      const group = JSON.parse(row.json) as Group
      groups.set(group.name, group)
    }
    const settingsRow = this.db.prepare('SELECT json FROM settings WHERE id = 1').get() as { json: string } | undefined
    const settings = settingsRow ? SettingsSchema.parse(JSON.parse(settingsRow.json)) : DEFAULT_SETTINGS
    const pausedRow = this.db.prepare("SELECT value FROM engine_state WHERE key = 'paused'").get() as { value: string } | undefined
    return { tasks, runs, groups, settings, paused: pausedRow ? JSON.parse(pausedRow.value) === true : false }
  }

  /** Writes what is pending, stops the writer thread and closes the database. */
  async close(): Promise<void> {
    if (this.closed) return
    while ((this.pending.length > 0 || this.inFlight.length > 0) && !this.broken) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve)
        this.flush()
      })
    }
    this.closed = true
    try {
      await this.writer?.terminate()
    } finally {
      this.db.close()
    }
  }

}

/** A row of `eventRange`, in its column order. */
type EventRow = [seq: number, type: string, at: number, payload: string]

const quotedTypes = new Map<string, string>()
/** Event types are few: each is quoted once. */
function quotedType(type: string): string {
  let quoted = quotedTypes.get(type)
  if (quoted === undefined) quotedTypes.set(type, (quoted = JSON.stringify(type)))
  return quoted
}

/** An event placed in the log. Its `committed` promise is made only when asked for: most events are never awaited one by one. */
export class AppendedEvent {
  readonly event: DurableEvent
  readonly #store: Store

  constructor(store: Store, event: DurableEvent) {
    this.#store = store
    this.event = event
  }

  /** Resolves once the event is durable. */
  get committed(): Promise<void> {
    return this.#store.waitFor(this.event.seq)
  }
}

function damaged(path: string, problem: string, existed = true): TaskdeckError {
  return new TaskdeckError(
    'database_damaged',
    `The database ${path} is damaged (${problem}). Taskdeck will not start with an empty one in its place: restore a backup or move the file aside.`,
    { path, problem, existed },
  )
}

/**
 * Applies the numbered migrations of one owner (the engine, or an extension) that this
 * database has not seen, each in its own transaction, recording the version reached.
 */
export function migrate(db: DatabaseSync, owner: string, migrations: readonly string[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (owner TEXT NOT NULL, version INTEGER NOT NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (owner, version))')
  const row = db.prepare('SELECT coalesce(max(version), 0) AS version FROM schema_migrations WHERE owner = ?').get(owner) as { version: number }
  const current = Number(row.version)
  if (current > migrations.length) {
    throw new TaskdeckError(
      'database_damaged',
      `The database was written by a newer Taskdeck (schema ${owner} version ${current}; this version knows ${migrations.length}). Update Taskdeck.`,
    )
  }
  const record = db.prepare('INSERT INTO schema_migrations (owner, version, applied_at) VALUES (?, ?, ?)')
  for (let version = current + 1; version <= migrations.length; version++) {
    db.exec('BEGIN IMMEDIATE')
    try {
      db.exec(migrations[version - 1]!)
      record.run(owner, version, Date.now())
      db.exec('COMMIT')
    } catch (error) {
      db.exec('ROLLBACK')
      throw error
    }
  }
}
