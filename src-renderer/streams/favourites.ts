/** The favourites' list changes, shared with the CLI (`taskdeck favourite`). */
export * from '../../src-shared/favourites.ts'
