import { filter, groupBy, map, mergeMap, scan, throttleTime, type Observable, type SchedulerLike } from 'rxjs'
import type { EngineEvent, MachineState, SystemEvent, SystemSpec } from '../../src-shared/index.ts'
import { batchBursts } from './bursts.ts'

/** One system event as the machine state told it: what happened, when (engine clock), and for a wake how long it slept, when known. */
export interface SystemOccurrence {
  event: SystemEvent
  at: number
  sleptMs?: number
}

/** The machine-state facts that are states, each with the event its true and its false value fires. */
const STATE_EVENTS = [
  { field: 'onAcPower', ifTrue: 'ac-power', ifFalse: 'battery' },
  { field: 'screenLocked', ifTrue: 'lock', ifFalse: 'unlock' },
  { field: 'online', ifTrue: 'online', ifFalse: 'offline' },
  { field: 'userIdle', ifTrue: 'idle', ifFalse: 'active' },
] as const satisfies readonly { field: keyof MachineState; ifTrue: SystemEvent; ifFalse: SystemEvent }[]

type StateField = (typeof STATE_EVENTS)[number]['field']

/** What was last known of each state (a null between two readings is no reading: true, unknown, true is no change). */
export interface KnownFacts {
  states: Partial<Record<StateField, boolean>>
  wakeAt: number | null
  sleepAt: number | null
}

export function knownFactsOf(machine: MachineState): KnownFacts {
  const states: KnownFacts['states'] = {}
  for (const { field } of STATE_EVENTS) {
    const value = machine[field]
    if (typeof value === 'boolean') states[field] = value
  }
  return { states, wakeAt: machine.lastWake?.at ?? null, sleepAt: machine.lastSleep?.at ?? null }
}

/**
 * The system events between what was known and a new machine state: a state that changed
 * from one known value to the other (a first reading is no event: nothing changed that
 * anyone saw), and a wake or a sleep newer than the last one seen. Pure: the pipeline folds
 * every `machine.updated` through it.
 */
export function systemEventsOf(known: KnownFacts, machine: MachineState): { known: KnownFacts; events: SystemOccurrence[] } {
  const events: SystemOccurrence[] = []
  const states = { ...known.states }
  for (const { field, ifTrue, ifFalse } of STATE_EVENTS) {
    const value = machine[field]
    if (typeof value !== 'boolean') continue
    if (states[field] !== undefined && states[field] !== value) events.push({ event: value ? ifTrue : ifFalse, at: machine.at })
    states[field] = value
  }
  const sleep = machine.lastSleep
  if (sleep && sleep.at !== known.sleepAt) events.push({ event: 'sleep', at: sleep.at })
  const wake = machine.lastWake
  if (wake && wake.at !== known.wakeAt) events.push({ event: 'wake', at: wake.at, ...(wake.sleptMs === null ? {} : { sleptMs: wake.sleptMs }) })
  return { known: { states, wakeAt: wake?.at ?? known.wakeAt, sleepAt: sleep?.at ?? known.sleepAt }, events }
}

/** Every system event in the engine's announcements of the machine, from what it knew at the start (`initial`). */
export function systemEvents$(initial: MachineState, events$: Observable<EngineEvent>): Observable<SystemOccurrence> {
  return events$.pipe(
    filter((event) => event.type === 'machine.updated'),
    scan((state, event) => systemEventsOf(state.known, event.machine), { known: knownFactsOf(initial), events: [] as SystemOccurrence[] }),
    mergeMap((state) => state.events),
  )
}

/** Events of one family settle together: a network that goes off and on again is one change, told by its last state. */
export function familyOf(event: SystemEvent): string {
  for (const { field, ifTrue, ifFalse } of STATE_EVENTS) if (event === ifTrue || event === ifFalse) return field
  return event
}

/** The events that happen at a moment rather than change a state: they fire at once (a sleep will not wait). */
const isMoment = (event: SystemEvent): boolean => event === 'wake' || event === 'sleep'

/** A settled system event of a trigger: what happened, and how many changes of its family it stands for. */
export interface SettledSystemEvent extends SystemOccurrence {
  changes: number
}

/**
 * A system trigger's firings: per family, a state's burst of changes settles `debounceMs` after
 * its last change (a flapping network fires once, with the state it ended in, and only if the
 * trigger names that state's event); a wake or a sleep fires at once, and its repeats within
 * `debounceMs` are dropped.
 */
export function settledSystemEvents(spec: Pick<SystemSpec, 'events' | 'debounceMs'>, scheduler: SchedulerLike) {
  return (occurrences$: Observable<SystemOccurrence>): Observable<SettledSystemEvent> =>
    occurrences$.pipe(
      // Only the families it names: a trigger on `online` settles network changes, and ignores the power.
      filter((occurrence) => spec.events.some((event) => familyOf(event) === familyOf(occurrence.event))),
      groupBy((occurrence) => familyOf(occurrence.event)),
      mergeMap((family$) =>
        isMoment(family$.key as SystemEvent)
          ? family$.pipe(
              throttleTime(spec.debounceMs, scheduler),
              map((occurrence) => ({ ...occurrence, changes: 1 })),
            )
          : family$.pipe(
              // A state that keeps flapping for longer still settles at least this often.
              batchBursts(spec.debounceMs, Math.max(spec.debounceMs * 10, 60_000), scheduler),
              map((burst) => ({ ...burst[burst.length - 1]!, changes: burst.length })),
            ),
      ),
      filter((settled) => spec.events.includes(settled.event)),
    )
}
