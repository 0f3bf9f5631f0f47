import type { EndReason, EndReasonKind, LoopState, WorkerLoss } from '../../src-shared/index.ts'

/** One reason of every kind, each with the English sentence the engine has always written for it. */
export const END_REASON_SAMPLES: { [K in EndReasonKind]: [Extract<EndReason, { kind: K }>, string] } = {
  exited: [{ kind: 'exited', code: 3, commandNotFound: false }, 'exited with code 3'],
  killed: [{ kind: 'killed', signal: 'SIGKILL' }, 'killed by SIGKILL'],
  cancelled: [{ kind: 'cancelled' }, 'cancelled by user'],
  'timed-out': [{ kind: 'timed-out', afterMs: 20_000 }, 'timed out after 20 s'],
  'memory-limit': [{ kind: 'memory-limit', usedBytes: 612 * 2 ** 20, limitBytes: 512 * 2 ** 20 }, 'exceeded its memory limit: 612 MB > 512 MB'],
  'cpu-limit': [{ kind: 'cpu-limit', cpuSeconds: 60.04, limitSeconds: 60 }, 'exceeded its CPU limit: 60.04 s > 60 s'],
  interrupted: [{ kind: 'interrupted' }, 'Taskdeck stopped while this run was running'],
  'worker-lost': [{ kind: 'worker-lost', worker: null, cause: null }, 'the worker running it was lost'],
  'dependency-missing': [{ kind: 'dependency-missing', taskId: 7 }, 'dependency #7 no longer exists'],
  'dependency-ended': [
    { kind: 'dependency-ended', taskId: 3, status: 'timed_out', cause: { kind: 'timed-out', afterMs: 5000 } },
    'dependency #3 timed out: timed out after 5 s',
  ],
  'cwd-missing': [{ kind: 'cwd-missing', cwd: '/nope' }, 'working directory does not exist: /nope'],
  'executable-not-found': [{ kind: 'executable-not-found', file: 'frobnicate' }, 'executable not found: frobnicate'],
  'permission-denied': [{ kind: 'permission-denied', file: '/tmp/x.sh' }, 'permission denied: /tmp/x.sh'],
  'spawn-failed': [{ kind: 'spawn-failed', file: 'sh', message: 'spawn E2BIG' }, 'could not start sh: spawn E2BIG'],
  'http-failed': [
    { kind: 'http-failed', failed: 2, total: 10, first: { method: 'GET', url: 'http://127.0.0.1:9/a', status: 500, error: null } },
    '2 of 10 requests failed; first: GET http://127.0.0.1:9/a: HTTP 500',
  ],
  'http-stopped': [{ kind: 'http-stopped', notRun: 4, total: 10 }, 'stopped with 4 of 10 requests not run'],
  'http-batch-error': [{ kind: 'http-batch-error', message: 'EACCES: /srv' }, 'could not run the batch: EACCES: /srv'],
  'script-error': [{ kind: 'script-error', message: 'boom at step 3' }, 'boom at step 3'],
  'script-stopped': [{ kind: 'script-stopped' }, 'stopped before the script finished'],
  'script-crashed': [{ kind: 'script-crashed', message: 'ERR_WORKER_OUT_OF_MEMORY' }, 'the script crashed its worker: ERR_WORKER_OUT_OF_MEMORY'],
  'script-worker-exited': [{ kind: 'script-worker-exited', exitCode: 3 }, "the script's worker exited with code 3"],
  'script-runner-closed': [{ kind: 'script-runner-closed' }, 'the script runner is closed'],
  'no-runner': [{ kind: 'no-runner', taskKind: 'http' }, 'this process has no runner for http tasks'],
  'enqueue-failed': [{ kind: 'enqueue-failed', queue: 'redis://h:6379', message: 'WRONGTYPE' }, 'could not enqueue on redis://h:6379: WRONGTYPE'],
  'outcome-lost': [{ kind: 'outcome-lost' }, 'the worker finished the job but its outcome was lost'],
  'start-not-recorded': [{ kind: 'start-not-recorded', message: 'Error: SQLITE_FULL' }, 'could not record the start: Error: SQLITE_FULL'],
  'runner-failed': [{ kind: 'runner-failed', message: 'TypeError: x' }, 'runner failed: TypeError: x'],
  message: [{ kind: 'message', text: 'an older worker said so' }, 'an older worker said so'],
}

/** More reasons worth saying: the variants inside a kind. */
export const MORE_END_REASONS: [EndReason, string][] = [
  [{ kind: 'exited', code: 127, commandNotFound: true }, 'exited with code 127 (command not found)'],
  [{ kind: 'timed-out', afterMs: 1500 }, 'timed out after 1500 ms'],
  [{ kind: 'worker-lost', worker: 'host:1:a', cause: null }, 'worker host:1:a lost'],
  [{ kind: 'dependency-ended', taskId: 2, status: 'cancelled', cause: null }, 'dependency #2 cancelled'],
  [
    { kind: 'dependency-ended', taskId: 4, status: 'failed', cause: { kind: 'dependency-ended', taskId: 3, status: 'failed', cause: { kind: 'exited', code: 1, commandNotFound: false } } },
    'dependency #4 failed: dependency #3 failed: exited with code 1',
  ],
  [
    { kind: 'http-failed', failed: 1, total: 1, first: { method: 'POST', url: 'http://127.0.0.1:9/b', status: null, error: 'connection refused by 127.0.0.1:9' } },
    '1 of 1 requests failed; first: POST http://127.0.0.1:9/b: connection refused by 127.0.0.1:9',
  ],
]

/** Every way a worker can be lost, with the English the engine writes for it (worker "host:1:a"). */
export const WORKER_LOSS_SAMPLES: { [K in WorkerLoss['kind']]: [Extract<WorkerLoss, { kind: K }>, string] } = {
  'lock-expired': [
    { kind: 'lock-expired', noticedBy: 'host:2:b' },
    'worker host:1:a lost: its lock expired (the worker was killed, lost its connection, or blocked longer than the lock duration); noticed by host:2:b',
  ],
  'lock-expired-unreported': [{ kind: 'lock-expired-unreported', group: 'gpu' }, 'worker host:1:a lost: its lock expired and no live worker of group gpu reported it'],
  'job-gone': [{ kind: 'job-gone' }, 'its BullMQ job is gone from Redis (removed by someone else, or Redis lost data)'],
  stalled: [{ kind: 'stalled', message: 'job stalled more than allowable limit' }, 'worker host:1:a lost: job stalled more than allowable limit'],
  'shut-down': [{ kind: 'shut-down' }, 'worker host:1:a shut down before the run finished'],
  unwatched: [{ kind: 'unwatched', queue: 'redis://h:6379' }, 'Taskdeck stopped watching this run on redis://h:6379; it may still be running on its worker'],
  'redis-unreachable': [{ kind: 'redis-unreachable' }, 'Taskdeck closed before it reached Redis again'],
}

const AT = Date.UTC(2026, 10, 22, 8, 48, 52)

/** Every loop state of an entry in group "io", with the engine's English detail. */
export const LOOP_STATE_SAMPLES: [LoopState, string][] = [
  [{ kind: 'ready', position: 2 }, 'position 2 in io'],
  [{ kind: 'all-paused' }, 'paused: everything is paused'],
  [{ kind: 'group-paused' }, 'paused: group io is paused'],
  [{ kind: 'group-full', running: 2, parallel: 2 }, 'group limit: io runs 2 of 2'],
  [{ kind: 'waiting', waitingFor: null }, 'waiting'],
  [{ kind: 'waiting', waitingFor: { kind: 'dependency', taskIds: [3, 4] } }, 'dependency: after #3, #4'],
  [{ kind: 'waiting', waitingFor: { kind: 'delay', until: AT } }, 'delay: until 2026-11-22T08:48:52.000Z'],
  [{ kind: 'waiting', waitingFor: { kind: 'backoff', until: AT, attempt: 2 } }, 'backoff: attempt 2 at 2026-11-22T08:48:52.000Z'],
  [{ kind: 'waiting', waitingFor: { kind: 'group-limit', group: 'io' } }, 'group limit: io'],
  [{ kind: 'waiting', waitingFor: { kind: 'paused', scope: 'group' } }, 'paused (group)'],
  [{ kind: 'running', since: AT, pid: 3617 }, 'running since 2026-11-22T08:48:52.000Z · pid 3617'],
  [{ kind: 'paused', since: AT, pid: null }, 'paused since 2026-11-22T08:48:52.000Z'],
  [{ kind: 'finished', status: 'succeeded', endReason: null, delivering: false }, 'succeeded'],
  [{ kind: 'finished', status: 'failed', endReason: { kind: 'exited', code: 3, commandNotFound: false }, delivering: true }, 'delivering · failed: exited with code 3'],
]
