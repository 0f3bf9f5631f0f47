import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { useWorld } from '../support/world.ts'
import { argv } from './helpers.ts'

describe('file watch triggers (real files, real engine)', () => {
  const world = useWorld()
  let watched: string

  beforeEach(() => {
    watched = world.anotherDir()
    mkdirSync(join(watched, 'src', 'deep'), { recursive: true })
  })

  it('coalesces a burst of changes into one firing that hands the task every changed path', async () => {
    const out = join(watched, 'received.json')
    const { savedTask } = await world.call('savedTask.create', {
      name: 'rebuild',
      // The firing arrives on stdin as one JSON line; the paths also arrive in TASKDECK_CHANGED_PATHS.
      definition: { spec: { kind: 'shell', command: `cat > '${out}'; printf '%s' "$TASKDECK_CHANGED_PATHS" > '${out}.env'` } },
    })
    const { trigger } = await world.call('trigger.create', {
      trigger: {
        savedTaskId: savedTask.id,
        spec: { kind: 'fileWatch', paths: [join(watched, 'src', '**', '*.txt')], debounceMs: 1500 },
      },
    })
    await world.triggers.ready()

    const burst = ['a.txt', 'b.txt', join('deep', 'c.txt')].map((name) => join(watched, 'src', name))
    for (const path of burst) writeFileSync(path, 'x')
    writeFileSync(join(watched, 'src', 'ignored.log'), 'not matched by the glob')
    writeFileSync(burst[0]!, 'changed again')

    const [firing] = await world.log.untilFirings(1, trigger.id)
    expect(firing).toMatchObject({ cause: 'file', outcome: 'submitted', detail: { changedCount: 3 } })
    expect([...(firing!.detail.changedPaths as string[])].sort()).toEqual([...burst].sort())
    expect(await world.log.untilFinished(firing!.taskId!)).toBe('succeeded')

    const stdin = JSON.parse(readFileSync(out, 'utf8')) as { cause: string; changedPaths: string[]; trigger: { id: number } }
    expect(stdin.cause).toBe('file')
    expect(stdin.trigger.id).toBe(trigger.id)
    expect([...stdin.changedPaths].sort()).toEqual([...burst].sort())
    expect(readFileSync(`${out}.env`, 'utf8').split('\n').sort()).toEqual([...burst].sort())
    // One burst, one firing.
    expect(world.log.firings(trigger.id)).toHaveLength(1)
  })

  it('stops watching while paused and watches again when resumed', async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'noop', definition: argv('true') })
    const file = join(watched, 'watched.txt')
    writeFileSync(file, 'v1')
    const { trigger } = await world.call('trigger.create', {
      trigger: { savedTaskId: savedTask.id, spec: { kind: 'fileWatch', paths: [file], debounceMs: 300 } },
    })
    await world.triggers.ready()
    await world.call('trigger.pause', { triggerId: trigger.id })
    writeFileSync(file, 'v2 while paused')
    await world.call('trigger.resume', { triggerId: trigger.id })
    await world.triggers.ready()
    writeFileSync(file, 'v3')
    const firings = await world.log.untilFirings(1, trigger.id)
    expect(firings[0]!.detail.changedPaths).toEqual([file])
    // The change made while paused never fired: the only firing came after resume, and it is the only one.
    const { history } = await world.call('trigger.get', { triggerId: trigger.id })
    expect(history).toHaveLength(1)
  })

  it('watches the new paths once a trigger is changed', async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'noop', definition: argv('true') })
    const first = join(watched, 'first.txt')
    const second = join(watched, 'src', 'second.txt')
    writeFileSync(first, '')
    writeFileSync(second, '')
    const { trigger } = await world.call('trigger.create', {
      trigger: { savedTaskId: savedTask.id, spec: { kind: 'fileWatch', paths: [first], debounceMs: 300 } },
    })
    await world.triggers.ready()
    await world.call('trigger.update', {
      triggerId: trigger.id,
      trigger: { savedTaskId: savedTask.id, spec: { kind: 'fileWatch', paths: [second], debounceMs: 300 } },
    })
    await world.triggers.ready()
    writeFileSync(first, 'no longer watched')
    writeFileSync(second, 'watched now')
    const [firing] = await world.log.untilFirings(1, trigger.id)
    expect(firing!.detail.changedPaths).toEqual([second])
  })

  it('refuses a path that does not exist, naming the field, and stores nothing', async () => {
    const { savedTask } = await world.call('savedTask.create', { name: 'noop', definition: argv('true') })
    const missing = join(watched, 'nope', '*.txt')
    await expect(
      world.call('trigger.create', { trigger: { savedTaskId: savedTask.id, spec: { kind: 'fileWatch', paths: [watched, missing] } } }),
    ).rejects.toMatchObject({ code: 'bad_request', message: `Invalid trigger: trigger.spec.paths.1: ${join(watched, 'nope')} does not exist` })
    expect((await world.call('trigger.list', {})).triggers).toEqual([])
  })
})
