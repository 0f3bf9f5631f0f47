import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '../../src-main/engine/engine.ts'
import { createServer, type TaskdeckServer } from '../../src-main/server/server.ts'
import { COMMANDS, LIMITS, type Task } from '../../src-shared/index.ts'
import { tempHome } from '../support/engine.ts'
import { runCli } from './helpers.ts'

/** Lines `echo <tag>-1` … `echo <tag>-N`: well over the 1,000 per request the CLI once split batches into. */
const echoLines = (tag: string, count: number): string[] => Array.from({ length: count }, (_, i) => `echo ${tag}-${i + 1}`)

/**
 * `taskdeck add --batch` adds the whole batch or nothing: real `taskdeck` processes against a
 * real engine and server in a temp home. The group the batches go to is paused, so what they
 * add stays queued and nothing runs.
 */
describe('add --batch, all or none', () => {
  const dir = tempHome()
  const home = join(dir.home, 'home')
  let engine: Engine
  let server: TaskdeckServer
  const addBatch = (input: string, ...args: string[]) => runCli(home, ['add', '--batch', '--group', 'held', ...args], { cwd: dir.home, input })
  /** Every task of the engine, whatever its group: a refused batch must not have added one anywhere. */
  const taskCount = async () => (await engine.handlers['task.list'](COMMANDS['task.list'].params.parse({ limit: 1 }))).total

  beforeAll(async () => {
    engine = await Engine.open({ home, statsIntervalMs: 0, killGraceMs: 500 })
    server = await createServer({ engine, home })
    await engine.handlers['group.set'](COMMANDS['group.set'].params.parse({ name: 'held', parallel: 1 }))
    await engine.handlers['group.pause'](COMMANDS['group.pause'].params.parse({ name: 'held' }))
  })
  afterAll(async () => {
    await server.close()
    await engine.close()
    dir.cleanup()
  })

  it('adds nothing when the server refuses the last line of a batch of 2,500, and names that line by its number on stdin', async () => {
    const before = await taskCount()
    // A comment and a blank line, so the refused command's line number is not its index in the batch.
    const input = ['# made by a script', ...echoLines('refused', 2499), '', `echo ${'x'.repeat(LIMITS.commandChars + 1)}`].join('\n')
    const refused = await addBatch(input)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toBe(
      `taskdeck: --batch line 2502: the command: must be at most ${LIMITS.commandChars} characters. Nothing was added: a batch is added whole or not at all.\n`,
    )
    expect(await taskCount()).toBe(before)

    const asJson = await addBatch(input, '--json')
    expect(asJson.code).toBe(2)
    const { error } = JSON.parse(asJson.stderr) as { error: { code: string; details: { lines: number[]; issues: { path: string }[] } } }
    expect(error.code).toBe('bad_request')
    expect(error.details.lines).toEqual([2502])
    expect(error.details.issues.map((issue) => issue.path)).toEqual(['definitions.2499.spec.command.1'])
    expect(await taskCount()).toBe(before)
  })

  it('names a line with two refused words once', async () => {
    const long = 'x'.repeat(LIMITS.commandChars + 1)
    const asJson = await addBatch(['true', `echo ${long} ${long}`, 'true'].join('\n'), '--json')
    expect(asJson.code).toBe(2)
    const { error } = JSON.parse(asJson.stderr) as { error: { details: { lines: number[]; issues: { path: string }[] } } }
    expect(error.details.issues.map((issue) => issue.path)).toEqual(['definitions.1.spec.command.1', 'definitions.1.spec.command.2'])
    expect(error.details.lines).toEqual([2])
  })

  it('adds nothing when the engine refuses the batch (a dependency that does not exist), naming the option', async () => {
    const before = await taskCount()
    const refused = await addBatch(echoLines('after', 1500).join('\n'), '--after', '999999')
    expect(refused.code).toBe(2)
    expect(refused.stderr).toBe('taskdeck: --after: there is no task 999999. Nothing was added: a batch is added whole or not at all.\n')
    expect(await taskCount()).toBe(before)
  })

  it('adds every line of a batch of 2,500, in the order of the lines', async () => {
    const lines = echoLines('kept', 2500)
    const added = await addBatch(lines.join('\n'), '--json')
    expect(added.code, added.stderr).toBe(0)
    const { tasks } = added.json<{ tasks: Task[] }>()
    expect(tasks.map((task) => task.definition.spec.kind === 'shell' && task.definition.spec.command)).toEqual(lines.map((line) => line.split(' ')))
    const first = tasks[0]!.id
    expect(tasks.map((task) => task.id)).toEqual(lines.map((_, i) => first + i))
    // Stored as answered: every one queued in the held group, in the order of the lines.
    const listed = await engine.handlers['task.list'](COMMANDS['task.list'].params.parse({ text: 'kept-', limit: 10_000 }))
    expect(listed.total).toBe(2500)
    expect(listed.tasks.map((task) => [task.id, task.name, task.status, task.definition.group])).toEqual(tasks.map((task, i) => [task.id, lines[i], 'queued', 'held']))

    const human = await addBatch(echoLines('human', 1200).join('\n'))
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(/^Added 1200 tasks: (\d+)-(\d+)\n$/)
    const [, from, to] = /(\d+)-(\d+)/.exec(human.stdout)!
    expect(Number(to) - Number(from)).toBe(1199)
  })

  it(`refuses more than ${LIMITS.submitManyCount} lines whole, before sending any`, async () => {
    const before = await taskCount()
    const refused = await addBatch(echoLines('many', LIMITS.submitManyCount + 1).join('\n'))
    expect(refused.code).toBe(2)
    expect(refused.stderr).toBe(
      `taskdeck: ${LIMITS.submitManyCount + 1} commands on stdin; one batch adds at most ${LIMITS.submitManyCount}, all or none. Nothing was added: split the input (\`split -l ${LIMITS.submitManyCount}\`) and add each part.\n`,
    )
    expect(await taskCount()).toBe(before)
  })

  it('refuses a batch larger than one message whole, and says how many of its first lines fit: that many go, one more does not', async () => {
    const before = await taskCount()
    // Long lines (JSON arrays: no shell-like splitting to spend time on), about 60 KiB each, so some 70 fill the API's message limit.
    const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify(['echo', `big-${i + 1}`, 'y'.repeat(60 * 1024)]))
    const refused = await addBatch(lines.join('\n'))
    expect(refused.code, refused.stderr).toBe(2)
    const fit = /the first (\d+) lines fit in one \(`split -l \1`, then add each part\)\.\n$/.exec(refused.stderr)
    expect(refused.stderr, refused.stderr).toMatch(new RegExp(`^taskdeck: The request is \\d+ bytes; the API accepts at most ${LIMITS.messageBytes} bytes per message\\. Nothing was added: a batch goes as one message, all or none; `))
    expect(fit).not.toBeNull()
    const fitting = Number(fit![1])
    expect(await taskCount()).toBe(before)

    expect((await addBatch(lines.slice(0, fitting + 1).join('\n'))).code).toBe(2)
    expect(await taskCount()).toBe(before)
    const added = await addBatch(lines.slice(0, fitting).join('\n'), '-q')
    expect(added.code, added.stderr).toBe(0)
    expect(added.stdout.trim().split('\n')).toHaveLength(fitting)
    expect(await taskCount()).toBe(before + fitting)
  })
})
