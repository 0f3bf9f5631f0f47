import type { EndReason } from '../../src-shared/index.ts'
import { describeEndReason } from '../../src-main/engine/end-reasons.ts'

/** A runner's or backend's failure as the engine words it in `Run.reason`. */
export function failureSentence(outcome: { failure: EndReason | null }): string | null {
  return outcome.failure ? describeEndReason(outcome.failure) : null
}
