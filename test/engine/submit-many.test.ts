import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TaskDefinitionSchema, TaskdeckError, type EngineEvent, type TaskDefinitionInput } from '../../src-shared/index.ts'
import { shell } from './helpers.ts'
import { useEngine } from '../support/engine.ts'

const t = useEngine()
let batches: EngineEvent[][]
let subscription: { dispose: () => void }

beforeEach(() => {
  batches = []
  subscription = t.engine.subscribe(0, (batch) => batches.push([...batch]))
})
afterEach(() => subscription.dispose())

const submitMany = (definitions: TaskDefinitionInput[]) =>
  t.engine.handlers['task.submitMany']({ definitions: definitions.map((definition) => TaskDefinitionSchema.parse(definition)) })

describe('task.submitMany', () => {
  it('stores more tasks than one batch holds in a single commit, in order, and runs them', async () => {
    const count = 6000
    const { tasks } = await submitMany(Array.from({ length: count }, (_, i) => shell('true', { name: `t${i}`, stashed: i >= 2 })))
    expect(tasks.map((task) => task.name)).toEqual(Array.from({ length: count }, (_, i) => `t${i}`))
    expect(new Set(tasks.map((task) => task.id)).size).toBe(count)
    // One commit is announced as one batch; the store's batch limit (5,000 events) did not split it.
    const created = batches.filter((batch) => batch.some((event) => event.type === 'task.created'))
    expect(created).toHaveLength(1)
    expect(created[0]!.filter((event) => event.type === 'task.created')).toHaveLength(count)
    await Promise.all([t.until(tasks[0]!.id, ['succeeded']), t.until(tasks[1]!.id, ['succeeded'])])
    expect((await t.engine.handlers['task.list']({ limit: 100_000, offset: 0 })).total).toBe(count)
  })

  it('refuses the whole batch when one definition is wrong, naming its index', async () => {
    const error = await submitMany([shell('true'), shell('true'), shell('true', { group: 'nope' })]).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(TaskdeckError)
    expect((error as TaskdeckError).message).toMatch(/^definitions\.2\.group: unknown group "nope"/)
    expect((error as TaskdeckError).details).toMatchObject({ issues: [{ path: 'definitions.2.group' }] })
    expect((await t.engine.handlers['task.list']({ limit: 10, offset: 0 })).total).toBe(0)
  })

  it('checks equal specs of a batch once, and still names the first entry whose check fails', async () => {
    const script = join(t.home, 'job.mjs')
    writeFileSync(script, 'export default () => 1\n')
    const missing = { spec: { kind: 'script' as const, path: join(t.home, 'missing.mjs') }, stashed: true }
    const present = { spec: { kind: 'script' as const, path: script }, stashed: true }
    const error = await submitMany([present, missing, present, missing]).then(
      () => null,
      (e: unknown) => e,
    )
    expect((error as TaskdeckError).message).toBe(`definitions.1.spec.path: ${missing.spec.path} does not exist`)
    const { tasks } = await submitMany([present, present, present])
    expect(tasks.map((task) => task.status)).toEqual(['stashed', 'stashed', 'stashed'])
  })
})

// A script's spec check awaits the file system; what a definition refers to must still hold
// when the task is stored, whatever ran in that gap.
describe('references checked again after the spec check', () => {
  const scriptIn = (group: string, extra: Partial<TaskDefinitionInput> = {}) => {
    const path = join(t.home, 'job.mjs')
    writeFileSync(path, 'export default () => 1\n')
    return TaskDefinitionSchema.parse({ spec: { kind: 'script', path }, group, stashed: true, ...extra })
  }
  const refusal = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e as TaskdeckError)

  it('refuses a submit and a batch whose group was removed meanwhile, storing nothing', async () => {
    await t.engine.handlers['group.set']({ name: 'brief', parallel: 1 })
    const single = refusal(t.engine.handlers['task.submit']({ definition: scriptIn('brief') }))
    const batch = refusal(t.engine.handlers['task.submitMany']({ definitions: [scriptIn('default'), scriptIn('brief')] }))
    await t.engine.handlers['group.remove']({ name: 'brief' })
    expect((await single)?.message).toMatch(/^definition\.group: unknown group "brief"/)
    expect((await batch)?.message).toMatch(/^definitions\.1\.group: unknown group "brief"/)
    expect((await t.engine.handlers['task.list']({ limit: 10, offset: 0 })).total).toBe(0)
  })

  it('refuses a submit whose dependency was cleaned away meanwhile', async () => {
    const { task: done } = await t.engine.handlers['task.submit']({ definition: TaskDefinitionSchema.parse(shell('true')) })
    await t.until(done.id, ['succeeded'])
    const dependant = refusal(t.engine.handlers['task.submit']({ definition: scriptIn('default', { after: [done.id] }) }))
    await t.engine.handlers['task.clean']({})
    expect((await dependant)?.message).toBe(`definition.after.0: there is no task ${done.id}`)
  })

  it('refuses an edit of a task cancelled meanwhile, which stays cancelled with its old definition', async () => {
    const { task } = await t.engine.handlers['task.submit']({ definition: TaskDefinitionSchema.parse(shell('true', { stashed: true })) })
    const edit = refusal(t.engine.handlers['task.edit']({ taskId: task.id, definition: scriptIn('default', { stashed: false }) }))
    await t.engine.handlers['task.cancel']({ taskIds: [task.id] })
    expect(await edit).toMatchObject({ code: 'conflict', message: `Only a task that has not started can be edited; task ${task.id} is cancelled.` })
    const { task: after } = await t.engine.handlers['task.get']({ taskId: task.id })
    expect(after.status).toBe('cancelled')
    expect(after.definition.spec.kind).toBe('shell')
  })
})
