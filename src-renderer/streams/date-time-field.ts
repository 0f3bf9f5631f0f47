import type { Language } from '../../src-shared/decisions/language.ts'

/**
 * The task form's "Run at" field in the UI's language, not the browser's: a datetime-local
 * input draws itself in the browser's locale (a Korean UI in an English browser showed
 * "mm/dd/yyyy, --:-- --"), so the field is text written and read in the order, separators and
 * 12/24-hour clock that Intl gives the UI's language ("11/23/2026, 02:30 PM", "2026. 11. 23.
 * 오후 02:30"). The form keeps the language-free datetime-local value ("2026-11-23T14:30"),
 * so drafts, edits and the contract are unchanged. Pure; unit-tested.
 */

type Part = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second'

const OPTIONS: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }
const pad = (n: number) => String(n).padStart(2, '0')

/** Words for AM and PM: Intl's for the language, and the usual ones in either language (Intl data varies by build). */
function dayPeriods(language: Language): { am: string[]; pm: string[] } {
  const period = (hour: number) => new Intl.DateTimeFormat(language, { hour: 'numeric', hour12: true }).formatToParts(new Date(2000, 0, 1, hour)).find((p) => p.type === 'dayPeriod')?.value ?? ''
  return { am: [period(1), 'AM', 'A.M.', '오전'].filter(Boolean), pm: [period(13), 'PM', 'P.M.', '오후'].filter(Boolean) }
}

/** The order the language writes a date and time in, and whether its clock has AM/PM. */
function layout(language: Language): { order: Part[]; twelveHour: boolean } {
  const parts = new Intl.DateTimeFormat(language, OPTIONS).formatToParts(new Date(2026, 10, 23, 14, 5))
  const order = parts.map((p) => p.type).filter((type): type is Part => type === 'year' || type === 'month' || type === 'day' || type === 'hour' || type === 'minute')
  return { order, twelveHour: parts.some((p) => p.type === 'dayPeriod') }
}

/** A datetime-local value ("2026-11-23T14:30[:05]") as the language writes it; '' for none, the text itself when it is not one. */
export function formatDateTimeField(value: string, language: Language): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value)
  if (!match) return value
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number]
  const date = new Date(y, mo - 1, d, h, mi, Number.isNaN(s) ? 0 : s)
  const withSeconds = !Number.isNaN(s) && s !== 0
  return new Intl.DateTimeFormat(language, { ...OPTIONS, ...(withSeconds ? { second: '2-digit' } : {}) }).format(date)
}

/**
 * Text in the language's order ("11/23/2026, 2:30 PM"; "2026. 11. 23. 오후 2:30"), or an ISO
 * "2026-11-23 14:30" in any language, as a datetime-local value; '' for blank text; null when
 * it is not a date and time that exists (the form names the field).
 */
export function parseDateTimeField(text: string, language: Language): string | null {
  const trimmed = text.trim()
  if (trimmed === '') return ''
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(trimmed)
  let values: Record<Part, number>
  if (iso) {
    const [, y, mo, d, h, mi, s] = iso.map(Number) as [number, number, number, number, number, number, number]
    values = { year: y, month: mo, day: d, hour: h, minute: mi, second: Number.isNaN(s) ? 0 : s }
  } else {
    const { order, twelveHour } = layout(language)
    const numbers = (trimmed.match(/\d+/g) ?? []).map(Number)
    if (numbers.length !== order.length && numbers.length !== order.length + 1) return null
    values = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 }
    order.forEach((part, i) => (values[part] = numbers[i]!))
    if (numbers.length === order.length + 1) {
      // Seconds follow the minutes.
      const minuteAt = order.indexOf('minute')
      values.second = numbers[minuteAt + 1]!
      order.slice(minuteAt + 1).forEach((part, i) => (values[part] = numbers[minuteAt + 2 + i]!))
    }
    const upper = trimmed.toUpperCase()
    const { am, pm } = dayPeriods(language)
    const isPm = pm.some((word) => upper.includes(word.toUpperCase()))
    const isAm = am.some((word) => upper.includes(word.toUpperCase()))
    if (isAm || isPm) {
      if (values.hour < 1 || values.hour > 12) return null
      values.hour = (values.hour % 12) + (isPm ? 12 : 0)
    } else if (twelveHour && values.hour > 23) return null
  }
  const { year, month, day, hour, minute, second } = values
  if (year < 1000 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null
  const date = new Date(year, month - 1, day, hour, minute, second)
  if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) return null
  return `${year}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}${second ? `:${pad(second)}` : ''}`
}

/** How the field's text is written, for its placeholder: "mm/dd/yyyy, hh:mm AM/PM"; "yyyy. mm. dd. 오전/오후 hh:mm". */
export function dateTimeFieldPattern(language: Language, words: Record<Exclude<Part, 'second'>, string>): string {
  const { am, pm } = dayPeriods(language)
  return new Intl.DateTimeFormat(language, OPTIONS)
    .formatToParts(new Date(2026, 10, 23, 14, 5))
    .map((p) => (p.type === 'literal' ? p.value : p.type === 'dayPeriod' ? `${am[0]}/${pm[0]}` : (words[p.type as Exclude<Part, 'second'>] ?? p.value)))
    .join('')
}
