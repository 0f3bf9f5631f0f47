import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { makeTargets } from '../../src-main/triggers/discover.ts'
import { useWorld } from '../support/world.ts'

describe('saved tasks from a project folder', () => {
  const world = useWorld()
  let project: string

  beforeEach(() => {
    project = world.anotherDir()
    mkdirSync(join(project, 'docs'))
  })

  it('reads Makefile targets, skipping variables, special and pattern targets', () => {
    const makefile = ['CC := gcc', 'FLAGS ::= -O2', '.PHONY: all test', 'all: build', '\tgo build', 'build test: deps', '%.o: %.c', 'dist/app:', 'clean::', '\trm -rf out'].join('\n')
    expect(makeTargets(makefile)).toEqual(['all', 'build', 'test', 'dist/app', 'clean'])
  })

  it('offers taskdeck.json tasks, npm scripts and Makefile targets, each running in the folder, and imports the chosen ones', async () => {
    writeFileSync(
      join(project, 'taskdeck.json'),
      JSON.stringify({ tasks: { serve: 'python3 -m http.server', docs: { spec: { kind: 'shell', command: ['true'], cwd: 'docs' }, group: 'default' } } }),
    )
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'demo', scripts: { build: 'tsc', 'test:unit': 'vitest' } }))
    writeFileSync(join(project, 'yarn.lock'), '')
    writeFileSync(join(project, 'Makefile'), 'all:\n\ttrue\n')

    const { candidates } = await world.call('savedTask.discover', { folder: project })
    expect(candidates.map((c) => [c.source, c.name, c.definition.spec])).toEqual([
      ['taskdeck.json', 'serve', { kind: 'shell', command: 'python3 -m http.server', cwd: project }],
      ['taskdeck.json', 'docs', { kind: 'shell', command: ['true'], cwd: join(project, 'docs') }],
      ['package.json', 'yarn run build', { kind: 'shell', command: ['yarn', 'run', 'build'], cwd: project }],
      ['package.json', 'yarn run test:unit', { kind: 'shell', command: ['yarn', 'run', 'test:unit'], cwd: project }],
      ['Makefile', 'make all', { kind: 'shell', command: ['make', 'all'], cwd: project }],
    ])
    // Discovering stores nothing.
    expect((await world.call('savedTask.list', {})).savedTasks).toEqual([])

    const { savedTasks } = await world.call('savedTask.importFolder', { folder: project, names: ['docs', 'make all'] })
    expect(savedTasks.map((s) => s.name)).toEqual(['docs', 'make all'])
    const { task } = await world.call('savedTask.run', { savedTaskId: savedTasks[0]!.id })
    expect(await world.log.untilFinished(task.id)).toBe('succeeded')

    // Importing again adds only what is new or changed; what was imported as it is keeps its id.
    writeFileSync(join(project, 'Makefile'), 'all:\n\ttrue\nlint:\n\ttrue\n')
    const again = await world.call('savedTask.importFolder', { folder: project })
    expect(again.savedTasks.map((s) => s.name)).toEqual(['serve', 'docs', 'yarn run build', 'yarn run test:unit', 'make all', 'make lint'])
    expect(again.savedTasks[1]!.id).toBe(savedTasks[0]!.id)
    expect(again.savedTasks[4]!.id).toBe(savedTasks[1]!.id)
    const names = (await world.call('savedTask.list', {})).savedTasks.map((s) => s.name)
    expect(names.sort()).toEqual(['docs', 'make all', 'make lint', 'serve', 'yarn run build', 'yarn run test:unit'])

    // The same after a restart, when the saved definitions come back from the database.
    await world.close()
    await world.open()
    const afterRestart = await world.call('savedTask.importFolder', { folder: project })
    expect(afterRestart.savedTasks.map((s) => s.id)).toEqual(again.savedTasks.map((s) => s.id))
  })

  it('names what is wrong: a missing folder, a bad taskdeck.json entry, an unknown name; nothing is stored', async () => {
    await expect(world.call('savedTask.discover', { folder: join(project, 'nope') })).rejects.toMatchObject({
      code: 'bad_request',
      message: `folder: ${join(project, 'nope')} is not an existing directory`,
    })
    writeFileSync(join(project, 'taskdeck.json'), JSON.stringify({ tasks: { ok: 'true', broken: { spec: { kind: 'shell' } } } }))
    await expect(world.call('savedTask.importFolder', { folder: project })).rejects.toMatchObject({
      code: 'bad_request',
      details: { issues: [{ path: 'tasks.broken.spec.command' }] },
    })
    writeFileSync(join(project, 'taskdeck.json'), '{ not json')
    await expect(world.call('savedTask.discover', { folder: project })).rejects.toMatchObject({ code: 'bad_request' })
    writeFileSync(join(project, 'taskdeck.json'), JSON.stringify({ tasks: { ok: 'true' } }))
    await expect(world.call('savedTask.importFolder', { folder: project, names: ['ok', 'missing'] })).rejects.toMatchObject({
      message: `Invalid folder import: names.1: ${project} offers no task "missing" (it offers "ok")`,
    })
    expect((await world.call('savedTask.list', {})).savedTasks).toEqual([])
  })
})
