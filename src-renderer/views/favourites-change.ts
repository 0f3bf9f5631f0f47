import { useCallback } from 'react'
import { useTranslation } from 'react-i18next'
import type { TFunction } from 'i18next'
import type { ApiError, Settings } from '../../src-shared/index.ts'
import { MAX_FAVOURITES, changeFavourites, favouritesOfConflict, type FavouriteChange, type FavouritesOutcome } from '../streams/favourites.ts'
import { useModel } from './context.ts'

/** One favourites change in flight at a time, whichever control sent it (the star, Settings → Favourites). */
export const FAVOURITES_KEY = 'settings.set:favourites'

export type FavouritesChangeOutcome = FavouritesOutcome<ApiError>

/**
 * Changes the favourites by compare-and-set (settings.set's `expect.favourites`, changeFavourites): the change is made
 * to the list shown and sent with it; when another window or `taskdeck favourite` changed the list meanwhile, it is made
 * once more to the list the refusal names. Those refusals make no toast (they are answered here); the list shown follows
 * the outcome. A view words a `refused` or `changed` outcome with favouritesProblem; a `failed` one was a toast already.
 */
export function useChangeFavourites(): (change: (favourites: readonly number[]) => FavouriteChange) => Promise<FavouritesChangeOutcome> {
  const { t } = useTranslation()
  const model = useModel()
  return useCallback(
    async (change) => {
      const outcome = await changeFavourites<ApiError>(model.settings.value.favourites, change, async (favourites, expected) => {
        const status = await model.send({
          command: 'settings.set',
          params: { patch: { favourites }, expect: { favourites: [...expected] } },
          key: FAVOURITES_KEY,
          label: t('favourites.saveFailed'),
          shownInPlace: (error) => favouritesOfConflict(error) !== null,
        })
        if (status.state === 'ok') {
          const settings = (status.value as { settings: Settings }).settings
          model.settings.set(settings)
          return { saved: settings.favourites }
        }
        if (status.state !== 'error') return { failed: { code: 'internal', message: 'no answer' } }
        const current = favouritesOfConflict(status.error)
        return current === null ? { failed: status.error } : { changed: current }
      })
      // The list as it is now, at once (its settings.changed event follows).
      const shown = model.settings.value
      if ((outcome.kind === 'changed' || outcome.kind === 'refused') && JSON.stringify(outcome.favourites) !== JSON.stringify(shown.favourites)) model.settings.set({ ...shown, favourites: outcome.favourites })
      return outcome
    },
    [model, t],
  )
}

/** What to say of a change that did not go through in place, or null (saved, or a failure a toast said). */
export function favouritesProblem(outcome: FavouritesChangeOutcome, t: TFunction, taskId: number): string | null {
  if (outcome.kind === 'refused') return t(`favourites.problem.${outcome.problem}`, { id: taskId, max: MAX_FAVOURITES })
  if (outcome.kind === 'changed') return t('favourites.problem.changed')
  return null
}
