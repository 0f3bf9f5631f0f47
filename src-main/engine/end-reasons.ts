import type { EndReason, Group, LoopState, MachineCondition, WaitReason, WorkerLoss } from '../../src-shared/index.ts'
import { formatRate } from '../../src-shared/rate.ts'
import { limitFigures } from '../../src-shared/decisions/endReasons.ts'

/**
 * The one place that words the engine's structured reasons in English: `Run.reason`,
 * `Task.reason` and `LoopEntry.detail` are made from `endReason` / `state` here, so the
 * sentence the CLI prints and the data a UI translates can never disagree.
 */
export function describeEndReason(reason: EndReason): string {
  switch (reason.kind) {
    case 'exited':
      return `exited with code ${reason.code}${reason.commandNotFound ? ' (command not found)' : ''}`
    case 'killed':
      return `killed by ${reason.signal}`
    case 'cancelled':
      return 'cancelled by user'
    case 'timed-out':
      return `timed out after ${formatMs(reason.afterMs)}`
    case 'memory-limit': {
      const { used, limit } = limitFigures(reason)
      return `exceeded its memory limit: ${used} MB > ${limit} MB`
    }
    case 'cpu-limit': {
      const { used, limit } = limitFigures(reason)
      return `exceeded its CPU limit: ${used} s > ${limit} s`
    }
    case 'interrupted':
      return 'Taskdeck stopped while this run was running'
    case 'worker-lost':
      return describeWorkerLoss(reason.worker, reason.cause)
    case 'dependency-missing':
      return `dependency #${reason.taskId} no longer exists`
    case 'dependency-ended':
      return `dependency #${reason.taskId} ${reason.status.replace('_', ' ')}${reason.cause ? `: ${describeEndReason(reason.cause)}` : ''}`
    case 'cwd-missing':
      return `working directory does not exist: ${reason.cwd}`
    case 'executable-not-found':
      return `executable not found: ${reason.file}`
    case 'permission-denied':
      return `permission denied: ${reason.file}`
    case 'spawn-failed':
      return `could not start ${reason.file}: ${reason.message}`
    case 'http-failed': {
      const { first } = reason
      return `${reason.failed} of ${reason.total} requests failed; first: ${first.method} ${first.url}: ${first.status === null ? first.error : (first.error ?? httpStatusFailure(first.status))}`
    }
    case 'http-stopped':
      return `stopped with ${reason.notRun} of ${reason.total} requests not run`
    case 'http-batch-error':
      return `could not run the batch: ${reason.message}`
    case 'script-error':
      return reason.message
    case 'script-stopped':
      return 'stopped before the script finished'
    case 'script-crashed':
      return `the script crashed its worker: ${reason.message}`
    case 'script-worker-exited':
      return `the script's worker exited with code ${reason.exitCode}`
    case 'script-runner-closed':
      return 'the script runner is closed'
    case 'no-runner':
      return `this process has no runner for ${reason.taskKind} tasks`
    case 'enqueue-failed':
      return `could not enqueue on ${reason.queue}: ${reason.message}`
    case 'outcome-lost':
      return 'the worker finished the job but its outcome was lost'
    case 'start-not-recorded':
      return `could not record the start: ${reason.message}`
    case 'runner-failed':
      return `runner failed: ${reason.message}`
    case 'message':
      return reason.text
  }
}

function describeWorkerLoss(worker: string | null, loss: WorkerLoss | null): string {
  if (loss === null) return worker === null ? 'the worker running it was lost' : `worker ${worker} lost`
  switch (loss.kind) {
    case 'lock-expired':
    case 'lock-expired-unreported':
    case 'stalled':
      return `worker ${worker ?? '(unknown)'} lost: ${describeLoss(loss)}`
    case 'shut-down':
      return `worker ${worker ?? '(unknown)'} shut down before the run finished`
    default:
      return describeLoss(loss)
  }
}

/**
 * Why a worker was lost, in English: what follows "worker X lost: " for a lost lock or a
 * stall (what a lost report's `d` carried before losses were data, so that apps of earlier
 * versions still say it), the whole sentence for the others.
 */
export function describeLoss(loss: WorkerLoss): string {
  switch (loss.kind) {
    case 'lock-expired':
      return `its lock expired (the worker was killed, lost its connection, or blocked longer than the lock duration); noticed by ${loss.noticedBy}`
    case 'lock-expired-unreported':
      return `its lock expired and no live worker of group ${loss.group} reported it`
    case 'stalled':
      return loss.message
    case 'job-gone':
      return 'its BullMQ job is gone from Redis (removed by someone else, or Redis lost data)'
    case 'shut-down':
      return 'the worker shut down before the run finished'
    case 'unwatched':
      return `Taskdeck stopped watching this run on ${loss.queue}; it may still be running on its worker`
    case 'redis-unreachable':
      return 'Taskdeck closed before it reached Redis again'
  }
}

/** A loop lane entry's detail; `group` is the entry's group. */
export function describeLoopState(state: LoopState, group: string): string {
  switch (state.kind) {
    case 'ready':
      return `position ${state.position} in ${group}`
    case 'all-paused':
      return 'paused: everything is paused'
    case 'group-paused':
      return state.reason === 'crash' ? `paused: group ${group} was paused after a crash (resume it to go on)` : `paused: group ${group} is paused`
    case 'machine':
      return `held: ${group} ${describeUnmet(state.unmet)}`
    case 'group-full':
      return `group limit: ${group} runs ${state.running} of ${state.parallel}`
    case 'rate-limited':
      return `rate limit: ${group} starts ${formatRate({ max: state.max, perMs: state.perMs })}; next start at ${new Date(state.until).toISOString()}`
    case 'waiting':
      return describeWait(state.waitingFor)
    case 'running':
    case 'paused':
      return `${state.kind} since ${new Date(state.since).toISOString()}${state.pid ? ` · pid ${state.pid}` : ''}`
    case 'finished': {
      const ended = `${state.status}${state.endReason ? `: ${describeEndReason(state.endReason)}` : ''}`
      return state.delivering ? `delivering · ${ended}` : ended
    }
  }
}

function describeWait(wait: WaitReason | null): string {
  if (!wait) return 'waiting'
  switch (wait.kind) {
    case 'dependency':
      return `dependency: after ${wait.taskIds.map((id) => `#${id}`).join(', ')}`
    case 'delay':
      return `delay: until ${new Date(wait.until).toISOString()}`
    case 'backoff':
      return `backoff: attempt ${wait.attempt} at ${new Date(wait.until).toISOString()}`
    case 'group-limit':
      return `group limit: ${wait.group}`
    case 'paused':
      return `paused (${wait.scope})`
    case 'machine':
      return `held: ${wait.group} ${describeUnmet(wait.unmet)}`
  }
}

/** Why a group the engine paused is paused ("task #12 failed"); null for a group a user paused, or one not paused. */
export function describeGroupPause(group: Group): string | null {
  if (!group.paused || !group.pausedFor) return null
  return `task #${group.pausedFor.taskId} failed`
}

/** A request that failed by its HTTP status alone, in the words of the HTTP runner's results. */
export function httpStatusFailure(status: number): string {
  return `HTTP ${status}`
}

/** "20 s" for whole seconds, "1500 ms" otherwise. */
export function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

const MACHINE_CONDITION_WORDS: Record<MachineCondition, string> = {
  'ac-power': 'AC power',
  'user-idle': 'the user to be away',
  'unmetered-network': 'an unmetered network',
}

/** "waits for AC power and the user to be away". */
export function describeUnmet(unmet: readonly MachineCondition[]): string {
  return `waits for ${unmet.map((condition) => MACHINE_CONDITION_WORDS[condition]).join(' and ')}`
}
