import { describe, expect, it } from 'vitest'
import { TaskDefinitionSchema, isFinished } from '../../src-shared/index.ts'
import { TRIGGER_MIGRATIONS, registerMigrationFunctions } from '../../src-main/triggers/store.ts'
import { SECRET_HEADER } from '../../src-main/triggers/index.ts'
import { useWorld } from '../support/world.ts'

const SECRET = 'plaintext-from-session-one'

describe('upgrading a database the first triggers schema wrote', () => {
  // Each test writes the old schema before the triggers open.
  const world = useWorld({}, { openBeforeEach: false })

  it('migration 2 hashes stored webhook secrets, drops them from logged events, and the hook still answers to its secret', async () => {
    // A database as the first triggers schema left it: the spec (secret included) in the row and in its event.
    await world.withEngineOnly(async (engine) => {
      engine.host.migrate('triggers', TRIGGER_MIGRATIONS.slice(0, 1))
      const spec = { kind: 'webhook' as const, secret: SECRET, rateLimit: { max: 30, windowMs: 60_000 }, maxBodyBytes: 1024 }
      const definition = { spec: { kind: 'shell', command: ['true'] } }
      const trigger = { id: 1, name: 'old hook', savedTaskId: 1, spec, paused: false, createdAt: 1, updatedAt: 1, lastFiredAt: null, nextRunAt: null }
      await engine.host.append({ type: 'trigger.updated', trigger }, (db) => {
        db.prepare('INSERT INTO trg_saved_tasks VALUES (1, ?, ?, 1, 1)').run('deploy', JSON.stringify(definition))
        db.prepare('INSERT INTO trg_triggers VALUES (1, ?, 1, ?, 0, 1, 1, NULL, 1, 1)').run('old hook', JSON.stringify(spec))
      })
    })

    await world.open()
    const db = world.engine.host.db
    const versions = db.prepare("SELECT version FROM schema_migrations WHERE owner = 'triggers' ORDER BY version").all()
    expect(versions.map((v) => v.version)).toEqual(TRIGGER_MIGRATIONS.map((_, i) => i + 1))
    const rows = db.prepare("SELECT spec FROM trg_triggers UNION ALL SELECT payload FROM events WHERE type LIKE 'trigger.%'").all()
    expect(rows).toHaveLength(2)
    for (const row of rows) expect(Object.values(row).join()).not.toContain(SECRET)

    const [kept] = (await world.call('trigger.list', {})).triggers
    expect(kept?.spec).toMatchObject({ kind: 'webhook', maxBodyBytes: 1024 })
    expect(kept?.spec.kind === 'webhook' && kept.spec.secretHash).toMatch(/^scrypt\$/)
    const answer = (secret: string) => world.triggers.handleWebhook({ hookId: '1', headers: { [SECRET_HEADER]: secret }, body: new Uint8Array() })
    expect((await answer('not-the-secret-at-all')).status).toBe(401)
    const accepted = await answer(SECRET)
    expect(accepted.status).toBe(202)
  })

  it('migration 3 starts the completion cursor at the head of the log: an upgrade fires nothing for old finishes', async () => {
    const definition = { spec: { kind: 'shell', command: ['true'] } }
    await world.withEngineOnly(async (engine) => {
      engine.host.migrate('triggers', TRIGGER_MIGRATIONS.slice(0, 1))
      const spec = { kind: 'completion' as const, when: 'finished' as const, label: 'nightly' }
      await engine.host.append({ type: 'savedTask.updated', savedTask: { id: 1, name: 'after', definition: TaskDefinitionSchema.parse(definition), createdAt: 1, updatedAt: 1 } }, (db) => {
        db.prepare('INSERT INTO trg_saved_tasks VALUES (1, ?, ?, 1, 1)').run('after', JSON.stringify(definition))
        db.prepare('INSERT INTO trg_triggers VALUES (1, ?, 1, ?, 0, 1, 1, NULL, 1, 1)').run('after nightly', JSON.stringify(spec))
      })
      // A task that finished under the old version (which served it then).
      const finished = new Promise<void>((resolve) => {
        const listening = engine.host.onEvent((event) => {
          if (event.type === 'task.updated' && event.task.definition.labels.includes('nightly') && isFinished(event.task.status)) {
            listening.dispose()
            resolve()
          }
        })
      })
      await engine.handlers['task.submit']({ definition: TaskDefinitionSchema.parse({ spec: { kind: 'shell', command: ['false'] }, labels: ['nightly'] }) })
      await finished
    })

    await world.open()
    // One new finish: its firing is the first and only one (firings are served in order, so an old one would come first).
    const { task: fresh } = await world.engine.handlers['task.submit']({ definition: TaskDefinitionSchema.parse({ ...definition, labels: ['nightly'] }) })
    const [firing] = await world.log.untilFirings(1, 1)
    expect(firing?.detail.sourceTaskId).toBe(fresh.id)
    await world.log.untilFinished(firing!.taskId!)
    expect((await world.call('trigger.get', { triggerId: 1 })).history).toHaveLength(1)
  })

  it('migration 4 knows which tasks triggers started are still unfinished, so a one-at-a-time schedule skips beside one queued before the upgrade', async () => {
    const definition = { spec: { kind: 'shell', command: ['true'] }, group: 'held' }
    const spec = { kind: 'schedule', everyMs: 60_000, catchUp: 'skip', maxCatchUp: 100, overlap: 'skip' }
    const queuedTaskId = await world.withEngineOnly(async (engine) => {
      registerMigrationFunctions(engine.host.db)
      engine.host.migrate('triggers', TRIGGER_MIGRATIONS.slice(0, 3))
      await engine.handlers['group.set']({ name: 'held' })
      await engine.handlers['group.pause']({ name: 'held' })
      // The task a firing of the old version started, still queued at the upgrade.
      const { task } = await engine.handlers['task.submit']({ definition: TaskDefinitionSchema.parse({ ...definition, labels: ['trigger:1'] }) })
      await engine.host.append({ type: 'savedTask.updated', savedTask: { id: 1, name: 'sync', definition: TaskDefinitionSchema.parse(definition), createdAt: 1, updatedAt: 1 } }, (db) => {
        db.prepare('INSERT INTO trg_saved_tasks VALUES (1, ?, ?, 1, 1)').run('sync', JSON.stringify(definition))
        const now = Date.now()
        db.prepare('INSERT INTO trg_triggers VALUES (1, ?, 1, ?, 0, 1, 1, NULL, ?, ?, 0)').run('sync', JSON.stringify(spec), now - 90_000, now - 90_000)
        db.prepare("INSERT INTO trg_firings VALUES (1, 1, 1, 1, 'schedule', 1, 'submitted', ?, NULL, '{}')").run(task.id)
      })
      return task.id
    })

    await world.open()
    // The slot a minute after the trigger's cursor is due at once: skipped beside the queued task.
    const [firing] = await world.log.untilFirings(1, 1)
    expect(firing).toMatchObject({ outcome: 'skipped', taskId: null, detail: { stillActive: [queuedTaskId] } })
  })
})
