import { z } from 'zod'
import { DurableEventSchema, TransientEventSchema, isDurable, type EngineEvent } from './events.ts'
import { PROTOCOL_VERSION } from './protocol.ts'

/**
 * The framing of what a server sends, without the events' contents. The renderer checks
 * it on every message it accepts (docs/architecture.md, "Trust boundaries"): its events
 * come from the engine that also serves its code, so it does not check every field again
 * (that is done where untrusted input enters); it checks that a message is one it understands.
 */
const typesOf = (options: readonly { shape: { type: { value: string } } }[]) => new Set(options.map((option) => option.shape.type.value))
/** Taken from the contract's own schemas, so a new event type is known here as soon as the contract has it. */
export const DURABLE_EVENT_TYPES: ReadonlySet<string> = typesOf(DurableEventSchema.options)
export const TRANSIENT_EVENT_TYPES: ReadonlySet<string> = typesOf(TransientEventSchema.options)

/** A server message's envelope: kind, protocol version and the kind's own framing fields (the events are checked by checkEventFrames). */
export const ServerMessageFrameSchema = z.discriminatedUnion('kind', [
  z.object({ v: z.literal(PROTOCOL_VERSION), kind: z.literal('response'), id: z.int().nonnegative(), result: z.looseObject({ ok: z.boolean() }) }),
  z.object({ v: z.literal(PROTOCOL_VERSION), kind: z.literal('events'), events: z.custom<unknown[]>(Array.isArray, 'not an array') }),
  z.object({ v: z.literal(PROTOCOL_VERSION), kind: z.literal('resync'), since: z.int().nonnegative(), reason: z.string() }),
])

export interface FrameProblem {
  /** What was wrong, naming the event: "event 3 after seq 41: unknown type \"task.exploded\"". */
  message: string
  /** Set when the only problem is a durable event that skips ahead of the sequence. */
  gap: { expected: number; received: number } | null
}

/**
 * Checks each event's frame: an object with a type the contract knows; a durable one with
 * an integer `seq` that continues the sequence after `lastSeq` (with `repeats`, also a seq
 * already delivered, which the subscriber drops: a replay may overlap live events), a
 * transient one without `seq`. `durableOnly` refuses transient events (the event log holds none).
 * Hand-written rather than a zod schema: this runs for every event, and the smallest zod
 * object schema measured 0.4–2.6 µs per event jitless in Node against ~0.1 µs for this
 * (docs/benchmarks.md, "Checking the framing, session 4").
 */
export function checkEventFrames(lastSeq: number, events: readonly unknown[], options: { repeats: boolean; durableOnly: boolean }): FrameProblem | null {
  let expected = lastSeq + 1
  for (let index = 0; index < events.length; index++) {
    const event = events[index] as { type?: unknown; seq?: unknown } | null
    const where = `event ${index + 1} after seq ${expected - 1}`
    if (typeof event !== 'object' || event === null || Array.isArray(event)) return { message: `${where}: not an object`, gap: null }
    const { type, seq } = event
    if (typeof type !== 'string') return { message: `${where}: no type`, gap: null }
    if (TRANSIENT_EVENT_TYPES.has(type) && !options.durableOnly) {
      if (seq !== undefined) return { message: `${where}: the transient event "${type}" has a seq`, gap: null }
      continue
    }
    if (!DURABLE_EVENT_TYPES.has(type)) return { message: `${where}: unknown type ${JSON.stringify(type).slice(0, 80)}`, gap: null }
    if (!Number.isSafeInteger(seq) || (seq as number) < 1) return { message: `${where} ("${type}"): seq ${JSON.stringify(seq)?.slice(0, 40)} is not a positive integer`, gap: null }
    const at = seq as number
    if (at === expected) expected++
    else if (at > expected) return { message: `${where} ("${type}"): seq ${at} skips ahead (expected ${expected})`, gap: { expected, received: at } }
    else if (!options.repeats) return { message: `${where} ("${type}"): seq ${at} goes back (expected ${expected})`, gap: null }
  }
  return null
}

/** The seq a subscriber has after `events` (repeats of earlier seqs and transient events leave it as it was). */
export function lastSeqAfter(lastSeq: number, events: readonly EngineEvent[]): number {
  let last = lastSeq
  for (const event of events) if (isDurable(event) && event.seq > last) last = event.seq
  return last
}
