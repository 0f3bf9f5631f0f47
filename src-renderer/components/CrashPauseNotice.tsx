import { useTranslation } from 'react-i18next'
import type { AppState } from '../streams/state.ts'
import { useModel, useStoreSelect } from '../views/context.ts'

/** The names of the groups the engine paused itself when it opened after a crash (they had pending work), one per line: a string, so the view redraws only when they change. */
export const selectPausedAfterCrash = (state: AppState): string =>
  [...state.groups.values()]
    .filter((group) => group.paused && group.pausedReason === 'crash')
    .map((group) => group.name)
    .sort()
    .join('\n')

/** "Paused after a crash — resume": one line per group the engine paused when it opened after a crash, with its Resume button. */
export function CrashPauseNotice() {
  const { t } = useTranslation()
  const model = useModel()
  const names = useStoreSelect(model.state, selectPausedAfterCrash)
  if (names === '') return null
  return (
    <div className="crash-pause" role="status" data-testid="crash-pause">
      {names.split('\n').map((name) => (
        <p key={name} className="crash-pause-line">
          <span>{t('crashPause.line', { group: name })}</span>
          <button
            type="button"
            className="btn btn-ghost"
            aria-label={t('crashPause.resumeLabel', { group: name })}
            onClick={() => model.intents.next({ command: 'group.resume', params: { name }, key: `group.pause:${name}` })}
          >
            {t('action.resume')}
          </button>
        </p>
      ))}
      <p className="crash-pause-hint">{t('crashPause.hint')}</p>
    </div>
  )
}
