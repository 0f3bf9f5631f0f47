import { describe, expect, it } from 'vitest'
import { addFavourite, displayAccelerator, favouriteAccelerator, moveFavourite, moveFavouriteTo, removeFavourite } from '../../src-renderer/streams/favourites.ts'

const known = (id: number) => id < 100

describe('favourites (settings.favourites)', () => {
  it('adds a known task at the end, once, up to nine', () => {
    expect(addFavourite([3], 7, known)).toEqual({ ok: true, favourites: [3, 7] })
    expect(addFavourite([3, 7], 7, known)).toEqual({ ok: false, problem: 'duplicate' })
    expect(addFavourite([3], 123, known)).toEqual({ ok: false, problem: 'unknown' })
    expect(addFavourite([1, 2, 3, 4, 5, 6, 7, 8, 9], 10, known)).toEqual({ ok: false, problem: 'full' })
    expect(addFavourite([], 0, known)).toEqual({ ok: false, problem: 'invalid' })
    expect(addFavourite([], 1.5, known)).toEqual({ ok: false, problem: 'invalid' })
  })

  it('reorders by one place, leaving the ends put, and removes', () => {
    expect(moveFavourite([1, 2, 3], 0, 1)).toEqual([2, 1, 3])
    expect(moveFavourite([1, 2, 3], 2, -1)).toEqual([1, 3, 2])
    expect(moveFavourite([1, 2, 3], 0, -1)).toEqual([1, 2, 3])
    expect(moveFavourite([1, 2, 3], 2, 1)).toEqual([1, 2, 3])
    expect(removeFavourite([1, 2, 3], 2)).toEqual([1, 3])
    // To a position (taskdeck favourite move): the others keep their order; a task not in the list or a position past its end changes nothing.
    expect(moveFavouriteTo([1, 2, 3, 4], 4, 0)).toEqual([4, 1, 2, 3])
    expect(moveFavouriteTo([1, 2, 3, 4], 1, 3)).toEqual([2, 3, 4, 1])
    expect(moveFavouriteTo([1, 2, 3, 4], 2, 2)).toEqual([1, 3, 2, 4])
    expect(moveFavouriteTo([1, 2, 3], 9, 0)).toEqual([1, 2, 3])
    expect(moveFavouriteTo([1, 2, 3], 1, 3)).toEqual([1, 2, 3])
  })

  it('names the global shortcut that runs each, as the user set it', () => {
    expect(favouriteAccelerator(0, {})).toBe('CommandOrControl+Alt+1')
    expect(favouriteAccelerator(1, { 'favourite-2': 'F8' })).toBe('F8')
    expect(favouriteAccelerator(2, { 'favourite-3': '' })).toBe('')
    expect(displayAccelerator('CommandOrControl+Alt+1', false)).toBe('Ctrl+Alt+1')
    expect(displayAccelerator('CommandOrControl+Alt+1', true)).toBe('⌘⌥1')
  })
})
