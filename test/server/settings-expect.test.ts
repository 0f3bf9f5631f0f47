import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addFavourite, changeFavourites, favouritesOfConflict, removeFavourite } from '../../src-shared/favourites.ts'
import type { ApiError } from '../../src-shared/index.ts'
import { startHarness, TestSocket, type Harness } from './helpers.ts'

/**
 * settings.set's `expect` (API revision 11): two clients on a real server, each changing the favourites from what it
 * read. The stale one is refused (conflict, naming the setting and its value now) instead of overwriting the other.
 */
describe('settings.set with expect: a compare-and-set of settings', () => {
  let h: Harness
  let one: TestSocket
  let other: TestSocket
  beforeAll(async () => {
    h = await startHarness()
    const headers = { authorization: `Bearer ${h.server.token}` }
    one = await TestSocket.open(h.server.port, { headers })
    other = await TestSocket.open(h.server.port, { headers })
  })
  afterAll(async () => {
    await one.close()
    await other.close()
    await h.close()
  })
  const favouritesOf = async (socket: TestSocket): Promise<number[]> => {
    const read = (await socket.request('settings.get')) as { ok: true; value: { settings: { favourites: number[] } } }
    return read.value.settings.favourites
  }
  const set = (socket: TestSocket, favourites: number[], expected?: number[]) =>
    socket.request('settings.set', { patch: { favourites }, ...(expected === undefined ? {} : { expect: { favourites: expected } }) })

  it('refuses a change made from a list another client has changed since, naming the setting and its value now; changes nothing', async () => {
    expect(await set(one, [1, 2])).toMatchObject({ ok: true })
    const readByOne = await favouritesOf(one)
    // The other client adds 3 from the same list, between one's read and one's write.
    expect(await set(other, [...(await favouritesOf(other)), 3], [1, 2])).toMatchObject({ ok: true, value: { settings: { favourites: [1, 2, 3] } } })
    const stale = await set(one, removeFavourite(readByOne, 1), readByOne)
    expect(stale).toMatchObject({
      ok: false,
      error: {
        code: 'conflict',
        message: expect.stringContaining('settings.favourites changed since it was read: it is now [1,2,3]') as unknown,
        details: { setting: 'favourites', current: [1, 2, 3], issues: [{ path: 'expect.favourites', message: 'is now [1,2,3]' }] },
      },
    })
    expect(await favouritesOf(other)).toEqual([1, 2, 3])
    // Applied again to the list it is now, it goes through, and both changes stay.
    const current = favouritesOfConflict((stale as { error: ApiError }).error)!
    expect(await set(one, removeFavourite(current, 1), current)).toMatchObject({ ok: true, value: { settings: { favourites: [2, 3] } } })
    expect(await favouritesOf(other)).toEqual([2, 3])
  })

  it('compares by value every setting named (a record in any key order), and one that differs refuses the whole patch', async () => {
    expect(await one.request('settings.set', { patch: { keymap: { 'task.new': 'n', 'task.cancel': 'x' }, theme: 'dark' } })).toMatchObject({ ok: true })
    expect(await other.request('settings.set', { patch: { theme: 'light' }, expect: { keymap: { 'task.cancel': 'x', 'task.new': 'n' }, theme: 'dark' } })).toMatchObject({
      ok: true,
      value: { settings: { theme: 'light' } },
    })
    const refused = await one.request('settings.set', { patch: { theme: 'system', defaultGroupParallel: 9 }, expect: { theme: 'dark', defaultGroupParallel: 3 } })
    expect(refused).toMatchObject({
      ok: false,
      error: {
        code: 'conflict',
        details: {
          setting: 'theme',
          current: 'light',
          issues: [
            { path: 'expect.theme', message: 'is now "light"' },
            { path: 'expect.defaultGroupParallel', message: 'is now 4' },
          ],
        },
      },
    })
    expect(await one.request('settings.get')).toMatchObject({ value: { settings: { theme: 'light', defaultGroupParallel: 4 } } })
  })

  it('refuses an expectation that is not a setting or not a value it could have (bad_request), as a patch is', async () => {
    expect(await one.request('settings.set', { patch: { theme: 'dark' }, expect: { favorites: [] } })).toMatchObject({
      ok: false,
      error: { code: 'bad_request', details: { issues: [{ path: 'expect.favorites', message: 'unknown field' }] } },
    })
    expect(await one.request('settings.set', { patch: { theme: 'dark' }, expect: { favourites: ['one'] } })).toMatchObject({
      ok: false,
      error: { code: 'bad_request', details: { issues: [{ path: 'expect.favourites.0' }] } },
    })
  })

  it('changeFavourites applies a change once more to the list a conflict found, and both clients’ changes survive', async () => {
    expect(await set(one, [5])).toMatchObject({ ok: true })
    const read = await favouritesOf(one)
    let writes = 0
    const outcome = await changeFavourites(read, (favourites) => addFavourite(favourites, 6, () => true), async (next, expected) => {
      // Before one's first write, the other client adds 7.
      if (writes++ === 0) expect(await set(other, [...(await favouritesOf(other)), 7], read)).toMatchObject({ ok: true })
      const result = (await set(one, next, [...expected])) as { ok: true; value: { settings: { favourites: number[] } } } | { ok: false; error: ApiError }
      if (result.ok) return { saved: result.value.settings.favourites }
      const current = favouritesOfConflict(result.error)
      return current === null ? { failed: result.error } : { changed: current }
    })
    expect(outcome).toEqual({ kind: 'saved', favourites: [5, 7, 6], retried: true })
    expect(writes).toBe(2)
    expect(await favouritesOf(other)).toEqual([5, 7, 6])
  })
})
