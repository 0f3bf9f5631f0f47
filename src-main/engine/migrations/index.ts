import eventLog from './0001-event-log.ts'
import runProcesses from './0002-run-processes.ts'
import runProcessBoot from './0003-run-process-boot.ts'
import taskIdempotencyKey from './0004-task-idempotency-key.ts'

/** The engine's schema, in order; entry i is version i + 1. Never edit a shipped entry: add one. */
export const ENGINE_MIGRATIONS: readonly string[] = [eventLog, runProcesses, runProcessBoot, taskIdempotencyKey]
