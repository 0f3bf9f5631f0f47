import { useTranslation } from 'react-i18next'
import { MachineConditionSchema } from '../../src-shared/index.ts'
import { useEngineSentences } from '../components/common.tsx'
import { knownMet, machineHold } from '../streams/machine.ts'
import type { AppState } from '../streams/state.ts'
import { useModel, useStoreSelect } from './context.ts'

const selectGroups = (state: AppState) => state.groups

const selectMachine = (state: AppState) => state.machine

/**
 * The machine as groups with conditions see it ("On battery · 2 groups held"); nothing while
 * no group has conditions. Met conditions show quietly, held groups stand out; the title
 * names the groups.
 */
export function MachineIndicator() {
  const { t } = useTranslation()
  const { heldGroups } = useEngineSentences()
  const model = useModel()
  const groups = useStoreSelect(model.state, selectGroups)
  const machine = useStoreSelect(model.state, selectMachine)
  const hold = machineHold(groups, machine)
  if (!hold) return null
  const held = hold.held.length > 0
  const words = held
    ? [...hold.unmet.map((c) => t(`machine.unmet.${c}`)), ...hold.pending.map((c) => t(`machine.pending.${c}`)), t('machine.held', { count: hold.held.length })]
    : hold.watched.filter((c) => machine !== null && knownMet(c, machine)).map((c) => t(`machine.met.${c}`))
  if (words.length === 0) return null
  const title = held ? heldGroups(MachineConditionSchema.options.filter((c) => hold.unmet.includes(c) || hold.pending.includes(c)), hold.held) : t('machine.metTitle', { groups: hold.conditioned.join(', ') })
  return (
    <div className={`machine ${held ? 'machine-held' : 'machine-met'}`} data-testid="machine" title={title} role="status">
      <span className="machine-dot" aria-hidden />
      <span className="machine-label" aria-hidden>
        {words.join(' · ')}
      </span>
      <span className="sr-only">{title}</span>
    </div>
  )
}
