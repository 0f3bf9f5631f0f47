import type { DatabaseSync } from 'node:sqlite'
import type { DurableEvent, EngineEvent, Task, TaskDefinitionInput } from '../../src-shared/index.ts'
import type { Disposable } from '../engine/api.ts'

// TEMPORARY until the engine branch lands: the engine's EngineExtensionHost as documented.
type DurableEventInput = DurableEvent extends infer E ? (E extends DurableEvent ? Omit<E, 'seq' | 'at'> : never) : never
export interface EngineExtensionHost {
  readonly db: DatabaseSync
  migrate(extension: string, migrations: readonly string[]): void
  append(event: DurableEventInput, project?: (db: DatabaseSync, event: DurableEvent) => void): Promise<DurableEvent>
  submit(definition: TaskDefinitionInput): Promise<Task>
  onEvent(listener: (event: EngineEvent) => void): Disposable
  now(): number
}
