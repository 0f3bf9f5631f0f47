import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION, parseRequest, type FileChange } from '../../src-shared/index.ts'
import { netChanges } from '../../src-main/triggers/files.ts'
import { useWorld } from '../support/world.ts'
import { argv } from './helpers.ts'

const byPath = (changes: readonly FileChange[]) => [...changes].sort((a, b) => a.path.localeCompare(b.path))

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

  it('tells the task what happened to each path: added, changed, removed (stdin, TASKDECK_CHANGES, the history)', async () => {
    const out = join(watched, 'received.json')
    const [added, changed, removed] = ['added.txt', 'changed.txt', 'removed.txt'].map((name) => join(watched, 'src', name))
    writeFileSync(changed!, 'v1')
    writeFileSync(removed!, 'doomed')
    const { savedTask } = await world.call('savedTask.create', {
      name: 'rebuild',
      definition: { spec: { kind: 'shell', command: `cat > '${out}'; printf '%s' "$TASKDECK_CHANGES" > '${out}.env'` } },
    })
    const { trigger } = await world.call('trigger.create', {
      trigger: { savedTaskId: savedTask.id, spec: { kind: 'fileWatch', paths: [join(watched, 'src', '*.txt')], debounceMs: 1500 } },
    })
    expect(trigger.spec).toMatchObject({ events: ['add', 'change', 'unlink'] })
    await world.triggers.ready()

    // Written twice: chokidar may tell the new file's write as an add and a change; it stays an add.
    writeFileSync(added!, 'new')
    writeFileSync(added!, 'new, more')
    writeFileSync(changed!, 'v2')
    unlinkSync(removed!)

    const [firing] = await world.log.untilFirings(1, trigger.id)
    const expected = byPath([
      { path: added!, event: 'add' },
      { path: changed!, event: 'change' },
      { path: removed!, event: 'unlink' },
    ])
    expect(firing!.detail).toMatchObject({ changedCount: 3, events: { add: 1, change: 1, unlink: 1 } })
    expect(await world.log.untilFinished(firing!.taskId!)).toBe('succeeded')
    const stdin = JSON.parse(readFileSync(out, 'utf8')) as { changedPaths: string[]; changes: FileChange[] }
    expect(byPath(stdin.changes)).toEqual(expected)
    // The same paths in the same order as changedPaths.
    expect(stdin.changes.map((c) => c.path)).toEqual(stdin.changedPaths)
    const lines = readFileSync(`${out}.env`, 'utf8').split('\n').map((line) => line.split('\t'))
    expect(byPath(lines.map(([event, path]) => ({ event, path }) as FileChange))).toEqual(expected)
  })

  it('starts only for the kinds of change it names: removals and new folders here, not new or changed files', async () => {
    const out = join(watched, 'received.json')
    const folder = join(watched, 'src')
    const kept = join(folder, 'kept.txt')
    const gone = join(folder, 'gone.txt')
    writeFileSync(kept, 'v1')
    writeFileSync(gone, 'doomed')
    const { savedTask } = await world.call('savedTask.create', { name: 'tidy', definition: { spec: { kind: 'shell', command: `cat > '${out}'` } } })
    const { trigger } = await world.call('trigger.create', {
      trigger: { savedTaskId: savedTask.id, spec: { kind: 'fileWatch', paths: [folder], debounceMs: 1500, events: ['unlink', 'addDir'] } },
    })
    await world.triggers.ready()

    // Neither of these starts it, alone or in the burst.
    writeFileSync(join(folder, 'new.txt'), 'added')
    writeFileSync(kept, 'v2')
    mkdirSync(join(folder, 'made'))
    unlinkSync(gone)

    const [firing] = await world.log.untilFirings(1, trigger.id)
    expect(await world.log.untilFinished(firing!.taskId!)).toBe('succeeded')
    const stdin = JSON.parse(readFileSync(out, 'utf8')) as { changes: FileChange[] }
    expect(byPath(stdin.changes)).toEqual(byPath([{ path: join(folder, 'made'), event: 'addDir' }, { path: gone, event: 'unlink' }]))
    expect(firing!.detail).toMatchObject({ changedCount: 2, events: { addDir: 1, unlink: 1 } })
  })

  it('refuses a kind of change it does not know at the boundary, naming it', () => {
    const request = { v: PROTOCOL_VERSION, id: 1, command: 'trigger.create', params: { trigger: { savedTaskId: 1, spec: { kind: 'fileWatch', paths: [watched], events: ['add', 'delete'] } } } }
    expect(parseRequest(request).result).toMatchObject({
      ok: false,
      error: { code: 'bad_request', message: 'Invalid params for trigger.create: trigger.spec.events.1: "delete" is not one of add, change, unlink, addDir, unlinkDir' },
    })
  })

  it('a burst says one thing per path: what is true of it now', () => {
    const change = (path: string, event: FileChange['event']): FileChange => ({ path, event })
    expect(
      netChanges([change('/a', 'add'), change('/b', 'change'), change('/a', 'change'), change('/c', 'add'), change('/c', 'unlink'), change('/d', 'unlink'), change('/d', 'add'), change('/e', 'addDir'), change('/e', 'unlinkDir')]),
    ).toEqual([change('/a', 'add'), change('/b', 'change'), change('/c', 'unlink'), change('/d', 'add'), change('/e', 'unlinkDir')])
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
