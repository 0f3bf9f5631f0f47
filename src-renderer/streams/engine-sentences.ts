import type { EndReason, LoopEntry, LoopState, RunStatus, WaitReason, WorkerLoss } from '../../src-shared/index.ts'

/** An i18n lookup: the renderer's `t`. */
export type Translate = (key: string, values?: Record<string, string | number>) => string

/** How the user reads times and durations (their clock, the UI's duration format). */
export interface Clock {
  time(at: number): string
  duration(ms: number): string
}

/** Something that may have ended for a reason: a run or a task. */
export interface Ended {
  /** The engine's English sentence, kept for clients that predate `endReason`. */
  reason?: string | null | undefined
  endReason?: EndReason | null | undefined
}

/**
 * Why a run or task ended, in the UI's language, from the engine's structured reason. An
 * event stored before reasons were data has only the engine's English sentence: it is shown
 * as written. Null when there is no reason (it succeeded, or has not ended).
 */
export function sayEnded(ended: Ended, t: Translate, clock: Clock): string | null {
  if (ended.endReason) return sayEndReason(ended.endReason, t, clock)
  return ended.reason ?? null
}

export function sayEndReason(reason: EndReason, t: Translate, clock: Clock): string {
  switch (reason.kind) {
    case 'exited':
      return t(reason.commandNotFound ? 'engine.exitedNotFound' : 'engine.exited', { code: reason.code })
    case 'killed':
      return t('engine.killedBy', { signal: reason.signal })
    case 'cancelled':
      return t('engine.cancelled')
    case 'timed-out':
      return t('engine.timedOut', { after: clock.duration(reason.afterMs) })
    case 'interrupted':
      return t('engine.interrupted')
    case 'worker-lost':
      return sayWorkerLoss(reason.worker, reason.cause, t)
    case 'dependency-missing':
      return t('engine.dependencyGone', { id: reason.taskId })
    case 'dependency-ended': {
      const ended = t('engine.dependencyEnded', { id: reason.taskId, status: t(`engine.dependencyStatus.${reason.status}`) })
      return reason.cause ? t('engine.because', { what: ended, why: sayEndReason(reason.cause, t, clock) }) : ended
    }
    case 'cwd-missing':
      return t('engine.cwdMissing', { cwd: reason.cwd })
    case 'executable-not-found':
      return t('engine.executableNotFound', { file: reason.file })
    case 'permission-denied':
      return t('engine.permissionDenied', { file: reason.file })
    case 'spawn-failed':
      return t('engine.spawnFailed', { file: reason.file, message: reason.message })
    case 'http-failed': {
      const { method, url, status, error } = reason.first
      // A failure by status alone is said in the UI's words; any other is the request's own error.
      const why = error ?? t('engine.httpStatus', { status: status ?? 0 })
      return t('engine.httpFailed', { failed: reason.failed, total: reason.total, method, url, error: why })
    }
    case 'http-stopped':
      return t('engine.httpStopped', { notRun: reason.notRun, total: reason.total })
    case 'http-batch-error':
      return t('engine.httpBatchError', { message: reason.message })
    case 'script-error':
      return reason.message
    case 'script-stopped':
      return t('engine.scriptStopped')
    case 'script-crashed':
      return t('engine.scriptCrashed', { message: reason.message })
    case 'script-worker-exited':
      return t('engine.scriptWorkerExited', { code: reason.exitCode })
    case 'script-runner-closed':
      return t('engine.scriptRunnerClosed')
    case 'no-runner':
      return t('engine.noRunner', { kind: reason.taskKind })
    case 'enqueue-failed':
      return t('engine.enqueueFailed', { queue: reason.queue, message: reason.message })
    case 'outcome-lost':
      return t('engine.outcomeLost')
    case 'start-not-recorded':
      return t('engine.startNotRecorded', { message: reason.message })
    case 'runner-failed':
      return t('engine.runnerFailed', { message: reason.message })
    case 'message':
      return reason.text
  }
}

function sayWorkerLoss(worker: string | null, loss: WorkerLoss | null, t: Translate): string {
  const named = worker ?? t('engine.unknownWorker')
  switch (loss?.kind) {
    case undefined:
      return worker === null ? t('engine.workerLost') : t('engine.workerLostNamed', { worker })
    case 'lock-expired':
      return t('engine.workerLoss.lockExpired', { worker: named, noticedBy: loss.noticedBy })
    case 'lock-expired-unreported':
      return t('engine.workerLoss.lockExpiredUnreported', { worker: named, group: loss.group })
    case 'job-gone':
      return t('engine.workerLoss.jobGone')
    case 'stalled':
      return t('engine.workerLoss.stalled', { worker: named, message: loss.message })
    case 'shut-down':
      return t('engine.workerLoss.shutDown', { worker: named })
    case 'unwatched':
      return t('engine.workerLoss.unwatched', { queue: loss.queue })
    case 'redis-unreachable':
      return t('engine.workerLoss.redisUnreachable')
  }
}

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
  }
}
