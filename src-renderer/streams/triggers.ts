import cronstrue from 'cronstrue'
// Only the locale the UI speaks besides English (cronstrue's own), not cronstrue/i18n with every locale (~130 kB).
import 'cronstrue/locales/ko.js'
import { filter, type Observable } from 'rxjs'
import type { EngineEvent } from '../../src-shared/index.ts'

/** The engine's events that change what the trigger list shows (a firing moves a schedule's next run, records its last). */
const TRIGGER_EVENTS: ReadonlySet<string> = new Set(['trigger.fired', 'trigger.updated', 'trigger.removed'])

/** The frames of events holding any trigger change: each one is a reason to read the trigger list again. */
export function triggerChanges$(frames$: Observable<readonly EngineEvent[]>): Observable<readonly EngineEvent[]> {
  return frames$.pipe(filter((batch) => batch.some((event) => TRIGGER_EVENTS.has(event.type))))
}

/**
 * Whether the clock of `language` runs to 12 (9:30 PM, 오후 9:30) rather than 24, as Intl has it: the rule the app's
 * other times follow, which are written with toLocaleTimeString in the UI's language (formatClock).
 */
export function usesTwelveHourClock(language: string): boolean {
  const cycle = new Intl.DateTimeFormat(language, { hour: 'numeric' }).resolvedOptions().hourCycle
  return cycle === 'h12' || cycle === 'h11'
}

/**
 * A cron pattern in words in the UI's language ("At 9:30 AM, Monday through Friday"), or null when cronstrue cannot say it
 * (the raw pattern is then all there is to show). Its times are on the language's clock as Intl has it, like every other
 * time in the app: 12 hours without a leading zero (9:30 PM, 오후 9:30) or 24 with one (21:30, 09:30). Taskdeck (croner)
 * reads six fields as seconds first; cronstrue may read a sixth field as a year, so a six-field pattern gets a seventh,
 * any-year field to mean seconds-first to it too.
 */
export function describeCron(pattern: string, language: string): string | null {
  const fields = pattern.trim().split(/\s+/)
  const secondsFirst = fields.length === 6 ? `${fields.join(' ')} *` : pattern
  const twelveHours = usesTwelveHourClock(language)
  try {
    return cronstrue.toString(secondsFirst, {
      locale: language === 'ko' ? 'ko' : 'en',
      use24HourTimeFormat: !twelveHours,
      trimHoursLeadingZero: twelveHours,
      throwExceptionOnParseError: true,
    })
  } catch {
    return null
  }
}
