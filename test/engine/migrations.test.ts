import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { TaskSchema } from '../../src-shared/index.ts'
import { ENGINE_MIGRATIONS } from '../../src-main/engine/migrations/index.ts'
import { migrate } from '../../src-main/engine/store.ts'
import { Engine } from '../../src-main/engine/engine.ts'
import { useTempHome } from '../support/engine.ts'

const dir = useTempHome()

describe('schema migrations', () => {
  it('opens a database made by schema version 1 and brings it up to date without losing data', async () => {
    const path = join(dir.home, 'taskdeck.db')
    const old = new DatabaseSync(path)
    migrate(old, 'engine', ENGINE_MIGRATIONS.slice(0, 1))
    const task = TaskSchema.parse({
      id: 7,
      name: 'from version 1',
      definition: { spec: { kind: 'shell', command: 'echo old' }, group: 'default', priority: 0, labels: [], after: [], stashed: true, retryOnInterrupt: false, notify: 'default' },
      status: 'stashed',
      waitingFor: null,
      createdAt: 1,
      updatedAt: 1,
      attempts: 0,
      lastRunId: null,
      progress: null,
    })
    old.prepare('INSERT INTO events (seq, type, at, payload) VALUES (1, ?, 1, ?)').run('task.created', JSON.stringify({ task }))
    old.prepare('INSERT INTO tasks (id, status, group_name, updated_at, json) VALUES (7, ?, ?, 1, ?)').run('stashed', 'default', JSON.stringify(task))
    old.close()

    const engine = await Engine.open({ home: dir.home, statsIntervalMs: 0 })
    try {
      expect((await engine.handlers['task.get']({ taskId: 7 })).task).toMatchObject({ name: 'from version 1', status: 'stashed' })
      expect((await engine.handlers['events.read']({ since: 0, limit: 10 })).events[0]).toMatchObject({ seq: 1, type: 'task.created' })
      const next = await engine.handlers['task.submit']({ definition: { ...task.definition } })
      expect(next.task.id).toBe(8)
      const versions = engine.host.db.prepare("SELECT version FROM schema_migrations WHERE owner = 'engine' ORDER BY version").all()
      expect(versions.map((v) => v.version)).toEqual([1, 2, 3, 4])
      expect(engine.host.db.prepare('PRAGMA table_info(run_processes)').all().map((c) => c.name)).toEqual(['run_id', 'pid', 'start_ticks', 'boot_id'])
      // Version 4: the idempotency key column; the old task has none, and a key taken twice is refused by the index.
      expect(engine.host.db.prepare('SELECT id, idempotency_key FROM tasks ORDER BY id').all()).toEqual([
        { id: 7, idempotency_key: null },
        { id: 8, idempotency_key: null },
      ])
      await engine.handlers['task.submit']({ definition: { ...task.definition }, idempotencyKey: 'k' })
      expect(() => engine.host.db.prepare("UPDATE tasks SET idempotency_key = 'k' WHERE id = 7").run()).toThrow(/UNIQUE/)
    } finally {
      await engine.close()
    }
  })

  it('refuses a database from a newer Taskdeck', async () => {
    const db = new DatabaseSync(join(dir.home, 'taskdeck.db'))
    migrate(db, 'engine', [...ENGINE_MIGRATIONS, 'CREATE TABLE future (x)'])
    db.close()
    const error = await Engine.open({ home: dir.home, statsIntervalMs: 0 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'database_damaged' })
    expect((error as Error).message).toMatch(/newer Taskdeck/)
  })

  it('lets an extension keep its own numbered migrations next to the engine\'s', async () => {
    const engine = await Engine.open({ home: dir.home, statsIntervalMs: 0 })
    try {
      engine.host.migrate('triggers', ['CREATE TABLE triggers_demo (id INTEGER PRIMARY KEY)'])
      engine.host.migrate('triggers', ['CREATE TABLE triggers_demo (id INTEGER PRIMARY KEY)', 'ALTER TABLE triggers_demo ADD COLUMN name TEXT'])
      const columns = engine.host.db.prepare('PRAGMA table_info(triggers_demo)').all().map((c) => c.name)
      expect(columns).toEqual(['id', 'name'])
      const appended = await engine.host.append({ type: 'engine.paused', paused: false }, (db, event) => {
        db.prepare('INSERT INTO triggers_demo (id, name) VALUES (?, ?)').run(event.seq, 'projected')
      })
      expect(engine.host.db.prepare('SELECT name FROM triggers_demo WHERE id = ?').get(appended.seq)).toEqual({ name: 'projected' })
    } finally {
      await engine.close()
    }
  })
})
