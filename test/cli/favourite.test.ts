import { describe, expect, it } from 'vitest'
import { useServe } from './helpers.ts'

/** `taskdeck favourite …` against a real `taskdeck serve`: settings.favourites, as the UI's star and Settings → Favourites set it. */
describe('taskdeck favourite', () => {
  const serve = useServe()
  const cli = serve.cli
  const addTask = async (name: string): Promise<number> => {
    const added = await cli('add', '--stash', '--name', name, '--json', '--', 'true')
    expect(added.code, added.stderr).toBe(0)
    return added.json<{ task: { id: number } }>().task.id
  }
  const favourites = async (): Promise<number[]> => {
    const listed = await cli('favourite', 'list', '--json')
    expect(listed.code, listed.stderr).toBe(0)
    return listed.json<{ favourites: { taskId: number }[] }>().favourites.map((favourite) => favourite.taskId)
  }

  it('adds by task id or name, lists, moves and removes', async () => {
    const build = await addTask('build')
    const test = await addTask('test')
    const deploy = await addTask('deploy')
    expect(await favourites()).toEqual([])
    expect((await cli('favourite', 'list')).stdout).toMatch(/No favourites/)

    const byId = await cli('favourite', 'add', String(build))
    expect(byId.code, byId.stderr).toBe(0)
    expect(byId.stdout).toContain(`Task ${build} (build) is favourite 1`)
    expect((await cli('favourite', 'add', 'test')).code).toBe(0)
    expect((await cli('favourite', 'add', 'deploy', '--json')).json()).toMatchObject({ favourites: [build, test, deploy] })

    const table = (await cli('favourite', 'list')).stdout
    expect(table).toMatch(/^#\s+TASK\s+NAME/)
    expect(table).toMatch(new RegExp(`^1\\s+${build}\\s+build`, 'm'))
    expect(table).toMatch(new RegExp(`^3\\s+${deploy}\\s+deploy`, 'm'))
    // The shortcut as people read it (the JSON keeps Electron's accelerator).
    if (process.platform === 'linux') expect(table).toMatch(new RegExp(`^1\\s+${build}\\s+build\\s+Ctrl\\+Alt\\+1$`, 'm'))

    const moved = await cli('favourite', 'move', String(deploy), '1')
    expect(moved.code, moved.stderr).toBe(0)
    expect(await favourites()).toEqual([deploy, build, test])

    const removed = await cli('favourite', 'rm', String(build))
    expect(removed.code, removed.stderr).toBe(0)
    expect(await favourites()).toEqual([deploy, test])
    for (const id of [deploy, test]) expect((await cli('favourite', 'remove', String(id))).code).toBe(0)
    expect(await favourites()).toEqual([])
  })

  it('refuses unknown tasks, duplicates and ambiguous names with exit 1, bad arguments with exit 2, changing nothing', async () => {
    const once = await addTask('lint')
    await addTask('twice')
    await addTask('twice')
    expect((await cli('favourite', 'add', 'lint')).code).toBe(0)

    const duplicate = await cli('favourite', 'add', String(once))
    expect(duplicate.code).toBe(1)
    expect(duplicate.stderr).toMatch(/already favourite 1/)
    const duplicateByName = await cli('favourite', 'add', 'lint', '--json')
    expect(duplicateByName.code).toBe(1)
    expect(JSON.parse(duplicateByName.stderr)).toMatchObject({ error: { code: 'conflict' } })

    const unknownId = await cli('favourite', 'add', '99999')
    expect(unknownId.code).toBe(1)
    expect(unknownId.stderr).toMatch(/99999/)
    const unknownName = await cli('favourite', 'add', 'no-such-task')
    expect(unknownName.code).toBe(1)
    expect(unknownName.stderr).toMatch(/no task named "no-such-task"/)
    const ambiguous = await cli('favourite', 'add', 'twice')
    expect(ambiguous.code).toBe(1)
    expect(ambiguous.stderr).toMatch(/several tasks are named "twice"/i)

    const notFavourite = await cli('favourite', 'remove', '99999')
    expect(notFavourite.code).toBe(1)
    expect(notFavourite.stderr).toMatch(/not a favourite/)
    const badPosition = await cli('favourite', 'move', String(once), '0')
    expect(badPosition.code).toBe(2)
    expect(badPosition.stderr).toMatch(/position/)
    const outside = await cli('favourite', 'move', String(once), '2')
    expect(outside.code).toBe(2)
    expect(outside.stderr).toMatch(/from 1 to 1/)
    expect((await cli('favourite', 'add')).code).toBe(2)
    expect((await cli('favourite', 'move', String(once))).code).toBe(2)
    expect((await cli('favourite', 'remove', 'x')).code).toBe(2)

    expect(await favourites()).toEqual([once])
  })

  it('refuses a tenth favourite', async () => {
    const listed = await favourites()
    for (let i = listed.length; i < 9; i++) expect((await cli('favourite', 'add', String(await addTask(`fav-${i}`)))).code).toBe(0)
    const full = await cli('favourite', 'add', String(await addTask('tenth')))
    expect(full.code).toBe(1)
    expect(full.stderr).toMatch(/at most 9/)
  })
})
