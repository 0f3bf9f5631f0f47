import type { DatabaseSync } from 'node:sqlite'
import type { DurableEvent, EngineEvent, MachineState, Task, TaskDefinitionInput, TransientEvent } from '../../src-shared/index.ts'
import type { Disposable } from './api.ts'
import type { DurableEventInput, ProjectInTransaction } from './store.ts'

/**
 * What an in-process extension (triggers, the Redis backend) gets from the engine: the
 * same database and event log, never a second store.
 *
 * - `db`: the engine's SQLite connection. Extensions keep their own tables in it, created
 *   by `migrate`. Use it synchronously and briefly (it runs on the engine's thread).
 * - `migrate(extension, migrations)`: applies numbered SQL migrations owned by
 *   `extension` (entry i is version i + 1; never edit a shipped entry, add one), tracked
 *   in `schema_migrations` next to the engine's own.
 * - `append(event, project?)`: appends a durable event (the log gives it `seq` and `at`);
 *   resolves once it is committed, after which listeners hear of it. `project` runs
 *   inside the committing transaction, so an extension's rows and its event are
 *   durable together or not at all. Extension event types must be declared in the
 *   contract (src-shared) like every other event.
 * - `place(event, project?)`: `append` in two steps, for an extension that keeps state in
 *   memory. The event's place in the log (`seq`, `at`) is fixed when `place` returns, before
 *   it commits; `committed` resolves once it is durable, or rejects when the write failed
 *   (the engine then refuses every later write until it is restarted). Events are given
 *   their seq in the order of the calls, and projected and committed in seq order: an
 *   extension that changes its memory in the same synchronous step as the call keeps its
 *   memory in the log's order, so the last projection of a row is of its newest state.
 * - `submit(definition, { idempotencyKey })`: submits a task exactly as `task.submit` does
 *   (validated, defaults filled, the key too); resolves with the task once it is durable. A key
 *   an existing task was submitted with answers that task (the same definition) or is refused
 *   (`conflict`, another definition), as `task.submit` does.
 * - `taskByIdempotencyKey(key)`: the existing task submitted with this key, whatever its
 *   definition, or null (never submitted, or removed since: `task.clean` frees a key). An
 *   extension that names each submit by what caused it (a trigger's webhook delivery, its
 *   schedule slot) asks first, so a repeat after a restart finds the task instead of being
 *   refused for a definition that differs only in when it was made.
 * - `onEvent(listener)`: every event, durable (after commit, in seq order) and transient,
 *   as it is announced. Returns a disposer.
 * - `readEvents(since, limit)`: committed durable events with `seq > since`, oldest first,
 *   read synchronously: an extension that kept a cursor catches up from it, then listens
 *   with `onEvent` from the same turn, missing nothing and hearing nothing twice.
 * - `emitTransient(event)`: a transient event for every subscriber (not stored, not replayed).
 * - `now()`: the engine's clock (tests may give the engine another one).
 * - `machine()`: what the engine knows of the machine now (`machine.get`); each change is
 *   announced as a transient `machine.updated`.
 */
export interface EngineExtensionHost {
  readonly db: DatabaseSync
  migrate(extension: string, migrations: readonly string[]): void
  append(event: DurableEventInput, project?: ProjectInTransaction): Promise<DurableEvent>
  place(event: DurableEventInput, project?: ProjectInTransaction): { event: DurableEvent; committed: Promise<void> }
  submit(definition: TaskDefinitionInput, options?: { idempotencyKey?: string }): Promise<Task>
  taskByIdempotencyKey(key: string): Task | null
  onEvent(listener: (event: EngineEvent) => void): Disposable
  readEvents(since: number, limit: number): DurableEvent[]
  /** Announces a live-only event (a remote worker's heartbeat) to every subscriber. */
  emitTransient(event: TransientEvent): void
  now(): number
  machine(): MachineState
}
