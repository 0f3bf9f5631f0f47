import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { useWorld } from '../support/world.ts'
import { TestClock } from './helpers.ts'

const MIN = 60_000
const T0 = Date.parse('2026-03-01T12:00:00Z')

/** Script Kit's way: one script, started by a schedule, by a hotkey and by hand with arguments. */
describe('a saved script (worker thread) started by its triggers', () => {
  let clock: TestClock
  beforeEach(() => {
    clock = new TestClock(T0)
  })
  const world = useWorld(() => ({ clock }))

  it('gets the firing as its input: the slot from a schedule, the accelerator from a shortcut, the payload from a run by hand', async () => {
    const dir = world.anotherDir()
    const seen = join(dir, 'seen.ndjson')
    const script = join(dir, 'report.mjs')
    // Each run appends what it was given, so the test reads every input in order.
    writeFileSync(script, `import { appendFileSync } from 'node:fs'\nexport default (input) => { appendFileSync(${JSON.stringify(seen)}, JSON.stringify(input) + '\\n'); return input.cause }\n`)
    const { savedTask } = await world.call('savedTask.create', { name: 'report', definition: { spec: { kind: 'script', path: script } } })
    const { trigger: schedule } = await world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'schedule', cron: '*/10 * * * *', timezone: 'UTC' } } })
    const { trigger: hotkey } = await world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'shortcut', accelerator: 'CommandOrControl+Alt+R' } } })

    clock.advance(10 * MIN)
    const [slot] = await world.log.untilFirings(1, schedule.id)
    expect(await world.log.untilFinished(slot!.taskId!)).toBe('succeeded')
    expect(world.triggers.pressShortcut('cmdorctrl+alt+r')).toBe(true)
    const [pressed] = await world.log.untilFirings(1, hotkey.id)
    expect(await world.log.untilFinished(pressed!.taskId!)).toBe('succeeded')
    const { task } = await world.call('savedTask.run', { savedTaskId: savedTask.id, payload: { file: 'notes.md', flags: ['--draft'] } })
    expect(await world.log.untilFinished(task.id)).toBe('succeeded')

    const inputs = readFileSync(seen, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(inputs).toEqual([
      { trigger: { id: schedule.id, name: schedule.name, kind: 'schedule' }, savedTaskId: savedTask.id, cause: 'schedule', firedAt: T0 + 10 * MIN, scheduledFor: T0 + 10 * MIN },
      { trigger: { id: hotkey.id, name: hotkey.name, kind: 'shortcut' }, savedTaskId: savedTask.id, cause: 'shortcut', firedAt: T0 + 10 * MIN, scheduledFor: null },
      { trigger: null, savedTaskId: savedTask.id, cause: 'manual', firedAt: T0 + 10 * MIN, scheduledFor: null, payload: { file: 'notes.md', flags: ['--draft'] } },
    ])
  })
})
