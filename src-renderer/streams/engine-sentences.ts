import type { LoopEntry, LoopState, WaitReason } from '../../src-shared/index.ts'
import { sayEndReason, type Clock, type Translate } from '../../src-shared/decisions/endReasons.ts'

// The wording of end reasons is shared with the desktop's notifications.
export { sayEnded, sayEndReason, type Clock, type Ended, type Translate } from '../../src-shared/decisions/endReasons.ts'

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
      return t('engine.groupPaused', { group })
    case 'group-full':
      return t('engine.groupFull', { group, running: state.running, parallel: state.parallel })
    case 'waiting':
      return sayWait(state.waitingFor, t, clock)
    case 'running':
    case 'paused': {
      const since = t(state.kind === 'running' ? 'engine.runningSince' : 'engine.pausedSince', { time: clock.time(state.since) })
      return state.pid ? t('engine.pid', { since, pid: state.pid }) : since
    }
    case 'finished': {
      const status = t(`status.${state.status}`)
      const ended = state.endReason ? t('engine.because', { what: status, why: sayEndReason(state.endReason, t, clock) }) : status
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
  }
}
