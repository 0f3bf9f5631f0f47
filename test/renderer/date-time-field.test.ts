import { describe, expect, it } from 'vitest'
import { dateTimeFieldPattern, formatDateTimeField, parseDateTimeField } from '../../src-renderer/streams/date-time-field.ts'
import { EMPTY_FORM, validateForm } from '../../src-renderer/streams/task-form.ts'

const EN_WORDS = { year: 'yyyy', month: 'mm', day: 'dd', hour: 'hh', minute: 'mm' }
const KO_WORDS = { year: '연도', month: '월', day: '일', hour: '시', minute: '분' }

describe('the Run at field in the UI’s language', () => {
  it('writes a time in the language’s order, not the browser’s: month first in English, year first in Korean', () => {
    expect(formatDateTimeField('2026-11-23T14:05', 'en')).toBe(new Intl.DateTimeFormat('en', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(2026, 10, 23, 14, 5)))
    expect(formatDateTimeField('2026-11-23T14:05', 'en')).toMatch(/^11\/23\/2026, 02:05\sPM$/)
    expect(formatDateTimeField('2026-11-23T14:05', 'ko')).toMatch(/^2026\. 11\. 23\. /)
    expect(formatDateTimeField('', 'ko')).toBe('')
  })

  it('reads back what it writes, in both languages, with seconds too', () => {
    for (const language of ['en', 'ko'] as const) {
      for (const value of ['2026-11-23T14:05', '2027-01-15T09:30:12', '2026-02-28T00:00', '2026-12-31T12:59']) expect(parseDateTimeField(formatDateTimeField(value, language), language), `${language} ${value}`).toBe(value)
    }
  })

  it('reads what a person types in the language, Korean 오전/오후 and ISO in either', () => {
    expect(parseDateTimeField('11/23/2026, 2:30 pm', 'en')).toBe('2026-11-23T14:30')
    expect(parseDateTimeField('11/23/2026 12:15 AM', 'en')).toBe('2026-11-23T00:15')
    expect(parseDateTimeField('2026. 11. 23. 오후 2:30', 'ko')).toBe('2026-11-23T14:30')
    expect(parseDateTimeField('2026. 11. 23. 오전 12:30', 'ko')).toBe('2026-11-23T00:30')
    expect(parseDateTimeField('2026-11-23 14:30', 'ko')).toBe('2026-11-23T14:30')
    expect(parseDateTimeField('  ', 'en')).toBe('')
  })

  it('refuses what is no date and time: a day that does not exist, a 13 PM, missing parts', () => {
    expect(parseDateTimeField('02/30/2026, 10:00 AM', 'en')).toBeNull()
    expect(parseDateTimeField('11/23/2026, 13:00 PM', 'en')).toBeNull()
    expect(parseDateTimeField('11/23/2026', 'en')).toBeNull()
    expect(parseDateTimeField('tomorrow', 'ko')).toBeNull()
  })

  it('shows its pattern in the language’s words', () => {
    expect(dateTimeFieldPattern('en', EN_WORDS)).toMatch(/^mm\/dd\/yyyy, hh:mm\s\S+\/\S+$/)
    expect(dateTimeFieldPattern('ko', KO_WORDS)).toMatch(/^연도\. 월\. 일\. /)
  })

  it('names the field when the form holds text it could not read (never a time V8 guesses from it)', () => {
    const checked = validateForm({ ...EMPTY_FORM, command: 'true', runAt: '11/23/2026, 02:05 PM' })
    expect(checked.ok).toBe(false)
    expect(!checked.ok && checked.problems).toEqual([{ field: 'runAt', message: { key: 'form.issue.runAt' } }])
  })
})
