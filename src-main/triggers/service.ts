import { randomUUID } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { Subject, catchError, concatMap, defer, EMPTY, from, share, tap, type Subscription } from 'rxjs'
import {
  TaskdeckError,
  describeIssues,
  refusal,
  isFinished,
  normalizeAccelerator,
  type CommandParams,
  type CommandResult,
  type DurableEvent,
  type EngineEvent,
  type FieldIssue,
  type Firing,
  type FiringCause,
  type SavedTask,
  type Task,
  type SystemEvent,
  type Trigger,
  type TriggerSpec,
  type TriggerCommandName,
  type TriggersDocument,
} from '../../src-shared/index.ts'
import type { Disposable } from '../engine/api.ts'
import type { EngineExtensionHost } from '../engine/host.ts'
import type { DurableEventInput, ProjectInTransaction } from '../engine/store.ts'
import { discoverFolder } from './discover.ts'
import { firingKey } from './keys.ts'
import { missingWatchPath } from './files.ts'
import { loopThrough, describeLoop } from './chains.ts'
import { definitionForFiring, triggerOfLabels, type FiringInput } from './input.ts'
import { firingRequests$, type Clock, type FireOutcome, type FireRequest, type TriggerChange } from './pipeline.ts'
import { nextSlotAfter, upcomingSlots } from './schedule.ts'
import { shortcutBindingsOf, shortcutClash, type ShortcutBinding } from './shortcuts.ts'
import { generateSecret, hashSecret, verifySecret } from './secrets.ts'
import { systemEvents$ } from './system.ts'
import { TRIGGER_MIGRATIONS, TriggerStore, registerMigrationFunctions, type TriggerRecord } from './store.ts'
import { DELIVERY_WINDOW, type DeliveryRecords, type WebhookTarget } from './webhook.ts'

export interface TriggerServiceOptions {
  clock: Clock
  lateToleranceMs: number
  maxTimerMs: number
  shortcutThrottleMs: number
  /** Most completion firings in a row (a task started by one, whose finish starts the next…) before a chain is stopped. */
  maxChainDepth: number
}

/** With nothing to fire, the completion cursor is still written this many events on, so a restart replays little. */
const IDLE_CURSOR_STEP = 1000
/** Missed slots `trigger.catchUp` answers at most (the catch-up itself counts them all). */
const MAX_LISTED_MISSED = 1000
/** Events read per page when catching up. */
const CATCH_UP_PAGE = 2000

/** One handler per trigger command, like the engine's; params arrive validated by the contract. */
export type TriggerCommandHandlers = {
  [N in TriggerCommandName]: (params: CommandParams<N>) => Promise<CommandResult<N>>
}
type Params<N extends TriggerCommandName> = CommandParams<N>

/** Causes whose firings are named by a nonce and kept as an intent while their task is submitted (keys.ts). */
const NAMED_BY_NONCE: ReadonlySet<FiringCause> = new Set(['file', 'shortcut', 'system'])
/** The error of a firing the app stopped in before its task was stored. */
const LOST_BEFORE_SUBMIT = 'Taskdeck stopped while this firing was submitting its task, before the task was stored: nothing was started, and it is not fired again.'

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : JSON.stringify(error))

/** Runs a synchronous handler body so that a refusal it throws arrives as a rejected promise, like every handler's. */
const settle = <T>(body: () => T): Promise<T> => new Promise((resolve) => resolve(body()))

/**
 * A spec as it is kept: a webhook's secret becomes a salted hash (the given secret, a
 * generated one when none is given or `rotate` asks for it, else the `current` hook's), and
 * the secret to answer once, when there is one to tell.
 */
async function keptSpec(spec: TriggerSpec, current: TriggerSpec | null, rotate: boolean): Promise<{ spec: TriggerSpec; secret?: string }> {
  if (spec.kind !== 'webhook') return { spec }
  const { secret: given, secretHash, ...rest } = spec
  if (given !== undefined) return { spec: { ...rest, secretHash: await hashSecret(given) }, secret: given }
  if (secretHash !== undefined) return { spec: { ...rest, secretHash } }
  if (!rotate && current?.kind === 'webhook' && current.secretHash !== undefined) return { spec: { ...rest, secretHash: current.secretHash } }
  const generated = generateSecret()
  return { spec: { ...rest, secretHash: await hashSecret(generated) }, secret: generated }
}

const loopMessage = (loop: string): string => `would start tasks in a loop forever: ${loop}`

/**
 * Whether an imported spec (`kept`, its webhook secret hashed; `given`, as the document has it) is the
 * trigger's `here`: equal, except that a webhook's secret is the same when the document gives the hash
 * it has, or a secret that verified against it (`verified`: the hashes it matched).
 */
function sameSpec(here: TriggerSpec, kept: TriggerSpec, given: TriggerSpec, verified: ReadonlySet<string>): boolean {
  if (here.kind !== 'webhook' || kept.kind !== 'webhook' || given.kind !== 'webhook') return isDeepStrictEqual(here, kept)
  const { secretHash: hash, secret: _mine, ...mine } = here
  const { secretHash: _kept, secret: _theirs, ...theirs } = kept
  if (!isDeepStrictEqual(mine, theirs) || hash === undefined) return false
  return given.secretHash !== undefined ? given.secretHash === hash : verified.has(hash)
}

/** "build (0 3 * * *)", "deploy (webhook)". */
function defaultName(savedTaskName: string, spec: TriggerSpec): string {
  const how =
    spec.kind === 'schedule'
      ? (spec.cron ?? `every ${spec.everyMs} ms`)
      : spec.kind === 'fileWatch'
        ? 'on file change'
        : spec.kind === 'shortcut'
          ? spec.accelerator
          : spec.kind === 'system'
            ? `on ${spec.events.join(', ')}`
            : spec.kind
  return `${savedTaskName} (${how})`.slice(0, 200)
}

/** A trigger as it is first stored: never fired, its schedule and file cursors starting now. */
function newTriggerRecord(id: number, fields: Pick<TriggerRecord, 'name' | 'savedTaskId' | 'spec' | 'paused'>, now: number): TriggerRecord {
  return { id, ...fields, createdAt: now, updatedAt: now, lastFiredAt: null, anchorAt: now, cursorAt: now, fromSeq: 0 }
}

const badRequest = (what: string, issues: FieldIssue[]): TaskdeckError =>
  new TaskdeckError('bad_request', describeIssues(what, issues), { issues })

/**
 * Saved tasks and triggers: their state (in memory, mirrored in the engine's database),
 * the commands that change it, and the one pipeline that turns triggers into tasks.
 * Every change is validated whole before anything is written, and written as the
 * projection of its durable event, so a row and its event are stored together.
 *
 * Memory follows the log's order (see `write`): each change (a command's, or a firing's
 * bookkeeping) is read from memory, checked, placed in the log and applied to memory in
 * one synchronous step, so no change is ever made from an older copy of a trigger, and
 * the last projection of a row is of its newest state.
 */
export class TriggerService {
  private readonly host: EngineExtensionHost
  private readonly store: TriggerStore
  private readonly options: TriggerServiceOptions
  private readonly savedTasks = new Map<number, SavedTask>()
  private readonly records = new Map<number, TriggerRecord>()
  private readonly ids: { savedTask: number; trigger: number; firing: number }
  private readonly changes$ = new Subject<TriggerChange>()
  private readonly presses$ = new Subject<string>()
  private readonly direct$ = new Subject<FireRequest>()
  private readonly watchersReady = new Map<number, Promise<void>>()
  private readonly readyResolvers = new Map<number, () => void>()
  private readonly watchersClosing = new Set<Promise<void>>()
  private readonly shortcutListeners = new Set<(bindings: ShortcutBinding[]) => void>()
  private readonly systemListeners = new Set<(events: ReadonlySet<SystemEvent>) => void>()
  /** The system events some running (not paused) trigger waits for, as last told to `systemListeners`. */
  private watchedSystemEvents: ReadonlySet<SystemEvent> = new Set()
  /** Callers waiting for a firing (run now, webhooks); told at shutdown, never left hanging. */
  private readonly unanswered = new Set<() => void>()
  private readonly subscription: Subscription
  private disposed = false
  /** The firing being served, so shutdown waits for its record to be written. */
  private inFlight: Promise<void> = Promise.resolve()
  private readonly engineEvents$ = new Subject<EngineEvent>()
  private readonly listening: Disposable
  /** The newest durable event the pipeline has seen (its requests, if any, are in `pending`). */
  private observedSeq: number
  /** The completion cursor as last written. */
  private writtenCursor: number
  /** The seq at which a write of the cursor alone was last tried, so a failing one is not retried at every event. */
  private idleWriteTriedAt = 0
  /** Completion requests made and not yet served, oldest first: the cursor stays before the first. */
  private readonly pending: FireRequest[] = []
  /**
   * Tasks found in the replayed log that a completion firing started without recording it (the
   * app stopped in between): by trigger and finish, so the firing is recorded, not repeated.
   */
  private readonly startedUnrecorded = new Map<string, number>()
  /** Unfinished tasks that triggers started (task id → trigger id, by their `trigger:` label), mirrored in the store for a restart. */
  private readonly activeTasks: Map<number, number>
  /** Tasks whose last write to the mirror of `activeTasks` failed: the mirror may say otherwise. */
  private readonly unmirrored = new Set<number>()

  constructor(host: EngineExtensionHost, options: TriggerServiceOptions) {
    this.host = host
    this.options = options
    registerMigrationFunctions(host.db)
    host.migrate('triggers', TRIGGER_MIGRATIONS)
    this.store = new TriggerStore(host.db)
    this.ids = this.store.maxIds()
    for (const savedTask of this.store.loadSavedTasks()) this.savedTasks.set(savedTask.id, savedTask)
    for (const record of this.store.loadTriggers()) this.records.set(record.id, record)
    this.activeTasks = this.store.loadActiveTasks()
    // Brought up to date before any trigger is announced, since a slot may be served at once: the events since the
    // cursor hold what changed while nobody listened (a run the last quit interrupted has finished). The catch-up
    // below sees the same events again and finds nothing left to change.
    this.readEventsSinceCursor((event) => this.trackActiveTask(event))

    this.subscription = firingRequests$({
      triggerChanges$: this.changes$,
      engineEvents$: this.engineEvents$,
      shortcutPresses$: this.presses$,
      direct$: this.direct$,
      // Read from the machine state the engine holds when the first system trigger starts listening, so a first reading is no change.
      systemEvents$: defer(() => systemEvents$(host.machine(), this.engineEvents$)).pipe(share()),
      clock: options.clock,
      lateToleranceMs: options.lateToleranceMs,
      maxTimerMs: options.maxTimerMs,
      shortcutThrottleMs: options.shortcutThrottleMs,
      watcher: {
        onReady: (triggerId) => this.readyResolvers.get(triggerId)?.(),
        onClosed: (_triggerId, closing) => {
          const tracked = closing.catch(() => undefined).finally(() => this.watchersClosing.delete(tracked))
          this.watchersClosing.add(tracked)
        },
      },
    })
      .pipe(
        // Made synchronously as each event passes, so the cursor can never move past a request not yet served.
        tap((request) => {
          if (request.source) this.pending.push(request)
        }),
        concatMap((request) =>
          defer(() => {
            this.inFlight = this.fire(request)
            return from(this.inFlight)
          }).pipe(catchError(() => EMPTY)),
        ),
      )
      .subscribe()
    // Firings the app stopped in while submitting their task: recorded first, before any source fires anew.
    for (const intent of this.store.intents()) {
      this.direct$.next({
        triggerId: intent.triggerId,
        savedTaskId: intent.savedTaskId,
        cause: intent.cause,
        scheduledFor: null,
        input: {},
        detail: intent.detail,
        recover: { key: intent.key, firedAt: intent.firedAt },
      })
    }
    for (const record of this.records.values()) this.announce(record)
    // Catch up from the cursor, then listen from the same turn: nothing missed, nothing twice.
    this.observedSeq = this.writtenCursor = this.store.completionCursor()
    this.readEventsSinceCursor((event) => this.onEngineEvent(event), (page) => page.forEach((event) => this.noteStartedByCompletion(event)))
    this.listening = host.onEvent((event) => this.onEngineEvent(event))
  }

  /** Every durable event after the completion cursor, page by page (`eachPage` sees a page before its events are taken one by one). */
  private readEventsSinceCursor(each: (event: EngineEvent) => void, eachPage?: (page: readonly EngineEvent[]) => void): void {
    let since = this.store.completionCursor()
    for (let page = this.host.readEvents(since, CATCH_UP_PAGE); page.length > 0; page = this.host.readEvents(since, CATCH_UP_PAGE)) {
      eachPage?.(page)
      for (const event of page) each(event)
      since = page[page.length - 1]!.seq
    }
  }

  private onEngineEvent(event: EngineEvent): void {
    this.trackActiveTask(event)
    this.engineEvents$.next(event)
    if (!('seq' in event)) return
    this.observedSeq = event.seq
    if (this.pending.length === 0 && this.observedSeq - Math.max(this.writtenCursor, this.idleWriteTriedAt) >= IDLE_CURSOR_STEP) {
      this.idleWriteTriedAt = this.observedSeq
      this.writeCursor()
    }
  }

  /**
   * Keeps `activeTasks` (and its mirror) up to date from the engine's events: written before
   * the completion cursor can pass the event, so a restart that replays from the cursor
   * sees every change it missed. A failed write only leaves the mirror behind until the
   * task's next event; it must not throw into the engine's announcement of events.
   */
  private trackActiveTask(event: EngineEvent): void {
    const changes: [number, number | null][] =
      event.type === 'task.removed'
        ? event.taskIds.map((id) => [id, null])
        : event.type === 'task.created' || event.type === 'task.updated'
          ? [[event.task.id, isFinished(event.task.status) ? null : triggerOfLabels(event.task.definition.labels)]]
          : []
    for (const [taskId, triggerId] of changes) {
      if ((this.activeTasks.get(taskId) ?? null) === triggerId && !this.unmirrored.has(taskId)) continue
      try {
        if (triggerId === null) this.store.removeActiveTask(taskId)
        else this.store.addActiveTask(taskId, triggerId)
        this.unmirrored.delete(taskId)
      } catch {
        // Written again at the task's next event, even one that changes nothing here.
        this.unmirrored.add(taskId)
      }
      if (triggerId === null) this.activeTasks.delete(taskId)
      else this.activeTasks.set(taskId, triggerId)
    }
  }

  /** Remembers a replayed task that a completion trigger started, by the labels `definitionForFiring` gave it. */
  private noteStartedByCompletion(event: EngineEvent): void {
    if (event.type !== 'task.created') return
    const labels = event.task.definition.labels
    const key = labels.find((l) => l.startsWith('after-run:') || l.startsWith('after-task:'))
    if (key === undefined) return
    for (const label of labels) {
      if (label.startsWith('trigger:')) this.startedUnrecorded.set(`${label.slice('trigger:'.length)}|${key}`, event.task.id)
    }
  }

  /** Every finish at or before this seq has been served: the first unserved request's event is not. */
  private safeCursor(): number {
    return this.pending.length > 0 ? this.pending[0]!.source!.seq - 1 : this.observedSeq
  }

  /**
   * A write of its own (one row), for when nothing fires: at most every IDLE_CURSOR_STEP
   * events, and at shutdown. A failed write (the database busy or closed) only leaves the
   * cursor behind, which costs a longer replay, never a lost or doubled firing; it must not
   * throw into the engine's announcement of events.
   */
  private writeCursor(): void {
    const cursor = this.safeCursor()
    if (cursor <= this.writtenCursor) return
    try {
      this.store.advanceCompletionCursor(cursor)
      this.writtenCursor = cursor
    } catch {
      // Tried again IDLE_CURSOR_STEP events later, or written with the next firing.
    }
  }

  readonly commands: TriggerCommandHandlers = {
    'savedTask.list': () => settle(() => ({ savedTasks: [...this.savedTasks.values()] })),
    'savedTask.create': async ({ name, definition }: Params<'savedTask.create'>) => {
      const now = this.options.clock.now()
      const savedTask: SavedTask = { id: ++this.ids.savedTask, name, definition, createdAt: now, updatedAt: now }
      await this.putSavedTask(savedTask)
      return { savedTask }
    },
    'savedTask.update': async ({ savedTaskId, name, definition }: Params<'savedTask.update'>) => {
      const current = this.savedTaskOrThrow(savedTaskId, 'savedTaskId')
      const savedTask: SavedTask = {
        ...current,
        name: name ?? current.name,
        definition: definition ?? current.definition,
        updatedAt: this.options.clock.now(),
      }
      this.checkSavedTaskChange(savedTask)
      await this.putSavedTask(savedTask)
      return { savedTask }
    },
    'savedTask.remove': async ({ savedTaskId }: Params<'savedTask.remove'>) => {
      this.savedTaskOrThrow(savedTaskId, 'savedTaskId')
      const users = [...this.records.values()].filter(
        (r) => r.savedTaskId === savedTaskId || (r.spec.kind === 'completion' && r.spec.afterSavedTaskId === savedTaskId),
      )
      if (users.length > 0) {
        throw refusal(
          'saved-task-in-use',
          `Saved task ${savedTaskId} is used by trigger${users.length > 1 ? 's' : ''} ${users.map((r) => `${r.id} "${r.name}"`).join(', ')}; remove those first.`,
          { savedTaskId, triggers: users.map((r) => ({ id: r.id, name: r.name })) },
          { triggerIds: users.map((r) => r.id) },
        )
      }
      await this.write(
        { type: 'savedTask.removed', savedTaskId },
        () => {
          this.store.removeSavedTask(savedTaskId)
          this.store.keepHighestIds(this.ids)
        },
        () => this.savedTasks.delete(savedTaskId),
      )
      return {}
    },
    'savedTask.run': async ({ savedTaskId, payload, idempotencyKey }: Params<'savedTask.run'>) => {
      this.savedTaskOrThrow(savedTaskId, 'savedTaskId')
      const outcome = await this.request({
        triggerId: null,
        savedTaskId,
        cause: 'manual',
        scheduledFor: null,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        input: payload === undefined ? {} : { payload },
        detail: {},
      })
      if (outcome.refused) throw outcome.refused
      if (!outcome.task) throw outcome.error instanceof TaskdeckError ? outcome.error : new TaskdeckError('internal', outcome.firing.error ?? 'not started')
      return { task: outcome.task, firing: outcome.firing, ...(outcome.duplicate ? { duplicate: true } : {}) }
    },
    'savedTask.discover': ({ folder }: Params<'savedTask.discover'>) => settle(() => ({ candidates: discoverFolder(folder) })),
    'savedTask.importFolder': async ({ folder, names }: Params<'savedTask.importFolder'>) => {
      const candidates = discoverFolder(folder)
      const offered = new Set(candidates.map((c) => c.name))
      const offers = offered.size === 0 ? 'nothing' : [...offered].map((name) => `"${name}"`).join(', ')
      const unknown = (names ?? []).flatMap((name, index) => (offered.has(name) ? [] : [{ path: `names.${index}`, message: `${folder} offers no task "${name}" (it offers ${offers})` }]))
      if (unknown.length > 0) throw badRequest('folder import', unknown)
      const chosen = names ? candidates.filter((c) => names.includes(c.name)) : candidates
      const now = this.options.clock.now()
      // Importing a folder again adds only what is new: a task saved before with the same name and definition is answered as it is.
      const existing = [...this.savedTasks.values()]
      const savedTasks = chosen.map(
        (c): SavedTask =>
          existing.find((s) => s.name === c.name && isDeepStrictEqual(s.definition, c.definition)) ?? {
            id: ++this.ids.savedTask,
            name: c.name,
            definition: c.definition,
            createdAt: now,
            updatedAt: now,
          },
      )
      const added = savedTasks.filter((savedTask) => !this.savedTasks.has(savedTask.id))
      // Placed in one turn, so the engine group-commits them together (one transaction up to its batch size).
      await Promise.all(added.map((savedTask) => this.putSavedTask(savedTask)))
      return { savedTasks }
    },
    'trigger.list': ({ savedTaskId }: Params<'trigger.list'>) =>
      settle(() => ({
        triggers: [...this.records.values()].filter((r) => savedTaskId === undefined || r.savedTaskId === savedTaskId).map((r) => this.view(r)),
      })),
    'trigger.get': ({ triggerId, historyLimit }: Params<'trigger.get'>) =>
      settle(() => {
        const record = this.recordOrThrow(triggerId)
        const upcoming =
          record.spec.kind === 'schedule' && !record.paused
            ? upcomingSlots(record.spec, record.anchorAt, Math.max(record.cursorAt, this.options.clock.now()), 5)
            : []
        return { trigger: this.view(record), history: this.store.history(triggerId, historyLimit), upcoming }
      }),
    'trigger.create': async ({ trigger: input, savedTask: newSavedTask }: Params<'trigger.create'>) => {
      const { spec, secret } = await keptSpec(input.spec, null, false)
      const now = this.options.clock.now()
      // A new saved task is checked with the trigger under the id it would get, and takes that id only once both are valid.
      const savedTask: SavedTask | null = newSavedTask ? { id: this.ids.savedTask + 1, ...newSavedTask, createdAt: now, updatedAt: now } : null
      // The contract gives one of the two.
      const savedTaskId = savedTask?.id ?? input.savedTaskId ?? 0
      this.checkTrigger({ name: input.name, savedTaskId, spec }, null, 'trigger', savedTask)
      const name = input.name ?? defaultName(savedTask?.name ?? this.savedTasks.get(savedTaskId)?.name ?? `saved task ${savedTaskId}`, spec)
      if (savedTask) this.ids.savedTask = savedTask.id
      const record = newTriggerRecord(++this.ids.trigger, { name, savedTaskId, spec, paused: input.paused }, now)
      // Placed in one turn, the saved task first: committed together.
      const [, trigger] = await Promise.all([savedTask ? this.putSavedTask(savedTask) : null, this.putTrigger(record, true)])
      return { trigger, ...(secret === undefined ? {} : { secret }), ...(savedTask ? { savedTask } : {}) }
    },
    'trigger.update': async ({ triggerId, trigger: input, rotateSecret }: Params<'trigger.update'>) => {
      this.recordOrThrow(triggerId)
      if (rotateSecret && input.spec.kind !== 'webhook') throw badRequest('trigger update', [{ path: 'rotateSecret', message: 'applies to webhook triggers only' }])
      if (rotateSecret && input.spec.kind === 'webhook' && (input.spec.secret !== undefined || input.spec.secretHash !== undefined)) {
        throw badRequest('trigger update', [{ path: 'rotateSecret', message: 'generates a new secret: do not also give secret or secretHash' }])
      }
      const { spec, secret } = await keptSpec(input.spec, this.recordOrThrow(triggerId).spec, rotateSecret ?? false)
      // Read again after hashing: the trigger may have changed (or gone) meanwhile.
      const current = this.recordOrThrow(triggerId)
      this.checkTrigger({ name: input.name ?? current.name, savedTaskId: input.savedTaskId, spec }, triggerId, 'trigger')
      const now = this.options.clock.now()
      // A changed schedule starts afresh: slots of the old one are not "missed" by the new one.
      const record: TriggerRecord = {
        ...current,
        name: input.name ?? current.name,
        savedTaskId: input.savedTaskId,
        spec,
        paused: input.paused ?? current.paused,
        updatedAt: now,
        anchorAt: now,
        cursorAt: now,
      }
      return { trigger: await this.putTrigger(record, true), ...(secret === undefined ? {} : { secret }) }
    },
    'trigger.remove': async ({ triggerId }: Params<'trigger.remove'>) => {
      const record = this.recordOrThrow(triggerId)
      await this.write(
        { type: 'trigger.removed', triggerId },
        () => {
          this.store.removeTrigger(triggerId)
          this.store.keepHighestIds(this.ids)
        },
        () => {
          this.records.delete(triggerId)
          this.watchersReady.delete(triggerId)
          this.changes$.next({ removed: triggerId })
          if (record.spec.kind === 'shortcut') this.shortcutsChanged()
          this.systemEventsChanged()
        },
      )
      return {}
    },
    'trigger.pause': async ({ triggerId }: Params<'trigger.pause'>) => {
      const current = this.recordOrThrow(triggerId)
      if (current.paused) return { trigger: this.view(current) }
      return { trigger: await this.putTrigger({ ...current, paused: true, updatedAt: this.options.clock.now() }) }
    },
    'trigger.resume': async ({ triggerId }: Params<'trigger.resume'>) => {
      const current = this.recordOrThrow(triggerId)
      if (!current.paused) return { trigger: this.view(current) }
      const now = this.options.clock.now()
      // Slots that passed while paused were not missed: the user asked for them not to run.
      return { trigger: await this.putTrigger({ ...current, paused: false, updatedAt: now, cursorAt: now }, true) }
    },
    'trigger.catchUp': async ({ triggerId, from }: Params<'trigger.catchUp'>) => {
      const current = this.recordOrThrow(triggerId)
      const spec = current.spec
      const now = this.options.clock.now()
      const refuse = (path: string, message: string): never => {
        throw badRequest('catch-up', [{ path, message }])
      }
      // What the trigger is now does not allow it: a conflict, told as a sentence.
      if (spec.kind !== 'schedule') throw refusal('catch-up-not-schedule', `Trigger ${triggerId} is a ${spec.kind} trigger; only schedules have slots to catch up.`, { triggerId, kind: spec.kind })
      if (current.paused) throw refusal('catch-up-paused', `Trigger ${triggerId} is paused; resume it first.`, { triggerId })
      if (spec.catchUp === 'skip') throw refusal('catch-up-skip', `Trigger ${triggerId} has catch-up "skip", which only records missed slots; set it to "once" or "all" first.`, { triggerId })
      // Its caught-up slots would all be recorded as skipped (see `request`), not run: say so instead.
      if (spec.overlap === 'skip') {
        const unfinished = [...this.activeTasks].filter(([, activeFor]) => activeFor === triggerId).map(([taskId]) => taskId)
        if (unfinished.length > 0) {
          throw refusal(
            'catch-up-unfinished',
            `Task ${unfinished.join(', ')} of trigger ${triggerId} has not finished; its overlap is "skip" (one at a time), so its missed slots would only be recorded as skipped. Catch up once it has finished.`,
            { triggerId, unfinished },
          )
        }
      }
      if (from >= now) return refuse('from', 'must be in the past')
      // An interval's slots lie on its grid (anchor + k × every): move the anchor back by whole steps, keeping the grid.
      const anchorAt = spec.everyMs !== undefined && from < current.anchorAt ? current.anchorAt - Math.ceil((current.anchorAt - from) / spec.everyMs) * spec.everyMs : current.anchorAt
      const cursorAt = Math.min(from, current.cursorAt)
      const missed = upcomingSlots(spec, anchorAt, cursorAt, MAX_LISTED_MISSED).filter((slot) => slot <= now)
      if (missed.length === 0) return refuse('from', `no slot of this schedule falls between ${new Date(from).toISOString()} and now`)
      // Starts afresh (a new `fromSeq`): its slots run again as new firings, not as the ones already served (firingKey).
      const trigger = await this.putTrigger({ ...current, anchorAt, cursorAt, updatedAt: now }, true)
      return { trigger, missed }
    },
    'trigger.fire': async ({ triggerId, payload, idempotencyKey }: Params<'trigger.fire'>) => {
      const record = this.recordOrThrow(triggerId)
      const outcome = await this.request({
        triggerId,
        savedTaskId: record.savedTaskId,
        cause: 'manual',
        scheduledFor: null,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        input: payload === undefined ? {} : { payload },
        detail: {},
      })
      if (outcome.refused) throw outcome.refused
      return { firing: outcome.firing, ...(outcome.duplicate ? { duplicate: true } : {}) }
    },
    'trigger.export': () =>
      settle(
        (): TriggersDocument => ({
          format: 'taskdeck-triggers',
          version: 1,
          exportedAt: this.options.clock.now(),
          savedTasks: [...this.savedTasks.values()].map(({ id, name, definition }) => ({ id, name, definition })),
          triggers: [...this.records.values()].map(({ id, name, savedTaskId, spec, paused }) => ({ id, name, savedTaskId, spec, paused })),
        }),
      ),
    'trigger.import': async ({ document }: Params<'trigger.import'>) => this.importDocument(document),
  }

  /**
   * Adds what the document holds that is not here yet. A saved task is already here when one
   * has its name and definition; a trigger, when one has its name, (mapped) saved task and
   * spec, paused or not (a webhook's secret by its exported hash, or by the secret a
   * hand-written document gives). What is here is answered with `existed: true` and its id,
   * and neither stored again nor checked again (a shortcut it binds is its own), so a second
   * import of one export adds nothing.
   */
  private async importDocument(given: TriggersDocument): Promise<CommandResult<'trigger.import'>> {
    const issues: FieldIssue[] = []
    // Exports carry each hook's hash; a hand-written document may give a secret, kept as a hash from here on.
    const specs = await Promise.all(given.triggers.map((t) => keptSpec(t.spec, null, false)))
    // A hand-written hook's secret, checked (scrypt, so before the synchronous step below) against the hooks here of its name.
    const secretMatches = await Promise.all(
      given.triggers.map(async (t) => {
        const secret = t.spec.kind === 'webhook' ? t.spec.secret : undefined
        if (secret === undefined) return new Set<string>()
        const name = t.name ?? defaultName(given.savedTasks.find((s) => s.id === t.savedTaskId)?.name ?? '', t.spec)
        const hashes = [...this.records.values()].flatMap((r) => (r.name === name && r.spec.kind === 'webhook' && r.spec.secretHash !== undefined ? [r.spec.secretHash] : []))
        const verified = await Promise.all(hashes.map(async (hash) => ((await verifySecret(secret, hash)) ? [hash] : [])))
        return new Set(verified.flat())
      }),
    )
    const document = { ...given, triggers: given.triggers.map((t, i) => ({ ...t, spec: specs[i]!.spec })) }
    for (const [index, trigger] of given.triggers.entries()) {
      if (trigger.spec.kind === 'webhook' && trigger.spec.secret === undefined && trigger.spec.secretHash === undefined) {
        issues.push({ path: `document.triggers.${index}.spec.secretHash`, message: 'is required: give the hook’s secretHash (as exported) or a secret' })
      }
    }
    const docSavedIds = new Set<number>()
    for (const [index, saved] of document.savedTasks.entries()) {
      if (docSavedIds.has(saved.id)) issues.push({ path: `document.savedTasks.${index}.id`, message: `id ${saved.id} appears twice` })
      docSavedIds.add(saved.id)
    }
    const docTriggerIds = new Set<number>()
    for (const [index, trigger] of document.triggers.entries()) {
      const at = `document.triggers.${index}`
      if (docTriggerIds.has(trigger.id)) issues.push({ path: `${at}.id`, message: `id ${trigger.id} appears twice` })
      docTriggerIds.add(trigger.id)
      if (!docSavedIds.has(trigger.savedTaskId)) {
        issues.push({ path: `${at}.savedTaskId`, message: `saved task ${trigger.savedTaskId} is not in the document` })
      }
      const spec = trigger.spec
      if (spec.kind === 'completion' && spec.afterSavedTaskId !== undefined && !docSavedIds.has(spec.afterSavedTaskId)) {
        issues.push({ path: `${at}.spec.afterSavedTaskId`, message: `saved task ${spec.afterSavedTaskId} is not in the document` })
      }
    }

    // What is already here, and ids for the rest: taken from the counters only once everything is valid.
    const now = this.options.clock.now()
    const ids = { ...this.ids }
    // The saved tasks here that each of the document's is (its name and definition; several may be).
    const alike = new Map<number, Set<number>>()
    for (const saved of document.savedTasks) {
      const same = [...this.savedTasks.values()].filter((s) => s.name === saved.name && isDeepStrictEqual(s.definition, saved.definition))
      alike.set(saved.id, new Set(same.map((s) => s.id)))
    }
    // A trigger here is the document's when its saved task (and, for a chain, the one it follows) is one of those.
    const presentTriggers = document.triggers.map((trigger, index) => {
      const docSaved = document.savedTasks.find((s) => s.id === trigger.savedTaskId)
      if (!docSaved) return undefined
      const name = trigger.name ?? defaultName(docSaved.name, trigger.spec)
      const after = (spec: TriggerSpec) => (spec.kind === 'completion' ? spec.afterSavedTaskId : undefined)
      return [...this.records.values()].find((r) => {
        const [mine, theirs] = [after(r.spec), after(trigger.spec)]
        // The document's ids are its own: compared through the saved tasks here that each is.
        const follows = theirs === undefined ? mine === undefined : mine !== undefined && (alike.get(theirs)?.has(mine) ?? false)
        const withoutAfter = (spec: TriggerSpec): TriggerSpec => (spec.kind === 'completion' ? { ...spec, afterSavedTaskId: undefined } : spec)
        return (
          r.name === name &&
          (alike.get(trigger.savedTaskId)?.has(r.savedTaskId) ?? false) &&
          follows &&
          sameSpec(withoutAfter(r.spec), withoutAfter(trigger.spec), given.triggers[index]!.spec, secretMatches[index]!)
        )
      })
    })
    // Each saved task of the document is the one here its triggers found, else one alike (the same id first), else new.
    const savedIdMap = new Map<number, { id: number; existed: boolean }>()
    const savedTasks: SavedTask[] = []
    for (const saved of document.savedTasks) {
      const usedBy = document.triggers.flatMap((t, index) => (t.savedTaskId === saved.id && presentTriggers[index] ? [presentTriggers[index].savedTaskId] : []))
      const candidates = alike.get(saved.id)!
      const present = usedBy[0] ?? (candidates.has(saved.id) ? saved.id : [...candidates][0])
      if (present !== undefined) {
        savedIdMap.set(saved.id, { id: present, existed: true })
        continue
      }
      // Twice in the document: saved once.
      const twin = savedTasks.find((s) => s.name === saved.name && isDeepStrictEqual(s.definition, saved.definition))
      const savedTask: SavedTask = twin ?? { id: ++ids.savedTask, name: saved.name, definition: saved.definition, createdAt: now, updatedAt: now }
      if (!twin) savedTasks.push(savedTask)
      savedIdMap.set(saved.id, { id: savedTask.id, existed: false })
    }
    const allSaved = new Map(this.savedTasks)
    for (const savedTask of savedTasks) allSaved.set(savedTask.id, savedTask)
    const triggerIdMap: { from: number; to: number; existed?: true }[] = []
    const records: TriggerRecord[] = []
    const accelerators = new Map<string, number>()
    for (const [index, trigger] of document.triggers.entries()) {
      const at = `document.triggers.${index}`
      const present = presentTriggers[index]
      if (present) {
        triggerIdMap.push({ from: trigger.id, to: present.id, existed: true })
        continue
      }
      const after = trigger.spec.kind === 'completion' && trigger.spec.afterSavedTaskId !== undefined ? savedIdMap.get(trigger.spec.afterSavedTaskId) : null
      const spec = trigger.spec.kind === 'completion' && after ? { ...trigger.spec, afterSavedTaskId: after.id } : trigger.spec
      const savedTaskId = savedIdMap.get(trigger.savedTaskId)?.id
      if (spec.kind === 'shortcut') {
        const other = accelerators.get(spec.accelerator)
        if (other !== undefined) issues.push({ path: `${at}.spec.accelerator`, message: `${spec.accelerator} is also bound by trigger ${other} in the document` })
        accelerators.set(spec.accelerator, trigger.id)
      }
      issues.push(...this.environmentIssues(spec, null, at))
      // A reference outside the document (refused above) leaves only the checks above to tell.
      if (savedTaskId === undefined || after === undefined) continue
      const name = trigger.name ?? defaultName(allSaved.get(savedTaskId)!.name, spec)
      const record = newTriggerRecord(++ids.trigger, { name, savedTaskId, spec, paused: trigger.paused }, now)
      records.push(record)
      triggerIdMap.push({ from: trigger.id, to: record.id })
    }
    // Told in the document's order, each entry's problems together.
    const order = (path: string): number => Number(/^document\.triggers\.(\d+)/.exec(path)?.[1] ?? -1)
    if (issues.length > 0) throw badRequest('import document', issues.sort((a, b) => order(a.path) - order(b.path)))
    // Loops are checked with the document's new saved tasks and triggers added to those already here.
    const allTriggers = [...this.records.values(), ...records]
    const told = new Set<number>()
    const loops = records.flatMap((record) => {
      // A loop is told once, at the first of its triggers.
      const loop = record.spec.kind === 'completion' && !told.has(record.id) ? loopThrough(allSaved, allTriggers, record.id) : null
      for (const link of loop ?? []) told.add(link.trigger.id)
      const index = triggerIdMap.findIndex((entry) => entry.to === record.id && entry.existed === undefined)
      return loop ? [{ path: `document.triggers.${index}.spec`, message: loopMessage(describeLoop(loop, allSaved, null)) }] : []
    })
    if (loops.length > 0) throw badRequest('import document', loops)
    Object.assign(this.ids, ids)
    // Everything was validated above; placed in one turn, the engine group-commits them together (one transaction up to its batch size).
    await Promise.all([...savedTasks.map((savedTask) => this.putSavedTask(savedTask)), ...records.map((record) => this.putTrigger(record, true))])
    return {
      savedTasks: document.savedTasks.map((s) => {
        const { id, existed } = savedIdMap.get(s.id)!
        return existed ? { from: s.id, to: id, existed } : { from: s.id, to: id }
      }),
      triggers: triggerIdMap,
    }
  }

  /**
   * What the schemas cannot know: references, paths on this machine, clashes, loops of completion triggers.
   * `newSavedTask`: a saved task to be made with the trigger, counted as if it were saved.
   */
  private checkTrigger(
    input: { name?: string | undefined; savedTaskId: number; spec: TriggerSpec },
    exceptTriggerId: number | null,
    at: string,
    newSavedTask: SavedTask | null = null,
  ): void {
    const savedTasks = newSavedTask ? new Map(this.savedTasks).set(newSavedTask.id, newSavedTask) : this.savedTasks
    const issues: FieldIssue[] = []
    if (!savedTasks.has(input.savedTaskId)) issues.push({ path: `${at}.savedTaskId`, message: `saved task ${input.savedTaskId} does not exist` })
    const spec = input.spec
    if (spec.kind === 'completion' && spec.afterSavedTaskId !== undefined && !savedTasks.has(spec.afterSavedTaskId)) {
      issues.push({ path: `${at}.spec.afterSavedTaskId`, message: `saved task ${spec.afterSavedTaskId} does not exist` })
    }
    issues.push(...this.environmentIssues(spec, exceptTriggerId, at))
    if (issues.length === 0) {
      // The id a new trigger is about to get: its tasks will carry that trigger label.
      const id = exceptTriggerId ?? this.ids.trigger + 1
      const candidate = { id, name: input.name ?? 'this trigger', savedTaskId: input.savedTaskId, spec }
      const triggers = [...[...this.records.values()].filter((r) => r.id !== id), candidate]
      // Existing triggers form no loop, so a new one would pass through this trigger.
      const loop = loopThrough(savedTasks, triggers, id)
      if (loop) issues.push({ path: `${at}.spec`, message: loopMessage(describeLoop(loop, savedTasks, exceptTriggerId === null ? id : null)) })
    }
    if (issues.length > 0) throw badRequest(at, issues)
  }

  /** A changed saved task (its labels) must not close a loop of completion triggers through it. */
  private checkSavedTaskChange(savedTask: SavedTask): void {
    const savedTasks = new Map(this.savedTasks).set(savedTask.id, savedTask)
    const triggers = [...this.records.values()]
    // The labels of the tasks it starts changed: a new loop would pass through a completion trigger that starts it.
    for (const trigger of triggers) {
      if (trigger.spec.kind !== 'completion' || trigger.savedTaskId !== savedTask.id) continue
      const loop = loopThrough(savedTasks, triggers, trigger.id)
      const start = loop?.findIndex((link) => link.from === savedTask.id) ?? -1
      if (loop && start >= 0) {
        // Told from the saved task being changed.
        const told = [...loop.slice(start), ...loop.slice(0, start)]
        throw badRequest('saved task', [{ path: 'definition.labels', message: loopMessage(describeLoop(told, savedTasks, null)) }])
      }
    }
  }

  private environmentIssues(spec: TriggerSpec, exceptTriggerId: number | null, at: string): FieldIssue[] {
    if (spec.kind === 'fileWatch') {
      const missing = missingWatchPath(spec)
      if (missing) return [{ path: `${at}.spec.paths.${missing.index}`, message: `${missing.base} does not exist` }]
    }
    if (spec.kind === 'shortcut') {
      const clash = shortcutClash(this.records.values(), spec.accelerator, exceptTriggerId)
      if (clash) return [{ path: `${at}.spec.accelerator`, message: `${spec.accelerator} is already bound to trigger ${clash.id} "${clash.name}"` }]
    }
    return []
  }

  /**
   * Writes one change: `event` takes its place in the log (its seq) and memory changes
   * (`apply`, given the placed event) in the same synchronous step, before the event
   * commits. So memory changes in the log's order, every later change (a command, a
   * firing's bookkeeping) is made from the newest state, and the row's last projection is
   * of that state: a firing under way can no longer write an older copy of its trigger over
   * a pause, a removal or a change. The pipeline hears of a change at once, too: a
   * trigger's old source stops before anything else runs, so a slot that comes due while
   * the change commits is served by one source, not by the old and again by the new.
   *
   * A failed write (the engine then refuses every later one until restarted) reads memory
   * back from the database, which the failed transaction left as it was, and passes the
   * error on: what clients read stays what a restart will find.
   */
  private async write(event: DurableEventInput, project: ProjectInTransaction, apply: (placed: DurableEvent) => void): Promise<DurableEvent> {
    const { event: placed, committed } = this.host.place(event, project)
    apply(placed)
    try {
      await committed
    } catch (error) {
      this.readBack()
      throw error
    }
    return placed
  }

  /** Memory as the database has it, after a failed write; triggers that differ are announced again. */
  private readBack(): void {
    let savedTasks: SavedTask[]
    let records: TriggerRecord[]
    try {
      savedTasks = this.store.loadSavedTasks()
      records = this.store.loadTriggers()
    } catch {
      // The database cannot be read either: memory stays as it is until a restart.
      return
    }
    this.savedTasks.clear()
    for (const savedTask of savedTasks) this.savedTasks.set(savedTask.id, savedTask)
    const stored = new Map(records.map((record) => [record.id, record]))
    for (const id of [...this.records.keys()]) {
      if (stored.has(id)) continue
      this.records.delete(id)
      this.watchersReady.delete(id)
      this.changes$.next({ removed: id })
      this.systemEventsChanged()
    }
    for (const record of stored.values()) {
      if (isDeepStrictEqual(this.records.get(record.id), record)) continue
      this.records.set(record.id, record)
      this.announce(record)
    }
    this.shortcutsChanged()
  }

  private putSavedTask(savedTask: SavedTask): Promise<DurableEvent> {
    return this.write(
      { type: 'savedTask.updated', savedTask },
      () => this.store.putSavedTask(savedTask),
      () => this.savedTasks.set(savedTask.id, savedTask),
    )
  }

  /** `startsAfresh`: created, changed or resumed, so a completion trigger watches finishes from this event on. */
  private async putTrigger(given: TriggerRecord, startsAfresh = false): Promise<Trigger> {
    const view = this.view(given)
    const before = this.records.get(given.id)
    const kept = (seq: number): TriggerRecord => (startsAfresh ? { ...given, fromSeq: seq } : given)
    await this.write(
      { type: 'trigger.updated', trigger: view },
      (_db, event) => this.store.putTrigger(kept(event.seq)),
      (placed) => {
        const record = kept(placed.seq)
        this.records.set(record.id, record)
        this.announce(record)
        if (record.spec.kind === 'shortcut' || before?.spec.kind === 'shortcut') this.shortcutsChanged()
      },
    )
    return view
  }

  /** Restarts the trigger's source in the pipeline; file watchers report when they are watching. */
  private announce(record: TriggerRecord): void {
    if (record.spec.kind === 'fileWatch' && !record.paused) {
      this.watchersReady.set(record.id, new Promise<void>((resolve) => this.readyResolvers.set(record.id, resolve)))
    } else {
      this.watchersReady.delete(record.id)
    }
    this.changes$.next({ record })
    this.systemEventsChanged()
  }

  private view(record: TriggerRecord): Trigger {
    const nextRunAt =
      record.spec.kind === 'schedule' && !record.paused
        ? nextSlotAfter(record.spec, record.anchorAt, Math.max(record.cursorAt, this.options.clock.now()))
        : null
    return {
      id: record.id,
      name: record.name,
      savedTaskId: record.savedTaskId,
      spec: record.spec,
      paused: record.paused,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      lastFiredAt: record.lastFiredAt,
      nextRunAt,
    }
  }

  private savedTaskOrThrow(savedTaskId: number, field: string): SavedTask {
    const saved = this.savedTasks.get(savedTaskId)
    if (!saved) throw refusal('saved-task-not-found', `${field}: saved task ${savedTaskId} does not exist`, { savedTaskId }, { issues: [{ path: field, message: `saved task ${savedTaskId} does not exist` }] })
    return saved
  }

  private recordOrThrow(triggerId: number): TriggerRecord {
    const record = this.records.get(triggerId)
    if (!record) throw refusal('trigger-not-found', `triggerId: trigger ${triggerId} does not exist`, { triggerId }, { issues: [{ path: 'triggerId', message: `trigger ${triggerId} does not exist` }] })
    return record
  }

  private request(request: Omit<FireRequest, 'reply'>): Promise<FireOutcome> {
    if (this.disposed) return Promise.reject(new TaskdeckError('conflict', 'Triggers are shut down.'))
    return new Promise((resolve, reject) => {
      const abandon = (): void => reject(new TaskdeckError('conflict', 'Triggers shut down before this firing was served.'))
      this.unanswered.add(abandon)
      this.direct$.next({
        ...request,
        reply: (outcome) => {
          this.unanswered.delete(abandon)
          resolve(outcome)
        },
      })
    })
  }

  /**
   * Serves one request: submits the saved task (unless the request only records skipped
   * slots), then records the firing, the trigger's new bookkeeping and the completion cursor
   * with one durable `trigger.fired` event. A refused submission is recorded as a failed firing.
   *
   * A firing with a name of its own (a webhook delivery, a schedule slot, a finish: `firingKey`)
   * submits its task with that name as its idempotency key. If the app stopped after such a
   * submit and before the record, the restart meets the same firing again (the sender's retry,
   * the slot caught up, the finish replayed) and records it with the task found by its key
   * (`detail.recovered: true`) instead of starting a second one.
   *
   * Completion requests are served at most once per trigger and finish: one already recorded
   * is dropped (a finish announced again, or replayed), and one whose task was started but not
   * recorded before the app stopped is recorded with that task instead of starting another.
   * A chain longer than `maxChainDepth` is stopped, so a loop that got in some other way ends.
   */
  private async fire(request: FireRequest): Promise<void> {
    try {
      await this.serve(request)
    } finally {
      this.served(request)
    }
  }

  private served(request: FireRequest): void {
    const index = this.pending.indexOf(request)
    if (index >= 0) this.pending.splice(index, 1)
  }

  private async serve(request: FireRequest): Promise<void> {
    const saved = this.savedTasks.get(request.savedTaskId)
    const record = request.triggerId === null ? null : this.records.get(request.triggerId)
    const recover = request.recover
    if (recover && (!saved || record === undefined)) {
      // Its trigger or saved task was removed before the restart: no history to record it in.
      this.forgetIntent(recover.key)
      return
    }
    if (!saved || record === undefined) {
      // Removed while the request waited its turn.
      request.reply?.({ firing: this.orphanFiring(request), task: null, error: new TaskdeckError('not_found', 'The trigger or saved task was removed.') })
      return
    }
    // Made by the trigger's own source before it was paused, and waiting its turn since: once paused, a trigger starts
    // nothing more (as after a restart, when a paused trigger's source does not run). Run now and webhook calls, which a
    // caller waits on, still do.
    if (record?.paused && !recover && request.cause !== 'manual' && request.cause !== 'webhook') return
    let detail = request.detail
    let startedBefore: number | null = null
    let chainStopped: string | null = null
    const completion = request.input.completion
    // A file burst, a press or a system event is named by a nonce of its own, kept as an intent before the submit.
    const nonce = !recover && request.failure === undefined && NAMED_BY_NONCE.has(request.cause) ? randomUUID() : undefined
    // This firing's own name, where it has one: the task it submits carries it, so serving it again finds that task.
    const key =
      recover?.key ??
      request.idempotencyKey ??
      (record ? firingKey(record, { ...request, ...(completion ? { completionKey: completion.key } : {}), ...(nonce === undefined ? {} : { nonce }) }) : null)
    // Names nothing would fire for again: kept as an intent from before the submit to the firing's record, so a restart records it.
    const intentKey = recover?.key ?? (nonce !== undefined || request.idempotencyKey !== undefined ? key : null)
    if (request.source && record && completion) {
      if (this.store.completionFiredFor(record.id, request.source.key)) return
      startedBefore = this.startedUnrecorded.get(`${record.id}|${request.source.key}`) ?? null
      const chainDepth = this.store.chainDepthOf(completion.taskId) + 1
      detail = { ...detail, chainDepth }
      if (chainDepth > this.options.maxChainDepth) {
        chainStopped = `Chain stopped: this would be task ${chainDepth} in a row started by completion triggers (at most ${this.options.maxChainDepth}); do these triggers start each other in a loop? Task ${completion.taskId} finished last.`
      }
    }
    const keyed = startedBefore === null && key !== null && nonce === undefined && request.failure === undefined ? this.host.taskByIdempotencyKey(key) : null
    if (keyed && request.idempotencyKey !== undefined) {
      // "Run now" called again with its key: answered with the task and firing the first call made; a key another request's task carries is refused.
      const earlier = this.store.firingOfTask(request.triggerId, keyed.id)
      if (earlier && earlier.cause === 'manual' && earlier.savedTaskId === saved.id) {
        request.reply?.({ firing: earlier, task: keyed, error: null, duplicate: true })
        return
      }
      const whose = record ? `trigger ${record.id}'s "Run now"` : `saved task ${saved.id}'s "Run now"`
      const refused = refusal(
        'idempotency-key-used',
        `idempotencyKey "${request.idempotencyKey}" was already used for task ${keyed.id}, which ${whose} did not start (or whose firing is no longer in its history); use a new key.`,
        { idempotencyKey: request.idempotencyKey, taskId: keyed.id },
        { issues: [{ path: 'idempotencyKey', message: `already used for task ${keyed.id}, not started by ${whose}` }] },
      )
      request.reply?.({ firing: this.orphanFiring(request), task: null, error: refused, refused })
      return
    }
    if (keyed && recover && this.store.firingOfTask(request.triggerId, keyed.id)) {
      // Recorded already (its intent outlived the record): nothing more to do.
      this.forgetIntent(recover.key)
      return
    }
    if (keyed && record && request.deliveryId !== undefined) {
      // A repeat of a delivery recorded longer ago than its window keeps it: answered with that firing, as within the window.
      const earlier = this.store.firingOfTask(record.id, keyed.id)
      if (earlier) {
        request.reply?.({ firing: earlier, task: null, error: null, duplicate: true })
        return
      }
    }
    // Submitted before the app stopped, and never recorded: recorded now with that task, none started again.
    if (keyed) startedBefore = keyed.id
    // The app stopped before the intent's task was stored: nothing started, and nothing is started now (what fired is gone).
    const lost = recover !== undefined && keyed === null
    if (startedBefore !== null || lost) detail = { ...detail, recovered: true }
    // A slot of a one-at-a-time schedule whose earlier task has not finished starts nothing (the slot's own task, found above, is not earlier).
    const overlapping =
      startedBefore === null && record && record.spec.kind === 'schedule' && record.spec.overlap === 'skip' && (request.cause === 'schedule' || request.cause === 'catch-up')
        ? [...this.activeTasks].filter(([, triggerId]) => triggerId === record.id).map(([taskId]) => taskId)
        : []
    if (overlapping.length > 0 && !request.skipped) detail = { ...detail, stillActive: overlapping }
    const skipped = request.skipped === true || overlapping.length > 0
    const firedAt = recover?.firedAt ?? this.options.clock.now()
    const input: FiringInput = {
      trigger: record ? { id: record.id, name: record.name, kind: record.spec.kind } : null,
      savedTaskId: saved.id,
      cause: request.cause,
      firedAt,
      scheduledFor: request.scheduledFor,
      ...request.input,
    }
    let task: Task | null = null
    let error: unknown = request.failure ?? chainStopped ?? (lost ? LOST_BEFORE_SUBMIT : null)
    if (!skipped && error === null && startedBefore === null && !recover) {
      try {
        if (intentKey !== null) {
          this.store.addIntent({ key: intentKey, triggerId: request.triggerId, savedTaskId: saved.id, firedAt, cause: request.cause, detail })
        }
        task = await this.host.submit(definitionForFiring(saved, input), key === null ? {} : { idempotencyKey: key })
      } catch (caught) {
        error = caught
      }
    }
    const taskId = task?.id ?? startedBefore
    const firing: Firing = {
      id: ++this.ids.firing,
      triggerId: request.triggerId,
      savedTaskId: saved.id,
      firedAt,
      cause: request.cause,
      scheduledFor: request.scheduledFor,
      outcome: skipped ? 'skipped' : taskId !== null ? 'submitted' : 'failed',
      taskId,
      error: error === null ? null : typeof error === 'string' ? error : messageOf(error),
      detail,
    }
    // The trigger may have changed while the task was submitted: from here to the write, in one synchronous step, update what it now is.
    const current = request.triggerId === null ? undefined : this.records.get(request.triggerId)
    const updated = current && {
      ...current,
      lastFiredAt: skipped || request.failure !== undefined || chainStopped !== null || lost ? current.lastFiredAt : Math.max(current.lastFiredAt ?? firedAt, firedAt),
      cursorAt: Math.max(current.cursorAt, request.cursorAt ?? 0),
    }
    // This request is served once its record commits, and the cursor moves with it in the same transaction.
    this.served(request)
    const cursor = this.safeCursor()
    try {
      await this.write(
        { type: 'trigger.fired', firing, trigger: updated ? this.view(updated) : null },
        () => {
          this.store.addFiring(firing)
          if (intentKey !== null) this.store.removeIntent(intentKey)
          if (updated) this.store.putTrigger(updated)
          if (cursor > this.writtenCursor) this.store.advanceCompletionCursor(cursor)
          if (request.deliveryId !== undefined && firing.triggerId !== null && firing.outcome === 'submitted' && firing.error === null) {
            this.store.addDelivery({ triggerId: firing.triggerId, deliveryId: request.deliveryId, at: firedAt, firingId: firing.id, taskId: firing.taskId }, DELIVERY_WINDOW)
          }
        },
        () => {
          if (updated) this.records.set(updated.id, updated)
        },
      )
      this.writtenCursor = Math.max(this.writtenCursor, cursor)
      if (startedBefore !== null && record && request.source) this.startedUnrecorded.delete(`${record.id}|${request.source.key}`)
    } finally {
      request.reply?.({ firing, task, error })
    }
  }

  /** Drops an intent with nothing to record; a failed write leaves it for the next start to look at again. */
  private forgetIntent(key: string): void {
    try {
      this.store.removeIntent(key)
    } catch {
      // Looked at again at the next start, and found the same.
    }
  }

  private orphanFiring(request: FireRequest): Firing {
    return {
      id: ++this.ids.firing,
      triggerId: request.triggerId,
      savedTaskId: request.savedTaskId,
      firedAt: this.options.clock.now(),
      cause: request.cause,
      scheduledFor: request.scheduledFor,
      outcome: 'failed',
      taskId: null,
      error: 'The trigger or saved task was removed.',
      detail: request.detail,
    }
  }

  /** Webhook deliveries that started their task, as the store keeps them across restarts. */
  readonly deliveryRecords: DeliveryRecords = {
    delivery: (triggerId, deliveryId, after) => this.store.delivery(triggerId, deliveryId, after),
  }

  webhookTarget(triggerId: number): WebhookTarget | null {
    const record = this.records.get(triggerId)
    if (!record || record.spec.kind !== 'webhook') return null
    return {
      triggerId,
      spec: record.spec,
      paused: record.paused,
      fire: async ({ bytes, deliveryId, ...webhook }) => {
        const outcome = await this.request({
          triggerId,
          savedTaskId: record.savedTaskId,
          cause: 'webhook',
          scheduledFor: null,
          ...(deliveryId === undefined ? {} : { deliveryId }),
          input: { webhook },
          detail: { bytes, contentType: webhook.contentType },
        })
        const { firing } = outcome
        // Its task was submitted for this delivery before (its record lost when the app stopped, or older than the window): the duplicate it is.
        const duplicate = outcome.duplicate === true || firing.detail.recovered === true
        return { firingId: firing.id, taskId: firing.taskId, error: firing.error, ...(duplicate ? { duplicate: true as const } : {}) }
      },
    }
  }

  shortcutBindings(): ShortcutBinding[] {
    return shortcutBindingsOf(this.records.values())
  }

  onDidChangeShortcuts(listener: (bindings: ShortcutBinding[]) => void): Disposable {
    this.shortcutListeners.add(listener)
    return { dispose: () => void this.shortcutListeners.delete(listener) }
  }

  private shortcutsChanged(): void {
    const bindings = this.shortcutBindings()
    for (const listener of this.shortcutListeners) listener(bindings)
  }

  /**
   * The system events running triggers wait for, told now and on every change of the set: the runtime
   * watches what only a poller can see (the network's reachability, a wake) only while a trigger needs it.
   */
  onDidChangeSystemEvents(listener: (events: ReadonlySet<SystemEvent>) => void): Disposable {
    this.systemListeners.add(listener)
    listener(this.watchedSystemEvents)
    return { dispose: () => void this.systemListeners.delete(listener) }
  }

  private systemEventsChanged(): void {
    const events = new Set<SystemEvent>()
    for (const record of this.records.values()) if (record.spec.kind === 'system' && !record.paused) for (const event of record.spec.events) events.add(event)
    if (events.size === this.watchedSystemEvents.size && [...events].every((event) => this.watchedSystemEvents.has(event))) return
    this.watchedSystemEvents = events
    for (const listener of this.systemListeners) listener(events)
  }

  /** A global shortcut was pressed; true when a trigger is bound to it. */
  pressShortcut(accelerator: string): boolean {
    const normalized = normalizeAccelerator(accelerator)
    if (normalized === null || !this.shortcutBindings().some((b) => b.accelerator === normalized)) return false
    this.presses$.next(normalized)
    return true
  }

  /** Resolves once every file watcher has finished its initial scan. */
  async ready(): Promise<void> {
    await Promise.all(this.watchersReady.values())
  }

  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    this.listening.dispose()
    this.subscription.unsubscribe()
    for (const abandon of this.unanswered) abandon()
    this.unanswered.clear()
    await this.inFlight.catch(() => undefined)
    // Requests dropped above stay pending, so the cursor stops before them and the next start serves them.
    this.writeCursor()
    this.shortcutListeners.clear()
    this.systemListeners.clear()
    await Promise.all(this.watchersClosing)
  }
}
