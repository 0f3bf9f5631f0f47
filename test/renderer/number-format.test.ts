import { afterEach, describe, expect, it, vi } from 'vitest'
import { initI18n } from '../../src-renderer/i18n/index.ts'
import { en } from '../../src-renderer/i18n/en.ts'
import { ko } from '../../src-renderer/i18n/ko.ts'

/** Every string of a translation table, nested or not. */
const strings = (table: unknown): string[] =>
  typeof table === 'string' ? [table] : table !== null && typeof table === 'object' ? Object.values(table).flatMap(strings) : []

describe('the tables\' number format', () => {
  afterEach(() => vi.restoreAllMocks())

  it('formats counts in the language of the page', async () => {
    const i18n = initI18n('en')
    expect(i18n.t('connection.catchingUpLeft', { count: 12345 })).toBe('Catching up: 12,345 to go')
    expect(i18n.t('connection.catchingUp', { count: 1 })).toBe('Catching up (1 event)…')
    await i18n.changeLanguage('ko')
    expect(i18n.t('connection.catchingUpLeft', { count: 12345 })).toBe('따라잡는 중: 12,345개 남음')
  })

  it('builds the page language\'s Intl.NumberFormat at start and one per other language, not one per count', async () => {
    const built = vi.spyOn(Intl, 'NumberFormat')
    const i18n = initI18n('en')
    expect(built).toHaveBeenCalledTimes(1)
    built.mockClear()
    for (let left = 40_000; left > 0; left -= 1_000) i18n.t('connection.catchingUpLeft', { count: left })
    expect(built).not.toHaveBeenCalled()
    await i18n.changeLanguage('ko')
    for (let left = 40_000; left > 0; left -= 1_000) i18n.t('connection.catchingUpLeft', { count: left })
    expect(built).toHaveBeenCalledTimes(1)
    await i18n.changeLanguage('en')
  })

  it('is written without format options in both tables (the cached format takes none)', () => {
    const withOptions = [...strings(en), ...strings(ko)].filter((s) => /\{\{[^}]*,\s*number\s*\(/.test(s))
    expect(withOptions).toEqual([])
  })
})
