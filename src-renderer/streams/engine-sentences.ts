import type { EndReason, LoopEntry, LoopState, MachineCondition, RunStatus, WaitReason } from '../../src-shared/index.ts'
import { sayEndReason, type Clock, type Translate } from '../../src-shared/decisions/endReasons.ts'
import { RATE_UNITS, formatRate, type RateUnit } from '../../src-shared/rate.ts'

// The wording of end reasons is shared with the desktop's notifications.
export { sayEnded, sayEndReason, type Clock, type Ended, type Translate } from '../../src-shared/decisions/endReasons.ts'

/**
 * A reason that says the status itself ("cancelled by user", "timed out after 20 s"): after
 * the status word it would say it twice, so it stands alone. Decided from the kind, since
 * whether the words overlap differs between languages.
 */
export function reasonSaysStatus(reason: EndReason): boolean {
  return reason.kind === 'cancelled' || reason.kind === 'timed-out'
}

/** A reason standing alone, as the start of a sentence ("Cancelled by user"). */
export function sentenceCase(text: string): string {
  return text.charAt(0).toLocaleUpperCase() + text.slice(1)
}

/** A status and why it came to be, saying the status once ("Failed: exited with code 3", "Cancelled by user"). */
function sayStatusBecause(status: RunStatus, reason: EndReason, t: Translate, clock: Clock): string {
  const why = sayEndReason(reason, t, clock)
  return reasonSaysStatus(reason) ? sentenceCase(why) : t('engine.because', { what: t(`status.${status}`), why })
}

/** A loop lane entry's detail in the UI's language, with times in the user's clock. */
export function sayLoopEntry(entry: LoopEntry, t: Translate, clock: Clock): string {
  return sayLoopState(entry.state, entry.group, t, clock)
}

function sayLoopState(state: LoopState, group: string, t: Translate, clock: Clock): string {
  switch (state.kind) {
    case 'ready':
      return t('engine.position', { n: state.position, group })
    case 'all-paused':
      return t('engine.allPaused')
    case 'group-paused':
      return t(state.reason === 'crash' ? 'engine.groupPausedAfterCrash' : 'engine.groupPaused', { group })
    case 'machine':
      return t('engine.machine', { group, conditions: sayUnmet(state.unmet, t) })
    case 'group-full':
      return t('engine.groupFull', { group, running: state.running, parallel: state.parallel })
    case 'rate-limited':
      return sayRateHold(group, state, t, clock)
    case 'waiting':
      return sayWait(state.waitingFor, t, clock)
    case 'running':
    case 'paused': {
      const since = t(state.kind === 'running' ? 'engine.runningSince' : 'engine.pausedSince', { time: clock.time(state.since) })
      return state.pid ? t('engine.pid', { since, pid: state.pid }) : since
    }
    case 'finished': {
      const ended = state.endReason ? sayStatusBecause(state.status, state.endReason, t, clock) : t(`status.${state.status}`)
      return state.delivering ? t('engine.delivering', { ended }) : ended
    }
  }
}

function sayWait(wait: WaitReason | null, t: Translate, clock: Clock): string {
  switch (wait?.kind) {
    case undefined:
      return t('engine.waiting')
    case 'dependency':
      return t('engine.after', { ids: wait.taskIds.map((id) => `#${id}`).join(', ') })
    case 'delay':
      return t('engine.delayUntil', { time: clock.time(wait.until) })
    case 'backoff':
      return t('engine.backoff', { attempt: wait.attempt, time: clock.time(wait.until) })
    case 'group-limit':
      return t('engine.groupLimit', { group: wait.group })
    case 'paused':
      return t(`engine.paused.${wait.scope}`)
    case 'machine':
      return t('engine.machine', { group: wait.group, conditions: sayUnmet(wait.unmet, t) })
  }
}

/** Each of the rate's units (src-shared/rate.ts) as the sentences name it. */
const RATE_UNIT_WORDS: Record<RateUnit, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day' }

/** A group's rate in words: "10 per minute", "1 per hour", or per a window of another length ("20 per 15 min 0 s"). */
export function sayRate(rate: { max: number; perMs: number }, t: Translate, clock: Pick<Clock, 'duration'>): string {
  const unit = (Object.keys(RATE_UNITS) as RateUnit[]).find((key) => RATE_UNITS[key] === rate.perMs)
  return unit ? t(`wait.rate.${RATE_UNIT_WORDS[unit]}`, { count: rate.max }) : t('wait.rate.window', { count: rate.max, window: clock.duration(rate.perMs) })
}

/**
 * A queued task its group's rate holds, as the task's detail says it, counting down to its next slot (`now`): "Waiting
 * for group io's rate limit (10 per minute): next slot in 12 s".
 */
export function sayRateSlot(group: string, hold: { max: number; perMs: number; until: number }, now: number, t: Translate, clock: Pick<Clock, 'duration'>): string {
  const rate = sayRate(hold, t, clock)
  return hold.until > now ? t('wait.rateSlot', { group, rate, left: clock.duration(hold.until - now) }) : t('wait.rateSlotNow', { group, rate })
}

/** A queued task its group's rate holds: "rate limit: io starts 10/m; next at 14:02:05". */
export function sayRateHold(group: string, hold: { max: number; perMs: number; until: number }, t: Translate, clock: Clock): string {
  return t('engine.rateLimited', { group, rate: formatRate(hold), time: clock.time(hold.until) })
}

/** A run its group's machine conditions paused (`Run.heldFor`): "paused: group builds waits for AC power". */
export function sayHeld(heldFor: readonly MachineCondition[], group: string, t: Translate): string {
  return t('engine.held', { group, conditions: sayUnmet(heldFor, t) })
}

/**
 * Machine conditions in the UI's language, joined: as what something waits for ("AC power and you to be away",
 * `engine`) or as clauses ("the computer is on AC power and you are away", `wait`, for the task detail's sentences).
 */
export function sayUnmet(unmet: readonly MachineCondition[], t: Translate, words: 'engine' | 'wait' = 'engine'): string {
  return unmet.map((condition) => t(`${words}.condition.${condition}`)).join(t('engine.conditionJoin'))
}

/** The status bar's machine indicator's title while groups are held: "Waiting for AC power: builds, nightly". */
export function sayHeldGroups(unmet: readonly MachineCondition[], groups: readonly string[], t: Translate): string {
  return t('machine.heldTitle', { conditions: sayUnmet(unmet, t), groups: groups.join(', ') })
}
