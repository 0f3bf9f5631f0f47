import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { COMMANDS } from '../../src-shared/index.ts'
import { SECRET_HEADER, createTriggers, type Triggers } from '../../src-main/triggers/index.ts'
import { runUntilKilled } from '../triggers/helpers.ts'
import { useRemoteWorld } from './world.ts'

const SECRET = 'a-webhook-secret-of-some-length'

/**
 * A trigger's firing on a group bound to Redis, through the whole app: the engine with
 * RemoteGroups on a real SQLite file and a real redis-server, killed (SIGKILL, in a child
 * process) right after a webhook delivery's task is submitted and before its firing is
 * recorded; then started again on the same home with a real `taskdeck worker`.
 */
describe('a webhook delivery for a group bound to Redis, its task submitted just before Taskdeck died', () => {
  const world = useRemoteWorld({ parallel: 1 })

  it('runs its task once, on the worker; the sender’s retry after the restart records that task and starts none', async () => {
    let triggers: Triggers = createTriggers(world.app.engine.host)
    const params = COMMANDS['trigger.create'].params.parse({
      savedTask: { name: 'deploy', definition: { spec: { kind: 'shell', command: `echo run >> ${world.file('executions')}` }, group: 'remote', retryOnInterrupt: true } },
      trigger: { spec: { kind: 'webhook', secret: SECRET } },
    })
    const { trigger } = await triggers.handlers['trigger.create'](params)
    const call = {
      hookId: String(trigger.id),
      headers: { [SECRET_HEADER]: SECRET, 'content-type': 'application/json', 'x-github-delivery': 'delivery-on-redis' },
      body: '{"ref":"refs/heads/main"}',
    }
    await triggers.dispose()
    await world.closeApp()

    await runUntilKilled(world.home, { remote: true, webhook: call })

    await world.openApp()
    triggers = createTriggers(world.app.engine.host)
    try {
      const { tasks } = await world.app.engine.handlers['task.list']({ label: `trigger:${trigger.id}`, limit: 100, offset: 0 })
      expect(tasks.map((t) => t.definition.group)).toEqual(['remote'])
      const retry = await triggers.handleWebhook({ ...call, body: Buffer.from(call.body) })
      expect(retry).toMatchObject({ status: 200, body: { ok: true, duplicate: true, taskId: tasks[0]!.id } })
      const { history } = await triggers.handlers['trigger.get']({ triggerId: trigger.id, historyLimit: 10 })
      expect(history.map((f) => [f.outcome, f.taskId, f.detail.recovered])).toEqual([['submitted', tasks[0]!.id, true]])
      expect(tasks[0]!.idempotencyKey).toMatch(new RegExp(`^taskdeck-trigger:${trigger.id}\\.\\d+:delivery:delivery-on-redis$`))

      // Its run, started as the process died, is adopted, or (its job never reached Redis) interrupted and queued again
      // (retryOnInterrupt): either way the task runs once, on the worker.
      await world.worker()
      const done = await world.app.until(tasks[0]!.id, ['succeeded', 'failed'])
      expect(done.status).toBe('succeeded')
      const { runs } = await world.app.engine.handlers['task.get']({ taskId: done.id })
      expect(runs.at(-1)?.status).toBe('succeeded')
      expect(typeof runs.at(-1)?.worker).toBe('string')
      expect(readFileSync(world.file('executions'), 'utf8')).toBe('run\n')
      expect((await world.app.engine.handlers['task.list']({ label: `trigger:${trigger.id}`, limit: 100, offset: 0 })).tasks).toHaveLength(1)
    } finally {
      await triggers.dispose()
    }
  })
})
