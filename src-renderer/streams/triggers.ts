import { filter, type Observable } from 'rxjs'
import type { EngineEvent } from '../../src-shared/index.ts'

/** The engine's events that change what the trigger list shows (a firing moves a schedule's next run, records its last). */
const TRIGGER_EVENTS: ReadonlySet<string> = new Set(['trigger.fired', 'trigger.updated', 'trigger.removed'])

/** The frames of events holding any trigger change: each one is a reason to read the trigger list again. */
export function triggerChanges$(frames$: Observable<readonly EngineEvent[]>): Observable<readonly EngineEvent[]> {
  return frames$.pipe(filter((batch) => batch.some((event) => TRIGGER_EVENTS.has(event.type))))
}

/** A schedule's period as written in `--every` ("15m", "1h 30m", "45s"): its whole units, none of them zero. */
export function formatEvery(ms: number): string {
  let seconds = Math.round(ms / 1000)
  const parts: string[] = []
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const count = Math.floor(seconds / size)
    seconds -= count * size
    if (count > 0) parts.push(`${count}${unit}`)
  }
  return parts.join(' ') || '0s'
}
