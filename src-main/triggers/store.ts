import type { DatabaseSync, StatementSync } from 'node:sqlite'
import {
  FINISHED_STATUSES,
  FiringSchema,
  SavedTaskSchema,
  TaskDefinitionSchema,
  TriggerSpecSchema,
  type Firing,
  type FiringCause,
  type SavedTask,
  type TriggerSpec,
} from '../../src-shared/index.ts'
import { hashSecretSync } from './secrets.ts'

const HASH_WEBHOOK_SECRET = 'taskdeck_hash_webhook_secret'
/** The newest event seq up to which every completion trigger has been served. */
const COMPLETION_CURSOR = 'completionSeq'
/** `highestId.savedTask` …: the highest id given so far, kept when the row holding it is removed. */
const HIGHEST_ID = 'highestId.'

/** The triggers' tables in the engine's database; entry i is version i + 1. Never edit a shipped entry: add one. */
export const TRIGGER_MIGRATIONS: readonly string[] = [
  `CREATE TABLE trg_saved_tasks (
     id INTEGER PRIMARY KEY, name TEXT NOT NULL, definition TEXT NOT NULL,
     created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
   CREATE TABLE trg_triggers (
     id INTEGER PRIMARY KEY, name TEXT NOT NULL, saved_task_id INTEGER NOT NULL, spec TEXT NOT NULL,
     paused INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     last_fired_at INTEGER, anchor_at INTEGER NOT NULL, cursor_at INTEGER NOT NULL);
   CREATE TABLE trg_firings (
     id INTEGER PRIMARY KEY, trigger_id INTEGER, saved_task_id INTEGER NOT NULL, fired_at INTEGER NOT NULL,
     cause TEXT NOT NULL, scheduled_for INTEGER, outcome TEXT NOT NULL, task_id INTEGER, error TEXT, detail TEXT NOT NULL);
   CREATE INDEX trg_firings_by_trigger ON trg_firings (trigger_id, id);`,
  // Webhook secrets were kept as given; keep a salted hash instead, and drop the secret from
  // the trigger events already in the log (they carried the whole spec).
  `UPDATE trg_triggers SET spec = ${HASH_WEBHOOK_SECRET}(spec)
     WHERE json_extract(spec, '$.kind') = 'webhook' AND json_extract(spec, '$.secret') IS NOT NULL;
   UPDATE events SET payload = json_remove(payload, '$.trigger.spec.secret')
     WHERE type IN ('trigger.updated', 'trigger.fired') AND json_extract(payload, '$.trigger.spec.secret') IS NOT NULL;`,
  // Completion triggers catch up from a durable cursor in the event log. It starts at the log's
  // head, so an upgrade does not fire for every task that ever finished; a trigger fires only
  // for finishes after the event that created (changed, resumed) it.
  `CREATE TABLE trg_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
   INSERT INTO trg_state (key, value) SELECT '${COMPLETION_CURSOR}', coalesce(max(seq), 0) FROM events;
   ALTER TABLE trg_triggers ADD COLUMN from_seq INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX trg_firings_by_task ON trg_firings (task_id) WHERE task_id IS NOT NULL;`,
  // Tasks a trigger started that have not finished, so a schedule with overlap "skip" knows
  // across a restart that its task is still queued. Seeded from the firings and the engine's
  // tasks as they are at the upgrade.
  `CREATE TABLE trg_active_tasks (task_id INTEGER PRIMARY KEY, trigger_id INTEGER NOT NULL);
   INSERT OR IGNORE INTO trg_active_tasks (task_id, trigger_id)
     SELECT f.task_id, f.trigger_id FROM trg_firings f JOIN tasks t ON t.id = f.task_id
     WHERE f.trigger_id IS NOT NULL AND t.status NOT IN ('succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted');`,
  // Ids are never given twice: a removed trigger's id (its tasks still carry trigger:<id>, its
  // firings were announced) must not name a new one after a restart. The highest ids given so
  // far, from the log, for databases whose highest rows were removed before this.
  `INSERT INTO trg_state (key, value) SELECT '${HIGHEST_ID}savedTask', coalesce(max(coalesce(json_extract(payload, '$.savedTask.id'), json_extract(payload, '$.savedTaskId'))), 0)
     FROM events WHERE type IN ('savedTask.updated', 'savedTask.removed');
   INSERT INTO trg_state (key, value) SELECT '${HIGHEST_ID}trigger', coalesce(max(coalesce(json_extract(payload, '$.trigger.id'), json_extract(payload, '$.triggerId'))), 0)
     FROM events WHERE type IN ('trigger.updated', 'trigger.removed');
   INSERT INTO trg_state (key, value) SELECT '${HIGHEST_ID}firing', coalesce(max(json_extract(payload, '$.firing.id')), 0)
     FROM events WHERE type = 'trigger.fired';`,
  // Webhook deliveries each hook accepted recently (a sender's delivery id, with the firing and
  // task it started), so a retry after a restart starts nothing either (webhook.ts, DeliveryWindow).
  `CREATE TABLE trg_deliveries (
     trigger_id INTEGER NOT NULL, delivery_id TEXT NOT NULL, at INTEGER NOT NULL, firing_id INTEGER NOT NULL, task_id INTEGER,
     PRIMARY KEY (trigger_id, delivery_id)) WITHOUT ROWID;
   CREATE INDEX trg_deliveries_by_firing ON trg_deliveries (trigger_id, firing_id);`,
  // Firings about to submit a task under a key nothing else would name again (a file burst's, a
  // press's, a system event's nonce; a "Run now" caller's idempotency key), written before the
  // submit and removed with the firing's record: a restart records what the app died between.
  `CREATE TABLE trg_intents (
     key TEXT PRIMARY KEY, trigger_id INTEGER, saved_task_id INTEGER NOT NULL, fired_at INTEGER NOT NULL,
     cause TEXT NOT NULL, detail TEXT NOT NULL) WITHOUT ROWID;`,
]

/** A firing whose task is being submitted under `key`, kept until the firing is recorded (trg_intents). */
export interface FiringIntent {
  key: string
  triggerId: number | null
  savedTaskId: number
  firedAt: number
  cause: FiringCause
  detail: Firing['detail']
}

/**
 * Registers the SQL functions the migrations call (hashing needs a random salt and scrypt,
 * which SQL has not): call before migrating.
 */
export function registerMigrationFunctions(db: DatabaseSync): void {
  db.function(HASH_WEBHOOK_SECRET, { deterministic: false }, (specJson) => {
    const { secret, ...rest } = JSON.parse(String(specJson)) as { secret: string }
    return JSON.stringify({ ...rest, secretHash: hashSecretSync(secret) })
  })
}

/** History kept per trigger; older firings are dropped as new ones are recorded. */
const HISTORY_PER_TRIGGER = 1000

/**
 * A trigger as kept: what the user stated plus the bookkeeping schedules need.
 * `anchorAt` is when the spec was set (intervals count from it); `cursorAt` is the newest
 * schedule slot already accounted for, so slots after it and before now were missed.
 */
export interface TriggerRecord {
  id: number
  name: string
  savedTaskId: number
  spec: TriggerSpec
  paused: boolean
  createdAt: number
  updatedAt: number
  lastFiredAt: number | null
  anchorAt: number
  cursorAt: number
  /**
   * The seq of the event that last created, changed, resumed (or, for a schedule, caught up) the trigger: completion
   * triggers fire for tasks that finish in events after it; a schedule's slot keys count it as their generation (keys.ts).
   */
  fromSeq: number
}

interface TriggerRow {
  id: number
  name: string
  saved_task_id: number
  spec: string
  paused: number
  created_at: number
  updated_at: number
  last_fired_at: number | null
  anchor_at: number
  cursor_at: number
  from_seq: number
}

interface FiringRow {
  id: number
  trigger_id: number | null
  saved_task_id: number
  fired_at: number
  cause: string
  scheduled_for: number | null
  outcome: string
  task_id: number | null
  error: string | null
  detail: string
}

const firingOfRow = (row: FiringRow): Firing =>
  FiringSchema.parse({
    id: row.id,
    triggerId: row.trigger_id,
    savedTaskId: row.saved_task_id,
    firedAt: row.fired_at,
    cause: row.cause,
    scheduledFor: row.scheduled_for,
    outcome: row.outcome,
    taskId: row.task_id,
    error: row.error,
    detail: JSON.parse(row.detail) as unknown,
  })

/**
 * Reads and writes the trigger tables. Reads are immediate; every write is handed to the
 * engine's `append` as the projection of a durable event, so a row and its event commit
 * together. Stored JSON stays `unknown` until the contract's schemas have parsed it.
 */
export class TriggerStore {
  private readonly statements: Record<
    | 'upsertSavedTask'
    | 'deleteSavedTask'
    | 'upsertTrigger'
    | 'deleteTrigger'
    | 'deleteFiringsOf'
    | 'insertFiring'
    | 'trimFirings'
    | 'history'
    | 'maxSavedTaskId'
    | 'maxTriggerId'
    | 'maxFiringId'
    | 'readCursor'
    | 'writeCursor'
    | 'firingOfTask'
    | 'triggerFiringOfTask'
    | 'completionFiring'
    | 'keepHighestId'
    | 'insertActiveTask'
    | 'deleteActiveTask'
    | 'insertDelivery'
    | 'expireDeliveries'
    | 'trimDeliveries'
    | 'delivery'
    | 'deleteDeliveriesOf'
    | 'insertIntent'
    | 'deleteIntent'
    | 'intents',
    StatementSync
  >

  constructor(db: DatabaseSync) {
    this.statements = {
      upsertSavedTask: db.prepare(
        `INSERT INTO trg_saved_tasks (id, name, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, definition = excluded.definition, updated_at = excluded.updated_at`,
      ),
      deleteSavedTask: db.prepare('DELETE FROM trg_saved_tasks WHERE id = ?'),
      upsertTrigger: db.prepare(
        `INSERT INTO trg_triggers (id, name, saved_task_id, spec, paused, created_at, updated_at, last_fired_at, anchor_at, cursor_at, from_seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, saved_task_id = excluded.saved_task_id, spec = excluded.spec,
           paused = excluded.paused, updated_at = excluded.updated_at, last_fired_at = excluded.last_fired_at,
           anchor_at = excluded.anchor_at, cursor_at = excluded.cursor_at, from_seq = excluded.from_seq`,
      ),
      deleteTrigger: db.prepare('DELETE FROM trg_triggers WHERE id = ?'),
      deleteFiringsOf: db.prepare('DELETE FROM trg_firings WHERE trigger_id = ?'),
      insertFiring: db.prepare(
        `INSERT INTO trg_firings (id, trigger_id, saved_task_id, fired_at, cause, scheduled_for, outcome, task_id, error, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      trimFirings: db.prepare(
        `DELETE FROM trg_firings WHERE trigger_id = ? AND id <= coalesce(
           (SELECT id FROM trg_firings WHERE trigger_id = ? ORDER BY id DESC LIMIT 1 OFFSET ${HISTORY_PER_TRIGGER}), 0)`,
      ),
      history: db.prepare('SELECT * FROM trg_firings WHERE trigger_id = ? ORDER BY id DESC LIMIT ?'),
      maxSavedTaskId: db.prepare('SELECT coalesce(max(id), 0) AS id FROM trg_saved_tasks'),
      maxTriggerId: db.prepare('SELECT coalesce(max(id), 0) AS id FROM trg_triggers'),
      maxFiringId: db.prepare('SELECT coalesce(max(id), 0) AS id FROM trg_firings'),
      readCursor: db.prepare(`SELECT value FROM trg_state WHERE key = '${COMPLETION_CURSOR}'`),
      // Never backwards: a late writer with an older view cannot undo a newer cursor.
      writeCursor: db.prepare(`UPDATE trg_state SET value = max(value, ?) WHERE key = '${COMPLETION_CURSOR}'`),
      firingOfTask: db.prepare('SELECT cause, detail FROM trg_firings WHERE task_id = ? ORDER BY id LIMIT 1'),
      triggerFiringOfTask: db.prepare('SELECT * FROM trg_firings WHERE task_id = ? AND trigger_id IS ? ORDER BY id LIMIT 1'),
      // A trigger's history is at most HISTORY_PER_TRIGGER rows, read through its index.
      completionFiring: db.prepare(
        `SELECT task_id AS taskId FROM trg_firings WHERE trigger_id = ? AND cause = 'completion' AND json_extract(detail, '$.sourceKey') = ? LIMIT 1`,
      ),
      keepHighestId: db.prepare('INSERT INTO trg_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)'),
      insertActiveTask: db.prepare('INSERT OR REPLACE INTO trg_active_tasks (task_id, trigger_id) VALUES (?, ?)'),
      deleteActiveTask: db.prepare('DELETE FROM trg_active_tasks WHERE task_id = ?'),
      insertDelivery: db.prepare('INSERT OR REPLACE INTO trg_deliveries (trigger_id, delivery_id, at, firing_id, task_id) VALUES (?, ?, ?, ?, ?)'),
      expireDeliveries: db.prepare('DELETE FROM trg_deliveries WHERE trigger_id = ? AND at <= ?'),
      // Keeps the hook's newest `?2` deliveries (firing ids grow with time).
      trimDeliveries: db.prepare(
        `DELETE FROM trg_deliveries WHERE trigger_id = ?1 AND firing_id <= coalesce(
           (SELECT firing_id FROM trg_deliveries WHERE trigger_id = ?1 ORDER BY firing_id DESC LIMIT 1 OFFSET ?2), 0)`,
      ),
      delivery: db.prepare('SELECT firing_id AS firingId, task_id AS taskId FROM trg_deliveries WHERE trigger_id = ? AND delivery_id = ? AND at > ?'),
      deleteDeliveriesOf: db.prepare('DELETE FROM trg_deliveries WHERE trigger_id = ?'),
      insertIntent: db.prepare('INSERT OR REPLACE INTO trg_intents (key, trigger_id, saved_task_id, fired_at, cause, detail) VALUES (?, ?, ?, ?, ?, ?)'),
      deleteIntent: db.prepare('DELETE FROM trg_intents WHERE key = ?'),
      intents: db.prepare('SELECT * FROM trg_intents ORDER BY fired_at, key'),
    }
    this.db = db
  }

  /** Unfinished tasks that triggers started: task id → trigger id. */
  /**
   * Unfinished tasks that triggers started: task id → trigger id. Rows whose task the engine
   * has since finished or removed are left out (by the engine's own tasks table): a finished
   * task has no next event, so a row whose removal failed would otherwise hold its schedule
   * back for good.
   */
  loadActiveTasks(): Map<number, number> {
    const finished = FINISHED_STATUSES.map((status) => `'${status}'`).join(', ')
    const rows = this.db
      .prepare(`SELECT a.task_id, a.trigger_id FROM trg_active_tasks a JOIN tasks t ON t.id = a.task_id WHERE t.status NOT IN (${finished})`)
      .all() as { task_id: number; trigger_id: number }[]
    return new Map(rows.map((row) => [row.task_id, row.trigger_id]))
  }

  addActiveTask(taskId: number, triggerId: number): void {
    this.statements.insertActiveTask.run(taskId, triggerId)
  }

  removeActiveTask(taskId: number): void {
    this.statements.deleteActiveTask.run(taskId)
  }

  private readonly db: DatabaseSync

  /** The highest ids given so far (in use, or kept by `keepHighestIds`), so new ones can be given before their rows are written. */
  maxIds(): { savedTask: number; trigger: number; firing: number } {
    const highest = new Map(
      (this.db.prepare(`SELECT key, value FROM trg_state WHERE key LIKE '${HIGHEST_ID}%'`).all() as { key: string; value: number }[]).map((row) => [row.key, Number(row.value)]),
    )
    const max = (s: StatementSync, kind: string): number => Math.max(Number((s.get() as { id: number }).id), highest.get(HIGHEST_ID + kind) ?? 0)
    return { savedTask: max(this.statements.maxSavedTaskId, 'savedTask'), trigger: max(this.statements.maxTriggerId, 'trigger'), firing: max(this.statements.maxFiringId, 'firing') }
  }

  /** Keeps the highest ids given so far: called in the projection of a removal, which may delete the rows holding them. */
  keepHighestIds(ids: { savedTask: number; trigger: number; firing: number }): void {
    for (const [kind, id] of Object.entries(ids)) this.statements.keepHighestId.run(HIGHEST_ID + kind, id)
  }

  loadSavedTasks(): SavedTask[] {
    const rows = this.db.prepare('SELECT * FROM trg_saved_tasks ORDER BY id').all() as {
      id: number
      name: string
      definition: string
      created_at: number
      updated_at: number
    }[]
    return rows.map((row) =>
      SavedTaskSchema.parse({
        id: row.id,
        name: row.name,
        definition: TaskDefinitionSchema.parse(JSON.parse(row.definition)),
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      }),
    )
  }

  loadTriggers(): TriggerRecord[] {
    const rows = this.db.prepare('SELECT * FROM trg_triggers ORDER BY id').all() as unknown as TriggerRow[]
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      savedTaskId: row.saved_task_id,
      spec: TriggerSpecSchema.parse(JSON.parse(row.spec)),
      paused: row.paused === 1,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      lastFiredAt: row.last_fired_at,
      anchorAt: row.anchor_at,
      cursorAt: row.cursor_at,
      fromSeq: row.from_seq,
    }))
  }

  history(triggerId: number, limit: number): Firing[] {
    const rows = this.statements.history.all(triggerId, limit) as unknown as FiringRow[]
    return rows.map(firingOfRow)
  }

  /** The trigger's (null: a saved task's "Run now") first recorded firing that started (or found) this task, while its history keeps it. */
  firingOfTask(triggerId: number | null, taskId: number): Firing | null {
    const row = this.statements.triggerFiringOfTask.get(taskId, triggerId) as FiringRow | undefined
    return row ? firingOfRow(row) : null
  }

  putSavedTask(savedTask: SavedTask): void {
    this.statements.upsertSavedTask.run(
      savedTask.id,
      savedTask.name,
      JSON.stringify(savedTask.definition),
      savedTask.createdAt,
      savedTask.updatedAt,
    )
  }

  removeSavedTask(savedTaskId: number): void {
    this.statements.deleteSavedTask.run(savedTaskId)
  }

  putTrigger(record: TriggerRecord): void {
    this.statements.upsertTrigger.run(
      record.id,
      record.name,
      record.savedTaskId,
      JSON.stringify(record.spec),
      record.paused ? 1 : 0,
      record.createdAt,
      record.updatedAt,
      record.lastFiredAt,
      record.anchorAt,
      record.cursorAt,
      record.fromSeq,
    )
  }

  /** The completion cursor: every finish at or before this event seq has been served. */
  completionCursor(): number {
    return Number((this.statements.readCursor.get() as { value: number }).value)
  }

  /** Moves the cursor forward (never back). Inside a projection, or alone as one small write. */
  advanceCompletionCursor(seq: number): void {
    this.statements.writeCursor.run(seq)
  }

  /** How deep in a chain of completion triggers the task is: 0 unless a completion firing started it. */
  chainDepthOf(taskId: number): number {
    const row = this.statements.firingOfTask.get(taskId) as { cause: string; detail: string } | undefined
    if (row?.cause !== 'completion') return 0
    const depth = (JSON.parse(row.detail) as { chainDepth?: unknown }).chainDepth
    return typeof depth === 'number' ? depth : 1
  }

  /** The task a completion trigger already started for this finish (`sourceKey`), if it did. */
  completionFiredFor(triggerId: number, sourceKey: string): { taskId: number | null } | null {
    return (this.statements.completionFiring.get(triggerId, sourceKey) as { taskId: number | null } | undefined) ?? null
  }

  removeTrigger(triggerId: number): void {
    this.statements.deleteTrigger.run(triggerId)
    this.statements.deleteFiringsOf.run(triggerId)
    this.statements.deleteDeliveriesOf.run(triggerId)
  }

  /**
   * Remembers a webhook delivery that started its task, in the projection of its firing, and
   * forgets the hook's deliveries that are out of the window: older than `window.ms`, or past
   * the newest `window.perHook`.
   */
  addDelivery(delivery: { triggerId: number; deliveryId: string; at: number; firingId: number; taskId: number | null }, window: { ms: number; perHook: number }): void {
    this.statements.insertDelivery.run(delivery.triggerId, delivery.deliveryId, delivery.at, delivery.firingId, delivery.taskId)
    this.statements.expireDeliveries.run(delivery.triggerId, delivery.at - window.ms)
    this.statements.trimDeliveries.run(delivery.triggerId, window.perHook)
  }

  /** The firing and task of this hook's delivery, if it was remembered after `after`. */
  delivery(triggerId: number, deliveryId: string, after: number): { firingId: number; taskId: number | null } | null {
    return (this.statements.delivery.get(triggerId, deliveryId, after) as { firingId: number; taskId: number | null } | undefined) ?? null
  }

  /** Written, on its own, before the intent's task is submitted: a restart then knows the firing was under way. */
  addIntent(intent: FiringIntent): void {
    this.statements.insertIntent.run(intent.key, intent.triggerId, intent.savedTaskId, intent.firedAt, intent.cause, JSON.stringify(intent.detail))
  }

  /** In the projection of the intent's firing (or alone, when a restart finds nothing to record). */
  removeIntent(key: string): void {
    this.statements.deleteIntent.run(key)
  }

  /** Firings whose task was being submitted when the app last stopped, oldest first. */
  intents(): FiringIntent[] {
    const rows = this.statements.intents.all() as { key: string; trigger_id: number | null; saved_task_id: number; fired_at: number; cause: string; detail: string }[]
    return rows.map((row) => ({
      key: row.key,
      triggerId: row.trigger_id,
      savedTaskId: row.saved_task_id,
      firedAt: row.fired_at,
      cause: FiringSchema.shape.cause.parse(row.cause),
      detail: FiringSchema.shape.detail.parse(JSON.parse(row.detail)),
    }))
  }

  addFiring(firing: Firing): void {
    this.statements.insertFiring.run(
      firing.id,
      firing.triggerId,
      firing.savedTaskId,
      firing.firedAt,
      firing.cause,
      firing.scheduledFor,
      firing.outcome,
      firing.taskId,
      firing.error,
      JSON.stringify(firing.detail),
    )
    if (firing.triggerId !== null) this.statements.trimFirings.run(firing.triggerId, firing.triggerId)
  }
}
