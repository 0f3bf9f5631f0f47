import type { EndReason, WorkerLoss } from '../model.ts'
import type { Language } from './language.ts'

/**
 * Why a run or task ended, said in the user's language from the engine's structured
 * `endReason`: one wording for the window (src-renderer, through i18next) and the desktop
 * surfaces (notifications in main and in the browser). The templates use i18next's
 * `{{name}}` placeholders and nothing else, so the renderer's i18next and the desktop's
 * plain lookup read them alike. English says exactly what the engine's `reason` says
 * (src-main/engine/end-reasons.ts); test/renderer/engine-sentences.test.ts holds them to it.
 */

/** An i18n lookup: the renderer's i18next `t`, or the desktop's (strings.ts). Keys are `engine.*` of END_REASON_MESSAGES. */
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
    case 'memory-limit':
    case 'cpu-limit':
      return t(reason.kind === 'memory-limit' ? 'engine.memoryLimit' : 'engine.cpuLimit', limitFigures(reason))
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
 * The figures of a limit's end reason as both the engine's sentence and the UI say them: MB
 * (2^20 bytes) and seconds, the used figure with as few decimals (up to 3) as show it over the
 * limit: 612 MB > 512 MB, 512.3 MB > 512 MB.
 */
export function limitFigures(reason: Extract<EndReason, { kind: 'memory-limit' | 'cpu-limit' }>): { used: string; limit: string } {
  const [used, limit] = reason.kind === 'memory-limit' ? [reason.usedBytes / 2 ** 20, reason.limitBytes / 2 ** 20] : [reason.cpuSeconds, reason.limitSeconds]
  let shown = used
  for (const digits of [0, 1, 2, 3]) {
    shown = Math.round(used * 10 ** digits) / 10 ** digits
    if (shown > limit) break
  }
  return { used: String(shown), limit: String(Math.round(limit * 1000) / 1000) }
}

const EN = {
  exited: 'exited with code {{code}}',
  exitedNotFound: 'exited with code {{code}} (command not found)',
  killedBy: 'killed by {{signal}}',
  cancelled: 'cancelled by user',
  timedOut: 'timed out after {{after}}',
  memoryLimit: 'exceeded its memory limit: {{used}} MB > {{limit}} MB',
  cpuLimit: 'exceeded its CPU limit: {{used}} s > {{limit}} s',
  interrupted: 'Taskdeck stopped while this run was running',
  workerLost: 'the worker running it was lost',
  workerLostNamed: 'worker {{worker}} lost',
  workerLoss: {
    lockExpired: 'worker {{worker}} lost: its lock expired (the worker was killed, lost its connection, or blocked longer than the lock duration); noticed by {{noticedBy}}',
    lockExpiredUnreported: 'worker {{worker}} lost: its lock expired and no live worker of group {{group}} reported it',
    jobGone: 'its BullMQ job is gone from Redis (removed by someone else, or Redis lost data)',
    stalled: 'worker {{worker}} lost: {{message}}',
    shutDown: 'worker {{worker}} shut down before the run finished',
    unwatched: 'Taskdeck stopped watching this run on {{queue}}; it may still be running on its worker',
    redisUnreachable: 'Taskdeck closed before it reached Redis again',
},
  unknownWorker: '(unknown)',
  dependencyGone: 'dependency #{{id}} no longer exists',
  dependencyEnded: 'dependency #{{id}} {{status}}',
  dependencyStatus: { failed: 'failed', cancelled: 'cancelled', timed_out: 'timed out', interrupted: 'interrupted' },
  because: '{{what}}: {{why}}',
  cwdMissing: 'working directory does not exist: {{cwd}}',
  executableNotFound: 'executable not found: {{file}}',
  permissionDenied: 'permission denied: {{file}}',
  spawnFailed: 'could not start {{file}}: {{message}}',
  httpFailed: '{{failed}} of {{total}} requests failed; first: {{method}} {{url}}: {{error}}',
  httpStatus: 'HTTP {{status}}',
  httpStopped: 'stopped with {{notRun}} of {{total}} requests not run',
  httpBatchError: 'could not run the batch: {{message}}',
  scriptStopped: 'stopped before the script finished',
  scriptCrashed: 'the script crashed its worker: {{message}}',
  scriptWorkerExited: "the script's worker exited with code {{code}}",
  scriptRunnerClosed: 'the script runner is closed',
  noRunner: 'this process has no runner for {{kind}} tasks',
  enqueueFailed: 'could not enqueue on {{queue}}: {{message}}',
  outcomeLost: 'the worker finished the job but its outcome was lost',
  startNotRecorded: 'could not record the start: {{message}}',
  runnerFailed: 'runner failed: {{message}}',
}

/** A table's shape, its strings widened: every language fills the same keys (the compiler checks). */
export type Widen<T> = { [K in keyof T]: T[K] extends string ? string : Widen<T[K]> }
export type EndReasonMessages = Widen<typeof EN>

/** The `engine.*` templates sayEndReason uses, per language; the renderer's en.ts and ko.ts spread them into their `engine` section. */
export const END_REASON_MESSAGES: Readonly<Record<Language, EndReasonMessages>> = {
  en: EN,
  ko: {
    exited: '종료 코드 {{code}}',
    exitedNotFound: '종료 코드 {{code}} (명령을 찾을 수 없음)',
    killedBy: '{{signal}} 신호로 종료됨',
    cancelled: '사용자가 취소함',
    timedOut: '{{after}} 후 시간 초과',
    memoryLimit: '메모리 한도를 넘었습니다: {{used}} MB > {{limit}} MB',
    cpuLimit: 'CPU 시간 한도를 넘었습니다: {{used}}초 > {{limit}}초',
    interrupted: '실행 중에 Taskdeck이 멈췄습니다',
    workerLost: '실행하던 워커와 연결이 끊겼습니다',
    workerLostNamed: '워커 {{worker}}와(과) 연결이 끊겼습니다',
    workerLoss: {
      lockExpired: '워커 {{worker}}와(과) 연결이 끊겼습니다: 작업 잠금이 만료되었습니다 (워커가 종료되었거나, 연결이 끊겼거나, 잠금 시간보다 오래 멈춰 있었습니다). {{noticedBy}}이(가) 발견함',
      lockExpiredUnreported: '워커 {{worker}}와(과) 연결이 끊겼습니다: 작업 잠금이 만료되었고 {{group}} 그룹의 살아 있는 워커 중 아무도 알리지 않았습니다',
      jobGone: 'Redis에서 BullMQ 작업이 사라졌습니다 (다른 누군가가 지웠거나 Redis가 데이터를 잃었습니다)',
      stalled: '워커 {{worker}}와(과) 연결이 끊겼습니다: {{message}}',
      shutDown: '실행이 끝나기 전에 워커 {{worker}}이(가) 종료되었습니다',
      unwatched: 'Taskdeck이 {{queue}}에서 이 실행을 더 이상 지켜보지 않습니다. 워커에서 아직 실행 중일 수 있습니다',
      redisUnreachable: 'Redis에 다시 연결되기 전에 Taskdeck이 닫혔습니다',
  },
    unknownWorker: '(알 수 없음)',
    dependencyGone: '선행 작업 #{{id}}이(가) 더 이상 없습니다',
    dependencyEnded: '선행 작업 #{{id}}이(가) {{status}}',
    dependencyStatus: { failed: '실패했습니다', cancelled: '취소되었습니다', timed_out: '시간 초과되었습니다', interrupted: '중단되었습니다' },
    because: '{{what}}: {{why}}',
    cwdMissing: '작업 디렉터리가 없습니다: {{cwd}}',
    executableNotFound: '실행 파일을 찾을 수 없습니다: {{file}}',
    permissionDenied: '권한이 없습니다: {{file}}',
    spawnFailed: '{{file}}을(를) 시작할 수 없습니다: {{message}}',
    httpFailed: '요청 {{total}}개 중 {{failed}}개 실패. 첫 실패: {{method}} {{url}}: {{error}}',
    httpStatus: 'HTTP {{status}}',
    httpStopped: '요청 {{total}}개 중 {{notRun}}개를 실행하지 않고 멈췄습니다',
    httpBatchError: '일괄 요청을 실행할 수 없습니다: {{message}}',
    scriptStopped: '스크립트가 끝나기 전에 멈췄습니다',
    scriptCrashed: '스크립트 때문에 워커가 비정상 종료되었습니다: {{message}}',
    scriptWorkerExited: '스크립트 워커가 종료 코드 {{code}}(으)로 끝났습니다',
    scriptRunnerClosed: '스크립트 실행기가 닫혔습니다',
    noRunner: '이 프로세스에는 {{kind}} 작업 실행기가 없습니다',
    enqueueFailed: '{{queue}}에 작업을 넣을 수 없습니다: {{message}}',
    outcomeLost: '워커가 작업을 마쳤지만 결과를 잃어버렸습니다',
    startNotRecorded: '실행 시작을 기록할 수 없습니다: {{message}}',
    runnerFailed: '실행기 오류: {{message}}',
  },
}
