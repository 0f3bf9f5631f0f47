import { MachineConditionSchema, type Group, type MachineCondition, type MachineState } from '../../src-shared/index.ts'
import { heldConditions } from '../../src-shared/decisions/machine.ts'

/** What the status bar says about groups' machine conditions. */
export interface MachineHold {
  /** Groups that have conditions (`onlyWhen`), in the engine's order. */
  conditioned: string[]
  /** Of those, the ones whose runs wait (or are paused) now. */
  held: string[]
  /** Every condition some group has (AC power first). */
  watched: MachineCondition[]
  /** Every condition some held group waits for and the machine is known not to meet (AC power first). */
  unmet: MachineCondition[]
  /** Every condition some held group waits to be read (MachineState `pending`: the first look is under way). */
  pending: MachineCondition[]
}

/** null when no group has conditions: then the machine's state does not matter and nothing is shown. */
export function machineHold(groups: ReadonlyMap<string, Group>, machine: MachineState | null): MachineHold | null {
  const conditioned: string[] = []
  const held: string[] = []
  const watched = new Set<MachineCondition>()
  const unmet = new Set<MachineCondition>()
  const pending = new Set<MachineCondition>()
  for (const group of groups.values()) {
    if (!group.onlyWhen || group.onlyWhen.length === 0) continue
    conditioned.push(group.name)
    for (const condition of group.onlyWhen) watched.add(condition)
    const missing = heldConditions(group, machine)
    if (missing.length > 0) held.push(group.name)
    for (const condition of missing) (machine?.pending?.includes(condition) ? pending : unmet).add(condition)
  }
  if (conditioned.length === 0) return null
  const inOrder = (set: ReadonlySet<MachineCondition>) => MachineConditionSchema.options.filter((c) => set.has(c))
  return { conditioned, held, watched: inOrder(watched), unmet: inOrder(unmet), pending: inOrder(pending) }
}

/** Is this condition met by what is known (not merely unknown, which counts as met but is not worth showing as met; not a reading that is not current, `pending`)? */
export function knownMet(condition: MachineCondition, machine: MachineState): boolean {
  if (machine.pending?.includes(condition)) return false
  switch (condition) {
    case 'ac-power':
      return machine.onAcPower === true
    case 'user-idle':
      return machine.userIdle === true
    case 'unmetered-network':
      return machine.networkMetered === false
  }
}
