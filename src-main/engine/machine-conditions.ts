import type { MachineCondition, MachineState } from '../../src-shared/index.ts'

/**
 * The conditions of `onlyWhen` the machine does not meet, in that order. A state nobody
 * can tell (null) counts as met, so nothing waits for ever for what no one reports.
 */
export function unmetConditions(onlyWhen: readonly MachineCondition[] | undefined, machine: Pick<MachineState, 'onAcPower' | 'userIdle'>): MachineCondition[] {
  return (onlyWhen ?? []).filter((condition) => (condition === 'ac-power' ? machine.onAcPower === false : machine.userIdle === false))
}
