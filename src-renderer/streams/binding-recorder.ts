import { Observable, asyncScheduler, type SchedulerLike } from 'rxjs'
import { normaliseBinding, strokeOf, type CommandId, type KeyPress, type KeymapEntry } from './keymap.ts'

/** What recording a new binding reports: strokes so far, then the binding, or a cancel. */
export type RecordingStep = { kind: 'partial'; strokes: string[] } | { kind: 'done'; binding: string } | { kind: 'cancelled' }

export interface RecorderOptions {
  isMac?: boolean
  /** How long after the first stroke a second one still makes a chord (as in keyCommands$). */
  chordTimeoutMs?: number
  scheduler?: SchedulerLike
}

const MODIFIER_KEYS = ['Shift', 'Control', 'Alt', 'Meta']

/**
 * Records one binding from key presses: a single stroke ("x", "mod+k") when no second key
 * comes within the chord timeout, or a two-stroke chord ("g x") when one does, the same
 * rule the key stream uses to read chords. Escape cancels; modifiers alone are ignored.
 * Completes after `done` or `cancelled`.
 */
export function recordBinding$(keys$: Observable<KeyPress>, options: RecorderOptions = {}): Observable<RecordingStep> {
  const isMac = options.isMac ?? false
  const timeout = options.chordTimeoutMs ?? 1000
  const scheduler = options.scheduler ?? asyncScheduler
  return new Observable<RecordingStep>((subscriber) => {
    let first: string | null = null
    const timer = { current: null as { unsubscribe(): void } | null }
    const finish = (step: RecordingStep) => {
      timer.current?.unsubscribe()
      subscriber.next(step)
      subscriber.complete()
    }
    const subscription = keys$.subscribe({
      next: (press) => {
        if (MODIFIER_KEYS.includes(press.key) || press.repeat) return
        if (press.key === 'Escape') return finish({ kind: 'cancelled' })
        const stroke = strokeOf(press, isMac)
        if (first === null) {
          first = stroke
          subscriber.next({ kind: 'partial', strokes: [stroke] })
          timer.current = scheduler.schedule(() => finish({ kind: 'done', binding: stroke }), timeout)
          return
        }
        finish({ kind: 'done', binding: normaliseBinding(`${first} ${stroke}`).join(' ') })
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    })
    return () => {
      timer.current?.unsubscribe()
      subscription.unsubscribe()
    }
  })
}

export interface BindingConflict {
  command: CommandId
  binding: string
  /**
   * same: both are the same keys. shadows: the new binding starts a chord that exists
   * (binding "g" while "g x" exists: "g" would only ever wait for the chord). shadowed:
   * an existing single key starts the new chord (binding "g x" while "g" exists).
   */
  kind: 'same' | 'shadows' | 'shadowed'
}

/** Which of the keymap's other bindings would clash with giving `command` the `binding`. */
export function bindingConflicts(keymap: readonly KeymapEntry[], command: CommandId, binding: string): BindingConflict[] {
  const strokes = normaliseBinding(binding)
  const out: BindingConflict[] = []
  for (const entry of keymap) {
    if (entry.command === command || entry.binding === '') continue
    const other = normaliseBinding(entry.binding)
    const shared = Math.min(strokes.length, other.length)
    if (!strokes.slice(0, shared).every((s, i) => s === other[i])) continue
    const kind = strokes.length === other.length ? 'same' : strokes.length < other.length ? 'shadows' : 'shadowed'
    out.push({ command: entry.command, binding: entry.binding, kind })
  }
  return out
}
